// Checks: a bad option is the only error. The other options still take effect, so `bind = log`
// binds (no "cannot find value `log`") and the body type-checks against the scope.
use scoped_logger::scoped_logger;

#[scoped_logger("jobs.{id}", level = "loud", bind = log, colour = "red")]
fn run(id: u32) {
    log.log(scoped_logger::Level::Info, format_args!("job {id}"));
}

#[scoped_logger("jobs.{nope}", bind = log, summary = "yes")]
async fn run_async(id: u32) {
    log.log(scoped_logger::Level::Info, format_args!("job {id}"));
}

fn main() {
    run(1);
    let _ = run_async(2);
}
