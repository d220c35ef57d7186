//! [`Logger`]: a cheap handle on one logger of the tree, valid for the generation of the entry
//! it was made in (a handle kept after its scope ended is detached, and stays so even when the
//! name is entered again).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::node::Node;
use super::{Registry, RegistryInner};
use crate::handler::{Attached, Closer, Handler, HandlerId};
use crate::kv::Value;
use crate::kv::fields::FieldSet;
use crate::level::{Level, LevelFilter};
use crate::record::{Location, Record};

/// A handle on a logger in a [`Registry`]: cheap to clone, `Send + Sync`.
///
/// Loggers form Python's tree: a record goes to this logger's handlers, then to its ancestors'
/// while [`propagate`](Self::propagate) holds; a logger without a level of its own inherits its
/// nearest ancestor's.
///
/// ```
/// use scoped_logger::{Registry, LevelFilter, Level, MemoryHandler};
/// let reg = Registry::new();
/// let jobs = reg.logger("jobs");
/// let mem = MemoryHandler::new();
/// jobs.add_handler(mem.clone());
/// jobs.set_level(LevelFilter::Debug);
/// let job = jobs.child("42");
/// assert_eq!(job.name(), "jobs.42");
/// assert_eq!(job.effective_level(), LevelFilter::Debug);
/// job.log(Level::Debug, format_args!("step {}", 1));
/// assert_eq!(mem.records()[0].logger, "jobs.42");
/// ```
#[derive(Clone)]
pub struct Logger {
    pub(crate) node: Arc<Node>,
    /// The entry's generation this handle belongs to (odd: a logger).
    generation: u64,
}

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logger")
            .field("name", &self.name())
            .field("live", &self.is_live())
            .finish()
    }
}

impl PartialEq for Logger {
    /// Two handles are equal when they refer to the same logger entry in the same live period.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.node, &other.node) && self.generation == other.generation
    }
}
impl Eq for Logger {}

impl Logger {
    pub(crate) fn from_node(node: Arc<Node>) -> Logger {
        let generation = node.generation.load(Ordering::Acquire);
        Logger { node, generation }
    }

    pub(crate) fn inner(&self) -> Option<super::InnerRef> {
        self.node.inner()
    }

    /// The dot-separated name; `"root"` for the root (as in Python).
    pub fn name(&self) -> &str {
        if self.node.is_root() {
            "root"
        } else {
            &self.node.name
        }
    }

    /// The name as the tree keys it: `""` for the root.
    pub(crate) fn key(&self) -> &str {
        &self.node.name
    }

    /// The nearest live ancestor logger (placeholders skipped); `None` for the root.
    pub fn parent(&self) -> Option<Logger> {
        if self.node.is_root() {
            return None;
        }
        let inner = self.inner()?;
        let guard = inner.entries.guard();
        let up = super::dispatch::logger_above(&inner, &self.node, &guard);
        Some(Logger::from_node(up.clone()))
    }

    /// The logger `<name>.<suffix>` in the same registry, created if missing (persistent).
    ///
    /// # Panics
    /// When `suffix` is not a valid name; use [`try_child`](Self::try_child) for input you do not control.
    pub fn child(&self, suffix: &str) -> Logger {
        match self.try_child(suffix) {
            Ok(l) => l,
            Err(e) => panic!("{e}"),
        }
    }

    /// The logger `<name>.<suffix>`, or the error naming what is wrong with `suffix`.
    pub fn try_child(&self, suffix: &str) -> Result<Logger, crate::name::NameError> {
        let full = if self.node.is_root() {
            suffix.to_owned()
        } else {
            format!("{}.{suffix}", self.key())
        };
        let reg = match self.inner() {
            Some(super::InnerRef::Static(_)) => Registry::global().clone(),
            Some(super::InnerRef::Arc(inner)) => Registry { inner },
            None => Registry::new(),
        };
        reg.try_logger(&full)
    }

    /// Sets this logger's level in code. Descendants without a level of their own follow; a
    /// live scope of this name with a level of its own keeps it until it ends.
    ///
    /// The operator's directives win: while a named directive ([`Registry::configure`],
    /// `RUST_LOG`, a configuration file) covers this logger, the level set here is kept but
    /// not in force; it takes effect when the directive goes. On the root, this and the bare
    /// directive (`RUST_LOG=warn`) write the same level: the later wins.
    pub fn set_level(&self, level: LevelFilter) {
        self.configure_level(Some(level));
    }

    /// Removes this logger's level set in code: it inherits its nearest ancestor's again (the
    /// root always keeps one).
    pub fn clear_level(&self) {
        if !self.node.is_root() {
            self.configure_level(None);
        }
    }

    fn configure_level(&self, level: Option<LevelFilter>) {
        let mut st = self.node.state.lock();
        if !self.is_live() {
            return;
        }
        st.configured = level;
        let scope_level = st.period.as_ref().and_then(|p| p.level());
        if scope_level.is_none() {
            self.node.store_own_level(level);
        }
    }

    /// This logger's own level in force, if any: the directive naming it, else the level of
    /// a live scope of its name, else the one set in code; `None` when it inherits (also when
    /// a directive naming an ancestor covers it).
    pub fn level(&self) -> Option<LevelFilter> {
        if !self.is_live() {
            return None;
        }
        let set = self.node.shared().directive_set();
        if !set.is_empty() && !self.node.is_root() {
            if let Some(d) = set.exact(&self.node.name) {
                return Some(d);
            }
            if set.covering(&self.node.name).is_some() {
                return None;
            }
        }
        self.node.own_level()
    }

    /// The level that decides whether a record on this logger is made: the deepest named
    /// directive covering it (see [`Registry::configure`]), else its own level set in code,
    /// else the nearest ancestor's, else the root's. For a detached logger, its nearest live
    /// ancestor's.
    pub fn effective_level(&self) -> LevelFilter {
        if self.is_live() {
            LevelFilter::from_u8(self.node.effective())
        } else {
            self.detached_target().map_or(LevelFilter::Off, |l| {
                LevelFilter::from_u8(l.node.effective())
            })
        }
    }

    /// Whether a record at `level` would be made. Lock-free: two relaxed loads and a compare
    /// when no level changed since this logger last looked.
    #[inline]
    pub fn enabled(&self, level: Level) -> bool {
        if self.node.generation.load(Ordering::Relaxed) != self.generation
            || self.generation & 1 == 0
        {
            return self.enabled_detached(level);
        }
        level as u8 <= self.node.effective()
    }

    #[cold]
    fn enabled_detached(&self, level: Level) -> bool {
        self.effective_level().allows(level)
    }

    /// Whether records go on to the ancestors' handlers after this logger's own (default `true`).
    /// A live scope that set its own keeps it until it ends.
    pub fn set_propagate(&self, propagate: bool) {
        let mut st = self.node.state.lock();
        if !self.is_live() {
            return;
        }
        st.configured_propagate = propagate;
        let scope_set = st.period.as_ref().is_some_and(|p| p.propagate().is_some());
        if !scope_set {
            self.node.propagate.store(propagate, Ordering::Relaxed);
        }
    }

    /// See [`set_propagate`](Self::set_propagate).
    pub fn propagate(&self) -> bool {
        self.node.propagate.load(Ordering::Relaxed)
    }

    /// Attaches a handler that this logger owns: it is closed when the logger lets it go.
    pub fn add_handler(&self, handler: impl Handler + 'static) -> HandlerId {
        self.attach(Closer::owned(Arc::new(handler)))
    }

    /// Attaches a handler that may also be attached elsewhere: it is closed once, when the last
    /// logger holding it lets it go.
    pub fn add_shared_handler(&self, handler: Arc<dyn Handler>) -> HandlerId {
        self.attach(Closer::shared(handler))
    }

    pub(crate) fn attach(&self, closer: Arc<Closer>) -> HandlerId {
        let id = HandlerId::next();
        // Under the state lock: a logger that is retired meanwhile takes the new handler with
        // the rest, instead of keeping it on a dead entry.
        let st = self.node.state.lock();
        if !self.is_live() {
            drop(st);
            // A detached logger never gets an entry back; the handler is closed right away.
            drop(closer);
            return id;
        }
        self.node.handlers_cell().rcu(|list| {
            let mut list = Vec::clone(list);
            list.push(Attached {
                id,
                closer: closer.clone(),
            });
            list
        });
        drop(st);
        id
    }

    /// Detaches a handler; it is closed if no other logger holds it. Returns whether it was attached.
    pub fn remove_handler(&self, id: HandlerId) -> bool {
        let mut removed = None;
        if self.node.handlers().is_none() {
            return false;
        }
        self.node.handlers_cell().rcu(|list| {
            let mut list = Vec::clone(list);
            removed = list.iter().position(|a| a.id == id).map(|i| list.remove(i));
            list
        });
        // Dropping `removed` here (no lock held) closes the handler if this was the last holder.
        removed.is_some()
    }

    /// How many handlers are attached to this logger itself.
    pub fn handler_count(&self) -> usize {
        self.node.handlers().map_or(0, |h| h.len())
    }

    /// Whether this handle still refers to the logger in the tree. A handle kept after its scope
    /// ended, or after [`Registry::remove`], is detached: records sent through it go to the nearest
    /// live ancestor's handlers and it never brings the entry back.
    #[inline]
    pub fn is_live(&self) -> bool {
        self.generation & 1 == 1 && self.node.generation.load(Ordering::Acquire) == self.generation
    }

    /// Logs a message without the macros.
    ///
    /// ```
    /// # let log = scoped_logger::Registry::new().logger("app");
    /// log.log(scoped_logger::Level::Info, format_args!("{} items", 3));
    /// ```
    pub fn log(&self, level: Level, args: fmt::Arguments<'_>) {
        if self.enabled(level) {
            self.emit(level, args, &[], None);
        }
    }

    /// Makes and dispatches a record (the level was already checked by the caller). The record
    /// carries the fields of the scope current on this thread, if any (as an MDC would, also
    /// when this logger is not that scope's). Generated code reaches it through
    /// `__private::Emit`.
    pub(crate) fn emit(
        &self,
        level: Level,
        args: fmt::Arguments<'_>,
        kvs: &[(&str, Value<'_>)],
        location: Option<&Location>,
    ) {
        let fields = super::current::current_fields();
        self.emit_with(level, args, kvs, location, fields.as_deref());
    }

    /// [`emit`](Self::emit) with the fields given instead of the current scope's.
    pub(crate) fn emit_with(
        &self,
        level: Level,
        args: fmt::Arguments<'_>,
        kvs: &[(&str, Value<'_>)],
        location: Option<&Location>,
        fields: Option<&FieldSet>,
    ) {
        #[cfg(feature = "opentelemetry")]
        let trace = crate::kv::trace_ids::TraceIds::current();
        crate::thread::with_name(|thread_name| {
            let mut b = Record::builder(level, self.name(), args)
                .verdict(self.node.verdict())
                .key_values(kvs)
                .fields(fields)
                .thread_name(thread_name);
            #[cfg(feature = "opentelemetry")]
            {
                b = b.trace(trace.as_ref());
            }
            if let Some(loc) = location {
                b = b.location(loc);
            }
            self.dispatch(&b.build());
        });
    }

    /// Sends an already-made record through this logger's handlers and up the tree, exactly as a
    /// record logged on it would go (the record keeps its own logger name). Levels are not checked.
    pub fn dispatch(&self, record: &Record<'_>) {
        if self.is_live() {
            super::dispatch::dispatch(&self.node, record);
        } else {
            self.dispatch_detached(record);
        }
    }

    /// A detached handle logs to its nearest live ancestor, at that ancestor's level.
    #[cold]
    fn dispatch_detached(&self, record: &Record<'_>) {
        match self.detached_target() {
            Some(l) => {
                if LevelFilter::from_u8(l.node.effective()).allows(record.level()) {
                    super::dispatch::dispatch(&l.node, record);
                }
            }
            None => crate::handler::last_resort::last_resort(record),
        }
    }

    /// The nearest live logger at or above this detached one's name.
    #[cold]
    fn detached_target(&self) -> Option<Logger> {
        let inner: super::InnerRef = self.inner()?;
        let target = live_at_or_above(&inner, self.key());
        Some(target)
    }
}

/// The nearest live logger at or above `name` (the root at worst).
fn live_at_or_above(inner: &RegistryInner, name: &str) -> Logger {
    let guard = inner.entries.guard();
    let mut cur = name;
    loop {
        if cur.is_empty() {
            return Logger::from_node(inner.entries.root.clone());
        }
        if let Some(n) = inner.entries.get(cur, &guard)
            && n.is_logger()
        {
            return Logger::from_node(n.clone());
        }
        cur = crate::name::parent_of(cur).unwrap_or("");
    }
}
