//! The tree's own costs, apart from any handler:
//!
//! 1. `level_change`: `set_level` on a logger with no scope below it and with 1,000,000 live
//!    scopes below it (the median of many rounds, toggling between two levels), and the same
//!    for a directive naming it (`Registry::configure`, which replaces the directive set).
//! 2. `deep_names`: creating (and removing) a logger whose name has 16, 64 and 256 segments:
//!    time should grow linearly with the length.
//! 3. After the criterion groups, a latency run (printed, not criterion's): enter+exit of a
//!    scope under the same parent, p50/p99/p99.9 over 2,000,000 cycles, first alone and then
//!    while another thread loops `set_level` on the parent. The second must not move.

mod common;

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use criterion::{BenchmarkId, Criterion};
use scoped_logger::{LevelFilter, Registry, ScopedLogger};

fn level_change(c: &mut Criterion) {
    let mut g = c.benchmark_group("level_change");
    for live in [0usize, 1_000_000] {
        let reg = Registry::new();
        let parent = reg.logger("svc");
        let scopes: Vec<ScopedLogger> = (0..live)
            .map(|i| reg.scope(&format!("svc.{i}")).open().unwrap())
            .collect();
        let mut flip = false;
        g.bench_with_input(BenchmarkId::new("set_level", live), &live, |b, _| {
            b.iter(|| {
                flip = !flip;
                parent.set_level(if flip {
                    LevelFilter::Debug
                } else {
                    LevelFilter::Info
                });
            })
        });
        // The operator's change: a directive naming the parent, replaced as a set.
        g.bench_with_input(BenchmarkId::new("configure", live), &live, |b, _| {
            b.iter(|| {
                flip = !flip;
                reg.configure(if flip {
                    "warn,svc=debug"
                } else {
                    "warn,svc=info"
                })
                .unwrap();
            })
        });
        assert_eq!(
            scopes.first().map(|s| s.effective_level()).is_some(),
            live > 0
        );
        drop(scopes);
        assert_eq!(reg.node_count(), 1);
    }
    g.finish();
}

fn deep_names(c: &mut Criterion) {
    let mut g = c.benchmark_group("deep_names");
    for segments in [16usize, 64, 256] {
        let reg = Registry::new();
        let name = vec!["segment"; segments].join(".");
        g.bench_with_input(
            BenchmarkId::new("create_remove", segments),
            &segments,
            |b, _| {
                b.iter(|| {
                    black_box(reg.logger(&name));
                    assert!(reg.remove(&name));
                })
            },
        );
        assert_eq!(reg.node_count(), 0);
    }
    g.finish();
}

fn percentiles(mut ns: Vec<u64>) -> (u64, u64, u64) {
    ns.sort_unstable();
    let at = |q: f64| ns[((ns.len() as f64 - 1.0) * q) as usize];
    (at(0.5), at(0.99), at(0.999))
}

fn enter_exit_latency(reg: &Registry, cycles: usize) -> Vec<u64> {
    let mut name = String::new();
    let mut out = Vec::with_capacity(cycles);
    for i in 0..cycles {
        use std::fmt::Write as _;
        name.clear();
        let _ = write!(name, "svc.{i}");
        let t = Instant::now();
        drop(black_box(reg.scope(&name).open().unwrap()));
        out.push(t.elapsed().as_nanos() as u64);
    }
    out
}

fn latency_under_level_changes() {
    const CYCLES: usize = 2_000_000;
    let reg = Registry::new();
    let parent = reg.logger("svc");
    let alone = percentiles(enter_exit_latency(&reg, CYCLES));
    let stop = AtomicBool::new(false);
    let (busy, changes) = std::thread::scope(|s| {
        let changer = s.spawn(|| {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                parent.set_level(if n.is_multiple_of(2) {
                    LevelFilter::Debug
                } else {
                    LevelFilter::Info
                });
                n += 1;
            }
            n
        });
        let busy = percentiles(enter_exit_latency(&reg, CYCLES));
        stop.store(true, Ordering::Relaxed);
        (busy, changer.join().unwrap())
    });
    println!("\nenter+exit under a persistent parent, {CYCLES} cycles (ns): p50 / p99 / p99.9");
    println!(
        "  alone                    {:>6} / {:>6} / {:>6}",
        alone.0, alone.1, alone.2
    );
    println!(
        "  with set_level looping   {:>6} / {:>6} / {:>6}   ({changes} level changes meanwhile)",
        busy.0, busy.1, busy.2
    );
}

fn main() {
    let mut c = common::criterion();
    level_change(&mut c);
    deep_names(&mut c);
    c.final_summary();
    if common::measuring() {
        println!();
        for (id, what) in [("set_level", "set_level"), ("configure", "a directive")] {
            let median = |n: &str| common::median_ns("level_change", &format!("{id}/{n}"));
            if let (Some(none), Some(million)) = (median("0"), median("1000000")) {
                println!(
                    "level_change by {what}: {} with no scope below, {} with 10^6 below (ratio {:.2})",
                    common::human(none),
                    common::human(million),
                    million / none
                );
            }
        }
        latency_under_level_changes();
    }
}
