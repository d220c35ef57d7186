//! JSON lines: one object per record, one record per line, written with `serde_json`.
//!
//! Field names are stable (they are what collectors such as Vector or Fluent Bit are configured
//! against): `time`, `level`, `logger`, `message`, `kv`, `thread`, `module`, `file`, `line`, and
//! `replayed` only when true. An error value is an object, `{"message": "top", "chain":
//! ["cause", "root"]}`, so a consumer can read the top message alone or the whole chain.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::{Format, display_name};
use crate::kv::key_values::KeyValues;
use crate::kv::{Value, render};
use crate::record::Record;

/// One JSON object per line.
///
/// ```
/// use scoped_logger::{Level, Record, format::{Format, JsonFormat}};
/// use scoped_logger::kv::Value;
/// let kvs = [("job", Value::U64(7)), ("user", Value::Str("ana"))];
/// let rec = Record::builder(Level::Info, "jobs.7", format_args!("done"))
///     .key_values(&kvs)
///     .build();
/// let mut out = Vec::new();
/// JsonFormat.format(&rec, &mut out);
/// let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
/// assert_eq!(v["level"], "INFO");
/// assert_eq!(v["kv"]["job"], 7);
/// assert_eq!(v["message"], "done");
/// assert!(out.ends_with(b"}\n"));
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonFormat;

struct Line<'r, 'a>(&'r Record<'a>);
struct Kvs<'a>(KeyValues<'a>);
struct Val<'r, 'a>(&'r Value<'a>);

impl Serialize for Val<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self.0 {
            Value::Str(v) => s.serialize_str(v),
            Value::I64(v) => s.serialize_i64(v),
            Value::U64(v) => s.serialize_u64(v),
            Value::F64(v) if v.is_finite() => s.serialize_f64(v),
            Value::Bool(v) => s.serialize_bool(v),
            Value::Null => s.serialize_unit(),
            Value::Error(e) => ErrorChain(e).serialize(s),
            // Rendered first: serde_json panics when a `Display` impl returns an error.
            ref other => s.serialize_str(&render(format_args!("{other}"))),
        }
    }
}

/// An error value: `{"message": "top", "chain": ["cause", "root"]}`, the chain being the
/// messages of its `source()`s, outermost first (empty when it has none). Each message is
/// rendered first, like any other `Display` value.
struct ErrorChain<'r>(&'r dyn std::error::Error);

impl Serialize for ErrorChain<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let chain: Vec<String> = crate::kv::error::sources(self.0)
            .map(|e| render(format_args!("{e}")))
            .collect();
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("message", &render(format_args!("{}", self.0)))?;
        map.serialize_entry("chain", &chain)?;
        map.end()
    }
}

impl Serialize for Kvs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (k, v) in self.0.clone() {
            map.serialize_entry(k, &Val(&v))?;
        }
        map.end()
    }
}

impl Serialize for Line<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut map = s.serialize_map(None)?;
        let mut time = Vec::with_capacity(24);
        super::write_time(r.time(), &mut time);
        map.serialize_entry("time", std::str::from_utf8(&time).unwrap_or_default())?;
        map.serialize_entry("level", r.level().as_str())?;
        map.serialize_entry("logger", display_name(r.logger()))?;
        map.serialize_entry("message", &render(*r.args()))?;
        if !r.key_values().is_empty() {
            map.serialize_entry("kv", &Kvs(r.key_values()))?;
        }
        if let Some(t) = r.thread_name() {
            map.serialize_entry("thread", t)?;
        }
        if let Some(m) = r.module_path() {
            map.serialize_entry("module", m)?;
        }
        if let Some(f) = r.file() {
            map.serialize_entry("file", f)?;
        }
        if let Some(l) = r.line() {
            map.serialize_entry("line", &l)?;
        }
        if r.is_replayed() {
            map.serialize_entry("replayed", &true)?;
        }
        map.end()
    }
}

impl Format for JsonFormat {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        let start = out.len();
        if serde_json::to_writer(&mut *out, &Line(record)).is_err() {
            // Writing into a Vec cannot fail and every field is rendered beforehand; this is a
            // last line of defence that keeps the output one valid object per line.
            out.truncate(start);
            let _ = serde_json::to_writer(
                &mut *out,
                &serde_json::json!({
                    "level": record.level().as_str(),
                    "logger": display_name(record.logger()),
                    "message": "<message could not be formatted>",
                }),
            );
        }
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::level::Level;

    struct Broken;
    impl std::fmt::Display for Broken {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("part")?;
            Err(std::fmt::Error)
        }
    }

    #[test]
    fn a_failing_display_neither_panics_nor_breaks_the_line() {
        let kvs = [("k", Value::Display(&Broken))];
        let mut out = Vec::new();
        let args = format_args!("m {}", Broken);
        let rec = Record::builder(Level::Warn, "x", args)
            .key_values(&kvs)
            .build();
        JsonFormat.format(&rec, &mut out);
        let owned = rec.to_owned();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["message"], "m part<formatting error>");
        assert_eq!(v["kv"]["k"], "part<formatting error>");
        assert_eq!(owned.message, "m part<formatting error>");
    }
}
