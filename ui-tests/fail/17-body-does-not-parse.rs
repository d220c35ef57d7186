// Checks: a body that does not parse yet (the normal state of code being written) is reported
// by the compiler where it is wrong, not as "this is not a function"; the function still
// exists, so its callers type-check.
use scoped_logger::scoped_logger;

#[scoped_logger("jobs.{id}", bind = log)]
fn half_written(id: u32) -> u32 {
    log.log(scoped_logger::Level::Info, format_args!("started"));
    let x = ;
    id
}

fn main() {
    let _: u32 = half_written(1);
}
