//! The `tracing` bridge: a [`tracing_subscriber::Layer`] that turns events into records.
//!
//! Routing is the same as the `log` bridge (current scope, else the event's target). The event's
//! fields become key-values (its `message` field is the message), and the names of the spans the
//! event is in, outermost first, are the `spans` key-value (`"request:db"`), so formats show them.

use std::fmt::{self, Write as _};

use tracing_core::field::{Field, Visit};
use tracing_core::{Event, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::level::Level;
use crate::record::{OwnedValue, Record, Value};

/// A layer that sends `tracing` events into the scoped-logger tree.
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt as _;
/// let subscriber = tracing_subscriber::registry().with(scoped_logger::TracingLayer::new());
/// tracing::subscriber::with_default(subscriber, || {
///     // tracing::info!(...) here reaches the current scope's handlers.
/// });
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct TracingLayer {
    _private: (),
}

impl TracingLayer {
    /// The layer.
    pub fn new() -> Self {
        Self::default()
    }
}

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

impl<S> tracing_subscriber::Layer<S> for TracingLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        let level = to_level(meta.level());
        let route = super::route(meta.target());
        let logger = &route.logger;
        if !logger.enabled(level) {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let spans = ctx.event_scope(event).map(|scope| {
            let mut names = String::new();
            for span in scope.from_root() {
                if !names.is_empty() {
                    names.push(':');
                }
                names.push_str(span.name());
            }
            names
        });
        let mut kvs: Vec<(&str, Value<'_>)> = Vec::with_capacity(fields.kvs.len() + 2);
        if route.scoped {
            kvs.push(("target", Value::Str(meta.target())));
        }
        if let Some(s) = spans.as_deref().filter(|s| !s.is_empty()) {
            kvs.push(("spans", Value::Str(s)));
        }
        kvs.extend(fields.kvs.iter().map(|(k, v)| (*k, v.as_value())));
        crate::internal::with_thread_name(|thread| {
            logger.dispatch(
                &Record::builder(level, logger.name(), format_args!("{}", fields.message))
                    .key_values(&kvs)
                    .fields(route.fields.as_deref())
                    .thread_name(thread)
                    .source(meta.module_path(), meta.file(), meta.line())
                    .build(),
            );
        });
    }
}
