//! The flight recorder's cost per record: a DEBUG record kept in the ring of a task that will
//! succeed (one owned copy, nothing formatted for output), next to the same call with no
//! recorder (disabled) and an INFO record emitted to a discarding handler.
//!
//! `cargo bench -p scoped-logger-benches --bench recorder -- --quick`

use criterion::{Criterion, criterion_group, criterion_main};
use scoped_logger::scope::FlightRecorder;
use scoped_logger::{LevelFilter, NullHandler, Registry, debug, info};

fn recorder(c: &mut Criterion) {
    let reg = Registry::new();
    reg.root().add_handler(NullHandler);
    let mut g = c.benchmark_group("recorder");

    let scope = reg
        .scope("with.recorder")
        .level(LevelFilter::Info)
        .flight_recorder(FlightRecorder::new(LevelFilter::Debug))
        .enter()
        .unwrap();
    let mut i = 0u64;
    g.bench_function("debug kept in the ring", |b| {
        b.iter(|| {
            i += 1;
            debug!(step = i; "step {i} of the task");
        })
    });
    g.bench_function("info emitted to NullHandler", |b| {
        b.iter(|| {
            i += 1;
            info!(step = i; "step {i} of the task");
        })
    });
    drop(scope);

    let _plain = reg
        .scope("no.recorder")
        .level(LevelFilter::Info)
        .enter()
        .unwrap();
    g.bench_function("debug disabled, no recorder", |b| {
        b.iter(|| {
            i += 1;
            debug!(step = i; "step {i} of the task");
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = recorder
}
criterion_main!(benches);
