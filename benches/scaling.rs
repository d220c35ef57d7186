//! How throughput grows from one thread to two: one task = one scope (span, child logger) and
//! one formatted record, for scoped-logger, tracing's `#[instrument]` under its fmt subscriber,
//! a slog child logger, and a control that shares nothing (make the task's name, hash it,
//! insert it into and remove it from a thread-local map, format the line). All in one process,
//! same input, each writing to `io::sink()` without a lock of its own (tracing's `MakeWriter`
//! gives each event a fresh `Sink`; ours and the control format into a per-thread buffer; slog's
//! synchronous decorator does lock, which is slog's own cost).
//!
//! The machine's vCPUs scale noisily, so each library's scaling is judged against the
//! control's in the same run: `scaling / control` near 1.0 means it adds no contention of its
//! own. Printed after a measuring run (`cargo bench --bench scaling`).

mod common;

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::hint::black_box;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use scoped_logger::format::{Format, TextFormat};
use scoped_logger::{Handler, LevelFilter, Record, Registry};

/// Formats each record as the default text line into a per-thread buffer, then to `io::sink`.
struct SinkPerThread(TextFormat);

thread_local! {
    static BUF: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(256));
}

impl Handler for SinkPerThread {
    fn handle(&self, record: &Record<'_>) {
        BUF.with(|b| {
            let mut b = b.borrow_mut();
            b.clear();
            self.0.format(record, &mut b);
            let _ = io::sink().write_all(&b);
        });
    }
}

mod ours {
    use scoped_logger::{info, scoped_logger};

    #[scoped_logger(name = "task.{id}")]
    #[inline(never)]
    pub fn task(id: u64) {
        info!("task {} done in {} ms", id, 42);
    }

    /// The same task with two fields on its scope (an integer and a string): each record carries
    /// them, the scope copies them once.
    #[scoped_logger(name = "task.{id}", fields(task = id, user = "ann"))]
    #[inline(never)]
    pub fn task_with_fields(id: u64) {
        info!("task {} done in {} ms", id, 42);
    }
}

#[tracing::instrument(level = "info")]
#[inline(never)]
fn tracing_task(id: u64) {
    tracing::info!("task {} done in {} ms", id, 42);
}

fn slog_root() -> slog::Logger {
    use slog::Drain;
    let decorator = slog_term::PlainSyncDecorator::new(io::sink());
    let drain = slog_term::FullFormat::new(decorator)
        .use_utc_timestamp()
        .build()
        .fuse();
    let drain = slog::LevelFilter::new(drain, slog::Level::Info).fuse();
    slog::Logger::root(drain, slog::o!())
}

#[inline(never)]
fn slog_task(root: &slog::Logger, id: u64) {
    let log = root.new(slog::o!("task" => id));
    slog::info!(log, "task {} done in {} ms", id, 42);
}

thread_local! {
    static CONTROL: RefCell<(HashMap<String, u64, foldhash::fast::RandomState>, Vec<u8>)> =
        RefCell::new(Default::default());
}

/// The same shape of work as a task, with nothing shared between threads.
#[inline(never)]
fn control_task(id: u64) {
    CONTROL.with(|c| {
        let (map, buf) = &mut *c.borrow_mut();
        let name = format!("task.{id}");
        let hash = map.hasher().hash_one(&name);
        map.insert(name.clone(), hash);
        buf.clear();
        let _ = writeln!(
            buf,
            "{:?} INFO {name}: task {id} done in {} ms",
            std::time::SystemTime::now(),
            42
        );
        let _ = io::sink().write_all(buf);
        map.remove(&name);
    });
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn main() {
    let reg = Registry::global();
    reg.root().set_level(LevelFilter::Info);
    reg.root().add_handler(SinkPerThread(TextFormat));
    let before = reg.node_count();

    let subscriber = tracing_subscriber::fmt()
        .with_writer(io::sink)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let dispatch = tracing::Dispatch::new(subscriber);
    let slog = slog_root();

    let ours = |id: u64| ours::task(id);
    let ours_fields = |id: u64| ours::task_with_fields(id);
    let tracing = |id: u64| tracing::dispatcher::with_default(&dispatch, || tracing_task(id));
    let slog = |id: u64| slog_task(&slog, id);
    let control = |id: u64| control_task(id);
    let libs: [(&str, &(dyn Fn(u64) + Sync)); 5] = [
        ("ours", &ours),
        ("ours+fields", &ours_fields),
        ("tracing", &tracing),
        ("slog", &slog),
        ("control", &control),
    ];

    let mut c = common::criterion();
    let mut g = c.benchmark_group("scaling");
    for (name, task) in libs {
        for threads in [1, 2] {
            g.bench_function(format!("{name}/{threads}"), |b| {
                b.iter_custom(|iters| {
                    common::on_threads(threads, &|| {
                        for _ in 0..iters {
                            task(black_box(NEXT_ID.fetch_add(1, Ordering::Relaxed)));
                        }
                    })
                })
            });
        }
    }
    g.finish();
    c.final_summary();
    assert_eq!(reg.node_count(), before, "every task scope must be gone");

    if common::measuring() {
        let scaling = |name: &str| -> Option<(f64, f64)> {
            let one = common::median_ns("scaling", &format!("{name}_1"))?;
            let two = common::median_ns("scaling", &format!("{name}_2"))?;
            // Throughput with two threads over throughput with one.
            Some((one, 2.0 * one / two))
        };
        let control = scaling("control").map_or(f64::NAN, |(_, s)| s);
        println!(
            "\nscaling: ns per task on one thread; throughput 2 threads / 1 thread; / control's"
        );
        for (name, _) in libs {
            if let Some((one, s)) = scaling(name) {
                println!(
                    "  {name:<8} {:>12}   scaling {s:>5.2}   / control {:>5.2}",
                    common::human(one),
                    s / control
                );
            }
        }
    }
}
