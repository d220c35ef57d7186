//! The worker's end: turns packed records into the SDK's log records, exports them with the
//! official OTLP exporter on a runtime of its own, waits for a collector that is away (backing
//! off, while the queue absorbs new records), and tells the collector, at the gap, how many
//! were lost. Only the worker thread ever waits here.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry::InstrumentationScope;
use opentelemetry::logs::Logger as _;
use opentelemetry_otlp::LogExporter;
use opentelemetry_sdk::logs::{LogBatch, LogExporter as _, SdkLogRecord, SdkLogger};

use crate::handler::ErrorReporter;
use crate::handler::last_resort::with_drop_report;
use crate::handler::queue::{DropCause, Sink};
use crate::handler::retry::{Backoff, Control};

use super::item;

/// Most instrumentation scopes kept between batches (one per logger name seen): a program that
/// makes logger names without end rebuilds them now and then, never grows without bound.
const MAX_SCOPES: usize = 4096;

pub(super) struct OtlpSink {
    pub(super) runtime: tokio::runtime::Runtime,
    pub(super) exporter: LogExporter,
    /// Makes the SDK's records (the SDK has no other public way to); its provider has no
    /// processor: records go to the exporter straight from here.
    pub(super) logger: SdkLogger,
    pub(super) scopes: HashMap<String, InstrumentationScope>,
    pub(super) backoff: Backoff,
    /// How long one batch is tried before it is given up and counted.
    pub(super) give_up: Duration,
    pub(super) control: Arc<Control>,
    pub(super) errors: Arc<ErrorReporter>,
    pub(super) what: String,
    /// Records the collector never got, not yet counted by the queue.
    pub(super) lost: u64,
    /// Drops (the queue's and ours) not yet told to the collector.
    pub(super) unreported: u64,
    /// Whether the collector was unreachable since the last report.
    pub(super) was_down: bool,
}

impl OtlpSink {
    /// The "N records dropped" record, packed like any other.
    fn report(&self) -> Vec<u8> {
        let n = self.unreported;
        let why = if self.was_down {
            "unreachable"
        } else {
            "not keeping up"
        };
        with_drop_report(
            n,
            None,
            format_args!("{n} records dropped while the OpenTelemetry collector was {why}"),
            item::pack,
        )
    }

    /// Exports `packed` as one batch, trying again (backing off) while the collector is away,
    /// until it takes them, the handler closes, or [`give_up`](Self::give_up) has passed.
    /// Returns whether they went through.
    fn export(&mut self, packed: &[&[u8]]) -> bool {
        if self.scopes.len() > MAX_SCOPES {
            self.scopes.clear();
        }
        let mut records: Vec<(SdkLogRecord, &str)> = Vec::with_capacity(packed.len());
        for p in packed {
            let mut rec = self.logger.create_log_record();
            let logger = item::unpack(p, &mut rec).logger;
            let name = if logger.is_empty() { "root" } else { logger };
            if !self.scopes.contains_key(name) {
                let scope = InstrumentationScope::builder(name.to_owned()).build();
                self.scopes.insert(name.to_owned(), scope);
            }
            records.push((rec, name));
        }
        let batch: Vec<(&SdkLogRecord, &InstrumentationScope)> = records
            .iter()
            .map(|(rec, name)| (rec, &self.scopes[*name]))
            .collect();
        let began = Instant::now();
        loop {
            let result = self
                .runtime
                .block_on(self.exporter.export(LogBatch::new(&batch)));
            match result {
                Ok(()) => {
                    self.backoff.succeeded();
                    return true;
                }
                Err(e) => {
                    self.was_down = true;
                    self.errors.report(
                        &format!("exporting to {}", self.what),
                        io::Error::other(e.to_string()),
                    );
                    let now = Instant::now();
                    if self.control.closing() || now.duration_since(began) >= self.give_up {
                        return false;
                    }
                    self.backoff.failed(now);
                    self.control
                        .wait_until(self.backoff.next.min(began + self.give_up));
                }
            }
        }
    }
}

impl Sink for OtlpSink {
    type Item = Vec<u8>;

    fn write_batch(&mut self, batch: &mut Vec<Vec<u8>>) -> io::Result<()> {
        let report = (self.unreported > 0).then(|| self.report());
        let mut packed: Vec<&[u8]> = Vec::with_capacity(batch.len() + 1);
        packed.extend(report.as_deref());
        packed.extend(batch.iter().map(Vec::as_slice));
        if self.export(&packed) {
            if report.is_some() {
                self.unreported = 0;
                self.was_down = false;
            }
        } else {
            let n = batch.len() as u64;
            self.lost += n;
            self.unreported += n;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Drops after the last record have none to ride on: tell them now, if the collector
        // takes them (a report is never counted as lost itself).
        if self.unreported > 0 {
            let report = self.report();
            if self.export(&[&report]) {
                self.unreported = 0;
                self.was_down = false;
            }
        }
        Ok(())
    }

    fn report_dropped(&mut self, count: u64, _cause: DropCause) -> io::Result<()> {
        self.unreported += count;
        Ok(())
    }

    fn close(&mut self) -> io::Result<()> {
        self.exporter
            .shutdown_with_timeout(Duration::from_millis(100))
            .map_err(|e| io::Error::other(e.to_string()))
    }

    fn take_lost(&mut self) -> u64 {
        std::mem::take(&mut self.lost)
    }
}
