//! Records per second into a `SqliteHandler` on a temporary file: end to end (queued, batched,
//! committed, waited for with `flush_by`), and the caller's cost per record alone.
//!
//! Quick run: `cargo bench -p scoped-logger-benches --bench sqlite -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use scoped_logger::handler::queue::{Policy, QueueOptions};
use scoped_logger::kv::Value;
use scoped_logger::{Handler, Level, Record, SqliteHandler};

const BATCH: u64 = 1000;

fn log_one(h: &SqliteHandler, i: u64) {
    let kvs = [("job", Value::U64(i)), ("user", Value::Str("ana"))];
    h.handle(
        &Record::builder(Level::Info, "jobs.42", format_args!("step {i} done"))
            .key_values(&kvs)
            .thread_name(Some("bench"))
            .build(),
    );
}

fn sqlite(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("sqlite");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(BATCH));

    // Every record reaches the database: the caller blocks when the queue is full.
    let h = SqliteHandler::builder(dir.path().join("end_to_end.db"))
        .queue(QueueOptions::default().policy(Policy::Block))
        .open()
        .unwrap();
    group.bench_function("1000 records written and committed", |b| {
        b.iter(|| {
            for i in 0..BATCH {
                log_one(&h, black_box(i));
            }
            assert!(h.flush_by(Instant::now() + Duration::from_secs(60)));
        })
    });
    h.close();
    assert_eq!(h.dropped(), 0);

    // What a log call costs the caller: only the calls are timed; the queue (16 384 records) is
    // emptied between iterations, untimed, so none of the timed calls is a cheap drop.
    let h = SqliteHandler::open(dir.path().join("caller.db")).unwrap();
    group.bench_function("1000 log calls (caller side)", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                for i in 0..BATCH {
                    log_one(&h, black_box(i));
                }
                timed += start.elapsed();
                assert!(h.flush_by(Instant::now() + Duration::from_secs(60)));
            }
            timed
        })
    });
    h.close();
    assert_eq!(h.dropped(), 0);
    group.finish();
}

criterion_group!(benches, sqlite);
criterion_main!(benches);
