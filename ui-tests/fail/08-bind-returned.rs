// Checks: the handle bound by `bind` borrows the scope, so it cannot be returned.
use scoped_logger::{scoped_logger, ScopedLogger};

#[scoped_logger("jobs", bind = log)]
fn leak() -> &'static ScopedLogger {
    log
}

fn main() {
    let _ = leak();
}
