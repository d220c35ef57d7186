// Checks: the format string is checked by rustc at the user's tokens: a missing argument, an
// extra one, and a named placeholder with no such variable.
use scoped_logger::{info, scoped_log};

fn main() {
    scoped_log!(info, "{} and {}", 1);
    info!("no placeholder", 2);
    info!(k = 1; "{missing}");
}
