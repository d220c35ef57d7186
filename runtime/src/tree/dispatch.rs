//! A record's way from the logger it was logged on to its handlers and up through its
//! ancestors' while `propagate` holds (Python's `callHandlers`), and the last-resort handler
//! when it reached none.
//!
//! The way up is found by name, not by stored parent links: a child holds no reference to its
//! parent (which every sibling would write), so the nearest logger above is looked up in the
//! map, and "it is the root" is cached per node against the structure epoch. The walk holds a
//! pin on the map (not a lock) while handlers run; no lock of the tree is held.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use papaya::LocalGuard;

use super::RegistryInner;
use super::node::Node;
use crate::level::Level;
use crate::name;
use crate::record::Record;

/// What [`visit`] says to do next.
enum Step {
    /// The observer kept the record: nothing else sees it now.
    Kept,
    /// This node does not propagate.
    Stop,
    /// Go on to the parent.
    Up,
}

/// Gives `record` to `node`'s observer and handlers.
#[inline]
fn visit(node: &Node, record: &Record<'_>, origin: bool, found: &mut bool) -> Step {
    if node.observing.load(Ordering::Relaxed)
        && let Some(observer) = node.observer()
        && observer.observe(record, origin)
    {
        return Step::Kept;
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

/// The nearest logger strictly above `node` (the root at worst; `node` is not the root).
#[inline]
pub(crate) fn logger_above<'g>(
    inner: &'g RegistryInner,
    node: &Node,
    guard: &'g LocalGuard<'_>,
) -> &'g Arc<Node> {
    let epoch = inner.shared_epochs().structure.load(Ordering::Acquire);
    if node.root_above_at(epoch) {
        return &inner.entries.root;
    }
    logger_above_by_name(inner, node, epoch, guard)
}

#[cold]
fn logger_above_by_name<'g>(
    inner: &'g RegistryInner,
    node: &Node,
    epoch: u64,
    guard: &'g LocalGuard<'_>,
) -> &'g Arc<Node> {
    let mut cur: &str = &node.name;
    while let Some(p) = name::parent_of(cur) {
        if p.is_empty() {
            break;
        }
        if let Some(n) = inner.entries.get(p, guard)
            && n.is_logger()
        {
            return n;
        }
        cur = p;
    }
    node.set_root_above(epoch);
    &inner.entries.root
}

/// Dispatches `record` from the live logger `start` up through its live ancestors.
pub(crate) fn dispatch(start: &Node, record: &Record<'_>) {
    let mut found = false;
    match visit(start, record, true, &mut found) {
        Step::Kept => return,
        Step::Stop => {}
        Step::Up if start.is_root() => {}
        Step::Up => {
            if let Some(inner) = start.inner() {
                let guard = inner.entries.guard();
                let mut node: &Arc<Node> = logger_above(&inner, start, &guard);
                loop {
                    match visit(node, record, false, &mut found) {
                        Step::Kept => return,
                        Step::Stop => break,
                        Step::Up if node.is_root() => break,
                        Step::Up => node = logger_above(&inner, node, &guard),
                    }
                }
            }
        }
    }
    if !found && record.level() <= Level::Warn {
        crate::handler::last_resort::last_resort(record);
    }
}
