// Checks: a level string that is not a level is an error listing the valid ones; a level
// that is not a string says to write one.
use scoped_logger::scoped_logger;

#[scoped_logger(level = "loud")]
fn loud() {}

#[scoped_logger(level = debug)]
fn not_a_string() {}

fn main() {}
