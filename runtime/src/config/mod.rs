//! Configuration as data: levels, propagate flags and named handlers attached to loggers, built in
//! code or read from a TOML file, applied to a registry, and re-applied (reloaded) safely.
//!
//! Errors name the file, the line and the key. Applying is all-or-nothing: every handler is
//! opened before anything in the tree changes. On reload a handler whose settings did not change is
//! kept as it is; the others are attached before the old ones are detached (then flushed and
//! closed), so no record falls between the two; a level or propagate flag the new file no longer
//! sets goes back to its default (inherit, propagate).
//!
//! ```toml
//! [loggers.root]
//! level = "warn"
//! handlers = ["console"]
//!
//! [loggers.jobs]
//! level = "debug"
//! handlers = ["jobs_db"]
//!
//! [loggers."jobs.noisy"]
//! level = "off"
//!
//! [handlers.console]
//! kind = "stderr"
//! level = "info"
//! style = "auto"       # or "always", "never": colours on a terminal
//!
//! [handlers.app]
//! kind = "file"
//! path = "logs/app.log"
//! format = "json"      # or "text" (the default), or a pattern:
//!
//! [handlers.shaped]
//! kind = "file"
//! path = "logs/shaped.log"
//! format = { pattern = "{local_time} {level} [{thread}] {logger} {file}:{line}: {message}{kv}" }
//!
//! [handlers.rolling]
//! kind = "rotating_file"
//! path = "logs/app.log"
//! max_bytes = 10_485_760
//! backups = 5
//! rotate = "daily"     # or "hourly", "weekly", "never"
//! local_time = true    # days and weeks end at local midnight (default: UTC)
//! max_age = "14days"   # also delete backups older than this
//! compress = true      # gzip the backups on a background thread
//! mode = 0o640         # or "0640": permission bits of created files (unix)
//!
//! [handlers.jobs_db]
//! kind = "sqlite"
//! path = "logs/jobs.db"
//!
//! [handlers.out]
//! kind = "stream"      # stdout, written on the logging thread
//!
//! [handlers.quiet]
//! kind = "null"        # discards everything
//!
//! [handlers.system]
//! kind = "syslog"      # feature `syslog`
//! address = "udp://127.0.0.1:514"   # or "tcp://host:port", or a socket path (default: the system's)
//! facility = "local0"
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;
use serde::Deserialize;
use toml::Spanned;

use crate::format::{Format, JsonFormat, PatternError, PatternFormat, TextFormat, WriteStyle};
use crate::handler::{Handler, HandlerExt, HandlerId};
use crate::level::LevelFilter;
use crate::tree::Registry;

/// A whole configuration. Build it in code or parse it with [`Config::from_toml`] /
/// [`Config::from_file`].
///
/// ```
/// use scoped_logger::{config::{Config, HandlerConfig}, LevelFilter, Registry};
/// let config = Config::new()
///     .level("root", LevelFilter::Info)
///     .level("jobs", LevelFilter::Debug)
///     .handler("console", HandlerConfig::stderr())
///     .attach("root", "console");
/// let reg = Registry::new();
/// config.apply(&reg).unwrap();
/// assert_eq!(reg.logger("jobs").level(), Some(LevelFilter::Debug));
/// assert_eq!(reg.root().handler_count(), 1);
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    loggers: BTreeMap<String, LoggerConfig>,
    #[serde(default)]
    handlers: BTreeMap<String, Spanned<HandlerConfig>>,
    #[serde(skip)]
    source: Option<Source>,
}

#[derive(Debug, Clone)]
struct Source {
    path: Option<PathBuf>,
    text: Arc<str>,
}

/// What a config says about one logger.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggerConfig {
    level: Option<Spanned<LevelFilter>>,
    propagate: Option<bool>,
    #[serde(default)]
    handlers: Vec<Spanned<String>>,
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

    fn make(&self) -> Box<dyn Format> {
        match self {
            FormatKind::Text => Box::new(TextFormat),
            FormatKind::Json => Box::new(JsonFormat),
            FormatKind::Pattern(p) => Box::new(p.clone()),
        }
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

/// `max_age = "14days"`: a humantime duration in a string.
mod humantime_opt {
    use serde::Deserialize as _;

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<std::time::Duration>, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_duration(&text).map(Some).map_err(|e| {
            serde::de::Error::custom(format!(
                "max_age `{text}` is not a duration ({e}): write e.g. \"14days\" or \"12h\""
            ))
        })
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
        #[serde(default, with = "humantime_opt")]
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

    fn kind(&self) -> &'static str {
        match self {
            HandlerConfig::Stderr { .. } => "stderr",
            HandlerConfig::File { .. } => "file",
            HandlerConfig::RotatingFile { .. } => "rotating_file",
            HandlerConfig::Sqlite { .. } => "sqlite",
            HandlerConfig::Stream { .. } => "stream",
            HandlerConfig::Null => "null",
            HandlerConfig::Syslog { .. } => "syslog",
        }
    }

    fn build(&self) -> Result<Arc<dyn Handler>, String> {
        fn leveled<H: Handler + 'static>(h: H, level: &Option<LevelFilter>) -> Arc<dyn Handler> {
            match level {
                Some(l) => Arc::new(h.with_level(*l)),
                None => Arc::new(h),
            }
        }
        Ok(match self {
            HandlerConfig::Stderr {
                level,
                format,
                style,
            } => leveled(
                crate::StderrHandler::new()
                    .format(format.make())
                    .style(*style),
                level,
            ),
            HandlerConfig::File {
                path,
                mode,
                level,
                format,
            } => leveled(
                {
                    let mut options = crate::FileHandler::options();
                    if let Some(FileMode(m)) = mode {
                        options = options.mode(*m);
                    }
                    options.open(path).map_err(|e| e.to_string())?
                }
                .format(format.make()),
                level,
            ),
            HandlerConfig::RotatingFile {
                path,
                max_bytes,
                backups,
                rotate,
                mode,
                local_time,
                max_age,
                compress,
                level,
                format,
            } => {
                let mut b = crate::RotatingFileHandler::builder(path)
                    .backups(*backups)
                    .rotate_every(match rotate {
                        RotateKind::Never => crate::handler::Rotation::Never,
                        RotateKind::Hourly => crate::handler::Rotation::Hourly,
                        RotateKind::Daily => crate::handler::Rotation::Daily,
                        RotateKind::Weekly => crate::handler::Rotation::Weekly,
                    })
                    .local_time(*local_time)
                    .compress(*compress)
                    .format(format.make());
                if let Some(m) = max_bytes {
                    b = b.max_bytes(*m);
                }
                if let Some(FileMode(m)) = mode {
                    b = b.mode(*m);
                }
                if let Some(age) = max_age {
                    b = b.max_age(*age);
                }
                leveled(b.open().map_err(|e| e.to_string())?, level)
            }
            #[cfg(feature = "sqlite")]
            HandlerConfig::Sqlite { path, level } => leveled(
                crate::SqliteHandler::open(path).map_err(|e| e.to_string())?,
                level,
            ),
            #[cfg(not(feature = "sqlite"))]
            HandlerConfig::Sqlite { .. } => {
                return Err("the `sqlite` handler needs the crate feature `sqlite`".into());
            }
            HandlerConfig::Stream { level, format } => leveled(
                crate::StreamHandler::new(std::io::stdout()).format(format.make()),
                level,
            ),
            HandlerConfig::Null => Arc::new(crate::NullHandler),
            #[cfg(feature = "syslog")]
            HandlerConfig::Syslog {
                address,
                facility,
                app_name,
                level,
            } => leveled(syslog(address, facility, app_name)?, level),
            #[cfg(not(feature = "syslog"))]
            HandlerConfig::Syslog { .. } => {
                return Err("the `syslog` handler needs the crate feature `syslog`".into());
            }
        })
    }
}

/// Opens the `syslog` handler a configuration describes.
#[cfg(feature = "syslog")]
fn syslog(
    address: &Option<String>,
    facility: &Option<String>,
    app_name: &Option<String>,
) -> Result<crate::handler::syslog::SyslogHandler, String> {
    use crate::handler::syslog::SyslogHandler;
    let (mut builder, address) = match address.as_deref() {
        None => (SyslogHandler::local(), "the local syslog socket"),
        Some(a) => {
            let builder = if let Some(addr) = a.strip_prefix("udp://") {
                SyslogHandler::udp(addr)
            } else if let Some(addr) = a.strip_prefix("tcp://") {
                SyslogHandler::tcp(addr)
            } else if let Some(path) = a.strip_prefix("unix://") {
                SyslogHandler::unix(path)
            } else if a.starts_with('/') {
                SyslogHandler::unix(a)
            } else {
                return Err(format!(
                    "address `{a}` is none of `udp://host:port`, `tcp://host:port` or a socket path"
                ));
            };
            (builder, a)
        }
    };
    if let Some(f) = facility {
        builder = builder.facility(f.parse().map_err(|e| format!("{e}"))?);
    }
    if let Some(name) = app_name {
        builder = builder.app_name(name.as_str());
    }
    builder.open().map_err(|e| format!("{address}: {e}"))
}

/// A configuration error: where (file, line, column, key) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFileError(Box<ErrorDetail>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct ErrorDetail {
    path: Option<PathBuf>,
    line: Option<usize>,
    column: Option<usize>,
    key: Option<String>,
    message: String,
}

impl ConfigFileError {
    /// The line (1-based), when known.
    pub fn line(&self) -> Option<usize> {
        self.0.line
    }
    /// The key the error is about, when known (`handlers.db`, `loggers.jobs.level`).
    pub fn key(&self) -> Option<&str> {
        self.0.key.as_deref()
    }
    /// What was wrong.
    pub fn message(&self) -> &str {
        &self.0.message
    }
}

impl fmt::Display for ConfigFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.0;
        match &d.path {
            Some(p) => write!(f, "{}", p.display())?,
            None => f.write_str("<config>")?,
        }
        if let Some(l) = d.line {
            write!(f, ":{l}")?;
            if let Some(c) = d.column {
                write!(f, ":{c}")?;
            }
        }
        if let Some(k) = &d.key {
            write!(f, ": `{k}`")?;
        }
        write!(f, ": {}", d.message)
    }
}

impl std::error::Error for ConfigFileError {}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

impl Config {
    /// An empty configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a logger's level (`"root"` or `""` is the root).
    pub fn level(mut self, logger: &str, level: LevelFilter) -> Self {
        self.loggers.entry(logger.to_owned()).or_default().level = Some(Spanned::new(0..0, level));
        self
    }

    /// Sets a logger's propagate flag.
    pub fn propagate(mut self, logger: &str, propagate: bool) -> Self {
        self.loggers.entry(logger.to_owned()).or_default().propagate = Some(propagate);
        self
    }

    /// Defines a named handler.
    pub fn handler(mut self, id: &str, handler: HandlerConfig) -> Self {
        self.handlers
            .insert(id.to_owned(), Spanned::new(0..0, handler));
        self
    }

    /// Attaches the named handler to a logger.
    pub fn attach(mut self, logger: &str, handler_id: &str) -> Self {
        self.loggers
            .entry(logger.to_owned())
            .or_default()
            .handlers
            .push(Spanned::new(0..0, handler_id.to_owned()));
        self
    }

    /// Parses TOML text.
    pub fn from_toml(text: &str) -> Result<Config, ConfigFileError> {
        Self::parse(text, None)
    }

    /// Reads and parses a TOML file; errors name the file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Config, ConfigFileError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigFileError(Box::new(ErrorDetail {
                path: Some(path.to_owned()),
                line: None,
                column: None,
                key: None,
                message: format!("cannot read the configuration file: {e}"),
            }))
        })?;
        Self::parse(&text, Some(path))
    }

    fn parse(text: &str, path: Option<&Path>) -> Result<Config, ConfigFileError> {
        let mut config: Config = toml::from_str(text).map_err(|e: toml::de::Error| {
            let (line, column) = match e.span() {
                Some(span) => {
                    let (l, c) = line_col(text, span.start);
                    (Some(l), Some(c))
                }
                None => (None, None),
            };
            ConfigFileError(Box::new(ErrorDetail {
                path: path.map(Path::to_owned),
                line,
                column,
                key: None,
                message: e.message().trim().to_owned(),
            }))
        })?;
        config.source = Some(Source {
            path: path.map(Path::to_owned),
            text: Arc::from(text),
        });
        config.check()?;
        Ok(config)
    }

    fn error_at(
        &self,
        span: std::ops::Range<usize>,
        key: String,
        message: String,
    ) -> ConfigFileError {
        let (path, line, column) = match &self.source {
            Some(s) if span.end > 0 => {
                let (l, c) = line_col(&s.text, span.start);
                (s.path.clone(), Some(l), Some(c))
            }
            Some(s) => (s.path.clone(), None, None),
            None => (None, None, None),
        };
        ConfigFileError(Box::new(ErrorDetail {
            path,
            line,
            column,
            key: Some(key),
            message,
        }))
    }

    /// Checks what parsing cannot: names and handler references.
    fn check(&self) -> Result<(), ConfigFileError> {
        for (name, l) in &self.loggers {
            if name != "root" {
                crate::name::normalize(name)
                    .map_err(|e| self.error_at(0..0, format!("loggers.{name}"), e.to_string()))?;
            }
            for h in &l.handlers {
                if !self.handlers.contains_key(h.get_ref()) {
                    let known: Vec<&str> = self.handlers.keys().map(String::as_str).collect();
                    return Err(self.error_at(
                        h.span(),
                        format!("loggers.{name}.handlers"),
                        format!(
                            "no handler named `{}` is defined (defined: {})",
                            h.get_ref(),
                            if known.is_empty() {
                                "none".to_owned()
                            } else {
                                known.join(", ")
                            }
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Applies the configuration to `registry`: every handler is opened first (an error changes
    /// nothing), then levels, propagate flags and handlers are set. Returns what was attached, so
    /// it can be [`replaced`](Applied::replace) later.
    pub fn apply(&self, registry: &Registry) -> Result<Applied, ConfigFileError> {
        self.apply_reusing(registry, None)
    }

    /// `apply`, keeping from `previous` every handler whose name and settings did not change,
    /// and its attachments to the same loggers: those are neither opened again nor attached
    /// twice. What `previous` set and this configuration no longer says is reset (see
    /// [`Applied::reset_unsaid`]).
    fn apply_reusing(
        &self,
        registry: &Registry,
        previous: Option<&Applied>,
    ) -> Result<Applied, ConfigFileError> {
        self.check()?;
        let mut built: BTreeMap<String, (HandlerConfig, Arc<dyn Handler>)> = BTreeMap::new();
        let mut reused = BTreeMap::new();
        for (id, h) in &self.handlers {
            // Only a handler the previous configuration still has attached is open: one it
            // defined but attached nowhere was closed when it replaced its own predecessor.
            let same = previous
                .filter(|p| p.attached.iter().any(|a| a.handler_name == *id))
                .and_then(|p| p.handlers.get(id))
                .filter(|(spec, _)| spec == h.get_ref());
            let handler = match same {
                Some((_, handler)) => {
                    reused.insert(id.as_str(), ());
                    handler.clone()
                }
                None => h.get_ref().build().map_err(|msg| {
                    self.error_at(
                        h.span(),
                        format!("handlers.{id}"),
                        format!("cannot open the {} handler: {msg}", h.get_ref().kind()),
                    )
                })?,
            };
            built.insert(id.clone(), (h.get_ref().clone(), handler));
        }
        let mut attached = Vec::new();
        let mut set_levels = Vec::new();
        let mut set_propagates = Vec::new();
        for (name, l) in &self.loggers {
            let logger = if name == "root" {
                registry.root()
            } else {
                registry
                    .try_logger(name)
                    .map_err(|e| self.error_at(0..0, format!("loggers.{name}"), e.to_string()))?
            };
            if let Some(level) = &l.level {
                logger.set_level(*level.get_ref());
                set_levels.push(canonical(name));
            }
            if let Some(p) = l.propagate {
                logger.set_propagate(p);
                set_propagates.push(canonical(name));
            }
            for h in &l.handlers {
                let handler = h.get_ref().as_str();
                let kept = reused
                    .contains_key(handler)
                    .then(|| {
                        previous?.attached.iter().find(|a| {
                            a.logger_name == *name
                                && a.handler_name == handler
                                && a.logger.is_live()
                        })
                    })
                    .flatten();
                let id = match kept {
                    Some(a) => a.id,
                    None => logger.add_shared_handler(built[handler].1.clone()),
                };
                attached.push(Attachment {
                    logger_name: name.clone(),
                    handler_name: handler.to_owned(),
                    logger: logger.clone(),
                    id,
                });
            }
        }
        if let Some(previous) = previous {
            previous.reset_unsaid(&set_levels, &set_propagates);
        }
        Ok(Applied {
            registry: registry.clone(),
            handlers: built,
            attached,
            set_levels,
            set_propagates,
        })
    }
}

/// The name a `[loggers.NAME]` table means, as the tree writes it (`""` for the root), so that
/// `"jobs::db"` in one file and `"jobs.db"` in the next are the same logger.
fn canonical(name: &str) -> String {
    if name == "root" {
        return String::new();
    }
    crate::name::normalize(name).map_or_else(|_| name.to_owned(), |n| n.into_owned())
}

/// The handlers a configuration attached. Dropping it leaves them attached; [`Applied::replace`]
/// swaps them for a new configuration's, [`Applied::detach`] removes them.
#[must_use = "keep it to replace or detach this configuration's handlers later"]
pub struct Applied {
    registry: Registry,
    /// Each handler by name, with the settings it was built from.
    handlers: BTreeMap<String, (HandlerConfig, Arc<dyn Handler>)>,
    attached: Vec<Attachment>,
    /// The loggers (canonical names) whose level this configuration set.
    set_levels: Vec<String>,
    /// Likewise for propagate.
    set_propagates: Vec<String>,
}

impl std::fmt::Debug for Applied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Applied")
            .field("handlers", &self.handlers.keys().collect::<Vec<_>>())
            .field("attached", &self.attached)
            .finish()
    }
}

/// One handler attached to one logger by a configuration.
#[derive(Debug)]
struct Attachment {
    logger_name: String,
    handler_name: String,
    logger: crate::Logger,
    id: HandlerId,
}

impl Applied {
    /// Applies `config` and then detaches (flushing and closing) this one's handlers. If the new
    /// one fails to open, nothing changes and the error is returned.
    ///
    /// A handler whose name and settings did not change is kept as it is, attached where it
    /// still is: it is not opened again, and its records are neither lost nor written twice.
    /// Changed or new handlers are attached before the old ones are detached, so no record is
    /// lost in the swap; one logged during it may reach both the old and the new handler.
    ///
    /// A level or propagate flag that this configuration set and `config` no longer mentions is
    /// reset: the logger inherits its level again (the root goes back to `warn`) and propagates
    /// again. A live scope's own level or flag still wins until the scope ends.
    pub fn replace(self, config: &Config) -> Result<Applied, (Applied, ConfigFileError)> {
        match config.apply_reusing(&self.registry, Some(&self)) {
            Ok(new) => {
                // What the new configuration kept stays attached.
                for a in self.attached {
                    if !new.attached.iter().any(|n| n.id == a.id) {
                        a.logger.remove_handler(a.id);
                    }
                }
                Ok(new)
            }
            Err(e) => Err((self, e)),
        }
    }

    /// Gives back what this configuration set and the next one (which set `levels` and
    /// `propagates`) no longer says: such a logger's configured level is cleared (it inherits
    /// again; the root goes back to [`DEFAULT_ROOT_LEVEL`](crate::registry::DEFAULT_ROOT_LEVEL)) and its
    /// propagate flag is `true` again. These are configured values, so a live scope with a level
    /// or a propagate flag of its own keeps it until it ends, as it does for any other change.
    fn reset_unsaid(&self, levels: &[String], propagates: &[String]) {
        let logger = |name: &str| {
            if name.is_empty() {
                Some(self.registry.root())
            } else {
                self.registry.get(name)
            }
        };
        for name in self.set_levels.iter().filter(|n| !levels.contains(n)) {
            match logger(name) {
                Some(root) if name.is_empty() => {
                    root.set_level(crate::registry::DEFAULT_ROOT_LEVEL)
                }
                Some(l) => l.clear_level(),
                None => {}
            }
        }
        for name in self
            .set_propagates
            .iter()
            .filter(|n| !propagates.contains(n))
        {
            if let Some(l) = logger(name) {
                l.set_propagate(true);
            }
        }
    }

    /// Removes every handler this configuration attached (each closed when its last holder goes).
    pub fn detach(self) {
        for a in self.attached {
            a.logger.remove_handler(a.id);
        }
    }
}

static FROM_FILE: Mutex<Option<Applied>> = parking_lot::const_mutex(None);

/// Reads `path` and applies it to the global registry. Called again (say on SIGHUP), it reloads:
/// the new handlers are attached before the previous file's are detached, flushed and closed, so
/// no record is lost; handlers whose settings did not change are kept as they are (see
/// [`Applied::replace`]). If the new file is invalid, the previous configuration stays.
pub fn init_from_file(path: impl AsRef<Path>) -> Result<(), ConfigFileError> {
    let config = Config::from_file(path)?;
    let mut slot = FROM_FILE.lock();
    let applied = match slot.take() {
        Some(previous) => match previous.replace(&config) {
            Ok(new) => new,
            Err((previous, e)) => {
                *slot = Some(previous);
                return Err(e);
            }
        },
        None => config.apply(Registry::global())?,
    };
    *slot = Some(applied);
    Ok(())
}
