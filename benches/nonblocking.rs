//! The never-blocking sink against `tracing-appender`'s `non_blocking` and `slog-async`, each with
//! its defaults (drop when full) and a text format, same process, same input.
//!
//! * `nonblocking_stalled`: the writer is stuck (a `write` that waits on a gate, like a pipe
//!   nobody reads) and every queue is already full: what a log call costs the caller then.
//! * `nonblocking_flowing`: the writer discards (`io::sink()`): the cost of formatting and
//!   handing a line over while the background thread keeps up.
//!
//! * `last_words`: the exit flush ([`flush_all_by`], what a return from `main` runs) on its own,
//!   with a pipe whose reader keeps up (`drained_100`: 100 records queued, then the flush) and
//!   with a pipe nobody reads (`undrained_1ms`: the flush gives up at its 1 ms deadline;
//!   `undrained_after_give_up`: once a wait has given up on that writer, later exit flushes do
//!   not wait on it again).
//!
//! A measuring run then times 100,000 single calls per library and condition with `Instant`
//! and prints p50, p99, p99.9 and the maximum (each figure includes the ~20 ns of the two
//! `Instant::now()` calls), and the peer / ours ratios of criterion's medians.

mod common;

use std::cell::Cell;
use std::hint::black_box;
use std::io::{self, Write};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use scoped_logger::handler::NonBlocking;
use scoped_logger::handler::queue::QueueOptions;
use scoped_logger::handler::queue::flush_all_by;
use scoped_logger::{LevelFilter, Logger, Registry};

/// Enough records to fill every library's default queue (ours 16,384; tracing-appender
/// 128,000 lines; slog-async 128), so the stalled figures are the steady state.
const PREFILL: u64 = 140_000;
const LATENCY_SAMPLES: usize = 100_000;

/// A `write` that waits until the gate opens: an output nobody reads.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn open(&self) {
        let (lock, cv) = &*self.0;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_all();
    }
    fn wait(&self) {
        let (lock, cv) = &*self.0;
        let mut open = lock.lock().unwrap_or_else(|e| e.into_inner());
        while !*open {
            open = cv.wait(open).unwrap_or_else(|e| e.into_inner());
        }
    }
}

struct Stalled(Gate);

impl Write for Stalled {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.wait();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.wait();
        Ok(())
    }
}

/// A discarding writer that counts the lines it was given: what was written, not dropped.
#[derive(Clone, Default)]
struct CountingSink(Arc<AtomicU64>);

impl Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let lines = buf.iter().filter(|&&b| b == b'\n').count();
        self.0.fetch_add(lines as u64, Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One library set up on one writer: a function that logs record `i`.
struct Setup {
    log: Box<dyn FnMut(u64)>,
    /// Releases the library's background thread at the end (flushes, joins).
    finish: Box<dyn FnOnce()>,
}

fn ours(
    reg: &Registry,
    name: &str,
    capacity: Option<usize>,
    writer: impl Write + Send + 'static,
) -> Setup {
    let logger: Logger = reg.logger(name);
    logger.set_propagate(false);
    let mut handler = NonBlocking::new(writer);
    if let Some(records) = capacity {
        handler = handler.queue(QueueOptions::default().capacity(records));
    }
    let handler = Arc::new(handler);
    logger.add_shared_handler(handler.clone());
    let log = logger.clone();
    Setup {
        log: Box::new(move |i| {
            scoped_logger::info!(logger: &log, "request {} done in {} ms", i, 42);
        }),
        finish: Box::new(move || {
            let deadline = Instant::now() + Duration::from_secs(5);
            scoped_logger::Handler::flush_by(&*handler, deadline);
            println!(
                "  ours (capacity {}): {} records dropped by the queue",
                handler.queue_options().capacity,
                handler.dropped()
            );
        }),
    }
}

fn tracing_appender(writer: impl Write + Send + 'static) -> Setup {
    let (nb, guard) = tracing_appender::non_blocking(writer);
    let counter = nb.error_counter();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(nb)
        .with_max_level(tracing::Level::INFO)
        .finish();
    // The subscriber is this thread's default until `finish` (the stalled and the flowing set-ups
    // never overlap).
    let default = tracing::subscriber::set_default(subscriber);
    Setup {
        log: Box::new(move |i| {
            tracing::info!("request {} done in {} ms", i, 42);
        }),
        finish: Box::new(move || {
            drop(default);
            drop(guard);
            println!(
                "  tracing-appender: {} lines dropped",
                counter.dropped_lines()
            );
        }),
    }
}

fn slog_async(writer: impl Write + Send + 'static) -> Setup {
    use slog::Drain;
    let decorator = slog_term::PlainDecorator::new(writer);
    let drain = slog_term::FullFormat::new(decorator)
        .use_utc_timestamp()
        .build()
        .fuse();
    let (drain, guard) = slog_async::Async::new(drain).build_with_guard();
    let log = slog::Logger::root(drain.fuse(), slog::o!());
    Setup {
        log: Box::new(move |i| {
            slog::info!(log, "request {} done in {} ms", i, 42);
        }),
        finish: Box::new(move || drop(guard)),
    }
}

/// `ours_128k`: our handler with tracing-appender's default queue length (128,000 lines), to
/// tell a queue-size effect from a speed one.
const PEERS: [&str; 4] = ["ours", "ours_128k", "tracing-appender", "slog-async"];

fn make(which: &str, reg: &Registry, writer: impl Write + Send + 'static) -> Setup {
    match which {
        "ours" => ours(reg, &format!("bench.{}", reg.len()), None, writer),
        "ours_128k" => ours(reg, &format!("bench.{}", reg.len()), Some(128_000), writer),
        "tracing-appender" => tracing_appender(writer),
        _ => slog_async(writer),
    }
}

/// Counts the calls made through `setup`.
fn counted(setup: Setup, calls: Rc<Cell<u64>>) -> Setup {
    let mut inner = setup.log;
    Setup {
        log: Box::new(move |i| {
            calls.set(calls.get() + 1);
            inner(i)
        }),
        finish: setup.finish,
    }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// Times single calls and prints the distribution.
fn latencies(label: &str, setup: &mut Setup, start: u64) {
    let mut ns = Vec::with_capacity(LATENCY_SAMPLES);
    for k in 0..LATENCY_SAMPLES as u64 {
        let t = Instant::now();
        (setup.log)(black_box(start + k));
        ns.push(t.elapsed().as_nanos() as u64);
    }
    ns.sort_unstable();
    println!(
        "  {label:<34} p50 {:>7} ns   p99 {:>7} ns   p99.9 {:>8} ns   max {:>9} ns",
        percentile(&ns, 0.50),
        percentile(&ns, 0.99),
        percentile(&ns, 0.999),
        ns[ns.len() - 1],
    );
}

fn main() {
    let reg = Registry::new();
    reg.root().set_level(LevelFilter::Info);
    let mut c = common::criterion();
    let measuring = common::measuring();

    // Stalled: every library writes into a gate that stays shut until the end.
    let gate = Gate::default();
    let mut stalled: Vec<(&str, Setup)> = PEERS
        .iter()
        .map(|&p| (p, make(p, &reg, Stalled(gate.clone()))))
        .collect();
    for (_, s) in &mut stalled {
        for i in 0..PREFILL {
            (s.log)(i);
        }
    }
    {
        let mut g = c.benchmark_group("nonblocking_stalled");
        for (name, s) in &mut stalled {
            g.bench_function(*name, |b| {
                let mut i = PREFILL;
                b.iter(|| {
                    i += 1;
                    (s.log)(black_box(i));
                })
            });
        }
        g.finish();
    }
    if measuring {
        println!("\nlatency per call, writer stalled, queue full ({LATENCY_SAMPLES} calls):");
        for (name, s) in &mut stalled {
            latencies(name, s, 1 << 40);
        }
    }
    gate.open();
    for (_, s) in stalled {
        (s.finish)();
    }

    // Flowing: the writers discard, the background threads keep up.
    // Each writer counts the lines it got, to tell how many records each library dropped even
    // though its output kept up.
    let mut counts = Vec::new();
    let mut flowing: Vec<(&str, Setup)> = PEERS
        .iter()
        .map(|&p| {
            let (calls, lines) = (Rc::new(Cell::new(0)), CountingSink::default());
            counts.push((p, calls.clone(), lines.0.clone()));
            (p, counted(make(p, &reg, lines), calls))
        })
        .collect();
    {
        let mut g = c.benchmark_group("nonblocking_flowing");
        for (name, s) in &mut flowing {
            g.bench_function(*name, |b| {
                let mut i = 0u64;
                b.iter(|| {
                    i += 1;
                    (s.log)(black_box(i));
                })
            });
        }
        g.finish();
    }
    if measuring {
        println!("\nlatency per call, writer discarding ({LATENCY_SAMPLES} calls):");
        for (name, s) in &mut flowing {
            latencies(name, s, 1 << 40);
        }
    }
    for (_, s) in flowing {
        (s.finish)();
    }
    println!("\nwriter discarding: records written / records logged:");
    for (p, calls, lines) in &counts {
        let (calls, lines) = (calls.get(), lines.load(Ordering::Relaxed));
        println!(
            "  {p:<18} {lines} / {calls} ({:.1}% not written)",
            100.0 * calls.saturating_sub(lines) as f64 / calls.max(1) as f64
        );
    }
    reg.shutdown(Duration::from_secs(5));

    last_words(&mut c);

    c.final_summary();
    if measuring {
        common::print_ratios("nonblocking_stalled", "ours", &PEERS[1..]);
        common::print_ratios("nonblocking_flowing", "ours", &PEERS[1..]);
    }
}

/// A logger of its own with a `NonBlocking` over `writer`.
fn pipe_logger(reg: &Registry, name: &str, writer: io::PipeWriter) -> (Logger, Arc<NonBlocking>) {
    let logger = reg.logger(name);
    logger.set_propagate(false);
    let handler = Arc::new(NonBlocking::new(writer).target_name(name.to_owned()));
    logger.add_shared_handler(handler.clone());
    (logger, handler)
}

/// The exit flush on its own, with the pipe drained and undrained.
fn last_words(c: &mut criterion::Criterion) {
    let reg = Registry::new();
    reg.root().set_level(LevelFilter::Info);
    let mut g = c.benchmark_group("last_words");

    let (mut reader, writer) = io::pipe().expect("a pipe");
    let drain = std::thread::spawn(move || io::copy(&mut reader, &mut io::sink()));
    let (logger, drained) = pipe_logger(&reg, "last_words.drained", writer);
    g.bench_function("drained_100", |b| {
        b.iter(|| {
            for i in 0..100u64 {
                scoped_logger::info!(logger: &logger, "request {} done in {} ms", black_box(i), 42);
            }
            assert!(flush_all_by(Instant::now() + Duration::from_secs(5)));
        })
    });
    assert_eq!(drained.dropped(), 0, "a drained pipe loses nothing");

    // Nobody reads: the pipe fills (64 KiB on Linux) and the writer thread blocks in `write`.
    let (mut stuck_reader, writer) = io::pipe().expect("a pipe");
    let (logger, undrained) = pipe_logger(&reg, "last_words.undrained", writer);
    for i in 0..4_000u64 {
        scoped_logger::info!(logger: &logger, "request {} done in {} ms", i, 42);
    }
    // Too short to count as evidence of a stall: every exit flush waits its whole deadline.
    g.bench_function("undrained_1ms", |b| {
        b.iter(|| assert!(!flush_all_by(Instant::now() + Duration::from_millis(1))))
    });
    // A wait long enough to give up on the writer; the exit flushes after it do not wait on it.
    assert!(!flush_all_by(Instant::now() + Duration::from_millis(100)));
    g.bench_function("undrained_after_give_up", |b| {
        b.iter(|| assert!(!flush_all_by(Instant::now() + Duration::from_secs(1))))
    });
    g.finish();

    // Let the stuck writer finish, so that the process exits without waiting on it.
    let unstick = std::thread::spawn(move || io::copy(&mut stuck_reader, &mut io::sink()));
    assert!(scoped_logger::Handler::flush_by(
        &*undrained,
        Instant::now() + Duration::from_secs(10)
    ));
    reg.shutdown(Duration::from_secs(5));
    drop((drained, undrained));
    let _ = (drain.join(), unstick.join());
}
