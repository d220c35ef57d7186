// Checks: the expansions are warning-free under `#![deny(warnings)]` (and `clippy::all` when
// this file is linted with clippy): sync, async, methods, every option, every macro form, and
// async fn arguments that only `fields(..)` reads.
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

#[scoped_logger("io", handler = scoped_logger::FileHandler::create("/dev/null/x.log"))]
fn fallible() -> std::io::Result<()> {
    Ok(())
}

#[scoped_logger("errs", err, ret = "debug", registry = &REG)]
fn errs(fail: bool) -> Result<u32, std::io::Error> {
    if fail {
        Err(std::io::Error::other("disk full"))
    } else {
        Ok(1)
    }
}

#[scoped_logger("errs.boxed", err = "warn", ret, registry = &REG)]
async fn errs_async(n: u32) -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
    if n == 0 {
        return Err("zero".into());
    }
    Ok(n)
}

#[scoped_logger("errs.text", err, summary = true, registry = &REG)]
fn errs_text() -> Result<(), String> {
    Err("no".to_owned())
}

#[derive(Debug)]
enum Method {
    Get,
}

// Arguments read only by `fields(..)` (evaluated at the call, before the future exists), with
// the options a request handler uses: no `unused variable`.
#[scoped_logger(name = "http.{id}", registry = &REG, fields(id, method = ?method, path = %path),
                err, summary = true, record_below = "debug", slow = "1s", stuck = "30s")]
async fn handle(id: u64, method: Method, path: String) -> Result<u32, std::io::Error> {
    info!("handled");
    Ok(200)
}

// Plain, and with a pattern argument next to field-only ones.
#[scoped_logger("jobs", registry = &REG, fields(user = %user.len(), attempt = attempt + 1))]
async fn job(user: String, attempt: u32, (a, b): (u8, u8)) -> u8 {
    a + b
}

fn key_value_expressions(a: u32, b: u32) {
    let e = std::io::Error::other("z");
    let boxed: Box<dyn std::error::Error + Send + Sync> = "b".into();
    info!(sum = a + b; "x");
    info!(wide = a as u64, neg = -(a as i64), "s" = %a + b; "y");
    error!(error = e, by_ref = &e, boxed = boxed; "e");
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
    assert!(errs(true).is_err());
    assert_eq!(errs(false).unwrap(), 1);
    assert!(block_on(errs_async(0)).is_err());
    assert!(errs_text().is_err());
    key_value_expressions(1, 2);
    assert_eq!(block_on(handle(1, Method::Get, "/".to_owned())).unwrap(), 200);
    assert_eq!(block_on(job("ann".to_owned(), 0, (1, 2))), 3);
}
