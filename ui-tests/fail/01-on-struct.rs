// Checks: the attribute on a struct is an error on `struct S`, and the struct is kept (no
// follow-up "cannot find type" error where it is used).
use scoped_logger::scoped_logger;

#[scoped_logger]
struct S;

fn main() {
    let _s = S;
}
