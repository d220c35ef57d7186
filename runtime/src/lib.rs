//! The runtime of [scoped-logger](https://docs.rs/scoped-logger): the logger tree, scopes,
//! records, handlers and formats. Depend on the `scoped-logger` crate, which re-exports all of
//! this together with the `#[scoped_logger]` attribute and the logging macros.
//!
//! Nothing here holds a registry lock while a handler runs, and nothing here panics on bad input:
//! names, levels, directives and handler factories return errors that say what was wrong.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

pub mod bridge;
mod budget;
mod clock;
pub mod config;
mod error_value;
mod fields;
pub mod format;
mod gate;
pub mod handler;
mod init;
mod internal;
mod level;
pub mod name;
mod panic;
mod record;
mod scope;
mod striped;
pub mod timing;
mod tree;

#[doc(hidden)]
pub mod __private;

#[cfg(feature = "log")]
#[cfg_attr(docsrs, doc(cfg(feature = "log")))]
pub use bridge::log as log_bridge;
#[cfg(feature = "tracing")]
#[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
pub use bridge::tracing::TracingLayer;
pub use error_value::OwnedError;
pub use fields::Fields;
pub use handler::file::{FileHandler, FileOptions};
pub use handler::memory::MemoryHandler;
pub use handler::nonblocking::{NonBlocking, Policy, QueueOptions};
pub use handler::rotating::{
    Clock, RotatingFileBuilder, RotatingFileHandler, Rotation, SystemClock,
};
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use handler::sqlite::{SqliteBuilder, SqliteError, SqliteHandler};
pub use handler::stderr::StderrHandler;
pub use handler::stream::StreamHandler;
#[cfg(feature = "syslog")]
#[cfg_attr(docsrs, doc(cfg(feature = "syslog")))]
pub use handler::syslog::{Facility, SyslogBuilder, SyslogFormat, SyslogHandler};
pub use handler::test_writer::TestHandler;
pub use handler::{Handler, HandlerExt, HandlerId, NullHandler, WithLevel};
pub use init::{InitBuilder, InitError, InitGuard, init, init_for_tests};
pub use level::{Level, LevelFilter, ParseLevelError};
pub use name::{NameError, NameErrorKind};
pub use panic::install_panic_hook;
pub use record::{
    KeyValues, Location, OwnedRecord, OwnedValue, Record, RecordBuilder, ToValue, Value,
};
pub use scope::{
    BoxError, CloseError, Context, FlightRecorder, FutureExt, LiveScope, ScopeBuilder, ScopeError,
    ScopedLogger, in_scope,
};
#[allow(deprecated)]
pub use tree::ConfigError;
pub use tree::{
    DEFAULT_ROOT_LEVEL, DirectiveError, KindStats, Logger, Outcome, Registry, Stats, current,
    current_scope,
};

/// Gets or creates the logger `name` in the global registry (Python's `logging.getLogger`).
///
/// # Panics
/// When `name` is invalid (see [`Registry::try_logger`]).
pub fn logger(name: &str) -> Logger {
    Registry::global().logger(name)
}

/// The global registry's root logger.
pub fn root() -> Logger {
    Registry::global().root()
}
