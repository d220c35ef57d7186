//! The [`Handler`] trait and what the tree needs around it: ids, per-handler level filters,
//! close-exactly-once cells, and reporting a failing handler's error once instead of swallowing it.
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
//! ([`StderrHandler`](crate::StderrHandler), [`NonBlocking`](crate::NonBlocking), syslog,
//! SQLite, and the last-resort sink behind the library's own warnings) exist only in the parent,
//! so the child's records to them are queued, then dropped and counted once the queue is full;
//! under [`Policy::Block`](crate::Policy::Block) the child waits on that full queue for good.
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

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use parking_lot::Mutex;

use crate::level::{Level, LevelFilter};
use crate::record::Record;

mod append;
mod closer;
pub(crate) mod compress;
pub mod file;
pub mod memory;
pub mod nonblocking;
pub(crate) mod paths;
pub mod queue;
pub mod rotating;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub mod sqlite;
pub mod stderr;
pub mod stream;
#[cfg(feature = "syslog")]
#[cfg_attr(docsrs, doc(cfg(feature = "syslog")))]
pub mod syslog;
pub mod test_writer;

pub(crate) use closer::{Attached, Closer, release_all};
pub use closer::{MAX_HANDLER_DEPTH, recursion_dropped_count};

/// Where records go. Implementations must be cheap to call from many threads at once.
///
/// `close` runs exactly once, when the last logger holding the handler lets it go (its scope
/// ended, it was removed, or [`Registry::shutdown`](crate::Registry::shutdown) ran); it runs after
/// every `handle` call already in progress on other threads has returned.
///
/// ```
/// use scoped_logger::{Handler, Record, Registry, Level};
/// struct Count(std::sync::atomic::AtomicUsize);
/// impl Handler for Count {
///     fn handle(&self, _record: &Record<'_>) {
///         self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
///     }
/// }
/// let reg = Registry::new();
/// let log = reg.logger("app");
/// log.add_handler(Count(Default::default()));
/// log.log(Level::Warn, format_args!("hello"));
/// ```
pub trait Handler: Send + Sync {
    /// Handles one record. Must not panic; if it does, the panic is caught, counted and reported once.
    fn handle(&self, record: &Record<'_>);

    /// Writes out anything buffered.
    fn flush(&self) {}

    /// Releases the handler's resources. Called exactly once, after the last `handle`.
    fn close(&self) {}

    /// The handler's own level filter: records above it are not passed to `handle`.
    fn enabled(&self, level: Level) -> bool {
        let _ = level;
        true
    }

    /// Flushes, giving up at `deadline`. Returns `false` when something was left unwritten.
    /// Handlers with a background writer override this; the default calls [`flush`](Self::flush).
    fn flush_by(&self, deadline: Instant) -> bool {
        let _ = deadline;
        self.flush();
        true
    }

    /// Closes, giving up waiting at `deadline` (a handler with a background writer leaves it to
    /// finish on its own). Returns `false` when something was left unwritten. Called instead of
    /// [`close`](Self::close) by a shutdown with a deadline; the default calls `close`.
    fn close_by(&self, deadline: Instant) -> bool {
        let _ = deadline;
        self.close();
        true
    }

    /// What the handler writes to (a path, an address), for reports that name it next to its
    /// [`kind`](Self::kind); `None` (the default) names it by its address in memory.
    fn target(&self) -> Option<String> {
        None
    }

    /// The first error this handler met since the last call, if any (used by
    /// [`ScopedLogger::close`](crate::ScopedLogger::close) to report close errors to the caller).
    fn take_error(&self) -> Option<io::Error> {
        None
    }

    /// A short name for the kind of handler, as [`Registry::stats`](crate::Registry::stats)
    /// groups them (default: the type's name without its path).
    fn kind(&self) -> &'static str {
        short_type_name(std::any::type_name::<Self>())
    }

    /// How many records this handler dropped (queue full, writer stalled); 0 for handlers that
    /// never drop.
    fn dropped(&self) -> u64 {
        0
    }
}

/// A handler's name in reports: `Kind(target)`, or `Kind@0x…` when it names no target.
pub(crate) fn describe(h: &dyn Handler) -> String {
    match h.target() {
        Some(t) => format!("{}({t})", h.kind()),
        None => format!("{}@{:p}", h.kind(), h as *const dyn Handler as *const ()),
    }
}

/// `a::b::Name<c::D>` gives `Name`.
fn short_type_name(full: &'static str) -> &'static str {
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

/// The body of a `Handler` impl that forwards every method to `$inner` (an expression of
/// `self`), except the ones listed before it.
macro_rules! forward_handler {
    ($self:ident => $inner:expr; $($own:item)*) => {
        $($own)*
        fn handle(&$self, record: &Record<'_>) {
            $inner.handle(record)
        }
        fn flush(&$self) {
            $inner.flush()
        }
        fn close(&$self) {
            $inner.close()
        }
        fn close_by(&$self, deadline: Instant) -> bool {
            $inner.close_by(deadline)
        }
        fn flush_by(&$self, deadline: Instant) -> bool {
            $inner.flush_by(deadline)
        }
        fn take_error(&$self) -> Option<io::Error> {
            $inner.take_error()
        }
        fn kind(&$self) -> &'static str {
            $inner.kind()
        }
        fn target(&$self) -> Option<String> {
            $inner.target()
        }
        fn dropped(&$self) -> u64 {
            $inner.dropped()
        }
    };
    ($self:ident => $inner:expr) => {
        forward_handler!($self => $inner;);
        fn enabled(&$self, level: Level) -> bool {
            $inner.enabled(level)
        }
    };
}

impl<H: Handler + ?Sized> Handler for Arc<H> {
    forward_handler!(self => (**self));
}

impl<H: Handler + ?Sized> Handler for Box<H> {
    forward_handler!(self => (**self));
}

/// `None` handles nothing: for a handler that is only sometimes wanted (say, a detail file for
/// the jobs that will fail), chosen when the scope opens.
impl<H: Handler> Handler for Option<H> {
    fn handle(&self, record: &Record<'_>) {
        if let Some(h) = self {
            h.handle(record)
        }
    }
    fn flush(&self) {
        if let Some(h) = self {
            h.flush()
        }
    }
    fn close(&self) {
        if let Some(h) = self {
            h.close()
        }
    }
    fn enabled(&self, level: Level) -> bool {
        self.as_ref().is_some_and(|h| h.enabled(level))
    }
    fn flush_by(&self, deadline: Instant) -> bool {
        self.as_ref().is_none_or(|h| h.flush_by(deadline))
    }
    fn close_by(&self, deadline: Instant) -> bool {
        self.as_ref().is_none_or(|h| h.close_by(deadline))
    }
    fn target(&self) -> Option<String> {
        self.as_ref().and_then(Handler::target)
    }
    fn take_error(&self) -> Option<io::Error> {
        self.as_ref().and_then(Handler::take_error)
    }
    fn kind(&self) -> &'static str {
        self.as_ref().map_or("None", Handler::kind)
    }
    fn dropped(&self) -> u64 {
        self.as_ref().map_or(0, Handler::dropped)
    }
}

/// Extension methods for every handler.
pub trait HandlerExt: Handler + Sized {
    /// Wraps the handler so that it only sees records at `level` or more severe (Python's
    /// `Handler.setLevel`).
    ///
    /// ```
    /// use scoped_logger::{HandlerExt, LevelFilter, MemoryHandler};
    /// let errors_only = MemoryHandler::new().with_level(LevelFilter::Error);
    /// ```
    fn with_level(self, level: LevelFilter) -> WithLevel<Self> {
        WithLevel { inner: self, level }
    }
}

impl<H: Handler> HandlerExt for H {}

/// A handler with its own level filter; see [`HandlerExt::with_level`].
#[derive(Debug, Clone)]
pub struct WithLevel<H> {
    inner: H,
    level: LevelFilter,
}

impl<H> WithLevel<H> {
    /// The wrapped handler.
    pub fn inner(&self) -> &H {
        &self.inner
    }
}

impl<H: Handler> Handler for WithLevel<H> {
    forward_handler!(self => self.inner;
        fn enabled(&self, level: Level) -> bool {
            self.level.allows(level) && self.inner.enabled(level)
        }
    );
}

/// A handler that discards everything (Python's `NullHandler`): attach it to stop records from
/// reaching the last-resort handler.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullHandler;

impl Handler for NullHandler {
    fn handle(&self, _record: &Record<'_>) {}
}

/// Identifies one attachment of a handler to a logger; see [`Logger::remove_handler`](crate::Logger::remove_handler).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HandlerId(pub(crate) u64);

static NEXT_HANDLER_ID: AtomicU64 = AtomicU64::new(1);

impl HandlerId {
    pub(crate) fn next() -> HandlerId {
        HandlerId(NEXT_HANDLER_ID.fetch_add(1, Ordering::Relaxed))
    }
}

/// Process-wide count of handler failures (I/O errors reported through [`ErrorReporter`] and
/// panics caught by the tree).
pub(crate) static HANDLER_ERRORS: AtomicU64 = AtomicU64::new(0);

/// How many handler failures (errors and panics) this process has seen.
pub fn handler_error_count() -> u64 {
    HANDLER_ERRORS.load(Ordering::Relaxed)
}

/// Reports a handler's errors: the first one is written once to stderr (through the
/// never-blocking last-resort sink), later ones are counted, and the first one since the last
/// [`take`](Self::take) is kept for [`Handler::take_error`].
///
/// Use it in your own handlers the way the built-in ones do:
///
/// ```
/// use scoped_logger::handler::ErrorReporter;
/// let errors = ErrorReporter::new("my handler");
/// errors.report("writing", std::io::Error::other("disk full"));
/// assert_eq!(errors.count(), 1);
/// assert!(errors.take().is_some());
/// ```
#[derive(Debug)]
pub struct ErrorReporter {
    what: String,
    count: AtomicU64,
    reported: AtomicBool,
    pending: Mutex<Option<io::Error>>,
}

impl ErrorReporter {
    /// A reporter for the handler described by `what` (e.g. `"file handler logs/42.log"`).
    pub fn new(what: impl Into<String>) -> Self {
        ErrorReporter {
            what: what.into(),
            count: AtomicU64::new(0),
            reported: AtomicBool::new(false),
            pending: Mutex::new(None),
        }
    }

    /// Records an error met while `doing` something.
    #[cold]
    pub fn report(&self, doing: &str, err: io::Error) {
        self.count.fetch_add(1, Ordering::Relaxed);
        HANDLER_ERRORS.fetch_add(1, Ordering::Relaxed);
        if !self.reported.swap(true, Ordering::Relaxed) {
            // Many handlers of one kind and target (one per scope) fail alike: one line per
            // interval for all of them.
            crate::internal::warn_limited(
                &format!("{} failed while {doing}", self.what),
                format_args!(
                    "{} failed while {doing}: {err} (further errors from it are counted, not \
                     repeated)",
                    self.what
                ),
            );
        }
        let mut pending = self.pending.lock();
        if pending.is_none() {
            *pending = Some(io::Error::new(
                err.kind(),
                format!("{} failed while {doing}: {err}", self.what),
            ));
        }
    }

    /// How many errors were reported.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The first error since the last call.
    pub fn take(&self) -> Option<io::Error> {
        self.pending.lock().take()
    }

    /// At close: if more than one error happened, says how many (once).
    pub fn summarize(&self) {
        let n = self.count();
        if n > 1 {
            crate::internal::warn(format_args!("{} failed {n} times in all", self.what));
        }
    }
}
