//! What configures and extends the handlers: their builders and options, the wrappers
//! ([`NonBlocking`], [`WithLevel`]), the queue engine ([`queue`]), the roads to a collector
//! (syslog: [`syslog`], the journal: [`journald`], OpenTelemetry: [`otlp`]), and the pieces for
//! writing a handler of your own ([`ErrorReporter`]). The [`Handler`] trait, the
//! everyday handlers ([`StderrHandler`](crate::StderrHandler),
//! [`FileHandler`](crate::FileHandler), ...) and the [`HandlerId`] that
//! `add_handler` returns are at the crate root.
//!
//! A handler never takes the caller down: the tree calls it inside `catch_unwind`, and built-in
//! handlers report I/O errors through [`ErrorReporter`] rather than returning them. A record
//! logged from inside a handler into that same handler on the same thread (a writer that logs),
//! or deeper than [`MAX_HANDLER_DEPTH`] handlers, is dropped and counted
//! ([`recursion_dropped_count`]): never a deadlock, never a stack overflow.
//!
//! # Fork
//!
//! Nothing is re-created in a child after `fork()`: the queued handlers' writer threads
//! ([`StderrHandler`](crate::StderrHandler), [`NonBlocking`], syslog, SQLite, journald, OTLP,
//! and the last-resort sink behind the library's own warnings) exist only in the parent, so the
//! child's records to them are queued, then dropped and counted once the queue is full;
//! under [`Policy::Block`](queue::Policy::Block) the child waits on that full queue for good.
//! A lock another thread held at the moment of the fork stays held in the child. What a program
//! that forks must do:
//!
//! * fork (daemonize) before [`init`](crate::init) or before attaching any queued handler; or
//! * `exec` in the child (a child that only execs logs nothing through this library); or
//! * in the child, first call [`Registry::shutdown`](crate::Registry::shutdown) with
//!   `Duration::ZERO` on each registry (it lets go of the parent's handlers on helper threads and
//!   returns at once even where their locks are held, reporting them as left; only a lock of
//!   the last-resort sink held at the fork, a window of a few instructions, would stop it), then attach new
//!   handlers (`root().add_handler(StderrHandler::new())`); levels and the `log` bridge stay.
//!   The last-resort sink is not re-created: in such a child, records that reach no handler and
//!   the library's own warnings are lost, so give the root a handler. A syslog handler opened
//!   in the child stamps the child's pid.

// The handlers a user writes every day are re-exported at the crate root from these
// crate-visible files; this module's own public names are what configures or extends them.
mod closer;
pub(crate) mod directed;
pub(crate) mod file;
pub(crate) mod handler_trait;
#[cfg(all(feature = "journald", target_os = "linux"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "journald", target_os = "linux"))))]
pub mod journald;
pub(crate) mod last_resort;
pub(crate) mod memory;
mod nonblocking;
#[cfg(feature = "otlp")]
#[cfg_attr(docsrs, doc(cfg(feature = "otlp")))]
pub mod otlp;
#[cfg(any(feature = "syslog", all(feature = "journald", target_os = "linux")))]
pub(crate) mod program;
pub mod queue;
#[cfg(any(
    feature = "syslog",
    feature = "otlp",
    all(feature = "journald", target_os = "linux")
))]
mod queued;
mod report;
#[cfg(any(
    feature = "syslog",
    feature = "otlp",
    all(feature = "journald", target_os = "linux")
))]
pub(crate) mod retry;
#[cfg(feature = "sqlite")]
pub(crate) mod sqlite;
pub(crate) mod stderr;
pub(crate) mod stream;
#[cfg(feature = "syslog")]
#[cfg_attr(docsrs, doc(cfg(feature = "syslog")))]
pub mod syslog;
mod test_writer;

pub use handler_trait::WithLevel;
// `HandlerId` is at the crate root: `add_handler` returns it.
pub use file::{FileOptions, RotatingFileBuilder, Rotation, RotationClock, WallClock};
pub(crate) use handler_trait::HandlerId;
pub use nonblocking::NonBlocking;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use sqlite::{SqliteBuilder, SqliteError};
pub use test_writer::TestHandler;

pub(crate) use closer::{Attached, Closer, release_all};
pub use closer::{MAX_HANDLER_DEPTH, recursion_dropped_count};
pub(crate) use handler_trait::{Handler, describe};
pub(crate) use report::HANDLER_ERRORS;
pub use report::{ErrorReporter, handler_error_count};
