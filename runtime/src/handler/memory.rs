//! [`MemoryHandler`]: keeps owned copies of the records it sees, for tests.
//!
//! Clones share one store, so a test keeps a clone and gives the other to a logger or scope.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;

use crate::handler::Handler;
use crate::record::{OwnedRecord, Record};

/// Keeps every record it handles; clones share the same records.
///
/// ```
/// use scoped_logger::{MemoryHandler, Registry, Level};
/// let reg = Registry::new();
/// let mem = MemoryHandler::new();
/// reg.root().add_handler(mem.clone());
/// reg.logger("a.b").log(Level::Error, format_args!("x={}", 1));
/// let recs = mem.records();
/// assert_eq!((recs[0].logger.as_str(), recs[0].message.as_str()), ("a.b", "x=1"));
/// ```
#[derive(Clone, Default, Debug)]
pub struct MemoryHandler {
    inner: Arc<Inner>,
}

#[derive(Default, Debug)]
struct Inner {
    records: Mutex<Vec<OwnedRecord>>,
    flushes: AtomicUsize,
    closes: AtomicUsize,
}

impl MemoryHandler {
    /// An empty handler.
    pub fn new() -> Self {
        Self::default()
    }
    /// A copy of the records so far, in arrival order.
    pub fn records(&self) -> Vec<OwnedRecord> {
        self.inner.records.lock().clone()
    }
    /// The messages so far.
    pub fn messages(&self) -> Vec<String> {
        self.inner
            .records
            .lock()
            .iter()
            .map(|r| r.message.clone())
            .collect()
    }
    /// How many records so far.
    pub fn len(&self) -> usize {
        self.inner.records.lock().len()
    }
    /// Whether no record arrived.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Forgets the records so far.
    pub fn clear(&self) {
        self.inner.records.lock().clear();
    }
    /// How many times `close` ran (it must be at most once per attachment lifetime).
    pub fn close_count(&self) -> usize {
        self.inner.closes.load(Ordering::SeqCst)
    }
    /// How many times `flush` ran.
    pub fn flush_count(&self) -> usize {
        self.inner.flushes.load(Ordering::SeqCst)
    }
}

impl Handler for MemoryHandler {
    fn handle(&self, record: &Record<'_>) {
        let owned = record.to_owned();
        self.inner.records.lock().push(owned);
    }
    fn flush(&self) {
        self.inner.flushes.fetch_add(1, Ordering::SeqCst);
    }
    fn close(&self) {
        self.inner.closes.fetch_add(1, Ordering::SeqCst);
    }
}
