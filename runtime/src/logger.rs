//! [`Logger`]: a cheap handle on one node of the tree, and the dispatch of a record from it to its
//! handlers and up through its ancestors.
//!
//! Everything a log call reads is lock-free: the cached effective level is one atomic, the handler
//! list and the parent link are `ArcSwap` snapshots (a logger that never had a handler has no
//! list to load). Only a scope with a flight recorder or a summary adds a read lock of its own
//! node's state. No registry lock is ever held while a handler runs.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, LazyLock, OnceLock, Weak};

use arc_swap::{ArcSwap, ArcSwapOption};

use crate::handler::{Attached, Closer, Handler, HandlerId};
use crate::level::{Level, LevelFilter};
use crate::record::{Location, Record, Value};
use crate::registry::{Registry, RegistryInner};

/// `Node::effective` of a detached node: larger than any level, so `enabled()` says yes and the
/// (cold) dispatch path looks the nearest live ancestor up by name.
pub(crate) const DETACHED: u8 = u8::MAX;
/// `Node::own_level` when the logger has no level of its own (Python's NOTSET).
pub(crate) const NOTSET: u8 = u8::MAX;

/// The handler list of a logger without handlers: one shared allocation instead of one per node.
pub(crate) fn no_handlers() -> Arc<Vec<Attached>> {
    static EMPTY: LazyLock<Arc<Vec<Attached>>> = LazyLock::new(Default::default);
    EMPTY.clone()
}

pub(crate) struct Node {
    pub(crate) name: Arc<str>,
    pub(crate) registry: Weak<RegistryInner>,
    /// The effective level as a `LevelFilter` number, kept up to date by the registry.
    pub(crate) effective: AtomicU8,
    /// Written only under the registry lock.
    pub(crate) own_level: AtomicU8,
    pub(crate) propagate: AtomicBool,
    pub(crate) live: AtomicBool,
    /// The nearest live logger ancestor (placeholders skipped); `None` only for the root.
    pub(crate) parent: ArcSwapOption<Node>,
    /// Made when the first handler is attached: dropping an `ArcSwap` visits every thread's
    /// arc-swap slots, a cost that loggers without handlers (most task scopes) need not pay.
    handlers: OnceLock<ArcSwap<Vec<Attached>>>,
    /// Serializes handler factories of same-name scopes: the first creates, the others wait.
    /// Made on first use: a scope without handler factories never needs it.
    init: OnceLock<Arc<parking_lot::Mutex<()>>>,
    /// Non-zero while a live period has a flight recorder or a summary (`recorder::FLAG_*`):
    /// the one byte dispatch reads per node for them.
    pub(crate) flags: AtomicU8,
    /// Read only while `flags` is non-zero; a lock rather than an `ArcSwap` for the same reason
    /// as `handlers`.
    pub(crate) extras: parking_lot::RwLock<Option<Arc<crate::recorder::Extras>>>,
}

impl Node {
    pub(crate) fn new(
        name: Arc<str>,
        registry: Weak<RegistryInner>,
        effective: LevelFilter,
        parent: Option<Arc<Node>>,
    ) -> Arc<Node> {
        Arc::new(Node {
            name,
            registry,
            effective: AtomicU8::new(effective as u8),
            own_level: AtomicU8::new(NOTSET),
            propagate: AtomicBool::new(true),
            live: AtomicBool::new(true),
            // Given at construction: a later `store` would visit every thread's arc-swap slots.
            parent: ArcSwapOption::new(parent),
            handlers: OnceLock::new(),
            init: OnceLock::new(),
            flags: AtomicU8::new(0),
            extras: parking_lot::RwLock::new(None),
        })
    }

    /// A snapshot of the handler list, `None` when no handler was ever attached.
    #[inline]
    pub(crate) fn handlers(&self) -> Option<arc_swap::Guard<Arc<Vec<Attached>>>> {
        self.handlers.get().map(ArcSwap::load)
    }

    /// The handler list cell, made on first use (attaching and removing handlers).
    pub(crate) fn handlers_cell(&self) -> &ArcSwap<Vec<Attached>> {
        self.handlers.get_or_init(|| ArcSwap::new(no_handlers()))
    }

    /// Takes the whole handler list away (the caller drops it outside any lock).
    pub(crate) fn take_handlers(&self) -> Option<Arc<Vec<Attached>>> {
        self.handlers.get().map(|h| h.swap(no_handlers()))
    }

    /// The init lock of same-name scopes (see `Registry::scope_reserve`).
    pub(crate) fn init(&self) -> &Arc<parking_lot::Mutex<()>> {
        self.init.get_or_init(Default::default)
    }

    #[inline]
    pub(crate) fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    pub(crate) fn own_level(&self) -> Option<LevelFilter> {
        match self.own_level.load(Ordering::Relaxed) {
            NOTSET => None,
            v => Some(LevelFilter::from_u8(v)),
        }
    }
}

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
    /// Two handles are equal when they refer to the same logger entry (the same live period).
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.node, &other.node)
    }
}
impl Eq for Logger {}

impl Logger {
    pub(crate) fn from_node(node: Arc<Node>) -> Logger {
        Logger { node }
    }

    fn registry(&self) -> Option<Registry> {
        self.node.registry.upgrade().map(Registry::from_inner)
    }

    /// The dot-separated name; `""` for the root.
    pub fn name(&self) -> &str {
        &self.node.name
    }

    /// The nearest live ancestor logger (placeholders skipped); `None` for the root.
    pub fn parent(&self) -> Option<Logger> {
        if self.node.is_live()
            && let Some(p) = self.node.parent.load_full()
            && p.is_live()
        {
            return Some(Logger::from_node(p));
        }
        if self.node.name.is_empty() {
            return None;
        }
        self.registry()?
            .nearest_live_ancestor(&self.node.name)
            .map(Logger::from_node)
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
    pub fn try_child(&self, suffix: &str) -> Result<Logger, crate::NameError> {
        let full = if self.name().is_empty() {
            suffix.to_owned()
        } else {
            format!("{}.{suffix}", self.name())
        };
        let reg = self.registry().unwrap_or_else(Registry::detached_fallback);
        reg.try_logger(&full)
    }

    /// Sets this logger's own level. Descendants without a level of their own follow.
    pub fn set_level(&self, level: LevelFilter) {
        if let Some(reg) = self.registry() {
            reg.set_node_level(&self.node, Some(level));
        }
    }

    /// Removes this logger's own level: it inherits its nearest ancestor's again.
    pub fn clear_level(&self) {
        if let Some(reg) = self.registry() {
            reg.set_node_level(&self.node, None);
        }
    }

    /// This logger's own level, if it has one.
    pub fn level(&self) -> Option<LevelFilter> {
        self.node.own_level()
    }

    /// The level that decides whether a record on this logger is made: its own, else the nearest
    /// ancestor's. For a detached logger, its nearest live ancestor's.
    pub fn effective_level(&self) -> LevelFilter {
        match self.node.effective.load(Ordering::Relaxed) {
            DETACHED => self.resolve_live().map_or(LevelFilter::Off, |n| {
                LevelFilter::from_u8(n.effective.load(Ordering::Relaxed))
            }),
            v => LevelFilter::from_u8(v),
        }
    }

    /// Whether a record at `level` would be made. Lock-free: one relaxed atomic load.
    #[inline]
    pub fn enabled(&self, level: Level) -> bool {
        level as u8 <= self.node.effective.load(Ordering::Relaxed)
    }

    /// Whether records go on to the ancestors' handlers after this logger's own (default `true`).
    pub fn set_propagate(&self, propagate: bool) {
        self.node.propagate.store(propagate, Ordering::Relaxed);
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
        if !self.node.is_live() {
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
        id
    }

    /// Detaches a handler; it is closed if no other logger holds it. Returns whether it was attached.
    pub fn remove_handler(&self, id: HandlerId) -> bool {
        let mut removed = None;
        let Some(cell) = self.node.handlers.get() else {
            return false;
        };
        cell.rcu(|list| {
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
    pub fn is_live(&self) -> bool {
        self.node.is_live()
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

    /// Makes and dispatches a record (the level was already checked by the caller).
    #[doc(hidden)]
    pub fn emit(
        &self,
        level: Level,
        args: fmt::Arguments<'_>,
        kvs: &[(&str, Value<'_>)],
        location: Option<&Location>,
    ) {
        crate::internal::with_thread_name(|thread_name| {
            let mut b = Record::builder(level, &self.node.name, args)
                .key_values(kvs)
                .thread_name(thread_name);
            if let Some(loc) = location {
                b = b.location(loc);
            }
            self.dispatch(&b.build());
        });
    }

    /// Sends an already-made record through this logger's handlers and up the tree, exactly as a
    /// record logged on it would go (the record keeps its own logger name). Levels are not checked.
    pub fn dispatch(&self, record: &Record<'_>) {
        if self.node.is_live() {
            walk(&self.node, record, true, false);
        } else {
            self.dispatch_detached(record);
        }
    }

    /// A detached handle logs to its nearest live ancestor, at that ancestor's level.
    #[cold]
    fn dispatch_detached(&self, record: &Record<'_>) {
        match self.resolve_live() {
            Some(n) => {
                if LevelFilter::from_u8(n.effective.load(Ordering::Relaxed)).allows(record.level())
                {
                    walk(&n, record, true, false);
                }
            }
            None => crate::internal::last_resort(record),
        }
    }

    /// The nearest live node at or above this one, by name (cold path for detached handles).
    #[cold]
    fn resolve_live(&self) -> Option<Arc<Node>> {
        if self.node.is_live() {
            return Some(self.node.clone());
        }
        self.resolve_live_above()
    }

    #[cold]
    fn resolve_live_above(&self) -> Option<Arc<Node>> {
        let reg = self.node.registry.upgrade()?;
        Registry::from_inner(reg).nearest_live_ancestor(&self.node.name)
    }
}

/// What [`visit`] says to do next.
enum Step {
    /// The flight recorder kept the record: nothing else sees it now.
    Kept,
    /// This node does not propagate.
    Stop,
    /// Go on to the parent.
    Up,
}

/// Gives `record` to `node`'s recorder and handlers.
#[inline]
fn visit(node: &Node, record: &Record<'_>, origin: bool, found: &mut bool) -> Step {
    let flags = node.flags.load(Ordering::Relaxed);
    if flags != 0 {
        // Cloned out first: no lock is held while the recorder looks at the record.
        let extras = node.extras.read().clone();
        if let Some(extras) = extras
            && extras.observe(flags, record, origin)
        {
            // Kept by the flight recorder: emitted only if the task fails.
            return Step::Kept;
        }
    }
    if let Some(handlers) = node.handlers()
        && !handlers.is_empty()
    {
        *found = true;
        for a in handlers.iter() {
            a.closer.handle(record);
        }
    }
    if node.propagate.load(Ordering::Relaxed) {
        Step::Up
    } else {
        Step::Stop
    }
}

/// Dispatches from `start` up through its live ancestors. Each parent is held by an arc-swap
/// guard (a slot of this thread's), not a cloned `Arc`: threads logging through the same loggers
/// do not write to their shared reference counts on every record.
fn walk(start: &Arc<Node>, record: &Record<'_>, mut origin: bool, mut found: bool) {
    let mut held: Option<arc_swap::Guard<Option<Arc<Node>>>> = None;
    loop {
        let node: &Arc<Node> = match &held {
            None => start,
            Some(guard) => guard.as_ref().expect("only a parent that is there is held"),
        };
        match visit(node, record, origin, &mut found) {
            Step::Kept => return,
            Step::Stop => break,
            Step::Up => {}
        }
        origin = false;
        let next = node.parent.load();
        match &*next {
            None => break,
            Some(p) if p.is_live() => {}
            Some(_) => {
                // The parent went away while we walked: go on from the live one (cold).
                match Logger::from_node(node.clone()).resolve_live_above() {
                    Some(live) => return walk(&live, record, false, found),
                    None => break,
                }
            }
        }
        held = Some(next);
    }
    if !found && record.level() <= Level::Warn {
        crate::internal::last_resort(record);
    }
}
