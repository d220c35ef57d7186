// Checks: an unknown level word in `scoped_log!` is an error on that word listing the levels.
use scoped_logger::scoped_log;

fn main() {
    scoped_log!(loud, "hello");
    scoped_log!(Info, "capitalized words are not level names");
}
