//! The demo: a worker pool runs many jobs, each a `#[scoped_logger]` function with its own
//! logger `jobs.<id>`. Every job's records reach one shared SQLite handler on `jobs` (one database
//! file, one connection); a job that fails (1 in 1000, deterministic) also gets its own file with
//! DEBUG detail, opened by its scope and closed when the scope ends.
//!
//! At the end it prints what matters: the registry is back to where it was, and no descriptor is
//! left open, after every task.
//!
//! Its output (the database, some 24 MB for 100,000 jobs, and the failed jobs' files) goes to a
//! folder in the temp dir, removed at the end unless `--keep` is given; with `--keep` or
//! `--dir PATH` it stays, and the last lines say where and how to query it with `sqlite3`.
//!
//! ```text
//! cargo run --release --features sqlite --example job_runner                      # 100,000 jobs
//! cargo run --release --features sqlite --example job_runner -- --keep            # keep the database
//! cargo run --release --features sqlite --example job_runner -- --jobs 5000 --check   # CI: asserts the numbers
//! ```

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use scoped_logger::handler::queue::{Policy, QueueOptions};
use scoped_logger::{
    FileHandler, HandlerExt as _, LevelFilter, Registry, SqliteHandler, debug, error, info,
    scoped_logger,
};

/// Why a job failed.
#[derive(Debug)]
enum JobError {
    Checksum { expected: u64, got: u64 },
    Io(io::Error),
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobError::Checksum { expected, got } => {
                write!(f, "checksum mismatch: expected {expected:#x}, got {got:#x}")
            }
            JobError::Io(e) => write!(f, "cannot open the job's detail file: {e}"),
        }
    }
}

impl From<io::Error> for JobError {
    fn from(e: io::Error) -> Self {
        JobError::Io(e)
    }
}

fn fails(id: u64) -> bool {
    id % 1000 == 999
}

/// The detail file for a job that will fail; other jobs get none (`None` handles nothing).
fn detail_file(id: u64, dir: &Path) -> io::Result<Option<FileHandler>> {
    if fails(id) {
        FileHandler::create(dir.join(format!("job-{id}.log"))).map(Some)
    } else {
        Ok(None)
    }
}

#[scoped_logger(name = "jobs.{id}", level = "debug", handler = detail_file(id, dir),
                fields(job = id, attempt = 1))]
fn run_job(id: u64, dir: &Path) -> Result<u64, JobError> {
    info!("started"); // carries job=<id> attempt=1, as every record of the job does
    let input = id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    debug!(input; "parsed input");
    let got = input.rotate_left(7) ^ id;
    let expected = if fails(id) { got + 1 } else { got };
    debug!(expected, got; "computed checksum");
    if expected != got {
        error!(expected, got; "checksum mismatch");
        return Err(JobError::Checksum { expected, got });
    }
    info!("done");
    Ok(got)
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// One number out of the database.
fn count(conn: &rusqlite::Connection, sql: &str) -> rusqlite::Result<u64> {
    conn.query_row(sql, [], |r| r.get(0))
}

/// The size of the files in `dir` (not recursive: the demo writes no sub-folder).
fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |d| {
        d.filter_map(Result::ok)
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum()
    })
}

struct Args {
    jobs: u64,
    workers: usize,
    check: bool,
    dir: PathBuf,
    /// Keep the output folder: asked with `--keep`, or implied by `--dir` (the user's place).
    keep: bool,
}

fn args() -> Args {
    let mut a = Args {
        jobs: 100_000,
        workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
        check: false,
        dir: std::env::temp_dir().join(format!("scoped-logger-demo-{}", std::process::id())),
        keep: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--jobs" => a.jobs = it.next().and_then(|v| v.parse().ok()).expect("--jobs N"),
            "--workers" => a.workers = it.next().and_then(|v| v.parse().ok()).expect("--workers N"),
            "--dir" => {
                a.dir = it.next().map(PathBuf::from).expect("--dir PATH");
                a.keep = true;
            }
            "--keep" => a.keep = true,
            "--check" => a.check = true,
            other => {
                eprintln!(
                    "unknown argument {other}; use --jobs N --workers N --dir PATH --keep --check"
                );
                std::process::exit(2);
            }
        }
    }
    a
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args();
    std::fs::create_dir_all(&args.dir)?;
    let _guard = scoped_logger::init()?;
    let reg = Registry::global();

    // One shared database for every job's records (INFO and above; DEBUG goes only to the
    // failing jobs' own files). Records stop at `jobs`: stderr stays quiet.
    let db_path = args.dir.join("jobs.db");
    let jobs = reg.logger("jobs");
    jobs.set_propagate(false);
    // The database is the record of what the jobs did: here a full queue makes the job wait
    // rather than lose the record (`Policy::Block`). The default, for stderr and for SQLite
    // alike, is to drop and count.
    let db = std::sync::Arc::new(
        SqliteHandler::builder(&db_path)
            .queue(QueueOptions::default().policy(Policy::Block))
            .open()?,
    );
    jobs.add_handler(db.clone().with_level(LevelFilter::Info));

    let nodes_before = reg.node_count();
    let fds_before = open_fds();
    let start = Instant::now();
    println!(
        "running {} jobs on {} workers; output in {}",
        args.jobs,
        args.workers,
        args.dir.display()
    );

    let next = AtomicU64::new(0);
    let done = AtomicU64::new(0);
    let failed = AtomicU64::new(0);
    let first_failure = std::sync::OnceLock::new();
    let (finished_tx, finished_rx) = mpsc::channel::<()>();
    std::thread::scope(|s| {
        for _ in 0..args.workers {
            let tx = finished_tx.clone();
            let (next, done, failed, dir) = (&next, &done, &failed, &args.dir);
            let first_failure = &first_failure;
            s.spawn(move || {
                loop {
                    let id = next.fetch_add(1, Ordering::Relaxed);
                    if id >= args.jobs {
                        break;
                    }
                    if let Err(e) = run_job(id, dir) {
                        failed.fetch_add(1, Ordering::Relaxed);
                        first_failure.get_or_init(|| format!("job {id}: {e}"));
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
                drop(tx);
            });
        }
        drop(finished_tx);
        // Progress five times a second until every worker has finished.
        while let Err(mpsc::RecvTimeoutError::Timeout) =
            finished_rx.recv_timeout(Duration::from_millis(200))
        {
            println!(
                "  {:>7} / {} jobs, {} failed, {} loggers live, {:.1}s",
                done.load(Ordering::Relaxed),
                args.jobs,
                failed.load(Ordering::Relaxed),
                reg.len(),
                start.elapsed().as_secs_f64()
            );
        }
    });
    let elapsed = start.elapsed();
    let nodes_after = reg.node_count();
    let fds_after = open_fds();

    // Write everything out, then count what reached the database.
    let flushed = reg.shutdown(Duration::from_secs(10));
    let conn = rusqlite::Connection::open(&db_path)?;
    let rows = count(
        &conn,
        "SELECT count(*) FROM logs WHERE logger LIKE 'jobs.%'",
    )?;
    // The scope's fields are columns a consumer can query: every row knows its job.
    let with_job = count(
        &conn,
        "SELECT count(*) FROM logs WHERE json_extract(kv, '$.job') = CAST(substr(logger, 6) AS INTEGER)",
    )?;
    let sample: String = conn.query_row(
        "SELECT level || ' ' || logger || ': ' || message || ' ' || kv FROM logs WHERE level = 'ERROR' LIMIT 1",
        [],
        |r| r.get(0),
    )?;
    // Unnamed pool workers are told apart by their thread id.
    let with_thread = count(
        &conn,
        "SELECT count(*) FROM logs WHERE logger LIKE 'jobs.%' AND thread <> ''",
    )?;
    let threads = count(
        &conn,
        "SELECT count(DISTINCT thread) FROM logs WHERE logger LIKE 'jobs.%'",
    )?;
    drop(conn);
    let files = std::fs::read_dir(&args.dir)?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("job-"))
        .count() as u64;
    let (done, failed) = (done.into_inner(), failed.into_inner());
    let expected_rows = done * 2; // "started" + ("done" | "checksum mismatch")

    println!("jobs done:            {done} ({failed} failed)");
    if let Some(f) = first_failure.get() {
        println!("first failure:        {f}");
    }
    println!(
        "rows in table `logs`: {rows} (expected {expected_rows}, dropped {})",
        db.dropped()
    );
    println!("rows with their job:  {with_job} (json_extract(kv, '$.job'))");
    println!("rows with a thread:   {with_thread}, from {threads} threads (the id when unnamed)");
    println!("a failure's row:      {sample}");
    println!("per-job files:        {files}");
    println!("registry node_count:  {nodes_before} before, {nodes_after} after");
    println!("open descriptors:     {fds_before} before, {fds_after} after");
    println!(
        "peak RSS:             {:.1} MiB",
        peak_rss_kib() as f64 / 1024.0
    );
    println!(
        "elapsed:              {:.2}s ({:.0} jobs/s), flushed in time: {flushed}",
        elapsed.as_secs_f64(),
        done as f64 / elapsed.as_secs_f64()
    );

    if args.check {
        let mut problems = Vec::new();
        if done != args.jobs {
            problems.push(format!("{done} jobs done, expected {}", args.jobs));
        }
        if failed != args.jobs / 1000 {
            problems.push(format!("{failed} failed, expected {}", args.jobs / 1000));
        }
        if files != failed {
            problems.push(format!("{files} detail files for {failed} failed jobs"));
        }
        if nodes_after != nodes_before {
            problems.push(format!("node_count {nodes_before} -> {nodes_after}"));
        }
        if fds_after != fds_before {
            problems.push(format!("descriptors {fds_before} -> {fds_after}"));
        }
        if with_job != rows {
            problems.push(format!("{with_job} of {rows} rows carry their job's field"));
        }
        if rows != expected_rows || db.dropped() != 0 {
            problems.push(format!(
                "{rows} rows (and {} dropped) for {expected_rows} records",
                db.dropped()
            ));
        }
        if with_thread != rows {
            problems.push(format!("{with_thread} of {rows} rows say their thread"));
        }
        if !problems.is_empty() {
            eprintln!(
                "check failed: {}; output left in {}",
                problems.join("; "),
                args.dir.display()
            );
            std::process::exit(1);
        }
        println!("check: ok");
    }

    // Say what is left on disk, and where; remove it unless asked to keep it.
    let size_mb = dir_bytes(&args.dir) as f64 / 1e6;
    if args.keep {
        println!(
            "output kept:          {} ({size_mb:.1} MB); remove it with: rm -r {}",
            args.dir.display(),
            args.dir.display()
        );
        println!(
            "query it:             sqlite3 {} \"SELECT time, level, logger, message, kv, thread FROM logs WHERE level = 'ERROR' LIMIT 5\"",
            db_path.display()
        );
    } else {
        drop(db);
        std::fs::remove_dir_all(&args.dir)?;
        println!(
            "output removed:       {} ({size_mb:.1} MB); run with --keep to query it with sqlite3",
            args.dir.display()
        );
    }
    Ok(())
}
