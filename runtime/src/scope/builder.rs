//! [`ScopeBuilder`]: what a scope sets up (level, propagate, handlers, flight recorder,
//! summary), and the errors of entering and closing one.

use std::error::Error;
use std::fmt;
use std::io;
use std::sync::Arc;

use super::ScopedLogger;
use super::recorder::{FlightRecorder, Recorder};
use crate::handler::Handler;
use crate::kv::ToValue;
use crate::kv::fields::{FieldSet, Fields};
use crate::level::LevelFilter;
use crate::name::NameError;
use crate::tree::period::{self, Reserved, Setup};
use crate::tree::{Node, Registry, RegistryInner};

/// Any error a handler factory may return.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

type Factory<'a> = Box<dyn FnOnce() -> Result<Arc<dyn Handler>, BoxError> + 'a>;

/// What a scope sets up for its live period (the builder's and the attribute's options).
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
    /// A task that ends after longer than this replays its trail and is summarized `slow`.
    pub slow: Option<std::time::Duration>,
    /// A task still live after this long is reported once, with its trail so far.
    pub stuck: Option<std::time::Duration>,
}

impl ScopeOptions {
    fn setup(&self) -> Setup {
        let observer = (self.recorder.is_some() || self.summary).then(|| {
            Arc::new(Recorder::new(self.recorder, self.summary)) as Arc<dyn period::Observer>
        });
        Setup {
            level: self.level,
            propagate: self.propagate,
            observer,
        }
    }
}

/// Builds a scope; see [`Registry::scope`].
#[must_use = "a scope builder does nothing until `.enter()` or `.open()`"]
pub struct ScopeBuilder<'a> {
    registry: Registry,
    name: Result<String, NameError>,
    opts: ScopeOptions,
    /// Made on the first `field` (the one allocation fields cost) and moved into the scope as
    /// it is when no scope around it has fields: a builder stays small to move.
    fields: Option<Arc<FieldSet>>,
    factories: Vec<Factory<'a>>,
}

impl fmt::Debug for ScopeBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopeBuilder")
            .field("name", &self.name)
            .field("options", &self.opts)
            .field("fields", &self.fields)
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
    /// A handler factory failed (more may be said of it later: match it with `..`).
    #[non_exhaustive]
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
    pub(super) scope: String,
    pub(super) errors: Vec<io::Error>,
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
            fields: None,
            factories: Vec::new(),
        }
    }
}

impl<'a> ScopeBuilder<'a> {
    /// The scope's own level while it is live: a level set in code, the program's default. A
    /// named directive covering the scope's name (`RUST_LOG=warn,jobs=info`,
    /// [`Registry::configure`](crate::Registry::configure), a configuration file) wins over it
    /// while it is in force, also when it comes while the scope is live.
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

    /// Adds a field: every record logged while the scope is current (on this thread, on
    /// whichever thread polls its future, and in work handed off with
    /// [`Context`](crate::Context)) carries `key = value` after the call's own key-values, and
    /// so do its flight recorder's replay and its summary. Fields of the scopes it is entered in
    /// follow it (an inner key shadows an outer one). The value is copied now (`Display` and
    /// `Debug` values are rendered), so it may borrow from the caller.
    ///
    /// ```
    /// use scoped_logger::{LevelFilter, MemoryHandler, Registry, info};
    /// let reg = Registry::new();
    /// let mem = MemoryHandler::new();
    /// reg.root().add_handler(mem.clone());
    /// let user = String::from("ann");
    /// {
    ///     let _req = reg.scope("req.7").level(LevelFilter::Info)
    ///         .field("user", &user).field("attempt", 2).enter().unwrap();
    ///     info!(step = 1; "started");
    /// }
    /// let r = &mem.records()[0];
    /// let kv: Vec<String> = r.key_values.iter().map(|(k, v)| format!("{k}={v}")).collect();
    /// assert_eq!(kv, ["step=1", "user=ann", "attempt=2"]);
    /// ```
    pub fn field(mut self, key: &str, value: impl ToValue) -> Self {
        self.own_fields().set(key, value.to_value());
        self
    }

    /// Adds every field of `fields` (see [`field`](Self::field)).
    pub fn fields(mut self, fields: &Fields) -> Self {
        for (k, v) in fields.iter() {
            self.own_fields().set(k, v);
        }
        self
    }

    fn own_fields(&mut self) -> &mut FieldSet {
        let set = self.fields.get_or_insert_with(Default::default);
        Arc::make_mut(set)
    }

    /// A task that ends after longer than `threshold` (by the registry's
    /// [task clock](Registry::set_task_clock)) replays its flight recorder's trail as a failing
    /// one does, and its summary says `outcome=slow`. It costs two clock reads (start, end).
    pub fn slow(mut self, threshold: std::time::Duration) -> Self {
        self.opts.slow = Some(threshold);
        self
    }

    /// While the scope is still live `threshold` after it was entered, one WARN record on its
    /// logger says so (how long, which thread last ran it), with its fields, followed by its
    /// flight recorder's trail so far; when the task finally ends, one more record says how long
    /// it took. The report takes the trail out of the ring: a task that then fails or turns out
    /// [`slow`](Self::slow) replays only what it recorded after the report, so each line is told
    /// once (the summary counts the report's lines as replayed). A process-wide watchdog thread (started on first use)
    /// looks at timed scopes periodically; entering and leaving never wait on it.
    pub fn stuck(mut self, threshold: std::time::Duration) -> Self {
        self.opts.stuck = Some(threshold);
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
        Ok(self.open()?.make_current())
    }

    /// Enters the scope without making it current anywhere: for futures, see
    /// [`in_scope`](crate::in_scope).
    pub fn open(mut self) -> Result<ScopedLogger, ScopeError> {
        let own = self.fields.take();
        let outer = crate::tree::current_fields();
        let mut scope = self.open_unset()?;
        scope.inherit(match (own, outer) {
            (None, outer) => outer,
            (Some(own), None) => Some(own),
            (Some(own), Some(outer)) => Some(Arc::new(FieldSet::nested(
                Arc::unwrap_or_clone(own),
                Some(&outer),
            ))),
        });
        Ok(scope)
    }

    /// Enters the scope; its fields are set by the caller.
    fn open_unset(self) -> Result<ScopedLogger, ScopeError> {
        let name = self.name?;
        match begin(
            &self.registry.inner,
            &name,
            self.opts,
            !self.factories.is_empty(),
        ) {
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
                Ok(creator.finish())
            }
        }
    }
}

/// The outcome of reserving a scope: joined a live one, or this caller must create it.
pub enum Begin {
    /// A same-name scope is live (or none needed making): this one shares its entry.
    Joined(ScopedLogger),
    /// This caller makes the handlers and calls [`Creator::finish`]; dropping it abandons.
    Create(Creator),
}

/// Holds a same-name scope's init lock while the first one makes its handlers.
pub struct Creator {
    node: Option<Arc<Node>>,
    init: Option<period::InitGuard>,
    setup: Setup,
    made: Vec<Arc<dyn Handler>>,
    /// The fields of the scope it is entered in, for the scope made.
    pub(crate) outer: Option<Arc<FieldSet>>,
    /// The scope's `slow` and `stuck` thresholds.
    timing: (Option<std::time::Duration>, Option<std::time::Duration>),
}

impl Creator {
    /// Takes a handler just made; if the scope is abandoned, it is flushed and closed.
    pub fn add(&mut self, handler: Arc<dyn Handler>) {
        self.made.push(handler);
    }

    /// Starts the scope's live period with the handlers added.
    pub fn finish(mut self) -> ScopedLogger {
        let node = self.node.take().expect("finished once");
        let init = self.init.take().expect("finished once");
        let made = std::mem::take(&mut self.made);
        let mut scope = ScopedLogger::new(period::start(&node, init, &self.setup, made));
        scope.inherit(self.outer.take());
        scope.time(self.timing.0, self.timing.1);
        scope
    }
}

impl Drop for Creator {
    fn drop(&mut self) {
        if let (Some(node), Some(init)) = (self.node.take(), self.init.take()) {
            // Close what was made (exactly once, through the usual cell), then give the entry back.
            for h in self.made.drain(..) {
                drop(crate::handler::Closer::owned(h));
            }
            if let Some(inner) = node.inner() {
                period::abandon(&inner, &node, init);
            }
        }
    }
}

/// Reserves `name` (normalized, absolute) and either joins its live scope or hands back a
/// [`Creator`]. `factories`: whether the caller has handler factories to run; without them a
/// fresh scope starts at once.
pub(crate) fn begin(
    inner: &RegistryInner,
    name: &str,
    opts: ScopeOptions,
    factories: bool,
) -> Begin {
    if name.is_empty() {
        // The root is always there; a scope on it owns nothing and deletes nothing.
        return Begin::Joined(ScopedLogger::on_root(inner));
    }
    let setup = opts.setup();
    match period::reserve(inner, name, &setup, factories) {
        Reserved::Live(logger) => {
            let mut scope = ScopedLogger::new(logger);
            scope.time(opts.slow, opts.stuck);
            Begin::Joined(scope)
        }
        Reserved::Create(node, init) => Begin::Create(Creator {
            node: Some(node),
            init: Some(init),
            setup,
            made: Vec::new(),
            outer: None,
            timing: (opts.slow, opts.stuck),
        }),
    }
}

/// Enters `name` for a caller with no handler factories (`#[scoped_logger]` without `handler`).
pub(crate) fn enter_plain(inner: &RegistryInner, name: &str, opts: ScopeOptions) -> ScopedLogger {
    match begin(inner, name, opts, false) {
        Begin::Joined(scope) => scope,
        Begin::Create(creator) => creator.finish(),
    }
}
