// Checks: `err` needs a function returning a `Result`: on `()` it is an error at the option, on
// another type (only the type checker knows an alias is not a `Result`) our message says so.
use scoped_logger::scoped_logger;

#[scoped_logger("jobs", err)]
fn returns_unit() {}

#[scoped_logger("jobs", err = "warn")]
fn returns_number() -> u32 {
    1
}

#[scoped_logger("jobs", err)]
async fn returns_number_async() -> u32 {
    1
}

fn main() {
    returns_unit();
    returns_number();
    let _ = returns_number_async();
}
