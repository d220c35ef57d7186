//! Python's logger tree for Rust, without Python's two traps: a task's logger is a
//! **scope-bound guard** (when the task ends, by return, `?`, panic or a dropped future, its
//! handlers are flushed and closed and its registry entry is deleted), and the default stderr
//! sink **never blocks** the program when nobody reads stderr.
//!
//! ```sh
//! cargo add scoped-logger
//! ```
//!
//! Then, in `main`:
//!
//! ```
//! let _guard = scoped_logger::init()?; // stderr, levels from RUST_LOG (default `warn`), the `log` bridge
//! scoped_logger::warn!(disk = "/var"; "disk almost full");
//! // 2026-11-24T19:03:58.123Z WARN my_app: disk almost full disk=/var
//! # Ok::<(), scoped_logger::InitError>(())
//! ```
//!
//! Keep the guard for the whole program: dropping it flushes what is queued, waiting at most a
//! second. In tests, call [`init_for_tests`] instead: records go through the harness's capture,
//! shown only for a test that fails.
//!
//! # Where to go next
//!
//! - **Set-up**: [`init`] and its guard [`InitGuard`]; [`InitBuilder`] for other defaults
//!   (format, queue, deadlines, the environment variable); [`init_for_tests`].
//! - **A task's own logger**: [`#[scoped_logger]`](macro@crate::scoped_logger) on a function or
//!   `async fn` (`name = "jobs.{id}"`, `fields(..)`, `err`, `level`, a handler of its own, the
//!   flight recorder's `record_below`, `slow`, `stuck`); [`Registry::scope`] does the same in
//!   code, and [`Context`] / [`FutureExt`] carry a scope into threads and spawned tasks.
//! - **Logging**: [`error!`], [`warn!`], [`info!`], [`debug!`], [`trace!`] and [`scoped_log!`]
//!   (key-values before a `;`, then the format string). Inside a scope they reach its logger;
//!   outside, the logger named by the module.
//! - **The tree**: [`Registry`] (and [`Registry::global`], which [`logger`] and [`root`] use),
//!   [`Logger`]: levels, `propagate`, handlers, [`Registry::configure`] with `RUST_LOG`'s
//!   directive syntax.
//! - **Handlers**: [`StderrHandler`] (never blocks), [`FileHandler`], [`RotatingFileHandler`],
//!   [`StreamHandler`], [`MemoryHandler`] and the rest in [`handler`] (syslog, SQLite, queues,
//!   [`Handler`] to write your own); line formats in [`format`](mod@format) (text, JSON, patterns).
//! - **Configuration files**: [`config`] (feature `config`): levels and handlers in TOML,
//!   reloaded safely, or watched with [`config::watch`].
//! - **Other facades**: [`bridge`]: records of libraries that log through `log` or `tracing`
//!   enter the tree, in the task that called them.
//!
//! # A task's own logger
//!
//! ```
//! use scoped_logger::{FileHandler, MemoryHandler, Registry, debug, info, scoped_logger};
//!
//! #[scoped_logger(name = "jobs.{id}", level = "debug", fields(job = id),
//!                 handler = FileHandler::create(std::env::temp_dir().join(format!("job-{id}.log"))))]
//! fn run_job(id: u64) -> std::io::Result<u64> {
//!     info!("started");                  // to `jobs.<id>` and up the tree, with job=<id>
//!     debug!("working on {}", id * 2);
//!     Ok(id * 2)
//! }
//!
//! let all_jobs = MemoryHandler::new();
//! scoped_logger::logger("jobs").add_handler(all_jobs.clone());
//! let before = Registry::global().node_count();
//! for id in 0..3 {
//!     run_job(id)?;                      // each call: entry created, file opened ... closed, entry gone
//! }
//! assert_eq!(Registry::global().node_count(), before);
//! assert_eq!(all_jobs.len(), 6);        // records propagated to the parent's handler
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Features
//!
//! | feature | default | brings |
//! | --- | --- | --- |
//! | `log` | yes | [`bridge::log`]: records of crates that log through `log` enter the tree; [`init`] installs it |
//! | `tracing` | no | `bridge::tracing::TracingLayer`: `tracing` events and span fields enter the tree; [`init`] makes it the global subscriber when none is set |
//! | `config` | no | `config`: TOML configuration files, reload, `config::watch` (builds `toml` and serde's derive) |
//! | `compress` | no | gzip of rotated backups, `RotatingFileBuilder::compress` (builds `flate2`) |
//! | `syslog` | no | `handler::syslog::SyslogHandler`: RFC 5424 / 3164 over UDP, TCP, Unix sockets |
//! | `sqlite` | no | `SqliteHandler` (compiles SQLite's C sources, bundled) |
//!
//! The repository's README has the demo, the guarantees of the stderr sink and a guide to
//! shipping records from many machines.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

pub use scoped_logger_runtime::*;

/// Turns a function's logger into a scope-bound guard; see the crate docs.
pub use scoped_logger_macros::scoped_logger;

/// Logs to the current scope (else the logger named by `module_path!()`), or to `logger: expr`.
pub use scoped_logger_macros::scoped_log;

pub use scoped_logger_macros::{debug, error, info, trace, warn};

#[doc(hidden)]
pub use scoped_logger_runtime::__private;

/// The README's examples, compiled and run as doctests (the README is the repository's page;
/// the crate's docs above are its own).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
