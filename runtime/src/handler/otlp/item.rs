//! A record packed into one byte buffer on the caller's thread (one allocation, its size the
//! exact byte count the queue limits), and unpacked on the worker into the SDK's log record.
//! Packing must stay cheap and never fail: nothing here blocks, and the SDK is only touched on
//! the worker's side.

use std::fmt::{self, Write as _};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::logs::{AnyValue, LogRecord as _, Severity};
use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry::{Key, StringValue};
use opentelemetry_sdk::logs::SdkLogRecord;

use crate::kv::Value;
use crate::level::Level;
use crate::record::Record;

const STR: u8 = 0;
const I64: u8 = 1;
const U64: u8 = 2;
const F64: u8 = 3;
const BOOL: u8 = 4;
const NULL: u8 = 5;

/// Writes `fmt` output straight into the buffer.
struct Bytes<'a>(&'a mut Vec<u8>);

impl fmt::Write for Bytes<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Writes a length, then what `write` renders, then patches the length.
fn put_rendered(out: &mut Vec<u8>, write: impl FnOnce(&mut Bytes<'_>) -> fmt::Result) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    if write(&mut Bytes(out)).is_err() {
        out.extend_from_slice(crate::kv::FORMATTING_ERROR.as_bytes());
    }
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

/// Packs `record`: level, time, call site, logger, message, then each key-value.
pub(super) fn pack(record: &Record<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(192);
    out.push(record.level() as u8);
    let nanos = record
        .time()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    out.extend_from_slice(&nanos.to_le_bytes());
    out.extend_from_slice(&record.line().unwrap_or(0).to_le_bytes());
    put_str(&mut out, record.logger());
    put_rendered(&mut out, |w| w.write_fmt(*record.args()));
    put_str(&mut out, record.file().unwrap_or(""));
    for (key, value) in record.key_values() {
        put_str(&mut out, key);
        match value {
            Value::Str(s) => {
                out.push(STR);
                put_str(&mut out, s);
            }
            Value::I64(v) => {
                out.push(I64);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Value::U64(v) => {
                out.push(U64);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Value::F64(v) => {
                out.push(F64);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Value::Bool(v) => {
                out.push(BOOL);
                out.push(v as u8);
            }
            Value::Null => out.push(NULL),
            other => {
                out.push(STR);
                put_rendered(&mut out, |w| write!(w, "{other}"));
            }
        }
    }
    out
}

/// Reads a packed record back, field by field.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }
    fn u8(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take(4).try_into().unwrap_or([0; 4]))
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take(8).try_into().unwrap_or([0; 8]))
    }
    fn str(&mut self) -> &'a str {
        let n = self.u32() as usize;
        // Only `str`s were packed, and lengths cover exactly one each.
        std::str::from_utf8(self.take(n)).unwrap_or_default()
    }
}

/// The severity number and text a level is sent with (the OpenTelemetry log data model's
/// first number of each range).
pub(super) fn severity(level: Level) -> (Severity, &'static str) {
    match level {
        Level::Error => (Severity::Error, "ERROR"),
        Level::Warn => (Severity::Warn, "WARN"),
        Level::Info => (Severity::Info, "INFO"),
        Level::Debug => (Severity::Debug, "DEBUG"),
        Level::Trace => (Severity::Trace, "TRACE"),
    }
}

fn level_of(n: u8) -> Level {
    [
        Level::Error,
        Level::Warn,
        Level::Info,
        Level::Debug,
        Level::Trace,
    ]
    .into_iter()
    .find(|l| *l as u8 == n)
    .unwrap_or(Level::Info)
}

/// `s` as `N` bytes when it is exactly `2 * N` hex digits (an id as the record carries it).
fn hex_id<const N: usize>(s: &str) -> Option<[u8; N]> {
    let s = s.as_bytes();
    if s.len() != 2 * N {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; N];
    for (i, pair) in s.chunks_exact(2).enumerate() {
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

/// What a packed record says besides the SDK record: its logger, for the instrumentation scope.
pub(super) struct Unpacked<'a> {
    pub(super) logger: &'a str,
}

/// Fills `rec` from a packed record. The key-values `trace_id` and `span_id`, when they hold
/// ids, become the record's trace context instead of attributes; the call site becomes the
/// `code.file.path` and `code.line.number` attributes.
pub(super) fn unpack<'a>(packed: &'a [u8], rec: &mut SdkLogRecord) -> Unpacked<'a> {
    let mut r = Reader(packed);
    let level = level_of(r.u8());
    let time = UNIX_EPOCH + Duration::from_nanos(r.u64());
    let line = r.u32();
    let logger = r.str();
    let message = r.str();
    let file = r.str();
    let (number, text) = severity(level);
    rec.set_severity_number(number);
    rec.set_severity_text(text);
    rec.set_timestamp(time);
    rec.set_observed_timestamp(SystemTime::now());
    rec.set_body(AnyValue::String(StringValue::from(message.to_owned())));
    let (mut trace, mut span) = (None, None);
    while !r.0.is_empty() {
        let key = r.str();
        let value = match r.u8() {
            STR => {
                let s = r.str();
                if key == "trace_id" && trace.is_none() {
                    trace = hex_id::<16>(s);
                    if trace.is_some() {
                        continue;
                    }
                }
                if key == "span_id" && span.is_none() {
                    span = hex_id::<8>(s);
                    if span.is_some() {
                        continue;
                    }
                }
                AnyValue::String(StringValue::from(s.to_owned()))
            }
            I64 => AnyValue::Int(r.u64() as i64),
            // Int is signed: a larger unsigned value is sent as its decimal text.
            U64 => {
                let v = r.u64();
                match i64::try_from(v) {
                    Ok(v) => AnyValue::Int(v),
                    Err(_) => AnyValue::String(itoa::Buffer::new().format(v).to_owned().into()),
                }
            }
            F64 => AnyValue::Double(f64::from_bits(r.u64())),
            BOOL => AnyValue::Boolean(r.u8() != 0),
            _ => AnyValue::String(StringValue::from("null")),
        };
        rec.add_attribute(Key::new(key.to_owned()), value);
    }
    if !file.is_empty() {
        rec.add_attribute("code.file.path", AnyValue::String(file.to_owned().into()));
    }
    if line != 0 {
        rec.add_attribute("code.line.number", AnyValue::Int(i64::from(line)));
    }
    match (trace, span) {
        (Some(t), Some(s)) => {
            rec.set_trace_context(TraceId::from_bytes(t), SpanId::from_bytes(s), None)
        }
        // Half a context is no context: keep what there is as an attribute.
        (Some(t), None) => rec.add_attribute("trace_id", TraceId::from_bytes(t).to_string()),
        (None, Some(s)) => rec.add_attribute("span_id", SpanId::from_bytes(s).to_string()),
        (None, None) => {}
    }
    Unpacked { logger }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::logs::{Logger as _, LoggerProvider as _};
    use opentelemetry_sdk::logs::SdkLoggerProvider;

    fn unpacked(record: &Record<'_>) -> (SdkLogRecord, String) {
        let logger = SdkLoggerProvider::builder().build().logger("t");
        let mut rec = logger.create_log_record();
        let packed = pack(record);
        let name = unpack(&packed, &mut rec).logger.to_owned();
        (rec, name)
    }

    fn attr(rec: &SdkLogRecord, key: &str) -> Option<AnyValue> {
        rec.attributes_iter()
            .find(|(k, _)| k.as_str() == key)
            .map(|(_, v)| v.clone())
    }

    #[test]
    fn a_record_unpacks_into_the_log_record_the_contract_maps() {
        let err = std::io::Error::other("disk full");
        let kvs = [
            ("n", Value::I64(-3)),
            ("big", Value::U64(u64::MAX)),
            ("small", Value::U64(7)),
            ("ratio", Value::F64(0.5)),
            ("ok", Value::Bool(true)),
            ("user", Value::Str("ann")),
            ("err", Value::Error(&err)),
            ("none", Value::Null),
            ("trace_id", Value::Str("0af7651916cd43dd8448eb211c80319c")),
            ("span_id", Value::Str("b7ad6b7169203331")),
        ];
        let loc = crate::record::Location::new("m", "src/jobs.rs", 12);
        let time = UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789);
        let record = Record::builder(Level::Warn, "jobs.42", format_args!("disk at 91%"))
            .key_values(&kvs)
            .location(&loc)
            .time(time)
            .build();
        let (rec, logger) = unpacked(&record);
        assert_eq!(logger, "jobs.42");
        assert_eq!(rec.severity_number(), Some(Severity::Warn));
        assert_eq!(rec.severity_text(), Some("WARN"));
        assert_eq!(rec.timestamp(), Some(time));
        assert_eq!(rec.body(), Some(&AnyValue::String("disk at 91%".into())));
        assert_eq!(attr(&rec, "n"), Some(AnyValue::Int(-3)));
        assert_eq!(
            attr(&rec, "big"),
            Some(AnyValue::String(u64::MAX.to_string().into()))
        );
        assert_eq!(attr(&rec, "small"), Some(AnyValue::Int(7)));
        assert_eq!(attr(&rec, "ratio"), Some(AnyValue::Double(0.5)));
        assert_eq!(attr(&rec, "ok"), Some(AnyValue::Boolean(true)));
        assert_eq!(attr(&rec, "user"), Some(AnyValue::String("ann".into())));
        assert_eq!(
            attr(&rec, "err"),
            Some(AnyValue::String("disk full".into()))
        );
        assert_eq!(
            attr(&rec, "code.file.path"),
            Some(AnyValue::String("src/jobs.rs".into()))
        );
        assert_eq!(attr(&rec, "code.line.number"), Some(AnyValue::Int(12)));
        assert_eq!(
            attr(&rec, "trace_id"),
            None,
            "the trace context, not an attribute"
        );
        let cx = rec.trace_context().expect("a trace context");
        assert_eq!(cx.trace_id.to_string(), "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(cx.span_id.to_string(), "b7ad6b7169203331");
    }

    #[test]
    fn ids_that_are_not_ids_stay_attributes() {
        let kvs = [
            ("trace_id", Value::Str("not-hex")),
            ("span_id", Value::U64(5)),
        ];
        let record = Record::builder(Level::Info, "", format_args!("m"))
            .key_values(&kvs)
            .build();
        let (rec, logger) = unpacked(&record);
        assert_eq!(logger, "");
        assert!(rec.trace_context().is_none());
        assert_eq!(
            attr(&rec, "trace_id"),
            Some(AnyValue::String("not-hex".into()))
        );
        assert_eq!(attr(&rec, "span_id"), Some(AnyValue::Int(5)));
    }

    #[test]
    fn hex_ids_parse_exactly() {
        assert_eq!(hex_id::<2>("0aff"), Some([0x0a, 0xff]));
        assert_eq!(hex_id::<2>("0AfF"), Some([0x0a, 0xff]));
        assert_eq!(hex_id::<2>("0af"), None);
        assert_eq!(hex_id::<2>("0ag0"), None);
    }
}
