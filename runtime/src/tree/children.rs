//! [`ChildCount`]: how many entries hang directly below one entry, counted per thread.
//!
//! A hot parent (`task` under a million `task.<id>` scopes) is counted into by every thread on
//! every enter and exit; one shared counter would be one cache line every core writes. So each
//! thread adds to a cell of its own and the count is the sum. What must be exact is the one
//! moment that needs it: closing the count at zero before the entry leaves the map. A closer
//! marks the count `CLOSING`, then sums; an adder adds to its cell, then looks at the state.
//! Each side writes, then issues a `SeqCst` fence, then reads (Dekker's pattern), so at least
//! one sees the other: either the closer sees the addition (and reopens), or the adder sees the
//! closer (and backs off). The fences are what loom models exactly (it weakens `SeqCst` loads
//! and stores to acquire/release), and on x86 they cost one `mfence`, no shared write.
//! Model-checked with loom (`RUSTFLAGS="--cfg loom" cargo test -p scoped-logger-runtime --lib
//! children`).

#[cfg(loom)]
use loom::sync::atomic::{AtomicIsize, AtomicU8, Ordering, fence};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicIsize, AtomicU8, Ordering, fence};

const OPEN: u8 = 0;
const CLOSING: u8 = 1;
const CLOSED: u8 = 2;

/// At most this many cells: a parent costs `cells × 128` bytes once it has a child.
const MAX_CELLS: usize = 16;

#[repr(align(128))]
struct Cell(AtomicIsize);

pub(crate) struct ChildCount {
    state: AtomicU8,
    #[cfg(not(loom))]
    cells: std::sync::OnceLock<Box<[Cell]>>,
    #[cfg(loom)]
    cells: Box<[Cell]>,
}

impl ChildCount {
    pub(crate) fn new() -> ChildCount {
        ChildCount {
            state: AtomicU8::new(OPEN),
            #[cfg(not(loom))]
            cells: std::sync::OnceLock::new(),
            #[cfg(loom)]
            cells: (0..2).map(|_| Cell(AtomicIsize::new(0))).collect(),
        }
    }

    #[cfg(not(loom))]
    fn cells(&self) -> &[Cell] {
        // Made on the first child: a leaf (every task scope) never pays for it.
        self.cells.get_or_init(|| {
            let n = crate::striped::cells().min(MAX_CELLS);
            (0..n).map(|_| Cell(AtomicIsize::new(0))).collect()
        })
    }

    #[cfg(loom)]
    fn cells(&self) -> &[Cell] {
        &self.cells
    }

    fn mine(&self) -> &AtomicIsize {
        let cells = self.cells();
        #[cfg(not(loom))]
        let i = crate::striped::slot();
        #[cfg(loom)]
        let i = format!("{:?}", loom::thread::current().id())
            .bytes()
            .map(usize::from)
            .sum::<usize>();
        &cells[i % cells.len()].0
    }

    fn sum(&self) -> isize {
        #[cfg(not(loom))]
        let Some(cells) = self.cells.get() else {
            return 0;
        };
        #[cfg(loom)]
        let cells = &self.cells;
        cells.iter().map(|c| c.0.load(Ordering::Acquire)).sum()
    }

    /// Counts a new child; `false` once the count is closed (the entry is leaving the map).
    pub(crate) fn add(&self) -> bool {
        loop {
            match self.state.load(Ordering::SeqCst) {
                CLOSED => return false,
                CLOSING => {
                    // A closer is summing (a few loads, no user code): wait for its decision.
                    spin();
                    continue;
                }
                _ => {}
            }
            let mine = self.mine();
            mine.fetch_add(1, Ordering::AcqRel);
            fence(Ordering::SeqCst);
            if self.state.load(Ordering::Acquire) == OPEN {
                return true;
            }
            // A closer started meanwhile: take it back and look again.
            mine.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// A child went away (from whichever thread: the cells' sum stays right).
    pub(crate) fn remove(&self) {
        self.mine().fetch_sub(1, Ordering::AcqRel);
    }

    /// Whether children may be below now (a sum of the cells, for the rare operations that
    /// decide whether to tell descendants of a change).
    /// The caller issues a `SeqCst` fence between its own write and this call (Dekker's
    /// pattern with [`add`](Self::add)).
    pub(crate) fn any(&self) -> bool {
        self.state.load(Ordering::Acquire) != CLOSED && self.sum() != 0
    }

    /// Closes the count if it is zero. Callers serialize closers (the entry's state lock).
    pub(crate) fn close(&self) -> bool {
        match self
            .state
            .compare_exchange(OPEN, CLOSING, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => {}
            Err(now) => return now == CLOSED,
        }
        fence(Ordering::SeqCst);
        if self.sum() == 0 {
            self.state.store(CLOSED, Ordering::SeqCst);
            true
        } else {
            self.state.store(OPEN, Ordering::SeqCst);
            false
        }
    }
}

fn spin() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    std::thread::yield_now();
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn counts_across_threads_and_closes_only_at_zero() {
        let c = ChildCount::new();
        assert!(!c.any());
        assert!(c.add());
        assert!(c.any());
        assert!(!c.close(), "one child left");
        std::thread::scope(|s| {
            s.spawn(|| c.remove());
        });
        assert!(!c.any());
        assert!(c.close());
        assert!(!c.add(), "closed for good");
        assert!(c.close());
    }

    #[test]
    fn a_closed_count_never_holds_a_child() {
        for _ in 0..200 {
            let c = ChildCount::new();
            std::thread::scope(|s| {
                for _ in 0..3 {
                    s.spawn(|| {
                        for _ in 0..50 {
                            if c.add() {
                                // Counted: no closer may have closed it while this child lives.
                                assert_ne!(c.state.load(Ordering::SeqCst), CLOSED);
                                c.remove();
                            }
                        }
                    });
                }
                // Succeeds once the adders are between children (at the latest when they end).
                s.spawn(|| while !c.close() {});
            });
            assert_eq!(c.sum(), 0);
            assert!(!c.add(), "closed for good");
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;

    /// A child added while the count is being closed is either counted (the close fails) or
    /// refused (the adder makes a fresh entry); never counted into a closed count.
    #[test]
    fn add_races_close() {
        loom::model(|| {
            let c = Arc::new(ChildCount::new());
            let c2 = c.clone();
            let adder = loom::thread::spawn(move || c2.add());
            let closed = c.close();
            let added = adder.join().unwrap();
            // Exactly one of: counted in an open count, or refused by a closed one.
            assert!(added != closed);
            assert_eq!(c.sum(), isize::from(added));
        });
    }

    /// Removing the last child on one thread while another adds and a third closes.
    #[test]
    fn remove_add_close() {
        loom::model(|| {
            let c = Arc::new(ChildCount::new());
            assert!(c.add());
            let (a, b) = (c.clone(), c.clone());
            let remover = loom::thread::spawn(move || a.remove());
            let adder = loom::thread::spawn(move || b.add());
            let closed = c.close();
            remover.join().unwrap();
            let added = adder.join().unwrap();
            if closed {
                assert!(!added, "nothing is added to a closed count");
                assert_eq!(c.sum(), 0);
            } else if added {
                assert_eq!(c.sum(), 1);
            }
        });
    }
}
