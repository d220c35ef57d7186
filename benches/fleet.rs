//! What going to the fleet costs the code that logs: an enabled record with the
//! `opentelemetry` feature, outside a span and inside one (against the same record built
//! without the feature), and the caller's side of `OtlpHandler::handle` against
//! `StderrHandler`'s (both only queue; their writers run on threads of their own).
//!
//! `cargo bench -p scoped-logger-benches --bench fleet --features opentelemetry,otlp -- --quick`
//!
//! The figures in BENCHMARKS.md are instruction counts. `FLEET_BENCH_COUNT=case:n` runs one
//! case `n` times and exits; for the records, the difference between two counts under callgrind
//! over the extra iterations is the cost of one (build once with and once without
//! `--features opentelemetry`):
//!
//! ```text
//! for c in record_no_span record_in_span bare_no_span bare_in_span; do for n in 100000 200000; do
//!   FLEET_BENCH_COUNT=$c:$n valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/deps/fleet-<hash> 2>&1 | grep 'refs:'; done; done
//! ```
//!
//! and for the handlers, the inclusive cost of the caller's call alone (the writer threads
//! excluded), with symbols (`CARGO_PROFILE_BENCH_DEBUG=true`):
//!
//! ```text
//! for c in handle_stderr handle_otlp; do
//!   FLEET_BENCH_COUNT=$c:100000 valgrind --tool=callgrind --callgrind-out-file=cg.$c \
//!     target/release/deps/fleet-<hash> 2>/dev/null
//!   python3 benches/callgrind_per_call.py cg.$c 'fleet::handle_once'; done
//! ```

mod common;

use std::hint::black_box;

use common::Discard;
use criterion::{criterion_group, criterion_main};
use opentelemetry::Context;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use scoped_logger::handler::queue::QueueOptions;
use scoped_logger::kv::Value;
use scoped_logger::{Handler, Level, LevelFilter, Record, Registry, StderrHandler, info};

/// Reads every key-value and nothing else: the record's own cost, without a format's.
struct Bare;

impl Handler for Bare {
    fn handle(&self, record: &Record<'_>) {
        black_box(record.key_values().count());
    }
}

/// A sampled span context of a span made elsewhere: what a program's own span looks like to
/// the library.
fn span() -> Context {
    Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from(0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c_u128),
        SpanId::from(0xb7ad_6b71_6920_3331_u64),
        TraceFlags::SAMPLED,
        false,
        TraceState::default(),
    ))
}

/// One `handle` call, apart, so that callgrind can count the caller's side alone.
#[inline(never)]
fn handle_once(handler: &dyn Handler, n: u64) {
    let kvs = [("job", Value::U64(n)), ("user", Value::Str("ann"))];
    handler.handle(
        &Record::builder(
            Level::Info,
            "jobs.1",
            format_args!("done in {} ms", black_box(42)),
        )
        .key_values(&kvs)
        .build(),
    );
}

/// `FLEET_BENCH_COUNT=case:n`: runs one case `n` times (see the module docs). The `record_*`
/// cases format a text line (`Discard`), the `bare_*` ones only read the key-values (`Bare`).
fn count(case: &str, n: u64) {
    let reg = Registry::new();
    if case.starts_with("bare_") {
        reg.root().add_handler(Bare);
    } else {
        reg.root().add_handler(Discard);
    }
    reg.root().set_level(LevelFilter::Info);
    let many = |f: &mut dyn FnMut()| {
        for _ in 0..n {
            f()
        }
    };
    match case {
        // The records go to the scope's logger (entered outside any span: the ids come from
        // the span at the call).
        "record_no_span" | "bare_no_span" => {
            let _s = reg.scope("jobs.1").enter().unwrap();
            many(&mut || info!("done in {} ms", black_box(42)));
        }
        "record_in_span" | "bare_in_span" => {
            let _s = reg.scope("jobs.1").enter().unwrap();
            let _g = span().attach();
            many(&mut || info!("done in {} ms", black_box(42)));
        }
        "handle_stderr" => {
            let h = StderrHandler::new().queue(QueueOptions::default().capacity(n as usize + 1));
            for i in 0..n {
                handle_once(&h, i);
            }
        }
        #[cfg(feature = "otlp")]
        "handle_otlp" => {
            // Nothing listens there: every record stays queued, none is dropped.
            let h = scoped_logger::handler::otlp::OtlpHandler::builder()
                .endpoint("http://127.0.0.1:9")
                .queue(QueueOptions::default().capacity(n as usize + 1))
                .open()
                .expect("the handler opens without a collector");
            for i in 0..n {
                handle_once(&h, i);
            }
            assert_eq!(h.dropped(), 0);
        }
        other => panic!("unknown case {other}"),
    }
}

fn fleet(c: &mut criterion::Criterion) {
    if let Ok(spec) = std::env::var("FLEET_BENCH_COUNT") {
        let (case, n) = spec.split_once(':').expect("case:count");
        count(case, n.parse().expect("a count"));
        std::process::exit(0);
    }
    let reg = Registry::new();
    reg.root().add_handler(Discard);
    reg.root().set_level(LevelFilter::Info);
    let _s = reg.scope("jobs.1").enter().unwrap();
    let mut g = c.benchmark_group("trace_ids");
    g.bench_function("record, no span", |b| {
        b.iter(|| info!("done in {} ms", black_box(42)))
    });
    {
        let _g = span().attach();
        g.bench_function("record, in a span", |b| {
            b.iter(|| info!("done in {} ms", black_box(42)))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = fleet
}
criterion_main!(benches);
