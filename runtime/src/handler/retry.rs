//! Waiting for a server that is away, for the queued handlers that send over a network (syslog,
//! OTLP): the backoff between attempts, and the control that lets the handler cut the worker's
//! wait short when it closes. Only a worker thread ever waits here, never a caller.

use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

/// Lets the handler interrupt the worker's wait for a server that is gone.
#[derive(Default)]
pub(crate) struct Control {
    pub(crate) closing: Mutex<bool>,
    pub(crate) wake: Condvar,
}

impl Control {
    pub(crate) fn close(&self) {
        *self.closing.lock() = true;
        self.wake.notify_all();
    }

    pub(crate) fn closing(&self) -> bool {
        *self.closing.lock()
    }

    /// Waits until `until` or until the handler closes, whichever comes first.
    pub(crate) fn wait_until(&self, until: Instant) {
        let mut closing = self.closing.lock();
        if !*closing {
            self.wake.wait_until(&mut closing, until);
        }
    }
}

/// When the next connection attempt may be made.
#[derive(Debug)]
pub(crate) struct Backoff {
    pub(crate) min: Duration,
    pub(crate) max: Duration,
    pub(crate) delay: Duration,
    pub(crate) next: Instant,
}

impl Backoff {
    pub(crate) fn new(min: Duration, max: Duration) -> Self {
        Backoff {
            min,
            max: max.max(min),
            delay: min,
            next: Instant::now(),
        }
    }

    pub(crate) fn failed(&mut self, now: Instant) {
        self.next = now + self.delay;
        self.delay = (self.delay * 2).min(self.max);
    }

    /// A send went through: the next failure starts again from the shortest delay.
    pub(crate) fn succeeded(&mut self) {
        self.delay = self.min;
    }
}
