//! The never-blocking background writer: a bounded queue in front of a [`Sink`] that one worker
//! thread drains, and [`NonBlocking`], the handler that formats lines on the caller's thread and
//! hands them to it. A slow, stalled or unread output must never stall the program that logs.
//!
//! # What happens when the output is not read
//!
//! A pipe holds only so much (64 KiB on Linux). When nobody reads the other end, for example
//! `my_prog 2>&1 | less` left in the pager, or a parent process that pipes a child's stderr and
//! never drains it, the worker thread blocks inside `write`. Callers do not: the queue fills up
//! to its limits ([`Options::capacity`] records and [`Options::capacity_bytes`] bytes, counting
//! the batch the worker is writing), and then, under the default [`Policy::Drop`], each new
//! record is dropped and counted ([`Worker::dropped`]). When the output is read again, the worker
//! writes what it had queued and then, before the next record it writes, one line:
//!
//! ```text
//! 2026-11-24T19:03:58.123Z WARN scoped_logger: 4242 records dropped while stderr was not being read
//! ```
//!
//! in the handler's format, at the place in the stream where the records are missing. Drops
//! that happen after the last queued record are reported as soon as the worker is idle again.
//! A process that exits while its output is still unread cannot write that line (nor what was
//! still queued, once the [exit deadline](#at-exit) has passed): the count is lost with it (read
//! it from [`NonBlocking::dropped`] before exiting if you need it).
//!
//! A pipe in non-blocking mode (`O_NONBLOCK`, which a parent process may set on the stderr it
//! shares with its children) answers a full pipe with `WouldBlock` instead of blocking. The
//! line writer treats that the same way: it waits for room (polling, from 1 ms up to 50 ms
//! apart) and goes on from where it stopped, so no line is cut and nothing is lost uncounted.
//!
//! The worker never holds up process exit past a deadline: [`Worker::close_by`] and the
//! handler's `flush_by`/`close` give up at their deadline (the worker thread, still stuck in
//! `write`, is left behind and ends with the process).
//!
//! # At exit
//!
//! A record logged just before the process ends is still written: a return from `main` and
//! [`std::process::exit`], from any thread, flush every live worker of the process (this
//! handler, [`StderrHandler`](crate::StderrHandler) and the last-resort handler, syslog, SQLite,
//! and any [`Worker`] of your own) before the process goes, all of them against one deadline,
//! [`exit_deadline`] (1 s unless [`set_exit_deadline`] or
//! [`InitBuilder::exit_deadline`](crate::InitBuilder::exit_deadline) said otherwise). A panic
//! under `panic = "abort"` does the same once [`install_abort_flush`] (which
//! [`init`](crate::init) calls) is in place. Callers still never wait: only the exiting thread
//! does, and only until the deadline; an output that is not read at exit delays the exit by the
//! deadline, once, however many handlers wait on it. See [`flush_all_by`] for the details.
//! This needs the C runtime's exit hooks, which scoped-logger uses on Linux only; elsewhere the
//! last words are written by the handlers' own flushes ([`InitGuard`](crate::InitGuard) dropped
//! at the end of `main`, [`Registry::shutdown`](crate::Registry::shutdown)).
//!
//! # Policies
//!
//! * [`Policy::Drop`] (default): a full queue drops the record and counts it. A log call costs
//!   formatting plus one short lock, whatever the output does.
//! * [`Policy::Block`]: the caller waits for room. Nothing is dropped, but a stalled output
//!   stalls every thread that logs through this handler, for as long as it stays stalled: a
//!   process whose stderr is never read hangs. A handler whose writer logs back into the same
//!   handler can deadlock. Use it only for outputs you control (a file, a socket you drain).
//! * [`Policy::BlockFor`]`(d)`: wait at most `d` for room, then drop and count. Bounds the
//!   stall per call, not in total: a thread logging a thousand records into a stalled output
//!   waits a thousand times `d`.
//!
//! Whatever the policy, a record larger than [`Options::capacity_bytes`] on its own is dropped
//! and counted at once: it could never fit, and growing memory past the limit is what the limit
//! is there to prevent. Records sent after the worker was closed are dropped and counted too
//! (they are never reported: the worker is gone).

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

use crate::format::{Format, TextFormat, with_formatted};
use crate::handler::{ErrorReporter, Handler};
use crate::level::Level;
use crate::record::Record;

mod at_exit;

pub use at_exit::{
    DEFAULT_EXIT_DEADLINE, exit_deadline, flush_all_by, install_abort_flush, set_exit_deadline,
};

/// What a caller does when the queue is full.
///
/// See the [module docs](self) for the risks of each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Policy {
    /// Never wait: drop the record and count it. The default.
    #[default]
    Drop,
    /// Wait for room, as long as it takes. A stalled output stalls the caller (and can hang the
    /// program); nothing is dropped while the worker runs.
    Block,
    /// Wait for room at most this long, then drop the record and count it.
    BlockFor(Duration),
}

/// The output end of a [`Worker`]: it runs on the worker thread only, so it needs `Send` but not
/// `Sync`, and it may block (that is the point of the worker).
///
/// Errors it returns are reported once through an [`ErrorReporter`] (later ones are counted) and
/// the worker goes on with the next batch; a panic is caught and reported the same way.
pub trait Sink: Send + 'static {
    /// What the queue holds.
    type Item: Send + 'static;

    /// Writes a batch of queued items, in order (the worker drains what is available, up to
    /// [`Options::max_batch`]). The items may be taken out of `batch`; whatever is left is
    /// dropped afterwards. A SQLite sink wraps this in one transaction.
    fn write_batch(&mut self, batch: &mut Vec<Self::Item>) -> io::Result<()>;

    /// Called when the queue has been drained and on flush requests.
    fn flush(&mut self) -> io::Result<()>;

    /// Writes the "`count` records dropped while `target` was not being read" report (before the
    /// next item, at the place of the gap).
    fn report_dropped(&mut self, count: u64) -> io::Result<()>;

    /// Releases the resource (end of the worker thread, after the last flush).
    fn close(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Limits and behaviour of a [`Worker`]. Builder-style: `Options::default().capacity(1024)`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Most records held at once (queued or being written). Default 16 384; at least 1.
    pub capacity: usize,
    /// Most bytes held at once (as the sender counts them). Default 16 MiB; at least 1.
    pub capacity_bytes: usize,
    /// What a sender does when the queue is full. Default [`Policy::Drop`].
    pub policy: Policy,
    /// How long `flush()`, `close()` and dropping the worker wait when no deadline is given.
    /// Default 1 s.
    pub flush_timeout: Duration,
    /// The worker thread's name. Default `scoped-logger-writer`.
    pub thread_name: String,
    /// Most items handed to one [`Sink::write_batch`]. Default 1024; at least 1.
    pub max_batch: usize,
    /// What error reports call this output (e.g. `sqlite handler logs.db`). Default: the thread
    /// name.
    pub description: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            capacity: 16 * 1024,
            capacity_bytes: 16 * 1024 * 1024,
            policy: Policy::Drop,
            flush_timeout: Duration::from_secs(1),
            thread_name: "scoped-logger-writer".to_owned(),
            max_batch: 1024,
            description: None,
        }
    }
}

impl Options {
    /// Sets [`capacity`](Options#structfield.capacity) (clamped to at least 1).
    pub fn capacity(mut self, records: usize) -> Self {
        self.capacity = records.max(1);
        self
    }

    /// Sets [`capacity_bytes`](Options#structfield.capacity_bytes) (clamped to at least 1).
    pub fn capacity_bytes(mut self, bytes: usize) -> Self {
        self.capacity_bytes = bytes.max(1);
        self
    }

    /// Sets [`policy`](Options#structfield.policy).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets [`flush_timeout`](Options#structfield.flush_timeout).
    pub fn flush_timeout(mut self, timeout: Duration) -> Self {
        self.flush_timeout = timeout;
        self
    }

    /// Sets [`thread_name`](Options#structfield.thread_name).
    pub fn thread_name(mut self, name: impl Into<String>) -> Self {
        self.thread_name = name.into();
        self
    }

    /// Sets [`max_batch`](Options#structfield.max_batch) (clamped to at least 1).
    pub fn max_batch(mut self, items: usize) -> Self {
        self.max_batch = items.max(1);
        self
    }

    /// Sets [`description`](Options#structfield.description).
    pub fn description(mut self, what: impl Into<String>) -> Self {
        self.description = Some(what.into());
        self
    }
}

/// One queued item and what the worker must write before it.
struct Queued<T> {
    item: T,
    bytes: usize,
    /// Drops that happened between the previous accepted item and this one.
    drops_before: u64,
}

struct State<T> {
    queue: VecDeque<Queued<T>>,
    /// Records and bytes held: queued plus the batch being written.
    held_items: usize,
    held_bytes: usize,
    /// Items accepted so far, and items the worker has finished (written or failed).
    enqueued: u64,
    written: u64,
    /// Drops to be reported: all of them, the ones not yet attached to an item, and the ones
    /// the worker has written a report for.
    drops: u64,
    pending_drops: u64,
    drops_written: u64,
    /// What the last completed `Sink::flush` covered.
    flushed: u64,
    flushed_drops: u64,
    /// What flush requests are waiting for.
    flush_wanted: u64,
    flush_wanted_drops: u64,
    /// Bumped each time the worker completes a sink call.
    progress: u64,
    /// `progress` when a wait last gave up (see [`Worker::stalled`]).
    gave_up_at: Option<u64>,
    closing: bool,
    finished: bool,
}

impl<T> State<T> {
    fn covers(&self, items: u64, drops: u64) -> bool {
        self.flushed >= items && self.flushed_drops >= drops
    }

    fn worker_has_work(&self) -> bool {
        !self.queue.is_empty()
            || self.pending_drops > 0
            || self.flush_wanted > self.flushed
            || self.flush_wanted_drops > self.flushed_drops
            || self.closing
    }
}

struct Shared<T> {
    state: Mutex<State<T>>,
    /// The worker waits here for work.
    work: Condvar,
    /// Bumped with every wake-up: an idle worker watches it for a moment before it parks.
    kicks: AtomicU64,
    /// Blocking senders wait here for room.
    room: Condvar,
    /// Flushers and closers wait here for the worker.
    progress: Condvar,
    /// Every record refused, reported or not (readable without the lock).
    dropped: AtomicU64,
    /// Mirrors of `held_items`/`held_bytes` for lock-free reads.
    held_items: AtomicUsize,
    held_bytes: AtomicUsize,
    errors: ErrorReporter,
    capacity: usize,
    capacity_bytes: usize,
    max_batch: usize,
    policy: Policy,
    flush_timeout: Duration,
}

impl<T> Shared<T> {
    /// Counts a refused record. Called with the lock held; returns whether to wake the worker.
    fn refuse(&self, st: &mut State<T>, reportable: bool) -> bool {
        self.dropped.fetch_add(1, Ordering::Relaxed);
        if reportable && !st.finished && !st.closing {
            st.drops += 1;
            st.pending_drops += 1;
            // An idle worker reports drops at once; a busy one picks them up when it gets here.
            return st.queue.is_empty();
        }
        false
    }

    fn wake_worker(&self) {
        self.kicks.fetch_add(1, Ordering::Release);
        self.work.notify_one();
    }

    /// A flush or close wait that began at `began` reached its deadline: the worker counts as
    /// stalled (later waits without a deadline of their own do not wait on it) only when this wait
    /// gave it a fair chance. A poll with a deadline of "now" proves nothing about the output.
    fn gave_up(&self, st: &mut State<T>, began: Instant) {
        if began.elapsed() >= self.flush_timeout.min(STALL_EVIDENCE) {
            st.gave_up_at = Some(st.progress);
        }
    }

    /// Asks the worker to write and flush everything accepted so far. Returns what a flush wait
    /// must see covered, or `None` when it already is.
    fn ask_flush(&self, st: &mut State<T>) -> Option<(u64, u64)> {
        let (items, drops) = (st.enqueued, st.drops);
        if st.covers(items, drops) {
            return None;
        }
        st.flush_wanted = st.flush_wanted.max(items);
        st.flush_wanted_drops = st.flush_wanted_drops.max(drops);
        self.wake_worker();
        Some((items, drops))
    }

    /// Waits until the worker's flushes cover `target` (from [`ask_flush`](Self::ask_flush)) or
    /// `deadline`; `began` is when the caller began to wait.
    fn wait_flushed(
        &self,
        st: &mut MutexGuard<'_, State<T>>,
        (items, drops): (u64, u64),
        deadline: Instant,
        began: Instant,
    ) -> bool {
        loop {
            if st.covers(items, drops) {
                return true;
            }
            if st.finished {
                return false;
            }
            if self.progress.wait_until(st, deadline).timed_out() {
                if st.covers(items, drops) {
                    return true;
                }
                self.gave_up(st, began);
                return false;
            }
        }
    }

    fn mirror(&self, st: &State<T>) {
        self.held_items.store(st.held_items, Ordering::Relaxed);
        self.held_bytes.store(st.held_bytes, Ordering::Relaxed);
    }
}

/// How long a flush or close must have waited in vain before the worker counts as stalled.
const STALL_EVIDENCE: Duration = Duration::from_millis(50);

/// A bounded queue and the thread that drains it into a [`Sink`].
///
/// Senders never wait under [`Policy::Drop`]; flushes and closes wait at most until their
/// deadline. Dropping the worker closes it, waiting at most [`Options::flush_timeout`] (not at
/// all when it is [`stalled`](Self::stalled)); a thread still stuck in the sink then is left to
/// end with the process.
///
/// ```
/// use scoped_logger::handler::nonblocking::{Options, Sink, Worker};
/// use std::sync::{Arc, Mutex};
///
/// struct Collect(Arc<Mutex<Vec<u32>>>);
/// impl Sink for Collect {
///     type Item = u32;
///     fn write_batch(&mut self, batch: &mut Vec<u32>) -> std::io::Result<()> {
///         self.0.lock().unwrap().extend(batch.drain(..));
///         Ok(())
///     }
///     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
///     fn report_dropped(&mut self, _count: u64) -> std::io::Result<()> { Ok(()) }
/// }
///
/// let out = Arc::new(Mutex::new(Vec::new()));
/// let worker = Worker::spawn(Collect(out.clone()), Options::default().capacity(100))?;
/// for i in 0..10 {
///     assert!(worker.send(i, 4));
/// }
/// assert!(worker.flush_by(std::time::Instant::now() + std::time::Duration::from_secs(10)));
/// assert_eq!(*out.lock().unwrap(), (0..10).collect::<Vec<_>>());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Worker<S: Sink> {
    shared: Arc<Shared<S::Item>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl<S: Sink> fmt::Debug for Worker<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("queued", &self.queued())
            .field("queued_bytes", &self.queued_bytes())
            .field("dropped", &self.dropped())
            .field("policy", &self.shared.policy)
            .finish_non_exhaustive()
    }
}

impl<S: Sink> Worker<S> {
    /// Starts the worker thread. Fails only when the thread cannot be spawned.
    pub fn spawn(sink: S, options: Options) -> io::Result<Self> {
        let what = options
            .description
            .clone()
            .unwrap_or_else(|| options.thread_name.clone());
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                held_items: 0,
                held_bytes: 0,
                enqueued: 0,
                written: 0,
                drops: 0,
                pending_drops: 0,
                drops_written: 0,
                flushed: 0,
                flushed_drops: 0,
                flush_wanted: 0,
                flush_wanted_drops: 0,
                progress: 0,
                gave_up_at: None,
                closing: false,
                finished: false,
            }),
            work: Condvar::new(),
            kicks: AtomicU64::new(0),
            room: Condvar::new(),
            progress: Condvar::new(),
            dropped: AtomicU64::new(0),
            held_items: AtomicUsize::new(0),
            held_bytes: AtomicUsize::new(0),
            errors: ErrorReporter::new(what),
            capacity: options.capacity.max(1),
            capacity_bytes: options.capacity_bytes.max(1),
            max_batch: options.max_batch.max(1),
            policy: options.policy,
            flush_timeout: options.flush_timeout,
        });
        let for_thread = shared.clone();
        let thread = std::thread::Builder::new()
            .name(options.thread_name)
            .spawn(move || run(&for_thread, sink))?;
        at_exit::register(&shared);
        Ok(Worker {
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Queues `item`, which the caller says takes `bytes` bytes (counted against
    /// [`Options::capacity_bytes`]). Returns `false` when the item was dropped (and counted):
    /// the queue stayed full under the policy, the item alone is larger than the byte capacity,
    /// or the worker was closed.
    pub fn send(&self, item: S::Item, bytes: usize) -> bool {
        let shared = &*self.shared;
        let mut st = shared.state.lock();
        if bytes > shared.capacity_bytes {
            let wake = shared.refuse(&mut st, true);
            drop(st);
            if wake {
                shared.wake_worker();
            }
            return false;
        }
        let mut deadline = None;
        loop {
            if st.closing || st.finished {
                shared.refuse(&mut st, false);
                return false;
            }
            if st.held_items < shared.capacity && st.held_bytes + bytes <= shared.capacity_bytes {
                break;
            }
            match shared.policy {
                Policy::Drop => {}
                Policy::Block => {
                    shared.room.wait(&mut st);
                    continue;
                }
                Policy::BlockFor(d) => {
                    let end = *deadline.get_or_insert_with(|| Instant::now() + d);
                    if Instant::now() < end {
                        shared.room.wait_until(&mut st, end);
                        continue;
                    }
                }
            }
            let wake = shared.refuse(&mut st, true);
            drop(st);
            if wake {
                shared.wake_worker();
            }
            return false;
        }
        let drops_before = std::mem::take(&mut st.pending_drops);
        st.queue.push_back(Queued {
            item,
            bytes,
            drops_before,
        });
        st.held_items += 1;
        st.held_bytes += bytes;
        st.enqueued += 1;
        shared.mirror(&st);
        // The worker only sleeps on an empty queue.
        let wake = st.queue.len() == 1;
        drop(st);
        if wake {
            shared.wake_worker();
        }
        true
    }

    /// Whether a [`send`](Self::send) now would surely drop under [`Policy::Drop`]: lets a
    /// caller skip the work of building an item that would be thrown away (then call
    /// [`count_dropped`](Self::count_dropped)). Always `false` under the blocking policies.
    #[inline]
    pub fn would_drop(&self) -> bool {
        self.shared.policy == Policy::Drop
            && self.shared.held_items.load(Ordering::Relaxed) >= self.shared.capacity
    }

    /// Counts (and reports, like any drop) a record the caller chose not to send.
    pub fn count_dropped(&self) {
        let mut st = self.shared.state.lock();
        let wake = self.shared.refuse(&mut st, true);
        drop(st);
        if wake {
            self.shared.wake_worker();
        }
    }

    /// Records dropped so far (readable at any time, without waiting).
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Records held now: queued, or in the batch being written.
    pub fn queued(&self) -> usize {
        self.shared.held_items.load(Ordering::Relaxed)
    }

    /// Bytes held now (as the senders counted them): never more than
    /// [`Options::capacity_bytes`].
    pub fn queued_bytes(&self) -> usize {
        self.shared.held_bytes.load(Ordering::Relaxed)
    }

    /// The policy senders follow.
    pub fn policy(&self) -> Policy {
        self.shared.policy
    }

    /// [`Options::flush_timeout`].
    pub fn flush_timeout(&self) -> Duration {
        self.shared.flush_timeout
    }

    /// Whether a flush or close wait gave up at its deadline and the sink has completed nothing
    /// since. Waits that have no deadline of their own (a handler's `flush()` and `close()`,
    /// dropping the worker) do not wait again on a stalled worker, so a stalled output costs one
    /// timeout at shutdown rather than one per call.
    pub fn stalled(&self) -> bool {
        let st = self.shared.state.lock();
        st.gave_up_at == Some(st.progress)
    }

    /// The deadline for a wait that has none of its own: `flush_timeout` from now, or now when
    /// the worker is [`stalled`](Self::stalled).
    pub fn default_deadline(&self) -> Instant {
        let now = Instant::now();
        if self.stalled() {
            now
        } else {
            now + self.shared.flush_timeout
        }
    }

    /// The error reporter that sink failures go to.
    pub fn errors(&self) -> &ErrorReporter {
        &self.shared.errors
    }

    /// The first sink error since the last call (see [`Handler::take_error`]).
    pub fn take_error(&self) -> Option<io::Error> {
        self.shared.errors.take()
    }

    /// Waits until everything sent before this call, and every drop counted before it, is
    /// written and flushed, or until `deadline`. Needs no free queue slot. Returns `false` when
    /// something was left unwritten at the deadline (see [`queued`](Self::queued) for how much).
    pub fn flush_by(&self, deadline: Instant) -> bool {
        let began = Instant::now();
        let shared = &*self.shared;
        let mut st = shared.state.lock();
        match shared.ask_flush(&mut st) {
            None => true,
            Some(target) => shared.wait_flushed(&mut st, target, deadline, began),
        }
    }

    /// Asks the worker to write what is queued, flush, close the sink and end; waits for it until
    /// `deadline`. Records sent afterwards are dropped. Returns `true` when the worker finished
    /// (everything written, the sink closed), `false` when it was still busy at the deadline.
    pub fn close_by(&self, deadline: Instant) -> bool {
        let began = Instant::now();
        let shared = &*self.shared;
        let mut st = shared.state.lock();
        if !st.closing {
            st.closing = true;
            shared.wake_worker();
            // Blocked senders give up: nothing more is accepted.
            shared.room.notify_all();
        }
        while !st.finished {
            if shared.progress.wait_until(&mut st, deadline).timed_out() {
                if st.finished {
                    break;
                }
                shared.gave_up(&mut st, began);
                return false;
            }
        }
        drop(st);
        // The thread set `finished` as its last act: joining now does not wait on the sink.
        if let Some(t) = self.thread.lock().take() {
            let _ = t.join();
        }
        true
    }
}

impl<S: Sink> Drop for Worker<S> {
    fn drop(&mut self) {
        let deadline = self.default_deadline();
        self.close_by(deadline);
    }
}

/// Runs a sink call, reporting an error or a panic instead of letting it end the worker.
fn call(errors: &ErrorReporter, doing: &str, f: impl FnOnce() -> io::Result<()>) {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => errors.report(doing, e),
        Err(_) => errors.report(doing, io::Error::other("the sink panicked")),
    }
}

/// Watches for work a little before the worker parks: a worker that parks after every record
/// makes every log call pay for waking it (a futex call and a context switch), which is most of
/// a log call's cost when records arrive faster than the wake-ups.
fn idle_spin(kicks: &AtomicU64, seen: u64) {
    const ROUNDS: u32 = 64;
    for round in 0..ROUNDS {
        if kicks.load(Ordering::Acquire) != seen {
            return;
        }
        if round < 8 {
            for _ in 0..32 {
                std::hint::spin_loop();
            }
        } else {
            std::thread::yield_now();
        }
    }
}

/// The worker thread.
fn run<S: Sink>(shared: &Shared<S::Item>, mut sink: S) {
    at_exit::mark_writer_thread(shared);
    let errors = &shared.errors;
    let mut taken: Vec<Queued<S::Item>> = Vec::new();
    let mut batch: Vec<S::Item> = Vec::new();
    loop {
        let mut st = shared.state.lock();
        let mut spun = false;
        while !st.worker_has_work() {
            if !spun {
                spun = true;
                let seen = shared.kicks.load(Ordering::Acquire);
                MutexGuard::unlocked(&mut st, || idle_spin(&shared.kicks, seen));
                continue;
            }
            shared.work.wait(&mut st);
        }
        let n = st.queue.len().min(shared.max_batch);
        taken.extend(st.queue.drain(..n));
        // Drops after the last queued item have no item to ride on: report them now.
        let trailing = if st.queue.is_empty() {
            std::mem::take(&mut st.pending_drops)
        } else {
            0
        };
        drop(st);

        let count = taken.len();
        let mut bytes = 0;
        let mut reported = 0;
        for q in taken.drain(..) {
            if q.drops_before > 0 {
                if !batch.is_empty() {
                    call(errors, "writing records", || sink.write_batch(&mut batch));
                    batch.clear();
                }
                call(errors, "reporting dropped records", || {
                    sink.report_dropped(q.drops_before)
                });
                reported += q.drops_before;
            }
            bytes += q.bytes;
            batch.push(q.item);
        }
        if !batch.is_empty() {
            call(errors, "writing records", || sink.write_batch(&mut batch));
            batch.clear();
        }
        if trailing > 0 {
            call(errors, "reporting dropped records", || {
                sink.report_dropped(trailing)
            });
            reported += trailing;
        }

        let mut st = shared.state.lock();
        st.written += count as u64;
        st.drops_written += reported;
        st.held_items -= count;
        st.held_bytes -= bytes;
        st.progress += 1;
        shared.mirror(&st);
        if count > 0 {
            shared.room.notify_all();
        }
        let flush = st.queue.is_empty()
            || st.flush_wanted > st.flushed
            || st.flush_wanted_drops > st.flushed_drops;
        if flush {
            let (items, drops) = (st.written, st.drops_written);
            drop(st);
            call(errors, "flushing", || sink.flush());
            st = shared.state.lock();
            st.flushed = st.flushed.max(items);
            st.flushed_drops = st.flushed_drops.max(drops);
            st.progress += 1;
        }
        shared.progress.notify_all();
        if st.closing && st.queue.is_empty() && st.pending_drops == 0 {
            break;
        }
    }
    call(errors, "closing", || sink.close());
    drop(sink);
    let mut st = shared.state.lock();
    st.finished = true;
    st.progress += 1;
    shared.progress.notify_all();
    shared.room.notify_all();
}

// ---- the line handler -------------------------------------------------------------------------

/// Writes batches of formatted lines to a `Write`, in chunks of up to [`CHUNK`] bytes.
struct LineSink {
    writer: Box<dyn Write + Send>,
    format: Arc<dyn Format>,
    target: Arc<str>,
    thread_name: Arc<str>,
    buf: Vec<u8>,
}

/// `write_all` for an output that may be in non-blocking mode. Stderr shares its open file with
/// the parent process, which may have set `O_NONBLOCK` on it; a full pipe then answers
/// `WouldBlock` instead of blocking. That is the "nobody reads stderr" case, so the writer
/// thread waits (polling, as a generic `Write` offers no readiness to wait on) exactly as it
/// would in a blocking `write`, and goes on from where it stopped: no line is cut, and the
/// callers meanwhile drop and count as usual.
fn write_all_waiting(writer: &mut (dyn Write + Send), mut buf: &[u8]) -> io::Result<()> {
    let mut pause = WouldBlockPause::default();
    while !buf.is_empty() {
        match writer.write(buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                buf = &buf[n..];
                pause = WouldBlockPause::default();
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => pause.wait(),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The writer thread's wait between `WouldBlock`s: 1 ms, doubling up to 50 ms.
#[derive(Default)]
struct WouldBlockPause(u32);

impl WouldBlockPause {
    fn wait(&mut self) {
        let ms = 1u64 << self.0.min(6);
        std::thread::sleep(Duration::from_millis(ms.min(50)));
        self.0 += 1;
    }
}

/// Lines are gathered into writes of about this size: few syscalls, bounded extra memory.
const CHUNK: usize = 64 * 1024;

impl Sink for LineSink {
    type Item = Vec<u8>;

    fn write_batch(&mut self, batch: &mut Vec<Vec<u8>>) -> io::Result<()> {
        self.buf.clear();
        for line in batch.iter() {
            if !self.buf.is_empty() && self.buf.len() + line.len() > CHUNK {
                write_all_waiting(&mut *self.writer, &self.buf)?;
                self.buf.clear();
            }
            if line.len() >= CHUNK {
                write_all_waiting(&mut *self.writer, line)?;
            } else {
                self.buf.extend_from_slice(line);
            }
        }
        if !self.buf.is_empty() {
            write_all_waiting(&mut *self.writer, &self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut pause = WouldBlockPause::default();
        loop {
            match self.writer.flush() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => pause.wait(),
                other => return other,
            }
        }
    }

    fn report_dropped(&mut self, count: u64) -> io::Result<()> {
        let args = format_args!(
            "{count} records dropped while {} was not being read",
            self.target
        );
        let record = Record::builder(Level::Warn, "scoped_logger", args)
            .thread_name(Some(&self.thread_name))
            .build();
        let mut line = Vec::new();
        self.format.format(&record, &mut line);
        write_all_waiting(&mut *self.writer, &line)
    }

    fn close(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// A [`Handler`] over any `Write + Send + 'static` that never blocks its callers (under the
/// default [`Policy::Drop`]): each record is formatted on the caller's thread into one line and
/// queued for a background [`Worker`] that writes it. See the [module docs](self) for what
/// happens when the output is not read, and for the policies.
///
/// The worker thread starts with the first record (so the builder methods are free to call).
/// Lines from several threads never interleave, and each thread's records keep their order.
///
/// ```
/// use scoped_logger::{Handler, NonBlocking, Policy, Registry, Level};
/// use std::time::{Duration, Instant};
///
/// let file = tempfile::tempfile()?;
/// let handler = std::sync::Arc::new(
///     NonBlocking::new(file)
///         .capacity(10_000)
///         .policy(Policy::Drop)
///         .target_name("the log file"),
/// );
/// let reg = Registry::new();
/// reg.root().add_shared_handler(handler.clone());
/// reg.root().log(Level::Warn, format_args!("disk at {}%", 91));
/// assert!(handler.flush_by(Instant::now() + Duration::from_secs(5)));
/// assert_eq!(handler.dropped(), 0);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct NonBlocking {
    options: Options,
    format: Arc<dyn Format>,
    target: Arc<str>,
    writer: Mutex<Option<Box<dyn Write + Send>>>,
    worker: OnceLock<Option<Worker<LineSink>>>,
    /// Records dropped because the worker could not be started.
    unsent: AtomicU64,
    /// Reports the failure to start the worker (sink errors go to the worker's own reporter).
    start_errors: ErrorReporter,
}

impl fmt::Debug for NonBlocking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonBlocking")
            .field("target", &self.target)
            .field("options", &self.options)
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl NonBlocking {
    /// A handler writing text lines to `writer` from a background thread.
    pub fn new(writer: impl Write + Send + 'static) -> Self {
        NonBlocking {
            options: Options::default(),
            format: Arc::new(TextFormat),
            target: Arc::from("the output"),
            writer: Mutex::new(Some(Box::new(writer))),
            worker: OnceLock::new(),
            unsent: AtomicU64::new(0),
            start_errors: ErrorReporter::new("non-blocking handler"),
        }
    }

    /// Most records held at once (queued or being written); see [`Options::capacity`].
    pub fn capacity(mut self, records: usize) -> Self {
        self.options = self.options.capacity(records);
        self
    }

    /// Most bytes of formatted lines held at once; see [`Options::capacity_bytes`]. A single
    /// line longer than this is dropped and counted.
    pub fn capacity_bytes(mut self, bytes: usize) -> Self {
        self.options = self.options.capacity_bytes(bytes);
        self
    }

    /// What a caller does when the queue is full; see [`Policy`].
    pub fn policy(mut self, policy: Policy) -> Self {
        self.options = self.options.policy(policy);
        self
    }

    /// How long `flush()` and `close()` wait for the writer (default 1 s).
    pub fn flush_timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.flush_timeout(timeout);
        self
    }

    /// The line format (default [`TextFormat`]); the dropped-records report uses it too.
    pub fn format(mut self, format: impl Format + 'static) -> Self {
        self.format = Arc::new(format);
        self
    }

    /// The same, with a format already shared.
    pub fn shared_format(mut self, format: Arc<dyn Format>) -> Self {
        self.format = format;
        self
    }

    /// What the dropped-records report calls the output: "N records dropped while `name` was not
    /// being read" (default `the output`). Error reports use it too.
    pub fn target_name(mut self, name: impl Into<String>) -> Self {
        let name: String = name.into();
        self.start_errors = ErrorReporter::new(format!("non-blocking handler for {name}"));
        self.target = Arc::from(name);
        self
    }

    /// The worker thread's name (default `scoped-logger-writer`).
    pub fn thread_name(mut self, name: impl Into<String>) -> Self {
        self.options = self.options.thread_name(name);
        self
    }

    /// The options the worker runs (or will run) with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Records dropped so far (full queue, oversized line, closed worker).
    pub fn dropped(&self) -> u64 {
        self.unsent.load(Ordering::Relaxed) + self.started().map_or(0, Worker::dropped)
    }

    /// Records held now (queued or being written).
    pub fn queued(&self) -> usize {
        self.started().map_or(0, Worker::queued)
    }

    /// Bytes held now; never more than the byte capacity.
    pub fn queued_bytes(&self) -> usize {
        self.started().map_or(0, Worker::queued_bytes)
    }

    /// Closes the worker, waiting until `deadline`: everything queued is written and the writer
    /// flushed. Returns `false` when the writer was still busy at the deadline.
    pub fn close_by(&self, deadline: Instant) -> bool {
        // A worker never started never will be (this waits for a start in progress).
        let _ = self.worker.set(None);
        match self.started() {
            Some(w) => w.close_by(deadline),
            None => {
                self.writer.lock().take();
                true
            }
        }
    }

    fn started(&self) -> Option<&Worker<LineSink>> {
        self.worker.get().and_then(Option::as_ref)
    }

    #[inline]
    fn worker(&self) -> Option<&Worker<LineSink>> {
        match self.worker.get() {
            Some(w) => w.as_ref(),
            None => self.start(),
        }
    }

    #[cold]
    fn start(&self) -> Option<&Worker<LineSink>> {
        let mut failed = None;
        let worker = self.worker.get_or_init(|| {
            let writer = self.writer.lock().take()?;
            let sink = LineSink {
                writer,
                format: self.format.clone(),
                target: self.target.clone(),
                thread_name: Arc::from(self.options.thread_name.as_str()),
                buf: Vec::new(),
            };
            let mut options = self.options.clone();
            if options.description.is_none() {
                options.description = Some(format!("non-blocking handler for {}", self.target));
            }
            match Worker::spawn(sink, options) {
                Ok(w) => Some(w),
                Err(e) => {
                    failed = Some(e);
                    None
                }
            }
        });
        // Reported after the cell is set: the report may come back here (last-resort handler).
        if let Some(e) = failed {
            self.start_errors.report("starting its writer thread", e);
        }
        worker.as_ref()
    }
}

impl Handler for NonBlocking {
    fn dropped(&self) -> u64 {
        Self::dropped(self)
    }

    fn handle(&self, record: &Record<'_>) {
        let Some(worker) = self.worker() else {
            self.unsent.fetch_add(1, Ordering::Relaxed);
            return;
        };
        if worker.would_drop() {
            // Full under Policy::Drop: do not format a line only to throw it away.
            worker.count_dropped();
            return;
        }
        with_formatted(&*self.format, record, |line| {
            worker.send(line.to_vec(), line.len());
        });
    }

    fn flush(&self) {
        if let Some(w) = self.started() {
            w.flush_by(w.default_deadline());
        }
    }

    fn close(&self) {
        let deadline = match self.started() {
            Some(w) => w.default_deadline(),
            None => Instant::now(),
        };
        Handler::close_by(self, deadline);
    }

    fn close_by(&self, deadline: Instant) -> bool {
        let done = NonBlocking::close_by(self, deadline);
        if let Some(w) = self.started() {
            w.errors().summarize();
        }
        done
    }

    fn target(&self) -> Option<String> {
        Some(self.target.to_string())
    }

    fn flush_by(&self, deadline: Instant) -> bool {
        self.started().is_none_or(|w| w.flush_by(deadline))
    }

    fn take_error(&self) -> Option<io::Error> {
        self.start_errors
            .take()
            .or_else(|| self.started().and_then(Worker::take_error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Eq, Clone)]
    enum Ev {
        Item(u32),
        Dropped(u64),
        Flush,
        Close,
    }

    /// A sink that records what it was asked to do and can be held shut.
    #[derive(Clone, Default)]
    struct Probe {
        events: Arc<Mutex<Vec<Ev>>>,
        gate: Arc<(Mutex<(bool, usize)>, Condvar)>,
        fail_first: Arc<std::sync::atomic::AtomicBool>,
    }

    impl Probe {
        fn stalled() -> Probe {
            let p = Probe::default();
            p.gate.0.lock().0 = true;
            p
        }
        /// Waits (failsafe 30 s) until the worker has entered `write_batch` `n` times.
        fn wait_entered(&self, n: usize) {
            let (m, cv) = &*self.gate;
            let mut g = m.lock();
            let end = Instant::now() + Duration::from_secs(30);
            while g.1 < n {
                assert!(
                    !cv.wait_until(&mut g, end).timed_out(),
                    "failsafe: worker never wrote"
                );
            }
        }
        fn release(&self) {
            let (m, cv) = &*self.gate;
            m.lock().0 = false;
            cv.notify_all();
        }
        fn events(&self) -> Vec<Ev> {
            self.events.lock().clone()
        }
    }

    impl Sink for Probe {
        type Item = u32;
        fn write_batch(&mut self, batch: &mut Vec<u32>) -> io::Result<()> {
            {
                let (m, cv) = &*self.gate;
                let mut g = m.lock();
                g.1 += 1;
                cv.notify_all();
                while g.0 {
                    cv.wait(&mut g);
                }
            }
            if self
                .fail_first
                .swap(false, std::sync::atomic::Ordering::Relaxed)
            {
                return Err(io::Error::other("first write fails"));
            }
            self.events.lock().extend(batch.drain(..).map(Ev::Item));
            Ok(())
        }
        fn flush(&mut self) -> io::Result<()> {
            self.events.lock().push(Ev::Flush);
            Ok(())
        }
        fn report_dropped(&mut self, count: u64) -> io::Result<()> {
            self.events.lock().push(Ev::Dropped(count));
            Ok(())
        }
        fn close(&mut self) -> io::Result<()> {
            self.events.lock().push(Ev::Close);
            Ok(())
        }
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(30)
    }

    fn items(ev: &[Ev]) -> Vec<u32> {
        ev.iter()
            .filter_map(|e| match e {
                Ev::Item(i) => Some(*i),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn writes_in_order_and_closes_once() {
        let probe = Probe::default();
        let w = Worker::spawn(probe.clone(), Options::default().capacity(8)).unwrap();
        for i in 0..100 {
            // A full queue may drop some under Policy::Drop; what arrives is in order.
            w.send(i, 1);
        }
        assert!(w.flush_by(far()));
        assert!(w.close_by(far()));
        let ev = probe.events();
        let got = items(&ev);
        assert!(got.windows(2).all(|p| p[0] < p[1]), "{got:?}");
        let reported: u64 = ev
            .iter()
            .map(|e| if let Ev::Dropped(n) = e { *n } else { 0 })
            .sum();
        assert_eq!(got.len() as u64 + w.dropped(), 100);
        assert_eq!(reported, w.dropped());
        assert_eq!(ev.iter().filter(|e| **e == Ev::Close).count(), 1);
        assert_eq!(ev.last(), Some(&Ev::Close));
        assert!(!w.send(1000, 1), "closed workers refuse");
    }

    #[test]
    fn drops_are_reported_at_the_gap() {
        let probe = Probe::stalled();
        let options = Options::default().capacity(3).capacity_bytes(50);
        let w = Worker::spawn(probe.clone(), options).unwrap();
        assert!(w.send(0, 1));
        probe.wait_entered(1); // item 0 is being written (and still counts as held)
        assert!(w.send(1, 1));
        assert!(w.send(2, 1));
        assert!(!w.send(3, 1));
        assert!(!w.send(4, 1));
        assert_eq!(w.dropped(), 2);
        assert_eq!(w.queued(), 3);
        probe.release();
        assert!(w.flush_by(far()));
        assert!(w.send(5, 1));
        assert!(!w.send(6, 51), "larger than the byte capacity");
        assert!(w.flush_by(far()));
        let ev: Vec<Ev> = probe
            .events()
            .into_iter()
            .filter(|e| *e != Ev::Flush)
            .collect();
        assert_eq!(
            ev,
            vec![
                Ev::Item(0),
                Ev::Item(1),
                Ev::Item(2),
                Ev::Dropped(2),
                Ev::Item(5),
                Ev::Dropped(1),
            ]
        );
        assert_eq!(w.dropped(), 3);
    }

    #[test]
    fn oversized_items_are_dropped_and_reported_when_idle() {
        let probe = Probe::default();
        let w = Worker::spawn(probe.clone(), Options::default().capacity_bytes(10)).unwrap();
        assert!(w.send(1, 10));
        assert!(!w.send(2, 11));
        assert_eq!(w.dropped(), 1);
        assert!(w.flush_by(far()), "the flush waits for the report as well");
        let ev: Vec<Ev> = probe
            .events()
            .into_iter()
            .filter(|e| *e != Ev::Flush)
            .collect();
        assert_eq!(ev, vec![Ev::Item(1), Ev::Dropped(1)]);
    }

    #[test]
    fn stalled_flush_and_close_give_up_at_the_deadline() {
        let probe = Probe::stalled();
        let w = Worker::spawn(
            probe.clone(),
            Options::default().flush_timeout(Duration::from_secs(3600)),
        )
        .unwrap();
        assert!(w.send(0, 1));
        probe.wait_entered(1);
        assert!(w.send(1, 1));
        let start = Instant::now();
        // Long enough to count as evidence of a stall (a shorter poll does not mark it).
        assert!(!w.flush_by(start + STALL_EVIDENCE + Duration::from_millis(10)));
        assert!(start.elapsed() >= STALL_EVIDENCE);
        assert!(w.stalled());
        assert_eq!(w.queued(), 2);
        assert!(!w.close_by(Instant::now() + Duration::from_millis(20)));
        assert!(!w.send(2, 1), "closing: refused");
        // Dropping a stalled worker does not wait for the hour-long flush timeout.
        drop(w);
        probe.release();
    }

    #[test]
    fn errors_are_reported_and_the_worker_goes_on() {
        let probe = Probe::default();
        probe
            .fail_first
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let w = Worker::spawn(probe.clone(), Options::default()).unwrap();
        assert!(w.send(1, 1));
        assert!(w.flush_by(far()));
        assert!(w.send(2, 1));
        assert!(w.flush_by(far()));
        assert_eq!(items(&probe.events()), vec![2]);
        assert_eq!(w.errors().count(), 1);
        let e = w.take_error().expect("the failure is kept");
        assert!(e.to_string().contains("first write fails"), "{e}");
        assert!(w.take_error().is_none());
    }
}
