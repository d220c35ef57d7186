// Checks: a `handler = <Result>` in a function that does not return a compatible `Result` is
// a compile error with our message (diagnostic::on_unimplemented on `Raise`).
use scoped_logger::{scoped_logger, FileHandler};

#[scoped_logger("jobs", handler = FileHandler::create("jobs.log"))]
fn unit() {}

#[scoped_logger("jobs", handler = FileHandler::create("jobs.log"))]
fn wrong_error() -> Result<(), std::fmt::Error> {
    Ok(())
}

fn main() {
    unit();
    let _ = wrong_error();
}
