//! The `log` crate bridge: a [`log::Log`] that turns `log` records into ours.
//!
//! `log::max_level()` is kept in step with the most verbose effective level of any logger, so a
//! `log::debug!` that no logger would accept costs one atomic load in the library that calls it.

use std::fmt;

use crate::kv::{OwnedValue, Value};
use crate::level::{Level, LevelFilter};
use crate::record::Record;

/// The bridge; [`install`] sets it as the `log` crate's logger.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogBridge;

/// The error of [`install`]: another logger was set first.
#[derive(Debug)]
pub struct InstallError(());

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("another `log` logger is already installed; the bridge can be installed once per process, before any other")
    }
}

impl std::error::Error for InstallError {}

/// Installs the bridge as the process's `log` logger and keeps `log::max_level` in step with the
/// tree. `scoped_logger::init()` calls it; call it yourself when you set handlers up by hand.
///
/// ```
/// scoped_logger::bridge::log::install().unwrap();
/// assert!(scoped_logger::bridge::log::install().is_err(), "once per process");
/// ```
pub fn install() -> Result<(), InstallError> {
    static BRIDGE: LogBridge = LogBridge;
    log::set_logger(&BRIDGE).map_err(|_| InstallError(()))?;
    crate::gate::add_hook(|max| log::set_max_level(to_log_filter(max)));
    Ok(())
}

fn to_level(l: log::Level) -> Level {
    match l {
        log::Level::Error => Level::Error,
        log::Level::Warn => Level::Warn,
        log::Level::Info => Level::Info,
        log::Level::Debug => Level::Debug,
        log::Level::Trace => Level::Trace,
    }
}

fn to_log_filter(l: LevelFilter) -> log::LevelFilter {
    match l {
        LevelFilter::Off => log::LevelFilter::Off,
        LevelFilter::Error => log::LevelFilter::Error,
        LevelFilter::Warn => log::LevelFilter::Warn,
        LevelFilter::Info => log::LevelFilter::Info,
        LevelFilter::Debug => log::LevelFilter::Debug,
        LevelFilter::Trace => log::LevelFilter::Trace,
    }
}

struct Collect(Vec<(String, OwnedValue)>);

impl<'kvs> log::kv::VisitSource<'kvs> for Collect {
    fn visit_pair(
        &mut self,
        key: log::kv::Key<'kvs>,
        value: log::kv::Value<'kvs>,
    ) -> Result<(), log::kv::Error> {
        let v = if let Some(b) = value.to_bool() {
            OwnedValue::Bool(b)
        } else if let Some(i) = value.to_i64() {
            OwnedValue::I64(i)
        } else if let Some(u) = value.to_u64() {
            OwnedValue::U64(u)
        } else if let Some(f) = value.to_f64() {
            OwnedValue::F64(f)
        } else {
            OwnedValue::Str(value.to_string())
        };
        self.0.push((key.as_str().to_owned(), v));
        Ok(())
    }
}

impl log::Log for LogBridge {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        super::enabled(metadata.target(), to_level(metadata.level()))
    }

    fn log(&self, record: &log::Record<'_>) {
        let level = to_level(record.level());
        // The `log` macros' default target is the module path, which they also give as a
        // `'static` text: the same text at the same address is `'static` too.
        let target = record.target();
        let target = match record.module_path_static() {
            Some(m) if m.as_ptr() == target.as_ptr() && m.len() == target.len() => {
                super::Target::fixed(m)
            }
            _ => super::Target::new(target),
        };
        super::route(target, level, |route| {
            let source = record.key_values();
            let mut kvs = Collect(Vec::with_capacity(source.count() + 1));
            let _ = source.visit(&mut kvs);
            let mut borrowed: Vec<(&str, Value<'_>)> = Vec::with_capacity(kvs.0.len() + 1);
            if route.scoped {
                borrowed.push(("target", Value::Str(record.target())));
            }
            borrowed.extend(kvs.0.iter().map(|(k, v)| (k.as_str(), v.as_value())));
            #[cfg(feature = "opentelemetry")]
            let trace = crate::kv::trace_ids::TraceIds::current();
            crate::thread::with_name(|thread| {
                let rec = Record::builder(level, route.logger.name(), *record.args())
                    .key_values(&borrowed)
                    .fields(route.fields)
                    .verdict(route.verdict)
                    .thread_name(thread)
                    .source(record.module_path(), record.file(), record.line());
                #[cfg(feature = "opentelemetry")]
                let rec = rec.trace(trace.as_ref());
                let rec = rec.build();
                route.logger.dispatch(&rec);
            });
        });
    }

    fn flush(&self) {}
}
