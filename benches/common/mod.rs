//! Shared by the bench binaries: the criterion settings (short, so `--quick` runs of the whole
//! suite fit in a few minutes on two shared cores) and the ratio table printed after a run.
//!
//! Each bench binary uses a subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Barrier, OnceLock};
use std::time::{Duration, Instant};

use criterion::Criterion;

/// Short warm-up and measurement; command-line flags (`--quick`, filters) still apply on top.
pub fn criterion() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20)
        .configure_from_args()
}

/// Where criterion writes its results, found the way criterion finds it (its
/// `default_output_directory`), so that the ratio table reads what this run wrote: the bench
/// package is a workspace member, so its own folder has no `target/`, and a target dir set in a
/// cargo config (not the environment) is only known to `cargo metadata`.
fn criterion_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(home) = std::env::var_os("CRITERION_HOME") {
            return PathBuf::from(home);
        }
        if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
            return PathBuf::from(target).join("criterion");
        }
        cargo_metadata_target_dir()
            // Criterion's own fallback is `target/` under the current directory; the workspace's
            // is the better guess when `cargo metadata` cannot run.
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
            .join("criterion")
    })
    .clone()
}

/// The workspace's target dir as cargo reports it; `CARGO` is set when cargo runs the bench.
fn cargo_metadata_target_dir() -> Option<PathBuf> {
    let out = std::process::Command::new(std::env::var_os("CARGO")?)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    v["target_directory"].as_str().map(PathBuf::from)
}

/// The median (ns) of the last run of `group/id`, if that benchmark ran.
pub fn median_ns(group: &str, id: &str) -> Option<f64> {
    let path = criterion_dir()
        .join(group)
        .join(id)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["median"]["point_estimate"].as_f64()
}

/// Prints `peer / ours` for every peer of `group` that ran, from criterion's medians.
pub fn print_ratios(group: &str, ours: &str, peers: &[&str]) {
    let Some(base) = median_ns(group, ours) else {
        return;
    };
    println!("\n{group}: {ours} median {}", human(base));
    for peer in peers {
        if let Some(t) = median_ns(group, peer) {
            println!(
                "  {peer:<28} {:>12}   ratio peer/ours {:>8.2}",
                human(t),
                t / base
            );
        }
    }
}

/// Nanoseconds in a readable unit.
pub fn human(ns: f64) -> String {
    if ns < 1_000.0 {
        format!("{ns:.2} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else {
        format!("{:.2} ms", ns / 1_000_000.0)
    }
}

/// Whether criterion was asked to measure (`cargo bench`), not just to smoke-run each bench once
/// (`cargo test --benches`), so the ratio table is printed only when it means something.
pub fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Runs `work` on `threads` threads at once (started together) and returns the slowest
/// thread's time: what two threads cost each other shows as the slower one's wall time.
pub fn on_threads(threads: usize, work: &(dyn Fn() + Sync)) -> Duration {
    let start = Barrier::new(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let start = &start;
                s.spawn(move || {
                    start.wait();
                    let t = Instant::now();
                    work();
                    t.elapsed()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a bench thread panicked"))
            .max()
            .unwrap_or_default()
    })
}

/// A handler that formats the default text line into a per-thread buffer, then writes it to
/// `io::sink()`: a record's whole cost but for the output itself.
pub struct Discard;

thread_local! {
    static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::with_capacity(256));
}

impl scoped_logger::Handler for Discard {
    fn handle(&self, record: &scoped_logger::Record<'_>) {
        use scoped_logger::format::Format as _;
        use std::io::Write as _;
        BUF.with(|b| {
            let mut b = b.borrow_mut();
            b.clear();
            scoped_logger::format::TextFormat.format(record, &mut b);
            let _ = std::io::sink().write_all(&b);
        });
    }
}
