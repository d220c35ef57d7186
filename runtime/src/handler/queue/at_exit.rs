//! The last words: when the process exits (a return from `main`, `std::process::exit`, a panic
//! under `panic = "abort"`), every live worker is flushed against one deadline before it goes.
//! This runs on the exiting thread while the other threads go on; it must never wait past that
//! deadline, never wait on its own thread's worker, and never run a sink itself (the writer
//! threads write; this only asks them and waits).

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Once, Weak};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::state::{Marks, Shared};

/// How long the process waits at exit for the writers, in all, unless [`set_exit_deadline`] or
/// [`InitBuilder::exit_deadline`](crate::InitBuilder::exit_deadline) says otherwise: one second,
/// as long as dropping [`InitGuard`](crate::InitGuard) may take. A writer that keeps up needs
/// microseconds of it; only an output that is not being read uses it up.
pub const DEFAULT_EXIT_DEADLINE: Duration = Duration::from_secs(1);

static EXIT_DEADLINE_NANOS: AtomicU64 = AtomicU64::new(DEFAULT_EXIT_DEADLINE.as_nanos() as u64);

/// How long the process waits at exit for every queued handler together (see
/// [`flush_all_by`]). [`DEFAULT_EXIT_DEADLINE`] unless [`set_exit_deadline`] changed it.
pub fn exit_deadline() -> Duration {
    Duration::from_nanos(EXIT_DEADLINE_NANOS.load(Ordering::Relaxed))
}

/// Sets how long the process waits at exit (a return from `main`, `std::process::exit`, a
/// panic under `panic = "abort"`) for the records still queued by every handler together.
/// `Duration::ZERO` asks the writers to flush and does not wait for them. Takes effect for the
/// next exit, from any thread.
pub fn set_exit_deadline(deadline: Duration) {
    let nanos = u64::try_from(deadline.as_nanos()).unwrap_or(u64::MAX);
    EXIT_DEADLINE_NANOS.store(nanos, Ordering::Relaxed);
}

/// What the exit flush needs of a worker, whatever its items are.
trait Flushable: Send + Sync {
    /// Identifies the worker: the address of its shared state.
    fn id(&self) -> usize;
    /// Asks the worker to flush what it has accepted so far.
    fn ask(&self) -> Asked;
    /// Waits for the flush [`ask`](Self::ask) asked for, until `deadline`.
    fn wait(&self, target: Marks, deadline: Instant, began: Instant) -> bool;
}

enum Asked {
    /// Everything accepted is written and flushed.
    Nothing,
    /// Something is left, and waiting would not help: a wait already gave up on this worker and
    /// it has written nothing since (its output is not being read), or it has ended.
    Lost,
    /// Asked: the wait covers this.
    Wait(Marks),
}

impl<T: Send> Flushable for Shared<T> {
    fn id(&self) -> usize {
        worker_id(self)
    }

    fn ask(&self) -> Asked {
        let mut st = self.state.lock();
        if st.covers(st.accepted) {
            Asked::Nothing
        } else if st.finished || st.stalled() || self.group.is_some_and(|g| g.stalled()) {
            // Stalled, or its output is (another handler on the same stderr gave up on it):
            // the exit does not spend its deadline on it again.
            Asked::Lost
        } else {
            match self.ask_flush(&mut st) {
                Some(target) => Asked::Wait(target),
                None => Asked::Nothing,
            }
        }
    }

    fn wait(&self, target: Marks, deadline: Instant, began: Instant) -> bool {
        let mut st = self.state.lock();
        self.wait_flushed(&mut st, target, deadline, began)
    }
}

fn worker_id<T>(shared: &Shared<T>) -> usize {
    std::ptr::from_ref(shared).addr()
}

/// Every worker started in this process, as weak references: the list never keeps a worker
/// alive, and dead entries are pruned as it grows.
struct Live {
    workers: Vec<Entry>,
    prune_at: usize,
}

struct Entry {
    worker: Weak<dyn Flushable>,
    /// The process that started it. A child made by `fork` inherits the list but not the
    /// writer threads (nor, maybe, locks they held): it must not wait on its parent's workers.
    pid: u32,
}

const FIRST_PRUNE: usize = 64;

static LIVE: Mutex<Live> = Mutex::new(Live {
    workers: Vec::new(),
    prune_at: FIRST_PRUNE,
});

thread_local! {
    /// The worker this thread writes for, if it is a writer thread (0 otherwise). No destructor,
    /// so it can still be read at exit, after the thread's other thread-locals are gone.
    static WRITER_OF: Cell<usize> = const { Cell::new(0) };
}

/// Adds a newly started worker to the exit flush (and, the first time, hooks the flush into the
/// process's exit).
pub(super) fn register<T: Send + 'static>(shared: &Arc<Shared<T>>) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        // `false` off Linux: there the last words are written only by the handlers' own
        // flushes (an `InitGuard` dropped at the end of `main`, `Registry::shutdown`).
        let _ = scoped_logger_exit::at_exit(flush_at_exit);
    });
    let entry = Entry {
        worker: Arc::downgrade(shared) as Weak<dyn Flushable>,
        pid: std::process::id(),
    };
    let mut live = LIVE.lock();
    if live.workers.len() >= live.prune_at {
        live.workers.retain(|e| e.worker.strong_count() > 0);
        // Doubling keeps the pruning cost per registration constant, however many come and go.
        live.prune_at = (live.workers.len() * 2).max(FIRST_PRUNE);
    }
    live.workers.push(entry);
}

/// Called first thing on a worker's own thread: an exit from there must not wait on itself.
pub(super) fn mark_writer_thread<T>(shared: &Shared<T>) {
    let _ = WRITER_OF.try_with(|w| w.set(worker_id(shared)));
}

/// Flushes every live [`Worker`](super::Worker) of the process (every
/// [`NonBlocking`](crate::handler::NonBlocking), [`StderrHandler`](crate::StderrHandler) and the
/// last-resort handler, SQLite, syslog), all against the one `deadline`: each is asked first,
/// so that they all write at once, then each is
/// waited for until the same deadline. Returns `true` when everything they had accepted before
/// the call is written and flushed; `false` when something was left.
///
/// The process calls this by itself at exit (see [`set_exit_deadline`]); call it yourself before
/// an exit that skips that, such as `libc::_exit`. Never from a signal handler: it takes locks.
///
/// What it does not wait for, so that it stays within the deadline and never deadlocks:
/// * a worker that a wait already gave up on and that has written nothing since (its output is
///   not being read: waiting again would only delay the exit once per call);
/// * the worker whose own writer thread is calling (an exit from inside a sink);
/// * in a child made by `fork`, the workers of its parent (their threads are not there);
/// * records logged while it runs, past a second round: the first round's writing may queue
///   more for another worker (a sink's error report goes to the last-resort handler), and a
///   second round covers those; a thread that keeps logging cannot keep it waiting longer.
///
/// It flushes and does not close: the handlers go on working afterwards.
pub fn flush_all_by(deadline: Instant) -> bool {
    let began = Instant::now();
    let mine = WRITER_OF.try_with(Cell::get).unwrap_or(0);
    let pid = std::process::id();
    let mut all_written = true;
    for _round in 0..2 {
        // Bounded like the rest: in a child made by `fork` the lock may be held by a thread
        // that does not exist there.
        let Some(list) = LIVE.try_lock_until(deadline) else {
            return false;
        };
        let live: Vec<Arc<dyn Flushable>> = list
            .workers
            .iter()
            .filter(|e| e.pid == pid)
            .filter_map(|e| e.worker.upgrade())
            .collect();
        drop(list);
        let mut asked = Vec::new();
        for worker in &live {
            if worker.id() == mine {
                // Its thread is the one waiting: it cannot write meanwhile.
                all_written &= matches!(worker.ask(), Asked::Nothing);
                continue;
            }
            match worker.ask() {
                Asked::Nothing => {}
                Asked::Lost => all_written = false,
                Asked::Wait(target) => asked.push((worker, target)),
            }
        }
        if asked.is_empty() {
            break;
        }
        for (worker, target) in asked {
            all_written &= worker.wait(target, deadline, began);
        }
    }
    all_written
}

/// `deadline` from now, or as far as an `Instant` goes.
fn from_now(deadline: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(deadline)
        .unwrap_or_else(|| now + Duration::from_secs(u64::from(u32::MAX)))
}

/// The exit hook.
fn flush_at_exit() {
    flush_all_by(from_now(exit_deadline()));
}

/// Makes a panic flush every queued handler (as [`flush_all_by`], within [`exit_deadline`])
/// before the process aborts, in a program built with `panic = "abort"`, where no exit hook
/// runs. [`init`](crate::init) calls it; call it yourself when you set up handlers without
/// `init`. Installed once per process (later calls do nothing), as a panic hook that chains to
/// the one it replaces: the records queued before the panic are written, then the previous
/// hook runs (it prints the panic message), then what that hook logged is written too. A hook
/// set later with [`std::panic::set_hook`] replaces it, as it replaces any hook.
///
/// Under `panic = "unwind"` (the default) it does nothing: a panic that ends `main` unwinds into
/// a normal exit, which flushes, and a panic that ends any other thread does not end the process.
pub fn install_abort_flush() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    // `take_hook` and `set_hook` panic on a panicking thread: try again on a later call.
    if !cfg!(panic = "abort") || std::thread::panicking() || INSTALLED.swap(true, Ordering::AcqRel)
    {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let deadline = from_now(exit_deadline());
        // First, so that the records come out before the panic message, in the order logged.
        flush_all_by(deadline);
        previous(info);
        flush_all_by(deadline);
    }));
}
