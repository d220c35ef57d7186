// Checks: an option given twice is an error on the second one; a name string plus
// `name = ...` counts as twice. `handler` may repeat (no error there).
use scoped_logger::scoped_logger;

#[scoped_logger(level = "debug", level = "info", handler = scoped_logger::NullHandler, handler = scoped_logger::NullHandler)]
fn twice() {}

#[scoped_logger("jobs", name = "other")]
fn two_names() {}

fn main() {
    twice();
    two_names();
}
