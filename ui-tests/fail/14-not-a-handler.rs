// Checks: a `handler = ...` that is neither a handler nor a `Result` of one is an error with
// our message, on the expression.
use scoped_logger::scoped_logger;

#[scoped_logger("jobs", handler = 42)]
fn not_a_handler() {}

fn main() {
    not_a_handler();
}
