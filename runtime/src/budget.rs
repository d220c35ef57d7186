//! The replay budget: how many records a registry's flight recorders and stuck-task reports may
//! replay per second. An outage makes every task fail (and slow) at once, exactly when the
//! sink is already full: without a budget, replays would crowd out the live ERROR lines. What
//! goes past it is counted and told in one record, never dropped silently.

use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// The default budget: records replayed per second, per registry.
pub const DEFAULT_REPLAY_BUDGET: u32 = 10_000;

/// A token bucket refilled continuously, `per_second` deep.
#[derive(Debug)]
pub(crate) struct ReplayBudget {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    per_second: u32,
    tokens: f64,
    at: Option<Instant>,
    /// Suppressed since the last notice.
    untold: u64,
    /// Suppressed in all.
    total: u64,
}

/// What [`ReplayBudget::take`] granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Grant {
    /// How many of the records asked for may be replayed.
    pub(crate) granted: usize,
    /// Records suppressed before this grant and not told yet: the caller tells them (once).
    pub(crate) untold: u64,
}

impl Default for ReplayBudget {
    fn default() -> Self {
        ReplayBudget {
            state: Mutex::new(State {
                per_second: DEFAULT_REPLAY_BUDGET,
                tokens: f64::from(DEFAULT_REPLAY_BUDGET),
                at: None,
                untold: 0,
                total: 0,
            }),
        }
    }
}

impl ReplayBudget {
    pub(crate) fn set(&self, per_second: u32) {
        let mut st = self.state.lock();
        st.per_second = per_second;
        st.tokens = st.tokens.min(f64::from(per_second));
    }

    /// Asks for `n` replays at `now`: grants what the bucket holds, counts the rest.
    pub(crate) fn take(&self, n: usize, now: Instant) -> Grant {
        let mut st = self.state.lock();
        let cap = f64::from(st.per_second);
        if let Some(at) = st.at {
            let dt = now
                .saturating_duration_since(at)
                .min(Duration::from_secs(3600));
            st.tokens = (st.tokens + dt.as_secs_f64() * cap).min(cap);
        }
        st.at = Some(now);
        let granted = (st.tokens.floor() as usize).min(n);
        st.tokens -= granted as f64;
        let refused = (n - granted) as u64;
        st.total += refused;
        let untold = if granted > 0 {
            std::mem::take(&mut st.untold)
        } else {
            0
        };
        st.untold += refused;
        Grant { granted, untold }
    }

    /// Records suppressed so far.
    pub(crate) fn suppressed(&self) -> u64 {
        self.state.lock().total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_up_to_the_rate_and_tells_what_it_refused_once() {
        let b = ReplayBudget::default();
        b.set(10);
        let t0 = Instant::now();
        assert_eq!(
            b.take(4, t0),
            Grant {
                granted: 4,
                untold: 0
            }
        );
        assert_eq!(
            b.take(10, t0),
            Grant {
                granted: 6,
                untold: 0
            }
        );
        assert_eq!(
            b.take(3, t0),
            Grant {
                granted: 0,
                untold: 0
            }
        );
        assert_eq!(b.suppressed(), 7);
        // Half a second later: five tokens back, and the seven refused are told now.
        let t1 = t0 + Duration::from_millis(500);
        assert_eq!(
            b.take(8, t1),
            Grant {
                granted: 5,
                untold: 7
            }
        );
        assert_eq!(
            b.take(1, t1 + Duration::from_secs(9)),
            Grant {
                granted: 1,
                untold: 3
            }
        );
        assert_eq!(b.suppressed(), 10);
    }
}
