//! A name's live period: from the first scope that enters it to the last one that leaves.
//! Same-name scopes share one period (one set of handlers, one level, one observer).
//!
//! Entering reserves the entry under its state lock and either joins the live period, starts
//! one, or (with handler factories) makes this thread the entry's creator: other threads wait
//! for it on the entry's init lock; the creator's own thread joins at once. Leaving is two
//! phases (tracing-subscriber's `CloseGuard`): the last scope out decides so and takes the
//! period under the lock ([`leave`]); the scope runs its observer's end with no lock held,
//! while a same-name scope from another thread waits; then [`Closing::finish`] undoes the
//! period and deletes the entry unless something keeps it.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use parking_lot::{ArcMutexGuard, RawMutex};

use super::RegistryInner;
use super::logger::Logger;
use super::node::{LOGGER, Node, PLACEHOLDER, State};
use crate::handler::{Attached, Closer, Handler, HandlerId};
use crate::level::LevelFilter;
use crate::record::Record;

/// What plugs into a period from above (the flight recorder and the summary): the tree calls
/// these two and knows nothing else of it. What the scope itself asks of it at the end of a
/// task lives with the scope, which recovers its own type through `Any`.
pub(crate) trait Observer: std::any::Any + Send + Sync {
    /// The period starts; `normal` is the level its records would be made at. Returns a more
    /// verbose level the observer needs them made at, if any.
    fn begin(&self, normal: LevelFilter) -> Option<LevelFilter>;
    /// Sees every record through the node while the period is live (`origin`: logged on it,
    /// not on a descendant). Returns `true` when it kept the record, which then goes no further.
    fn observe(&self, record: &Record<'_>, origin: bool) -> bool;
}

/// What a scope asks its period for.
#[derive(Clone, Default)]
pub(crate) struct Setup {
    pub(crate) level: Option<LevelFilter>,
    pub(crate) propagate: Option<bool>,
    pub(crate) observer: Option<Arc<dyn Observer>>,
}

/// What a live period set up beyond "it is live", to undo when it ends. A period of a plain
/// scope has none of it and allocates nothing.
pub(crate) struct Period {
    owned: Vec<HandlerId>,
    level: Option<LevelFilter>,
    propagate: Option<bool>,
    observer: Option<Arc<dyn Observer>>,
}

impl Period {
    /// The scope's own level, if it set one.
    pub(crate) fn level(&self) -> Option<LevelFilter> {
        self.level
    }

    /// The scope's own propagate flag, if it set one.
    pub(crate) fn propagate(&self) -> Option<bool> {
        self.propagate
    }
}

/// The init lock held by a creator or a closer.
pub(crate) type InitGuard = ArcMutexGuard<RawMutex, ()>;

/// What [`reserve`] did.
pub(crate) enum Reserved {
    /// The scope is live: joined, or started by this call.
    Live(Logger),
    /// The caller makes the handlers, then calls [`start`] (or [`abandon`]).
    Create(Arc<Node>, InitGuard),
}

fn this_thread() -> std::thread::ThreadId {
    std::thread::current().id()
}

/// Enters or reserves the scope `name` (normalized, absolute, not the root).
pub(crate) fn reserve(
    inner: &RegistryInner,
    name: &str,
    setup: &Setup,
    factories: bool,
) -> Reserved {
    let home = inner.home();
    loop {
        let guard = inner.entries.guard();
        let node = inner.entries.entry(name, &home, &guard);
        let mut st = node.state.lock();
        if node.is_dead() {
            continue;
        }
        match st.busy {
            // Entered from inside this entry's own handler factory (or its closing): waiting
            // would wait for ourselves. Join now, without a period: records logged meanwhile go
            // to the ancestors' handlers, and other threads still wait.
            Some(t) if t == this_thread() => {
                st.scopes += 1;
                return Reserved::Live(Logger::from_node(node.clone()));
            }
            Some(_) => {
                let init = node.init().clone();
                drop(st);
                drop(guard);
                drop(init.lock());
                continue;
            }
            None => {}
        }
        if st.live {
            st.scopes += 1;
            return Reserved::Live(Logger::from_node(node.clone()));
        }
        if !factories {
            start_period(node, &mut st, setup, Vec::new());
            st.scopes += 1;
            return Reserved::Live(Logger::from_node(node.clone()));
        }
        st.busy = Some(this_thread());
        // Free: only a busy thread holds it, and there was none.
        let init = parking_lot::Mutex::lock_arc(node.init());
        return Reserved::Create(node.clone(), init);
    }
}

/// Joins the live period `logger` belongs to, as one more scope of it (a [`Context`] carried
/// into a child task keeps the task's handlers open until it ends). `false` when that period
/// is over (the handle is detached), or is being made or closed: nothing was joined then.
///
/// [`Context`]: crate::Context
pub(crate) fn join_live(logger: &Logger) -> bool {
    let node = &logger.node;
    if node.is_root() {
        return false;
    }
    let mut st = node.state.lock();
    if !logger.is_live() || !st.live || st.busy.is_some() {
        return false;
    }
    st.scopes += 1;
    true
}

/// The creator's factories succeeded: attaches the handlers and starts the period.
pub(crate) fn start(
    node: &Arc<Node>,
    init: InitGuard,
    setup: &Setup,
    handlers: Vec<Arc<dyn Handler>>,
) -> Logger {
    let mut st = node.state.lock();
    st.busy = None;
    if node.kind.load(Ordering::Acquire) != LOGGER {
        become_logger(node, &mut st);
    }
    let mut owned = Vec::with_capacity(handlers.len());
    if !handlers.is_empty() {
        let attached: Vec<Attached> = handlers
            .into_iter()
            .map(|h| Attached {
                id: HandlerId::next(),
                closer: Closer::owned(h),
            })
            .collect();
        owned.extend(attached.iter().map(|a| a.id));
        node.handlers_cell().rcu(|list| {
            let mut list = Vec::clone(list);
            list.extend(attached.iter().cloned());
            list
        });
    }
    start_period(node, &mut st, setup, owned);
    st.scopes += 1;
    drop(st);
    drop(init);
    Logger::from_node(node.clone())
}

/// A handler factory failed: gives the reservation back (the handlers already made are the
/// caller's to close).
pub(crate) fn abandon(inner: &RegistryInner, node: &Arc<Node>, init: InitGuard) {
    let mut st = node.state.lock();
    st.busy = None;
    let (released, dead) = if st.scopes == 0 && !st.live {
        undo(node, &mut st, None)
    } else {
        (Vec::new(), false)
    };
    drop(st);
    drop(init);
    if dead {
        let guard = inner.entries.guard();
        inner.entries.unlink(node, &guard);
    }
    drop(released);
}

/// Starts a live period (no scope live, state lock held): applies the options and remembers
/// what to undo.
fn start_period(node: &Node, st: &mut State, setup: &Setup, owned: Vec<HandlerId>) {
    if node.kind.load(Ordering::Acquire) != LOGGER {
        become_logger(node, st);
    }
    st.live = true;
    if setup.level.is_none()
        && setup.propagate.is_none()
        && setup.observer.is_none()
        && owned.is_empty()
    {
        return;
    }
    // The observer (a flight recorder) may need records made below the scope's level.
    let normal = setup
        .level
        .unwrap_or_else(|| LevelFilter::from_u8(node.effective()));
    let level = match setup.observer.as_ref().and_then(|o| o.begin(normal)) {
        Some(wanted) if wanted > normal => Some(wanted),
        _ => setup.level,
    };
    if let Some(p) = setup.propagate {
        node.propagate.store(p, Ordering::Relaxed);
    }
    if let Some(l) = level {
        node.store_own_level(Some(l));
    }
    node.set_observer(setup.observer.clone());
    st.period = Some(Box::new(Period {
        owned,
        level,
        propagate: setup.propagate,
        observer: setup.observer.clone(),
    }));
}

/// A placeholder (or a fresh entry) becomes a logger: a new generation, its configured level
/// and propagate. Loggers below that pointed past it now reach it (the structure epoch moves).
pub(crate) fn become_logger(node: &Node, st: &mut State) {
    node.generation.fetch_add(1, Ordering::SeqCst);
    node.kind.store(LOGGER, Ordering::SeqCst);
    node.propagate
        .store(st.configured_propagate, Ordering::Relaxed);
    node.store_own_level(st.configured);
    std::sync::atomic::fence(Ordering::SeqCst);
    if node.has_children() {
        node.shared()
            .epochs
            .structure
            .fetch_add(1, Ordering::SeqCst);
    }
}

/// A logger stops being one (removed, or its last scope ended): every handle on it is detached,
/// its handlers are taken (to be closed by the caller, outside any lock), and it becomes a
/// placeholder if entries live below it, else dead (the caller unlinks it).
pub(crate) fn retire(node: &Node, st: &mut State) -> Vec<Attached> {
    node.set_observer(None);
    node.generation.fetch_add(1, Ordering::SeqCst);
    st.configured = None;
    st.configured_propagate = true;
    node.store_own_level(None);
    node.propagate.store(true, Ordering::Relaxed);
    let taken = node.take_handlers();
    if node.close_children() {
        node.kind.store(super::node::DEAD, Ordering::SeqCst);
    } else {
        node.kind.store(PLACEHOLDER, Ordering::SeqCst);
        node.shared()
            .epochs
            .structure
            .fetch_add(1, Ordering::SeqCst);
    }
    taken
}

/// A scope of `node` ended. `None`: other scopes of the name are still live (or a thread busy
/// with the entry will finish it). Otherwise the period is taken (and its observer stopped):
/// run its end, then [`Closing::finish`]. A period without an observer is undone here, under
/// the same lock, so that no new period can see its handlers.
pub(crate) fn leave(node: &Arc<Node>) -> Option<Closing> {
    let mut st = node.state.lock();
    st.scopes = st.scopes.saturating_sub(1);
    if st.scopes > 0 || st.busy.is_some() {
        return None;
    }
    st.live = false;
    let period = st.period.take();
    node.set_observer(None);
    if period.as_ref().is_some_and(|p| p.observer.is_some()) {
        st.busy = Some(this_thread());
        let init = parking_lot::Mutex::lock_arc(node.init());
        return Some(Closing {
            node: node.clone(),
            period,
            init: Some(init),
            undone: None,
        });
    }
    let undone = undo(node, &mut st, period);
    Some(Closing {
        node: node.clone(),
        period: None,
        init: None,
        undone: Some(undone),
    })
}

/// Undoes `period` (state lock held): owned handlers detached, level and propagate back to
/// what is configured now, and the logger retired unless a persistent logger or a live scope
/// keeps it. Returns the handlers to drop and whether the entry is to be unlinked.
fn undo(node: &Node, st: &mut State, period: Option<Box<Period>>) -> (Vec<Attached>, bool) {
    let mut taken = Vec::new();
    if let Some(p) = period {
        if !p.owned.is_empty() {
            node.handlers_cell().rcu(|list| {
                let (mine, rest): (Vec<_>, Vec<_>) =
                    list.iter().cloned().partition(|a| p.owned.contains(&a.id));
                taken = mine;
                rest
            });
        }
        if p.propagate.is_some() {
            node.propagate
                .store(st.configured_propagate, Ordering::Relaxed);
        }
        if p.level.is_some() && !st.live {
            node.store_own_level(st.configured);
        }
    }
    let unused = st.scopes == 0 && !st.live && !node.persistent.load(Ordering::Relaxed);
    let mut dead = false;
    if unused {
        if node.kind.load(Ordering::Acquire) == LOGGER {
            taken.extend(retire(node, st));
            dead = node.is_dead();
        } else if node.close_children() {
            node.kind.store(super::node::DEAD, Ordering::SeqCst);
            dead = true;
        }
    }
    (taken, dead)
}

/// The last scope of a period is on its way out; see [`leave`]. Dropping it finishes it.
#[must_use]
pub(crate) struct Closing {
    node: Arc<Node>,
    period: Option<Box<Period>>,
    init: Option<InitGuard>,
    /// Set when [`leave`] already undid the period: the handlers to drop, and whether the
    /// entry is to be unlinked.
    undone: Option<(Vec<Attached>, bool)>,
}

impl Closing {
    /// The observer of the period that ends, if it had one.
    pub(crate) fn observer(&self) -> Option<&Arc<dyn Observer>> {
        self.period.as_ref()?.observer.as_ref()
    }

    /// Undoes the period if [`leave`] did not (owned handlers detached, level and propagate
    /// back to what is configured now) and deletes the entry unless a persistent logger, a live
    /// scope or a waiting one keeps it. Returns the handlers to drop, and so close, with no lock
    /// held.
    pub(crate) fn finish(mut self) -> Vec<Attached> {
        let inner = self.node.inner();
        let node = self.node.clone();
        let (taken, dead) = match self.undone.take() {
            Some(done) => done,
            None => {
                let mut st = node.state.lock();
                if self.init.is_some() {
                    st.busy = None;
                }
                let done = undo(&node, &mut st, self.period.take());
                drop(st);
                drop(self.init.take());
                done
            }
        };
        if dead && let Some(inner) = inner {
            let guard = inner.entries.guard();
            inner.entries.unlink(&node, &guard);
        }
        // Nothing left for `Drop` to do.
        self.undone = Some((Vec::new(), false));
        taken
    }
}

impl Drop for Closing {
    fn drop(&mut self) {
        let pending = match &self.undone {
            Some((taken, dead)) => !taken.is_empty() || *dead,
            None => true,
        };
        if pending {
            let rest = Closing {
                node: self.node.clone(),
                period: self.period.take(),
                init: self.init.take(),
                undone: self.undone.take(),
            };
            self.undone = Some((Vec::new(), false));
            drop(rest.finish());
        }
    }
}
