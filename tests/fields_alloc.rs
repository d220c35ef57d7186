//! What a scope's fields cost in allocations: entering a scope with two fields (an integer and a
//! short string) makes exactly one heap block more than entering it without, and logging in it
//! makes none. Counted by dhat's allocator, which this test binary installs for itself.

use scoped_logger::{LevelFilter, NullHandler, Registry, info};

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
}
