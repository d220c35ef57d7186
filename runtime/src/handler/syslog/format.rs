//! The wire formats: RFC 5424 messages (and the local format for `/dev/log`), their header
//! fields, structured data and truncation.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::format::display_name;
use crate::format::escape::{self, Extra};
use crate::record::Record;

use super::{Facility, SyslogFormat, severity};

/// An RFC 5424 PARAM-VALUE (section 6.3.3): `"` and `]` get a backslash before them, as the
/// backslash itself does in the escaping writer's base set.
const SD_VALUE: Extra = Extra::backslashed(b"\"]", &escape::table(b"\"]"));
// ---- encoding ----------------------------------------------------------------------------------

/// Everything needed to turn a record into one message; shared by callers and the worker.
#[derive(Debug)]
pub(super) struct Encoder {
    pub(super) format: SyslogFormat,
    pub(super) facility: Facility,
    pub(super) hostname: String,
    pub(super) app_name: String,
    pub(super) procid: String,
    pub(super) sd_id: String,
    pub(super) max_len: usize,
    pub(super) bom: bool,
}

pub(super) const BOM: &[u8] = b"\xEF\xBB\xBF";

impl Encoder {
    pub(super) fn encode(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        let pri = self.facility.code() * 8 + severity(record.level());
        match self.format {
            SyslogFormat::Rfc5424 => self.encode_5424(pri, record, out),
            SyslogFormat::Local => self.encode_local(pri, record, out),
        }
    }

    pub(super) fn encode_5424(&self, pri: u8, record: &Record<'_>, out: &mut Vec<u8>) {
        // Writing into a Vec cannot fail.
        let _ = write!(out, "<{pri}>1 ");
        write_timestamp(record.time(), out);
        let _ = write!(out, " {} {} {} ", self.hostname, self.app_name, self.procid);
        push_printable(out, display_name(record.logger()), 32);
        out.push(b' ');
        let sd_start = out.len();
        write_structured_data(&self.sd_id, record, out);
        if out.len() + 1 > self.max_len && out.len() - sd_start > 1 {
            // A cut element would not parse: leave the key-values out instead.
            out.truncate(sd_start);
            out.push(b'-');
        }
        out.push(b' ');
        let msg_start = out.len();
        if self.bom {
            out.extend_from_slice(BOM);
        }
        // MSG is free-form and its frame (a datagram, an octet count) carries any byte; rsyslog
        // escapes control characters on receipt. What goes in a line is escaped: the local form.
        crate::format::write_args_unescaped(out, *record.args());
        if out.len() == msg_start {
            // "SD SP" with nothing after it is valid, but some parsers want a MSG: none is fine.
            out.pop();
        }
        truncate_utf8(out, self.max_len);
    }

    pub(super) fn encode_local(&self, pri: u8, record: &Record<'_>, out: &mut Vec<u8>) {
        // The receiver stores this as one line of text (journald, rsyslog's imuxsock): the same
        // escaping as the text format, through the same writer.
        let _ = write!(out, "<{pri}>{}[{}]: ", self.app_name, self.procid);
        escape::push_escaped(out, display_name(record.logger()));
        out.extend_from_slice(b": ");
        crate::format::write_args(out, *record.args());
        crate::format::text::write_key_values(record, out);
        truncate_utf8(out, self.max_len);
    }
}

/// RFC 3339, UTC, milliseconds; `-` (NILVALUE) outside what the format can show.
pub(super) fn write_timestamp(time: SystemTime, out: &mut Vec<u8>) {
    // Four-digit years: nothing after 9999, nor (in this format) before 1970.
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) if d.as_secs() <= crate::format::LAST_SECOND => {
            crate::format::write_time(time, out);
        }
        _ => out.push(b'-'),
    }
}

/// Appends `s` with every character that is not printable US-ASCII (33 to 126) replaced by `_`,
/// at most `max` characters; `-` for an empty string (the NILVALUE).
pub(super) fn push_printable(out: &mut Vec<u8>, s: &str, max: usize) {
    let start = out.len();
    for c in s.chars().take(max) {
        out.push(if c.is_ascii_graphic() { c as u8 } else { b'_' });
    }
    if out.len() == start {
        out.push(b'-');
    }
}

/// A header field as it will be sent (printable ASCII, at most `max` characters, `-` if empty).
pub(super) fn header_field(s: &str, max: usize) -> String {
    let mut out = Vec::new();
    push_printable(&mut out, s, max);
    String::from_utf8(out).expect("ASCII")
}

/// An SD-NAME: printable ASCII except `=`, space, `]` and `"`; 1 to 32 characters.
pub(super) fn push_sd_name(out: &mut Vec<u8>, key: &str) {
    let start = out.len();
    for c in key.chars().take(32) {
        let ok = c.is_ascii_graphic() && !matches!(c, '=' | ']' | '"');
        out.push(if ok { c as u8 } else { b'_' });
    }
    if out.len() == start {
        out.push(b'_');
    }
}

/// `[SD-ID key="value" ...]`, or `-` when the record has no key-values.
pub(super) fn write_structured_data(sd_id: &str, record: &Record<'_>, out: &mut Vec<u8>) {
    let kvs = record.key_values();
    if kvs.is_empty() && !record.is_replayed() {
        out.push(b'-');
        return;
    }
    out.push(b'[');
    out.extend_from_slice(sd_id.as_bytes());
    if record.is_replayed() {
        out.extend_from_slice(b" replayed=\"true\"");
    }
    for (key, value) in kvs {
        out.push(b' ');
        push_sd_name(out, key);
        out.extend_from_slice(b"=\"");
        // PARAM-VALUE's own escapes (`"`, `\`, `]`) plus the text format's for control and
        // line-breaking characters, so no value ends a line where the receiver stores it.
        let start = out.len();
        let _ = write!(out, "{value}");
        escape::escape_from(out, start, SD_VALUE);
        out.push(b'"');
    }
    out.push(b']');
}

/// Cuts `out` to at most `max` bytes at a UTF-8 character boundary.
pub(super) fn truncate_utf8(out: &mut Vec<u8>, max: usize) {
    if out.len() <= max {
        return;
    }
    let mut end = max;
    // Continuation bytes are 0b10xx_xxxx: back up to the start of the character cut in two.
    while end > 0 && (out[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    out.truncate(end);
}

/// The SD-ID as it will be sent: an SD-NAME, so `kv@32473` style ids pass as they are.
pub(super) fn sd_id(id: &str) -> String {
    let mut out = Vec::new();
    push_sd_name(&mut out, id);
    String::from_utf8(out).expect("ASCII")
}

/// The machine's host name: the kernel's (`uname`, the same value `hostname` prints) on Unix,
/// `COMPUTERNAME` on Windows; empty (sent as `-`) where neither says.
pub(super) fn default_hostname() -> String {
    #[cfg(unix)]
    let name = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned();
    #[cfg(windows)]
    let name = std::env::var("COMPUTERNAME").unwrap_or_default();
    #[cfg(not(any(unix, windows)))]
    let name = String::new();
    name.trim().to_owned()
}

#[cfg(test)]
mod tests {
    #[cfg(target_os = "linux")]
    #[test]
    fn host_name_is_the_kernels() {
        // `uname` and /proc read the same kernel value; /proc is only the cross-check here.
        let proc = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        assert_eq!(super::default_hostname(), proc.trim());
        assert!(!super::default_hostname().is_empty());
    }

    use super::super::DEFAULT_SD_ID;
    use super::*;
    use crate::kv::Value;
    use crate::level::Level;
    use std::time::Duration;

    fn encoder(format: SyslogFormat, max_len: usize) -> Encoder {
        Encoder {
            format,
            facility: Facility::Local3,
            hostname: "host".into(),
            app_name: "app".into(),
            procid: "42".into(),
            sd_id: DEFAULT_SD_ID.into(),
            max_len,
            bom: false,
        }
    }

    fn encode(enc: &Encoder, rec: &Record<'_>) -> String {
        let mut out = Vec::new();
        enc.encode(rec, &mut out);
        String::from_utf8(out).expect("valid UTF-8")
    }

    const T: Duration = Duration::from_millis(1_795_892_638_123);

    #[test]
    fn rfc5424_fields_and_escaping() {
        let kvs = [
            ("job", Value::U64(42)),
            ("quote", Value::Str(r#"say "hi" \ [x]"#)),
            ("bad key=]\"", Value::Str("ok")),
            ("", Value::Bool(true)),
        ];
        let rec = Record::builder(Level::Error, "jobs.42", format_args!("héllo ✓"))
            .key_values(&kvs)
            .time(UNIX_EPOCH + T)
            .build();
        assert_eq!(
            encode(&encoder(SyslogFormat::Rfc5424, 8192), &rec),
            r#"<155>1 2026-11-28T19:03:58.123Z host app 42 jobs.42 [kv@32473 job="42" quote="say \"hi\" \\ [x\]" bad_key___="ok" _="true"] héllo ✓"#
        );
    }

    #[test]
    fn severities_and_root_msgid() {
        let enc = encoder(SyslogFormat::Rfc5424, 8192);
        for (level, pri) in [
            (Level::Error, 155),
            (Level::Warn, 156),
            (Level::Info, 158),
            (Level::Debug, 159),
            (Level::Trace, 159),
        ] {
            let rec = Record::builder(level, "", format_args!("m"))
                .time(UNIX_EPOCH + T)
                .build();
            assert_eq!(
                encode(&enc, &rec),
                format!("<{pri}>1 2026-11-28T19:03:58.123Z host app 42 root - m")
            );
        }
    }

    #[test]
    fn msgid_is_printable_ascii_and_at_most_32() {
        let enc = encoder(SyslogFormat::Rfc5424, 8192);
        let name = "jobs.déjà.".to_owned() + &"x".repeat(40);
        let rec = Record::builder(Level::Info, &name, format_args!(""))
            .time(UNIX_EPOCH + T)
            .build();
        let out = encode(&enc, &rec);
        let msgid = out.split(' ').nth(5).unwrap();
        assert_eq!(msgid, "jobs.d_j_.xxxxxxxxxxxxxxxxxxxxxx");
        assert_eq!(msgid.len(), 32);
        assert!(out.ends_with(" -"), "no MSG: nothing after the SD: {out:?}");
    }

    #[test]
    fn truncation_keeps_utf8_and_drops_oversized_sd() {
        let enc = encoder(SyslogFormat::Rfc5424, 100);
        let long = "é".repeat(200);
        let args = format_args!("{long}");
        let rec = Record::builder(Level::Info, "a", args)
            .time(UNIX_EPOCH + T)
            .build();
        let out = encode(&enc, &rec);
        assert!(out.len() <= 100 && out.len() >= 99, "{}", out.len());
        let header = "<158>1 2026-11-28T19:03:58.123Z host app 42 a - ";
        assert!(out.starts_with(header));
        assert!(long.starts_with(&out[header.len()..]));

        let big = "v".repeat(200);
        let kvs = [("k", Value::Str(&big))];
        let rec = Record::builder(Level::Info, "a", format_args!("msg"))
            .key_values(&kvs)
            .time(UNIX_EPOCH + T)
            .build();
        assert_eq!(encode(&enc, &rec), format!("{header}msg"));
    }

    #[test]
    fn bom_and_nil_timestamp() {
        let mut enc = encoder(SyslogFormat::Rfc5424, 8192);
        enc.bom = true;
        let rec = Record::builder(Level::Info, "a", format_args!("x"))
            .time(UNIX_EPOCH - Duration::from_secs(1))
            .build();
        assert_eq!(encode(&enc, &rec), "<158>1 - host app 42 a - \u{feff}x");
    }

    #[test]
    fn local_format() {
        let enc = encoder(SyslogFormat::Local, 8192);
        let kvs = [("job", Value::U64(7)), ("who", Value::Str("a b"))];
        let rec = Record::builder(Level::Warn, "jobs", format_args!("done"))
            .key_values(&kvs)
            .build();
        assert_eq!(
            encode(&enc, &rec),
            r#"<156>app[42]: jobs: done job=7 who="a b""#
        );
    }

    #[test]
    fn facility_names_round_trip() {
        for (f, name) in Facility::ALL {
            assert_eq!(f.name(), name);
            assert_eq!(name.parse::<Facility>(), Ok(f));
            assert_eq!(Facility::ALL[f.code() as usize].0, f);
        }
        assert_eq!("LOCAL7".parse(), Ok(Facility::Local7));
        assert_eq!("security".parse(), Ok(Facility::Auth));
        assert!("local8".parse::<Facility>().is_err());
    }

    #[test]
    fn header_fields_are_cleaned() {
        assert_eq!(header_field("my app", 48), "my_app");
        assert_eq!(header_field("", 48), "-");
        assert_eq!(header_field(&"a".repeat(60), 48).len(), 48);
        assert_eq!(sd_id("my id@1"), "my_id@1");
    }
}
