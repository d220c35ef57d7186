//! The one bounded-queue engine behind every queued handler ([`NonBlocking`](crate::handler::NonBlocking),
//! [`StderrHandler`](crate::StderrHandler), SQLite, syslog): a bounded queue in front of a
//! [`Sink`] that one [`Worker`] thread drains. The engine owns the limits ([`QueueOptions`]), the
//! [`Policy`] a full queue follows, all drop counting and the "N records dropped" reports at the
//! gaps, the bounded flushes and closes, and the flush of every live worker at process exit.
//! A slow, stalled or unread output must never stall the program that logs.
//!
//! # What happens when the output is not read
//!
//! A pipe holds only so much (64 KiB on Linux). When nobody reads the other end, for example
//! `my_prog 2>&1 | less` left in the pager, or a parent process that pipes a child's stderr and
//! never drains it, the worker thread blocks inside `write`. Callers do not, for long: the queue
//! fills up to its limits ([`QueueOptions::capacity`] records and
//! [`QueueOptions::capacity_bytes`] bytes, counting the batch the worker is writing); under the
//! default [`Policy::BlockUnlessStalled`] a caller that finds it full waits while the output
//! still takes bytes, and once the output has taken nothing for [`STALL_WINDOW`] (100 ms) that
//! caller and every one after it drop the record and count it ([`Worker::dropped`]) at once,
//! until the output moves again. A slow reader is not a stalled one: a regular file, a terminal,
//! a pipe that is drained, even slowly, gets every line. When the output is read again, the
//! worker writes what it had queued and then, before the next record it writes, one line:
//!
//! ```text
//! 2026-11-24T19:03:58.123Z WARN scoped_logger: 4242 records dropped while stderr was not being read
//! ```
//!
//! in the handler's format, at the place in the stream where the records are missing. Drops
//! that happen after the last queued record are reported as soon as the worker is idle again.
//! Drops under a policy that does not wait ([`Policy::Drop`], [`Policy::BlockFor`]) on an output
//! that was moving say so instead: `N records dropped: stderr could not keep up` ([`DropCause`]).
//! A process that exits while its output is still unread cannot write that line (nor what was
//! still queued, once the [exit deadline](#at-exit) has passed): the count is lost with it (read
//! it from [`NonBlocking::dropped`](crate::handler::NonBlocking::dropped) before exiting if you need it).
//!
//! The worker writes lines in chunks of up to 16 KiB, one system call each: it is never the
//! bottleneck of a burst into a file or a drained pipe, and it sees the output move at least
//! every 16 KiB, so a reader as slow as 200 KB/s never looks stalled.
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
//! # Settings
//!
//! Every queued handler ([`NonBlocking`](crate::handler::NonBlocking), [`StderrHandler`](crate::StderrHandler), SQLite,
//! syslog, [`InitBuilder`](crate::InitBuilder)) takes the same four settings as one
//! [`QueueOptions`] through its `queue` method: capacity in records and in bytes, the
//! [`Policy`], and the flush timeout.
//!
//! # Policies
//!
//! * [`Policy::BlockUnlessStalled`]`(window)` (default, with [`STALL_WINDOW`]): a caller that
//!   finds the queue full waits for room while the output makes progress; when it has made none
//!   for `window`, the caller drops and counts, and so does every caller after it, at once,
//!   until the output moves again. No call waits longer than `window`, and a dead reader costs
//!   the program one window, not one per record. Every line a live reader takes is written.
//! * [`Policy::Drop`]: a full queue drops the record and counts it, even while the output is
//!   only a little slower than the program for a moment. A log call costs formatting plus one
//!   short lock, whatever the output does.
//! * [`Policy::Block`]: the caller waits for room. Nothing is dropped, but a stalled output
//!   stalls every thread that logs through this handler, for as long as it stays stalled: a
//!   process whose stderr is never read hangs. A handler whose writer logs back into the same
//!   handler can deadlock. Use it only for outputs you control (a file, a socket you drain).
//! * [`Policy::BlockFor`]`(d)`: wait at most `d` for room, then drop and count. Bounds the
//!   stall per call, not in total: a thread logging a thousand records into a stalled output
//!   waits a thousand times `d`.
//!
//! Whatever the policy, a record larger than [`QueueOptions::capacity_bytes`] on its own is dropped
//! and counted at once: it could never fit, and growing memory past the limit is what the limit
//! is there to prevent. Records sent after the worker was closed are dropped and counted too
//! (they are never reported: the worker is gone).
//!
//! # Inside
//!
//! * `state`: the bounded state and its progress marks;
//! * `gap`: drop counting and where the reports go;
//! * `worker`: the writer thread;
//! * `at_exit`: the last words.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, MutexGuard};

use crate::handler::ErrorReporter;

mod at_exit;
mod gap;
mod state;
mod worker;

pub use at_exit::{
    DEFAULT_EXIT_DEADLINE, exit_deadline, flush_all_by, install_abort_flush, set_exit_deadline,
};

pub(crate) use state::StallGroup;
use state::{Shared, State};

/// How long an output may make no progress before a caller that finds the queue full under
/// [`Policy::BlockUnlessStalled`] (the default) gives up on it and drops. 100 ms: far longer
/// than a healthy output takes to accept one 64 KiB write (a regular file, a terminal, a pipe
/// whose reader keeps up, even a reader that takes 1 MB/s), and short enough that a program
/// whose output nobody reads loses no more than a tenth of a second once, not per record.
pub const STALL_WINDOW: Duration = Duration::from_millis(100);

/// What a caller does when the queue is full.
///
/// See the [module docs](self#policies) for the risks of each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Policy {
    /// Wait for room while the output makes progress; drop and count once it has made none for
    /// this long (a stall: nobody reads it), and then drop at once, without waiting, until it
    /// moves again. No call waits longer than the window. The default, with [`STALL_WINDOW`].
    BlockUnlessStalled(Duration),
    /// Never wait: drop the record and count it as soon as the queue is full, even while the
    /// output is only slower than the program for a moment.
    Drop,
    /// Wait for room, as long as it takes. A stalled output stalls the caller (and can hang the
    /// program); nothing is dropped while the worker runs.
    Block,
    /// Wait for room at most this long, then drop the record and count it.
    BlockFor(Duration),
}

impl Default for Policy {
    fn default() -> Self {
        Policy::BlockUnlessStalled(STALL_WINDOW)
    }
}

impl Policy {
    /// The stall window this policy judges an output by: its own, or [`STALL_WINDOW`].
    pub(super) fn window(self) -> Duration {
        match self {
            Policy::BlockUnlessStalled(w) => w,
            _ => STALL_WINDOW,
        }
    }
}

/// Why the records of one gap were dropped, for the report a [`Sink`] writes at the gap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropCause {
    /// The output made no progress for a whole stall window: nobody was reading it.
    Stalled,
    /// The output was moving, but the records came faster than it took them (under
    /// [`Policy::Drop`] or [`Policy::BlockFor`]).
    Overflow,
    /// Every record of the gap was larger than the queue's byte capacity on its own: it could
    /// never be queued, whatever the output did.
    TooLarge,
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
    /// 1024 items). The items may be taken out of `batch`; whatever is left is
    /// dropped afterwards. A SQLite sink wraps this in one transaction.
    fn write_batch(&mut self, batch: &mut Vec<Self::Item>) -> io::Result<()>;

    /// Called when the queue has been drained and on flush requests.
    fn flush(&mut self) -> io::Result<()>;

    /// Writes the report of a gap: `count` records dropped, for `cause` (before the next item, at
    /// the place of the gap): "N records dropped while stderr was not being read", or "...
    /// because stderr could not keep up".
    fn report_dropped(&mut self, count: u64, cause: DropCause) -> io::Result<()>;

    /// Releases the resource (end of the worker thread, after the last flush).
    fn close(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Records this sink lost since the last call after the queue had accepted them (a batch the
    /// database refused, messages a server never got). The worker asks after every sink call and
    /// adds them to [`Worker::dropped`], so the engine keeps the one count of what was lost; the
    /// sink tells the output about them in its own words. Default: none.
    fn take_lost(&mut self) -> u64 {
        0
    }
}

/// What the owner of a sink decides besides the user's [`QueueOptions`]: the worker thread's
/// name, what error reports call the output, and how much one sink call takes.
#[derive(Clone, Debug)]
pub(crate) struct Setup {
    pub(crate) queue: QueueOptions,
    pub(crate) thread_name: String,
    /// What error reports call this output (e.g. `sqlite handler logs.db`). Default: the thread
    /// name.
    pub(crate) description: Option<String>,
    /// Most items handed to one [`Sink::write_batch`].
    pub(crate) max_batch: usize,
    /// Most bytes (as the senders counted them) handed to one sink call, past the first item:
    /// a line sink writes about this much per system call and reports progress as often.
    pub(crate) batch_bytes: usize,
    /// The workers that share this one's output, if any (see [`StallGroup`]).
    pub(crate) group: Option<&'static StallGroup>,
}

impl Setup {
    pub(crate) fn new(thread_name: impl Into<String>, queue: QueueOptions) -> Self {
        Setup {
            queue,
            thread_name: thread_name.into(),
            description: None,
            max_batch: 1024,
            batch_bytes: usize::MAX,
            group: None,
        }
    }
}

/// The most bytes one write of a line sink carries (and a syslog TCP write): a few hundred lines
/// per system call, bounded extra memory, and the output's progress seen at least every 16 KiB,
/// so a reader that takes 200 KB/s still moves well within [`STALL_WINDOW`].
pub(crate) const CHUNK: usize = 16 * 1024;

/// The settings every queued handler shares: how much its queue holds, what a caller does when
/// it is full, and how long a flush waits. Taken by [`NonBlocking::queue`](crate::handler::NonBlocking::queue),
/// [`StderrHandler::queue`](crate::StderrHandler::queue), the SQLite and syslog builders'
/// `queue`, and [`InitBuilder::queue`](crate::InitBuilder::queue).
///
/// ```
/// use scoped_logger::handler::NonBlocking;
/// use scoped_logger::handler::queue::{Policy, QueueOptions};
/// use std::time::Duration;
///
/// let queue = QueueOptions::default()
///     .capacity(4096)
///     .capacity_bytes(1 << 20)
///     .policy(Policy::BlockFor(Duration::from_millis(5)))
///     .flush_timeout(Duration::from_secs(2));
/// let handler = NonBlocking::new(std::io::sink()).queue(queue);
/// assert_eq!(handler.queue_options(), queue);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueueOptions {
    /// Most records held at once (queued or being written). Default 16 384; at least 1.
    pub capacity: usize,
    /// Most bytes held at once (as the sender counts them; for a line handler, the formatted
    /// line). A single record larger than this is dropped and counted. Default 16 MiB; at least 1.
    pub capacity_bytes: usize,
    /// What a caller does when the queue is full. Default [`Policy::BlockUnlessStalled`] with
    /// [`STALL_WINDOW`].
    pub policy: Policy,
    /// How long `flush()`, `close()` and dropping the handler wait for the writer when no
    /// deadline is given. Default 1 s.
    pub flush_timeout: Duration,
}

impl Default for QueueOptions {
    fn default() -> Self {
        QueueOptions {
            capacity: 16 * 1024,
            capacity_bytes: 16 * 1024 * 1024,
            policy: Policy::default(),
            flush_timeout: Duration::from_secs(1),
        }
    }
}

impl QueueOptions {
    /// Sets [`capacity`](QueueOptions#structfield.capacity) (clamped to at least 1).
    pub fn capacity(mut self, records: usize) -> Self {
        self.capacity = records.max(1);
        self
    }

    /// Sets [`capacity_bytes`](QueueOptions#structfield.capacity_bytes) (clamped to at least 1).
    pub fn capacity_bytes(mut self, bytes: usize) -> Self {
        self.capacity_bytes = bytes.max(1);
        self
    }

    /// Sets [`policy`](QueueOptions#structfield.policy).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets [`flush_timeout`](QueueOptions#structfield.flush_timeout).
    pub fn flush_timeout(mut self, timeout: Duration) -> Self {
        self.flush_timeout = timeout;
        self
    }
}

/// A bounded queue and the thread that drains it into a [`Sink`].
///
/// Senders never wait under [`Policy::Drop`]; flushes and closes wait at most until their
/// deadline. Dropping the worker closes it, waiting at most [`QueueOptions::flush_timeout`] (not at
/// all when it is [`stalled`](Self::stalled)); a thread still stuck in the sink then is left to
/// end with the process.
///
/// ```
/// use scoped_logger::handler::queue::{DropCause, QueueOptions, Sink, Worker};
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
///     fn report_dropped(&mut self, _count: u64, _cause: DropCause) -> std::io::Result<()> { Ok(()) }
/// }
///
/// let out = Arc::new(Mutex::new(Vec::new()));
/// let worker = Worker::spawn(Collect(out.clone()), "collector", QueueOptions::default().capacity(100))?;
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
    /// Starts the worker thread, named `thread_name` (error reports call the output that too).
    /// Fails only when the thread cannot be spawned.
    pub fn spawn(sink: S, thread_name: &str, queue: QueueOptions) -> io::Result<Self> {
        Self::start(sink, Setup::new(thread_name, queue))
    }

    /// [`spawn`](Self::spawn) with the settings only the crate's own sinks choose.
    pub(crate) fn start(sink: S, setup: Setup) -> io::Result<Self> {
        let shared = Arc::new(Shared::new(&setup));
        let for_thread = shared.clone();
        let thread = std::thread::Builder::new()
            .name(setup.thread_name)
            .spawn(move || worker::run(&for_thread, sink))?;
        at_exit::register(&shared);
        Ok(Worker {
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// A worker that has no thread and never will: it refuses and counts everything sent to it
    /// (a handler closed before its first record, or whose thread could not be started), so
    /// that the queue keeps the count there too.
    pub(crate) fn closed(setup: &Setup) -> Self {
        let shared = Shared::new(setup);
        {
            let mut st = shared.state.lock();
            st.closing = true;
            st.finished = true;
        }
        Worker {
            shared: Arc::new(shared),
            thread: Mutex::new(None),
        }
    }

    /// Queues `item`, which the caller says takes `bytes` bytes (counted against
    /// [`QueueOptions::capacity_bytes`]). Returns `false` when the item was dropped (and
    /// counted): the queue stayed full under the policy, the item alone is larger than the byte
    /// capacity, or the worker was closed.
    pub fn send(&self, item: S::Item, bytes: usize) -> bool {
        let Some(mut st) = self.admit(bytes) else {
            return false;
        };
        let queued = Shared::queued(&mut st, item, bytes);
        self.push(st, queued, bytes)
    }

    /// Takes the lock and waits for room for `bytes` as the policy says. `None`: refused (and
    /// counted, the worker woken for the report when it is idle).
    #[inline]
    fn admit(&self, bytes: usize) -> Option<MutexGuard<'_, State<S::Item>>> {
        let shared = &*self.shared;
        let mut st = shared.state.lock();
        if bytes > shared.capacity_bytes {
            self.refuse(st, true);
            return None;
        }
        let mut deadline = None;
        loop {
            if st.closing || st.finished {
                shared.refuse(&mut st, false, false);
                return None;
            }
            if st.held_items < shared.capacity && st.held_bytes + bytes <= shared.capacity_bytes {
                return Some(st);
            }
            let waited = match shared.policy {
                Policy::Drop => false,
                Policy::Block => {
                    shared.room.wait(&mut st);
                    true
                }
                Policy::BlockFor(d) => {
                    let now = Instant::now();
                    let end = *deadline.get_or_insert(now + d);
                    if now < end {
                        shared.room.wait_until(&mut st, end);
                        true
                    } else {
                        // A whole bound without room: as a flush that gave up, evidence of a
                        // stall when it was long enough (the report then says so).
                        shared.gave_up(&mut st, end - d);
                        false
                    }
                }
                Policy::BlockUnlessStalled(window) => {
                    !st.stalled() && self.wait_unless_stalled(&mut st, window, &mut deadline)
                }
            };
            if !waited {
                self.refuse(st, false);
                return None;
            }
        }
    }

    /// One wait for room under [`Policy::BlockUnlessStalled`]: until room, or until the output
    /// has made no progress for `window` (then it is stalled, and `false`), and never past
    /// `window` after the call began (`call_end`).
    #[cold]
    fn wait_unless_stalled(
        &self,
        st: &mut MutexGuard<'_, State<S::Item>>,
        window: Duration,
        call_end: &mut Option<Instant>,
    ) -> bool {
        let now = Instant::now();
        let call_end = *call_end.get_or_insert(now + window);
        let stall_at = st.moving_since + window;
        if now >= stall_at {
            self.shared.mark_stalled(st);
            return false;
        }
        if now >= call_end {
            return false;
        }
        self.shared.room.wait_until(st, stall_at.min(call_end));
        true
    }

    /// Counts a refused record (`too_large`: larger than the byte capacity on its own) and
    /// releases the lock, waking an idle worker to report it.
    fn refuse(&self, mut st: MutexGuard<'_, State<S::Item>>, too_large: bool) {
        let wake = self.shared.refuse(&mut st, true, too_large);
        drop(st);
        if wake {
            self.shared.wake_worker();
        }
    }

    /// Puts an admitted item at the back of the queue.
    #[inline]
    fn push(
        &self,
        mut st: MutexGuard<'_, State<S::Item>>,
        queued: gap::Queued<S::Item>,
        bytes: usize,
    ) -> bool {
        if st.held_items == 0 {
            // Work arrives at an idle worker: a stall is measured from now, not from its last write.
            st.moving_since = Instant::now();
        }
        // The worker only sleeps on an empty queue.
        let wake = st.queue.is_empty();
        st.queue.push_back(queued);
        self.accepted(st, bytes, wake)
    }

    /// Counts an admitted record, releases the lock and wakes the worker if it may sleep.
    #[inline]
    fn accepted(&self, mut st: MutexGuard<'_, State<S::Item>>, bytes: usize, wake: bool) -> bool {
        let shared = &*self.shared;
        st.held_items += 1;
        st.held_bytes += bytes;
        st.accepted.items += 1;
        shared.mirror(&st);
        drop(st);
        if wake {
            shared.wake_worker();
        }
        true
    }

    /// Whether a [`send`](Self::send) now would surely drop: the queue is full and the policy
    /// drops without waiting ([`Policy::Drop`], or [`Policy::BlockUnlessStalled`] on a stalled
    /// output). Lets a caller skip the work of building an item that would be thrown away (then
    /// call [`count_dropped`](Self::count_dropped)).
    #[inline]
    pub fn would_drop(&self) -> bool {
        let shared = &*self.shared;
        shared.held_items.load(Ordering::Relaxed) >= shared.capacity
            && match shared.policy {
                Policy::Drop => true,
                Policy::BlockUnlessStalled(_) => shared.stalled.load(Ordering::Relaxed),
                _ => false,
            }
    }

    /// Counts (and reports, like any drop) a record the caller chose not to send.
    #[inline]
    pub fn count_dropped(&self) {
        let mut st = self.shared.state.lock();
        let wake = self.shared.refuse(&mut st, true, false);
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
    /// [`QueueOptions::capacity_bytes`].
    pub fn queued_bytes(&self) -> usize {
        self.shared.held_bytes.load(Ordering::Relaxed)
    }

    /// The policy senders follow.
    pub fn policy(&self) -> Policy {
        self.shared.policy
    }

    /// [`QueueOptions::flush_timeout`].
    pub fn flush_timeout(&self) -> Duration {
        self.shared.flush_timeout
    }

    /// Whether a flush or close wait gave up at its deadline and the sink has completed nothing
    /// since. Waits that have no deadline of their own (a handler's `flush()` and `close()`,
    /// dropping the worker) do not wait again on a stalled worker, so a stalled output costs one
    /// timeout at shutdown rather than one per call.
    pub fn stalled(&self) -> bool {
        self.shared.state.lock().stalled()
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

    /// The first sink error since the last call (see [`Handler::take_error`](crate::Handler::take_error)).
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

impl<S: Sink<Item = Vec<u8>>> Worker<S> {
    /// Queues one line of bytes for a sink that writes bytes. Lines that follow each other with
    /// no drop between them share one buffer of up to [`CHUNK`] bytes, so a burst costs the
    /// sender a copy and the worker one write per chunk, not an allocation and a write per line.
    /// Returns `false` when the line was dropped (and counted), as [`send`](Self::send) does.
    pub(crate) fn send_line(&self, line: &[u8]) -> bool {
        let bytes = line.len();
        let Some(mut st) = self.admit(bytes) else {
            return false;
        };
        if st.pending_drops == 0
            && let Some(tail) = st.queue.back_mut()
            && tail.item.len() + bytes <= CHUNK
        {
            tail.item.extend_from_slice(line);
            tail.bytes += bytes;
            tail.records += 1;
            // The queue was not empty: the worker is awake, or about to take this chunk.
            return self.accepted(st, bytes, false);
        }
        // A lone line (an idle worker) gets a buffer of its size; in a burst, one for a chunk.
        let capacity = if st.queue.is_empty() {
            bytes
        } else {
            CHUNK.max(bytes)
        };
        let mut chunk = Vec::with_capacity(capacity);
        chunk.extend_from_slice(line);
        let queued = Shared::queued(&mut st, chunk, bytes);
        self.push(st, queued, bytes)
    }
}

impl<S: Sink> Drop for Worker<S> {
    fn drop(&mut self) {
        let deadline = self.default_deadline();
        self.close_by(deadline);
    }
}
#[cfg(test)]
mod tests {
    use super::state::STALL_EVIDENCE;
    use super::*;
    use parking_lot::Condvar;

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
        fn report_dropped(&mut self, count: u64, _cause: DropCause) -> io::Result<()> {
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
        let w = Worker::spawn(
            probe.clone(),
            "t",
            QueueOptions::default().capacity(8).policy(Policy::Drop),
        )
        .unwrap();
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
        let options = QueueOptions::default()
            .capacity(3)
            .capacity_bytes(50)
            .policy(Policy::Drop);
        let w = Worker::spawn(probe.clone(), "t", options).unwrap();
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
        let w = Worker::spawn(
            probe.clone(),
            "t",
            QueueOptions::default().capacity_bytes(10),
        )
        .unwrap();
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
            "t",
            QueueOptions::default().flush_timeout(Duration::from_secs(3600)),
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
        let w = Worker::spawn(probe.clone(), "t", QueueOptions::default()).unwrap();
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

    /// Loses every odd item, as a sink whose server refused them would.
    struct Lossy(Arc<Mutex<Vec<u32>>>, u64);

    impl Sink for Lossy {
        type Item = u32;
        fn write_batch(&mut self, batch: &mut Vec<u32>) -> io::Result<()> {
            for i in batch.drain(..) {
                if i % 2 == 0 {
                    self.0.lock().push(i);
                } else {
                    self.1 += 1;
                }
            }
            Ok(())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
        fn report_dropped(&mut self, _count: u64, _cause: DropCause) -> io::Result<()> {
            Ok(())
        }
        fn take_lost(&mut self) -> u64 {
            std::mem::take(&mut self.1)
        }
    }

    #[test]
    fn what_a_sink_loses_is_counted_by_the_queue_by_the_time_a_flush_returns() {
        let out = Arc::new(Mutex::new(Vec::new()));
        let w = Worker::spawn(Lossy(out.clone(), 0), "t", QueueOptions::default()).unwrap();
        for i in 0..10 {
            assert!(w.send(i, 1));
        }
        assert!(w.flush_by(far()));
        assert_eq!(*out.lock(), vec![0, 2, 4, 6, 8]);
        assert_eq!(w.dropped(), 5, "lost by the sink, counted once");
        // Queue refusals add to the same count.
        w.count_dropped();
        assert_eq!(w.dropped(), 6);
    }

    #[test]
    fn queue_options_clamp_and_default_to_the_stall_aware_policy() {
        let queue = QueueOptions::default()
            .capacity(0)
            .capacity_bytes(0)
            .flush_timeout(Duration::from_millis(7));
        assert_eq!(queue.capacity, 1, "clamped to at least 1");
        assert_eq!(queue.capacity_bytes, 1, "clamped to at least 1");
        assert_eq!(queue.flush_timeout, Duration::from_millis(7));
        assert_eq!(queue.policy, Policy::BlockUnlessStalled(STALL_WINDOW));
        assert_eq!(QueueOptions::default().policy, Policy::default());
    }
}
