//! [`Node`]: one name's shared state (a logger, or a placeholder for a missing ancestor) and the
//! rules for reading it without a lock.
//!
//! What a log call reads is lock-free: the effective level is a cache validated against the
//! registry's level epoch, the handler list an `ArcSwap` snapshot. What a scope's enter and exit
//! write is the node's own memory, plus its parent's child count; never a counter every thread
//! shares. The per-node `state` lock is taken by the rare operations on one name (same-name
//! scopes, `logger`, `remove`, levels) and is never held while a handler or user code runs.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::ThreadId;

use arc_swap::ArcSwap;
use parking_lot::{Mutex, RwLock};

use super::children::ChildCount;
use super::period::{Observer, Period};
use super::{InnerRef, Shared};
use crate::handler::Attached;
use crate::level::LevelFilter;
use crate::name;

/// `Node::own_level` when the logger has no level of its own (Python's NOTSET).
pub(crate) const NOTSET: u8 = u8::MAX;

/// What a node is, in `Node::kind`.
pub(crate) const PLACEHOLDER: u8 = 0;
pub(crate) const LOGGER: u8 = 1;
/// Taken out of the map (or about to be): nothing may be added below it any more.
pub(crate) const DEAD: u8 = 2;

/// A level cache that never matches an epoch: the first read resolves it.
pub(crate) const UNRESOLVED: u64 = u64::MAX;

/// Set in a [verdict](Node::verdict) when a named directive decided it (not the root's level).
pub(crate) const NAMED: u8 = 0x80;

/// The handler list of a logger without handlers: one shared allocation instead of one per node.
pub(crate) fn no_handlers() -> Arc<Vec<Attached>> {
    static EMPTY: std::sync::LazyLock<Arc<Vec<Attached>>> =
        std::sync::LazyLock::new(Default::default);
    EMPTY.clone()
}

pub(crate) struct Node {
    pub(crate) name: Arc<str>,
    /// `None` for the global registry, reached through a static: its nodes never write to a
    /// reference count that every node shares.
    home: Option<Arc<Shared>>,
    /// `(level epoch << 16) | (verdict << 8) | effective level`, or [`UNRESOLVED`].
    level_cache: AtomicU64,
    /// The structure epoch at which the nearest logger above was last found to be the root.
    root_above: AtomicU64,
    /// Odd while the node is a logger, bumped on every change between logger and not: a
    /// [`Logger`](super::Logger) handle is live while the generation it was made in lasts.
    pub(crate) generation: AtomicU64,
    pub(crate) own_level: AtomicU8,
    pub(crate) propagate: AtomicBool,
    pub(crate) kind: AtomicU8,
    /// Made by `Registry::logger` (stays until `remove`). Written under `state`.
    pub(crate) persistent: AtomicBool,
    /// Set while the live period has an [`Observer`] (flight recorder, summary).
    pub(crate) observing: AtomicBool,
    /// Entries directly below this one in the map (loggers and placeholders alike), counted per
    /// thread. The root does not count its children: it is never pruned and its level changes
    /// always tell.
    children: ChildCount,
    /// Made when the first handler is attached: dropping an `ArcSwap` visits every thread's
    /// arc-swap slots, a cost that loggers without handlers (most task scopes) need not pay.
    handlers: OnceLock<ArcSwap<Vec<Attached>>>,
    pub(crate) state: Mutex<State>,
    /// What only scopes with handler factories or observers need.
    cold: OnceLock<Box<Cold>>,
}

/// What the per-node lock guards.
pub(crate) struct State {
    /// Live scopes sharing this entry.
    pub(crate) scopes: u32,
    /// A period of scopes is live (its extras, if any, in `period`).
    pub(crate) live: bool,
    /// The thread making this entry's handlers or closing its period (running user code),
    /// while one is: others wait on `Cold::init`; this thread itself joins at once.
    pub(crate) busy: Option<ThreadId>,
    /// The level set by `set_level`/`configure`/config files: kept apart from the levels of
    /// live scopes, it is what the logger has again when its scopes end.
    pub(crate) configured: Option<LevelFilter>,
    /// Likewise for `set_propagate`.
    pub(crate) configured_propagate: bool,
    /// What the live period of scopes set up.
    pub(crate) period: Option<Box<Period>>,
}

struct Cold {
    init: Arc<Mutex<()>>,
    observer: RwLock<Option<Arc<dyn Observer>>>,
}

impl Node {
    pub(crate) fn new(
        name: Arc<str>,
        home: Option<Arc<Shared>>,
        kind: u8,
        level_cache: Option<u64>,
    ) -> Node {
        Node {
            name,
            home,
            level_cache: AtomicU64::new(level_cache.unwrap_or(UNRESOLVED)),
            root_above: AtomicU64::new(UNRESOLVED),
            generation: AtomicU64::new(if kind == LOGGER { 1 } else { 0 }),
            own_level: AtomicU8::new(NOTSET),
            propagate: AtomicBool::new(true),
            kind: AtomicU8::new(kind),
            persistent: AtomicBool::new(false),
            observing: AtomicBool::new(false),
            children: ChildCount::new(),
            handlers: OnceLock::new(),
            state: Mutex::new(State {
                scopes: 0,
                live: false,
                busy: None,
                configured: None,
                configured_propagate: true,
                period: None,
            }),
            cold: OnceLock::new(),
        }
    }

    pub(crate) fn shared(&self) -> &Shared {
        match &self.home {
            Some(s) => s,
            None => super::global_shared(),
        }
    }

    /// The registry, unless it is gone (only a local registry can go).
    pub(crate) fn inner(&self) -> Option<InnerRef> {
        match &self.home {
            None => Some(InnerRef::Static(super::global_inner())),
            Some(s) => s.inner.upgrade().map(InnerRef::Arc),
        }
    }

    #[inline]
    pub(crate) fn is_logger(&self) -> bool {
        self.kind.load(Ordering::Acquire) == LOGGER
    }

    #[inline]
    pub(crate) fn is_dead(&self) -> bool {
        self.kind.load(Ordering::Acquire) == DEAD
    }

    pub(crate) fn is_root(&self) -> bool {
        self.name.is_empty()
    }

    pub(crate) fn own_level(&self) -> Option<LevelFilter> {
        match self.own_level.load(Ordering::SeqCst) {
            NOTSET => None,
            v => Some(LevelFilter::from_u8(v)),
        }
    }

    // ---- levels ----------------------------------------------------------------------------

    /// The cache word for the current epoch: `(level epoch << 16) | (verdict << 8) | effective`
    /// (see [`effective`](Self::effective) and [`verdict`](Self::verdict)), resolved again by
    /// walking up the names when the epoch moved since it was written.
    #[inline]
    fn word(&self) -> u64 {
        let epoch = self.shared().epochs.level.load(Ordering::Relaxed);
        let c = self.level_cache.load(Ordering::Relaxed);
        if c >> 16 == epoch {
            c
        } else {
            self.resolve_word(c)
        }
    }

    /// The effective level (a `LevelFilter` number): the named directive covering this name,
    /// else this logger's own level set in code, else the nearest ancestor's, else the root's.
    #[inline]
    pub(crate) fn effective(&self) -> u8 {
        self.word() as u8
    }

    /// What the operator's directives allow for this logger, for the handlers that follow them
    /// (`init`'s): the covering named directive's level with [`NAMED`] set, else the root's
    /// level. Cached with the effective level: a record reads it for one load.
    #[inline]
    pub(crate) fn verdict(&self) -> u8 {
        (self.word() >> 8) as u8
    }

    /// The cache word for the current epoch (what a new child below this node starts with).
    /// Sequentially consistent: it pairs with `store_own_level` (see `Entries::make`).
    pub(crate) fn level_word(&self) -> u64 {
        let c = self.level_cache.load(Ordering::SeqCst);
        let epoch = self.shared().epochs.level.load(Ordering::SeqCst);
        if c >> 16 == epoch {
            return c;
        }
        self.resolve_word(c)
    }

    #[cold]
    fn resolve_word(&self, seen: u64) -> u64 {
        // Read again in order: a directive set or a level stored before the epoch moved to
        // this value is seen by what follows.
        let epoch = self.shared().epochs.level.load(Ordering::SeqCst);
        let word = (epoch << 16) | u64::from(self.resolve());
        // Only if nobody wrote the cache meanwhile: a level change stores its own word, which a
        // resolution that read the old level must not overwrite.
        let _ = self
            .level_cache
            .compare_exchange(seen, word, Ordering::Relaxed, Ordering::Relaxed);
        word
    }

    /// `(verdict << 8) | effective`, from the directives and the levels set in code now.
    fn resolve(&self) -> u16 {
        let set = self.shared().directive_set();
        let (eff, verdict) = match set.covering(&self.name) {
            Some(d) => (d as u8, d as u8 | NAMED),
            None => {
                let eff = match self.own_level() {
                    Some(l) => l as u8,
                    None => self.inherited(),
                };
                (eff, self.root_level())
            }
        };
        (u16::from(verdict) << 8) | u16::from(eff)
    }

    /// The root's level (the bare directive, or what code set on the root).
    fn root_level(&self) -> u8 {
        if self.is_root() {
            return self.own_level.load(Ordering::SeqCst);
        }
        match self.inner() {
            Some(inner) => inner.entries.root.own_level.load(Ordering::SeqCst),
            None => LevelFilter::Off as u8,
        }
    }

    /// The level set in code on the nearest ancestor that has one (the root always has one).
    /// Only asked when no named directive covers this name, so none covers an ancestor either.
    pub(crate) fn inherited(&self) -> u8 {
        let Some(inner) = self.inner() else {
            return LevelFilter::Off as u8;
        };
        let guard = inner.entries.guard();
        let mut cur: &str = &self.name;
        while let Some(p) = name::parent_of(cur) {
            if p.is_empty() {
                break;
            }
            if let Some(n) = inner.entries.get(p, &guard)
                && n.is_logger()
                && let Some(l) = n.own_level()
            {
                return l as u8;
            }
            cur = p;
        }
        inner.entries.root.own_level.load(Ordering::SeqCst)
    }

    /// Writes this node's own level set in code (state lock held by the caller). When nodes
    /// below may read it, the registry's level epoch moves, so every cache below is resolved
    /// again on its next read: O(1) however many loggers live below. Otherwise only this node's
    /// cache is written, before the children are looked at: a child made meanwhile either is
    /// seen here (and the epoch moves) or reads the new word (see `Entries::entry`).
    pub(crate) fn store_own_level(&self, new: Option<LevelFilter>) {
        let raw = new.map_or(NOTSET, |l| l as u8);
        let old = self.own_level.swap(raw, Ordering::SeqCst);
        if old == raw {
            return;
        }
        let old = (old != NOTSET).then(|| LevelFilter::from_u8(old));
        let shared = self.shared();
        shared.levels().changed(old, new);
        let epoch = shared.epochs.level.load(Ordering::SeqCst);
        self.level_cache
            .store((epoch << 16) | u64::from(self.resolve()), Ordering::SeqCst);
        // Dekker's pattern with `ChildCount::add` (write, fence, read on both sides).
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.is_root() || self.has_children() {
            shared.epochs.level.fetch_add(1, Ordering::SeqCst);
        }
    }

    // ---- the structure ---------------------------------------------------------------------

    /// Counts a new entry below this one; `false` when this one is being removed.
    pub(crate) fn try_add_child(&self) -> bool {
        self.children.add()
    }

    /// An entry below this one went away.
    pub(crate) fn remove_child(&self) {
        self.children.remove()
    }

    pub(crate) fn has_children(&self) -> bool {
        self.children.any()
    }

    /// With no child left, closes the count so that no child can be added any more (state lock
    /// held).
    pub(crate) fn close_children(&self) -> bool {
        self.children.close()
    }

    /// The nearest logger above is the root, as of structure epoch `epoch`.
    pub(crate) fn root_above_at(&self, epoch: u64) -> bool {
        self.root_above.load(Ordering::Relaxed) == epoch
    }

    /// Remembers that the root is the nearest logger above (written only when it changes).
    pub(crate) fn set_root_above(&self, epoch: u64) {
        if self.root_above.load(Ordering::Relaxed) != epoch {
            self.root_above.store(epoch, Ordering::Relaxed);
        }
    }

    // ---- handlers and the cold part --------------------------------------------------------

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
    pub(crate) fn take_handlers(&self) -> Vec<Attached> {
        self.handlers
            .get()
            .map(|h| Arc::unwrap_or_clone(h.swap(no_handlers())))
            .unwrap_or_default()
    }

    fn cold(&self) -> &Cold {
        self.cold.get_or_init(|| {
            Box::new(Cold {
                init: Arc::default(),
                observer: RwLock::new(None),
            })
        })
    }

    /// The lock a busy thread (a creator, a closer) holds while it runs user code.
    pub(crate) fn init(&self) -> &Arc<Mutex<()>> {
        &self.cold().init
    }

    /// The live period's observer, if it has one.
    pub(crate) fn observer(&self) -> Option<Arc<dyn Observer>> {
        if !self.observing.load(Ordering::Acquire) {
            return None;
        }
        self.cold.get()?.observer.read().clone()
    }

    pub(crate) fn set_observer(&self, observer: Option<Arc<dyn Observer>>) {
        if observer.is_none() && self.cold.get().is_none() {
            return;
        }
        let on = observer.is_some();
        *self.cold().observer.write() = observer;
        self.observing.store(on, Ordering::Release);
    }
}
