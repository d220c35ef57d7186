//! scoped-logger against the crates people would pick instead, same process, same input:
//!
//! 1. `disabled_call`: a call whose level is filtered out.
//! 2. `enabled_call`: an enabled call formatted as a text line into a discarding writer.
//! 3. `task`: one task = one scope (span, child logger) + one formatted record to a sink.
//! 4. `task_fields`: the same task with two fields (`task = id`, `user = "ann"`) on every
//!    record: a scope's fields, a span's, a child logger's, log4rs's and logforth's thread-local
//!    diagnostic context (MDC) set and removed around the call.
//!
//! Every library writes to [`Discard`], a writer that takes the bytes and drops them, so what is
//! measured is the library, not the disk. Not `io::sink()`: its `write_fmt` returns without
//! formatting anything, so a library that writes through `write!` (log4rs, fern) skipped its own
//! formatting there. After a measuring run the binary prints `peer / ours` from criterion's
//! medians.
//!
//! `log::set_logger` is once per process, so the `log` backends (env_logger, log4rs, fern,
//! logforth) are called through `log::info!(logger: &backend, ...)`: the same macro path (static
//! and global max level checks, record building) as the global logger, with no global installed.

mod common;

use std::cell::RefCell;
use std::hint::black_box;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::Criterion;
use scoped_logger::{LevelFilter, Registry, StreamHandler};

thread_local! {
    static TAKEN: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(1024));
}

/// The discarding writer every library writes to: each write is copied into a reused per-thread
/// buffer (and the copy handed to `black_box`), so whatever a library formats is formatted and
/// moved once, as for a buffered file, and nothing reaches the kernel. Copy, so that tracing's
/// `MakeWriter` can hand out one per event.
#[derive(Debug, Clone, Copy, Default)]
struct Discard;

impl Write for Discard {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        TAKEN.with(|t| {
            let mut t = t.borrow_mut();
            t.clear();
            t.extend_from_slice(bytes);
            black_box(&*t);
        });
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Our per-task functions (the disabled and enabled calls are the macros, inline in the loops,
/// as every peer's are).
mod ours {
    use scoped_logger::{info, scoped_logger};

    #[scoped_logger(name = "task.{id}")]
    #[inline(never)]
    pub fn task(id: u64) {
        info!("task {} done in {} ms", id, 42);
    }

    /// The same task with two fields on its scope: an integer and a string.
    #[scoped_logger(name = "task.{id}", fields(task = id, user = "ann"))]
    #[inline(never)]
    pub fn task_fields(id: u64) {
        info!("task {} done in {} ms", id, 42);
    }
}

/// The logger our macros pick outside any scope in this file: the one named by the module path.
fn our_module_logger() -> scoped_logger::Logger {
    Registry::global().logger(module_path!())
}

/// The fmt subscriber a tracing user would set up, writing to [`Discard`].
fn tracing_subscriber_to_sink() -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::fmt()
        .with_writer(|| Discard)
        .with_max_level(tracing::Level::INFO)
        .finish()
}

#[tracing::instrument(level = "info")]
#[inline(never)]
fn tracing_task(id: u64) {
    tracing::info!("task {} done in {} ms", id, 42);
}

/// `id` is a field of the span as an argument; `user` is the second.
#[tracing::instrument(level = "info", fields(user = "ann"))]
#[inline(never)]
fn tracing_task_fields(id: u64) {
    tracing::info!("task {} done in {} ms", id, 42);
}

/// A slog root over slog-term's full format to [`Discard`], filtered at `level` at run time.
fn slog_root(level: slog::Level) -> slog::Logger {
    use slog::Drain;
    let decorator = slog_term::PlainSyncDecorator::new(Discard);
    let drain = slog_term::FullFormat::new(decorator)
        .use_utc_timestamp()
        .build()
        .fuse();
    let drain = slog::LevelFilter::new(drain, level).fuse();
    slog::Logger::root(drain, slog::o!())
}

#[inline(never)]
fn slog_task(root: &slog::Logger, id: u64) {
    let log = root.new(slog::o!("task" => id));
    slog::info!(log, "task {} done in {} ms", id, 42);
}

#[inline(never)]
fn slog_task_fields(root: &slog::Logger, id: u64) {
    let log = root.new(slog::o!("task" => id, "user" => "ann"));
    slog::info!(log, "task {} done in {} ms", id, 42);
}

fn env_logger_to_sink() -> env_logger::Logger {
    env_logger::Builder::new()
        .filter_level(log::LevelFilter::Info)
        .format_timestamp_millis()
        .target(env_logger::Target::Pipe(Box::new(Discard)))
        .build()
}

/// log4rs has no appender for an arbitrary `Write` and its file appender flushes per record:
/// this one does what the file appender does (pattern encoder, locked writer) minus the syscall.
#[derive(Debug)]
struct Log4rsSink {
    encoder: log4rs::encode::pattern::PatternEncoder,
    writer: parking_lot::Mutex<log4rs::encode::writer::simple::SimpleWriter<Discard>>,
}

impl log4rs::append::Append for Log4rsSink {
    fn append(&self, record: &log::Record<'_>) -> anyhow::Result<()> {
        use log4rs::encode::Encode;
        let mut w = self.writer.lock();
        self.encoder.encode(&mut *w, record)
    }
    fn flush(&self) {}
}

fn log4rs_to_sink() -> log4rs::Logger {
    log4rs_with_pattern("{d(%Y-%m-%dT%H:%M:%S%.3fZ)(utc)} {l} {t}: {m}{n}")
}

/// The same, with the two fields of `task_fields` read from log4rs's MDC (`log_mdc`).
fn log4rs_mdc_to_sink() -> log4rs::Logger {
    log4rs_with_pattern(
        "{d(%Y-%m-%dT%H:%M:%S%.3fZ)(utc)} {l} {t}: {m} task={X(task)} user={X(user)}{n}",
    )
}

fn log4rs_with_pattern(pattern: &str) -> log4rs::Logger {
    use log4rs::config::{Appender, Config, Root};
    let sink = Log4rsSink {
        encoder: log4rs::encode::pattern::PatternEncoder::new(pattern),
        writer: parking_lot::Mutex::new(log4rs::encode::writer::simple::SimpleWriter(Discard)),
    };
    let config = Config::builder()
        .appender(Appender::builder().build("sink", Box::new(sink)))
        .build(
            Root::builder()
                .appender("sink")
                .build(log::LevelFilter::Info),
        )
        .expect("a valid log4rs config");
    log4rs::Logger::new(config)
}

#[inline(never)]
fn log4rs_task_fields(l4: &log4rs::Logger, id: u64) {
    log_mdc::insert("task", id.to_string());
    log_mdc::insert("user", "ann");
    log::info!(logger: l4, "task {} done in {} ms", id, 42);
    log_mdc::remove("task");
    log_mdc::remove("user");
}

/// fern's `Dispatch` with a line like the others' (fern has no time of its own: humantime's, as
/// env_logger's), chained to [`Discard`], which fern writes with `write!`.
fn fern_to_sink() -> Box<dyn log::Log> {
    let (_, logger) = fern::Dispatch::new()
        .format(|out, message, record| {
            out.finish(format_args!(
                "{} {} {}: {}",
                humantime::format_rfc3339_millis(std::time::SystemTime::now()),
                record.level(),
                record.target(),
                message
            ))
        })
        .level(log::LevelFilter::Info)
        .chain(Box::new(Discard) as Box<dyn Write + Send>)
        .into_log();
    logger
}

/// logforth's appender for an arbitrary writer: what its `Stdout` appender does (format with the
/// layout, append `\n`, write) to [`Discard`].
#[derive(Debug)]
struct LogforthSink(logforth::layout::TextLayout);

impl logforth::Append for LogforthSink {
    fn append(
        &self,
        record: &logforth::record::Record<'_>,
        diags: &[Box<dyn logforth::Diagnostic>],
    ) -> Result<(), logforth::Error> {
        use logforth::Layout;
        let mut bytes = self.0.format(record, diags)?;
        bytes.push(b'\n');
        Discard
            .write_all(&bytes)
            .map_err(logforth::Error::from_io_error)
    }

    fn flush(&self) -> Result<(), logforth::Error> {
        Ok(())
    }
}

/// logforth's text layout (UTC, no colour) at Info, with its thread-local diagnostic context,
/// behind its `log` bridge.
fn logforth_to_sink() -> logforth::bridge::log::LogBridge {
    use logforth::record::{Level, LevelFilter};
    let layout = logforth::layout::TextLayout::default()
        .no_color()
        .timezone(logforth::layout::text::jiff::tz::TimeZone::UTC);
    let logger = logforth::core::builder()
        .dispatch(|d| {
            d.filter(LevelFilter::MoreSevereEqual(Level::Info))
                .diagnostic(logforth::diagnostic::ThreadLocalDiagnostic::default())
                .append(LogforthSink(layout))
        })
        .build();
    logforth::bridge::log::LogBridge::new(logger)
}

#[inline(never)]
fn logforth_task_fields(lf: &logforth::bridge::log::LogBridge, id: u64) {
    use logforth::diagnostic::ThreadLocalDiagnostic as Mdc;
    Mdc::insert("task", id.to_string());
    Mdc::insert("user", "ann");
    log::info!(logger: lf, "task {} done in {} ms", id, 42);
    Mdc::remove("task");
    Mdc::remove("user");
}

/// One `log` backend called in a loop with a fresh `u64` per call, as `log::$level!(logger:
/// &backend, ..)`: a macro rather than a function, so that each backend's type stays concrete
/// (the `log` macro is generic over it) and the level is the macro's constant, as in an
/// application.
macro_rules! bench_log_backend {
    ($g:expr, $name:expr, $backend:expr, $level:ident) => {{
        let backend = $backend;
        $g.bench_function($name, |b| {
            let mut i = 0u64;
            b.iter(|| {
                i += 1;
                log::$level!(logger: &backend, "request {} done in {} ms", black_box(i), 42);
            })
        });
    }};
}

fn disabled_call(c: &mut Criterion) {
    let mut g = c.benchmark_group("disabled_call");
    // The arguments are evaluated only when the level is enabled, as in every peer's macro.
    assert!(!our_module_logger().enabled(scoped_logger::Level::Debug));
    g.bench_function("ours", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            scoped_logger::debug!("request {} done in {} ms", black_box(i), 42);
        })
    });
    g.bench_function("tracing", |b| {
        tracing::subscriber::with_default(tracing_subscriber_to_sink(), || {
            let mut i = 0u64;
            b.iter(|| {
                i += 1;
                tracing::debug!("request {} done in {} ms", black_box(i), 42);
            })
        })
    });
    // slog removes `debug!` at compile time in release builds (its default static max level is
    // Info), so the run-time filter is measured with `info!` under a Warning-level filter.
    let slog_warn = slog_root(slog::Level::Warning);
    g.bench_function("slog", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            slog::info!(slog_warn, "request {} done in {} ms", black_box(i), 42);
        })
    });
    let slog_info = slog_root(slog::Level::Info);
    g.bench_function("slog_compiled_out", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            slog::debug!(slog_info, "request {} done in {} ms", black_box(i), 42);
        })
    });
    // For `log`, the disabled check is the facade's (`log::max_level()`), whatever the backend.
    bench_log_backend!(g, "log+env_logger", env_logger_to_sink(), debug);
    bench_log_backend!(g, "log4rs", log4rs_to_sink(), debug);
    bench_log_backend!(g, "fern", fern_to_sink(), debug);
    bench_log_backend!(g, "logforth", logforth_to_sink(), debug);
    g.finish();
}

fn enabled_call(c: &mut Criterion) {
    let mut g = c.benchmark_group("enabled_call");
    assert!(our_module_logger().enabled(scoped_logger::Level::Info));
    g.bench_function("ours", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            scoped_logger::info!("request {} done in {} ms", black_box(i), 42);
        })
    });
    g.bench_function("tracing", |b| {
        tracing::subscriber::with_default(tracing_subscriber_to_sink(), || {
            let mut i = 0u64;
            b.iter(|| {
                i += 1;
                tracing::info!("request {} done in {} ms", black_box(i), 42);
            })
        })
    });
    let slog_info = slog_root(slog::Level::Info);
    g.bench_function("slog", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            slog::info!(slog_info, "request {} done in {} ms", black_box(i), 42);
        })
    });
    bench_log_backend!(g, "log+env_logger", env_logger_to_sink(), info);
    bench_log_backend!(g, "log4rs", log4rs_to_sink(), info);
    bench_log_backend!(g, "fern", fern_to_sink(), info);
    bench_log_backend!(g, "logforth", logforth_to_sink(), info);
    g.finish();
}

/// Each task gets a fresh id, so each one creates and deletes its entry (all task groups).
fn next_id() -> u64 {
    static NEXT_ID: AtomicU64 = AtomicU64::new(0);
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// The task group `name` with ours, tracing and slog (each task function `#[inline(never)]`, so
/// callgrind counts it per call); returned so that a group can add peers.
fn task_group<'c>(
    c: &'c mut Criterion,
    name: &str,
    ours: fn(u64),
    tracing: fn(u64),
    slog: fn(&slog::Logger, u64),
) -> criterion::BenchmarkGroup<'c, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    let before = Registry::global().node_count();
    g.bench_function("ours", |b| b.iter(|| ours(black_box(next_id()))));
    assert_eq!(
        Registry::global().node_count(),
        before,
        "every task scope must be gone"
    );
    g.bench_function("tracing", |b| {
        tracing::subscriber::with_default(tracing_subscriber_to_sink(), || {
            b.iter(|| tracing(black_box(next_id())))
        })
    });
    let slog_info = slog_root(slog::Level::Info);
    g.bench_function("slog", |b| {
        b.iter(|| slog(&slog_info, black_box(next_id())))
    });
    g
}

fn task(c: &mut Criterion) {
    task_group(c, "task", ours::task, tracing_task, slog_task).finish();
}

fn task_fields(c: &mut Criterion) {
    let mut g = task_group(
        c,
        "task_fields",
        ours::task_fields,
        tracing_task_fields,
        slog_task_fields,
    );
    let l4 = log4rs_mdc_to_sink();
    g.bench_function("log4rs+mdc", |b| {
        b.iter(|| log4rs_task_fields(&l4, black_box(next_id())))
    });
    let lf = logforth_to_sink();
    g.bench_function("logforth", |b| {
        b.iter(|| logforth_task_fields(&lf, black_box(next_id())))
    });
    g.finish();
}

fn main() {
    // Our set-up: Info and above, text lines to the discarding writer, on the global root (where
    // a module logger's and a scope's records end up).
    let reg = Registry::global();
    reg.root().set_level(LevelFilter::Info);
    reg.root().add_handler(StreamHandler::new(Discard));
    // The `log` facade's global filter (the backends are called through `logger:`).
    log::set_max_level(log::LevelFilter::Info);

    let mut c = common::criterion();
    disabled_call(&mut c);
    enabled_call(&mut c);
    task(&mut c);
    task_fields(&mut c);
    c.final_summary();

    if common::measuring() {
        let peers = [
            "tracing",
            "slog",
            "slog_compiled_out",
            "log+env_logger",
            "log4rs",
            "fern",
            "logforth",
            "log4rs+mdc",
        ];
        common::print_ratios("disabled_call", "ours", &peers);
        common::print_ratios("enabled_call", "ours", &peers);
        common::print_ratios("task", "ours", &peers);
        common::print_ratios("task_fields", "ours", &peers);
    }
}
