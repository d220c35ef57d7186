//! [`Registry`]: the tree of loggers and placeholders, Python's `Manager` minus its leak, built
//! so that tasks on many cores do not serialize on it.
//!
//! The entries live in a concurrent map with lock-free reads ([`entries`]); each name has its
//! own state lock, taken only by operations on that name ([`period`]). Levels are resolved
//! lazily against a level epoch: a change moves the epoch instead of pushing the new level down
//! to every descendant, so it costs the same with a million scopes below as with none. No lock
//! of the tree is ever held while a handler, a factory or an observer runs.

use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Weak};
use std::time::{Duration, Instant};

mod children;
mod current;
mod directives;
mod dispatch;
mod entries;
mod logger;
mod node;
pub(crate) mod period;
mod stats;

pub(crate) use current::{
    Current, FrameContext, FrameGuard, Marked, current_context, current_fields, current_if_enabled,
    pop, push, thread_label, thread_number,
};
pub use current::{current, current_scope};
#[allow(deprecated)]
pub use directives::DirectiveError;
use directives::DirectiveSet;
pub(crate) use directives::Origin;
pub(crate) use directives::parse_lenient as parse_directives_lenient;
pub use logger::Logger;
pub(crate) use node::{NAMED, Node};
pub use stats::{KindStats, Stats};

use crate::gate::{DEFAULT_ROOT_LEVEL, Levels};
use crate::level::LevelFilter;
use crate::name::{self, NameError};
use crate::striped::Padded;
use entries::Entries;

/// The epochs that caches are checked against.
pub(crate) struct Epochs {
    /// Moves when a level changes on a logger that has entries below it.
    pub(crate) level: Padded<AtomicU64>,
    /// Moves when an entry with entries below it becomes, or stops being, a logger: the
    /// nearest logger above those entries changed.
    pub(crate) structure: Padded<AtomicU64>,
}

/// What every node of a registry reads: reached without a reference count for the global
/// registry, through one shared `Arc` for a local one.
pub(crate) struct Shared {
    pub(crate) epochs: Epochs,
    /// The named directives in force (`hyper=warn`): while there are none, a library's record
    /// inside a scope is not looked up. Replaced whole under `directives_lock`.
    directives: arc_swap::ArcSwap<DirectiveSet>,
    directives_lock: parking_lot::Mutex<()>,
    levels: Levels,
    pub(crate) inner: Weak<RegistryInner>,
}

impl Shared {
    pub(crate) fn levels(&self) -> &Levels {
        &self.levels
    }

    /// The named directives in force now.
    #[inline]
    pub(crate) fn directive_set(&self) -> arc_swap::Guard<Arc<DirectiveSet>> {
        self.directives.load()
    }

    /// Replaces `origin`'s named directives with `with`, in one step: every logger and live
    /// scope resolves its level again on its next record (the level epoch moves, O(1) however
    /// many live below). The new levels are counted in the gate before the swap and the old
    /// ones let go after it, so the gate never dips below a level in force.
    pub(crate) fn replace_directives(
        &self,
        origin: Origin,
        with: impl IntoIterator<Item = (String, LevelFilter)>,
    ) {
        let _serial = self.directives_lock.lock();
        let old = self.directives.load_full();
        let new = Arc::new(old.replacing(origin, with));
        for l in new.levels() {
            self.levels.changed(None, Some(l));
        }
        self.directives.store(new);
        self.epochs.level.fetch_add(1, Ordering::SeqCst);
        for l in old.levels() {
            self.levels.changed(Some(l), None);
        }
    }
}

pub(crate) struct RegistryInner {
    pub(crate) entries: Entries,
    shared: Arc<Shared>,
    global: bool,
    /// The clock of slow and stuck tasks and of the replay budget (`None`: the system's).
    pub(crate) clock: arc_swap::ArcSwapOption<Box<dyn crate::clock::TaskClock>>,
    /// How many records this registry's scopes may replay per second.
    pub(crate) budget: crate::budget::ReplayBudget,
}

impl RegistryInner {
    /// The registry's task clock, to keep with a timed scope.
    pub(crate) fn clock(&self) -> crate::clock::Clock {
        match &*self.clock.load() {
            None => crate::clock::Clock::default(),
            Some(c) => crate::clock::Clock::new(c.clone()),
        }
    }

    /// The named directive covering `name` (a target such as `hyper::proto`: `::` is read as
    /// `.`), which decides for a library's records inside a scope too. `None` at once while no
    /// directive names a logger.
    #[cfg(any(feature = "log", feature = "tracing"))]
    pub(crate) fn directive_for(&self, name: &str) -> Option<LevelFilter> {
        let set = self.shared.directive_set();
        if set.is_empty() {
            return None;
        }
        if !name.contains(':') {
            return set.covering(name);
        }
        // Written with dots into a per-thread buffer, so that a record on this path allocates
        // nothing. A name that is not valid matches no directive (every directive's name was
        // checked when it was parsed).
        thread_local! {
            static DOTTED: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        let dotted = |out: &mut String| {
            out.clear();
            for (i, seg) in name.split("::").enumerate() {
                if i > 0 {
                    out.push('.');
                }
                out.push_str(seg);
            }
        };
        DOTTED
            .try_with(|cell| match cell.try_borrow_mut() {
                Ok(mut buf) => {
                    dotted(&mut buf);
                    set.covering(&buf)
                }
                Err(_) => {
                    let mut own = String::new();
                    dotted(&mut own);
                    set.covering(&own)
                }
            })
            .ok()
            .flatten()
    }

    /// What the directives allow for records of `name` (normalized; a [verdict](Node::verdict)):
    /// the covering named directive, else the root's level. For records that carry none.
    pub(crate) fn verdict_for(&self, name: &str) -> u8 {
        match self.shared.directive_set().covering(name) {
            Some(d) => d as u8 | node::NAMED,
            None => self.entries.root.own_level.load(Ordering::SeqCst),
        }
    }

    #[cfg(feature = "config")]
    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    pub(crate) fn shared_epochs(&self) -> &Epochs {
        &self.shared.epochs
    }

    /// The `home` of this registry's nodes: `None` for the global one.
    pub(crate) fn home(&self) -> Option<Arc<Shared>> {
        (!self.global).then(|| self.shared.clone())
    }

    /// Gets or makes the persistent logger `name` (normalized, absolute, not the root). An
    /// existing persistent logger is found without taking any lock.
    pub(crate) fn persistent(&self, name: &str) -> Logger {
        let home = self.home();
        loop {
            let guard = self.entries.guard();
            let node = self.entries.entry(name, &home, &guard);
            if node.persistent.load(Ordering::Acquire) {
                let logger = Logger::from_node(node.clone());
                if logger.is_live() {
                    return logger;
                }
            }
            let mut st = node.state.lock();
            if node.is_dead() {
                continue;
            }
            node.persistent.store(true, Ordering::Release);
            if !node.is_logger() {
                period::become_logger(node, &mut st);
            }
            return Logger::from_node(node.clone());
        }
    }
}

/// A registry's nodes, or the global one, reached from a node.
pub(crate) enum InnerRef {
    Static(&'static RegistryInner),
    Arc(Arc<RegistryInner>),
}

impl Deref for InnerRef {
    type Target = RegistryInner;
    fn deref(&self) -> &RegistryInner {
        match self {
            InnerRef::Static(r) => r,
            InnerRef::Arc(r) => r,
        }
    }
}

static GLOBAL: LazyLock<Registry> = LazyLock::new(|| Registry::make(true));

pub(crate) fn global_inner() -> &'static RegistryInner {
    &GLOBAL.inner
}

pub(crate) fn global_shared() -> &'static Shared {
    &GLOBAL.inner.shared
}

/// A tree of loggers. [`Registry::global`] is the process-wide one; [`Registry::new`] makes an
/// isolated tree (tests, tenants). Cloning gives another handle on the same tree.
///
/// Every method may be called from any number of threads at once. What an operation did once it
/// has returned (an `enter`, a guard's drop, `logger`, `remove`) is seen by every `get`,
/// `contains`, `len`, `node_count` and `names` that starts after it; counts taken while the tree
/// changes are not one snapshot.
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

impl Registry {
    /// A new, isolated tree with only a root (level `Warn`).
    pub fn new() -> Registry {
        Registry::make(false)
    }

    fn make(global: bool) -> Registry {
        let inner = Arc::new_cyclic(|weak: &Weak<RegistryInner>| {
            let shared = Arc::new(Shared {
                epochs: Epochs {
                    level: Padded(AtomicU64::new(0)),
                    structure: Padded(AtomicU64::new(0)),
                },
                levels: Levels::new(DEFAULT_ROOT_LEVEL, global),
                directives: arc_swap::ArcSwap::from_pointee(DirectiveSet::default()),
                directives_lock: parking_lot::Mutex::new(()),
                inner: weak.clone(),
            });
            let home = (!global).then(|| shared.clone());
            let root = Arc::new(Node::new(Arc::from(""), home, node::LOGGER, None));
            root.own_level
                .store(DEFAULT_ROOT_LEVEL as u8, Ordering::SeqCst);
            root.persistent.store(true, Ordering::Relaxed);
            root.state.lock().configured = Some(DEFAULT_ROOT_LEVEL);
            root.state.lock().live = true;
            RegistryInner {
                clock: arc_swap::ArcSwapOption::const_empty(),
                budget: crate::budget::ReplayBudget::default(),
                entries: Entries::new(root),
                shared,
                global,
            }
        });
        Registry { inner }
    }

    /// The process-wide registry that [`logger`](crate::logger), the macros and the bridges use.
    pub fn global() -> &'static Registry {
        &GLOBAL
    }

    /// Whether two handles refer to the same tree.
    pub fn ptr_eq(&self, other: &Registry) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The root logger (named `"root"`).
    pub fn root(&self) -> Logger {
        Logger::from_node(self.inner.entries.root.clone())
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
    /// Time is linear in the name's length; a name of more than
    /// [`MAX_SEGMENTS`](crate::name::MAX_SEGMENTS) segments is refused.
    pub fn try_logger(&self, name: &str) -> Result<Logger, NameError> {
        let name = self.absolute(name)?;
        if name.is_empty() {
            return Ok(self.root());
        }
        Ok(self.inner.persistent(&name))
    }

    /// The logger `name` if it exists (placeholders are not loggers). Never creates anything.
    pub fn get(&self, name: &str) -> Option<Logger> {
        let name = self.absolute(name).ok()?;
        if name.is_empty() {
            return Some(self.root());
        }
        let guard = self.inner.entries.guard();
        let node = self.inner.entries.get(&name, &guard)?;
        let logger = Logger::from_node(node.clone());
        logger.is_live().then_some(logger)
    }

    /// Whether a logger (not a placeholder) named `name` exists.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Loggers alive, the root excluded. Walks the tree: O(entries).
    pub fn len(&self) -> usize {
        let guard = self.inner.entries.guard();
        self.inner
            .entries
            .iter(&guard)
            .filter(|n| n.is_logger())
            .count()
    }

    /// Whether only the root is alive.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Loggers plus placeholders (ancestors that are not loggers), the root excluded: the leak
    /// gauge. It returns to where it was when every scope has ended. Walks the tree:
    /// O(entries); [`Stats::entries`] also gives the size of the map itself.
    pub fn node_count(&self) -> usize {
        self.inner.entries.visible_len().1
    }

    /// The sorted names of live loggers (the root excluded).
    pub fn names(&self) -> Vec<String> {
        let guard = self.inner.entries.guard();
        let mut names: Vec<String> = self
            .inner
            .entries
            .iter(&guard)
            .filter(|n| n.is_logger())
            .map(|n| n.name.to_string())
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
        let entries = &self.inner.entries;
        let guard = entries.guard();
        let Some(node) = entries.get(&name, &guard) else {
            return false;
        };
        let mut st = node.state.lock();
        if !node.is_logger() || !node.persistent.load(Ordering::Acquire) {
            return false;
        }
        node.persistent.store(false, Ordering::Release);
        let mut released = Vec::new();
        let mut dead = false;
        if st.scopes == 0 && !st.live && st.busy.is_none() {
            released = period::retire(node, &mut st);
            dead = node.is_dead();
        }
        drop(st);
        if dead {
            entries.unlink(node, &guard);
        }
        drop(guard);
        drop(released); // closes handlers, outside every lock
        true
    }

    /// Applies env_logger-style directives: `warn,jobs=debug,jobs.db=off`. The operator's word:
    /// levels set in code are the program's defaults, which these override.
    ///
    /// * `name=level` sets the level of that logger and of everything below it, and overrides
    ///   the levels set in code there (`Logger::set_level`, a scope's own level, the attribute's
    ///   `level`) for as long as it is in force, live scopes included; the deepest directive
    ///   covering a name decides. A bare name means `trace`. The logger is made (persistent) if
    ///   missing.
    /// * A bare level is the root's level: the default of every name no named directive
    ///   covers, which code may set otherwise below the root. The root has one level: this and
    ///   `root().set_level` both write it, the later wins.
    ///
    /// Each call replaces the named directives of the previous call as a whole, in one step (a
    /// logger the new list no longer names gets its level from code again); those of a
    /// configuration file stay, unless the list names the same logger. Nothing is applied
    /// unless every directive is valid. A `set_level` on a logger that a directive covers is
    /// kept, and takes effect when the directive goes.
    ///
    /// ```
    /// use scoped_logger::LevelFilter;
    /// let reg = scoped_logger::Registry::new();
    /// reg.configure("info,jobs=debug,jobs::db=off").unwrap();
    /// assert_eq!(reg.logger("jobs.db").effective_level(), LevelFilter::Off);
    /// // Code cannot turn a logger up past the operator's directive...
    /// reg.logger("jobs.db").set_level(LevelFilter::Trace);
    /// assert_eq!(reg.logger("jobs.db").effective_level(), LevelFilter::Off);
    /// // ...until the directive goes: then the level set in code holds.
    /// reg.configure("info").unwrap();
    /// assert_eq!(reg.logger("jobs.db").effective_level(), LevelFilter::Trace);
    /// let err = reg.configure("info,jobs=loud").unwrap_err();
    /// assert!(err.to_string().contains("`jobs=loud`"));
    /// ```
    pub fn configure(&self, directives: &str) -> Result<(), DirectiveError> {
        let parsed = directives::parse(directives)?;
        let mut bare = None;
        let mut named = Vec::new();
        for (name, level) in parsed {
            match name {
                None => bare = Some(level),
                Some(n) => named.push((n, level)),
            }
        }
        for (n, _) in &named {
            self.logger(n);
        }
        self.inner
            .shared
            .replace_directives(Origin::Configure, named);
        if let Some(level) = bare {
            self.root().set_level(level);
        }
        Ok(())
    }

    /// Flushes and closes every handler in the tree, giving up at `deadline` from now in total,
    /// however many handlers there are and whatever their `flush`/`close` do. Loggers stay; they
    /// have no handlers afterwards (records go to the last-resort handler). Returns `true` when
    /// everything was written out in time; `false` means something was left, and what (each
    /// handler by kind and target) is reported on stderr.
    ///
    /// * The handlers are flushed and closed on helper threads, so a handler whose `flush` or
    ///   `close` sleeps costs this call no more than the deadline. A helper stuck in one stays
    ///   with it (at most 32 helpers per call) and closes it when the call returns.
    /// * Each handler is flushed once; `close` follows without a second flush.
    /// * A handler still inside `handle` on another thread is not closed under it: the last
    ///   call to leave it closes it (giving up at once when the deadline has passed). A shared
    ///   handler also attached in another registry stays open until that one lets go.
    /// * A handler attached while the shutdown runs (after it took the lists) is not part of
    ///   it: it stays attached and open, like one attached after the call returned.
    pub fn shutdown(&self, deadline: Duration) -> bool {
        let end = Instant::now() + deadline;
        let mut closers: Vec<Arc<crate::handler::Closer>> = Vec::new();
        {
            let entries = &self.inner.entries;
            let guard = entries.guard();
            for n in std::iter::once(&entries.root).chain(entries.iter(&guard)) {
                closers.extend(n.take_handlers().into_iter().map(|a| a.closer));
            }
        }
        // A shared handler attached to several loggers is flushed and released once.
        let mut seen = std::collections::HashSet::new();
        closers.retain(|c| seen.insert(Arc::as_ptr(c) as usize));
        let left = crate::handler::release_all(closers, end);
        if !left.names.is_empty() {
            crate::handler::last_resort::warn(format_args!(
                "shutdown: {} handler(s) not flushed and closed by the deadline: {}",
                left.names.len(),
                left.names.join(", ")
            ));
        }
        // The final count of reports that were held back, then the library's own voice out.
        crate::handler::last_resort::report_suppressed();
        let stderr_written = crate::handler::last_resort::flush_last_resort(end);
        left.names.is_empty() && stderr_written
    }

    /// Normalizes `name` and resolves a relative one against the current scope.
    pub(crate) fn absolute(&self, name: &str) -> Result<String, NameError> {
        let norm = name::normalize(name)?;
        let full = if name::is_relative(&norm) {
            let base = current::current_name();
            name::resolve(&base, &norm).into_owned()
        } else {
            norm.into_owned()
        };
        name::check_depth(name, &full)?;
        Ok(full)
    }
}
