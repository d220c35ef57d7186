// Checks: `err` and `ret` levels are checked like `level`, "off" is refused (they log a record),
// and each may be given once.
use scoped_logger::scoped_logger;

#[scoped_logger("jobs", err = "loud", ret = "off")]
fn bad_levels() -> Result<u32, String> {
    Ok(1)
}

#[scoped_logger("jobs", err, err = "warn", ret = debug)]
fn repeated() -> Result<u32, String> {
    Ok(1)
}

fn main() {
    let _ = bad_levels();
    let _ = repeated();
}
