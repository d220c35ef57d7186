// Checks: the attribute on a `const` item, and on a `const fn`, is an error on the item's
// keyword and name.
use scoped_logger::scoped_logger;

#[scoped_logger]
const LIMIT: u32 = 3;

#[scoped_logger("jobs")]
const fn compute() -> u32 {
    LIMIT
}

fn main() {
    let _ = compute();
}
