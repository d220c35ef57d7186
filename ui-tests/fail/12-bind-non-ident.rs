// Checks: `bind` takes a plain identifier; a pattern, a string or `self` is an error.
use scoped_logger::scoped_logger;

#[scoped_logger(bind = (a, b))]
fn tuple() {}

#[scoped_logger(bind = "log")]
fn string() {}

#[scoped_logger(bind = self)]
fn keyword() {}

fn main() {}
