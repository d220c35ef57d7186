use scoped_logger::scoped_logger;

#[scoped_logger("jobs.{id}", fields(id, id))]
fn twice(id: u64) {}

#[scoped_logger("jobs.{id}", fields = id)]
fn not_a_list(id: u64) {}

#[scoped_logger("jobs.{id}", fields(user = ))]
fn no_value(id: u64) {}

fn main() {
    twice(1);
    not_a_list(1);
    no_value(1);
}
