//! [`Registry`]: the tree of loggers and placeholders, Python's `Manager` minus its leak.
//!
//! The structure (entries, children, scope counts) lives behind one `RwLock` that is held only for
//! structural changes and lookups, never while a handler runs: handlers that are let go are dropped
//! (and so closed) after the lock is released. Every change that can move an effective level pushes
//! the new level down to the descendants' cached atomics, so `Logger::enabled` never takes a lock.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, LazyLock, Weak};
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};

use crate::handler::Attached;
use crate::level::LevelFilter;
use crate::logger::{DETACHED, Logger, NOTSET, Node};
use crate::name::{self, NameError};
use crate::scope::ScopeOptions;

/// A tree of loggers. [`Registry::global`] is the process-wide one; [`Registry::new`] makes an
/// isolated tree (tests, tenants). Cloning gives another handle on the same tree.
///
/// ```
/// use scoped_logger::Registry;
/// let reg = Registry::new();
/// let db = reg.logger("app.db");        // "app" becomes a placeholder
/// assert_eq!(reg.len(), 1);
/// assert_eq!(reg.node_count(), 2);
/// assert!(reg.remove("app.db"));
/// assert_eq!(reg.node_count(), 0);       // the placeholder is pruned too
/// assert!(!db.is_live());
/// ```
#[derive(Clone)]
pub struct Registry {
    pub(crate) inner: Arc<RegistryInner>,
}

pub(crate) struct RegistryInner {
    pub(crate) tree: RwLock<Tree>,
    pub(crate) root: Arc<Node>,
    /// This registry's most verbose effective level, mirrored into the process-wide maximum.
    max: AtomicU8,
}

/// Names come from users (templates over task arguments), so the maps are seeded per registry
/// (foldhash's `RandomState`) rather than fixed; it hashes several times faster than SipHash,
/// and a scope's enter and exit hash a name a dozen times.
type Hasher = foldhash::fast::RandomState;

pub(crate) struct Tree {
    entries: HashMap<Arc<str>, Entry, Hasher>,
    /// Loggers per effective level (index = `LevelFilter as u8`), root included.
    hist: [usize; 6],
}

#[derive(Default)]
struct Entry {
    /// `None`: a placeholder (Python's `PlaceHolder`).
    node: Option<Arc<Node>>,
    /// Immediate children in the tree, loggers and placeholders alike.
    children: HashSet<Arc<str>, Hasher>,
    /// Created by `Registry::logger` (stays until `remove`).
    persistent: bool,
    /// Live scopes sharing this entry.
    scopes: usize,
    /// Scopes between "entry reserved" and "entered" (waiting on a same-name creator).
    pending: usize,
    /// The thread running this entry's handler factories, while one is: a scope of the same
    /// name entered from inside a factory joins at once instead of waiting for itself.
    creator: Option<std::thread::ThreadId>,
    /// What the current live period of scopes set up, to undo when the last scope leaves.
    period: Option<Period>,
}

struct Period {
    owned: Vec<crate::handler::HandlerId>,
    saved_level: Option<Option<LevelFilter>>,
    saved_propagate: Option<bool>,
}

/// The init lock of a scope being created (see `Registry::scope_reserve`).
pub(crate) type InitGuard = parking_lot::ArcMutexGuard<parking_lot::RawMutex, ()>;

/// What [`Registry::scope_reserve`] did.
pub(crate) enum Reserved {
    /// The scope is live: joined, or started by this call.
    Live(Arc<Node>),
    /// The caller makes the handlers (holding the init lock), then calls `scope_start`.
    Create(Arc<Node>, InitGuard),
    /// Another caller is making them: lock `node.init()`, then `scope_join`.
    Wait(Arc<Node>),
}

/// A bad `configure` directive, named with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    directive: String,
    index: usize,
    reason: String,
}

impl ConfigError {
    /// The directive that was wrong, as written.
    pub fn directive(&self) -> &str {
        &self.directive
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid directive `{}` (directive {} of the list): {}",
            self.directive,
            self.index + 1,
            self.reason
        )
    }
}

impl std::error::Error for ConfigError {}

/// What [`Registry::stats`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Live loggers, the root excluded.
    pub loggers: usize,
    /// Placeholders (ancestors that are not loggers).
    pub placeholders: usize,
    /// Live scopes (same-name scopes each count).
    pub scopes: usize,
    /// Distinct handlers attached anywhere in the tree.
    pub handlers: usize,
    /// Per kind of handler, sorted by kind.
    pub kinds: Vec<KindStats>,
    /// Handler failures (errors and panics) in this process.
    pub handler_errors: u64,
}

/// One kind of handler in [`Stats`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct KindStats {
    /// [`Handler::kind`](crate::Handler::kind).
    pub kind: &'static str,
    /// How many are attached.
    pub handlers: usize,
    /// Records they were given.
    pub emitted: u64,
    /// Records they dropped.
    pub dropped: u64,
}

/// The root's level when nothing configured it (Python's `WARNING`).
pub const DEFAULT_ROOT_LEVEL: LevelFilter = LevelFilter::Warn;

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("len", &self.len())
            .field("node_count", &self.node_count())
            .finish()
    }
}

static GLOBAL: LazyLock<Registry> = LazyLock::new(Registry::new);

impl Registry {
    /// A new, isolated tree with only a root (level `Warn`).
    pub fn new() -> Registry {
        let inner = Arc::new_cyclic(|weak: &Weak<RegistryInner>| {
            let root = Node::new(Arc::from(""), weak.clone(), DEFAULT_ROOT_LEVEL, None);
            root.own_level
                .store(DEFAULT_ROOT_LEVEL as u8, Ordering::Relaxed);
            let mut entries = HashMap::with_hasher(Hasher::default());
            entries.insert(
                root.name.clone(),
                Entry {
                    node: Some(root.clone()),
                    persistent: true,
                    ..Entry::default()
                },
            );
            let mut hist = [0; 6];
            hist[DEFAULT_ROOT_LEVEL as usize] = 1;
            RegistryInner {
                tree: RwLock::new(Tree { entries, hist }),
                root,
                max: AtomicU8::new(DEFAULT_ROOT_LEVEL as u8),
            }
        });
        max_level::add(DEFAULT_ROOT_LEVEL);
        Registry { inner }
    }

    /// The process-wide registry that [`logger`](crate::logger), the macros and the bridges use.
    pub fn global() -> &'static Registry {
        &GLOBAL
    }

    pub(crate) fn from_inner(inner: Arc<RegistryInner>) -> Registry {
        Registry { inner }
    }

    /// Whether two handles refer to the same tree.
    pub fn ptr_eq(&self, other: &Registry) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The root logger.
    pub fn root(&self) -> Logger {
        Logger::from_node(self.inner.root.clone())
    }

    /// Gets or creates the logger `name` (Python's `getLogger`). It persists until [`remove`](Self::remove).
    ///
    /// # Panics
    /// When `name` is invalid; use [`try_logger`](Self::try_logger) for names you do not control.
    pub fn logger(&self, name: &str) -> Logger {
        match self.try_logger(name) {
            Ok(l) => l,
            Err(e) => panic!("{e}"),
        }
    }

    /// Gets or creates the logger `name`, or says what is wrong with the name.
    ///
    /// A relative name (`".db"`) is resolved against the current scope (the root when none).
    pub fn try_logger(&self, name: &str) -> Result<Logger, NameError> {
        let name = self.absolute(name)?;
        if name.is_empty() {
            return Ok(self.root());
        }
        let mut tree = self.inner.tree.write();
        let node = self.get_or_create(&mut tree, &name);
        tree.entries
            .get_mut(&*node.name)
            .expect("entry just made")
            .persistent = true;
        Ok(Logger::from_node(node))
    }

    /// The logger `name` if it exists (placeholders are not loggers). Never creates anything.
    pub fn get(&self, name: &str) -> Option<Logger> {
        let name = self.absolute(name).ok()?;
        let tree = self.inner.tree.read();
        tree.entries
            .get(&*name)
            .and_then(|e| e.node.clone())
            .map(Logger::from_node)
    }

    /// Whether a logger (not a placeholder) named `name` exists.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Loggers alive, the root excluded.
    pub fn len(&self) -> usize {
        let tree = self.inner.tree.read();
        tree.entries.values().filter(|e| e.node.is_some()).count() - 1
    }

    /// Whether only the root is alive.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Loggers plus placeholders, the root excluded: the leak gauge. It returns to where it was
    /// when every scope has ended.
    pub fn node_count(&self) -> usize {
        self.inner.tree.read().entries.len() - 1
    }

    /// The sorted names of live loggers (the root excluded).
    pub fn names(&self) -> Vec<String> {
        let tree = self.inner.tree.read();
        let mut names: Vec<String> = tree
            .entries
            .iter()
            .filter(|(k, e)| e.node.is_some() && !k.is_empty())
            .map(|(k, _)| k.to_string())
            .collect();
        names.sort_unstable();
        names
    }

    /// Drops a persistent logger: its handlers are flushed and closed, its entry deleted, and
    /// placeholders left without descendants pruned. Handles kept elsewhere become detached.
    ///
    /// Returns `false` when no persistent logger has that name. When scopes of that name are still
    /// live, the entry stays until the last one ends (and `true` is returned).
    pub fn remove(&self, name: &str) -> bool {
        let Ok(name) = self.absolute(name) else {
            return false;
        };
        if name.is_empty() {
            return false;
        }
        let released;
        {
            let mut tree = self.inner.tree.write();
            let Some(entry) = tree.entries.get_mut(&*name) else {
                return false;
            };
            if entry.node.is_none() || !entry.persistent {
                return false;
            }
            entry.persistent = false;
            released = self.release_if_unused(&mut tree, &name);
            self.sync_max(&tree);
        }
        drop(released); // closes handlers, outside the lock
        true
    }

    /// Applies env_logger-style directives: `warn,jobs=debug,jobs.db=off`. A bare level sets the
    /// root; `name=level` sets a logger (created if missing); a bare name means `trace`.
    /// Nothing is applied unless every directive is valid.
    ///
    /// ```
    /// let reg = scoped_logger::Registry::new();
    /// reg.configure("info,jobs=debug,jobs::db=off").unwrap();
    /// assert_eq!(reg.logger("jobs.db").effective_level(), scoped_logger::LevelFilter::Off);
    /// let err = reg.configure("info,jobs=loud").unwrap_err();
    /// assert!(err.to_string().contains("`jobs=loud`"));
    /// ```
    pub fn configure(&self, directives: &str) -> Result<(), ConfigError> {
        let parsed = parse_directives(directives)?;
        for (name, level) in parsed {
            match name {
                None => self.root().set_level(level),
                Some(n) => self.logger(&n).set_level(level),
            }
        }
        Ok(())
    }

    /// Flushes and closes every handler in the tree, giving up at `deadline` from now in total.
    /// Loggers stay; they have no handlers afterwards (records go to the last-resort handler).
    /// Returns `true` when everything was written out in time.
    pub fn shutdown(&self, deadline: Duration) -> bool {
        let end = Instant::now() + deadline;
        let lists: Vec<Arc<Vec<Attached>>> = {
            let tree = self.inner.tree.read();
            tree.entries
                .values()
                .filter_map(|e| e.node.as_ref())
                .filter_map(|n| n.take_handlers())
                .collect()
        };
        let mut all_written = true;
        for list in &lists {
            for a in list.iter() {
                all_written &= a.closer.flush_by(end);
            }
        }
        for list in &lists {
            for a in list.iter() {
                a.closer.close_now();
            }
        }
        all_written &= crate::internal::flush_last_resort(end);
        all_written
    }

    /// A snapshot of what the tree holds: loggers, placeholders, live scopes, open handlers, and
    /// per kind of handler the records it was given, dropped, and the process's handler errors.
    ///
    /// A scope whose guard was leaked (`std::mem::forget`) never ends: it stays counted in
    /// `scopes` and its name in [`names`](Self::names). That is the point: a leak is visible.
    ///
    /// ```
    /// use scoped_logger::{MemoryHandler, Registry};
    /// let reg = Registry::new();
    /// reg.logger("a.b").add_handler(MemoryHandler::new());
    /// let _s = reg.scope("jobs.1").enter().unwrap();
    /// let st = reg.stats();
    /// assert_eq!((st.loggers, st.placeholders, st.scopes, st.handlers), (2, 2, 1, 1));
    /// assert_eq!(st.kinds[0].kind, "MemoryHandler");
    /// ```
    pub fn stats(&self) -> Stats {
        let mut st = Stats::default();
        let mut seen = HashSet::new();
        let mut kinds: std::collections::BTreeMap<&'static str, KindStats> = Default::default();
        {
            let tree = self.inner.tree.read();
            for (name, e) in &tree.entries {
                if name.is_empty() {
                    continue;
                }
                match &e.node {
                    Some(_) => st.loggers += 1,
                    None => st.placeholders += 1,
                }
                st.scopes += e.scopes;
            }
            for e in tree.entries.values() {
                let Some(node) = &e.node else { continue };
                let Some(list) = node.handlers() else {
                    continue;
                };
                for a in list.iter() {
                    if !seen.insert(Arc::as_ptr(&a.closer) as usize) {
                        continue;
                    }
                    let h = &a.closer.handler;
                    let k = kinds.entry(h.kind()).or_insert_with(|| KindStats {
                        kind: h.kind(),
                        ..KindStats::default()
                    });
                    k.handlers += 1;
                    k.emitted += a.closer.emitted.load(Ordering::Relaxed);
                    k.dropped += h.dropped();
                }
            }
        }
        st.handlers = seen.len();
        st.kinds = kinds.into_values().collect();
        st.handler_errors = crate::handler::handler_error_count();
        st
    }

    // ---- internals -------------------------------------------------------------------------

    /// Normalizes `name` and resolves a relative one against the current scope.
    pub(crate) fn absolute(&self, name: &str) -> Result<String, NameError> {
        let norm = name::normalize(name)?;
        if name::is_relative(&norm) {
            let base = crate::current::current_name_in(self);
            Ok(name::resolve(&base, &norm).into_owned())
        } else {
            Ok(norm.into_owned())
        }
    }

    /// Gets or makes the logger node for a normalized, non-root name. Caller holds the write lock.
    ///
    /// Each name is hashed as few times as the map allows: one lookup for the name, one per
    /// missing ancestor (then one insert), and none for the parent link when the first existing
    /// ancestor is a logger.
    fn get_or_create(&self, tree: &mut Tree, name: &str) -> Arc<Node> {
        let (key, was_placeholder) = match tree.entries.get_key_value(name) {
            Some((_, Entry { node: Some(n), .. })) => return n.clone(),
            Some((k, _)) => (k.clone(), true),
            None => (Arc::<str>::from(name), false),
        };
        // A placeholder's ancestors exist already. Otherwise make sure every ancestor has an
        // entry (placeholders), linking children as we go, up to the first one that existed.
        let mut parent_node = None;
        let mut below = key.clone();
        if !was_placeholder {
            loop {
                let parent = name::parent_of(&below).expect("non-root has a parent");
                if let Some(p) = tree.entries.get_mut(parent) {
                    p.children.insert(below.clone());
                    parent_node = p.node.clone();
                    break;
                }
                let pkey: Arc<str> = Arc::from(parent);
                let mut e = Entry::default();
                e.children.insert(below);
                tree.entries.insert(pkey.clone(), e);
                below = pkey;
            }
        }
        // `below`'s parent is the first ancestor that existed; if it is a placeholder, go on up.
        let parent_node = parent_node.unwrap_or_else(|| self.nearest_logger_above(tree, &below));
        let effective = LevelFilter::from_u8(parent_node.effective.load(Ordering::Relaxed));
        let node = Node::new(
            key.clone(),
            Arc::downgrade(&self.inner),
            effective,
            Some(parent_node),
        );
        tree.hist[effective as usize] += 1;
        if was_placeholder {
            // Fix-up (Python's `_fixupChildren`): loggers below this name that pointed past it
            // now point at it. A new entry has no children, so nothing below it to fix.
            let mut frontier = Vec::new();
            logger_frontier(tree, &key, &mut frontier);
            for c in &frontier {
                c.parent.store(Some(node.clone()));
            }
            tree.entries
                .get_mut(&*key)
                .expect("the placeholder is there")
                .node = Some(node.clone());
        } else {
            tree.entries.insert(
                key,
                Entry {
                    node: Some(node.clone()),
                    ..Entry::default()
                },
            );
        }
        node
    }

    /// The nearest logger strictly above `name` (the root at worst). Caller holds the lock.
    fn nearest_logger_above(&self, tree: &Tree, name: &str) -> Arc<Node> {
        let mut cur = name;
        while let Some(p) = name::parent_of(cur) {
            if let Some(n) = tree.entries.get(p).and_then(|e| e.node.as_ref()) {
                return n.clone();
            }
            cur = p;
        }
        self.inner.root.clone()
    }

    /// The nearest live node strictly above `name`, by name (detached handles).
    pub(crate) fn nearest_live_ancestor(&self, name: &str) -> Option<Arc<Node>> {
        let tree = self.inner.tree.read();
        if name.is_empty() {
            return None;
        }
        Some(self.nearest_logger_above(&tree, name))
    }

    /// Deletes the entry's logger if nothing keeps it (no persistence, no scope, no pending
    /// scope), pruning placeholders. Returns the handlers to drop after the lock is released.
    fn release_if_unused(&self, tree: &mut Tree, name: &str) -> Option<Vec<Attached>> {
        let entry = tree.entries.get(name)?;
        if entry.persistent || entry.scopes > 0 || entry.pending > 0 {
            return None;
        }
        let node = entry.node.clone()?;
        let children: Vec<Arc<str>> = entry.children.iter().cloned().collect();
        let eff = node.effective.swap(DETACHED, Ordering::Relaxed);
        tree.hist[eff as usize] -= 1;
        node.live.store(false, Ordering::Release);
        let had_level = node.own_level().is_some();
        node.own_level.store(NOTSET, Ordering::Relaxed);
        if children.is_empty() {
            // A leaf (every task scope): nothing below it to re-point; its entry goes at once.
            self.prune(tree, name, true);
        } else {
            // Detach: loggers that pointed at it point past it; inherited levels are recomputed.
            let parent = self.nearest_logger_above(tree, name);
            let mut frontier = Vec::new();
            logger_frontier(tree, name, &mut frontier);
            for c in &frontier {
                c.parent.store(Some(parent.clone()));
            }
            let entry = tree.entries.get_mut(name).expect("checked above");
            entry.node = None;
            entry.period = None;
            if had_level {
                let inherited = LevelFilter::from_u8(parent.effective.load(Ordering::Relaxed));
                for c in children {
                    push_down(tree, &c, inherited);
                }
            }
        }
        Some(
            node.take_handlers()
                .map(Arc::unwrap_or_clone)
                .unwrap_or_default(),
        )
    }

    /// Removes `name` and its ancestors while they are placeholders without children (the root
    /// stays). `known`: the caller already knows `name` itself can go.
    fn prune(&self, tree: &mut Tree, name: &str, known: bool) {
        let prunable =
            |name: &str, e: &Entry| !name.is_empty() && e.node.is_none() && e.children.is_empty();
        if !known && !tree.entries.get(name).is_some_and(|e| prunable(name, e)) {
            return;
        }
        let mut cur = name;
        loop {
            tree.entries.remove(cur);
            shrink_if_sparse(&mut tree.entries);
            let Some(parent) = name::parent_of(cur) else {
                return;
            };
            let Some(p) = tree.entries.get_mut(parent) else {
                return;
            };
            p.children.remove(cur);
            shrink_if_sparse(&mut p.children);
            if !prunable(parent, p) {
                return;
            }
            cur = parent;
        }
    }

    pub(crate) fn set_node_level(&self, node: &Arc<Node>, level: Option<LevelFilter>) {
        let mut tree = self.inner.tree.write();
        self.set_level_locked(&mut tree, node, level);
        self.sync_max(&tree);
    }

    /// `set_node_level` for a caller that holds the write lock (and calls `sync_max` after).
    fn set_level_locked(&self, tree: &mut Tree, node: &Arc<Node>, level: Option<LevelFilter>) {
        if !node.is_live() {
            return;
        }
        if node.name.is_empty() && level.is_none() {
            // The root always has a level (Python's root never is NOTSET).
            return;
        }
        node.own_level
            .store(level.map_or(NOTSET, |l| l as u8), Ordering::Relaxed);
        let eff = match level {
            Some(l) => l,
            None => match &*node.parent.load() {
                Some(p) => LevelFilter::from_u8(p.effective.load(Ordering::Relaxed)),
                None => DEFAULT_ROOT_LEVEL,
            },
        };
        push_down(tree, &node.name, eff);
    }

    /// Mirrors this registry's most verbose effective level into the process-wide maximum that
    /// the macros check first. Called with the write lock held, after a change of levels: two
    /// changes publish in the order they were made, so the maximum never lags below the tree.
    fn sync_max(&self, tree: &Tree) {
        let new = tree.hist.iter().rposition(|&n| n > 0).unwrap_or(0) as u8;
        let old = self.inner.max.swap(new, Ordering::AcqRel);
        if old != new {
            max_level::change(LevelFilter::from_u8(old), LevelFilter::from_u8(new));
        }
    }

    // ---- scopes ----------------------------------------------------------------------------

    /// Enters or reserves the scope `name` (normalized, absolute, not the root) in one trip
    /// through the write lock:
    ///
    /// - a same-name scope is live: this one joins it ([`Reserved::Live`]);
    /// - none is live or being made and the caller has no handler factories to run: the live
    ///   period starts here ([`Reserved::Live`]). This is the common `#[scoped_logger("task.{id}")]`;
    /// - none is live or being made and the caller has factories: it is the creator and gets the
    ///   entry's init lock, uncontended ([`Reserved::Create`]);
    /// - another caller is making the handlers: lock `node.init()`, then
    ///   [`scope_join`](Self::scope_join) ([`Reserved::Wait`]);
    /// - this thread is making the handlers (the scope is entered from inside one of its own
    ///   factories): it joins at once ([`Reserved::Live`]) rather than wait for itself.
    pub(crate) fn scope_reserve(
        &self,
        name: &str,
        opts: &ScopeOptions,
        factories: bool,
    ) -> Reserved {
        let mut tree = self.inner.tree.write();
        let node = self.get_or_create(&mut tree, name);
        let entry = tree.entries.get_mut(name).expect("entry just made");
        if entry.period.is_some() {
            entry.scopes += 1;
            return Reserved::Live(node);
        }
        let idle = entry.pending == 0;
        if idle && !factories {
            self.start_period(&mut tree, &node, opts, Vec::new());
            self.sync_max(&tree);
            return Reserved::Live(node);
        }
        if !idle && entry.creator == Some(std::thread::current().id()) {
            // Entered from inside this entry's own handler factory: waiting for the creator
            // would wait for ourselves. Join now; the handlers are not made yet, so records
            // logged meanwhile go to the ancestors' handlers. This counts in `scopes` but
            // starts no period: other threads still wait for the creator.
            entry.scopes += 1;
            return Reserved::Live(node);
        }
        entry.pending += 1;
        if idle && let Some(init) = Mutex::try_lock_arc(node.init()) {
            entry.creator = Some(std::thread::current().id());
            return Reserved::Create(node, init);
        }
        Reserved::Wait(node)
    }

    /// With `node.init()` held: joins the live period if there is one (returns `Some(false)`), or
    /// says the caller must create it (`Some(true)`). `None`: the entry went away meanwhile; retry.
    pub(crate) fn scope_join(&self, node: &Arc<Node>) -> Option<bool> {
        let mut tree = self.inner.tree.write();
        let entry = tree.entries.get_mut(&*node.name)?;
        if !entry.node.as_ref().is_some_and(|n| Arc::ptr_eq(n, node)) {
            return None;
        }
        if entry.period.is_some() {
            entry.pending -= 1;
            entry.scopes += 1;
            Some(false)
        } else {
            entry.creator = Some(std::thread::current().id());
            Some(true)
        }
    }

    /// With `node.init()` held, after the creator's handler factories succeeded: attaches the
    /// handlers and starts the period.
    pub(crate) fn scope_start(
        &self,
        node: &Arc<Node>,
        opts: &ScopeOptions,
        handlers: Vec<Arc<dyn crate::Handler>>,
    ) {
        let logger = Logger::from_node(node.clone());
        let owned: Vec<_> = handlers
            .into_iter()
            .map(|h| logger.attach(crate::handler::Closer::owned(h)))
            .collect();
        let mut tree = self.inner.tree.write();
        let entry = tree
            .entries
            .get_mut(&*node.name)
            .expect("a pending scope keeps its entry");
        entry.pending -= 1;
        entry.creator = None;
        self.start_period(&mut tree, node, opts, owned);
        self.sync_max(&tree);
    }

    /// Starts a live period on `node`'s entry (no scope live, write lock held): applies the
    /// options and remembers what to undo when the last scope leaves.
    fn start_period(
        &self,
        tree: &mut Tree,
        node: &Arc<Node>,
        opts: &ScopeOptions,
        owned: Vec<crate::handler::HandlerId>,
    ) {
        let saved_propagate = opts
            .propagate
            .map(|p| node.propagate.swap(p, Ordering::Relaxed));
        // The recorder needs the records it keeps to be made: the scope's level goes down to the
        // recorder's, and `normal` remembers which of them are emitted at once.
        let normal = opts
            .level
            .unwrap_or_else(|| LevelFilter::from_u8(node.effective.load(Ordering::Relaxed)));
        let level = match opts.recorder {
            Some(r) if r.level() > normal => Some(r.level()),
            _ => opts.level,
        };
        let saved_level = level.map(|_| node.own_level());
        if let Some(l) = level {
            self.set_level_locked(tree, node, Some(l));
        }
        let mut flags = 0;
        if opts.recorder.is_some() {
            flags |= crate::recorder::FLAG_RECORDER;
        }
        if opts.summary {
            flags |= crate::recorder::FLAG_SUMMARY;
        }
        if flags != 0 {
            *node.extras.write() = Some(Arc::new(crate::recorder::Extras::new(
                opts.recorder,
                normal,
            )));
            node.flags.store(flags, Ordering::Release);
        }
        let entry = tree
            .entries
            .get_mut(&*node.name)
            .expect("a starting scope keeps its entry");
        // Usually 0 before; more when scopes joined from inside the creator's own factory.
        entry.scopes += 1;
        entry.period = Some(Period {
            owned,
            saved_level,
            saved_propagate,
        });
    }

    /// How many live scopes share `node`'s entry.
    pub(crate) fn scope_count(&self, node: &Arc<Node>) -> usize {
        let tree = self.inner.tree.read();
        tree.entries.get(&*node.name).map_or(0, |e| e.scopes)
    }

    /// With `node.init()` held, after a handler factory failed: gives the reservation back.
    pub(crate) fn scope_abandon(&self, node: &Arc<Node>) {
        let released = {
            let mut tree = self.inner.tree.write();
            if let Some(entry) = tree.entries.get_mut(&*node.name) {
                entry.pending -= 1;
                entry.creator = None;
            }
            let released = self.release_if_unused(&mut tree, &node.name);
            self.sync_max(&tree);
            released
        };
        drop(released);
    }

    /// A scope ended. The last one out undoes its period: owned handlers detached, level and
    /// propagate restored, and the entry deleted unless something else keeps it. Returns the
    /// handlers to drop (and so close) once the caller no longer holds anything.
    pub(crate) fn scope_exit(&self, node: &Arc<Node>) -> Vec<Attached> {
        let mut tree = self.inner.tree.write();
        let Some(entry) = tree.entries.get_mut(&*node.name) else {
            return Vec::new();
        };
        if !entry.node.as_ref().is_some_and(|n| Arc::ptr_eq(n, node)) {
            return Vec::new();
        }
        entry.scopes -= 1;
        if entry.scopes > 0 {
            return Vec::new();
        }
        // The live period ends: its recorder and summary with it.
        node.flags.store(0, Ordering::Release);
        *node.extras.write() = None;
        let period = entry.period.take();
        let out = if let Some(released) = self.release_if_unused(&mut tree, &node.name) {
            released
        } else if let Some(p) = period {
            // The entry stays (persistent, or a scope is waiting to start a new period).
            let owned = p.owned;
            let mut taken = Vec::new();
            node.handlers_cell().rcu(|list| {
                let (mine, rest): (Vec<_>, Vec<_>) =
                    list.iter().cloned().partition(|a| owned.contains(&a.id));
                taken = mine;
                rest
            });
            if let Some(p) = p.saved_propagate {
                node.propagate.store(p, Ordering::Relaxed);
            }
            if let Some(level) = p.saved_level {
                self.set_level_locked(&mut tree, node, level);
            }
            taken
        } else {
            Vec::new()
        };
        self.sync_max(&tree);
        out
    }

    /// A handle for loggers whose registry is gone (only reachable in odd shutdown orders).
    pub(crate) fn detached_fallback() -> Registry {
        Registry::new()
    }
}

impl Drop for RegistryInner {
    fn drop(&mut self) {
        max_level::remove(LevelFilter::from_u8(self.max.load(Ordering::Relaxed)));
    }
}

/// Gives memory back once a map is mostly empty (a million scopes gone leave no million-slot
/// table behind), with room to spare so that churn around one size does not resize every time.
fn shrink_if_sparse<C: Shrink>(c: &mut C) {
    let (len, cap) = c.len_cap();
    if cap > 64 && len < cap / 8 {
        c.shrink(len * 2);
    }
}

trait Shrink {
    fn len_cap(&self) -> (usize, usize);
    fn shrink(&mut self, to: usize);
}

impl<K: std::hash::Hash + Eq, V, S: std::hash::BuildHasher> Shrink for HashMap<K, V, S> {
    fn len_cap(&self) -> (usize, usize) {
        (self.len(), self.capacity())
    }
    fn shrink(&mut self, to: usize) {
        self.shrink_to(to);
    }
}

impl<K: std::hash::Hash + Eq, S: std::hash::BuildHasher> Shrink for HashSet<K, S> {
    fn len_cap(&self) -> (usize, usize) {
        (self.len(), self.capacity())
    }
    fn shrink(&mut self, to: usize) {
        self.shrink_to(to);
    }
}

/// Loggers reachable from `name`'s children through placeholders only (Python's
/// `PlaceHolder.loggerMap`): the ones whose parent link is `name`'s logger or would be.
fn logger_frontier(tree: &Tree, name: &str, out: &mut Vec<Arc<Node>>) {
    let Some(entry) = tree.entries.get(name) else {
        return;
    };
    for c in &entry.children {
        match tree.entries.get(&**c) {
            Some(Entry { node: Some(n), .. }) => out.push(n.clone()),
            Some(_) => logger_frontier(tree, c, out),
            None => {}
        }
    }
}

/// Sets the effective level of `name` (from its own level, else `inherited`) and of every
/// descendant that inherits it.
fn push_down(tree: &mut Tree, name: &str, inherited: LevelFilter) {
    let mut stack: Vec<(Arc<str>, LevelFilter)> = Vec::new();
    let start: Arc<str> = match tree.entries.get_key_value(name) {
        Some((k, _)) => k.clone(),
        None => return,
    };
    stack.push((start, inherited));
    while let Some((name, inherited)) = stack.pop() {
        let Some(entry) = tree.entries.get(&*name) else {
            continue;
        };
        let eff = match &entry.node {
            Some(node) => {
                let eff = node.own_level().unwrap_or(inherited);
                let old = node.effective.swap(eff as u8, Ordering::Relaxed);
                if old != DETACHED && old != eff as u8 {
                    tree.hist[old as usize] -= 1;
                    tree.hist[eff as usize] += 1;
                }
                eff
            }
            None => inherited,
        };
        for c in &entry.children {
            stack.push((c.clone(), eff));
        }
    }
}

fn parse_directives(text: &str) -> Result<Vec<(Option<String>, LevelFilter)>, ConfigError> {
    let mut out = Vec::new();
    for (index, raw) in text.split(',').enumerate() {
        let d = raw.trim();
        if d.is_empty() {
            continue;
        }
        let err = |reason: String| ConfigError {
            directive: d.to_owned(),
            index,
            reason,
        };
        if d.contains('/') {
            return Err(err(
                "regex filters (`/...`) are not supported: give logger names and levels only"
                    .into(),
            ));
        }
        let (name, level) = match d.split_once('=') {
            Some((n, l)) => {
                let level = l.parse::<LevelFilter>().map_err(|e| err(e.to_string()))?;
                (Some(n.trim()), level)
            }
            None => match d.parse::<LevelFilter>() {
                Ok(level) => (None, level),
                Err(_) => (Some(d), LevelFilter::Trace),
            },
        };
        let name = match name {
            Some(n) => {
                let norm = name::normalize(n).map_err(|e| err(e.to_string()))?;
                if name::is_relative(&norm) {
                    return Err(err("directives take absolute logger names".into()));
                }
                if norm.is_empty() {
                    None
                } else {
                    Some(norm.into_owned())
                }
            }
            None => None,
        };
        out.push((name, level));
    }
    Ok(out)
}

/// The process-wide maximum effective level over every registry: the first (and, when a level is
/// disabled everywhere, the only) check a logging macro makes.
pub(crate) mod max_level {
    use super::*;

    static MAX: AtomicU8 = AtomicU8::new(0);
    static HIST: Mutex<[usize; 6]> = parking_lot::const_mutex([0; 6]);
    static HOOK: std::sync::OnceLock<fn(LevelFilter)> = std::sync::OnceLock::new();

    #[inline]
    pub(crate) fn get() -> u8 {
        MAX.load(Ordering::Relaxed)
    }

    /// Called (with the new maximum) whenever it changes; the `log` bridge keeps
    /// `log::max_level` in step with it.
    #[cfg(feature = "log")]
    pub(crate) fn set_hook(hook: fn(LevelFilter)) {
        let _ = HOOK.set(hook);
        hook(LevelFilter::from_u8(get()));
    }

    fn publish(hist: &[usize; 6]) {
        let top = hist.iter().rposition(|&n| n > 0).unwrap_or(0) as u8;
        if MAX.swap(top, Ordering::Relaxed) != top
            && let Some(h) = HOOK.get()
        {
            h(LevelFilter::from_u8(top));
        }
    }

    pub(super) fn add(level: LevelFilter) {
        let mut h = HIST.lock();
        h[level as usize] += 1;
        publish(&h);
    }

    pub(super) fn remove(level: LevelFilter) {
        let mut h = HIST.lock();
        h[level as usize] -= 1;
        publish(&h);
    }

    pub(super) fn change(old: LevelFilter, new: LevelFilter) {
        let mut h = HIST.lock();
        h[old as usize] -= 1;
        h[new as usize] += 1;
        publish(&h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_parse_and_reject() {
        let d = parse_directives("warn, a::b=debug ,c").unwrap();
        assert_eq!(
            d,
            vec![
                (None, LevelFilter::Warn),
                (Some("a.b".into()), LevelFilter::Debug),
                (Some("c".into()), LevelFilter::Trace)
            ]
        );
        let e = parse_directives("info,x=nope").unwrap_err();
        assert_eq!(e.directive(), "x=nope");
        assert!(e.to_string().contains("directive 2"), "{e}");
        assert!(parse_directives("a..b=info").is_err());
        assert!(parse_directives("x/foo").is_err());
    }
}
