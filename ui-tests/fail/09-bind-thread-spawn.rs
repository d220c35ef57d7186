// Checks: the handle bound by `bind` cannot be moved into a `'static` thread.
use scoped_logger::{scoped_logger, warn};

#[scoped_logger("jobs", bind = log)]
fn spawn_with_handle() {
    let t = std::thread::spawn(move || {
        warn!(logger: log, "from another thread");
    });
    t.join().unwrap();
}

fn main() {
    spawn_with_handle();
}
