//! What a scope's fields cost in allocations: entering a scope with two fields (an integer and a
//! short string) makes exactly one heap block more than entering it without, and logging in it
//! makes none, also when the record is formatted as a text line (the first record of a scope
//! included: the fields are written straight into the line, not rendered for the scope first).
//! Counted by dhat's allocator, which this test binary installs for itself.

use std::sync::Mutex;

use scoped_logger::format::{Format, TextFormat};
use scoped_logger::{Handler, LevelFilter, NullHandler, Record, Registry, info};

/// Formats each record as the default text line into one reused buffer.
struct TextIntoBuffer(Mutex<Vec<u8>>);

impl Handler for TextIntoBuffer {
    fn handle(&self, record: &Record<'_>) {
        let mut line = self.0.lock().unwrap();
        line.clear();
        TextFormat.format(record, &mut line);
    }
}

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

fn blocks() -> u64 {
    dhat::HeapStats::get().total_blocks
}

#[test]
fn two_fields_cost_one_allocation_to_enter_and_none_per_record() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let reg = Registry::new();
    reg.root().add_handler(NullHandler);
    reg.root().set_level(LevelFilter::Info);
    let user = String::from("ann");
    let enter = |fields: bool| {
        let before = blocks();
        let b = reg.scope("jobs.1");
        let b = if fields {
            b.field("attempt", 2).field("user", user.as_str())
        } else {
            b
        };
        let scope = b.enter().unwrap();
        drop(scope);
        blocks() - before
    };
    // Warm up: thread-locals, the map's first buckets.
    enter(false);
    enter(true);
    let plain = enter(false);
    let with_fields = enter(true);
    assert_eq!(
        with_fields,
        plain + 1,
        "plain {plain}, with fields {with_fields}"
    );

    let scope = reg
        .scope("jobs.2")
        .field("attempt", 2)
        .field("user", user.as_str())
        .enter()
        .unwrap();
    info!("warm");
    let before = blocks();
    for i in 0..100 {
        info!(i = i; "a record in a scope with fields");
    }
    assert_eq!(blocks() - before, 0, "records allocated");
    drop(scope);

    // Formatted as text: the first record of each fresh scope allocates nothing either.
    let text = Registry::new();
    text.root()
        .add_handler(TextIntoBuffer(Mutex::new(Vec::with_capacity(1024))));
    text.root().set_level(LevelFilter::Info);
    for round in 0..3 {
        let scope = text
            .scope("jobs.3")
            .field("attempt", 2)
            .field("user", user.as_str())
            .enter()
            .unwrap();
        let before = blocks();
        info!(i = round; "the first record in a scope with fields");
        let first = blocks() - before;
        info!(i = round; "the second");
        let both = blocks() - before;
        drop(scope);
        // Round 0 warms the thread-locals and the buffer.
        if round > 0 {
            assert_eq!(
                (first, both),
                (0, 0),
                "text records allocated (round {round})"
            );
        }
    }
}
