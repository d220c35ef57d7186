//! The [`Handler`] trait and what the tree needs around it: ids, per-handler level filters,
//! close-exactly-once cells, and reporting a failing handler's error once instead of swallowing it.
//!
//! A handler never takes the caller down: the tree calls it inside `catch_unwind`, and built-in
//! handlers report I/O errors through [`ErrorReporter`] rather than returning them.

use std::collections::HashMap;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Instant;

use parking_lot::Mutex;

use crate::level::{Level, LevelFilter};
use crate::record::Record;

pub mod file;
pub mod memory;
pub mod nonblocking;
pub mod rotating;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod stderr;
pub mod stream;
#[cfg(feature = "syslog")]
pub mod syslog;
pub mod test_writer;

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

/// `a::b::Name<c::D>` gives `Name`.
fn short_type_name(full: &'static str) -> &'static str {
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

impl<H: Handler + ?Sized> Handler for Arc<H> {
    fn handle(&self, record: &Record<'_>) {
        (**self).handle(record)
    }
    fn flush(&self) {
        (**self).flush()
    }
    fn close(&self) {
        (**self).close()
    }
    fn enabled(&self, level: Level) -> bool {
        (**self).enabled(level)
    }
    fn flush_by(&self, deadline: Instant) -> bool {
        (**self).flush_by(deadline)
    }
    fn take_error(&self) -> Option<io::Error> {
        (**self).take_error()
    }
    fn kind(&self) -> &'static str {
        (**self).kind()
    }
    fn dropped(&self) -> u64 {
        (**self).dropped()
    }
}

impl<H: Handler + ?Sized> Handler for Box<H> {
    fn handle(&self, record: &Record<'_>) {
        (**self).handle(record)
    }
    fn flush(&self) {
        (**self).flush()
    }
    fn close(&self) {
        (**self).close()
    }
    fn enabled(&self, level: Level) -> bool {
        (**self).enabled(level)
    }
    fn flush_by(&self, deadline: Instant) -> bool {
        (**self).flush_by(deadline)
    }
    fn take_error(&self) -> Option<io::Error> {
        (**self).take_error()
    }
    fn kind(&self) -> &'static str {
        (**self).kind()
    }
    fn dropped(&self) -> u64 {
        (**self).dropped()
    }
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
    fn handle(&self, record: &Record<'_>) {
        self.inner.handle(record)
    }
    fn flush(&self) {
        self.inner.flush()
    }
    fn close(&self) {
        self.inner.close()
    }
    fn enabled(&self, level: Level) -> bool {
        self.level.allows(level) && self.inner.enabled(level)
    }
    fn flush_by(&self, deadline: Instant) -> bool {
        self.inner.flush_by(deadline)
    }
    fn take_error(&self) -> Option<io::Error> {
        self.inner.take_error()
    }
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
    fn dropped(&self) -> u64 {
        self.inner.dropped()
    }
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
static HANDLER_ERRORS: AtomicU64 = AtomicU64::new(0);

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
            crate::internal::warn(format_args!(
                "{} failed while {doing}: {err} (further errors from it are counted, not repeated)",
                self.what
            ));
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

/// A handler together with the bookkeeping that closes it exactly once.
///
/// Every logger attachment holds an `Arc<Closer>`; so does every dispatch in progress. When the
/// last one goes, `Drop` flushes and closes: after the last `handle`, exactly once.
pub(crate) struct Closer {
    pub(crate) handler: Arc<dyn Handler>,
    /// Records passed to `handle` (for `Registry::stats`), counted per thread: every thread
    /// logging through a shared handler bumps it.
    emitted: crate::striped::StripedCounter,
    shared_key: Option<usize>,
    panicked: AtomicBool,
    /// Set by an explicit close (shutdown), so that `Drop` does not close again.
    closed: AtomicBool,
}

impl Closer {
    pub(crate) fn owned(handler: Arc<dyn Handler>) -> Arc<Closer> {
        Arc::new(Closer {
            handler,
            emitted: Default::default(),
            shared_key: None,
            panicked: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        })
    }

    /// One closer per shared handler, process-wide, so that a handler attached to several
    /// loggers closes once, when the last of them lets go.
    pub(crate) fn shared(handler: Arc<dyn Handler>) -> Arc<Closer> {
        let key = Arc::as_ptr(&handler) as *const () as usize;
        let mut map = SHARED.lock();
        if let Some(existing) = map.get(&key).and_then(Weak::upgrade) {
            return existing;
        }
        let closer = Arc::new(Closer {
            handler,
            emitted: Default::default(),
            shared_key: Some(key),
            panicked: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        });
        map.insert(key, Arc::downgrade(&closer));
        closer
    }

    /// Records given to the handler through this closer.
    pub(crate) fn emitted(&self) -> u64 {
        self.emitted.sum()
    }

    /// Calls the handler, containing a panic.
    #[inline]
    pub(crate) fn handle(&self, record: &Record<'_>) {
        if !self.handler.enabled(record.level()) {
            return;
        }
        self.emitted.add(1);
        if catch_unwind(AssertUnwindSafe(|| self.handler.handle(record))).is_err() {
            self.note_panic("handling a record");
        }
    }

    #[cold]
    fn note_panic(&self, doing: &str) {
        HANDLER_ERRORS.fetch_add(1, Ordering::Relaxed);
        if !self.panicked.swap(true, Ordering::Relaxed) {
            crate::internal::warn(format_args!(
                "a handler panicked while {doing}; the record was lost, the program goes on \
                 (further panics from this handler are counted, not repeated)"
            ));
        }
    }

    pub(crate) fn flush(&self) {
        if catch_unwind(AssertUnwindSafe(|| self.handler.flush())).is_err() {
            self.note_panic("flushing");
        }
    }

    pub(crate) fn flush_by(&self, deadline: Instant) -> bool {
        match catch_unwind(AssertUnwindSafe(|| self.handler.flush_by(deadline))) {
            Ok(done) => done,
            Err(_) => {
                self.note_panic("flushing");
                false
            }
        }
    }

    /// Flushes and closes now, unless already closed. Returns whether this call closed it.
    pub(crate) fn close_now(&self) -> bool {
        if self.closed.swap(true, Ordering::AcqRel) {
            return false;
        }
        self.flush();
        if catch_unwind(AssertUnwindSafe(|| self.handler.close())).is_err() {
            self.note_panic("closing");
        }
        true
    }
}

impl Drop for Closer {
    fn drop(&mut self) {
        self.close_now();
        if let Some(key) = self.shared_key {
            let mut map = SHARED.lock();
            if map.get(&key).is_some_and(|w| w.strong_count() == 0) {
                map.remove(&key);
            }
        }
    }
}

static SHARED: std::sync::LazyLock<Mutex<HashMap<usize, Weak<Closer>>>> =
    std::sync::LazyLock::new(Default::default);

/// One attachment of a handler to a logger.
#[derive(Clone)]
pub(crate) struct Attached {
    pub(crate) id: HandlerId,
    pub(crate) closer: Arc<Closer>,
}
