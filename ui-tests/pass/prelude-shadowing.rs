// Checks: the expansions name everything by absolute path, so a crate that shadows prelude
// names (`Option`, `Result`, `Box`, `Vec`, `String`, `Some`, `Ok`, `Err`, `drop`) and has
// modules called `core` and `std` still compiles and runs them.
#![allow(non_camel_case_types, non_upper_case_globals, non_snake_case, dead_code, unused)]

struct Option;
struct Result;
struct Box;
struct Vec;
struct String;
const Some: u8 = 0;
const Ok: u8 = 1;
const Err: u8 = 2;
fn drop(_: u8) {}
mod core {}
mod std {}
macro_rules! format_args {
    ($($t:tt)*) => {
        compile_error!("the user's format_args! was used")
    };
}
macro_rules! vec {
    ($($t:tt)*) => {
        compile_error!("the user's vec! was used")
    };
}

use scoped_logger::{debug, info, scoped_log, scoped_logger, warn, Level, MemoryHandler};

#[scoped_logger("shadow.{id}", level = "debug", propagate = true, handler = MemoryHandler::new(), bind = log)]
fn sync_fn(id: u32) -> u32 {
    info!(id, name = %"x", dbg = ?(1, 2); "sync {id}");
    scoped_log!(logger: log, Level::Warn, "through the handle");
    id
}

#[scoped_logger("shadow.fallible", handler = scoped_logger::FileHandler::create("/dev/null/x.log"), err, ret)]
fn fallible() -> ::std::result::Result<u32, ::std::io::Error> {
    ::core::result::Result::Ok(1)
}

#[scoped_logger(".async.{id}", handler = MemoryHandler::new(), ret = "debug")]
async fn async_fn(id: u32) -> u32 {
    debug!("async {id}");
    id
}

fn block_on<F: ::core::future::Future>(fut: F) -> F::Output {
    let mut fut = ::core::pin::pin!(fut);
    let mut cx = ::core::task::Context::from_waker(::core::task::Waker::noop());
    loop {
        if let ::core::task::Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn main() {
    assert_eq!(sync_fn(3), 3);
    assert!(fallible().is_err());
    assert_eq!(block_on(async_fn(4)), 4);
    let shadow = scoped_logger::logger("shadow");
    shadow.add_handler(scoped_logger::NullHandler); // keep the record off stderr
    warn!(logger: &shadow, "done");
}
