//! [`Registry::stats`]: what the tree holds, counted by walking it. The handlers' own counters
//! are read after the walk, with nothing of the tree held: a handler's `dropped` may log.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use super::Registry;
use crate::handler::Closer;

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
    /// Entries in the tree's map, the root excluded: the loggers and placeholders, plus at most
    /// one empty placeholder per thread waiting to be pruned (kept so that tasks under the same
    /// parent do not make and prune it every time).
    pub entries: usize,
    /// Replayed records (flight-recorder replays, stuck-task trails) that this registry's
    /// replay budget held back; see [`Registry::set_replay_budget`].
    pub replays_suppressed: u64,
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

impl Registry {
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
        let mut closers: Vec<Arc<Closer>> = Vec::new();
        {
            let entries = &self.inner.entries;
            let guard = entries.guard();
            for n in std::iter::once(&entries.root).chain(entries.iter(&guard)) {
                st.scopes += n.state.lock().scopes as usize;
                if let Some(list) = n.handlers() {
                    closers.extend(list.iter().map(|a| a.closer.clone()));
                }
            }
        }
        let (loggers, nodes) = self.inner.entries.visible_len();
        st.loggers = loggers;
        st.placeholders = nodes - loggers;
        st.entries = self.inner.entries.physical_len();
        // Nothing of the tree is held from here on.
        let mut seen = HashSet::new();
        let mut kinds: BTreeMap<&'static str, KindStats> = BTreeMap::new();
        for c in &closers {
            if !seen.insert(Arc::as_ptr(c) as usize) {
                continue;
            }
            let h = &c.handler;
            let k = kinds.entry(h.kind()).or_insert_with(|| KindStats {
                kind: h.kind(),
                ..KindStats::default()
            });
            k.handlers += 1;
            k.emitted += c.emitted();
            k.dropped += h.dropped();
        }
        st.handlers = seen.len();
        st.kinds = kinds.into_values().collect();
        st.handler_errors = crate::handler::handler_error_count();
        st.replays_suppressed = self.inner.budget.suppressed();
        st
    }
}
