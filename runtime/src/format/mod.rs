//! Formats turn a [`Record`] into bytes: the default text line and JSON lines.
//!
//! A format appends to a caller-owned buffer and never fails: a value that cannot be written as
//! it stands is written as a string.
//!
//! # Escaping
//!
//! Every text output (the text line, patterns, syslog) escapes a message, key or value so that
//! it can neither end the line nor control a terminal: one record is one line for every reader.
//!
//! | input | written as |
//! | --- | --- |
//! | `\` (so that the text `\n` cannot pass for an escaped line break) | `\\` |
//! | line feed, carriage return, tab | `\n`, `\r`, `\t` |
//! | every other C0 control (U+0000-U+001F) and DEL (U+007F) | `\x` and two lower-case hex digits: `\x1b`, `\x0b`, `\x7f` |
//! | C1 controls (U+0080-U+009F, NEL U+0085 among them) | `\u{85}`, `\u{9b}` |
//! | line and paragraph separators U+2028, U+2029 | `\u{2028}`, `\u{2029}` |
//! | bidirectional embeddings, overrides and isolates U+202A-U+202E, U+2066-U+2069, and the marks U+200E, U+200F | `\u{202e}`, `\u{200f}` |
//!
//! Everything else, other non-ASCII text included, is written as it is. Tab is escaped like the
//! rest of C0: it is no line break, but it moves the cursor, and a key or value holding one would
//! look like two fields to a reader that splits on whitespace. The syntax is Rust's string
//! escapes (`\u{...}` with the shortest hex, `\x..` for the ASCII ones), so an escaped line
//! pastes back into a Rust literal unchanged. The Arabic letter mark U+061C is left as it is: it
//! only marks direction like U+200F, and checking for it would send all Arabic text down the slow
//! path.

use crate::record::Record;

pub(crate) mod escape;
pub(crate) mod json;
pub(crate) mod pattern;
pub(crate) mod style;
pub(crate) mod text;
mod time;

pub use json::JsonFormat;
pub use pattern::{PatternError, PatternFormat, TextFormatBuilder};
pub use style::{ParseWriteStyleError, WriteStyle};
pub use text::TextFormat;
pub use time::write_local_time;

/// Turns a record into one line of output (including the trailing newline).
pub trait Format: Send + Sync {
    /// Appends the record to `out`.
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>);

    /// Appends the record with terminal styles (the level in colour, the time dimmed), for a
    /// handler that decided its output wants them ([`StderrHandler`](crate::StderrHandler) on a
    /// terminal; see [`WriteStyle`]). The styles wrap only the format's own fields, never a
    /// record's content, which stays escaped. The default writes the plain line: JSON and other
    /// machine formats have nothing to style.
    fn format_styled(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        self.format(record, out)
    }
}

impl<F: Format + ?Sized> Format for Box<F> {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        (**self).format(record, out)
    }
    fn format_styled(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        (**self).format_styled(record, out)
    }
}

impl<F: Format + ?Sized> Format for std::sync::Arc<F> {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        (**self).format(record, out)
    }
    fn format_styled(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        (**self).format_styled(record, out)
    }
}

/// A format whose lines are always styled: `Styled(f).format(..)` is `f.format_styled(..)`.
/// [`StderrHandler`](crate::StderrHandler) wraps its format in it when it decided to style.
#[derive(Debug, Clone, Copy, Default)]
pub struct Styled<F>(pub F);

impl<F: Format> Format for Styled<F> {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        self.0.format_styled(record, out)
    }
    fn format_styled(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        self.0.format_styled(record, out)
    }
}

thread_local! {
    /// The last second formatted on this thread (`2026-11-24T19:03:58`) and which second it was.
    static SECOND: std::cell::Cell<(u64, [u8; 19])> = const { std::cell::Cell::new((u64::MAX, [0; 19])) };
}

/// Appends `time` as RFC 3339 UTC with milliseconds (`2026-11-24T19:03:58.123Z`).
///
/// Records arrive many per second, so the calendar part is formatted once per second per thread
/// and reused; only the milliseconds are written each time. A time before 1970 is written as
/// `1970-01-01T00:00:00.000Z`, one past the year 9999 as `9999-12-31T23:59:59.999Z` (only a
/// hand-built record can carry either, and a format must not fail on it).
pub fn write_time(time: std::time::SystemTime, out: &mut Vec<u8>) {
    let since = time
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    // A range check, not a call to `utc_seconds`: that formats the date, which is what the
    // per-second cache below exists to avoid on every record.
    let (secs, millis) = if since.as_secs() <= LAST_SECOND {
        (since.as_secs(), since.subsec_millis())
    } else {
        (LAST_SECOND, 999)
    };
    let (cached, mut text) = SECOND
        .try_with(std::cell::Cell::get)
        .unwrap_or((u64::MAX, [0; 19]));
    if cached != secs {
        text = utc_seconds(secs).unwrap_or(*b"9999-12-31T23:59:59");
        let _ = SECOND.try_with(|c| c.set((secs, text)));
    }
    out.extend_from_slice(&text);
    out.extend_from_slice(&[
        b'.',
        b'0' + (millis / 100) as u8,
        b'0' + (millis / 10 % 10) as u8,
        b'0' + (millis % 10) as u8,
        b'Z',
    ]);
}

/// 9999-12-31T23:59:59Z, the last second RFC 3339's four-digit years can write.
pub(crate) const LAST_SECOND: u64 = 253_402_300_799;

/// `YYYY-MM-DDTHH:MM:SS` (UTC) of the second `secs` after 1970, or `None` past
/// [`LAST_SECOND`]. The date comes from jiff's civil calendar (whose timestamps stop a day short
/// of the year's end, so they are not used); the time of day is plain arithmetic.
pub(crate) fn utc_seconds(secs: u64) -> Option<[u8; 19]> {
    if secs > LAST_SECOND {
        return None;
    }
    let days = jiff::Span::new().try_days((secs / 86_400) as i64).ok()?;
    let date = jiff::civil::date(1970, 1, 1).checked_add(days).ok()?;
    let of_day = secs % 86_400;
    let mut text = [0u8; 19];
    let mut cursor = std::io::Cursor::new(&mut text[..]);
    std::io::Write::write_fmt(
        &mut cursor,
        format_args!(
            "{date}T{:02}:{:02}:{:02}",
            of_day / 3600,
            of_day / 60 % 60,
            of_day % 60
        ),
    )
    .ok()?;
    (cursor.position() == 19).then_some(text)
}

/// An integer in decimal, without `core::fmt` (numbers never need escaping).
pub(crate) fn push_int(out: &mut Vec<u8>, n: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Appends a formatted message, escaped (see [`escape`]): formatted as it stands, then scanned
/// once, so a message with nothing to escape (the rule) costs one pass over its bytes.
pub(crate) fn write_args(out: &mut Vec<u8>, args: std::fmt::Arguments<'_>) {
    let start = out.len();
    write_args_unescaped(out, args);
    escape::escape_from(out, start, escape::Extra::NONE);
}

/// Appends a formatted message as it is: only for outputs whose framing carries any byte (an
/// RFC 5424 MSG in an octet-counted frame), never for a line. A message with no arguments is
/// copied as it stands; otherwise it is formatted through `fmt::Write` straight into the buffer
/// (std's `io::Write::write_fmt` adapter would add error bookkeeping and a `write_all` per piece).
pub(crate) fn write_args_unescaped(out: &mut Vec<u8>, args: std::fmt::Arguments<'_>) {
    struct Bytes<'a>(&'a mut Vec<u8>);
    impl std::fmt::Write for Bytes<'_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0.extend_from_slice(s.as_bytes());
            Ok(())
        }
    }
    match args.as_str() {
        Some(s) => out.extend_from_slice(s.as_bytes()),
        // Only a `Display` impl can fail here: what it wrote stays, then the marker that
        // `kv::render` uses for owned copies and JSON.
        None => {
            if std::fmt::write(&mut Bytes(out), args).is_err() {
                out.extend_from_slice(crate::kv::FORMATTING_ERROR.as_bytes());
            }
        }
    }
}

/// The name shown for a logger: the root is `root`.
pub(crate) fn display_name(logger: &str) -> &str {
    if logger.is_empty() { "root" } else { logger }
}

thread_local! {
    static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Formats `record` with `format` into a reused per-thread buffer and passes the bytes to `f`.
///
/// Re-entrant: a `Display` impl that logs while being formatted gets a fresh buffer instead of a
/// panic. Buffers that grew past 64 KiB are not kept, so one huge message does not pin memory.
pub fn with_formatted<R>(
    format: &dyn Format,
    record: &Record<'_>,
    f: impl FnOnce(&[u8]) -> R,
) -> R {
    const KEEP: usize = 64 * 1024;
    let run = |buf: &mut Vec<u8>| {
        buf.clear();
        format.format(record, buf);
        f(buf)
    };
    let mut run = Some(run);
    let reused = BUF.try_with(|cell| {
        cell.try_borrow_mut().ok().map(|mut buf| {
            let out = (run.take().expect("once"))(&mut buf);
            if buf.capacity() > KEEP {
                *buf = Vec::new();
            }
            out
        })
    });
    match reused {
        Ok(Some(out)) => out,
        _ => (run.take().expect("not run yet"))(&mut Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    #[test]
    fn messages_are_written_as_formatted_and_a_failing_display_is_marked() {
        struct Fails;
        impl std::fmt::Display for Fails {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("half")?;
                Err(std::fmt::Error)
            }
        }
        let mut out = Vec::new();
        super::write_args(&mut out, format_args!("plain"));
        super::write_args(&mut out, format_args!(" {} of {:>4}", 1, "ü"));
        super::write_args(&mut out, format_args!(" {}", Fails));
        super::write_args(&mut out, format_args!(" {}\n", "\x1b"));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r"plain 1 of    ü half<formatting error> \x1b\n"
        );
    }

    #[test]
    fn cached_time_matches_jiff_across_seconds_and_days() {
        let base = UNIX_EPOCH + Duration::from_millis(1_795_892_638_123);
        let mut times: Vec<SystemTime> = (0..2_500u64)
            .map(|i| base + Duration::from_millis(i * 7))
            .collect();
        // Jumping back and forth between seconds and across midnight, and the leap day.
        times.push(UNIX_EPOCH + Duration::from_millis(1_795_910_399_999));
        times.push(UNIX_EPOCH + Duration::from_millis(1_795_910_400_000));
        times.push(UNIX_EPOCH + Duration::from_millis(951_825_600_000)); // 2000-02-29T12:00Z
        times.push(base);
        for t in times {
            let mut out = Vec::new();
            super::write_time(t, &mut out);
            let ts = jiff::Timestamp::try_from(t).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), format!("{ts:.3}"));
        }
        let mut out = Vec::new();
        super::write_time(UNIX_EPOCH - Duration::from_millis(1), &mut out);
        assert_eq!(out, b"1970-01-01T00:00:00.000Z");
        let mut out = Vec::new();
        super::write_time(
            UNIX_EPOCH + Duration::from_secs(super::LAST_SECOND),
            &mut out,
        );
        assert_eq!(out, b"9999-12-31T23:59:59.000Z");
        let mut out = Vec::new();
        super::write_time(UNIX_EPOCH + Duration::from_secs(1 << 40), &mut out);
        assert_eq!(out, b"9999-12-31T23:59:59.999Z");
    }
}
