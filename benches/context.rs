//! A task's context, measured: what a scope's fields add to a record and to entering the scope,
//! against tracing's event in a span with the same fields under its fmt layer; and what a
//! dependency's disabled `tracing::debug!` / `log::debug!` costs through our bridges, with and
//! without a verbose scope live on another thread. All in one process, same input.
//!
//! `cargo bench -p scoped-logger-benches --bench context --features log,tracing -- --quick`
//!
//! The machine is shared and noisy, so the figures in BENCHMARKS.md are instruction counts:
//! `CONTEXT_BENCH_COUNT=case:n` runs one case `n` times and exits, and the difference between
//! two counts under callgrind, over the extra iterations, is the cost of one:
//!
//! ```text
//! for c in record_plain record_fields record_tracing enter_plain enter_fields \
//!          tracing_disabled_own tracing_disabled_ours tracing_disabled_ours_verbose \
//!          log_disabled log_disabled_verbose; do for n in 100000 200000; do
//!   CONTEXT_BENCH_COUNT=$c:$n valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/deps/context-<hash> 2>&1 | grep 'refs:'; done; done
//! ```

mod common;

use std::hint::black_box;
use std::io;
use std::sync::mpsc;

use common::Discard;
use criterion::{criterion_group, criterion_main};
use scoped_logger::{LevelFilter, Registry, info};

/// tracing's fmt subscriber at INFO, writing plain lines to `io::sink()`: the peer, in the same
/// process, same input.
fn tracing_fmt() -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::fmt()
        .with_writer(io::sink)
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish()
}

/// `CONTEXT_BENCH_COUNT=case:n`: runs one case `n` times (see the module docs).
fn count(case: &str, n: u64) {
    use tracing_subscriber::layer::SubscriberExt as _;
    let reg = Registry::new();
    reg.root().add_handler(Discard);
    reg.root().set_level(LevelFilter::Info);
    let user = String::from("ann");
    let many = |f: &mut dyn FnMut()| {
        for _ in 0..n {
            f()
        }
    };
    match case {
        "record_plain" => {
            let _s = reg.scope("jobs.1").enter().unwrap();
            many(&mut || info!("done in {} ms", black_box(42)));
        }
        "record_fields" => {
            let _s = reg
                .scope("jobs.1")
                .field("job", 1)
                .field("user", "ann")
                .enter()
                .unwrap();
            many(&mut || info!("done in {} ms", black_box(42)));
        }
        "record_tracing" => {
            let sub = tracing_fmt();
            tracing::subscriber::with_default(sub, || {
                let span = tracing::info_span!("jobs", job = 1u64, user = "ann");
                let _e = span.enter();
                many(&mut || tracing::info!("done in {} ms", black_box(42)));
            });
        }
        "enter_plain" => many(&mut || drop(reg.scope("jobs.2").enter().unwrap())),
        "enter_fields" => many(&mut || {
            drop(
                reg.scope("jobs.2")
                    .field("job", black_box(2u64))
                    .field("user", user.as_str())
                    .enter()
                    .unwrap(),
            )
        }),
        "tracing_disabled_own" => {
            let sub = tracing_fmt();
            tracing::subscriber::with_default(sub, || {
                many(&mut || tracing::debug!("step {}", black_box(1)))
            });
        }
        "tracing_disabled_ours" | "tracing_disabled_ours_verbose" => {
            let sub = tracing_subscriber::registry()
                .with(scoped_logger::bridge::tracing::TracingLayer::new());
            let hold = (case == "tracing_disabled_ours_verbose")
                .then(|| verbose_scope_elsewhere(LevelFilter::Debug));
            tracing::subscriber::with_default(sub, || {
                many(&mut || tracing::debug!("step {}", black_box(1)))
            });
            drop(hold);
        }
        "log_disabled" | "log_disabled_verbose" => {
            scoped_logger::bridge::log::install().expect("the only log logger here");
            let hold = (case == "log_disabled_verbose")
                .then(|| verbose_scope_elsewhere(LevelFilter::Debug));
            many(&mut || log::debug!("step {}", black_box(1)));
            drop(hold);
        }
        other => panic!("unknown case {other}"),
    }
}

fn records(c: &mut criterion::Criterion) {
    if let Ok(spec) = std::env::var("CONTEXT_BENCH_COUNT") {
        let (case, n) = spec.split_once(':').expect("case:count");
        count(case, n.parse().expect("a count"));
        std::process::exit(0);
    }
    let reg = Registry::new();
    reg.root().add_handler(Discard);
    reg.root().set_level(LevelFilter::Info);
    let mut g = c.benchmark_group("fields_record");
    {
        let _s = reg.scope("jobs.1").enter().unwrap();
        g.bench_function("ours, no fields", |b| {
            b.iter(|| info!("done in {} ms", black_box(42)))
        });
    }
    {
        let _s = reg
            .scope("jobs.1")
            .field("job", 1)
            .field("user", "ann")
            .enter()
            .unwrap();
        g.bench_function("ours, 2 fields", |b| {
            b.iter(|| info!("done in {} ms", black_box(42)))
        });
    }
    let subscriber = tracing_fmt();
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("jobs", job = 1u64, user = "ann");
        let _e = span.enter();
        g.bench_function("tracing fmt, span with 2 fields", |b| {
            b.iter(|| tracing::info!("done in {} ms", black_box(42)))
        });
    });
    g.finish();

    let mut g = c.benchmark_group("fields_enter");
    g.bench_function("enter+exit, no fields", |b| {
        b.iter(|| drop(reg.scope("jobs.2").enter().unwrap()))
    });
    let user = String::from("ann");
    g.bench_function("enter+exit, 2 fields", |b| {
        b.iter(|| {
            drop(
                reg.scope("jobs.2")
                    .field("job", black_box(2u64))
                    .field("user", user.as_str())
                    .enter()
                    .unwrap(),
            )
        })
    });
    g.finish();
}

/// Holds a scope at `level` on a thread of its own until the returned sender is dropped.
fn verbose_scope_elsewhere(level: LevelFilter) -> mpsc::Sender<()> {
    let (tx, rx) = mpsc::channel::<()>();
    let (ready_tx, ready_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let reg = Registry::new();
        let _s = reg.scope("verbose.elsewhere").level(level).enter().unwrap();
        ready_tx.send(()).unwrap();
        let _ = rx.recv();
    });
    ready_rx.recv().unwrap();
    tx
}

fn bridges(c: &mut criterion::Criterion) {
    use tracing_subscriber::layer::SubscriberExt as _;
    let mut g = c.benchmark_group("bridge_disabled");
    let own = tracing_fmt();
    tracing::subscriber::with_default(own, || {
        g.bench_function("tracing debug!, tracing's fmt at INFO", |b| {
            b.iter(|| tracing::debug!("step {}", black_box(1)))
        });
    });
    let layered =
        tracing_subscriber::registry().with(scoped_logger::bridge::tracing::TracingLayer::new());
    tracing::subscriber::with_default(layered, || {
        g.bench_function("tracing debug!, our layer", |b| {
            b.iter(|| tracing::debug!("step {}", black_box(1)))
        });
        let hold = verbose_scope_elsewhere(LevelFilter::Debug);
        g.bench_function(
            "tracing debug!, our layer, debug scope on another thread",
            |b| b.iter(|| tracing::debug!("step {}", black_box(1))),
        );
        drop(hold);
    });

    scoped_logger::bridge::log::install().expect("the only log logger here");
    g.bench_function("log debug!, no debug scope anywhere", |b| {
        b.iter(|| log::debug!("step {}", black_box(1)))
    });
    let hold = verbose_scope_elsewhere(LevelFilter::Debug);
    assert_eq!(log::max_level(), log::LevelFilter::Debug);
    g.bench_function("log debug!, debug scope on another thread", |b| {
        b.iter(|| log::debug!("step {}", black_box(1)))
    });
    drop(hold);
    g.finish();

    if common::measuring() {
        common::print_ratios(
            "fields_record",
            "ours, 2 fields",
            &["ours, no fields", "tracing fmt, span with 2 fields"],
        );
        common::print_ratios(
            "fields_enter",
            "enter+exit, 2 fields",
            &["enter+exit, no fields"],
        );
        common::print_ratios(
            "bridge_disabled",
            "tracing debug!, tracing's fmt at INFO",
            &[
                "tracing debug!, our layer",
                "tracing debug!, our layer, debug scope on another thread",
                "log debug!, no debug scope anywhere",
                "log debug!, debug scope on another thread",
            ],
        );
    }
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = records, bridges
}
criterion_main!(benches);
