//! Records per second from `SyslogHandler` over TCP into a real rsyslogd on loopback, which
//! writes each one to a file: formatting on the caller's thread, the queue, octet-counted frames,
//! rsyslog's parsing and its file action, end to end. `Policy::Block` so that every record is
//! sent (under the default `Policy::Drop` a caller outrunning rsyslog would drop instead).
//!
//! `cargo bench -p scoped-logger-benches --features syslog --bench syslog`; prints `SKIPPED: ...` when rsyslogd cannot
//! start (`bash .ci/rsyslog.sh` installs it).

#[path = "../tests/support/rsyslog.rs"]
mod rsyslog;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use scoped_logger::handler::queue::{Policy, QueueOptions};
use scoped_logger::handler::syslog::SyslogHandler;
use scoped_logger::kv::Value;
use scoped_logger::{Handler, Level, Record};

/// Records per measured iteration: enough that the final flush is a small part of it.
const BATCH: u64 = 10_000;

fn main() {
    let rs = match rsyslog::Rsyslogd::start() {
        Ok(rs) => rs,
        Err(why) => {
            println!("SKIPPED: rsyslogd not available: {why}");
            return;
        }
    };
    let handler = SyslogHandler::tcp(rs.tcp_addr())
        .app_name("bench")
        .queue(QueueOptions::default().policy(Policy::Block))
        .open()
        .expect("open the handler");

    let mut c = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    let mut group = c.benchmark_group("syslog");
    group.throughput(Throughput::Elements(BATCH));
    group.bench_function("tcp_to_rsyslog", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                for i in 0..BATCH {
                    let kvs = [("job", Value::U64(i)), ("user", Value::Str("ann"))];
                    let args = format_args!("charged {} EUR for job {}", 12.5, i);
                    let rec = Record::builder(Level::Info, "billing.jobs", args)
                        .key_values(&kvs)
                        .build();
                    handler.handle(black_box(&rec));
                }
            }
            assert!(
                handler.flush_by(Instant::now() + Duration::from_secs(60)),
                "rsyslogd stopped reading"
            );
            start.elapsed()
        })
    });
    group.finish();
    c.final_summary();

    // The figure above is what rsyslogd takes off the socket; it queues in memory before its
    // file action. Once, end to end: from the first record to the last one in rsyslog's file.
    let send = |tag: &str, n: u64| {
        for i in 0..n {
            let kvs = [("job", Value::U64(i)), ("user", Value::Str("ann"))];
            let args = format_args!("{tag} {i} charged {} EUR", 12.5);
            let rec = Record::builder(Level::Info, "billing.jobs", args)
                .key_values(&kvs)
                .build();
            handler.handle(&rec);
        }
    };
    send("drain", 1); // rsyslog's backlog from the runs above is written first
    wait_in_tail(&rs, "drain 0 ");
    const N: u64 = 500_000;
    let start = Instant::now();
    send("e2e", N);
    wait_in_tail(&rs, &format!("e2e {} ", N - 1));
    let elapsed = start.elapsed();
    println!(
        "syslog/tcp_to_rsyslog end to end (last record in rsyslog's file): {N} records in {elapsed:.2?}, {:.0} records/s",
        N as f64 / elapsed.as_secs_f64()
    );
    assert_eq!(handler.dropped(), 0, "Policy::Block drops nothing");
}

/// Polls the end of rsyslog's output file (not all of it: it holds millions of lines) until it
/// contains `needle`.
fn wait_in_tail(rs: &rsyslog::Rsyslogd, needle: &str) {
    use std::io::{Read, Seek, SeekFrom};
    let end = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(mut f) = std::fs::File::open(rs.out_file()) {
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            let _ = f.seek(SeekFrom::Start(len.saturating_sub(4096)));
            let mut tail = Vec::new();
            let _ = f.read_to_end(&mut tail);
            if String::from_utf8_lossy(&tail).contains(needle) {
                return;
            }
        }
        if Instant::now() > end {
            let size = std::fs::metadata(rs.out_file()).map(|m| m.len());
            let err = std::fs::read_to_string(rs.dir().join("rsyslogd.1.err"));
            panic!(
                "failsafe: {needle:?} never reached rsyslog's file ({size:?} bytes; rsyslogd said {err:?})"
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
