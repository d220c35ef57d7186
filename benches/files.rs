//! Log files: the caller's cost per record of a rotating file with and without gzip backups (the
//! compression runs on the shared background thread, so the caller's cost should barely move),
//! and records per second through one shared path from 2 threads (two handlers, one writer) and
//! from 2 processes (plain appends: rotation is one process per path).
//!
//! `cargo bench -p scoped-logger-benches --bench files -- --quick` runs it in well under a minute.
//! The 2-process figure includes starting the two processes for each sample.

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use scoped_logger::{FileHandler, Handler, Level, Record, RotatingFileHandler};

const CHILD: &str = "SCOPED_LOGGER_BENCH_FILES_CHILD";

fn record_into(h: &dyn Handler, i: u64) {
    h.handle(
        &Record::builder(
            Level::Info,
            "jobs.42",
            format_args!("request {i} served in 12 ms with status 200 from upstream cache"),
        )
        .build(),
    );
}

/// The caller's cost per record with 1 MiB files rotated: plain backups against gzip ones.
fn rotation(c: &mut Criterion) {
    let mut group = c.benchmark_group("rotation");
    group.throughput(Throughput::Elements(1));
    for compress in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let h = RotatingFileHandler::builder(dir.path().join("app.log"))
            .max_bytes(1 << 20)
            .backups(3)
            .compress(compress)
            .open()
            .unwrap();
        let name = if compress {
            "gzip_backups"
        } else {
            "plain_backups"
        };
        let mut i = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                i += 1;
                record_into(black_box(&h), i);
            })
        });
        assert!(h.close_by(Instant::now() + Duration::from_secs(60)));
    }
    group.finish();
}

/// Two threads, each with its own handler on one path (they share the process's one writer).
fn shared_path(c: &mut Criterion) {
    let mut group = c.benchmark_group("shared_path");
    group.throughput(Throughput::Elements(2));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let open = || {
        RotatingFileHandler::builder(&path)
            .max_bytes(8 << 20)
            .backups(2)
            .open()
            .unwrap()
    };
    let (a, b) = (open(), open());
    group.bench_function("2_threads", |bench| {
        bench.iter_custom(|iters| {
            let start = Instant::now();
            std::thread::scope(|s| {
                for h in [&a, &b] {
                    s.spawn(move || {
                        for i in 0..iters {
                            record_into(h, i);
                        }
                    });
                }
            });
            start.elapsed()
        })
    });
    drop((a, b));

    let path = dir.path().join("plain.log");
    group.bench_function("2_processes", |bench| {
        bench.iter_custom(|iters| {
            let start = Instant::now();
            let children: Vec<_> = (0..2)
                .map(|_| {
                    Command::new(std::env::current_exe().unwrap())
                        .env(CHILD, format!("{}\n{iters}", path.display()))
                        .spawn()
                        .unwrap()
                })
                .collect();
            for mut child in children {
                assert!(child.wait().unwrap().success());
            }
            let elapsed = start.elapsed();
            let _ = std::fs::remove_file(&path);
            elapsed
        })
    });
    group.finish();
}

/// A child process of `2_processes`: appends `iters` records to the path and exits.
fn child(spec: &str) {
    let (path, iters) = spec.split_once('\n').unwrap();
    let h = FileHandler::create(Path::new(path)).unwrap();
    for i in 0..iters.parse::<u64>().unwrap() {
        record_into(&h, i);
    }
}

criterion_group!(benches, rotation, shared_path);

fn main() {
    if let Ok(spec) = std::env::var(CHILD) {
        return child(&spec);
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
