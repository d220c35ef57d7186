//! Memory use of the logger tree, measured from the process's resident set (`VmRSS` in
//! `/proc/self/status`), and checked: CI runs this example, and it exits non-zero when a target
//! is missed.
//!
//! 1. Churn: 10,000,000 scope enter/exit cycles, each under a new name. The resident set after
//!    them minus the one after the first 1,000 must stay under 1 MiB, and no entry may remain.
//! 2. Live scopes: bytes per live scope with no handler, for 1,000,000 of them at once.
//! 3. Persistent loggers: a million created, then removed; `node_count()` must be back to 0.
//!
//! Each phase runs in a fresh child process (this program started again with `--phase NAME`),
//! so that memory one phase freed and the allocator kept cannot hide another phase's growth, and
//! so that the churn runs beside the other two.
//!
//! ```text
//! cargo run --release --example memory
//! ```
//! Linux only (it reads `/proc`); elsewhere it says so and exits successfully.

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Instant;

use scoped_logger::{Registry, ScopedLogger};

const CHURN_CYCLES: usize = 10_000_000;
const CHURN_WARMUP: usize = 1_000;
const LIVE_SCOPES: usize = 1_000_000;
const PERSISTENT: usize = 1_000_000;
const MAX_GROWTH_BYTES: u64 = 1 << 20;

/// The resident set size in bytes, if this system has `/proc/self/status`.
fn rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Writes `prefix.i` into `buf` (reused, so the loop itself allocates nothing).
fn name<'a>(buf: &'a mut String, prefix: &str, i: usize) -> &'a str {
    buf.clear();
    let _ = write!(buf, "{prefix}.{i}");
    buf
}

const PHASES: [&str; 3] = ["churn", "live", "persistent"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, phase] = args.as_slice()
        && flag == "--phase"
    {
        return run_phase(phase);
    }
    if rss().is_none() {
        println!("memory: /proc/self/status is not readable here; nothing measured");
        return ExitCode::SUCCESS;
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("memory: cannot find this program to run its phases: {e}");
            return ExitCode::FAILURE;
        }
    };
    let spawn = |phase: &str| {
        std::process::Command::new(&exe)
            .args(["--phase", phase])
            .stdout(std::process::Stdio::piped())
            .spawn()
    };
    // The churn is the long one: it runs beside the other two, which run one after the other.
    let mut ok = true;
    let mut report = |phase: &str, child: std::io::Result<std::process::Child>| match child
        .and_then(|c| c.wait_with_output())
    {
        Ok(out) => {
            print!("{}", String::from_utf8_lossy(&out.stdout));
            if !out.status.success() {
                eprintln!("memory: phase {phase} failed ({})", out.status);
                ok = false;
            }
        }
        Err(e) => {
            eprintln!("memory: cannot run phase {phase}: {e}");
            ok = false;
        }
    };
    let churn = spawn(PHASES[0]);
    for phase in &PHASES[1..] {
        report(phase, spawn(phase));
    }
    report(PHASES[0], churn);
    if ok {
        println!("memory: all targets met");
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn run_phase(phase: &str) -> ExitCode {
    let failures = match phase {
        "churn" => churn(),
        "live" => live(),
        "persistent" => persistent(),
        other => vec![format!(
            "unknown phase `{other}`; the phases are {PHASES:?}"
        )],
    };
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        for f in &failures {
            eprintln!("memory: FAILED: {f}");
        }
        ExitCode::FAILURE
    }
}
/// 10,000,000 enter/exit cycles, each under a new name; the resident set must not grow.
fn churn() -> Vec<String> {
    let mut failures = Vec::new();
    let mut buf = String::with_capacity(32);
    let reg = Registry::new();
    let t = Instant::now();
    let mut cycle = |i: usize| {
        let scope = reg
            .scope(name(&mut buf, "jobs", i))
            .enter()
            .expect("a valid scope name");
        drop(scope);
    };
    for i in 0..CHURN_WARMUP {
        cycle(i);
    }
    let after_warmup = rss().unwrap_or(0);
    for i in CHURN_WARMUP..CHURN_CYCLES {
        cycle(i);
    }
    let after_churn = rss().unwrap_or(0);
    let growth = after_churn.saturating_sub(after_warmup);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "churn: {CHURN_CYCLES} enter/exit cycles, a new name each, in {secs:.1} s ({:.0} ns each)\n\
         churn: resident set {:.2} MiB after {CHURN_WARMUP}, {:.2} MiB after all: growth {growth} bytes \
         (target < {MAX_GROWTH_BYTES}); node_count {}",
        secs * 1e9 / CHURN_CYCLES as f64,
        mib(after_warmup),
        mib(after_churn),
        reg.node_count(),
    );
    if growth >= MAX_GROWTH_BYTES {
        failures.push(format!(
            "churn grew the resident set by {growth} bytes (limit {MAX_GROWTH_BYTES})"
        ));
    }
    if reg.node_count() != 0 {
        failures.push(format!(
            "churn left {} entries in the tree",
            reg.node_count()
        ));
    }
    failures
}

/// Bytes per live scope with no handler, for 1,000,000 at once.
fn live() -> Vec<String> {
    let mut failures = Vec::new();
    let mut buf = String::with_capacity(32);
    let reg = Registry::new();
    // The guards' own storage is reserved first: a guard lives on its task's stack, so what is
    // counted is what the tree keeps per scope.
    let mut live: Vec<ScopedLogger> = Vec::with_capacity(LIVE_SCOPES);
    let before = rss().unwrap_or(0);
    let t = Instant::now();
    for i in 0..LIVE_SCOPES {
        live.push(
            reg.scope(name(&mut buf, "jobs", i))
                .open()
                .expect("a valid scope name"),
        );
    }
    let opened = t.elapsed().as_secs_f64();
    let after = rss().unwrap_or(0);
    let delta = after.saturating_sub(before);
    println!(
        "live scopes: {LIVE_SCOPES} open at once, no handler: resident set +{:.1} MiB = {:.0} bytes per scope \
         (the {}-byte guard not counted); node_count {}; opened in {opened:.2} s",
        mib(delta),
        delta as f64 / LIVE_SCOPES as f64,
        std::mem::size_of::<ScopedLogger>(),
        reg.node_count(),
    );
    let t = Instant::now();
    drop(live);
    println!(
        "live scopes: all ended in {:.2} s; node_count {}",
        t.elapsed().as_secs_f64(),
        reg.node_count()
    );
    let count_after_end = reg.node_count();
    let ended = rss().unwrap_or(0);
    drop(reg);
    let dropped = rss().unwrap_or(0);
    println!(
        "live scopes: the emptied registry was holding {:.1} MiB (resident set {:.1} MiB before dropping it, {:.1} MiB after)",
        mib(ended.saturating_sub(dropped)),
        mib(ended),
        mib(dropped),
    );
    if count_after_end != 0 {
        failures.push(format!(
            "ending {LIVE_SCOPES} scopes left {count_after_end} entries"
        ));
    }
    failures
}

/// A million persistent loggers created, then removed: the tree must be empty again.
fn persistent() -> Vec<String> {
    let mut failures = Vec::new();
    let mut buf = String::with_capacity(32);
    let reg = Registry::new();
    let before = rss().unwrap_or(0);
    let t = Instant::now();
    for i in 0..PERSISTENT {
        drop(reg.logger(name(&mut buf, "svc", i)));
    }
    let created = rss().unwrap_or(0);
    let count_created = reg.node_count();
    let mut not_removed = 0usize;
    for i in 0..PERSISTENT {
        if !reg.remove(name(&mut buf, "svc", i)) {
            not_removed += 1;
        }
    }
    let removed = rss().unwrap_or(0);
    let count_after_removal = reg.node_count();
    println!(
        "persistent loggers: {PERSISTENT} created: node_count {count_created}, resident set {:.1} MiB \
         (+{:.0} bytes per logger)\n\
         persistent loggers: all removed: node_count {}, resident set {:.1} MiB; {:.2} s in all",
        mib(created),
        created.saturating_sub(before) as f64 / PERSISTENT as f64,
        count_after_removal,
        mib(removed),
        t.elapsed().as_secs_f64(),
    );
    // An emptied tree should not keep what a burst made it grow to.
    drop(reg);
    let dropped = rss().unwrap_or(0);
    println!(
        "persistent loggers: the emptied registry was holding {:.1} MiB (resident set after dropping it: {:.1} MiB)",
        mib(removed.saturating_sub(dropped)),
        mib(dropped),
    );
    if not_removed != 0 {
        failures.push(format!("{not_removed} loggers could not be removed"));
    }
    if count_after_removal != 0 {
        failures.push(format!(
            "removing {PERSISTENT} loggers left {count_after_removal} entries"
        ));
    }
    failures
}
