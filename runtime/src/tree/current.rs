//! The current scope: a per-thread stack of frames, each holding the context of one entered
//! guard (its logger and its fields), pushed by `ScopedLogger::enter`, by every poll of a scoped
//! future and by [`Context::run`](crate::Context::run).
//!
//! Frames are removed by id, so guards dropped out of order leave the stack consistent: the
//! current scope is always the most recently entered one still open on this thread. Ids are
//! made per thread (a thread number taken once, then a thread-local count), so pushing a frame
//! writes nothing another thread writes. No borrow of the stack is held while a record is
//! dispatched.

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::Registry;
use super::logger::Logger;
use crate::kv::fields::FieldSet;
use crate::level::Level;

/// What a frame carries for the records logged while it is current: captured when the guard
/// is made (for async, when the future is created), not looked up at each record.
#[derive(Clone, Debug)]
pub(crate) struct FrameContext {
    pub(crate) logger: Logger,
    /// The scope's fields with those of the scopes around it; `None` when there are none.
    pub(crate) fields: Option<Arc<FieldSet>>,
    /// For a stuck-watched scope: told the number of the thread that last made it current
    /// (entered it, or polled its future), for a stuck task's report.
    pub(crate) mark: Option<Arc<dyn Marked>>,
}

/// What a frame marks with the thread that makes it current (a stuck-watched scope's watch).
pub(crate) trait Marked: Send + Sync + std::fmt::Debug {
    /// The cell that holds the thread number.
    fn cell(&self) -> &AtomicU64;
}

struct Frame {
    id: u64,
    /// `None` once its guard has gone while newer frames were still open: the frame stays in
    /// place (so no exit shifts the stack) until the frames above it are gone too.
    ctx: Option<FrameContext>,
}

/// A thread's frames, oldest first, so their ids increase and an exit finds its frame by binary
/// search. The top frame, when there is one, is always open: the current scope. Counted in
/// [`THREADS_WITH_FRAMES`] from its first frame until the thread ends (the vector never gives
/// its memory back before then).
///
/// An exit in any order costs O(log n) and no shift: a frame below the top is only marked gone;
/// gone frames are taken off the top when they get there, and all at once (one pass) when they
/// make up half the stack, so scopes kept in a `Vec` and dropped oldest first cost what dropping
/// them newest first does, and the memory held stays within twice the open frames.
struct Stack {
    frames: Vec<Frame>,
    /// Frames marked gone and still in `frames`.
    gone: usize,
}

impl Stack {
    /// The current frame's context: the top frame (never a gone one).
    fn top(&self) -> Option<&FrameContext> {
        self.frames.last().and_then(|f| f.ctx.as_ref())
    }

    /// Takes the frame `id` out; returns its context (to be dropped after the borrow ends).
    fn remove(&mut self, id: u64) -> Option<FrameContext> {
        // The common case: guards dropped newest first.
        if self.frames.last().is_some_and(|f| f.id == id) {
            let ctx = self.frames.pop().and_then(|f| f.ctx);
            self.trim();
            return ctx;
        }
        // Not on this thread (a guard dropped on another thread finds nothing here), or gone.
        let i = self.frames.binary_search_by_key(&id, |f| f.id).ok()?;
        let ctx = self.frames[i].ctx.take()?;
        self.gone += 1;
        if self.gone * 2 > self.frames.len() {
            self.frames.retain(|f| f.ctx.is_some());
            self.gone = 0;
        }
        Some(ctx)
    }

    /// Takes gone frames off the top, so the top is the current scope again.
    fn trim(&mut self) {
        while self.frames.last().is_some_and(|f| f.ctx.is_none()) {
            self.frames.pop();
            self.gone -= 1;
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if self.frames.capacity() != 0 {
            THREADS_WITH_FRAMES.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// Threads that have made a scope current and not yet ended: while none has, no scope can be
/// current anywhere and the look-ups below skip the thread-local (tracing-core's
/// `SCOPED_COUNT`). Counted once per thread, not per frame, so entering a scope writes no
/// memory other threads share. A thread sees its own count (program order), which is all it
/// needs: another thread's frames are never its current scope.
static THREADS_WITH_FRAMES: AtomicUsize = AtomicUsize::new(0);

/// Whether any thread may have a frame: `false` means none can be current on this thread.
#[inline]
fn any_frames() -> bool {
    THREADS_WITH_FRAMES.load(Ordering::Relaxed) != 0
}

thread_local! {
    static STACK: RefCell<Stack> = const {
        RefCell::new(Stack {
            frames: Vec::new(),
            gone: 0,
        })
    };
    /// `thread number << 32 | frames pushed`; 0 until the thread's first frame.
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
}

static THREADS: AtomicU64 = AtomicU64::new(1);

fn next_id() -> u64 {
    NEXT_ID
        .try_with(|c| {
            let mut id = c.get();
            if id == 0 {
                // Once per thread: the only write to memory other threads share.
                id = THREADS.fetch_add(1, Ordering::Relaxed) << 32;
            }
            id += 1;
            c.set(id);
            id
        })
        .unwrap_or(0)
}

/// This thread's number (1, 2, ... in the order threads first pushed a frame or asked).
pub(crate) fn thread_number() -> u64 {
    let id = NEXT_ID.try_with(Cell::get).unwrap_or(0);
    if id != 0 {
        return id >> 32;
    }
    next_id() >> 32
}

/// Names of the threads that made a timed scope current, by number (bounded: a program that
/// makes threads without end keeps the first ones' names only).
static THREAD_NAMES: parking_lot::Mutex<Vec<(u64, Box<str>)>> =
    parking_lot::const_mutex(Vec::new());

thread_local! {
    static NAMED: Cell<bool> = const { Cell::new(false) };
}

/// Marks `cell` with this thread's number (remembering the thread's name once).
fn mark(cell: &AtomicU64) {
    let n = thread_number();
    cell.store(n, Ordering::Relaxed);
    if !NAMED.try_with(|c| c.replace(true)).unwrap_or(true) {
        let name = crate::thread::with_name(|n| n.unwrap_or("unnamed").into());
        let mut names = THREAD_NAMES.lock();
        if names.len() < 4096 {
            names.push((n, name));
        }
    }
}

/// `name (#n)` for a thread number from [`mark`], or `#n`.
pub(crate) fn thread_label(n: u64) -> String {
    let names = THREAD_NAMES.lock();
    match names.iter().find(|(k, _)| *k == n) {
        Some((_, name)) => format!("{name} (#{n})"),
        None => format!("#{n}"),
    }
}

/// Pushes `ctx` as the current scope of this thread; returns the frame id for [`pop`].
pub(crate) fn push(ctx: FrameContext) -> u64 {
    if let Some(m) = &ctx.mark {
        mark(m.cell());
    }
    let id = next_id();
    let _ = STACK.try_with(|s| {
        let mut s = s.borrow_mut();
        if s.frames.capacity() == 0 {
            THREADS_WITH_FRAMES.fetch_add(1, Ordering::Relaxed);
        }
        // Ids grow per thread, so the stack stays sorted by id.
        s.frames.push(Frame { id, ctx: Some(ctx) });
    });
    id
}

/// Removes the frame `id` wherever it is (guards may be dropped out of order).
pub(crate) fn pop(id: u64) {
    let frame = STACK.try_with(|s| s.borrow_mut().remove(id));
    // The Logger is dropped here, after the borrow ended.
    drop(frame);
}

/// Removes the frame on drop, panic-safe.
pub(crate) struct FrameGuard(u64);

impl FrameGuard {
    pub(crate) fn push(ctx: FrameContext) -> FrameGuard {
        FrameGuard(push(ctx))
    }
}

impl Drop for FrameGuard {
    fn drop(&mut self) {
        pop(self.0);
    }
}

/// The current scope's logger on this thread, if any scope is current.
pub fn current_scope() -> Option<Logger> {
    current_context().map(|c| c.logger)
}

/// The current frame's context on this thread, if any scope is current.
pub(crate) fn current_context() -> Option<FrameContext> {
    if !any_frames() {
        return None;
    }
    STACK
        .try_with(|s| {
            let mut s = s.borrow_mut();
            // A scope moved to and dropped on another thread leaves its frame here: forget it.
            while s.top().is_some_and(|c| !c.logger.is_live()) {
                s.frames.pop();
                s.trim();
            }
            s.top().cloned()
        })
        .ok()
        .flatten()
}

/// The fields of the current frame on this thread (what a record logged here carries), if any.
#[inline]
pub(crate) fn current_fields() -> Option<Arc<FieldSet>> {
    if !any_frames() {
        return None;
    }
    STACK
        .try_with(|s| s.borrow().top().and_then(|c| c.fields.clone()))
        .ok()
        .flatten()
}

/// The current scope's logger, or the global root when no scope is current.
///
/// ```
/// #[scoped_logger::scoped_logger("jobs.{id}")]
/// fn job(id: u32) -> String {
///     scoped_logger::current().name().to_owned()
/// }
/// assert_eq!(job(7), "jobs.7");
/// assert_eq!(scoped_logger::current().name(), "root");
/// ```
pub fn current() -> Logger {
    current_scope().unwrap_or_else(|| Registry::global().root())
}

/// What [`current_if_enabled`] found.
pub(crate) enum Current {
    /// No scope is current on this thread.
    None,
    /// The current scope does not let the level through.
    Disabled,
    /// The current scope's logger, which lets it through, with the frame's fields.
    Enabled(Logger, Option<Arc<FieldSet>>),
}

/// The current scope's logger if it lets `level` through. The macros' path: one thread-local
/// borrow and the logger's level check; the logger is cloned only when the record will be made.
#[inline]
pub(crate) fn current_if_enabled(level: Level) -> Current {
    if !any_frames() {
        return Current::None;
    }
    STACK
        .try_with(|s| {
            let s = s.borrow();
            match s.top() {
                None => Current::None,
                Some(c) if c.logger.enabled(level) => {
                    Current::Enabled(c.logger.clone(), c.fields.clone())
                }
                Some(_) => Current::Disabled,
            }
        })
        .unwrap_or(Current::None)
}

/// The name relative names resolve against: the current scope's, or the root's (`""`).
pub(crate) fn current_name() -> String {
    current_scope().map_or_else(String::new, |l| l.key().to_owned())
}
