//! Time in a task's life: the clock that `slow` and `stuck` scopes and the replay budget
//! measure with ([`Registry::set_task_clock`](crate::Registry::set_task_clock)), and the budget's
//! default.

pub use crate::budget::DEFAULT_REPLAY_BUDGET;
pub use crate::clock::{ManualClock, TaskClock};
pub use crate::scope::watchdog::LiveScope;
