//! Scope churn at scale: entering and leaving one scope while N other scopes are alive under the
//! same parent (N = 0, 10^3, 10^6). The cost must not grow with N.
//!
//! `scope_churn_2_threads` runs the same loop on two threads at once, under a shared prefix: each
//! thread its own name (`distinct_names`), or both the same name (`same_name`, the join path).
//! The figure there is wall time per enter+exit per thread while both run.
//!
//! `scope_exit_order`: 10^6 entered scopes, then the time to drop them all, newest first (the
//! nesting order) or oldest first (scopes kept in a `Vec` and dropped front to back). An exit
//! must cost the same whatever the order: the target is oldest first at most 2x newest first.

mod common;

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode};
use scoped_logger::{MemoryHandler, Registry, ScopedLogger};

/// Sizes of the live population. 10^6 takes a few seconds to build and tear down.
const POPULATIONS: [usize; 3] = [0, 1_000, 1_000_000];

/// One enter + exit. With the macros this is a `#[scoped_logger(name = ..., registry = ...)]` fn.
#[inline(never)]
fn churn(reg: &Registry, name: &str) {
    let scope = reg.scope(name).enter().expect("a valid scope name");
    black_box(&scope);
}

/// `n` live scopes `bg.0 .. bg.{n-1}` (opened, not entered: they are not on this thread's stack).
fn population(reg: &Registry, n: usize) -> Vec<ScopedLogger> {
    (0..n)
        .map(|i| {
            reg.scope(&format!("bg.{i}"))
                .open()
                .expect("a valid scope name")
        })
        .collect()
}

fn one_thread(c: &mut Criterion) {
    let mut g = c.benchmark_group("scope_churn");
    for n in POPULATIONS {
        let reg = Registry::new();
        let alive = population(&reg, n);
        assert_eq!(reg.node_count(), n + usize::from(n > 0));
        g.bench_with_input(BenchmarkId::new("enter_exit", n), &n, |b, _| {
            b.iter(|| churn(&reg, "bg.churn"))
        });
        drop(alive);
        assert_eq!(reg.node_count(), 0, "every scope must be gone");
    }
    // The same with a handler the scope owns: its factory runs, it is attached, flushed and
    // closed on every cycle.
    let reg = Registry::new();
    let mem = MemoryHandler::new();
    g.bench_function("enter_exit_with_memory_handler/0", |b| {
        b.iter(|| {
            let m = mem.clone();
            let scope = reg
                .scope("bg.churn")
                .handler(move || Ok::<_, std::io::Error>(m))
                .enter()
                .expect("a valid scope name");
            black_box(&scope);
        })
    });
    assert_eq!(reg.node_count(), 0);
    g.finish();
}

/// Runs `iters` churns on each of two threads at once; the slower thread's time is the figure.
fn two_threads(reg: &Registry, iters: u64, names: [&str; 2]) -> Duration {
    let start = Barrier::new(2);
    std::thread::scope(|s| {
        let handles = names.map(|name| {
            let start = &start;
            s.spawn(move || {
                start.wait();
                let t = Instant::now();
                for _ in 0..iters {
                    churn(reg, name);
                }
                t.elapsed()
            })
        });
        handles
            .into_iter()
            .map(|h| h.join().expect("a churn thread panicked"))
            .max()
            .unwrap_or_default()
    })
}

fn two(c: &mut Criterion) {
    let mut g = c.benchmark_group("scope_churn_2_threads");
    for n in [0, 1_000] {
        let reg = Registry::new();
        let alive = population(&reg, n);
        g.bench_with_input(BenchmarkId::new("distinct_names", n), &n, |b, _| {
            b.iter_custom(|iters| two_threads(&reg, iters, ["bg.worker1", "bg.worker2"]))
        });
        g.bench_with_input(BenchmarkId::new("same_name", n), &n, |b, _| {
            b.iter_custom(|iters| two_threads(&reg, iters, ["bg.shared", "bg.shared"]))
        });
        drop(alive);
        assert_eq!(reg.node_count(), 0, "every scope must be gone");
    }
    g.finish();
}

/// Scopes entered at once for `scope_exit_order`.
const STACKED: usize = 1_000_000;

/// Enters [`STACKED`] scopes `iters` times and drops them in the given order; only the drops
/// are timed.
fn drop_in_order(reg: &Registry, iters: u64, oldest_first: bool) -> Duration {
    let mut took = Duration::ZERO;
    for _ in 0..iters {
        let mut scopes: Vec<ScopedLogger> = (0..STACKED)
            .map(|_| reg.scope("bg.stacked").enter().expect("a valid scope name"))
            .collect();
        if !oldest_first {
            scopes.reverse();
        }
        let t = Instant::now();
        // A `Vec` drops its elements front to back.
        drop(black_box(scopes));
        took += t.elapsed();
    }
    took
}

fn exit_order(c: &mut Criterion) {
    let mut g = c.benchmark_group("scope_exit_order");
    // One build of 10^6 scopes per sample: flat sampling keeps it to `sample_size` builds.
    g.sampling_mode(SamplingMode::Flat).sample_size(10);
    let reg = Registry::new();
    for (name, oldest_first) in [("newest_first", false), ("oldest_first", true)] {
        g.bench_with_input(BenchmarkId::new(name, STACKED), &STACKED, |b, _| {
            b.iter_custom(|iters| drop_in_order(&reg, iters, oldest_first))
        });
    }
    assert_eq!(reg.node_count(), 0, "every scope must be gone");
    g.finish();
}

fn main() {
    let mut c = common::criterion();
    one_thread(&mut c);
    two(&mut c);
    exit_order(&mut c);
    c.final_summary();
    if common::measuring() {
        common::print_ratios(
            "scope_churn",
            "enter_exit/0",
            &["enter_exit/1000", "enter_exit/1000000"],
        );
        common::print_ratios(
            "scope_churn_2_threads",
            "distinct_names/0",
            &["distinct_names/1000", "same_name/0", "same_name/1000"],
        );
        common::print_ratios(
            "scope_exit_order",
            "newest_first/1000000",
            &["oldest_first/1000000"],
        );
        // Two threads against one: how much the shared registry lock costs.
        if let (Some(one), Some(two)) = (
            common::median_ns("scope_churn", "enter_exit/0"),
            common::median_ns("scope_churn_2_threads", "distinct_names/0"),
        ) {
            println!(
                "\n2 threads vs 1 (N = 0): {} vs {} per enter+exit per thread, ratio {:.2}",
                common::human(two),
                common::human(one),
                two / one
            );
        }
    }
}
