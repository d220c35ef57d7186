//! [`ScopedLogger`]: a logger bound to a scope. When the guard goes (return, `?`, panic, a
//! dropped future) the handlers the scope owns are flushed and closed and the entry is deleted.
//!
//! Same-name scopes share one entry: the first runs the handler factories (under the node's init
//! lock, so a concurrent second waits instead of running them again), the last one out closes.
//! A factory that fails leaves nothing registered. A factory that itself enters a scope of the
//! same name (on its own thread) joins the entry at once instead of waiting for itself; that
//! inner scope sees no handlers of the entry's own yet, and other threads still wait for the
//! creator. The creator is recognised by its thread, so on a single-threaded executor another
//! task entering the name while a handler expression is suspended joins the same way rather
//! than block the thread.

use std::error::Error;
use std::fmt;
use std::io;
use std::ops::Deref;
use std::sync::Arc;

use std::sync::atomic::{AtomicBool, Ordering};

use crate::handler::{Attached, Handler};
use crate::level::LevelFilter;
use crate::logger::{Logger, Node};
use crate::name::NameError;
use crate::recorder::{FLAG_SUMMARY, FlightRecorder, Outcome};
use crate::registry::{Registry, Reserved};

/// Any error a handler factory may return.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

type Factory<'a> = Box<dyn FnOnce() -> Result<Arc<dyn Handler>, BoxError> + 'a>;

/// What a scope sets up for its live period (the builder's and the attribute's options).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ScopeOptions {
    /// The scope's level.
    pub level: Option<LevelFilter>,
    /// Its propagate flag.
    pub propagate: Option<bool>,
    /// Its flight recorder.
    pub recorder: Option<FlightRecorder>,
    /// Whether it ends with a summary line.
    pub summary: bool,
}

/// Builds a scope; see [`Registry::scope`].
#[must_use = "a scope builder does nothing until `.enter()` or `.open()`"]
pub struct ScopeBuilder<'a> {
    registry: Registry,
    name: Result<String, NameError>,
    opts: ScopeOptions,
    factories: Vec<Factory<'a>>,
}

impl fmt::Debug for ScopeBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopeBuilder")
            .field("name", &self.name)
            .field("options", &self.opts)
            .field("handlers", &self.factories.len())
            .finish()
    }
}

/// Why a scope could not be entered. Nothing was registered.
#[derive(Debug)]
#[non_exhaustive]
pub enum ScopeError {
    /// The name is invalid.
    Name(NameError),
    /// A handler factory failed.
    Handler {
        /// The scope's name.
        scope: String,
        /// Which factory (0-based, in the order given).
        index: usize,
        /// What it returned.
        source: BoxError,
    },
}

impl fmt::Display for ScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScopeError::Name(e) => write!(f, "cannot enter scope: {e}"),
            ScopeError::Handler {
                scope,
                index,
                source,
            } => write!(
                f,
                "cannot enter scope `{scope}`: handler #{index} failed to open: {source}"
            ),
        }
    }
}

impl Error for ScopeError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            ScopeError::Name(e) => Some(e),
            ScopeError::Handler { source, .. } => Some(&**source),
        }
    }
}

impl From<NameError> for ScopeError {
    fn from(e: NameError) -> Self {
        ScopeError::Name(e)
    }
}

/// Errors met while flushing and closing a scope's handlers; see [`ScopedLogger::close`].
#[derive(Debug)]
pub struct CloseError {
    scope: String,
    errors: Vec<io::Error>,
}

impl CloseError {
    /// Each handler error, in handler order.
    pub fn errors(&self) -> &[io::Error] {
        &self.errors
    }
}

impl fmt::Display for CloseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "closing scope `{}`: {} handler error(s)",
            self.scope,
            self.errors.len()
        )?;
        for e in &self.errors {
            write!(f, "; {e}")?;
        }
        Ok(())
    }
}

impl Error for CloseError {}

impl Registry {
    /// Starts building a scope named `name` (absolute, or relative to the current scope with a
    /// leading `.`).
    ///
    /// ```
    /// use scoped_logger::{Registry, LevelFilter, MemoryHandler, info};
    /// let reg = Registry::new();
    /// let mem = MemoryHandler::new();
    /// {
    ///     let m = mem.clone();
    ///     let scope = reg.scope("jobs.42")
    ///         .level(LevelFilter::Debug)
    ///         .handler(move || Ok::<_, std::io::Error>(m))
    ///         .enter()
    ///         .unwrap();
    ///     info!("started");
    ///     assert_eq!(reg.node_count(), 2);
    /// }
    /// assert_eq!(reg.node_count(), 0);
    /// assert_eq!(mem.close_count(), 1);
    /// assert_eq!(mem.records()[0].logger, "jobs.42");
    /// ```
    pub fn scope<'a>(&self, name: &str) -> ScopeBuilder<'a> {
        ScopeBuilder {
            registry: self.clone(),
            name: self.absolute(name),
            opts: ScopeOptions::default(),
            factories: Vec::new(),
        }
    }
}

impl<'a> ScopeBuilder<'a> {
    /// The scope's own level while it is live.
    pub fn level(mut self, level: LevelFilter) -> Self {
        self.opts.level = Some(level);
        self
    }

    /// Keeps the records more verbose than the scope's level (down to the recorder's) in a
    /// bounded ring, emitted (marked as replayed) only if the task fails: it returns `Err`
    /// through the attribute, panics, or calls [`ScopedLogger::fail`]. On success, and on
    /// cancellation of an async task, they are discarded unread. Same-name scopes share one
    /// recorder: a failing one replays what is in it.
    pub fn flight_recorder(mut self, recorder: FlightRecorder) -> Self {
        self.opts.recorder = Some(recorder);
        self
    }

    /// Ends the live period with one record (INFO, or ERROR when the task failed) giving the
    /// task's duration, outcome (`ok`, `err`, `panic`, `cancelled`), the records it made per
    /// level, and what the flight recorder replayed or discarded.
    pub fn summary(mut self, summary: bool) -> Self {
        self.opts.summary = summary;
        self
    }

    /// Whether the scope's records go on to its ancestors' handlers (default: as the logger was,
    /// `true` for a new one).
    pub fn propagate(mut self, propagate: bool) -> Self {
        self.opts.propagate = Some(propagate);
        self
    }

    /// Adds a handler the scope owns. The factory runs only in the scope that creates the entry
    /// (a same-name scope that joins a live one shares its handlers); its error aborts `enter`.
    pub fn handler<F, H, E>(mut self, factory: F) -> Self
    where
        F: FnOnce() -> Result<H, E> + 'a,
        H: Handler + 'static,
        E: Into<BoxError>,
    {
        self.factories.push(Box::new(move || {
            factory()
                .map(|h| Arc::new(h) as Arc<dyn Handler>)
                .map_err(Into::into)
        }));
        self
    }

    /// Enters the scope and makes it the current one on this thread until the guard goes.
    pub fn enter(self) -> Result<ScopedLogger, ScopeError> {
        let mut scope = self.open()?;
        scope.frame = Some(crate::current::push(scope.logger.clone()));
        Ok(scope)
    }

    /// Enters the scope without making it current anywhere: for futures, see
    /// [`in_scope`](crate::in_scope).
    pub fn open(self) -> Result<ScopedLogger, ScopeError> {
        let name = self.name?;
        let begin = begin(&self.registry, &name, self.opts, !self.factories.is_empty());
        match begin {
            Begin::Joined(scope) => Ok(scope),
            Begin::Create(mut creator) => {
                for (index, f) in self.factories.into_iter().enumerate() {
                    match f() {
                        Ok(h) => creator.add(h),
                        Err(source) => {
                            // Handlers already made are closed, then the entry goes.
                            drop(creator);
                            return Err(ScopeError::Handler {
                                scope: name,
                                index,
                                source,
                            });
                        }
                    }
                }
                Ok(creator.finish(Vec::new()))
            }
        }
    }
}

/// The outcome of reserving a scope: joined a live one, or this caller must create it.
#[doc(hidden)]
pub enum Begin {
    /// A same-name scope is live: this one shares its entry and handlers.
    Joined(ScopedLogger),
    /// This caller makes the handlers and calls [`Creator::finish`]; dropping it abandons.
    Create(Creator),
}

/// Holds a same-name scope's init lock while the first one makes its handlers.
#[doc(hidden)]
pub struct Creator {
    registry: Registry,
    node: Arc<Node>,
    opts: ScopeOptions,
    _init: parking_lot::ArcMutexGuard<parking_lot::RawMutex, ()>,
    made: Vec<Arc<dyn Handler>>,
    finished: bool,
}

impl Creator {
    /// Takes a handler just made; if the scope is abandoned, it is flushed and closed.
    pub fn add(&mut self, handler: Arc<dyn Handler>) {
        self.made.push(handler);
    }

    /// Starts the scope's live period with the handlers added so far and these.
    pub fn finish(mut self, handlers: Vec<Arc<dyn Handler>>) -> ScopedLogger {
        let mut all = std::mem::take(&mut self.made);
        all.extend(handlers);
        self.registry.scope_start(&self.node, &self.opts, all);
        self.finished = true;
        ScopedLogger::new(Logger::from_node(self.node.clone()), self.registry.clone())
    }
}

impl Drop for Creator {
    fn drop(&mut self) {
        if !self.finished {
            // Close what was made (exactly once, through the usual cell), then give the entry back.
            for h in self.made.drain(..) {
                drop(crate::handler::Closer::owned(h));
            }
            self.registry.scope_abandon(&self.node);
        }
    }
}

/// Reserves `name` (normalized, absolute) and either joins its live scope or hands back a
/// [`Creator`]. `factories`: whether the caller has handler factories to run; without them a
/// fresh scope starts at once, in one trip through the registry's lock.
pub(crate) fn begin(registry: &Registry, name: &str, opts: ScopeOptions, factories: bool) -> Begin {
    if name.is_empty() {
        // The root is always there; a scope on it owns nothing and deletes nothing.
        let mut scope = ScopedLogger::new(registry.root(), registry.clone());
        scope.ended = true;
        return Begin::Joined(scope);
    }
    let create = |node, init| {
        Begin::Create(Creator {
            registry: registry.clone(),
            node,
            opts,
            _init: init,
            made: Vec::new(),
            finished: false,
        })
    };
    loop {
        let node = match registry.scope_reserve(name, &opts, factories) {
            Reserved::Live(node) => {
                return Begin::Joined(ScopedLogger::new(Logger::from_node(node), registry.clone()));
            }
            Reserved::Create(node, init) => return create(node, init),
            Reserved::Wait(node) => node,
        };
        let init = parking_lot::Mutex::lock_arc(node.init());
        match registry.scope_join(&node) {
            Some(false) => {
                return Begin::Joined(ScopedLogger::new(Logger::from_node(node), registry.clone()));
            }
            Some(true) => return create(node, init),
            None => continue,
        }
    }
}

/// Enters `name` for a caller with no handler factories (`#[scoped_logger]` without `handler`).
pub(crate) fn enter_plain(registry: &Registry, name: &str, opts: ScopeOptions) -> ScopedLogger {
    match begin(registry, name, opts, false) {
        Begin::Joined(scope) => scope,
        // Only when a same-name creator failed while this one waited: it has nothing to make.
        Begin::Create(creator) => creator.finish(Vec::new()),
    }
}

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
    registry: Registry,
    pub(crate) frame: Option<u64>,
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
    fn new(logger: Logger, registry: Registry) -> ScopedLogger {
        ScopedLogger {
            logger,
            registry,
            frame: None,
            ended: false,
            failed: AtomicBool::new(false),
            expect_completion: AtomicBool::new(false),
            completed: AtomicBool::new(false),
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
            self.frame = Some(crate::current::push(self.logger.clone()));
        }
        self
    }

    fn end(&mut self) -> Vec<Attached> {
        if let Some(id) = self.frame.take() {
            crate::current::pop(id);
        }
        if std::mem::replace(&mut self.ended, true) {
            return Vec::new();
        }
        let node = &self.logger.node;
        let flags = node.flags.load(Ordering::Acquire);
        // A statement of its own: the read guard must be gone before the handlers run.
        let extras = if flags != 0 {
            node.extras.read().clone()
        } else {
            None
        };
        if let Some(extras) = extras {
            // Replay (on failure) and the summary go through the handlers while they are still
            // attached, with no lock held.
            let outcome = self.outcome();
            let last = self.registry.scope_count(node) <= 1;
            if outcome.is_failure() || last {
                let summarize = last && flags & FLAG_SUMMARY != 0;
                if last {
                    node.flags.store(0, Ordering::Release);
                }
                extras.finish(summarize, &self.logger, outcome);
            }
        }
        self.registry.scope_exit(&self.logger.node)
    }

    /// Ends the scope like dropping it does, and returns the errors its handlers met while
    /// flushing and closing. A handler still in use by a record in flight on another thread is
    /// closed by that thread when it finishes; an error it meets then is reported on stderr.
    pub fn close(mut self) -> Result<(), CloseError> {
        let released = self.end();
        let mut errors = Vec::new();
        let handlers: Vec<Arc<dyn Handler>> =
            released.iter().map(|a| a.closer.handler.clone()).collect();
        for a in &released {
            a.closer.flush();
        }
        drop(released); // closes each handler this scope held last
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
