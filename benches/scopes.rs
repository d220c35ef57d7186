//! Scope churn at scale: entering and leaving one scope while N other scopes are alive under the
//! same parent (N = 0, 10^3, 10^6). The cost must not grow with N.
//!
//! `scope_churn_2_threads` runs the same loop on two threads at once, under a shared prefix: each
//! thread its own name (`distinct_names`), or both the same name (`same_name`, the join path).
//! The figure there is wall time per enter+exit per thread while both run.

mod common;

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
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

fn main() {
    let mut c = common::criterion();
    one_thread(&mut c);
    two(&mut c);
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
