//! The `log` crate bridge: what a dependency's `log::debug!` costs when no logger would take it
//! (filtered by `log::max_level`, which the bridge keeps in step with the tree), and an enabled
//! `log::info!` routed through the bridge to a discarding handler.
//!
//! `cargo bench -p scoped-logger-benches --bench log_bridge -- --quick`

use criterion::{Criterion, criterion_group, criterion_main};
use scoped_logger::{LevelFilter, NullHandler, Registry};

fn bridge(c: &mut Criterion) {
    scoped_logger::bridge::log::install().expect("the only log logger in this process");
    let reg = Registry::global();
    let target = reg.logger("log_bridge");
    target.add_handler(NullHandler);
    target.set_level(LevelFilter::Info);
    target.set_propagate(false);
    assert_eq!(log::max_level(), log::LevelFilter::Info);

    let mut g = c.benchmark_group("log_bridge");
    let mut i = 0u64;
    g.bench_function("disabled log::debug!", |b| {
        b.iter(|| {
            i += 1;
            log::debug!(target: "log_bridge", "step {i}");
        })
    });
    g.bench_function("enabled log::info! to NullHandler", |b| {
        b.iter(|| {
            i += 1;
            log::info!(target: "log_bridge", "step {i}");
        })
    });
    let _scope = reg
        .scope("bench.task")
        .level(LevelFilter::Info)
        .enter()
        .expect("a valid name");
    reg.logger("bench").add_handler(NullHandler);
    g.bench_function("enabled log::info! inside a scope", |b| {
        b.iter(|| {
            i += 1;
            log::info!(target: "log_bridge", "step {i}");
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bridge
}
criterion_main!(benches);
