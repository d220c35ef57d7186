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
pub mod kv;
mod level;
pub mod name;
mod panic;
mod record;
pub mod registry;
pub mod scope;
mod striped;
pub mod timing;
#[cfg(feature = "opentelemetry")]
mod trace_ids;
mod tree;

#[doc(hidden)]
pub mod __private;

// The names a user writes every day; everything else has one path, in its module.
pub use fields::Fields;
pub use handler::contract::{Handler, HandlerExt, HandlerId, NullHandler};
pub use handler::file::FileHandler;
pub use handler::memory::MemoryHandler;
pub use handler::rotating::RotatingFileHandler;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use handler::sqlite::SqliteHandler;
pub use handler::stderr::StderrHandler;
pub use handler::stream::StreamHandler;
pub use init::{InitBuilder, InitError, InitGuard, init, init_for_tests};
pub use level::{Level, LevelFilter, ParseLevelError};
pub use name::error::NameError;
pub use panic::install_panic_hook;
pub use record::{Location, OwnedRecord, Record, RecordBuilder};
pub use scope::builder::{CloseError, ScopeError};
pub use scope::context::Context;
pub use scope::future::{FutureExt, in_scope};
pub use scope::guard::ScopedLogger;
pub use tree::{Logger, Registry, current, current_scope};
/// The old name of [`registry::DirectiveError`], kept so that code written against it builds.
#[deprecated(since = "0.1.0", note = "renamed to `registry::DirectiveError`")]
pub type ConfigError = registry::DirectiveError;

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
