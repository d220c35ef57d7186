//! The bookkeeping around one handler: close exactly once and after the last `handle`, flush
//! once before it, refuse a record that would re-enter the handler on the same thread, and
//! release many handlers within one deadline in total.
//!
//! Nothing here holds a lock of the tree while user code runs, and no caller of
//! [`release_all`] waits on user code past its deadline.

use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::{HANDLER_ERRORS, Handler, HandlerId};
use crate::record::Record;

/// How deep handlers may call into the tree from inside a handler on one thread (a handler
/// logging through another logger whose handler logs, and so on). A record past it is dropped
/// and counted: never a stack overflow.
pub const MAX_HANDLER_DEPTH: usize = 8;

/// Records refused because they would have re-entered a handler already running on the same
/// thread, or gone deeper than [`MAX_HANDLER_DEPTH`].
static RECURSION_DROPS: AtomicU64 = AtomicU64::new(0);
static RECURSION_REPORTED: AtomicBool = AtomicBool::new(false);

/// How many records this process dropped because a handler logged into itself (re-entry on the
/// same thread, e.g. a [`StreamHandler`](crate::StreamHandler) whose writer logs) or handlers
/// called each other deeper than [`MAX_HANDLER_DEPTH`].
pub fn recursion_dropped_count() -> u64 {
    RECURSION_DROPS.load(Ordering::Relaxed)
}

/// The closers this thread is inside (handling, flushing or closing), innermost last.
struct Busy {
    depth: Cell<usize>,
    stack: [Cell<usize>; MAX_HANDLER_DEPTH],
}

thread_local! {
    static BUSY: Busy = const {
        Busy { depth: Cell::new(0), stack: [const { Cell::new(0) }; MAX_HANDLER_DEPTH] }
    };
}

/// Marks a closer as busy on this thread until dropped.
struct Entered;

impl Drop for Entered {
    #[inline]
    fn drop(&mut self) {
        let _ = BUSY.try_with(|b| b.depth.set(b.depth.get() - 1));
    }
}

/// Enters closer `key` on this thread, or says why not (`Err(what)`): already inside it, or
/// too deep. During thread-local destruction nothing is tracked (and nothing refused).
#[inline]
fn enter(key: usize) -> Result<Option<Entered>, &'static str> {
    BUSY.try_with(|b| {
        let depth = b.depth.get();
        if b.stack[..depth].iter().any(|c| c.get() == key) {
            return Err("re-entered the handler it came from on the same thread");
        }
        if depth == MAX_HANDLER_DEPTH {
            return Err("went deeper than the handler nesting limit");
        }
        b.stack[depth].set(key);
        b.depth.set(depth + 1);
        Ok(Some(Entered))
    })
    .unwrap_or(Ok(None))
}

#[cold]
fn refused(what: &str, closer: &Closer) {
    RECURSION_DROPS.fetch_add(1, Ordering::Relaxed);
    if !RECURSION_REPORTED.swap(true, Ordering::Relaxed) {
        crate::handler::last_resort::warn(format_args!(
            "a record logged from inside {} {what}; it was dropped (further ones are counted, \
             see handler::recursion_dropped_count)",
            closer.name()
        ));
    }
}

/// `emitted` value meaning "never flushed".
const NEVER: u64 = u64::MAX;

/// A handler together with the bookkeeping that closes it exactly once.
///
/// Every logger attachment holds an `Arc<Closer>`; so does every dispatch in progress (through
/// the handler list it loaded). When the last one goes, `Drop` flushes (unless nothing came
/// since the last flush) and closes: after the last `handle`, exactly once. Shutdown lets go of
/// its own hold the same way, so a handler still inside `handle` on another thread is closed by
/// that thread when it leaves.
pub(crate) struct Closer {
    pub(crate) handler: Arc<dyn Handler>,
    /// Records passed to `handle` (for `Registry::stats`), counted per thread: every thread
    /// logging through a shared handler bumps it.
    emitted: crate::striped::StripedCounter,
    shared_key: Option<usize>,
    panicked: AtomicBool,
    /// Set once `close` ran (or must never run again: a shared handler already closed).
    closed: AtomicBool,
    /// `emitted` when the last flush completed, `NEVER` before: a close flushes only when
    /// records came since, so a shutdown's flush is not run twice.
    flushed_at: AtomicU64,
    /// The deadline the last holder closes by (set by shutdown), `None`: the handler's own.
    close_deadline: Mutex<Option<Instant>>,
}

impl Closer {
    fn new(handler: Arc<dyn Handler>, shared_key: Option<usize>, closed: bool) -> Closer {
        Closer {
            handler,
            emitted: Default::default(),
            shared_key,
            panicked: AtomicBool::new(false),
            closed: AtomicBool::new(closed),
            flushed_at: AtomicU64::new(NEVER),
            close_deadline: Mutex::new(None),
        }
    }

    pub(crate) fn owned(handler: Arc<dyn Handler>) -> Arc<Closer> {
        Arc::new(Closer::new(handler, None, false))
    }

    /// One closer per shared handler, process-wide, so that a handler attached to several
    /// loggers closes once, when the last of them lets go; attached again after that, it gets
    /// records but is never closed a second time.
    pub(crate) fn shared(handler: Arc<dyn Handler>) -> Arc<Closer> {
        let key = Arc::as_ptr(&handler) as *const () as usize;
        let mut map = SHARED.lock();
        let mut was_closed = false;
        if let Some(entry) = map.get(&key) {
            if let Some(existing) = entry.closer.upgrade() {
                return existing;
            }
            // The weak handler keeps the allocation, so the same address is the same handler.
            was_closed = entry.closed && entry.handler.strong_count() > 0;
        }
        let closer = Arc::new(Closer::new(handler.clone(), Some(key), was_closed));
        map.insert(
            key,
            SharedEntry {
                closer: Arc::downgrade(&closer),
                handler: Arc::downgrade(&handler),
                closed: was_closed,
            },
        );
        SHARED_PRUNE.with_map(&mut map);
        closer
    }

    /// Records given to the handler through this closer.
    pub(crate) fn emitted(&self) -> u64 {
        self.emitted.sum()
    }

    /// The handler's name in reports: its kind and what it writes to.
    pub(crate) fn name(&self) -> String {
        super::describe(&*self.handler)
    }

    fn key(&self) -> usize {
        self as *const Closer as usize
    }

    /// Calls the handler, containing a panic and refusing re-entry.
    #[inline]
    pub(crate) fn handle(&self, record: &Record<'_>) {
        if !self.handler.enabled(record.level()) {
            return;
        }
        let _busy = match enter(self.key()) {
            Ok(b) => b,
            Err(what) => return refused(what, self),
        };
        self.emitted.add(1);
        if catch_unwind(AssertUnwindSafe(|| self.handler.handle(record))).is_err() {
            self.note_panic("handling a record", "the record was lost");
        }
    }

    /// Runs `f` as this handler's flush or close: re-entry refused, a panic contained.
    /// `None` when it did not run to the end.
    fn run<R>(&self, doing: &str, f: impl FnOnce() -> R) -> Option<R> {
        let _busy = match enter(self.key()) {
            Ok(b) => b,
            Err(what) => {
                refused(what, self);
                return None;
            }
        };
        match catch_unwind(AssertUnwindSafe(f)) {
            Ok(r) => Some(r),
            Err(_) => {
                self.note_panic(doing, "what it held may be lost");
                None
            }
        }
    }

    /// Lets go of one hold, closing the handler when it was the last. Returns an error naming
    /// the handler when this call closed it and a flush or close of it panicked (a handler
    /// still in use elsewhere is closed by its last holder, which reports on stderr).
    pub(crate) fn release(this: Arc<Closer>) -> Option<std::io::Error> {
        let closer = Arc::into_inner(this)?;
        closer.finish();
        closer.panicked.load(Ordering::Relaxed).then(|| {
            std::io::Error::other(format!(
                "{} panicked while flushing or closing",
                closer.name()
            ))
        })
    }

    #[cold]
    fn note_panic(&self, doing: &str, loss: &str) {
        HANDLER_ERRORS.fetch_add(1, Ordering::Relaxed);
        if !self.panicked.swap(true, Ordering::Relaxed) {
            // Keyed by kind and target, not address: a handler per scope panicking in each of
            // 500 scopes gives one line per interval and a count.
            let h = &*self.handler;
            let key = match h.target() {
                Some(t) => format!("{}({t}) panicked while {doing}", h.kind()),
                None => format!("{} panicked while {doing}", h.kind()),
            };
            crate::handler::last_resort::warn_limited(
                &key,
                format_args!(
                    "{} panicked while {doing}; {loss}, the program goes on (further panics from \
                 this handler are counted, not repeated)",
                    self.name()
                ),
            );
        }
    }

    pub(crate) fn flush(&self) {
        let at = self.emitted.sum();
        if self.run("flushing", || self.handler.flush()).is_some() {
            self.flushed_at.store(at, Ordering::Release);
        }
    }

    pub(crate) fn flush_by(&self, deadline: Instant) -> bool {
        let at = self.emitted.sum();
        let done = self
            .run("flushing", || self.handler.flush_by(deadline))
            .unwrap_or(false);
        if done {
            self.flushed_at.store(at, Ordering::Release);
        }
        done
    }

    /// Flushes (unless nothing came since the last flush) and closes, unless already closed.
    /// Returns `false` when something was left (a flush or close that gave up or panicked).
    fn finish(&self) -> bool {
        if self.closed.swap(true, Ordering::AcqRel) {
            return true;
        }
        let deadline = *self.close_deadline.lock();
        let mut ok = true;
        if self.flushed_at.load(Ordering::Acquire) != self.emitted.sum() {
            ok &= match deadline {
                Some(d) => self.flush_by(d),
                None => {
                    self.flush();
                    true
                }
            };
        }
        ok &= self
            .run("closing", || match deadline {
                Some(d) => self.handler.close_by(d),
                None => {
                    self.handler.close();
                    true
                }
            })
            .unwrap_or(false);
        ok
    }
}

impl Drop for Closer {
    fn drop(&mut self) {
        self.finish();
        if let Some(key) = self.shared_key {
            let mut map = SHARED.lock();
            if let Some(entry) = map.get_mut(&key)
                && entry.closer.strong_count() == 0
            {
                if entry.handler.strong_count() == 0 {
                    map.remove(&key);
                } else {
                    // Still held by its owner: remember it was closed, so that attaching it
                    // again never closes it a second time.
                    entry.closed = true;
                }
            }
        }
    }
}

struct SharedEntry {
    closer: Weak<Closer>,
    handler: Weak<dyn Handler>,
    closed: bool,
}

static SHARED: std::sync::LazyLock<Mutex<HashMap<usize, SharedEntry>>> =
    std::sync::LazyLock::new(Default::default);

/// Drops entries of handlers gone for good, whenever the map doubled since the last time.
struct Prune(AtomicU64);

static SHARED_PRUNE: Prune = Prune(AtomicU64::new(64));

impl Prune {
    fn with_map(&self, map: &mut HashMap<usize, SharedEntry>) {
        if map.len() as u64 >= self.0.load(Ordering::Relaxed) {
            map.retain(|_, e| e.closer.strong_count() > 0 || e.handler.strong_count() > 0);
            self.0
                .store((map.len() as u64 * 2).max(64), Ordering::Relaxed);
        }
    }
}

/// One attachment of a handler to a logger.
#[derive(Clone)]
pub(crate) struct Attached {
    pub(crate) id: HandlerId,
    pub(crate) closer: Arc<Closer>,
}

// ---- releasing many handlers within one deadline -------------------------------------------

/// What a shutdown left behind.
#[derive(Debug, Default)]
pub(crate) struct Left {
    /// Handlers whose flush or close gave up or panicked, or that had not finished at the
    /// deadline (their helper thread finishes them later), by name.
    pub(crate) names: Vec<String>,
}

struct Job {
    closer: Arc<Closer>,
    name: String,
}

#[derive(Default)]
struct Board {
    queue: VecDeque<Job>,
    /// Jobs finished (flushed and let go).
    finished: usize,
    /// Bumped whenever a helper takes a job: a caller sees whether helpers are moving.
    taken: u64,
    failed: Vec<String>,
    /// Names of the jobs being run now, by helper slot.
    busy: HashMap<u64, String>,
}

struct Pool {
    board: Mutex<Board>,
    changed: Condvar,
    end: Instant,
}

/// At most this many helper threads per shutdown: a helper stuck in a handler's flush or close
/// stays stuck (it finishes that handler whenever the call returns, then the queue, then ends);
/// the others go on with the rest.
const MAX_HELPERS: usize = 32;

/// Flushes each closer by `end`, then lets go of it (the last holder closes it, by `end` when
/// that is this call). The work runs on helper threads, so this returns by `end` whatever the
/// handlers do; more helpers start while the ones running make no progress. Handlers not done
/// by then are named in the result; their helpers finish them when the user code returns.
pub(crate) fn release_all(closers: Vec<Arc<Closer>>, end: Instant) -> Left {
    let total = closers.len();
    if total == 0 {
        return Left::default();
    }
    let pool = Arc::new(Pool {
        board: Mutex::new(Board {
            queue: closers
                .into_iter()
                .map(|closer| Job {
                    name: closer.name(),
                    closer,
                })
                .collect(),
            ..Board::default()
        }),
        changed: Condvar::new(),
        end,
    });
    let mut helpers = 0;
    let mut next_id = 0u64;
    let mut spawn = |helpers: &mut usize| {
        let p = pool.clone();
        let id = next_id;
        next_id += 1;
        let ok = std::thread::Builder::new()
            .name("scoped-logger-close".into())
            .spawn(move || helper(&p, id))
            .is_ok();
        if ok {
            *helpers += 1;
        }
        ok
    };
    if !spawn(&mut helpers) {
        // No thread to be had: do it here rather than never.
        helper(&pool, u64::MAX);
    }
    // A helper that took nothing new for a slice of the deadline is stuck: start another.
    let slice = end
        .saturating_duration_since(Instant::now())
        .div_f64(16.0)
        .max(Duration::from_millis(1));
    let mut board = pool.board.lock();
    let mut last_taken = board.taken;
    while board.finished < total {
        let wake = (Instant::now() + slice).min(end);
        let timed_out = pool.changed.wait_until(&mut board, wake).timed_out();
        if board.finished == total {
            break;
        }
        if Instant::now() >= end {
            break;
        }
        if timed_out
            && !board.queue.is_empty()
            && board.taken == last_taken
            && helpers < MAX_HELPERS.min(total)
        {
            spawn(&mut helpers);
        }
        last_taken = board.taken;
    }
    let mut names = std::mem::take(&mut board.failed);
    names.extend(board.busy.values().cloned());
    names.extend(board.queue.iter().map(|j| j.name.clone()));
    Left { names }
}

fn helper(pool: &Pool, id: u64) {
    let mut board = pool.board.lock();
    while let Some(job) = board.queue.pop_front() {
        board.taken += 1;
        board.busy.insert(id, job.name.clone());
        drop(board);
        let mut ok = job.closer.flush_by(pool.end);
        *job.closer.close_deadline.lock() = Some(pool.end);
        // The last holder closes; a record in flight on another thread keeps it open until
        // that thread leaves `handle`, and that thread closes it.
        if let Some(closer) = Arc::into_inner(job.closer) {
            ok &= closer.finish();
        }
        board = pool.board.lock();
        board.busy.remove(&id);
        board.finished += 1;
        if !ok {
            board.failed.push(job.name);
        }
        pool.changed.notify_all();
    }
}
