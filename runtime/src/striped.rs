//! A counter that threads add to without sharing a cache line (one padded cell per thread slot,
//! summed when read): for counts bumped on every record by every thread, like a handler's.

use std::cell::Cell;
use std::ops::Deref;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// A value alone on its cache line (128 bytes covers the adjacent-line prefetch of x86 and
/// the line size of Apple's ARM cores): written rarely, read by every thread.
#[repr(align(128))]
pub(crate) struct Padded<T>(pub(crate) T);

impl<T> Deref for Padded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Cells per counter: the machine's parallelism, rounded up to a power of two.
pub(crate) fn cells() -> usize {
    static CELLS: OnceLock<usize> = OnceLock::new();
    *CELLS.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, usize::from)
            .next_power_of_two()
    })
}

/// This thread's cell, given out round-robin once per thread.
pub(crate) fn slot() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SLOT: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    SLOT.try_with(|s| {
        let mut v = s.get();
        if v == usize::MAX {
            v = NEXT.fetch_add(1, Ordering::Relaxed);
            s.set(v);
        }
        v
    })
    .unwrap_or(0)
}

pub(crate) struct StripedCounter {
    cells: Box<[Padded<AtomicU64>]>,
}

impl Default for StripedCounter {
    fn default() -> Self {
        StripedCounter {
            cells: (0..cells()).map(|_| Padded(AtomicU64::new(0))).collect(),
        }
    }
}

impl StripedCounter {
    #[inline]
    pub(crate) fn add(&self, n: u64) {
        let i = slot() & (self.cells.len() - 1);
        self.cells[i].fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn sum(&self) -> u64 {
        self.cells.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }
}
