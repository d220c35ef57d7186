//! The bounded state a [`Worker`](super::Worker) shares with its senders, and the counters that
//! say how far the worker has got.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

use super::gap::Queued;
use super::{Policy, Setup};
use crate::handler::ErrorReporter;

/// Workers that write one output (every handler on the process's stderr): when one of them is
/// found stalled, the output is, so the exit does not wait on the others either; any of them
/// moving clears it.
#[derive(Debug, Default)]
pub(crate) struct StallGroup(AtomicBool);

impl StallGroup {
    pub(crate) const fn new() -> Self {
        StallGroup(AtomicBool::new(false))
    }

    pub(super) fn stalled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// How far one stream of events has got: items (records) and drops (counted refusals). Every
/// progress mark of the queue (accepted, written, flushed, asked to be flushed) is one of these,
/// so the two families of counters move together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Marks {
    pub(super) items: u64,
    pub(super) drops: u64,
}

impl Marks {
    /// Whether this mark has reached `other` in both streams.
    pub(super) fn covers(self, other: Marks) -> bool {
        self.items >= other.items && self.drops >= other.drops
    }

    /// The later of the two marks, stream by stream.
    pub(super) fn max(self, other: Marks) -> Marks {
        Marks {
            items: self.items.max(other.items),
            drops: self.drops.max(other.drops),
        }
    }
}

pub(super) struct State<T> {
    pub(super) queue: VecDeque<Queued<T>>,
    /// Records and bytes held: queued plus the batch being written.
    pub(super) held_items: usize,
    pub(super) held_bytes: usize,
    /// Drops not yet attached to an item (see [`gap`](super::gap)).
    pub(super) pending_drops: u64,
    /// How many of `pending_drops` were refused for being larger than the byte capacity.
    pub(super) pending_too_large: u64,
    /// Items accepted and drops counted (to be reported) so far.
    pub(super) accepted: Marks,
    /// Items the worker has finished (written or failed) and drops it has written a report for.
    pub(super) written: Marks,
    /// What the last completed `Sink::flush` covered.
    pub(super) flushed: Marks,
    /// What flush requests are waiting for.
    pub(super) flush_wanted: Marks,
    /// Bumped each time the worker completes a sink call.
    pub(super) progress: u64,
    /// `progress` when a wait last gave up on the output (a flush or close at its deadline, a
    /// sender after a whole stall window): the worker counts as stalled until it moves again
    /// (see [`Worker::stalled`](super::Worker::stalled)).
    pub(super) gave_up_at: Option<u64>,
    /// When the output last moved: the worker's last completed sink call, or the moment work
    /// arrived at an idle worker. A sender that finds the queue full measures the stall from here.
    pub(super) moving_since: Instant,
    /// Since the last drop report: the output stalled (a sink call took a whole stall window,
    /// or a wait gave up on it), so the report says it was not being read.
    pub(super) stall_seen: bool,
    pub(super) closing: bool,
    pub(super) finished: bool,
}

impl<T> State<T> {
    pub(super) fn new() -> Self {
        State {
            queue: VecDeque::new(),
            held_items: 0,
            held_bytes: 0,
            pending_drops: 0,
            pending_too_large: 0,
            accepted: Marks::default(),
            written: Marks::default(),
            flushed: Marks::default(),
            flush_wanted: Marks::default(),
            progress: 0,
            gave_up_at: None,
            moving_since: Instant::now(),
            stall_seen: false,
            closing: false,
            finished: false,
        }
    }

    /// Whether the last wait that gave up on the output has seen no progress since.
    pub(super) fn stalled(&self) -> bool {
        self.gave_up_at == Some(self.progress)
    }

    pub(super) fn covers(&self, target: Marks) -> bool {
        self.flushed.covers(target)
    }

    /// Whether the worker has been asked for a flush it has not done yet.
    pub(super) fn flush_pending(&self) -> bool {
        !self.flushed.covers(self.flush_wanted)
    }

    pub(super) fn worker_has_work(&self) -> bool {
        !self.queue.is_empty() || self.pending_drops > 0 || self.flush_pending() || self.closing
    }
}

pub(super) struct Shared<T> {
    pub(super) state: Mutex<State<T>>,
    /// The worker waits here for work.
    pub(super) work: Condvar,
    /// Bumped with every wake-up: an idle worker watches it for a moment before it parks.
    pub(super) kicks: AtomicU64,
    /// Blocking senders wait here for room.
    pub(super) room: Condvar,
    /// Flushers and closers wait here for the worker.
    pub(super) progress: Condvar,
    /// Every record lost, reported or not (readable without the lock): refused by the queue, or
    /// accepted and then lost by the sink ([`Sink::take_lost`](super::Sink::take_lost)).
    pub(super) dropped: AtomicU64,
    /// Mirrors of `held_items`/`held_bytes` for lock-free reads.
    pub(super) held_items: AtomicUsize,
    pub(super) held_bytes: AtomicUsize,
    pub(super) errors: ErrorReporter,
    /// Mirror of [`State::stalled`] for the senders' lock-free check ([`Worker::would_drop`](super::Worker::would_drop)).
    pub(super) stalled: AtomicBool,
    /// The other workers on the same output, if any.
    pub(super) group: Option<&'static StallGroup>,
    pub(super) capacity: usize,
    pub(super) capacity_bytes: usize,
    pub(super) max_batch: usize,
    /// Most bytes of items handed to one sink call (after the first item).
    pub(super) batch_bytes: usize,
    pub(super) policy: Policy,
    pub(super) flush_timeout: Duration,
}

impl<T> Shared<T> {
    pub(super) fn new(setup: &Setup) -> Self {
        let what = setup
            .description
            .clone()
            .unwrap_or_else(|| setup.thread_name.clone());
        let queue = &setup.queue;
        Shared {
            state: Mutex::new(State::new()),
            work: Condvar::new(),
            kicks: AtomicU64::new(0),
            room: Condvar::new(),
            progress: Condvar::new(),
            dropped: AtomicU64::new(0),
            held_items: AtomicUsize::new(0),
            held_bytes: AtomicUsize::new(0),
            errors: ErrorReporter::new(what),
            stalled: AtomicBool::new(false),
            group: setup.group,
            capacity: queue.capacity.max(1),
            capacity_bytes: queue.capacity_bytes.max(1),
            max_batch: setup.max_batch.max(1),
            batch_bytes: setup.batch_bytes.max(1),
            policy: queue.policy,
            flush_timeout: queue.flush_timeout,
        }
    }

    pub(super) fn wake_worker(&self) {
        self.kicks.fetch_add(1, Ordering::Release);
        self.work.notify_one();
    }

    /// A flush or close wait that began at `began` reached its deadline: the worker counts as
    /// stalled (later waits without a deadline of their own do not wait on it) only when this wait
    /// gave it a fair chance. A poll with a deadline of "now" proves nothing about the output.
    ///
    /// An output that holds work and has taken nothing for a whole stall window is evidence
    /// too, however short this wait: a shutdown whose deadline another handler on the same
    /// unread stderr used up (the last-resort sink behind `init()`'s handler) then marks it, and
    /// the exit hook does not wait on it a second time.
    pub(super) fn gave_up(&self, st: &mut State<T>, began: Instant) {
        let waited_enough = began.elapsed() >= self.flush_timeout.min(STALL_EVIDENCE);
        let stuck = st.held_items > 0 && st.moving_since.elapsed() >= self.policy.window();
        if waited_enough || stuck {
            self.mark_stalled(st);
        }
    }

    /// The output has made no progress for as long as a wait can prove: senders that find the
    /// queue full drop at once until the worker moves again.
    pub(super) fn mark_stalled(&self, st: &mut State<T>) {
        st.gave_up_at = Some(st.progress);
        st.stall_seen = true;
        self.stalled.store(true, Ordering::Relaxed);
        if let Some(group) = self.group {
            group.0.store(true, Ordering::Relaxed);
        }
    }

    /// The worker completed a sink call: the output moves.
    pub(super) fn moved(&self, st: &mut State<T>) {
        st.progress += 1;
        st.moving_since = Instant::now();
        if st.gave_up_at.is_some() {
            st.gave_up_at = None;
            self.stalled.store(false, Ordering::Relaxed);
        }
        if let Some(group) = self.group
            && group.stalled()
        {
            group.0.store(false, Ordering::Relaxed);
        }
    }

    /// Asks the worker to write and flush everything accepted so far. Returns what a flush wait
    /// must see covered, or `None` when it already is.
    pub(super) fn ask_flush(&self, st: &mut State<T>) -> Option<Marks> {
        let target = st.accepted;
        if st.covers(target) {
            return None;
        }
        st.flush_wanted = st.flush_wanted.max(target);
        self.wake_worker();
        Some(target)
    }

    /// Waits until the worker's flushes cover `target` (from [`ask_flush`](Self::ask_flush)) or
    /// `deadline`; `began` is when the caller began to wait.
    pub(super) fn wait_flushed(
        &self,
        st: &mut MutexGuard<'_, State<T>>,
        target: Marks,
        deadline: Instant,
        began: Instant,
    ) -> bool {
        loop {
            if st.covers(target) {
                return true;
            }
            if st.finished {
                return false;
            }
            if self.progress.wait_until(st, deadline).timed_out() {
                if st.covers(target) {
                    return true;
                }
                self.gave_up(st, began);
                return false;
            }
        }
    }

    pub(super) fn mirror(&self, st: &State<T>) {
        self.held_items.store(st.held_items, Ordering::Relaxed);
        self.held_bytes.store(st.held_bytes, Ordering::Relaxed);
    }
}

/// How long a flush or close must have waited in vain before the worker counts as stalled.
pub(super) const STALL_EVIDENCE: Duration = Duration::from_millis(50);
