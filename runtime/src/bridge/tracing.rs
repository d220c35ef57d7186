//! The `tracing` bridge: a [`tracing_subscriber::Layer`] that turns events into records.
//!
//! [`init`](crate::init) and [`init_for_tests`](crate::init_for_tests) install it as the global
//! `tracing` subscriber (on a `tracing_subscriber` registry of its own) unless the program set a
//! global subscriber first; such a program adds [`TracingLayer`] to its own subscriber to have
//! the events in the tree too.
//!
//! Routing is the same as the `log` bridge (current scope, else the event's target). The event's
//! fields become key-values (its `message` field is the message), then the fields of the spans
//! it is in (the innermost span's first; an inner field shadows an outer one), then the scope's
//! fields; the names of the spans, outermost first, are the `spans` key-value
//! (`"request:db"`), so formats show them.
//!
//! The layer filters with the tree's levels: `max_level_hint` is the tree's most verbose level,
//! so a `tracing::debug!` that no logger would accept is rejected by tracing's own first check,
//! as cheaply as under tracing's own subscriber. When the tree's maximum rises, tracing's
//! interest cache is rebuilt at once; when it falls, at most once a second, so that tasks
//! entering and leaving verbose scopes do not rebuild it at every task boundary (meanwhile an
//! event the tree does not want is rejected in [`enabled`](tracing_subscriber::Layer::enabled)).

use std::fmt::{self, Write as _};
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record as SpanRecord};
use tracing_core::subscriber::Interest;
use tracing_core::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::kv::{OwnedValue, Value};
use crate::level::{Level, LevelFilter};
use crate::record::Record;

/// A layer that sends `tracing` events into the scoped-logger tree.
///
/// It filters with the tree's levels (`enabled`, `max_level_hint`). In tracing-subscriber a
/// layer's filter is global: used next to other layers (a `fmt` layer, say), it would filter
/// their events too; give such a stack a per-layer filter
/// (`TracingLayer::new().with_filter(...)`) or keep this layer on a registry of its own.
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt as _;
/// let subscriber = tracing_subscriber::registry().with(scoped_logger::bridge::tracing::TracingLayer::new());
/// tracing::subscriber::with_default(subscriber, || {
///     // tracing::info!(...) here reaches the current scope's handlers.
/// });
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct TracingLayer {
    _private: (),
}

impl TracingLayer {
    /// The layer. The first one made keeps tracing's interest cache in step with the tree's
    /// levels from then on.
    pub fn new() -> Self {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| crate::gate::add_hook(interest_follows_gate));
        Self::default()
    }
}

/// When tracing's interest cache was last rebuilt for a lower maximum (ms since first use).
static LOWERED_AT_MS: AtomicU64 = AtomicU64::new(0);

fn since_start_ms() -> u64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// The gate moved to `max`: rebuild tracing's interest cache (which asks [`max_level_hint`]
/// again) when tracing's own maximum is below it, or above it and no lowering was done in the
/// last second.
///
/// [`max_level_hint`]: tracing_subscriber::Layer::max_level_hint
fn interest_follows_gate(max: LevelFilter) {
    let wanted = to_tracing_filter(max);
    let current = tracing_core::LevelFilter::current();
    if wanted > current {
        tracing_core::callsite::rebuild_interest_cache();
    } else if wanted < current {
        let now = since_start_ms();
        let last = LOWERED_AT_MS.load(Ordering::Relaxed);
        if (now.saturating_sub(last) >= 1000 || last == 0)
            && LOWERED_AT_MS
                .compare_exchange(last, now.max(1), Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing_core::callsite::rebuild_interest_cache();
        }
    }
}

fn to_tracing_filter(l: LevelFilter) -> tracing_core::LevelFilter {
    match l {
        LevelFilter::Off => tracing_core::LevelFilter::OFF,
        LevelFilter::Error => tracing_core::LevelFilter::ERROR,
        LevelFilter::Warn => tracing_core::LevelFilter::WARN,
        LevelFilter::Info => tracing_core::LevelFilter::INFO,
        LevelFilter::Debug => tracing_core::LevelFilter::DEBUG,
        LevelFilter::Trace => tracing_core::LevelFilter::TRACE,
    }
}

/// A span's fields, kept in its extensions for the events inside it.
struct SpanFields(Vec<(&'static str, OwnedValue)>);

fn to_level(l: &tracing_core::Level) -> Level {
    match *l {
        tracing_core::Level::ERROR => Level::Error,
        tracing_core::Level::WARN => Level::Warn,
        tracing_core::Level::INFO => Level::Info,
        tracing_core::Level::DEBUG => Level::Debug,
        _ => Level::Trace,
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    kvs: Vec<(&'static str, OwnedValue)>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            self.kvs
                .push((field.name(), OwnedValue::Str(format!("{value:?}"))));
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.kvs
                .push((field.name(), OwnedValue::Str(value.to_owned())));
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.kvs.push((field.name(), OwnedValue::I64(value)));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.kvs.push((field.name(), OwnedValue::U64(value)));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.kvs.push((field.name(), OwnedValue::F64(value)));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.kvs.push((field.name(), OwnedValue::Bool(value)));
    }
}

/// Keeps a span's values as they are recorded (its `message`, if any, as a plain field).
fn keep(fields: &mut Vec<(&'static str, OwnedValue)>, values: Fields) {
    if !values.message.is_empty() {
        fields.push(("message", OwnedValue::Str(values.message)));
    }
    for (k, v) in values.kvs {
        match fields.iter_mut().find(|(key, _)| *key == k) {
            Some(slot) => slot.1 = v,
            None => fields.push((k, v)),
        }
    }
}

impl<S> tracing_subscriber::Layer<S> for TracingLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        // The tree's levels change with every verbose scope: ask each time (`enabled`), after
        // tracing's own level check, which `max_level_hint` keeps in step.
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        // Spans by the same rule as events, as tracing's own filters do: the events inside a
        // span the tree does not want still come, without its fields.
        super::enabled(metadata.target(), to_level(metadata.level()))
    }

    fn max_level_hint(&self) -> Option<tracing_core::LevelFilter> {
        Some(to_tracing_filter(LevelFilter::from_u8(crate::gate::get())))
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut values = Fields::default();
        attrs.record(&mut values);
        let mut fields = Vec::new();
        keep(&mut fields, values);
        span.extensions_mut().insert(SpanFields(fields));
    }

    fn on_record(&self, id: &Id, record: &SpanRecord<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut values = Fields::default();
        record.record(&mut values);
        let mut ext = span.extensions_mut();
        match ext.get_mut::<SpanFields>() {
            Some(SpanFields(fields)) => keep(fields, values),
            None => {
                let mut fields = Vec::new();
                keep(&mut fields, values);
                ext.insert(SpanFields(fields));
            }
        }
    }

    // A one-arm `match` is how the message's `format_args!` temporaries outlive the statement
    // that builds the record (a `let` would drop them there).
    #[allow(clippy::match_single_binding)]
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        let level = to_level(meta.level());
        super::route(super::Target::fixed(meta.target()), level, |route| {
            let mut fields = Fields::default();
            event.record(&mut fields);
            // The spans' names (outermost first) and their fields (innermost first).
            let mut names = String::new();
            let mut span_fields: Vec<(&'static str, OwnedValue)> = Vec::new();
            if let Some(scope) = ctx.event_scope(event) {
                for span in scope {
                    if !names.is_empty() {
                        names.insert(0, ':');
                    }
                    names.insert_str(0, span.name());
                    if let Some(SpanFields(f)) = span.extensions().get::<SpanFields>() {
                        span_fields.extend(f.iter().cloned());
                    }
                }
            }
            let mut kvs: Vec<(&str, Value<'_>)> =
                Vec::with_capacity(fields.kvs.len() + span_fields.len() + 2);
            if route.scoped {
                kvs.push(("target", Value::Str(meta.target())));
            }
            if !names.is_empty() {
                kvs.push(("spans", Value::Str(&names)));
            }
            kvs.extend(fields.kvs.iter().map(|(k, v)| (*k, v.as_value())));
            kvs.extend(span_fields.iter().map(|(k, v)| (*k, v.as_value())));
            #[cfg(feature = "opentelemetry")]
            let trace = crate::kv::trace_ids::TraceIds::current();
            crate::thread::with_name(|thread| match format_args!("{}", fields.message) {
                args => {
                    let rec = Record::builder(level, route.logger.name(), args)
                        .key_values(&kvs)
                        .fields(route.fields)
                        .verdict(route.verdict)
                        .thread_name(thread)
                        .source(meta.module_path(), meta.file(), meta.line());
                    #[cfg(feature = "opentelemetry")]
                    let rec = rec.trace(trace.as_ref());
                    route.logger.dispatch(&rec.build());
                }
            });
        });
    }
}
