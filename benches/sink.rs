//! The never-blocking writer's costs: what a log call costs the caller (writer to `io::sink()`),
//! the distribution of that cost while the writer is stalled (once the default policy has found
//! the output stalled, the caller must not
//! feel the stall), and how fast the worker writes to /dev/null.
//!
//! `cargo bench -p scoped-logger-benches --bench sink -- --quick` runs it in a few seconds. The latency percentiles are
//! computed from per-call `Instant` timings (which add about 20-40 ns each) and printed first.

use std::fs::OpenOptions;
use std::hint::black_box;
use std::io::{self, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use parking_lot::{Condvar, Mutex};
use scoped_logger::handler::NonBlocking;
use scoped_logger::handler::queue::{Policy, QueueOptions};
use scoped_logger::{Handler, Level, Record, Registry};

/// A writer held shut until released: the output nobody reads.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn shut() -> Gate {
        let g = Gate::default();
        *g.0.0.lock() = true;
        g
    }
    fn release(&self) {
        *self.0.0.lock() = false;
        self.0.1.notify_all();
    }
}

impl Write for Gate {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut shut = self.0.0.lock();
        while *shut {
            self.0.1.wait(&mut shut);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn tree_with(handler: &Arc<NonBlocking>) -> Registry {
    let reg = Registry::new();
    reg.root().add_shared_handler(handler.clone());
    reg
}

fn far() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

/// Caller cost per record into the queue; the worker writes to `io::sink()`.
fn enqueue(c: &mut Criterion) {
    let h = Arc::new(NonBlocking::new(io::sink()).queue(QueueOptions::default().capacity(1 << 20)));
    let reg = tree_with(&h);
    let root = reg.root();
    let mut g = c.benchmark_group("enqueue");
    g.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    g.bench_function("log_through_tree", |b| {
        b.iter(|| {
            i += 1;
            root.log(
                Level::Warn,
                format_args!("request {} done in {} ms", black_box(i), 42),
            );
        })
    });
    g.bench_function("handle_direct", |b| {
        b.iter(|| {
            i += 1;
            h.handle(
                &Record::builder(
                    Level::Warn,
                    "jobs.42",
                    format_args!("request {} done in {} ms", black_box(i), 42),
                )
                .build(),
            );
        })
    });
    g.finish();
    h.flush_by(far());
    println!("enqueue: dropped {} records (queue full)", h.dropped());
}

/// Caller cost when the writer is stalled and the queue is full (the default policy, once it has
/// found the output stalled: every caller drops at once).
fn stalled(c: &mut Criterion) {
    let gate = Gate::shut();
    let h = Arc::new(NonBlocking::new(gate.clone()).queue(QueueOptions::default().capacity(1024)));
    let reg = tree_with(&h);
    let root = reg.root();
    for i in 0..2048 {
        root.log(Level::Warn, format_args!("fill {i}"));
    }
    let mut g = c.benchmark_group("stalled_drop");
    g.throughput(Throughput::Elements(1));
    g.bench_function("log_through_tree", |b| {
        b.iter(|| root.log(Level::Warn, format_args!("dropped {}", black_box(7))))
    });
    g.finish();
    gate.release();
    h.flush_by(far());
}

/// Worker throughput to /dev/null: the caller waits for room (Block), so the time per record is
/// bounded by whichever side is slower.
fn throughput(c: &mut Criterion) {
    let null = OpenOptions::new().write(true).open("/dev/null").unwrap();
    let h = Arc::new(NonBlocking::new(null).queue(QueueOptions::default().policy(Policy::Block)));
    let reg = tree_with(&h);
    let root = reg.root();
    let mut g = c.benchmark_group("writer");
    g.throughput(Throughput::Elements(1));
    g.bench_function("dev_null", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for i in 0..iters {
                root.log(
                    Level::Warn,
                    format_args!("request {i} done in {} ms user=ana", 42),
                );
            }
            assert!(h.flush_by(far()));
            start.elapsed()
        })
    });
    g.finish();
    assert_eq!(h.dropped(), 0);
}

/// Per-call latency while the writer is stalled: the first calls fill the queue, the rest are
/// dropped. Printed as percentiles.
fn stalled_latency_report(calls: usize) {
    let gate = Gate::shut();
    let h =
        Arc::new(NonBlocking::new(gate.clone()).queue(QueueOptions::default().capacity(16 * 1024)));
    let reg = tree_with(&h);
    let root = reg.root();
    let mut ns: Vec<u64> = Vec::with_capacity(calls);
    for i in 0..calls {
        let t = Instant::now();
        root.log(
            Level::Warn,
            format_args!("request {i} done in {} ms user=ana", 42),
        );
        ns.push(t.elapsed().as_nanos() as u64);
    }
    let dropped = h.dropped();
    gate.release();
    h.flush_by(far());
    ns.sort_unstable();
    let pct = |p: f64| ns[((ns.len() as f64 * p) as usize).min(ns.len() - 1)];
    println!(
        "stalled writer, default policy, {calls} calls ({dropped} dropped): \
         p50 {} ns, p99 {} ns, p99.9 {} ns, max {} ns",
        pct(0.50),
        pct(0.99),
        pct(0.999),
        ns[ns.len() - 1]
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20);
    targets = enqueue, stalled, throughput
}

fn main() {
    // `cargo test --benches` passes `--bench` only when benchmarking: keep test runs short.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    stalled_latency_report(if benchmarking { 1_000_000 } else { 10_000 });
    benches();
    Criterion::default().configure_from_args().final_summary();
}
