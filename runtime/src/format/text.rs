//! The default text line: `2026-11-24T19:03:58.123Z WARN jobs.42: message k=v`.
//!
//! Values that would make the line ambiguous (spaces, quotes, `=`, newlines) are quoted with
//! Rust's `Debug` escaping, so one record is always exactly one line.

use std::fmt::Write as _;
use std::io::Write as _;

use super::{Format, display_name};
use crate::record::{Record, Value};

/// The default format: RFC 3339 UTC time with milliseconds, level, logger, message, `k=v` pairs.
///
/// ```
/// use scoped_logger::{Level, Record, format::{Format, TextFormat}};
/// use std::time::{Duration, UNIX_EPOCH};
/// let kvs = [("job", scoped_logger::Value::U64(42))];
/// let rec = Record::builder(Level::Warn, "jobs.42", format_args!("disk at {}%", 91))
///     .key_values(&kvs)
///     .time(UNIX_EPOCH + Duration::from_millis(1_795_892_638_123))
///     .build();
/// let mut out = Vec::new();
/// TextFormat.format(&rec, &mut out);
/// assert_eq!(String::from_utf8(out).unwrap(), "2026-11-28T19:03:58.123Z WARN jobs.42: disk at 91% job=42\n");
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct TextFormat;

impl Format for TextFormat {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        // Writing into a Vec cannot fail.
        super::write_time(record.time(), out);
        out.push(b' ');
        out.extend_from_slice(record.level().as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(display_name(record.logger()).as_bytes());
        out.extend_from_slice(b": ");
        let start = out.len();
        super::write_args(out, *record.args());
        // A message with a newline would split the record: escape it.
        if out[start..].contains(&b'\n') {
            let msg = String::from_utf8_lossy(&out[start..]).replace('\n', "\\n");
            out.truncate(start);
            out.extend_from_slice(msg.as_bytes());
        }
        write_key_values(record, out);
        out.push(b'\n');
    }
}

/// Appends ` replayed=true` for a replay, then ` k=v` for each key-value: values with spaces,
/// quotes, `=` or control characters (and empty strings) are quoted with `Debug` escaping.
pub(crate) fn write_key_values(record: &Record<'_>, out: &mut Vec<u8>) {
    if record.is_replayed() {
        out.extend_from_slice(b" replayed=true");
    }
    let mut scratch = String::new();
    for (key, value) in record.key_values() {
        out.push(b' ');
        out.extend_from_slice(key.as_bytes());
        out.push(b'=');
        scratch.clear();
        let _ = write!(scratch, "{value}");
        let plain = !scratch.is_empty()
            && !scratch
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '=');
        if plain && !matches!(value, Value::Str(s) if s.is_empty()) {
            out.extend_from_slice(scratch.as_bytes());
        } else {
            let _ = write!(out, "{scratch:?}");
        }
    }
}
