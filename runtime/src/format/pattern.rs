//! [`PatternFormat`] and [`TextFormatBuilder`]: the text line a user shapes (the placeholders are
//! documented on [`PatternFormat`], where users read them).

use std::fmt;
use std::sync::Arc;

use super::escape;
use super::style;
use super::{Format, display_name};
use crate::record::Record;

/// The placeholders a pattern may use, as the error lists them.
const PLACEHOLDERS: &str = "{time}, {local_time}, {level}, {logger}, {message}, {kv}, {thread}, \
                            {thread_id}, {module}, {file}, {line}, {pid}";

/// One part of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(Box<str>),
    Time,
    LocalTime,
    Level,
    Logger,
    Message,
    KeyValues,
    Thread,
    ThreadId,
    Module,
    File,
    Line,
    Pid,
}

impl Piece {
    fn from_name(name: &str) -> Option<Piece> {
        Some(match name {
            "time" => Piece::Time,
            "local_time" => Piece::LocalTime,
            "level" => Piece::Level,
            "logger" => Piece::Logger,
            "message" => Piece::Message,
            "kv" => Piece::KeyValues,
            "thread" => Piece::Thread,
            "thread_id" => Piece::ThreadId,
            "module" => Piece::Module,
            "file" => Piece::File,
            "line" => Piece::Line,
            "pid" => Piece::Pid,
            _ => return None,
        })
    }
}

/// A text line people can shape, from a pattern string with a small set of
/// placeholders checked when it is built, or from [`TextFormatBuilder`]'s switches.
///
/// Everything a record brings (logger, message, keys, values, thread name, module, file) goes
/// through the [escaping](crate::format#escaping) writer, as in the default line, and the pattern's own
/// text may hold no control character: one record is one line whatever the pattern and the
/// record hold.
///
/// # Placeholders
///
/// | placeholder | written as |
/// | --- | --- |
/// | `{time}` | RFC 3339 UTC with milliseconds: `2026-11-24T19:03:58.123Z` |
/// | `{local_time}` | the same in the system's time zone, with its offset: `2026-11-24T20:03:58.123+01:00` |
/// | `{level}` | `ERROR`, `WARN`, `INFO`, `DEBUG`, `TRACE` |
/// | `{logger}` | the logger's name (`root` for the root) |
/// | `{message}` | the message |
/// | `{kv}` | ` k=v` for each key-value (each with a space before it), as the default line writes them; nothing when there are none |
/// | `{thread}` | the thread's name, or its id when it has none |
/// | `{thread_id}` | the id of the thread that formats the record (the logging thread, for every handler here) |
/// | `{module}` | the module path (`-` when unknown) |
/// | `{file}` / `{line}` | the source file and line (`-` when unknown) |
/// | `{pid}` | the process id |
/// | `{{` / `}}` | a literal `{` / `}` |
///
/// Each line ends with `\n`, added after the pattern. The default line is the pattern
/// `{time} {level} {logger}: {message}{kv}`. On a styled output (see
/// [`WriteStyle`](super::WriteStyle)), `{time}` and `{local_time}` are dimmed and `{level}` is in
/// colour.
///
/// ```
/// use scoped_logger::{Level, Record, format::{Format, PatternFormat}};
/// use std::time::{Duration, UNIX_EPOCH};
/// let format = PatternFormat::new("[{level}] {logger} {file}:{line} - {message}{kv}")?;
/// let kvs = [("job", scoped_logger::kv::Value::U64(42))];
/// let rec = Record::builder(Level::Warn, "jobs", format_args!("disk at {}%", 91))
///     .key_values(&kvs)
///     .source(Some("jobs"), Some("src/jobs.rs"), Some(12))
///     .build();
/// let mut out = Vec::new();
/// format.format(&rec, &mut out);
/// assert_eq!(String::from_utf8(out).unwrap(), "[WARN] jobs src/jobs.rs:12 - disk at 91% job=42\n");
///
/// let err = PatternFormat::new("{time} {lvl} {message}").unwrap_err();
/// assert_eq!(err.placeholder(), Some("lvl"));
/// assert!(err.to_string().contains("`{lvl}`"));
/// # Ok::<(), scoped_logger::format::PatternError>(())
/// ```
///
/// Cheap to clone; two formats are equal when their patterns are.
#[derive(Clone)]
pub struct PatternFormat {
    pattern: Arc<str>,
    pieces: Arc<[Piece]>,
}

impl fmt::Debug for PatternFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PatternFormat").field(&self.pattern).finish()
    }
}

impl PartialEq for PatternFormat {
    fn eq(&self, other: &Self) -> bool {
        self.pattern == other.pattern
    }
}

impl Eq for PatternFormat {}

impl PatternFormat {
    /// Compiles `pattern`; an unknown placeholder, an unclosed `{`, a lone `}` or a control
    /// character in the pattern's own text is an error that names it.
    pub fn new(pattern: &str) -> Result<PatternFormat, PatternError> {
        let err = |kind| PatternError {
            pattern: pattern.to_owned(),
            kind,
        };
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut rest = pattern;
        while let Some(i) = rest.find(['{', '}']) {
            text.push_str(&rest[..i]);
            let brace = rest.as_bytes()[i];
            let after = &rest[i + 1..];
            if after.as_bytes().first() == Some(&brace) {
                text.push(brace as char);
                rest = &after[1..];
                continue;
            }
            if brace == b'}' {
                return Err(err(ErrorKind::LoneClose));
            }
            let Some(end) = after.find('}') else {
                return Err(err(ErrorKind::Unclosed));
            };
            let name = &after[..end];
            let piece = Piece::from_name(name.trim())
                .ok_or_else(|| err(ErrorKind::Unknown(name.to_owned())))?;
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text).into()));
            }
            pieces.push(piece);
            rest = &after[end + 1..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            pieces.push(Piece::Text(text.into()));
        }
        if let Some(c) = pattern.chars().find(|&c| breaks_line(c)) {
            return Err(err(ErrorKind::Control(c)));
        }
        Ok(PatternFormat {
            pattern: pattern.into(),
            pieces: pieces.into(),
        })
    }

    /// The pattern it was built from.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    #[inline]
    fn write(&self, record: &Record<'_>, out: &mut Vec<u8>, styled: bool) {
        for piece in self.pieces.iter() {
            match piece {
                Piece::Text(t) => out.extend_from_slice(t.as_bytes()),
                Piece::Time => {
                    style::dimmed(out, styled, |out| super::write_time(record.time(), out))
                }
                Piece::LocalTime => style::dimmed(out, styled, |out| {
                    super::write_local_time(record.time(), out)
                }),
                Piece::Level => style::push_level(out, record.level(), styled),
                Piece::Logger => escape::push_escaped(out, display_name(record.logger())),
                Piece::Message => super::write_args(out, *record.args()),
                Piece::KeyValues => super::text::write_key_values(record, out),
                Piece::Thread => match record.thread_name() {
                    Some(name) => escape::push_escaped(out, name),
                    None => push_thread_id(out),
                },
                Piece::ThreadId => push_thread_id(out),
                Piece::Module => push_or_dash(out, record.module_path()),
                Piece::File => push_or_dash(out, record.file()),
                Piece::Line => match record.line() {
                    Some(line) => super::push_int(out, line),
                    None => out.push(b'-'),
                },
                Piece::Pid => super::push_int(out, std::process::id()),
            }
        }
        out.push(b'\n');
    }
}

impl Format for PatternFormat {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        self.write(record, out, false);
    }

    fn format_styled(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        self.write(record, out, true);
    }
}

impl std::str::FromStr for PatternFormat {
    type Err = PatternError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PatternFormat::new(s)
    }
}

/// Whether `c` in a pattern's own text could end a line or drive a terminal: what the
/// [`escape`] writer would escape, the backslash aside.
fn breaks_line(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn push_or_dash(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(t) => escape::push_escaped(out, t),
        None => out.push(b'-'),
    }
}

thread_local! {
    /// This thread's id as a number (`ThreadId`'s number has no stable accessor; its `Debug`
    /// form `ThreadId(7)` is read once per thread).
    static THREAD_ID: Box<str> = {
        let debug = format!("{:?}", std::thread::current().id());
        debug.chars().filter(char::is_ascii_digit).collect::<String>().into()
    };
}

fn push_thread_id(out: &mut Vec<u8>) {
    let _ = THREAD_ID.try_with(|id| out.extend_from_slice(id.as_bytes()));
}

/// A pattern that does not compile, naming what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pattern: String,
    kind: ErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ErrorKind {
    Unknown(String),
    Unclosed,
    LoneClose,
    Control(char),
}

impl PatternError {
    /// The unknown placeholder's name, when that was the error (`lvl` for `{lvl}`).
    pub fn placeholder(&self) -> Option<&str> {
        match &self.kind {
            ErrorKind::Unknown(name) => Some(name),
            _ => None,
        }
    }
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad log pattern {:?}: ", self.pattern)?;
        match &self.kind {
            ErrorKind::Unknown(name) => write!(
                f,
                "unknown placeholder `{{{name}}}`; the placeholders are {PLACEHOLDERS}, and `{{{{`, `}}}}` for braces"
            ),
            ErrorKind::Unclosed => {
                f.write_str("a `{` is never closed (write `{{` for a literal brace)")
            }
            ErrorKind::LoneClose => {
                f.write_str("a `}` closes nothing (write `}}` for a literal brace)")
            }
            ErrorKind::Control(c) => write!(
                f,
                "the pattern's text holds {:?} (U+{:04X}), which would break the line or drive a terminal",
                c, *c as u32
            ),
        }
    }
}

impl std::error::Error for PatternError {}

/// The default line with fields switched on: built by [`TextFormat::builder`](super::TextFormat::builder).
///
/// The fields come in this order, each only when switched on:
/// `TIME LEVEL [pid PID] [THREAD] LOGGER MODULE FILE:LINE: message k=v`, which is the pattern
/// `{time} {level} [pid {pid}] [{thread}] {logger} {module} {file}:{line}: {message}{kv}`
/// with the parts that are off left out.
///
/// ```
/// use scoped_logger::format::TextFormat;
/// let format = TextFormat::builder()
///     .thread_name(true)
///     .location(true)
///     .local_time(true)
///     .build();
/// assert_eq!(
///     format.pattern(),
///     "{local_time} {level} [{thread}] {logger} {file}:{line}: {message}{kv}"
/// );
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct TextFormatBuilder {
    local_time: bool,
    thread_name: bool,
    thread_id: bool,
    module: bool,
    location: bool,
    pid: bool,
}

impl TextFormatBuilder {
    /// The default line's fields: time (UTC), level, logger, message, key-values.
    pub fn new() -> Self {
        Self::default()
    }

    /// The time in the system's time zone with its offset instead of UTC.
    pub fn local_time(mut self, on: bool) -> Self {
        self.local_time = on;
        self
    }

    /// The logging thread's name (its id when it has none), in brackets.
    pub fn thread_name(mut self, on: bool) -> Self {
        self.thread_name = on;
        self
    }

    /// The logging thread's id, in brackets (after the name when both are on).
    pub fn thread_id(mut self, on: bool) -> Self {
        self.thread_id = on;
        self
    }

    /// The module path the record was logged from.
    pub fn module(mut self, on: bool) -> Self {
        self.module = on;
        self
    }

    /// `file:line` of the log call.
    pub fn location(mut self, on: bool) -> Self {
        self.location = on;
        self
    }

    /// The process id, as `[pid N]`.
    pub fn pid(mut self, on: bool) -> Self {
        self.pid = on;
        self
    }

    /// The pattern these switches make.
    pub fn to_pattern(&self) -> String {
        let mut p = String::from(if self.local_time {
            "{local_time} {level} "
        } else {
            "{time} {level} "
        });
        if self.pid {
            p.push_str("[pid {pid}] ");
        }
        match (self.thread_name, self.thread_id) {
            (true, true) => p.push_str("[{thread} {thread_id}] "),
            (true, false) => p.push_str("[{thread}] "),
            (false, true) => p.push_str("[{thread_id}] "),
            (false, false) => {}
        }
        p.push_str("{logger} ");
        if self.module {
            p.push_str("{module} ");
        }
        if self.location {
            p.push_str("{file}:{line} ");
        }
        p.pop();
        p.push_str(": {message}{kv}");
        p
    }

    /// The format.
    pub fn build(self) -> PatternFormat {
        match PatternFormat::new(&self.to_pattern()) {
            Ok(format) => format,
            Err(e) => unreachable!("the builder writes known placeholders only: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::format::TextFormat;
    use crate::kv::Value;
    use crate::level::Level;

    fn line(format: &dyn Format, record: &Record<'_>) -> String {
        let mut out = Vec::new();
        format.format(record, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_default_pattern_writes_what_text_format_writes() {
        let kvs = [("k\ney", Value::Str("two words")), ("n", Value::I64(-3))];
        let pattern = PatternFormat::new("{time} {level} {logger}: {message}{kv}").unwrap();
        assert_eq!(pattern, TextFormat::builder().build());
        for (logger, msg) in [("jobs.42", "plain"), ("", "a\r\x1b[2Kforged")] {
            let args = format_args!("{msg}");
            let rec = Record::builder(Level::Error, logger, args)
                .key_values(&kvs)
                .time(UNIX_EPOCH + Duration::from_millis(1_795_892_638_123))
                .build();
            assert_eq!(line(&pattern, &rec), line(&TextFormat, &rec));
            let (mut styled, mut plain) = (Vec::new(), Vec::new());
            pattern.format_styled(&rec, &mut styled);
            TextFormat.format_styled(&rec, &mut plain);
            assert_eq!(styled, plain);
        }
    }

    #[test]
    fn every_placeholder_and_record_supplied_text_is_escaped() {
        let format = PatternFormat::new(
            "{{{level}}} {thread}|{thread_id}|{module}|{file}|{line}|{pid}|{logger}|{message}{kv}",
        )
        .unwrap();
        let kvs = [("a b", Value::Str("x"))];
        let rec = Record::builder(Level::Info, "l", format_args!("m\u{2028}"))
            .key_values(&kvs)
            .thread_name(Some("worker\n1"))
            .source(Some("app::db"), Some("src/\x1b.rs"), Some(7))
            .build();
        let id = THREAD_ID.with(|id| id.to_string());
        assert!(!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()));
        let pid = std::process::id();
        assert_eq!(
            line(&format, &rec),
            format!(
                "{{INFO}} worker\\n1|{id}|app::db|src/\\x1b.rs|7|{pid}|l|m\\u{{2028}} a\\x20b=x\n"
            )
        );
        let bare = Record::builder(Level::Info, "l", format_args!("m")).build();
        assert_eq!(
            line(&format, &bare),
            format!("{{INFO}} {id}|{id}|-|-|-|{pid}|l|m\n"),
            "no thread name: the id; nothing known: `-`"
        );
    }

    #[test]
    fn bad_patterns_are_errors_that_name_the_problem() {
        let e = PatternFormat::new("{time} {lvl}: {message}").unwrap_err();
        assert_eq!(e.placeholder(), Some("lvl"));
        let text = e.to_string();
        assert!(
            text.contains("`{lvl}`") && text.contains("{local_time}"),
            "{text}"
        );
        for (pattern, says) in [
            ("{message", "never closed"),
            ("a } b", "closes nothing"),
            ("{message}\n", "'\\n'"),
            ("\u{202e}{message}", "U+202E"),
        ] {
            let e = PatternFormat::new(pattern).unwrap_err();
            assert_eq!(e.placeholder(), None);
            assert!(e.to_string().contains(says), "{pattern:?}: {e}");
        }
        assert_eq!(
            PatternFormat::new("{{}} {{message}}").unwrap().pattern(),
            "{{}} {{message}}"
        );
        let rec = Record::builder(Level::Info, "l", format_args!("m")).build();
        assert_eq!(
            line(&PatternFormat::new("{{}} {{message}}").unwrap(), &rec),
            "{} {message}\n"
        );
    }

    #[test]
    fn the_builder_switches_fields_on_in_a_fixed_order() {
        assert_eq!(
            TextFormat::builder().to_pattern(),
            "{time} {level} {logger}: {message}{kv}"
        );
        assert_eq!(
            TextFormat::builder()
                .pid(true)
                .thread_name(true)
                .thread_id(true)
                .module(true)
                .location(true)
                .local_time(true)
                .to_pattern(),
            "{local_time} {level} [pid {pid}] [{thread} {thread_id}] {logger} {module} {file}:{line}: {message}{kv}"
        );
        let rec = Record::builder(Level::Info, "jobs", format_args!("m"))
            .thread_name(Some("main"))
            .source(Some("app::jobs"), Some("src/jobs.rs"), Some(3))
            .time(UNIX_EPOCH)
            .build();
        let format = TextFormat::builder()
            .thread_name(true)
            .module(true)
            .location(true)
            .build();
        assert_eq!(
            line(&format, &rec),
            "1970-01-01T00:00:00.000Z INFO [main] jobs app::jobs src/jobs.rs:3: m\n"
        );
    }
}
