//! [`OtlpBuilder`]: where the records go (protocol, endpoint), as whom (`service.name`), and
//! the queue's and retries' settings; read from the standard `OTEL_*` variables or set in code.
//! Building never connects: a collector that is not up yet is waited for by the worker.

use std::collections::HashMap;
use std::io;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::logs::LoggerProvider as _;
use opentelemetry_otlp::{LogExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::{LogExporter as _, SdkLoggerProvider};

use crate::handler::ErrorReporter;
use crate::handler::queue::{QueueOptions, Setup, Worker};
use crate::handler::queued::queue_setter;
use crate::handler::retry::{Backoff, Control};

use super::OtlpHandler;
use super::sink::OtlpSink;

/// How records travel to the collector.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// OTLP over gRPC (`grpc`), by default to `http://localhost:4317`.
    Grpc,
    /// OTLP over HTTP with protobuf bodies (`http/protobuf`), by default to
    /// `http://localhost:4318`: the specification's default.
    #[default]
    HttpProtobuf,
}

impl Protocol {
    /// The name `OTEL_EXPORTER_OTLP_PROTOCOL` uses.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Grpc => "grpc",
            Protocol::HttpProtobuf => "http/protobuf",
        }
    }

    /// The specification's default endpoint for it.
    pub fn default_endpoint(self) -> &'static str {
        match self {
            Protocol::Grpc => "http://localhost:4317",
            Protocol::HttpProtobuf => "http://localhost:4318",
        }
    }
}

impl FromStr for Protocol {
    type Err = io::Error;

    /// `grpc` or `http/protobuf` (`http/json` is not supported).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "grpc" => Ok(Protocol::Grpc),
            "http/protobuf" => Ok(Protocol::HttpProtobuf),
            other => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unsupported OTLP protocol {other:?}: expected grpc or http/protobuf"),
            )),
        }
    }
}

/// Configures an [`OtlpHandler`]; made by [`OtlpHandler::builder`] (defaults) or
/// [`OtlpBuilder::from_env`] (the `OTEL_*` variables).
///
/// ```no_run
/// use scoped_logger::handler::otlp::{OtlpHandler, Protocol};
/// use scoped_logger::handler::queue::QueueOptions;
/// use std::time::Duration;
///
/// let otlp = OtlpHandler::builder()
///     .protocol(Protocol::Grpc)
///     .endpoint("http://127.0.0.1:4317")
///     .service_name("billing")
///     .export_timeout(Duration::from_secs(5))
///     .queue(QueueOptions::default().capacity(16_384)) // records held while it is away
///     .open()?;
/// scoped_logger::root().add_handler(otlp);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `.open()`"]
pub struct OtlpBuilder {
    protocol: Protocol,
    endpoint: Option<String>,
    service_name: Option<String>,
    attributes: Vec<(String, String)>,
    export_timeout: Duration,
    retry: (Duration, Duration),
    give_up: Duration,
    queue: QueueOptions,
}

impl Default for OtlpBuilder {
    fn default() -> Self {
        OtlpBuilder {
            protocol: Protocol::default(),
            endpoint: None,
            service_name: None,
            attributes: Vec::new(),
            export_timeout: Duration::from_secs(5),
            retry: (Duration::from_millis(100), Duration::from_secs(5)),
            give_up: Duration::from_secs(60),
            queue: QueueOptions::default(),
        }
    }
}

impl OtlpBuilder {
    /// A builder set from the standard variables: `OTEL_EXPORTER_OTLP_PROTOCOL` (`grpc` or
    /// `http/protobuf`, the default), `OTEL_EXPORTER_OTLP_ENDPOINT` (the base URL; over HTTP
    /// the records are posted to `/v1/logs` under it) and `OTEL_SERVICE_NAME`. Fails on a
    /// protocol it does not speak.
    pub fn from_env() -> io::Result<OtlpBuilder> {
        Self::from_vars(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    fn from_vars(var: impl Fn(&str) -> Option<String>) -> io::Result<OtlpBuilder> {
        let mut b = OtlpBuilder::default();
        if let Some(p) = var("OTEL_EXPORTER_OTLP_PROTOCOL") {
            b.protocol = p.parse()?;
        }
        b.endpoint = var("OTEL_EXPORTER_OTLP_ENDPOINT");
        b.service_name = var("OTEL_SERVICE_NAME");
        Ok(b)
    }

    /// gRPC or HTTP/protobuf (default [`Protocol::HttpProtobuf`]).
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// The collector's base URL (default: the protocol's
    /// [`default_endpoint`](Protocol::default_endpoint)). Over HTTP the records are posted to
    /// `/v1/logs` under it, as the specification says of `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// The resource's `service.name` (default: the SDK's, which reads `OTEL_SERVICE_NAME`,
    /// else `unknown_service`).
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Adds a resource attribute (`deployment.environment`, `host.name`, ...). The SDK also
    /// reads `OTEL_RESOURCE_ATTRIBUTES`.
    pub fn resource_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push((key.into(), value.into()));
        self
    }

    /// How long one export may take before it counts as failed (default 5 s).
    pub fn export_timeout(mut self, timeout: Duration) -> Self {
        self.export_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The delays between tries while the collector is away: `min` after the first failure,
    /// doubling up to `max` (defaults 100 ms and 5 s). Only the worker waits.
    pub fn retry_delay(mut self, min: Duration, max: Duration) -> Self {
        self.retry = (min, max.max(min));
        self
    }

    /// How long one batch is tried before it is given up and counted as dropped (default
    /// 60 s). Meanwhile new records wait in the queue, and what a full queue refuses is counted.
    pub fn give_up_after(mut self, window: Duration) -> Self {
        self.give_up = window;
        self
    }

    queue_setter!();

    /// The URL records are sent to: the base URL for gRPC, `/v1/logs` under it for HTTP.
    fn url(&self) -> String {
        let base = self
            .endpoint
            .as_deref()
            .unwrap_or(self.protocol.default_endpoint());
        match self.protocol {
            Protocol::Grpc => base.to_owned(),
            Protocol::HttpProtobuf => format!("{}/v1/logs", base.trim_end_matches('/')),
        }
    }

    /// Starts the worker and returns the handler. Nothing is sent yet: a collector that is
    /// not up is waited for. Fails when the endpoint is not a URL the exporter takes, or the
    /// worker thread cannot start.
    pub fn open(self) -> io::Result<OtlpHandler> {
        let url = self.url();
        let what = format!("otlp {} {url}", self.protocol.name());
        let invalid = |e: &dyn std::fmt::Display| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("{what}: {e}"))
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        // The gRPC channel is made inside the runtime it will run on.
        let mut exporter = {
            let _inside = runtime.enter();
            let built = match self.protocol {
                Protocol::Grpc => LogExporter::builder()
                    .with_tonic()
                    .with_endpoint(url.clone())
                    .with_timeout(self.export_timeout)
                    .build(),
                Protocol::HttpProtobuf => LogExporter::builder()
                    .with_http()
                    .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
                    .with_endpoint(url.clone())
                    .with_timeout(self.export_timeout)
                    .build(),
            };
            built.map_err(|e| invalid(&e))?
        };
        let mut resource = Resource::builder();
        if let Some(name) = &self.service_name {
            resource = resource.with_service_name(name.clone());
        }
        for (k, v) in &self.attributes {
            resource = resource.with_attribute(opentelemetry::KeyValue::new(k.clone(), v.clone()));
        }
        exporter.set_resource(&resource.build());
        let logger = SdkLoggerProvider::builder().build().logger("scoped-logger");
        let control = Arc::new(Control::default());
        let errors = Arc::new(ErrorReporter::new(format!("otlp handler ({what})")));
        let sink = OtlpSink {
            runtime,
            exporter,
            logger,
            scopes: HashMap::new(),
            backoff: Backoff::new(self.retry.0, self.retry.1),
            give_up: self.give_up,
            control: control.clone(),
            errors: errors.clone(),
            what: what.clone(),
            lost: 0,
            unreported: 0,
            was_down: false,
        };
        let mut setup = Setup::new("scoped-logger-otlp", self.queue);
        setup.description = Some(format!("otlp handler ({what})"));
        let worker = Worker::start(sink, setup)?;
        Ok(OtlpHandler {
            worker,
            control,
            errors,
            what,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_standard_variables_set_protocol_endpoint_and_service() {
        let b = OtlpBuilder::from_vars(vars(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
            ("OTEL_SERVICE_NAME", "billing"),
        ]))
        .unwrap();
        assert_eq!(b.protocol, Protocol::Grpc);
        assert_eq!(b.url(), "http://collector:4317");
        assert_eq!(b.service_name.as_deref(), Some("billing"));
    }

    #[test]
    fn over_http_the_records_go_to_v1_logs_under_the_base() {
        let b = OtlpBuilder::from_vars(vars(&[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://127.0.0.1:4318/",
        )]))
        .unwrap();
        assert_eq!(
            b.protocol,
            Protocol::HttpProtobuf,
            "the specification's default"
        );
        assert_eq!(b.url(), "http://127.0.0.1:4318/v1/logs");
        let none = OtlpBuilder::from_vars(vars(&[])).unwrap();
        assert_eq!(none.url(), "http://localhost:4318/v1/logs");
        assert_eq!(none.protocol(Protocol::Grpc).url(), "http://localhost:4317");
    }

    #[test]
    fn an_unknown_protocol_is_an_error() {
        let e = OtlpBuilder::from_vars(vars(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]))
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("http/json"), "{e}");
    }
}
