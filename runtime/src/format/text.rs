//! The default text line: `2026-11-24T19:03:58.123Z WARN jobs.42: message k=v`.
//!
//! Everything a record brings (logger name, message, keys, values) goes through the
//! [`escape`] writer, so one record is always exactly one line and nothing in it
//! reaches a terminal as a control sequence. Values that would make the line ambiguous (empty,
//! spaces, quotes, `=`, anything escaped) are quoted.

use std::fmt::Write as _;

use super::escape::{self, Extra};
use super::{Format, TextFormatBuilder, display_name, style};
use crate::kv::Value;
use crate::kv::fields::RawValue;
use crate::record::Record;

/// The default format: RFC 3339 UTC time with milliseconds, level, logger, message, `k=v` pairs.
///
/// ```
/// use scoped_logger::{Level, Record, format::{Format, TextFormat}};
/// use std::time::{Duration, UNIX_EPOCH};
/// let kvs = [("job", scoped_logger::kv::Value::U64(42))];
/// let rec = Record::builder(Level::Warn, "jobs.42", format_args!("disk at {}%", 91))
///     .key_values(&kvs)
///     .time(UNIX_EPOCH + Duration::from_millis(1_795_892_638_123))
///     .build();
/// let mut out = Vec::new();
/// TextFormat.format(&rec, &mut out);
/// assert_eq!(String::from_utf8(out).unwrap(), "2026-11-28T19:03:58.123Z WARN jobs.42: disk at 91% job=42\n");
/// ```
///
/// For more fields (thread, module, `file:line`, pid) or local time, use
/// [`TextFormat::builder`]; for a line of your own shape, a
/// [`PatternFormat`](super::PatternFormat).
#[derive(Debug, Default, Clone, Copy)]
pub struct TextFormat;

impl TextFormat {
    /// A format with this line's fields and more switched on: see [`TextFormatBuilder`].
    pub fn builder() -> TextFormatBuilder {
        TextFormatBuilder::new()
    }
}

impl Format for TextFormat {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        write_line(record, out, false);
    }

    /// The same line with the time dimmed and the level in colour.
    fn format_styled(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        write_line(record, out, true);
    }
}

#[inline]
fn write_line(record: &Record<'_>, out: &mut Vec<u8>, styled: bool) {
    style::dimmed(out, styled, |out| super::write_time(record.time(), out));
    out.push(b' ');
    style::push_level(out, record.level(), styled);
    out.push(b' ');
    // A valid name needs no escape, but `Record::builder` takes any string.
    escape::push_escaped(out, display_name(record.logger()));
    out.extend_from_slice(b": ");
    super::write_args(out, *record.args());
    write_key_values(record, out);
    out.push(b'\n');
}

/// Appends ` replayed=true` for a replay, then ` k=v` for each key-value. Keys are escaped with
/// [`Extra::KEY`] (a space or `=` in one cannot shift the pairs); a value is written as it is
/// when [`escape`] would leave it alone and it holds no whitespace, `"` or `=`, and otherwise
/// (the empty string too) between quotes, escaped, with `"` written `\"`.
///
/// A scope's fields are written here, straight into the line, as the call's own pairs are:
/// nothing is rendered into a string of the scope's first (which cost a task that logs one
/// record an allocation and a copy, and every live scope the bytes). They are read as stored
/// ([`FieldSet::get_raw`](crate::kv::fields::FieldSet::get_raw)), and shadowed as
/// [`Record::key_values`] says: by an own key of the same name.
pub(crate) fn write_key_values(record: &Record<'_>, out: &mut Vec<u8>) {
    if record.is_replayed() {
        out.extend_from_slice(b" replayed=true");
    }
    let mut scratch = String::new();
    for (key, value) in record.own_key_values() {
        write_key(out, key.as_bytes());
        write_any_value(out, &mut scratch, value);
    }
    let Some(fields) = record.fields else {
        return;
    };
    for i in 0..fields.len() {
        let Some((key, value)) = fields.get_raw(i) else {
            break;
        };
        if record.own_has_key(key) {
            continue;
        }
        write_key(out, key);
        match value {
            RawValue::Text(text) => write_value(out, text),
            RawValue::Other(value) => write_any_value(out, &mut scratch, value),
        }
    }
}

/// ` key=`, the key escaped with [`Extra::KEY`].
#[inline]
fn write_key(out: &mut Vec<u8>, key: &[u8]) {
    out.push(b' ');
    escape::push_escaped_with(out, key, Extra::KEY);
    out.push(b'=');
}

/// A value, escaped and quoted as [`write_key_values`] says. Numbers, booleans and `null` never
/// need either, so they skip the `core::fmt` machinery and the scan.
fn write_any_value(out: &mut Vec<u8>, scratch: &mut String, value: Value<'_>) {
    match value {
        Value::Str(s) => write_value(out, s.as_bytes()),
        Value::I64(v) => super::push_int(out, v),
        Value::U64(v) => super::push_int(out, v),
        Value::Bool(v) => out.extend_from_slice(if v { b"true" } else { b"false" }),
        Value::Null => out.extend_from_slice(b"null"),
        other => {
            scratch.clear();
            let _ = write!(scratch, "{other}");
            write_value(out, scratch.as_bytes());
        }
    }
}

/// One value's text (the bytes of a whole UTF-8 string), quoted when it would not stand alone
/// (see [`write_key_values`]).
fn write_value(out: &mut Vec<u8>, text: &[u8]) {
    // `Extra::KEY` is exactly "space, `=`, `"`" on top of the escaped set; other whitespace is
    // either a control (escaped) or non-ASCII, checked only when there is any.
    let plain = !text.is_empty()
        && escape::is_clean(text, Extra::KEY)
        && (text.is_ascii()
            || !String::from_utf8_lossy(text)
                .chars()
                .any(char::is_whitespace));
    if plain {
        out.extend_from_slice(text);
    } else {
        out.push(b'"');
        escape::push_escaped_with(out, text, Extra::QUOTED);
        out.push(b'"');
    }
}

#[cfg(test)]
mod tests {
    use crate::format::{Format, TextFormat};
    use crate::kv::Value;
    use crate::level::Level;
    use crate::record::Record;

    fn line(logger: &str, msg: &str, kvs: &[(&str, Value<'_>)]) -> String {
        let mut out = Vec::new();
        TextFormat.format(
            &Record::builder(Level::Info, logger, format_args!("{msg}"))
                .key_values(kvs)
                .time(std::time::UNIX_EPOCH)
                .build(),
            &mut out,
        );
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn message_logger_keys_and_values_are_escaped() {
        let got = line(
            "a\nb",
            "one\rtwo \\n",
            &[
                ("k\ney", Value::Str("v\x1b")),
                ("a b=", Value::Char('\u{2028}')),
            ],
        );
        let want = r#"1970-01-01T00:00:00.000Z INFO a\nb: one\rtwo \\n k\ney="v\x1b" a\x20b\x3d="\u{2028}""#;
        assert_eq!(got, format!("{want}\n"));
    }

    #[test]
    fn a_styled_line_dims_the_time_and_colours_the_level_only() {
        let rec = Record::builder(Level::Warn, "x", format_args!("m \x1b[31m"))
            .time(std::time::UNIX_EPOCH)
            .build();
        let mut out = Vec::new();
        TextFormat.format_styled(&rec, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\x1b[2m1970-01-01T00:00:00.000Z\x1b[0m \x1b[33mWARN\x1b[0m x: m \\x1b[31m\n"
        );
    }

    #[test]
    fn values_are_quoted_only_when_they_would_not_stand_alone() {
        let cases: [(Value<'_>, &str); 16] = [
            (Value::Str("plain"), "plain"),
            (Value::Str("déjà-vu"), "déjà-vu"),
            (Value::U64(42), "42"),
            (Value::U64(u64::MAX), "18446744073709551615"),
            (Value::I64(-7), "-7"),
            (Value::I64(i64::MIN), "-9223372036854775808"),
            (Value::Bool(false), "false"),
            (Value::Null, "null"),
            (Value::F64(0.5), "0.5"),
            (Value::Char(' '), r#"" ""#),
            (Value::Str(""), r#""""#),
            (Value::Str("two words"), r#""two words""#),
            (Value::Str("a=b"), r#""a=b""#),
            (Value::Str(r#"say "hi""#), r#""say \"hi\"""#),
            (Value::Str(r"C:\tmp"), r#""C:\\tmp""#),
            (Value::Str("no\u{a0}break"), "\"no\u{a0}break\""),
        ];
        for (value, want) in cases {
            let got = line("x", "m", &[("k", value)]);
            assert_eq!(
                got,
                format!("1970-01-01T00:00:00.000Z INFO x: m k={want}\n")
            );
        }
    }

    #[test]
    fn scope_fields_are_written_as_own_pairs_are_and_an_own_key_shadows_one() {
        let fields = crate::kv::fields::Fields::new()
            .with("n", 1u8)
            .with("us\ner", "a\rb")
            .with("w", "two words")
            .with("sep", "x\u{2028}y")
            .with("f", 0.5)
            .with("ok", true);
        let kvs = [("n", Value::U64(2)), ("n", Value::U64(3))];
        let mut out = Vec::new();
        TextFormat.format(
            &Record::builder(Level::Info, "x", format_args!("m"))
                .key_values(&kvs)
                .fields(Some(&fields.set))
                .time(std::time::UNIX_EPOCH)
                .build(),
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "1970-01-01T00:00:00.000Z INFO x: m n=2 us\\ner=\"a\\rb\" w=\"two words\" \
             sep=\"x\\u{2028}y\" f=0.5 ok=true\n"
        );
    }
}
