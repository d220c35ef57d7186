//! The task flight recorder: tasks log their DEBUG trail into a bounded ring instead of
//! dropping it. A task that succeeds discards the ring unread; a task that fails replays it,
//! marked as replayed, right after its error, so the failure comes with its trail and the
//! successes cost one copy per record and no output.
//!
//! ```text
//! cargo run --example flight_recorder
//! ```

use scoped_logger::{
    HandlerExt as _, LevelFilter, StreamHandler, debug, error, info, scoped_logger,
};

#[scoped_logger(
    name = "orders.{id}",
    level = "info",
    record_below = "debug",
    summary = true
)]
fn process_order(id: u32, items: &[u32]) -> Result<u32, String> {
    info!(items = items.len(); "processing");
    let mut total = 0;
    for (i, price) in items.iter().enumerate() {
        debug!(line = i, price; "adding line");
        total += price;
    }
    debug!(total; "computed total");
    if total > 100 {
        error!(total; "over the credit limit");
        return Err(format!("order {id}: total {total} over the limit"));
    }
    Ok(total)
}

fn main() {
    // Records to stdout, so the example's output is easy to read; root at INFO.
    let out = StreamHandler::new(std::io::stdout()).with_level(LevelFilter::Trace);
    scoped_logger::root().add_handler(out);
    scoped_logger::root().set_level(LevelFilter::Info);

    println!("--- order 1 succeeds: its debug trail is discarded unread");
    let ok = process_order(1, &[10, 20]);
    println!("--- order 2 fails: its debug trail is replayed after the error");
    let failed = process_order(2, &[60, 70]);

    assert_eq!(ok, Ok(30));
    assert!(failed.is_err());
    let reg = scoped_logger::Registry::global();
    assert_eq!(reg.get("orders.2"), None, "the scope ended all the same");
    let stats = reg.stats();
    println!(
        "--- stats: {} scopes live, {} handlers open",
        stats.scopes, stats.handlers
    );
    assert_eq!(stats.scopes, 0);
}
