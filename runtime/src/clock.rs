//! The monotonic time of slow and stuck tasks and of the replay budget, per registry, so that
//! tests can move it by hand ([`ManualClock`]) instead of sleeping.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A monotonic time source: what [`Registry::set_task_clock`](crate::Registry::set_task_clock)
/// takes. The default is [`Instant::now`].
pub trait TaskClock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// A clock that moves only when told to: for tests of slow and stuck tasks.
///
/// ```
/// use std::time::Duration;
/// use scoped_logger::timing::{ManualClock, TaskClock};
/// let clock = ManualClock::new();
/// let t0 = clock.now();
/// clock.advance(Duration::from_secs(30));
/// assert_eq!(clock.now() - t0, Duration::from_secs(30));
/// ```
#[derive(Debug)]
pub struct ManualClock {
    base: Instant,
    offset_ns: AtomicU64,
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl ManualClock {
    /// A clock standing at the instant it was made.
    pub fn new() -> ManualClock {
        ManualClock {
            base: Instant::now(),
            offset_ns: AtomicU64::new(0),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let ns = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.offset_ns.fetch_add(ns, Ordering::SeqCst);
    }
}

impl TaskClock for ManualClock {
    fn now(&self) -> Instant {
        self.base + Duration::from_nanos(self.offset_ns.load(Ordering::SeqCst))
    }
}

impl<C: TaskClock> TaskClock for Arc<C> {
    fn now(&self) -> Instant {
        (**self).now()
    }
}

/// A registry's clock: the system's unless one was set.
#[derive(Clone, Default)]
pub(crate) struct Clock(Option<Arc<Box<dyn TaskClock>>>);

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Clock(set)"
        } else {
            "Clock(system)"
        })
    }
}

impl Clock {
    pub(crate) fn new(clock: Arc<Box<dyn TaskClock>>) -> Clock {
        Clock(Some(clock))
    }

    /// Whether this is the system's clock.
    pub(crate) fn is_system(&self) -> bool {
        self.0.is_none()
    }

    #[inline]
    pub(crate) fn now(&self) -> Instant {
        match &self.0 {
            None => Instant::now(),
            Some(c) => c.now(),
        }
    }
}
