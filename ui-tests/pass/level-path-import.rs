// Checks: a level written as a path uses the import it names (`use ...::Level` is not
// reported unused under `#![deny(warnings)]`), in `scoped_log!` with and without `logger:`.
#![deny(warnings)]

use scoped_logger::{scoped_log, Level, Registry};

fn main() {
    scoped_log!(Level::Warn, "a path level");
    let reg = Registry::new();
    scoped_log!(logger: &reg.logger("x"), Level::Debug, k = 1; "with a logger");
}
