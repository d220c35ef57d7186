use scoped_logger::scoped_logger;

#[scoped_logger("jobs.{id}", slow = "500")]
fn no_unit(id: u64) {}

#[scoped_logger("jobs.{id}", stuck = "3 fortnights")]
fn unknown_unit(id: u64) {}

#[scoped_logger("jobs.{id}", slow = "0s")]
fn zero(id: u64) {}

#[scoped_logger("jobs.{id}", stuck = 30)]
fn not_a_string(id: u64) {}

fn main() {
    no_unit(1);
    unknown_unit(1);
    zero(1);
    not_a_string(1);
}
