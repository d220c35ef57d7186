//! Scopes: a logger bound to a task. [`ScopedLogger`] is the guard: when it
//! goes (return, `?`, panic, a dropped future) the handlers the scope owns are flushed and
//! closed and the entry is deleted. This module holds what comes with it less often: the
//! [`ScopeBuilder`] that `Registry::scope` returns, how a scope ended ([`Outcome`]) and the
//! [`FlightRecorder`]. The errors of entering and closing
//! ([`ScopeError`](crate::ScopeError), [`CloseError`]) are at the crate root,
//! with the guard.
//!
//! Same-name scopes share one entry: the first runs the handler factories (other threads wait
//! for it instead of running them again), the last one out closes. A factory that fails leaves
//! nothing registered. A factory that itself enters a scope of the same name (on its own thread)
//! joins the entry at once instead of waiting for itself; that inner scope sees no handlers of
//! the entry's own yet, and other threads still wait for the creator. The creator is recognised
//! by its thread, so on a single-threaded executor another task entering the name while a
//! handler expression is suspended joins the same way rather than block the thread.

// The root re-exports the guard, `Context`, `FutureExt` and `in_scope` from the crate-visible
// children; this module's own public names are the ones a user meets less often.
pub(crate) mod builder;
pub(crate) mod context;
pub(crate) mod future;
pub(crate) mod guard;
mod outcome;
pub(crate) mod recorder;
pub(crate) mod watchdog;

pub use builder::{BoxError, ScopeBuilder};
pub use outcome::Outcome;
// The errors of entering and closing are at the crate root, with the guard.
pub(crate) use builder::CloseError;
pub use recorder::FlightRecorder;

pub(crate) use builder::{begin, enter_plain};
pub(crate) use future::poll_with;
pub(crate) use guard::ScopedLogger;
