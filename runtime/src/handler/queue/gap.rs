//! Drop counting and gap reporting: every record the queue refuses, and every record a sink
//! loses after accepting it, is counted here, and the worker writes "N records dropped" at the
//! place in the stream where the records are missing (before the next item written, or as soon
//! as it is idle when no item follows).

use std::sync::atomic::Ordering;

use super::state::{Shared, State};
use super::worker::call;
use super::{DropCause, Sink};
use crate::handler::ErrorReporter;

/// One queued item and what the worker must write before it.
pub(super) struct Queued<T> {
    pub(super) item: T,
    pub(super) bytes: usize,
    /// Records the item holds: one, or the lines a line sink's chunk gathered.
    pub(super) records: usize,
    /// Drops that happened between the previous accepted item and this one.
    pub(super) drops_before: u64,
    /// How many of those were larger than the byte capacity on their own.
    pub(super) too_large_before: u64,
}

impl<T> Shared<T> {
    /// Counts a refused record. Called with the lock held; returns whether to wake the worker.
    /// A `reportable` drop is written as a gap report; one after close is only counted (the
    /// worker is gone).
    #[inline]
    pub(super) fn refuse(&self, st: &mut State<T>, reportable: bool, too_large: bool) -> bool {
        self.dropped.fetch_add(1, Ordering::Relaxed);
        if reportable && !st.finished && !st.closing {
            st.accepted.drops += 1;
            st.pending_drops += 1;
            st.pending_too_large += u64::from(too_large);
            // An idle worker reports drops at once; a busy one picks them up when it gets here.
            return st.queue.is_empty();
        }
        false
    }

    /// Counts records a sink lost after the queue had accepted them (the sink tells how, in its
    /// own words: see [`Sink::take_lost`]).
    pub(super) fn count_lost(&self, n: u64) {
        if n > 0 {
            self.dropped.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Attaches the drops counted since the last accepted item to `item`.
    pub(super) fn queued(st: &mut State<T>, item: T, bytes: usize) -> Queued<T> {
        Queued {
            item,
            bytes,
            records: 1,
            drops_before: std::mem::take(&mut st.pending_drops),
            too_large_before: std::mem::take(&mut st.pending_too_large),
        }
    }
}

/// What the worker wrote from one batch taken off the queue.
pub(super) struct Written {
    /// Records (not items: a chunk holds many).
    pub(super) items: usize,
    pub(super) bytes: usize,
    pub(super) reported: u64,
}

/// Writes `taken` in order, with a drop report at each gap, and then the `trailing` drops (those
/// after the last queued item: how many, and how many of them were too large); `batch` is a
/// reused buffer. `stalled` says the output stalled since the last report (its drops were for
/// want of a reader); it is cleared once a report that used it is out.
pub(super) fn write_with_gaps<S: Sink>(
    sink: &mut S,
    errors: &ErrorReporter,
    taken: &mut Vec<Queued<S::Item>>,
    batch: &mut Vec<S::Item>,
    trailing: (u64, u64),
    stalled: &mut bool,
) -> Written {
    let mut done = Written {
        items: 0,
        bytes: 0,
        reported: 0,
    };
    let mut report = |sink: &mut S, (count, too_large): (u64, u64), done: &mut Written| {
        let cause = if too_large == count {
            DropCause::TooLarge
        } else if std::mem::take(stalled) {
            DropCause::Stalled
        } else {
            DropCause::Overflow
        };
        call(errors, "reporting dropped records", || {
            sink.report_dropped(count, cause)
        });
        done.reported += count;
    };
    for q in taken.drain(..) {
        if q.drops_before > 0 {
            if !batch.is_empty() {
                call(errors, "writing records", || sink.write_batch(batch));
                batch.clear();
            }
            report(sink, (q.drops_before, q.too_large_before), &mut done);
        }
        done.items += q.records;
        done.bytes += q.bytes;
        batch.push(q.item);
    }
    if !batch.is_empty() {
        call(errors, "writing records", || sink.write_batch(batch));
        batch.clear();
    }
    if trailing.0 > 0 {
        report(sink, trailing, &mut done);
    }
    done
}
