//! What a handler promises: the [`Handler`] trait with its forwarding impls for `Arc`, `Box`
//! and `Option`, the level wrapper, the handler that drops everything, and attachment ids.

use crate::level::{Level, LevelFilter};
use crate::record::Record;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

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
        #[inline]
        fn handle(&$self, record: &Record<'_>) {
            $inner.handle(record)
        }
        #[inline]
        fn flush(&$self) {
            $inner.flush()
        }
        #[inline]
        fn close(&$self) {
            $inner.close()
        }
        #[inline]
        fn close_by(&$self, deadline: Instant) -> bool {
            $inner.close_by(deadline)
        }
        #[inline]
        fn flush_by(&$self, deadline: Instant) -> bool {
            $inner.flush_by(deadline)
        }
        #[inline]
        fn take_error(&$self) -> Option<io::Error> {
            $inner.take_error()
        }
        #[inline]
        fn kind(&$self) -> &'static str {
            $inner.kind()
        }
        #[inline]
        fn target(&$self) -> Option<String> {
            $inner.target()
        }
        #[inline]
        fn dropped(&$self) -> u64 {
            $inner.dropped()
        }
    };
    ($self:ident => $inner:expr) => {
        forward_handler!($self => $inner;);
        #[inline]
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
