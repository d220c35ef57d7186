// Checks: `ret` on a function returning `()` (written or not) is an error at the option; a
// returned type that is not `Debug` is an error too.
use scoped_logger::scoped_logger;

#[scoped_logger("jobs", ret)]
fn returns_nothing() {}

#[scoped_logger("jobs", ret = "debug")]
fn returns_unit() -> () {}

struct Opaque;

#[scoped_logger("jobs", ret)]
fn returns_opaque() -> Opaque {
    Opaque
}

fn main() {
    returns_nothing();
    returns_unit();
    returns_opaque();
}
