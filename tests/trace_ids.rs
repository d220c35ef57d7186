//! The `opentelemetry` feature: a record logged inside an OpenTelemetry span carries the span's
//! `trace_id` and `span_id`, in every format; a scope entered inside a span keeps them for its
//! records on whichever thread polls it, after the span is no longer current; a span active at
//! the call wins; and `tracing` spans under `tracing-opentelemetry` give their ids to the
//! records of both the bridge and the macros.
#![cfg(feature = "opentelemetry")]

#[path = "support/poll.rs"]
mod poll;

use std::sync::Arc;

use opentelemetry::Context;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use scoped_logger::format::{Format, JsonFormat, TextFormat};
use scoped_logger::kv::OwnedValue;
use scoped_logger::{FutureExt as _, Handler, LevelFilter, MemoryHandler, Registry, info};

fn span(trace: u128, span: u64) -> Context {
    Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from(trace),
        SpanId::from(span),
        TraceFlags::SAMPLED,
        false,
        TraceState::default(),
    ))
}

fn setup() -> (Registry, Arc<MemoryHandler>) {
    let reg = Registry::new();
    let mem = Arc::new(MemoryHandler::new());
    reg.root().add_shared_handler(mem.clone());
    reg.root().set_level(LevelFilter::Info);
    (reg, mem)
}

fn ids_of(rec: &scoped_logger::OwnedRecord) -> Option<(String, String)> {
    let text = |k| match rec.value(k)? {
        OwnedValue::Str(s) => Some(s.clone()),
        other => panic!("{k} is a string, not {other:?}"),
    };
    Some((text("trace_id")?, text("span_id")?))
}

fn hex(trace: u128, span: u64) -> (String, String) {
    (format!("{trace:032x}"), format!("{span:016x}"))
}

#[test]
fn a_record_in_a_span_carries_its_ids_and_none_outside() {
    let (reg, mem) = setup();
    let log = reg.logger("jobs");
    info!(logger: &log, "before");
    {
        let _g = span(0x0af7651916cd43dd8448eb211c80319c, 0xb7ad6b7169203331).attach();
        info!(logger: &log, job = 42; "inside");
    }
    info!(logger: &log, "after");
    let recs = mem.records();
    assert_eq!(ids_of(&recs[0]), None);
    assert_eq!(
        ids_of(&recs[1]),
        Some(hex(0x0af7651916cd43dd8448eb211c80319c, 0xb7ad6b7169203331))
    );
    assert_eq!(
        recs[1].value("job"),
        Some(&OwnedValue::I64(42)),
        "its own key-values too"
    );
    assert_eq!(ids_of(&recs[2]), None);
}

#[test]
fn every_format_writes_them() {
    struct Lines(Box<dyn Format>, parking_lot::Mutex<Vec<u8>>);
    impl Handler for Lines {
        fn handle(&self, record: &scoped_logger::Record<'_>) {
            self.0.format(record, &mut self.1.lock());
        }
    }
    let reg = Registry::new();
    let text = Arc::new(Lines(Box::new(TextFormat), Default::default()));
    let json = Arc::new(Lines(Box::new(JsonFormat), Default::default()));
    reg.root().add_shared_handler(text.clone());
    reg.root().add_shared_handler(json.clone());
    let _g = span(0xabc, 0xdef).attach();
    scoped_logger::warn!(logger: &reg.logger("jobs"), "hello");
    let (trace, span) = hex(0xabc, 0xdef);
    let line = String::from_utf8(text.1.lock().clone()).unwrap();
    assert!(
        line.contains(&format!("trace_id={trace} span_id={span}")),
        "{line}"
    );
    let json: serde_json::Value = serde_json::from_slice(json.1.lock().trim_ascii_end()).unwrap();
    assert_eq!(json["kv"]["trace_id"], trace.as_str());
    assert_eq!(json["kv"]["span_id"], span.as_str());
}

#[test]
fn a_scope_entered_in_a_span_keeps_its_ids_on_any_thread_and_the_calls_span_wins() {
    let (reg, mem) = setup();
    let fut = {
        let _g = span(0xa, 0x1).attach();
        let scope = reg.scope("tasks.1").open().unwrap();
        async {
            info!("first poll");
            poll::YieldOnce(false).await;
            info!("second poll");
            {
                let _g = span(0xb, 0x2).attach();
                info!("in another span");
            }
        }
        .in_scope(scope)
    };
    // The span is no longer current anywhere; another thread polls the task.
    std::thread::spawn(move || poll::block_on(fut))
        .join()
        .unwrap();
    let recs = mem.records();
    assert_eq!(recs.len(), 3);
    assert_eq!(ids_of(&recs[0]), Some(hex(0xa, 0x1)));
    assert_eq!(ids_of(&recs[1]), Some(hex(0xa, 0x1)));
    assert_eq!(
        ids_of(&recs[2]),
        Some(hex(0xb, 0x2)),
        "the call's span wins"
    );
    assert_eq!(
        recs[2]
            .key_values
            .iter()
            .filter(|(k, _)| k == "trace_id")
            .count(),
        1,
        "one trace_id, not the scope's as well"
    );
}

#[test]
fn a_scope_outside_any_span_carries_none_and_inner_scopes_inherit() {
    let (reg, mem) = setup();
    {
        let _outer = reg.scope("jobs.1").enter().unwrap();
        info!("no span");
        let _g = span(0xc, 0x3).attach();
        let _inner = reg.scope("jobs.1.step").field("step", 1).enter().unwrap();
        drop(_g);
        info!("inner, its span gone");
    }
    let recs = mem.records();
    assert_eq!(ids_of(&recs[0]), None);
    assert_eq!(ids_of(&recs[1]), Some(hex(0xc, 0x3)));
    assert_eq!(recs[1].value("step"), Some(&OwnedValue::I64(1)));
}

#[cfg(feature = "tracing")]
#[test]
fn tracing_spans_under_tracing_opentelemetry_give_their_ids() {
    use opentelemetry::trace::TracerProvider as _;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    use tracing_subscriber::layer::SubscriberExt as _;

    let (reg, mem) = setup();
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")))
        .with(scoped_logger::bridge::tracing::TracingLayer::new());
    tracing::subscriber::with_default(subscriber, || {
        // Entered before the span, so the ids can only come from the span at the call; the
        // bridge's events go to this scope's logger.
        let _scope = reg.scope("requests").enter().unwrap();
        let span = tracing::info_span!("request");
        let _e = span.enter();
        let sc = span.context().span().span_context().clone();
        assert!(sc.is_valid());
        tracing::info!("through the bridge");
        info!("through the macros");
        let want = (sc.trace_id().to_string(), sc.span_id().to_string());
        let recs = mem.records();
        assert_eq!(recs.len(), 2, "{recs:?}");
        assert_eq!(ids_of(&recs[0]), Some(want.clone()), "the bridge's record");
        assert_eq!(ids_of(&recs[1]), Some(want), "the macros' record");
    });
}
