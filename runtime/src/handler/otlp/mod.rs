//! [`OtlpHandler`]: records as OpenTelemetry logs over OTLP (gRPC or HTTP/protobuf) to a
//! collector, built on the official crates (`opentelemetry`, `opentelemetry_sdk`,
//! `opentelemetry-otlp`, 0.33) and on the never-blocking
//! [`Worker`]: a collector that is slow, away or restarting
//! never stalls the program that logs, and every record that does not reach it is counted.
//!
//! # The log record
//!
//! | record | OpenTelemetry log record |
//! | --- | --- |
//! | the logger's name | the instrumentation scope's name (`root` for the root logger) |
//! | the level | `SeverityNumber` and `SeverityText`: `ERROR` 17, `WARN` 13, `INFO` 9, `DEBUG` 5, `TRACE` 1 |
//! | the message | the body, a string |
//! | the time | `Timestamp` (`ObservedTimestamp`: when the worker made the log record) |
//! | each key-value | an attribute: integers as `Int` (an unsigned one above `i64::MAX` as its decimal string), floats as `Double`, booleans as `Bool`, everything else as its `Display` string |
//! | `trace_id`, `span_id` | the log record's own trace context, not attributes (the feature `opentelemetry` puts them on every record logged inside a span) |
//! | the call site | the attributes `code.file.path` and `code.line.number` |
//!
//! The resource carries `service.name` ([`OtlpBuilder::service_name`], `OTEL_SERVICE_NAME`)
//! and what the SDK detects (`OTEL_RESOURCE_ATTRIBUTES`, `telemetry.sdk.*`).
//!
//! # When the collector goes away
//!
//! The caller waits at most the queue's stall window, once per outage (the default
//! [`Policy`](crate::handler::queue::Policy); under `Policy::Drop` never): records are packed
//! into a bounded queue on the caller's thread and a worker thread exports them in batches. When an export fails, the worker tries the same batch again, first after
//! [`OtlpBuilder::retry_delay`]'s shortest delay and then doubling it, while the queue absorbs
//! new records; once the queue is full, further records are dropped and counted
//! ([`OtlpHandler::dropped`], [`Handler::dropped`](crate::Handler::dropped)); a batch still refused after
//! [`OtlpBuilder::give_up_after`] is dropped and counted too. When the collector takes records
//! again, the next batch starts with one record (a `WARN` from the logger `scoped_logger`,
//! with the count in the attribute `dropped`):
//!
//! ```text
//! 4242 records dropped while the OpenTelemetry collector was unreachable
//! ```
//!
//! The error is reported once through [`ErrorReporter`] and counted after that. Closing the
//! handler (and the flush at process exit) stops the waiting: whatever cannot be sent by the
//! one deadline is counted, and the worker never holds up the exit past it. What OTLP cannot
//! promise: an export that timed out after the collector had read it is sent again, so a slow
//! collector may see a batch twice.
//!
//! No TLS: send to a collector or agent on the machine or in the cluster (`http://` URLs).
//!
//! ```no_run
//! use scoped_logger::handler::otlp::OtlpHandler;
//!
//! // OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317 OTEL_EXPORTER_OTLP_PROTOCOL=grpc
//! // OTEL_SERVICE_NAME=billing
//! scoped_logger::root().add_handler(OtlpHandler::from_env()?);
//! scoped_logger::warn!(job = 42; "disk at {}%", 91);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fmt;
use std::io;
use std::sync::Arc;

use crate::handler::ErrorReporter;
use crate::handler::queue::Worker;
use crate::handler::queued::queued_handler;
use crate::handler::retry::Control;
use crate::record::Record;

mod builder;
mod item;
mod sink;

pub use builder::{OtlpBuilder, Protocol};
use sink::OtlpSink;

/// Sends records to an OpenTelemetry collector without ever blocking the caller; see the
/// [module docs](self) for the mapping and what happens when the collector goes away.
pub struct OtlpHandler {
    worker: Worker<OtlpSink>,
    control: Arc<Control>,
    errors: Arc<ErrorReporter>,
    what: String,
}

impl fmt::Debug for OtlpHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpHandler")
            .field("to", &self.what)
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl OtlpHandler {
    /// A handler set from the standard `OTEL_*` variables (see [`OtlpBuilder::from_env`]).
    pub fn from_env() -> io::Result<OtlpHandler> {
        OtlpBuilder::from_env()?.open()
    }

    /// A builder with the specification's defaults (HTTP/protobuf to `http://localhost:4318`),
    /// ignoring the `OTEL_EXPORTER_OTLP_*` variables unless [`OtlpBuilder::from_env`] is used.
    pub fn builder() -> OtlpBuilder {
        OtlpBuilder::default()
    }

    fn pack(&self, record: &Record<'_>) -> Vec<u8> {
        item::pack(record)
    }
}

queued_handler!(OtlpHandler);
