//! The concurrent map of names to nodes, the placeholders that stand for missing ancestors, and
//! pruning: an ancestor placeholder left with no entry below it goes, so `node_count` returns to
//! where it was.
//!
//! Reads are lock-free (`papaya`, whose pins are per thread); an entry is added or removed with
//! one atomic compare-and-swap on its own slot. Each entry counts the entries directly below it;
//! a count that reaches zero is closed before the entry leaves the map, so a child being added
//! at that moment sees the close and makes a fresh entry instead of hanging off a removed one.
//! Nothing here runs a handler.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use papaya::LocalGuard;

use super::Shared;
use super::node::{DEAD, Node, PLACEHOLDER};
use crate::name;

/// Names come from users (templates over task arguments), so the map is seeded per registry
/// (foldhash's `RandomState`) rather than fixed; it hashes several times faster than SipHash.
type Hasher = foldhash::fast::RandomState;

pub(crate) struct Entries {
    map: papaya::HashMap<Arc<str>, Arc<Node>, Hasher>,
    /// Not in the map: it is always there, counts no children and is never pruned.
    pub(crate) root: Arc<Node>,
}

impl Entries {
    pub(crate) fn new(root: Arc<Node>) -> Entries {
        Entries {
            map: papaya::HashMap::builder().hasher(Hasher::default()).build(),
            root,
        }
    }

    /// A pin of this thread on the map: references read through it stay valid while it lives.
    /// It is not a lock: a removal elsewhere only waits to free memory until it is gone.
    pub(crate) fn guard(&self) -> LocalGuard<'_> {
        self.map.guard()
    }

    pub(crate) fn get<'g>(&self, name: &str, guard: &'g LocalGuard<'_>) -> Option<&'g Arc<Node>> {
        self.map.get(name, guard)
    }

    /// Entries in the map (loggers, placeholders, and empty placeholders waiting to be
    /// pruned), the root excluded.
    pub(crate) fn physical_len(&self) -> usize {
        self.map.len()
    }

    /// Loggers plus the placeholders that have a logger below them, the root excluded: what
    /// the tree holds for a reader, whatever empty placeholders wait to be pruned.
    pub(crate) fn visible_len(&self) -> (usize, usize) {
        let guard = self.guard();
        let mut loggers = 0;
        let mut all: std::collections::HashSet<&str, Hasher> = Default::default();
        for n in self.iter(&guard) {
            if !n.is_logger() {
                continue;
            }
            loggers += 1;
            let mut cur: &str = &n.name;
            // Stop at the first name already seen: its ancestors are in too.
            while !cur.is_empty() && all.insert(cur) {
                cur = name::parent_of(cur).unwrap_or("");
            }
        }
        (loggers, all.len())
    }

    pub(crate) fn iter<'g>(
        &'g self,
        guard: &'g LocalGuard<'_>,
    ) -> impl Iterator<Item = &'g Arc<Node>> + 'g {
        self.map.iter(guard).map(|(_, v)| v)
    }

    /// The entry for a normalized, non-root `name`, made (as a placeholder) with every missing
    /// ancestor if it is not there. The caller turns it into a logger under its state lock,
    /// where it also finds out whether a removal won a race (the entry is then dead: call again).
    ///
    /// Cost: one lookup per missing ancestor plus one, then one insertion per missing name.
    pub(crate) fn entry<'g>(
        &'g self,
        name: &str,
        home: &Option<Arc<Shared>>,
        guard: &'g LocalGuard<'_>,
    ) -> &'g Arc<Node> {
        debug_assert!(!name.is_empty());
        'retry: loop {
            if let Some(n) = self.map.get(name, guard)
                && !n.is_dead()
            {
                return n;
            }
            // The deepest ancestor that is there; everything below it down to `name` is made.
            let mut parent: &Arc<Node> = &self.root;
            let mut start = 0;
            let mut cur = name;
            while let Some(p) = name::parent_of(cur) {
                if p.is_empty() {
                    break;
                }
                if let Some(n) = self.map.get(p, guard)
                    && !n.is_dead()
                {
                    parent = n;
                    start = p.len() + 1;
                    break;
                }
                cur = p;
            }
            let mut pos = start;
            loop {
                let end = name[pos..].find('.').map_or(name.len(), |i| pos + i);
                let Some(node) = self.make(parent, &name[..end], home, guard) else {
                    continue 'retry;
                };
                if end == name.len() {
                    return node;
                }
                parent = node;
                pos = end + 1;
            }
        }
    }

    /// Adds the placeholder `key` below `parent` (or finds the one another thread just made).
    /// (Inserted with `try_insert`: papaya's `compute` slows down with every key it ever saw.)
    /// `None`: `parent` is being removed; start again from the top.
    fn make<'g>(
        &'g self,
        parent: &'g Arc<Node>,
        key: &str,
        home: &Option<Arc<Shared>>,
        guard: &'g LocalGuard<'_>,
    ) -> Option<&'g Arc<Node>> {
        if !parent.is_root() && !parent.try_add_child() {
            return None;
        }
        // Counted first, then the parent's level read: a level change on the parent either
        // sees the count (and moves the epoch) or wrote its word before this read.
        let word = parent.level_word();
        // A directive naming this very name gives it a level its parent does not have: it is
        // resolved on first read instead (read after the word: a set swapped before the epoch
        // the word was taken at is the one seen here).
        let named = parent.shared().directive_set().exact(key).is_some();
        let new = Arc::new(Node::new(
            Arc::from(key),
            home.clone(),
            PLACEHOLDER,
            (!named).then_some(word),
        ));
        loop {
            match self.map.try_insert(new.name.clone(), new.clone(), guard) {
                Ok(v) => return Some(v),
                Err(e) if !e.current.is_dead() => {
                    // Another thread made it first: give the count back.
                    if !parent.is_root() {
                        parent.remove_child();
                        if parent.kind.load(Ordering::Acquire) == PLACEHOLDER {
                            defer(parent);
                        }
                    }
                    return Some(e.current);
                }
                Err(e) => {
                    // A dead entry on its way out: take it out ourselves, then insert.
                    let dead = e.current;
                    let _ = self
                        .map
                        .remove_if(&*new.name, |_, v| Arc::ptr_eq(v, dead), guard);
                }
            }
        }
    }

    /// Takes `node` (marked dead, its child count closed) out of the map, then gives its
    /// parent's count back. A parent placeholder left empty is not pruned at once: it waits in
    /// this thread's slot (see [`defer`]), so that a task after task under the same parent
    /// finds it there instead of making and pruning it every time.
    pub(crate) fn unlink(&self, node: &Arc<Node>, guard: &LocalGuard<'_>) {
        debug_assert!(node.is_dead());
        self.unlink_chain(node, guard, true);
    }

    fn unlink_chain(&self, node: &Arc<Node>, guard: &LocalGuard<'_>, defer_parent: bool) {
        let mut cur: &Arc<Node> = node;
        loop {
            let _ = self
                .map
                .remove_if(&*cur.name, |_, v| Arc::ptr_eq(v, cur), guard);
            let parent = match name::parent_of(&cur.name) {
                Some(p) if !p.is_empty() => p,
                _ => return,
            };
            // A counted child keeps its parent in the map, so this is the entry it counted in.
            let Some(parent) = self.map.get(parent, guard) else {
                debug_assert!(false, "the parent of a counted entry is in the map");
                return;
            };
            parent.remove_child();
            if parent.kind.load(Ordering::Acquire) != PLACEHOLDER {
                return;
            }
            if defer_parent {
                defer(parent);
                return;
            }
            if !mark_dead_if_prunable(parent) {
                return;
            }
            cur = parent;
        }
    }

    /// Prunes `node` if it is a placeholder left with nothing below it, and its ancestors
    /// likewise.
    pub(crate) fn prune(&self, node: &Arc<Node>, guard: &LocalGuard<'_>) {
        if mark_dead_if_prunable(node) {
            self.unlink_chain(node, guard, false);
        }
    }
}

thread_local! {
    /// The last placeholder this thread left empty. It stays in the map (invisible: counts see
    /// only loggers and their ancestors) until the thread leaves another one empty, or ends.
    static DEFERRED: Deferred = const { Deferred(RefCell::new(None)) };
}

struct Deferred(RefCell<Option<Arc<Node>>>);

impl Drop for Deferred {
    fn drop(&mut self) {
        if let Some(n) = self.0.get_mut().take() {
            prune_now(&n);
        }
    }
}

/// Puts an empty placeholder in this thread's slot, pruning the one it replaces.
fn defer(node: &Arc<Node>) {
    let previous = DEFERRED.try_with(|d| {
        let mut slot = d.0.borrow_mut();
        if slot.as_ref().is_some_and(|p| Arc::ptr_eq(p, node)) {
            return None;
        }
        Some(slot.replace(node.clone()))
    });
    match previous {
        Ok(Some(Some(prev))) => prune_now(&prev),
        Ok(_) => {}
        // The thread is ending: no slot to wait in.
        Err(_) => prune_now(node),
    }
}

fn prune_now(node: &Arc<Node>) {
    if let Some(inner) = node.inner() {
        let guard = inner.entries.guard();
        inner.entries.prune(node, &guard);
    }
}

/// A placeholder with no scope, no busy thread and no child is marked dead (its count closed so
/// nothing is added below it any more). Returns whether it was.
fn mark_dead_if_prunable(node: &Node) -> bool {
    let st = node.state.lock();
    if node.kind.load(Ordering::Acquire) != PLACEHOLDER
        || st.scopes > 0
        || st.busy.is_some()
        || !node.close_children()
    {
        return false;
    }
    node.kind.store(DEAD, Ordering::Release);
    true
}
