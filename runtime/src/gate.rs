//! The gate: the most verbose level any logger of any registry may let through, the first check
//! every logging macro makes (one relaxed load). It must never be below a live logger's
//! effective level; it may be above it for a moment (the macro then asks the logger).
//!
//! A logger's effective level is always one of the levels set on it or on an ancestor, so the
//! gate is the most verbose level *set* anywhere: each registry counts its loggers' own levels
//! per level ([`Levels`]) and publishes its maximum here when a count moves between zero and
//! non-zero, or when a level is counted that the published maximum does not cover yet. Nothing
//! here runs per record or per scope without a level of its own.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

use parking_lot::Mutex;

use crate::level::LevelFilter;

/// The root's level when nothing configured it (Python's `WARNING`).
pub const DEFAULT_ROOT_LEVEL: LevelFilter = LevelFilter::Warn;

/// Starts at the global registry's default: the global registry is made on first use, and a
/// macro that checks the gate before anything made it must still let `error!` through.
static MAX: AtomicU8 = AtomicU8::new(DEFAULT_ROOT_LEVEL as u8);
/// Registries per published maximum (index = `LevelFilter as u8`). The global registry counts
/// at its default level from the start, made or not.
static REGISTRIES: Mutex<[usize; 6]> = parking_lot::const_mutex({
    let mut r = [0; 6];
    r[DEFAULT_ROOT_LEVEL as usize] = 1;
    r
});
/// Told of every new maximum: the `log` bridge keeps `log::max_level` in step, the `tracing`
/// bridge tracing's interest cache. Called under `REGISTRIES`' lock, so in the order decided.
static HOOKS: Mutex<Vec<fn(LevelFilter)>> = parking_lot::const_mutex(Vec::new());

/// The process-wide maximum as a `LevelFilter` number.
#[inline]
pub(crate) fn get() -> u8 {
    MAX.load(Ordering::Relaxed)
}

/// Calls `hook` with the maximum now, and again whenever it changes.
#[cfg(any(feature = "log", feature = "tracing"))]
pub(crate) fn add_hook(hook: fn(LevelFilter)) {
    let _registries = REGISTRIES.lock();
    HOOKS.lock().push(hook);
    hook(LevelFilter::from_u8(get()));
}

fn publish(registries: &[usize; 6]) {
    let top = registries.iter().rposition(|&n| n > 0).unwrap_or(0) as u8;
    if MAX.swap(top, Ordering::SeqCst) != top {
        for h in HOOKS.lock().iter() {
            h(LevelFilter::from_u8(top));
        }
    }
}

fn registry_moved(old: Option<u8>, new: Option<u8>) {
    let mut r = REGISTRIES.lock();
    if let Some(n) = new {
        r[n as usize] += 1;
    }
    if let Some(o) = old {
        r[o as usize] -= 1;
    }
    publish(&r);
}

/// One registry's own levels, counted per level (the root's included), and the maximum it
/// published to the gate.
///
/// The gate may never be below a level in force, and a logger whose level was just counted logs
/// as soon as [`changed`](Self::changed) returns, so every change that can *raise* this
/// registry's maximum checks, after counting, that the maximum it published covers it: a count
/// that moves from zero republishes; any other takes the lock only if the published maximum is
/// below it or a lowering is under way. A lowering (when a count reaches zero) says so in
/// `lowering` before it reads the counts: a change counted before that flag was up is in what
/// the lowering reads, and one counted after sees the flag and waits for the lock (Dekker's
/// pattern, all sequentially consistent). Without this, a scope that counted its level while
/// another thread was between reading the counts and publishing a lower maximum logged through
/// a gate that was already shut on it, for as long as that other thread was descheduled.
pub(crate) struct Levels {
    counts: [AtomicUsize; 6],
    /// The maximum this registry contributes to the gate; written only under `lock`.
    published: AtomicU8,
    /// Up while a republish reads the counts and may lower `published`.
    lowering: AtomicBool,
    /// Serializes republishing, so that changes publish in the order they were decided.
    lock: Mutex<()>,
}

impl Levels {
    /// A registry whose root has `root`; the global one takes over the count it had before it
    /// was made.
    pub(crate) fn new(root: LevelFilter, global: bool) -> Levels {
        let counts: [AtomicUsize; 6] = Default::default();
        counts[root as usize].store(1, Ordering::Relaxed);
        let before = global.then_some(DEFAULT_ROOT_LEVEL as u8);
        registry_moved(before, Some(root as u8));
        Levels {
            counts,
            published: AtomicU8::new(root as u8),
            lowering: AtomicBool::new(false),
            lock: Mutex::new(()),
        }
    }

    /// A logger's own level changed from `old` to `new`. The new level is counted (and covered
    /// by the gate) before the old one is let go, so the maximum never dips below a level that
    /// is in force.
    pub(crate) fn changed(&self, old: Option<LevelFilter>, new: Option<LevelFilter>) {
        if let Some(n) = new {
            let first = self.counts[n as usize].fetch_add(1, Ordering::SeqCst) == 0;
            if first
                || self.lowering.load(Ordering::SeqCst)
                || self.published.load(Ordering::SeqCst) < n as u8
            {
                self.republish();
            }
        }
        if let Some(o) = old
            && self.counts[o as usize].fetch_sub(1, Ordering::SeqCst) == 1
        {
            self.republish();
        }
    }

    /// Reads the counts under the lock and publishes their maximum: whoever publishes last read
    /// every change that moved a count between zero and non-zero before it took the lock, and
    /// later ones publish again.
    #[cold]
    fn republish(&self) {
        let _lock = self.lock.lock();
        self.lowering.store(true, Ordering::SeqCst);
        let top = self
            .counts
            .iter()
            .rposition(|c| c.load(Ordering::SeqCst) > 0)
            .unwrap_or(0) as u8;
        let published = self.published.load(Ordering::SeqCst);
        if top != published {
            // The gate moves before `published` does: a raise is in the gate before anyone
            // reads it here, and a lowering is covered by `lowering` until both are written.
            registry_moved(Some(published), Some(top));
            self.published.store(top, Ordering::SeqCst);
        }
        self.lowering.store(false, Ordering::SeqCst);
    }
}

impl Drop for Levels {
    fn drop(&mut self) {
        registry_moved(Some(*self.published.get_mut()), None);
    }
}
