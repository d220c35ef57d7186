//! The shape of a configuration: what a file may say about a logger and a handler, and how each
//! value is read from TOML (with errors that say what to write instead). Plain data: nothing here
//! opens a handler or touches a registry.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use crate::format::{PatternError, PatternFormat, WriteStyle};
use crate::level::LevelFilter;

/// What a config says about one logger.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggerConfig {
    pub(super) level: Option<Spanned<LevelFilter>>,
    pub(super) propagate: Option<bool>,
    #[serde(default)]
    pub(super) handlers: Vec<Spanned<String>>,
}

/// The formats a handler can use: `format = "text"` (the default), `format = "json"`, or
/// `format = { pattern = "{time} {level} [{thread}] {logger}: {message}{kv}" }` (the
/// placeholders are listed in [`PatternFormat`]; a bad one is an
/// error naming it and its line in the file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormatKind {
    /// The default text line.
    #[default]
    Text,
    /// JSON lines.
    Json,
    /// A text line shaped by a pattern.
    Pattern(PatternFormat),
}

impl FormatKind {
    /// A pattern format, checked now.
    pub fn pattern(pattern: &str) -> Result<FormatKind, PatternError> {
        PatternFormat::new(pattern).map(FormatKind::Pattern)
    }
}

impl<'de> Deserialize<'de> for FormatKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = FormatKind;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#""text", "json" or { pattern = "..." }"#)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<FormatKind, E> {
                match v {
                    "text" => Ok(FormatKind::Text),
                    "json" => Ok(FormatKind::Json),
                    _ => Err(E::custom(format!(
                        r#"unknown format `{v}`: expected "text", "json" or {{ pattern = "..." }}"#
                    ))),
                }
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<FormatKind, A::Error> {
                use serde::de::Error as _;
                let mut pattern: Option<String> = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key != "pattern" {
                        return Err(A::Error::custom(format!(
                            "unknown key `{key}` in a format table: the one key is `pattern`"
                        )));
                    }
                    pattern = Some(map.next_value()?);
                }
                let pattern =
                    pattern.ok_or_else(|| A::Error::custom("a format table needs `pattern`"))?;
                FormatKind::pattern(&pattern).map_err(A::Error::custom)
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// Permission bits for the files a `file` or `rotating_file` handler creates: `mode = 0o640` (a
/// TOML octal integer) or `mode = "0640"` (octal digits in a string). Unix only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileMode(pub u32);

impl<'de> Deserialize<'de> for FileMode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        fn checked<E: serde::de::Error>(mode: u64) -> Result<FileMode, E> {
            if mode > 0o7777 {
                return Err(E::custom(format!(
                    "mode {mode:#o} has bits beyond 0o7777: write it as 0o640 or \"0640\""
                )));
            }
            Ok(FileMode(mode as u32))
        }
        impl serde::de::Visitor<'_> for Visitor {
            type Value = FileMode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#"permission bits such as 0o640 or "0640""#)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<FileMode, E> {
                checked(v)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<FileMode, E> {
                let v = u64::try_from(v).map_err(|_| {
                    E::custom(format!("mode {v} is negative: write 0o640 or \"0640\""))
                })?;
                checked(v)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<FileMode, E> {
                let digits = v.strip_prefix("0o").unwrap_or(v);
                let mode = u64::from_str_radix(digits, 8).map_err(|_| {
                    E::custom(format!(
                        "mode `{v}` is not octal permission bits: write \"0640\" or 0o640"
                    ))
                })?;
                checked(mode)
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// `max_age = "14days"`: a duration in a string, in jiff's friendly format (`"14days"`,
/// `"2 weeks"`, `"12h"`, `"1d 12h"`) or ISO 8601's (`"P14D"`). A day is 24 hours; months and
/// years, whose length varies, are refused with what to write instead.
mod duration_opt {
    use serde::Deserialize as _;

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<std::time::Duration>, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).map(Some).map_err(|e| {
            serde::de::Error::custom(format!(
                "max_age `{text}` is not a duration ({e}): write e.g. \"14days\" or \"12h\""
            ))
        })
    }

    pub(super) fn parse(text: &str) -> Result<std::time::Duration, String> {
        let span: jiff::Span = text
            .trim()
            .parse()
            .map_err(|e: jiff::Error| e.to_string())?;
        if span.is_negative() {
            return Err("it is negative".to_owned());
        }
        if span.get_years() != 0 || span.get_months() != 0 {
            return Err("months and years vary in length: write days or weeks".to_owned());
        }
        let d = span
            .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
            .map_err(|e| e.to_string())?;
        std::time::Duration::try_from(d).map_err(|e| e.to_string())
    }

    #[cfg(test)]
    mod tests {
        use std::time::Duration;

        #[test]
        fn reads_what_humantime_read_and_refuses_what_varies() {
            let day = 24 * 3600;
            for (text, secs) in [
                ("14days", 14 * day),
                ("14 days", 14 * day),
                ("2weeks", 14 * day),
                ("1w2d", 9 * day),
                ("12h", 12 * 3600),
                ("30min", 1800),
                ("90s", 90),
                ("P14D", 14 * day),
            ] {
                assert_eq!(super::parse(text), Ok(Duration::from_secs(secs)), "{text}");
            }
            assert!(
                super::parse("1month")
                    .unwrap_err()
                    .contains("days or weeks")
            );
            assert!(super::parse("-3d").unwrap_err().contains("negative"));
            assert!(super::parse("soon").is_err());
        }
    }
}

/// Time rotation for `rotating_file`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RotateKind {
    /// Size only.
    #[default]
    Never,
    /// Every UTC hour.
    Hourly,
    /// Every day.
    Daily,
    /// Every week, from Monday.
    Weekly,
}

/// One named handler: `kind` plus its options.
///
/// Each kind may gain options, so the variants are `#[non_exhaustive]`: a configuration comes
/// from a file (deserialized), or in code from [`stderr`](Self::stderr) and
/// [`file`](Self::file), whose options can then be set through a match
/// (`if let HandlerConfig::File { level, .. } = &mut h { *level = Some(LevelFilter::Warn) }`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum HandlerConfig {
    /// The never-blocking stderr sink.
    #[non_exhaustive]
    Stderr {
        /// The handler's own level.
        level: Option<LevelFilter>,
        /// Text or JSON.
        #[serde(default)]
        format: FormatKind,
        /// `auto` (the default: styled on a terminal), `always` or `never`; see [`WriteStyle`].
        #[serde(default)]
        style: WriteStyle,
    },
    /// A file, appended to.
    #[non_exhaustive]
    File {
        /// The file.
        path: PathBuf,
        /// Permission bits of the file when it is created.
        #[serde(default)]
        mode: Option<FileMode>,
        /// The handler's own level.
        level: Option<LevelFilter>,
        /// Text or JSON.
        #[serde(default)]
        format: FormatKind,
    },
    /// A file rotated by size and/or time.
    #[non_exhaustive]
    RotatingFile {
        /// The file.
        path: PathBuf,
        /// Rotate before a record would take the file past this size.
        max_bytes: Option<u64>,
        /// Backups kept.
        #[serde(default = "default_backups")]
        backups: usize,
        /// Time rotation.
        #[serde(default)]
        rotate: RotateKind,
        /// Permission bits of the files it creates.
        #[serde(default)]
        mode: Option<FileMode>,
        /// Days and weeks end at local midnight rather than UTC's.
        #[serde(default)]
        local_time: bool,
        /// Also delete backups older than this (`"14days"`, `"12h"`).
        #[serde(default, with = "duration_opt")]
        max_age: Option<std::time::Duration>,
        /// Gzip the backups.
        #[serde(default)]
        compress: bool,
        /// The handler's own level.
        level: Option<LevelFilter>,
        /// Text or JSON.
        #[serde(default)]
        format: FormatKind,
    },
    /// A SQLite database (feature `sqlite`).
    #[non_exhaustive]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The handler's own level.
        level: Option<LevelFilter>,
    },
    /// Standard output (`kind = "stream"`), written on the logging thread: a program whose
    /// stdout is not read waits for it, unlike `stderr`.
    #[non_exhaustive]
    Stream {
        /// The handler's own level.
        level: Option<LevelFilter>,
        /// Text or JSON.
        #[serde(default)]
        format: FormatKind,
    },
    /// Discards every record (`kind = "null"`, Python's `NullHandler`): attached to a logger
    /// with `propagate = false`, it silences that branch, the last-resort handler included.
    Null,
    /// A syslog server (feature `syslog`).
    #[non_exhaustive]
    Syslog {
        /// Where to send: `udp://host:port`, `tcp://host:port`, or the path of a Unix datagram
        /// socket (default: the system logger's socket, as
        /// [`SyslogHandler::local`](crate::handler::syslog::SyslogHandler::local) finds it).
        address: Option<String>,
        /// The facility's name (`user`, the default, `daemon`, `local0` to `local7`, ...).
        facility: Option<String>,
        /// APP-NAME (default: the program's file name).
        app_name: Option<String>,
        /// The handler's own level.
        level: Option<LevelFilter>,
    },
    /// An OpenTelemetry collector over OTLP (feature `otlp`); what is not set here comes from
    /// the `OTEL_*` variables, as
    /// [`OtlpBuilder::from_env`](crate::handler::otlp::OtlpBuilder::from_env) reads them.
    #[non_exhaustive]
    Otlp {
        /// `grpc` or `http/protobuf` (default: `OTEL_EXPORTER_OTLP_PROTOCOL`, else
        /// `http/protobuf`).
        protocol: Option<String>,
        /// The collector's base URL (default: `OTEL_EXPORTER_OTLP_ENDPOINT`, else the
        /// protocol's default, `http://localhost:4317` or `:4318`).
        endpoint: Option<String>,
        /// The resource's `service.name` (default: `OTEL_SERVICE_NAME`).
        service_name: Option<String>,
        /// The handler's own level.
        level: Option<LevelFilter>,
    },
    /// The systemd journal over its native protocol (feature `journald`, Linux).
    #[non_exhaustive]
    Journald {
        /// `SYSLOG_IDENTIFIER` (default: the program's file name).
        identifier: Option<String>,
        /// The handler's own level.
        level: Option<LevelFilter>,
    },
}

fn default_backups() -> usize {
    5
}

impl HandlerConfig {
    /// A stderr handler with default options.
    pub fn stderr() -> Self {
        HandlerConfig::Stderr {
            level: None,
            format: FormatKind::Text,
            style: WriteStyle::Auto,
        }
    }

    /// A file handler on `path`.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        HandlerConfig::File {
            path: path.into(),
            mode: None,
            level: None,
            format: FormatKind::Text,
        }
    }

    pub(super) fn kind(&self) -> &'static str {
        match self {
            HandlerConfig::Stderr { .. } => "stderr",
            HandlerConfig::File { .. } => "file",
            HandlerConfig::RotatingFile { .. } => "rotating_file",
            HandlerConfig::Sqlite { .. } => "sqlite",
            HandlerConfig::Stream { .. } => "stream",
            HandlerConfig::Null => "null",
            HandlerConfig::Syslog { .. } => "syslog",
            HandlerConfig::Otlp { .. } => "otlp",
            HandlerConfig::Journald { .. } => "journald",
        }
    }
}
