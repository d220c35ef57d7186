// Checks: the expansions are warning-free under `#![deny(warnings)]` (and `clippy::all` when
// this file is linted with clippy): sync, async, methods, every option, every macro form.
#![deny(warnings)]
#![deny(clippy::all)]
#![allow(missing_docs)]

use scoped_logger::{
    debug, error, info, scoped_log, scoped_logger, trace, warn, Level, MemoryHandler, Registry,
};
use std::sync::LazyLock;

static REG: LazyLock<Registry> = LazyLock::new(Registry::new);

#[scoped_logger]
fn bare() {}

#[scoped_logger("jobs.{id}", level = "trace", propagate = false, handler = MemoryHandler::new(),
                handler = MemoryHandler::new(), bind = log, registry = &REG)]
fn everything(id: u64, name: &str) -> u64 {
    trace!("t");
    debug!(id; "d {name}");
    info!(name = %name; "i");
    warn!(logger: log, "w");
    error!(logger: &REG.logger("jobs"), "e");
    let lvl = Level::Info;
    scoped_log!((lvl), "expr level");
    scoped_log!(Level::Debug, k = ?(1, 2), "s" = "v"; "path level");
    id
}

#[scoped_logger("io", handler = scoped_logger::FileHandler::create("/nonexistent-dir-for-ui-test/x.log"))]
fn fallible() -> std::io::Result<()> {
    Ok(())
}

struct Service;

impl Service {
    #[scoped_logger("svc.{n}")]
    fn method(&self, n: u32) -> u32 {
        n
    }

    #[scoped_logger(".inner.{n}", bind = log)]
    async fn async_method(&self, n: u32, mut acc: Vec<u32>) -> usize {
        acc.push(n);
        info!(logger: log, "pushed");
        acc.len()
    }
}

#[scoped_logger("generic.{t}")]
async fn generic<T: std::fmt::Display + Send>(t: T) -> Result<String, std::fmt::Error> {
    let s = t.to_string();
    Ok(s)
}

fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn main() {
    REG.root().add_handler(scoped_logger::NullHandler); // keep the records off stderr
    bare();
    assert_eq!(everything(1, "n"), 1);
    assert!(fallible().is_err());
    assert_eq!(Service.method(2), 2);
    assert_eq!(block_on(Service.async_method(3, vec![1])), 2);
    assert_eq!(block_on(generic(5)).unwrap(), "5");
}
