//! Logging from several threads through the same loggers: an enabled `info!` outside any scope
//! (so the call site's module logger, propagating to the root) to a `NullHandler` on the root,
//! from one thread and from two at once.
//!
//! The handler does nothing, so what two threads can slow each other down on is ours: anything
//! a record writes to memory that every thread shares (reference counts, counters). The figure
//! for two threads is the wall time per call of the slower thread while both run.

mod common;

use std::hint::black_box;

use scoped_logger::{LevelFilter, NullHandler, Registry, info};

fn log_n(iters: u64) {
    for i in 0..iters {
        info!("request {} done in {} ms", black_box(i), 42);
    }
}

fn main() {
    let root = Registry::global().root();
    root.set_level(LevelFilter::Info);
    root.add_handler(NullHandler);

    let mut c = common::criterion();
    let mut g = c.benchmark_group("log_threads");
    g.bench_function("one_thread", |b| {
        b.iter_custom(|iters| common::on_threads(1, &|| log_n(iters)))
    });
    g.bench_function("two_threads", |b| {
        b.iter_custom(|iters| common::on_threads(2, &|| log_n(iters)))
    });
    g.finish();
    c.final_summary();
    if common::measuring() {
        common::print_ratios("log_threads", "one_thread", &["two_threads"]);
    }
}
