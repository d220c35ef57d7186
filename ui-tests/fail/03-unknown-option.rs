// Checks: an unknown option is an error on its name that lists the valid options; a missing
// value says what to write.
use scoped_logger::scoped_logger;

#[scoped_logger("jobs", levle = "debug")]
fn misspelled() {}

#[scoped_logger(propagate)]
fn no_value() {}

fn main() {
    misspelled();
    no_value();
}
