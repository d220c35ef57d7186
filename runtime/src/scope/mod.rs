//! [`ScopedLogger`]: a logger bound to a scope. When the guard goes (return, `?`, panic, a
//! dropped future) the handlers the scope owns are flushed and closed and the entry is deleted.
//!
//! Same-name scopes share one entry: the first runs the handler factories (other threads wait
//! for it instead of running them again), the last one out closes. A factory that fails leaves
//! nothing registered. A factory that itself enters a scope of the same name (on its own thread)
//! joins the entry at once instead of waiting for itself; that inner scope sees no handlers of
//! the entry's own yet, and other threads still wait for the creator. The creator is recognised
//! by its thread, so on a single-threaded executor another task entering the name while a
//! handler expression is suspended joins the same way rather than block the thread.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

mod builder;
mod future;
mod recorder;

pub use builder::{Begin, BoxError, CloseError, Creator, ScopeBuilder, ScopeError, ScopeOptions};
pub(crate) use builder::{begin, enter_plain};
pub(crate) use future::poll_with;
pub use future::{FutureExt, in_scope};
pub use recorder::FlightRecorder;

use crate::handler::{Attached, Handler};
use crate::tree::period;
use crate::tree::{FrameContext, Logger, Outcome, RegistryInner};

/// A logger bound to a scope: `Deref<Target = Logger>`; dropping it ends the scope.
///
/// Ending flushes and closes the handlers the scope owns and deletes the entry (unless another
/// live scope of the same name, or a persistent logger, keeps it). Handles cloned from it become
/// detached: they still log, to the nearest live ancestor's handlers.
///
/// A `ScopedLogger` from [`ScopeBuilder::enter`] is the current scope of the thread that entered
/// it; drop it on that thread. Dropped elsewhere it still ends correctly, and the entering thread
/// forgets it the next time it looks for its current scope.
#[must_use = "dropping a ScopedLogger ends its scope at once"]
pub struct ScopedLogger {
    logger: Logger,
    frame: Option<u64>,
    ended: bool,
    failed: AtomicBool,
    /// Set for async tasks: ending before `completed` means the future was dropped.
    expect_completion: AtomicBool,
    completed: AtomicBool,
}

impl fmt::Debug for ScopedLogger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopedLogger")
            .field("name", &self.logger.name())
            .field("current", &self.frame.is_some())
            .finish()
    }
}

impl Deref for ScopedLogger {
    type Target = Logger;
    fn deref(&self) -> &Logger {
        &self.logger
    }
}

impl AsRef<Logger> for ScopedLogger {
    fn as_ref(&self) -> &Logger {
        &self.logger
    }
}

impl ScopedLogger {
    fn new(logger: Logger) -> ScopedLogger {
        ScopedLogger {
            logger,
            frame: None,
            ended: false,
            failed: AtomicBool::new(false),
            expect_completion: AtomicBool::new(false),
            completed: AtomicBool::new(false),
        }
    }

    /// A scope on the root: it owns nothing and deletes nothing.
    fn on_root(inner: &RegistryInner) -> ScopedLogger {
        let mut scope = ScopedLogger::new(Logger::from_node(inner.entries.root.clone()));
        scope.ended = true;
        scope
    }

    /// The context a frame of this scope carries.
    pub(crate) fn context(&self) -> FrameContext {
        FrameContext {
            logger: self.logger.clone(),
        }
    }

    /// Marks the task as failed: its flight recorder is replayed when the scope ends, and its
    /// summary says `err`. (`#[scoped_logger]` does this when the function returns `Err`.)
    pub fn fail(&self) {
        self.failed.store(true, Ordering::Relaxed);
    }

    /// How the task ended, as far as is known now.
    pub fn outcome(&self) -> Outcome {
        if std::thread::panicking() {
            Outcome::Panic
        } else if self.failed.load(Ordering::Relaxed) {
            Outcome::Err
        } else if self.expect_completion.load(Ordering::Relaxed)
            && !self.completed.load(Ordering::Relaxed)
        {
            Outcome::Cancelled
        } else {
            Outcome::Ok
        }
    }

    /// For async tasks: the scope ends as `cancelled` unless [`completed`](Self::completed) is
    /// called first.
    #[doc(hidden)]
    pub fn expect_completion(&self) {
        self.expect_completion.store(true, Ordering::Relaxed);
    }

    /// For async tasks: the future ran to completion.
    #[doc(hidden)]
    pub fn completed(&self) {
        self.completed.store(true, Ordering::Relaxed);
    }

    /// The logger (also reachable through `Deref`).
    pub fn logger(&self) -> &Logger {
        &self.logger
    }

    /// Makes this scope the current one on this thread (the attribute does this for sync fns).
    #[doc(hidden)]
    pub fn make_current(mut self) -> Self {
        if self.frame.is_none() {
            self.frame = Some(crate::tree::push(self.context()));
        }
        self
    }

    fn end(&mut self) -> Vec<Attached> {
        if let Some(id) = self.frame.take() {
            crate::tree::pop(id);
        }
        if std::mem::replace(&mut self.ended, true) {
            return Vec::new();
        }
        let outcome = self.outcome();
        let node = &self.logger.node;
        // A failing scope replays the shared recorder while it still holds the period: once it
        // has left, the last scope may already have closed the handlers.
        if outcome.is_failure()
            && let Some(observer) = node.observer()
        {
            observer.failed(&self.logger, outcome);
        }
        match period::leave(node) {
            None => Vec::new(),
            Some(closing) => {
                // Replay and summary go through the handlers while they are still attached,
                // with no lock held; a same-name scope from another thread waits meanwhile.
                if let Some(observer) = closing.observer() {
                    observer.end(&self.logger, outcome, true);
                }
                closing.finish()
            }
        }
    }

    /// Ends the scope like dropping it does, and returns the errors its handlers met while
    /// flushing and closing. A handler still in use by a record in flight on another thread is
    /// closed by that thread when it finishes; an error it meets then is reported on stderr.
    pub fn close(mut self) -> Result<(), CloseError> {
        let released = self.end();
        let mut errors = Vec::new();
        let mut handlers: Vec<Arc<dyn Handler>> = Vec::with_capacity(released.len());
        for a in released {
            a.closer.flush();
            handlers.push(a.closer.handler.clone());
            // Closes each handler this scope held last; a panic in its flush or close is an error.
            errors.extend(crate::handler::Closer::release(a.closer));
        }
        for h in &handlers {
            if let Some(e) = h.take_error() {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(CloseError {
                scope: self.logger.name().to_owned(),
                errors,
            })
        }
    }
}

impl Drop for ScopedLogger {
    fn drop(&mut self) {
        let released = self.end();
        // Handlers close here, with no lock held.
        drop(released);
    }
}
