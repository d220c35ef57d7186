//! The runtime of [scoped-logger](https://docs.rs/scoped-logger): the logger tree, scopes,
//! records, handlers and formats. Depend on the `scoped-logger` crate, which re-exports all of
//! this together with the `#[scoped_logger]` attribute and the logging macros.
//!
//! Nothing here holds a registry lock while a handler runs. Bad input is an error that says what
//! was wrong (names, levels, directives, handler factories, config files); the few shorthands
//! that panic on a bad name instead ([`logger`], `Registry::logger`) say so in
//! their docs and have a `try_` twin, and a handler that panics is caught and reported.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

pub mod bridge;
mod budget;
mod clock;
pub mod config;
pub mod format;
mod gate;
pub mod handler;
mod init;
pub mod kv;
mod level;
pub mod name;
mod panic;
mod record;
pub mod registry;
pub mod scope;
mod striped;
mod thread;
pub mod timing;
mod tree;

#[doc(hidden)]
pub mod __private;

// The names a user writes every day; everything else has one path, in its module.
pub use handler::file::{FileHandler, RotatingFileHandler};
pub use handler::handler_trait::{Handler, HandlerExt, HandlerId, NullHandler};
pub use handler::memory::MemoryHandler;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use handler::sqlite::SqliteHandler;
pub use handler::stderr::StderrHandler;
pub use handler::stream::StreamHandler;
pub use init::{InitBuilder, InitError, InitGuard, init, init_for_tests};
pub use kv::fields::Fields;
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
