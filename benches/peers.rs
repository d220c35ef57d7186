//! scoped-logger against the crates people would pick instead, same process, same input:
//!
//! 1. `disabled_call`: a call whose level is filtered out.
//! 2. `enabled_call`: an enabled call formatted as a text line into a discarding writer.
//! 3. `task`: one task = one scope (span, child logger) + one formatted record to a sink.
//!
//! Every library writes to `io::sink()`, so what is measured is the library, not the disk.
//! After a measuring run the binary prints `peer / ours` from criterion's medians.
//!
//! `log::set_logger` is once per process, so the `log` backends (env_logger, log4rs) are called
//! through `log::info!(logger: &backend, ...)`: the same macro path (static and global max level
//! checks, record building) as the global logger, with no global installed.

mod common;

use std::hint::black_box;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::Criterion;
use scoped_logger::{LevelFilter, Registry, StreamHandler};

/// Our per-task function (the disabled and enabled calls are the macros, inline in the loops,
/// as every peer's are).
mod ours {
    use scoped_logger::{info, scoped_logger};

    #[scoped_logger(name = "task.{id}")]
    #[inline(never)]
    pub fn task(id: u64) {
        info!("task {} done in {} ms", id, 42);
    }
}

/// The logger our macros pick outside any scope in this file: the one named by the module path.
fn our_module_logger() -> scoped_logger::Logger {
    Registry::global().logger(module_path!())
}

/// The fmt subscriber a tracing user would set up, writing to `io::sink`.
fn tracing_subscriber_to_sink() -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::fmt()
        .with_writer(io::sink)
        .with_max_level(tracing::Level::INFO)
        .finish()
}

#[tracing::instrument(level = "info")]
#[inline(never)]
fn tracing_task(id: u64) {
    tracing::info!("task {} done in {} ms", id, 42);
}

/// A slog root over slog-term's full format to `io::sink`, filtered at `level` at run time.
fn slog_root(level: slog::Level) -> slog::Logger {
    use slog::Drain;
    let decorator = slog_term::PlainSyncDecorator::new(io::sink());
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

fn env_logger_to_sink() -> env_logger::Logger {
    env_logger::Builder::new()
        .filter_level(log::LevelFilter::Info)
        .format_timestamp_millis()
        .target(env_logger::Target::Pipe(Box::new(io::sink())))
        .build()
}

/// log4rs has no appender for an arbitrary `Write` and its file appender flushes per record:
/// this one does what the file appender does (pattern encoder, locked writer) minus the syscall.
#[derive(Debug)]
struct Log4rsSink {
    encoder: log4rs::encode::pattern::PatternEncoder,
    writer: parking_lot::Mutex<log4rs::encode::writer::simple::SimpleWriter<io::Sink>>,
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
    use log4rs::config::{Appender, Config, Root};
    let sink = Log4rsSink {
        encoder: log4rs::encode::pattern::PatternEncoder::new(
            "{d(%Y-%m-%dT%H:%M:%S%.3fZ)(utc)} {l} {t}: {m}{n}",
        ),
        writer: parking_lot::Mutex::new(log4rs::encode::writer::simple::SimpleWriter(io::sink())),
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
    let env = env_logger_to_sink();
    g.bench_function("log+env_logger", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            log::debug!(logger: &env, "request {} done in {} ms", black_box(i), 42);
        })
    });
    let l4 = log4rs_to_sink();
    g.bench_function("log4rs", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            log::debug!(logger: &l4, "request {} done in {} ms", black_box(i), 42);
        })
    });
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
    let env = env_logger_to_sink();
    g.bench_function("log+env_logger", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            log::info!(logger: &env, "request {} done in {} ms", black_box(i), 42);
        })
    });
    let l4 = log4rs_to_sink();
    g.bench_function("log4rs", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            log::info!(logger: &l4, "request {} done in {} ms", black_box(i), 42);
        })
    });
    g.finish();
}

fn task(c: &mut Criterion) {
    let mut g = c.benchmark_group("task");
    // Every task gets a fresh id, so each one creates and deletes its entry.
    static NEXT_ID: AtomicU64 = AtomicU64::new(0);
    let next = || NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let before = Registry::global().node_count();
    g.bench_function("ours", |b| b.iter(|| ours::task(black_box(next()))));
    assert_eq!(
        Registry::global().node_count(),
        before,
        "every task scope must be gone"
    );
    g.bench_function("tracing", |b| {
        tracing::subscriber::with_default(tracing_subscriber_to_sink(), || {
            b.iter(|| tracing_task(black_box(next())))
        })
    });
    let slog_info = slog_root(slog::Level::Info);
    g.bench_function("slog", |b| {
        b.iter(|| slog_task(&slog_info, black_box(next())))
    });
    g.finish();
}

fn main() {
    // Our set-up: Info and above, text lines to a discarding writer, on the global root (where a
    // module logger's and a scope's records end up).
    let reg = Registry::global();
    reg.root().set_level(LevelFilter::Info);
    reg.root().add_handler(StreamHandler::new(io::sink()));
    // The `log` facade's global filter (the backends are called through `logger:`).
    log::set_max_level(log::LevelFilter::Info);

    let mut c = common::criterion();
    disabled_call(&mut c);
    enabled_call(&mut c);
    task(&mut c);
    c.final_summary();

    if common::measuring() {
        let peers = [
            "tracing",
            "slog",
            "slog_compiled_out",
            "log+env_logger",
            "log4rs",
        ];
        common::print_ratios("disabled_call", "ours", &peers);
        common::print_ratios("enabled_call", "ours", &peers);
        common::print_ratios("task", "ours", &peers);
    }
}
