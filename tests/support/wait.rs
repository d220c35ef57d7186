//! Waiting for a real peer (a collector, a daemon) to show something: a condition polled with
//! a failsafe deadline, never a sleep in place of the condition.
#![allow(dead_code)] // each test crate uses what it needs

use std::time::{Duration, Instant};

/// Pause between two looks.
const POLL: Duration = Duration::from_millis(50);

/// Calls `look` until it returns `Ok`, and returns that; fails the test after `failsafe`,
/// saying that `what` never happened and what `look` last saw (its `Err`).
pub fn until<T>(what: &str, failsafe: Duration, mut look: impl FnMut() -> Result<T, String>) -> T {
    let end = Instant::now() + failsafe;
    loop {
        match look() {
            Ok(v) => return v,
            Err(seen) => assert!(
                Instant::now() < end,
                "failsafe: {what} never happened; last seen: {seen}"
            ),
        }
        std::thread::sleep(POLL);
    }
}
