// Checks: an `async fn` argument read only by `fields(..)` (or the name template) raises no
// `unused variable` warning, with the options a request handler uses, under `#![deny(warnings)]`.
#![deny(warnings)]
#![deny(clippy::all)]
#![allow(missing_docs)]

use scoped_logger::{info, scoped_logger, Registry};
use std::sync::LazyLock;

static REG: LazyLock<Registry> = LazyLock::new(Registry::new);

#[derive(Debug)]
enum Method {
    Get,
}

#[scoped_logger(name = "http.{id}", registry = &REG, fields(id, method = ?method, path = %path),
                err, summary = true, record_below = "debug", slow = "1s", stuck = "30s")]
async fn handle(id: u64, method: Method, path: String) -> Result<u32, std::io::Error> {
    info!("handled");
    Ok(200)
}

// Plain, and with a pattern argument next to a field-only one.
#[scoped_logger("jobs", registry = &REG, fields(user = %user.len(), attempt = attempt + 1))]
async fn job(user: String, attempt: u32, (a, b): (u8, u8)) -> u8 {
    a + b
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
    assert_eq!(block_on(handle(1, Method::Get, "/".to_owned())).unwrap(), 200);
    assert_eq!(block_on(job("ann".to_owned(), 0, (1, 2))), 3);
}
