//! The current scope: a per-thread stack of entered scopes, and the future wrapper that makes a
//! scope current during each `poll` on whichever thread polls it.
//!
//! A frame is pushed by `ScopedLogger::enter`/`poll` and removed by id, so guards dropped out of
//! order leave the stack consistent: the current scope is always the most recently entered one
//! that is still open on this thread. No borrow of the stack is held while a record is dispatched.

use std::cell::RefCell;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::level::Level;
use crate::logger::Logger;
use crate::registry::Registry;
use crate::scope::ScopedLogger;

struct Frame {
    id: u64,
    logger: Logger,
}

thread_local! {
    static STACK: RefCell<Vec<Frame>> = const { RefCell::new(Vec::new()) };
}

static NEXT_FRAME: AtomicU64 = AtomicU64::new(1);

/// Pushes `logger` as the current scope of this thread; returns the frame id for [`pop`].
pub(crate) fn push(logger: Logger) -> u64 {
    let id = NEXT_FRAME.fetch_add(1, Ordering::Relaxed);
    let _ = STACK.try_with(|s| s.borrow_mut().push(Frame { id, logger }));
    id
}

/// Removes the frame `id` wherever it is (guards may be dropped out of order).
pub(crate) fn pop(id: u64) {
    let frame = STACK.try_with(|s| {
        let mut s = s.borrow_mut();
        s.iter().rposition(|f| f.id == id).map(|i| s.remove(i))
    });
    // The Logger is dropped here, after the borrow ended.
    drop(frame);
}

/// Removes the frame on drop, panic-safe.
pub(crate) struct FrameGuard(u64);

impl FrameGuard {
    pub(crate) fn push(logger: Logger) -> FrameGuard {
        FrameGuard(push(logger))
    }
}

impl Drop for FrameGuard {
    fn drop(&mut self) {
        pop(self.0);
    }
}

/// The current scope's logger on this thread, if any scope is current.
pub fn current_scope() -> Option<Logger> {
    STACK
        .try_with(|s| {
            let mut s = s.borrow_mut();
            // A scope moved to and dropped on another thread leaves its frame here: forget it.
            while s.last().is_some_and(|f| !f.logger.is_live()) {
                s.pop();
            }
            s.last().map(|f| f.logger.clone())
        })
        .ok()
        .flatten()
}

/// The current scope's logger, or the global root when no scope is current.
///
/// ```
/// #[scoped_logger::scoped_logger("jobs.{id}")]
/// fn job(id: u32) -> String {
///     scoped_logger::current().name().to_owned()
/// }
/// assert_eq!(job(7), "jobs.7");
/// assert_eq!(scoped_logger::current().name(), "");
/// ```
pub fn current() -> Logger {
    current_scope().unwrap_or_else(|| Registry::global().root())
}

/// The current scope's logger if it lets `level` through. The macros' path: one thread-local
/// borrow and one relaxed load; the logger is cloned only when the record will be made.
#[inline]
pub(crate) fn current_if_enabled(level: Level) -> Result<Option<Logger>, ()> {
    STACK
        .try_with(|s| {
            let s = s.borrow();
            match s.last() {
                None => Err(()),
                Some(f) if f.logger.enabled(level) => Ok(Some(f.logger.clone())),
                Some(_) => Ok(None),
            }
        })
        .unwrap_or(Err(()))
}

/// The name relative names resolve against: the current scope's, or the root's (`""`).
pub(crate) fn current_name() -> String {
    current_scope().map_or_else(String::new, |l| l.name().to_owned())
}

/// Used by `Registry::absolute`.
pub(crate) fn current_name_in(_registry: &Registry) -> String {
    current_name()
}

/// Runs `fut` with `logger` current during each of its polls, on whichever thread polls it.
pub(crate) async fn poll_with<F: Future>(logger: &Logger, fut: F) -> F::Output {
    let mut fut = pin!(fut);
    poll_fn(|cx| {
        let _frame = FrameGuard::push(logger.clone());
        fut.as_mut().poll(cx)
    })
    .await
}

/// Makes `scope` current during every poll of `fut` and ends it when `fut` completes or is dropped.
///
/// ```
/// use scoped_logger::{Registry, FutureExt as _};
/// let reg = Registry::new();
/// let scope = reg.scope("tasks.1").open().unwrap();
/// let fut = async { scoped_logger::current().name().to_owned() }.in_scope(scope);
/// assert_eq!(reg.node_count(), 2);
/// let name = futures_lite_block_on(fut);
/// assert_eq!(name, "tasks.1");
/// assert_eq!(reg.node_count(), 0);
/// # fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     use std::task::{Context, Poll, Waker};
/// #     let mut f = std::pin::pin!(f);
/// #     let mut cx = Context::from_waker(Waker::noop());
/// #     loop { if let Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
/// # }
/// ```
pub async fn in_scope<F: Future>(fut: F, scope: ScopedLogger) -> F::Output {
    let out = poll_with(&scope, fut).await;
    drop(scope);
    out
}

/// `fut.in_scope(scope)`: see [`in_scope`].
pub trait FutureExt: Future + Sized {
    /// Makes `scope` current during every poll of this future and ends it when the future
    /// completes or is dropped.
    fn in_scope(self, scope: ScopedLogger) -> impl Future<Output = Self::Output> {
        in_scope(self, scope)
    }
}

impl<F: Future> FutureExt for F {}
