//! Slow and stuck tasks, measured: what `slow`/`stuck` add to a scope that never fires, the
//! watchdog's memory and CPU with 10^6 live stuck-watched scopes, and what entering and leaving
//! scopes on another thread costs while 10^4 of them fire at once.
//!
//! `cargo bench -p scoped-logger-benches --bench timing -- --quick`

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main};
use scoped_logger::scope::FlightRecorder;
use scoped_logger::timing::ManualClock;
use scoped_logger::{LevelFilter, NullHandler, Registry, debug};

fn timed_scopes(c: &mut criterion::Criterion) {
    let reg = Registry::new();
    reg.root().add_handler(NullHandler);
    // `TIMING_BENCH_COUNT=case:n` (untimed, slow, stuck): `n` enter+exit cycles, then exit, for
    // instruction counts under callgrind (see BENCHMARKS.md).
    if let Ok(spec) = std::env::var("TIMING_BENCH_COUNT") {
        let (case, n) = spec.split_once(':').expect("case:count");
        let n: u64 = n.parse().expect("a count");
        for _ in 0..n {
            let b = reg.scope("jobs.1");
            let b = match case {
                "untimed" => b,
                "slow" => b.slow(Duration::from_secs(60)),
                "stuck" => b.stuck(Duration::from_secs(3600)),
                other => panic!("unknown case {other}"),
            };
            drop(b.enter().unwrap());
        }
        std::process::exit(0);
    }
    let mut g = c.benchmark_group("timing_enter");
    g.bench_function("enter+exit, untimed", |b| {
        b.iter(|| drop(reg.scope("jobs.1").enter().unwrap()))
    });
    g.bench_function("enter+exit, slow", |b| {
        b.iter(|| {
            drop(
                reg.scope("jobs.1")
                    .slow(Duration::from_secs(60))
                    .enter()
                    .unwrap(),
            )
        })
    });
    g.bench_function("enter+exit, stuck", |b| {
        b.iter(|| {
            drop(
                reg.scope("jobs.1")
                    .stuck(Duration::from_secs(3600))
                    .enter()
                    .unwrap(),
            )
        })
    });
    g.finish();
    if common::measuring() {
        common::print_ratios(
            "timing_enter",
            "enter+exit, untimed",
            &["enter+exit, slow", "enter+exit, stuck"],
        );
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Not criterion: one-off figures for a million watched scopes and a burst of 10^4 firing.
fn watchdog_at_scale(_: &mut criterion::Criterion) {
    if !common::measuring() {
        return;
    }
    let reg = Registry::new();
    let clock = Arc::new(ManualClock::new());
    reg.set_task_clock(clock.clone());
    reg.root().add_handler(NullHandler);
    reg.root().set_level(LevelFilter::Info);
    const N: usize = 1_000_000;
    let before = rss_kib();
    let mut live = Vec::with_capacity(N);
    let t = Instant::now();
    for i in 0..N {
        live.push(
            reg.scope(&format!("w.{i}"))
                .stuck(Duration::from_secs(30))
                .enter()
                .unwrap(),
        );
    }
    let made = t.elapsed();
    reg.check_stuck_scopes(); // takes them in
    let rss = rss_kib() - before;
    let t = Instant::now();
    reg.check_stuck_scopes();
    let pass = t.elapsed();
    println!(
        "\nwatchdog: {N} live stuck-watched scopes made in {made:.2?}; RSS +{} MiB ({} B per scope, the scope's entry included); one pass over them {pass:.2?} (at the 1 s tick a 30 s threshold gives: {:.1}% of a core)",
        rss / 1024,
        rss * 1024 / N as u64,
        pass.as_secs_f64() * 100.0
    );
    while let Some(s) = live.pop() {
        drop(s);
    }

    // 10^4 fire at once (each with a 5-record trail), while another thread enters and leaves
    // scopes of another registry: its slowest enter+exit during the burst, against before it.
    let burst = Registry::new();
    burst.set_task_clock(clock.clone());
    burst.root().add_handler(NullHandler);
    burst.root().set_level(LevelFilter::Info);
    burst.set_replay_budget(1_000_000);
    let mut firing = Vec::new();
    for i in 0..10_000 {
        let s = burst
            .scope(&format!("b.{i}"))
            .flight_recorder(FlightRecorder::new(LevelFilter::Debug))
            .stuck(Duration::from_secs(1))
            .enter()
            .unwrap();
        for k in 0..5 {
            debug!("step {k}");
        }
        firing.push(s);
    }
    burst.check_stuck_scopes();
    let other = Registry::new();
    let worst = |stop: &AtomicBool| {
        let mut worst = Duration::ZERO;
        let mut n = 0u64;
        while !stop.load(Ordering::Relaxed) || n < 1000 {
            let t = Instant::now();
            drop(other.scope("other.1").enter().unwrap());
            worst = worst.max(t.elapsed());
            n += 1;
        }
        (worst, n)
    };
    let stop = AtomicBool::new(false);
    let quiet = std::thread::scope(|s| {
        let h = s.spawn(|| worst(&stop));
        std::thread::sleep(Duration::from_millis(200));
        stop.store(true, Ordering::Relaxed);
        h.join().unwrap()
    });
    let stop = AtomicBool::new(false);
    let (during, fired) = std::thread::scope(|s| {
        let h = s.spawn(|| worst(&stop));
        clock.advance(Duration::from_secs(2));
        let t = Instant::now();
        burst.check_stuck_scopes();
        let fired = t.elapsed();
        stop.store(true, Ordering::Relaxed);
        (h.join().unwrap(), fired)
    });
    println!(
        "burst: 10^4 stuck reports (+5 trail records each) took the watchdog {fired:.2?}; enter+exit on another thread: worst {:.2?} over {} before, {:.2?} over {} during",
        quiet.0, quiet.1, during.0, during.1
    );
    while let Some(s) = firing.pop() {
        drop(s);
    }
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = timed_scopes, watchdog_at_scale
}
criterion_main!(benches);
