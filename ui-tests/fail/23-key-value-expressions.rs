// Checks: a value with an operator or a cast is borrowed whole (`&(a + b)`, `&(a as u64)`), and a
// value that is not a `ToValue` keeps our message (which says how to log an error).
use scoped_logger::info;

struct Opaque;

fn main() {
    let (a, b) = (1u32, 2u32);
    info!(sum = a + b, wide = a as u64; "fine");
    info!(opaque = Opaque; "not a value");
}
