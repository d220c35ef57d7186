//! The guard itself: what entering a scope hands back, and what dropping it finishes.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::CloseError;
use super::outcome::Outcome;
use super::recorder::Recorder;
use super::watchdog::Timer;
use crate::handler::{Attached, Handler};
use crate::kv::fields::{FieldSet, Fields};
use crate::tree::period;
use crate::tree::{FrameContext, Logger, RegistryInner};

/// A logger bound to a scope: `Deref<Target = Logger>`; dropping it ends the scope.
///
/// Ending flushes and closes the handlers the scope owns and deletes the entry (unless another
/// live scope of the same name, or a persistent logger, keeps it). Handles cloned from it become
/// detached: they still log, to the nearest live ancestor's handlers.
///
/// A `ScopedLogger` from [`ScopeBuilder::enter`](super::ScopeBuilder::enter) is the current scope of the thread that entered
/// it; drop it on that thread. Dropped elsewhere it still ends correctly, but its frame stays on
/// the entering thread until that thread next resolves its current scope (a relative name,
/// [`current_scope`](crate::current_scope)); until then the macros there still log through
/// its now detached logger, whose records go to the nearest live ancestor's handlers.
#[must_use = "dropping a ScopedLogger ends its scope at once"]
pub struct ScopedLogger {
    logger: Logger,
    /// This guard's fields with those of the scopes around it when it was entered: they belong
    /// to the guard, so same-name scopes sharing one entry each keep their own.
    fields: Option<Arc<FieldSet>>,
    /// Set for a scope with `slow` or `stuck`.
    timer: Option<Timer>,
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
    pub(super) fn new(logger: Logger) -> ScopedLogger {
        ScopedLogger {
            logger,
            fields: None,
            timer: None,
            frame: None,
            ended: false,
            failed: AtomicBool::new(false),
            expect_completion: AtomicBool::new(false),
            completed: AtomicBool::new(false),
        }
    }

    /// One more scope of the live period `ctx` belongs to, not current anywhere, with `ctx`'s
    /// fields: what a [`Context`] holds. `None` when that period is over.
    pub(crate) fn join(ctx: &FrameContext) -> Option<ScopedLogger> {
        if !period::join_live(&ctx.logger) {
            return None;
        }
        let mut scope = ScopedLogger::new(ctx.logger.clone());
        scope.fields = ctx.fields.clone();
        Some(scope)
    }

    /// A scope on the root: it owns nothing and deletes nothing.
    pub(super) fn on_root(inner: &RegistryInner) -> ScopedLogger {
        let mut scope = ScopedLogger::new(Logger::from_node(inner.entries.root.clone()));
        scope.ended = true;
        scope
    }

    /// The context a frame of this scope carries. The first one made starts the scope's watch,
    /// if it is timed.
    pub(crate) fn context(&self) -> FrameContext {
        let ctx = self.frame_context();
        if let Some(w) = self.timer.as_ref().and_then(|t| t.watch.as_ref()) {
            w.start(&ctx);
        }
        ctx
    }

    pub(super) fn frame_context(&self) -> FrameContext {
        FrameContext {
            logger: self.logger.clone(),
            fields: self.fields.clone(),
            mark: self
                .timer
                .as_ref()
                .and_then(|t| t.watch.clone())
                .map(|w| w as Arc<dyn crate::tree::Marked>),
        }
    }

    /// Times the scope: `slow` and `stuck` thresholds, by its registry's task clock.
    pub(crate) fn time(&mut self, slow: Option<Duration>, stuck: Option<Duration>) {
        if (slow.is_some() || stuck.is_some())
            && let Some(inner) = self.logger.inner()
        {
            self.timer = Some(Timer::new(inner.clock(), slow, stuck));
        }
    }

    /// Gives the scope the fields of the scope it is entered in (and none of its own yet).
    /// With the feature `opentelemetry`, a scope entered while a span is active also carries
    /// that span's ids among its fields, for every record it carries, wherever it is polled.
    pub(crate) fn inherit(&mut self, outer: Option<Arc<FieldSet>>) {
        self.fields = outer;
        #[cfg(feature = "opentelemetry")]
        if let Some(ids) = crate::kv::trace_ids::TraceIds::current() {
            self.fields = Some(ids.over(self.fields.as_deref()));
        }
    }

    /// Adds `own` on top of the fields the scope has (before it is first made current).
    pub(crate) fn add_fields(&mut self, own: Fields) {
        if !own.is_empty() {
            let outer = self.fields.take();
            self.fields = own.resolve(outer.as_ref());
        }
    }

    /// The scope's fields (its own, then those of the scopes it was entered in), in the order
    /// records carry them.
    ///
    /// ```
    /// # let reg = scoped_logger::Registry::new();
    /// let scope = reg.scope("req.7").field("user", "ann").field("attempt", 2).enter().unwrap();
    /// let fields: Vec<String> = scope.fields().map(|(k, v)| format!("{k}={v}")).collect();
    /// assert_eq!(fields, ["user=ann", "attempt=2"]);
    /// ```
    pub fn fields(&self) -> impl Iterator<Item = (&str, crate::kv::Value<'_>)> {
        self.fields.iter().flat_map(|f| f.iter())
    }

    /// Logs a record on the scope's logger carrying the scope's own fields, whichever scope is
    /// current on this thread: an `async fn`'s `err` and `ret` records are made after the
    /// scope's last poll, when the caller's scope (or none) is current again.
    pub(crate) fn emit_in_scope(
        &self,
        level: crate::level::Level,
        args: fmt::Arguments<'_>,
        kvs: &[(&str, crate::kv::Value<'_>)],
        location: Option<&crate::record::Location>,
    ) {
        self.logger
            .emit_with(level, args, kvs, location, self.fields.as_deref());
    }

    /// Marks the task as failed: its flight recorder is replayed when the scope ends, and its
    /// summary says `err`. (`#[scoped_logger]` does this when the function returns `Err`.)
    pub fn fail(&self) {
        self.failed.store(true, Ordering::Relaxed);
    }

    /// Tells the scope's summary why the task failed (the error an `err` function returned).
    pub(crate) fn note_reason(&self, why: fmt::Arguments<'_>) {
        if let Some(observer) = self.logger.node.observer()
            && let Some(recorder) = Recorder::of(&*observer)
        {
            recorder.reason(&crate::kv::render(why));
        }
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
    pub(crate) fn expect_completion(&self) {
        self.expect_completion.store(true, Ordering::Relaxed);
    }

    /// For async tasks: the future ran to completion.
    pub(crate) fn completed(&self) {
        self.completed.store(true, Ordering::Relaxed);
    }

    /// The logger (also reachable through `Deref`).
    pub fn logger(&self) -> &Logger {
        &self.logger
    }

    /// Makes this scope the current one on this thread (the attribute does this for sync fns).
    pub(crate) fn make_current(mut self) -> Self {
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
        let mut outcome = self.outcome();
        let ctx = self.frame_context();
        let timer = self.timer.take();
        if let Some(t) = &timer {
            if let Some(w) = &t.watch {
                w.finish();
            }
            if outcome == Outcome::Ok && t.slow.is_some_and(|slow| t.elapsed() > slow) {
                outcome = Outcome::Slow;
            }
        }
        let node = &self.logger.node;
        // A failing scope replays the shared recorder while it still holds the period: once it
        // has left, the last scope may already have closed the handlers.
        if outcome.replays()
            && let Some(observer) = node.observer()
            && let Some(recorder) = Recorder::of(&*observer)
        {
            recorder.failed(&ctx, outcome);
        }
        if let Some(t) = timer
            && t.watch
                .as_ref()
                .is_some_and(|w| w.warned.load(Ordering::Relaxed))
        {
            // A task reported stuck says when it ended (after its replay, before its summary).
            let took = t.elapsed();
            let kvs = [
                (
                    "duration_ms",
                    crate::kv::Value::U64(took.as_millis() as u64),
                ),
                ("outcome", crate::kv::Value::Str(outcome.as_str())),
            ];
            self.logger.emit_with(
                crate::level::Level::Warn,
                format_args!("stuck task ended after {took:.1?}"),
                &kvs,
                None,
                ctx.fields.as_deref(),
            );
        }
        match period::leave(node) {
            None => Vec::new(),
            Some(closing) => {
                // Replay and summary go through the handlers while they are still attached,
                // with no lock held; a same-name scope from another thread waits meanwhile.
                if let Some(recorder) = closing.observer().and_then(|o| Recorder::of(&**o)) {
                    recorder.end(&ctx, outcome, true);
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
