//! How a task ended: what its summary line says and whether its flight recorder replays.
//! Decided by the scope guard alone; the tree never sees it.

/// How a task ended, as its summary line reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// It returned normally (or its scope was dropped without a failure).
    Ok,
    /// It returned `Err`, or `ScopedLogger::fail` was called.
    Err,
    /// It panicked.
    Panic,
    /// Its future was dropped before completing.
    Cancelled,
    /// It ended normally but took longer than its `slow` threshold: its flight recorder is
    /// replayed as for a failure.
    Slow,
}

impl Outcome {
    /// The word in the summary line.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Err => "err",
            Outcome::Panic => "panic",
            Outcome::Cancelled => "cancelled",
            Outcome::Slow => "slow",
        }
    }

    /// Whether the flight recorder replays its trail: a failure, or a slow task.
    pub fn replays(self) -> bool {
        matches!(self, Outcome::Err | Outcome::Panic | Outcome::Slow)
    }

    /// Whether the task failed (an error or a panic).
    pub fn is_failure(self) -> bool {
        matches!(self, Outcome::Err | Outcome::Panic)
    }
}
