//! Records from dependencies that log through `log` or `tracing` land in the task that called
//! them. `chatty` (tests/chatty) stands in for such a library: it knows nothing of scoped-logger.
//!
//! ```text
//! cargo run --example with_log_crate --all-features
//! ```

use scoped_logger::{LevelFilter, MemoryHandler, OwnedRecord, scoped_logger};

#[scoped_logger(name = "tasks.{id}", level = "info")]
fn task(id: u64) -> u64 {
    // Both calls log through other facades; both records end up in `tasks.<id>`.
    let a = chatty::work_with_log(id);
    #[cfg(feature = "tracing")]
    let a = a + chatty::work_with_tracing(id);
    a
}

fn show(title: &str, records: &[OwnedRecord]) {
    println!("{title}");
    for r in records {
        let kv: Vec<String> = r
            .key_values
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        println!("  {} {}: {} {}", r.level, r.logger, r.message, kv.join(" "));
    }
}

fn main() {
    // Also installs both bridges: `log`'s logger, and (feature `tracing`) the global `tracing`
    // subscriber, unless the program set one of its own first.
    let _guard = scoped_logger::init().expect("init once");

    let tasks = MemoryHandler::new();
    let tasks_logger = scoped_logger::logger("tasks");
    tasks_logger.add_handler(tasks.clone());
    tasks_logger.set_propagate(false);
    for id in 1..=2 {
        task(id);
    }
    show(
        "inside tasks (routed to the current scope):",
        &tasks.records(),
    );

    // Outside any scope the library's records go to the logger named by their target.
    let chatty_logger = scoped_logger::logger("chatty");
    chatty_logger.set_level(LevelFilter::Debug);
    chatty_logger.set_propagate(false);
    let outside = MemoryHandler::new();
    chatty_logger.add_handler(outside.clone());
    chatty::work_with_log(3);
    show("outside any scope (routed by target):", &outside.records());

    assert!(
        tasks
            .records()
            .iter()
            .all(|r| r.logger.starts_with("tasks."))
    );
    assert!(outside.records().iter().all(|r| r.logger == "chatty"));
    assert_eq!(scoped_logger::Registry::global().get("tasks.1"), None);
}
