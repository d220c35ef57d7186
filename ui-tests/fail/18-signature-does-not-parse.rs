// Checks: a signature that does not parse gets syn's own message, at the token it stopped on.
use scoped_logger::scoped_logger;

#[scoped_logger("jobs")]
fn no_type(id: ) {}

fn main() {}
