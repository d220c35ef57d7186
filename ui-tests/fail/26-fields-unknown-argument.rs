use scoped_logger::scoped_logger;

// A bare field names an argument (or anything in scope): a typo is the compiler's own error,
// pointing at the field.
#[scoped_logger("jobs.{id}", fields(idd))]
fn typo(id: u64) {}

fn main() {
    typo(1);
}
