//! Runs functions when the process exits normally: a return from `main` or a call to
//! [`std::process::exit`], through the C runtime's `atexit`. scoped-logger uses it to write the
//! records still queued for its background writers (the last words of a program that logs, then
//! exits); depend on `scoped-logger`, not on this crate.
//!
//! This is the one crate of scoped-logger with `unsafe` code: one call, proved below. It must
//! never let a panic unwind into the C runtime, run a hook twice, or call `exit` itself.
//!
//! Hooks run on Linux only, where the standard library guarantees that a second `exit` (from a
//! hook, or from another thread meanwhile) never reaches the C runtime's `exit` twice; elsewhere
//! [`at_exit`] returns `false` and registers nothing.

#![deny(unsafe_code)]
#![warn(missing_docs)]

use std::panic::catch_unwind;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once, PoisonError};

/// The hooks, in registration order. Taken (emptied) when they run, so none runs twice.
static HOOKS: Mutex<Vec<fn()>> = Mutex::new(Vec::new());
static REGISTER: Once = Once::new();
static REGISTERED: AtomicBool = AtomicBool::new(false);

/// Runs `hook` when the process exits normally (a return from `main`, [`std::process::exit`]),
/// on the thread that exits, while the other threads are still running. Hooks run once each, the
/// last registered first (as `atexit` orders them); one that panics is skipped, the next still
/// runs. A hook registered while the hooks are running does not run.
///
/// Returns `false` when hooks cannot run at exit here: on a platform other than Linux, or when
/// the C runtime refused the registration (it has no room left). Nothing runs on an abort, a
/// signal, or `_exit`.
///
/// A hook must not call [`std::process::exit`]: the standard library aborts the process when
/// the exiting thread calls it again.
///
/// ```
/// fn say_goodbye() {
///     // Runs after `main` returns.
/// }
/// let _ = scoped_logger_exit::at_exit(say_goodbye);
/// ```
pub fn at_exit(hook: fn()) -> bool {
    REGISTER.call_once(|| REGISTERED.store(register(), Ordering::Release));
    if !REGISTERED.load(Ordering::Acquire) {
        return false;
    }
    HOOKS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(hook);
    true
}

/// What the C runtime calls at exit.
extern "C" fn run_hooks() {
    // Taken out, then run without the lock: a hook that registers another must not deadlock.
    let hooks = std::mem::take(&mut *HOOKS.lock().unwrap_or_else(PoisonError::into_inner));
    for hook in hooks.into_iter().rev() {
        // A payload whose own `drop` panics would escape this `catch_unwind`: it cannot unwind
        // into C either (an `extern "C"` function aborts instead), so the worst case is an abort.
        drop(catch_unwind(hook));
    }
}

#[cfg(target_os = "linux")]
fn register() -> bool {
    #[allow(unsafe_code)]
    // SAFETY: `atexit` takes a pointer to a function of no arguments, returning nothing, that the
    // C runtime may call once during `exit`; it has no other precondition and is thread-safe
    // (POSIX), and here it is called once, under `REGISTER`. What the contract needs:
    // * The pointer stays valid: `run_hooks` is a function item of this crate. Linked into a
    //   shared object that is unloaded (`dlclose`), glibc and musl run the handlers that object
    //   registered before they unmap it (`atexit` is `__cxa_atexit` with the object's handle).
    // * The handler returns normally. It never calls `exit` or `longjmp` (undefined behaviour
    //   in a handler, C11 7.22.4.4). Safe Rust cannot `longjmp`; a hook that calls
    //   `std::process::exit` never reaches the C `exit` again, because std's exit guard
    //   (rust-lang/rust#126600, Linux) aborts the process when the exiting thread calls it a
    //   second time and parks any other thread that calls it. That guard is why this is
    //   Linux-only. A panic is caught above, and one that is not cannot unwind out of an
    //   `extern "C"` fn: the process aborts.
    // * The hooks are safe Rust and may run with this thread's thread-locals already destroyed
    //   (glibc runs them first): std makes that access fail or panic, never undefined.
    let status = unsafe { libc::atexit(run_hooks) };
    status == 0
}

#[cfg(not(target_os = "linux"))]
fn register() -> bool {
    let _ = run_hooks;
    false
}
