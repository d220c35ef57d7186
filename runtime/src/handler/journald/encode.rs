//! A record as one entry of journald's native protocol: `NAME=value\n` per field, or the binary
//! form (`NAME\n`, the length as 64-bit little-endian, the bytes, `\n`) when the value holds a
//! newline, so that a multi-line message stays one entry. It never drops a field silently:
//! a key journald would refuse is renamed, never skipped.

use std::fmt::Write as _;

use crate::kv::Value;
use crate::level::Level;
use crate::record::Record;

/// The most bytes of a field name journald accepts.
const MAX_NAME: usize = 64;

/// The fields this handler writes itself: a key-value that would land on one of them is
/// prefixed with `KV_` instead of making a second value of the same field.
const OWN_FIELDS: [&str; 6] = [
    "MESSAGE",
    "PRIORITY",
    "LOGGER",
    "CODE_FILE",
    "CODE_LINE",
    "SYSLOG_IDENTIFIER",
];

/// The syslog priority a level is written with (as the syslog handler maps it: `INFO` is 6,
/// `notice` is left for what is more significant than routine information).
pub(super) fn priority(level: Level) -> u8 {
    match level {
        Level::Error => 3,
        Level::Warn => 4,
        Level::Info => 6,
        Level::Debug | Level::Trace => 7,
    }
}

/// Writes `name` as a journal field name into `out`: ASCII letters upper-cased, digits and `_`
/// kept, any other character `_`; leading underscores dropped (journald keeps names that start
/// with one for the fields it adds itself); `KV_` before a name that is then empty, starts
/// with a digit, or is one of the handler's own fields; cut to 64 bytes.
pub(super) fn field_name(key: &str, out: &mut Vec<u8>) {
    let start = out.len();
    for c in key.trim_start_matches('_').chars() {
        out.push(if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase() as u8
        } else {
            b'_'
        });
    }
    let name = &out[start..];
    let clash = name.is_empty()
        || name[0].is_ascii_digit()
        || OWN_FIELDS.iter().any(|f| f.as_bytes() == name);
    if clash {
        out.splice(start..start, *b"KV_");
    }
    out.truncate(start + (out.len() - start).min(MAX_NAME));
}

/// Appends one field: `NAME=value\n`, or the binary form when `value` holds a newline.
pub(super) fn field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    if value.contains(&b'\n') {
        out.push(b'\n');
        out.extend_from_slice(&(value.len() as u64).to_le_bytes());
    } else {
        out.push(b'=');
    }
    out.extend_from_slice(value);
    out.push(b'\n');
}

/// What every entry of one handler shares.
#[derive(Debug)]
pub(super) struct Encoder {
    pub(super) identifier: String,
}

impl Encoder {
    /// Appends the entry for `record` to `out`; `scratch` is a buffer for rendered values.
    pub(super) fn encode(&self, record: &Record<'_>, out: &mut Vec<u8>, scratch: &mut String) {
        scratch.clear();
        if write!(scratch, "{}", record.args()).is_err() {
            scratch.push_str(crate::kv::FORMATTING_ERROR);
        }
        field(out, b"MESSAGE", scratch.as_bytes());
        field(out, b"PRIORITY", &[b'0' + priority(record.level())]);
        let logger = if record.logger().is_empty() {
            "root"
        } else {
            record.logger()
        };
        field(out, b"LOGGER", logger.as_bytes());
        if let Some(file) = record.file() {
            field(out, b"CODE_FILE", file.as_bytes());
        }
        if let Some(line) = record.line() {
            field(
                out,
                b"CODE_LINE",
                itoa::Buffer::new().format(line).as_bytes(),
            );
        }
        if !self.identifier.is_empty() {
            field(out, b"SYSLOG_IDENTIFIER", self.identifier.as_bytes());
        }
        let mut name = Vec::with_capacity(32);
        for (key, value) in record.key_values() {
            name.clear();
            field_name(key, &mut name);
            match value {
                Value::Str(s) => field(out, &name, s.as_bytes()),
                other => {
                    scratch.clear();
                    if write!(scratch, "{other}").is_err() {
                        scratch.push_str(crate::kv::FORMATTING_ERROR);
                    }
                    field(out, &name, scratch.as_bytes());
                }
            }
        }
        if record.is_replayed() {
            field(out, b"REPLAYED", b"true");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(key: &str) -> String {
        let mut out = Vec::new();
        field_name(key, &mut out);
        String::from_utf8(out).unwrap()
    }

    /// Splits an entry back into its fields, reading both forms (what journald does).
    fn parse(mut entry: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut fields = Vec::new();
        while !entry.is_empty() {
            let end = entry.iter().position(|b| *b == b'\n').unwrap();
            let line = &entry[..end];
            if let Some(eq) = line.iter().position(|b| *b == b'=') {
                fields.push((
                    String::from_utf8(line[..eq].to_vec()).unwrap(),
                    line[eq + 1..].to_vec(),
                ));
                entry = &entry[end + 1..];
            } else {
                let len = u64::from_le_bytes(entry[end + 1..end + 9].try_into().unwrap()) as usize;
                let value = entry[end + 9..end + 9 + len].to_vec();
                assert_eq!(
                    entry[end + 9 + len],
                    b'\n',
                    "the binary form ends with a newline"
                );
                fields.push((String::from_utf8(line.to_vec()).unwrap(), value));
                entry = &entry[end + 10 + len..];
            }
        }
        fields
    }

    #[test]
    fn keys_become_journal_field_names() {
        assert_eq!(name("job"), "JOB");
        assert_eq!(name("user_name"), "USER_NAME");
        assert_eq!(name("http.status-code"), "HTTP_STATUS_CODE");
        assert_eq!(name("trace_id"), "TRACE_ID");
        assert_eq!(
            name("_private"),
            "PRIVATE",
            "journald's own fields start with _"
        );
        assert_eq!(name("2fa"), "KV_2FA");
        assert_eq!(name(""), "KV_");
        assert_eq!(name("__"), "KV_");
        assert_eq!(name("déjà"), "D_J_", "one _ per character, not per byte");
        assert_eq!(
            name("message"),
            "KV_MESSAGE",
            "the handler writes MESSAGE itself"
        );
        assert_eq!(name("priority"), "KV_PRIORITY");
        assert_eq!(name(&"k".repeat(100)).len(), 64);
        assert_eq!(name(&format!("1{}", "k".repeat(100))).len(), 64);
    }

    #[test]
    fn a_value_with_a_newline_uses_the_binary_form() {
        let mut out = Vec::new();
        field(&mut out, b"MESSAGE", b"two\nlines");
        field(&mut out, b"JOB", b"42");
        let mut want = b"MESSAGE\n".to_vec();
        want.extend_from_slice(&9u64.to_le_bytes());
        want.extend_from_slice(b"two\nlines\nJOB=42\n");
        assert_eq!(out, want);
        assert_eq!(
            parse(&out),
            [
                ("MESSAGE".to_owned(), b"two\nlines".to_vec()),
                ("JOB".to_owned(), b"42".to_vec())
            ]
        );
    }

    #[test]
    fn a_record_becomes_its_fields() {
        let kvs = [
            ("job", Value::U64(42)),
            ("note", Value::Str("a\nb")),
            ("message", Value::Str("shadow")),
        ];
        let loc = crate::record::Location::new("m", "src/jobs.rs", 7);
        let rec = Record::builder(Level::Warn, "jobs.42", format_args!("disk at 91%"))
            .key_values(&kvs)
            .location(&loc)
            .build();
        let enc = Encoder {
            identifier: "billing".to_owned(),
        };
        let mut out = Vec::new();
        enc.encode(&rec, &mut out, &mut String::new());
        let fields = parse(&out);
        let get = |k: &str| {
            fields
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| String::from_utf8(v.clone()).unwrap())
        };
        assert_eq!(get("MESSAGE").as_deref(), Some("disk at 91%"));
        assert_eq!(get("PRIORITY").as_deref(), Some("4"));
        assert_eq!(get("LOGGER").as_deref(), Some("jobs.42"));
        assert_eq!(get("CODE_FILE").as_deref(), Some("src/jobs.rs"));
        assert_eq!(get("CODE_LINE").as_deref(), Some("7"));
        assert_eq!(get("SYSLOG_IDENTIFIER").as_deref(), Some("billing"));
        assert_eq!(get("JOB").as_deref(), Some("42"));
        assert_eq!(get("NOTE").as_deref(), Some("a\nb"));
        assert_eq!(get("KV_MESSAGE").as_deref(), Some("shadow"));
        assert_eq!(fields.iter().filter(|(n, _)| n == "MESSAGE").count(), 1);
    }

    #[test]
    fn levels_map_to_syslog_priorities() {
        assert_eq!(priority(Level::Error), 3);
        assert_eq!(priority(Level::Warn), 4);
        assert_eq!(priority(Level::Info), 6);
        assert_eq!(priority(Level::Debug), 7);
        assert_eq!(priority(Level::Trace), 7);
    }
}
