// Checks: a key-value whose type has no plain `Value` form says to use `%` or `?`; a missing
// message is an error that shows the form to write.
use scoped_logger::info;

struct Opaque;

fn main() {
    let v = vec![1, 2];
    info!(list = v; "a Vec needs ? to be logged");
    info!(o = Opaque; "neither");
    info!();
}
