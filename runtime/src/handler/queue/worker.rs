//! The writer thread: takes batches off the queue, hands them to the sink (with the gap reports
//! in their places), flushes when the queue runs dry or a flush is asked for, and ends after the
//! last flush once closed.

use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use parking_lot::MutexGuard;

use super::Sink;
use super::at_exit;
use super::gap::{Queued, write_with_gaps};
use super::state::Shared;
use crate::handler::ErrorReporter;

/// Runs a sink call, reporting an error or a panic instead of letting it end the worker.
pub(super) fn call(errors: &ErrorReporter, doing: &str, f: impl FnOnce() -> io::Result<()>) {
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
pub(super) fn run<S: Sink>(shared: &Shared<S::Item>, mut sink: S) {
    at_exit::mark_writer_thread(shared);
    let errors = &shared.errors;
    let mut taken: Vec<Queued<S::Item>> = Vec::new();
    let mut batch: Vec<S::Item> = Vec::new();
    let window = shared.policy.window();
    let mut stall_seen = false;
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
        // Up to `max_batch` items and about `batch_bytes` bytes: a line sink writes one chunk
        // per call, so its progress (and a stall) is seen every write, not every thousand lines.
        let mut bytes = 0;
        while taken.len() < shared.max_batch && (taken.is_empty() || bytes < shared.batch_bytes) {
            let Some(q) = st.queue.pop_front() else { break };
            bytes += q.bytes;
            taken.push(q);
        }
        // Drops after the last queued item have no item to ride on: report them now.
        let trailing = if st.queue.is_empty() {
            (
                std::mem::take(&mut st.pending_drops),
                std::mem::take(&mut st.pending_too_large),
            )
        } else {
            (0, 0)
        };
        stall_seen |= std::mem::take(&mut st.stall_seen);
        drop(st);

        let began = Instant::now();
        let done = write_with_gaps(
            &mut sink,
            errors,
            &mut taken,
            &mut batch,
            trailing,
            &mut stall_seen,
        );
        // A write that took a whole stall window blocked on the output: the drops of that time
        // are reported as "not being read" (at the next gap), not as a reader that was slow.
        stall_seen |= began.elapsed() >= window;
        // Counted before the progress below, so a flush that returns sees them.
        shared.count_lost(sink.take_lost());

        let mut st = shared.state.lock();
        st.written.items += done.items as u64;
        st.written.drops += done.reported;
        st.held_items -= done.items;
        st.held_bytes -= done.bytes;
        shared.moved(&mut st);
        shared.mirror(&st);
        if done.items > 0 {
            shared.room.notify_all();
        }
        if st.queue.is_empty() || st.flush_pending() {
            let upto = st.written;
            drop(st);
            call(errors, "flushing", || sink.flush());
            shared.count_lost(sink.take_lost());
            st = shared.state.lock();
            st.flushed = st.flushed.max(upto);
            shared.moved(&mut st);
        }
        shared.progress.notify_all();
        if st.closing && st.queue.is_empty() && st.pending_drops == 0 {
            break;
        }
    }
    call(errors, "closing", || sink.close());
    shared.count_lost(sink.take_lost());
    drop(sink);
    let mut st = shared.state.lock();
    st.finished = true;
    st.progress += 1;
    shared.progress.notify_all();
    shared.room.notify_all();
}
