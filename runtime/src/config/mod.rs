//! Configuration as data: levels, propagate flags and named handlers attached to loggers, built in
//! code or read from a TOML file, applied to a registry, and re-applied (reloaded) safely.
//!
//! Errors name the file, the line and the key. Applying is all-or-nothing: every handler is
//! opened before anything in the tree changes. On reload a handler whose settings did not change is
//! kept as it is; the others are attached before the old ones are detached (then flushed and
//! closed), so no record falls between the two; a level or propagate flag the new file no longer
//! sets goes back to its default (inherit, propagate).
//!
//! Reloading: [`init_from_file`] once (say on SIGHUP), or [`watch`], which applies the file and
//! then applies it again whenever it changes, keeping the last good configuration when a new one
//! is bad. Needs the feature `config` (it builds `toml`).
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
//!
//! [handlers.collector]
//! kind = "otlp"        # feature `otlp`; unset options come from the OTEL_* variables
//! protocol = "grpc"    # or "http/protobuf"
//! endpoint = "http://127.0.0.1:4317"
//! service_name = "billing"
//!
//! [handlers.journal]
//! kind = "journald"    # feature `journald` (Linux)
//! identifier = "billing"
//! ```

// The shape of a file (`schema`), opening the handlers it names (`open`), attaching them and
// reloading (`apply`), watching a file to reload it when it changes (`watch`), and the error all
// of them report (`error`). Imports point one way: `watch` uses `apply`, which uses `open`,
// which uses `schema`; none of them uses `watch`.
mod apply;
mod error;
mod open;
mod schema;
mod watch;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

pub use apply::{Applied, init_from_file};
pub use error::ConfigFileError;
use error::{ErrorDetail, line_col};
pub use schema::{FileMode, FormatKind, HandlerConfig, LoggerConfig, RotateKind};
pub use watch::{ConfigWatch, watch, watch_registry};

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
        let text = std::fs::read_to_string(path).map_err(|e| read_error(path, e))?;
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
}

/// The error of a configuration file that cannot be read.
fn read_error(path: &Path, e: impl std::fmt::Display) -> ConfigFileError {
    file_error(path, format!("cannot read the configuration file: {e}"))
}

/// An error about the file as a whole (no line, no key).
fn file_error(path: &Path, message: String) -> ConfigFileError {
    ConfigFileError(Box::new(ErrorDetail {
        path: Some(path.to_owned()),
        line: None,
        column: None,
        key: None,
        message,
    }))
}
