//! The panic hook: a panic inside a scope is logged once, with its message and location, on the
//! scope that is current when it happens, and the summary of every scope that it ends says what
//! it was (`outcome=panic panic="…" location="…"`).
//!
//! The hook never replaces what was there: it chains to the previous hook (which still prints
//! the usual message), once the record is written, so the two do not interleave. It must never panic itself: a panic in a panic hook aborts the process.

use std::cell::RefCell;
use std::panic::PanicHookInfo;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::kv::Value;
use crate::level::Level;

/// The last panic of this thread, as the hook saw it.
#[derive(Clone, Debug)]
pub(crate) struct PanicNote {
    /// The panic's message (`<non-string panic payload>` when it is not a string).
    pub(crate) message: String,
    /// `file:line:column`, when the runtime knows it.
    pub(crate) location: Option<String>,
}

thread_local! {
    static LAST: RefCell<Option<PanicNote>> = const { RefCell::new(None) };
}

/// Installs the panic hook (`init()` does this): a panic while a scope is current on the
/// panicking thread is logged once, at ERROR, on that scope (the innermost one), as
/// `panicked panic="<message>" location="<file:line:col>"`; a scope with `summary` that the panic
/// ends says `outcome=panic` with the same `panic` and `location`. Then the previous hook runs,
/// so the usual message is still printed.
///
/// - The record is written before the previous hook runs: the hook waits until the queued
///   handlers (stderr among them) have written it, as
///   [`flush_all_by`](crate::handler::queue::flush_all_by) does, for at most the
///   [`exit_deadline`](crate::handler::queue::exit_deadline) (1 s by default). So on stderr the
///   record comes before the panic's message and backtrace, not in the middle of them. An
///   output nobody reads costs that wait once, not on every panic.
/// - Calling it again does nothing: one hook is installed, whatever the number of calls
///   (called while the thread is panicking, it does nothing and a later call installs it).
/// - Outside any scope, a panic is not logged by this hook (the previous hook reports it as
///   usual) and leaves nothing behind.
/// - A panic that is caught (`catch_unwind`, or an executor such as tokio that catches a task's
///   panic) is logged all the same: the record says a panic happened in the scope. The scope of
///   an `async fn` whose executor catches the panic is dropped after unwinding, so its summary
///   says `cancelled`, not `panic`.
/// - Under `panic = "abort"` the record is written before the process aborts: the hook logs it,
///   then the flush that [`init`](crate::init) installs (and this function installs too) writes
///   every queued handler's records. No scope ends, so there is no summary.
///
/// ```
/// scoped_logger::install_panic_hook();
/// scoped_logger::install_panic_hook(); // still one hook
/// ```
pub fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    // `take_hook` and `set_hook` panic on a panicking thread: try again on a later call.
    if std::thread::panicking() || INSTALLED.swap(true, Ordering::AcqRel) {
        return;
    }
    // Installed first, so it runs after ours: the panic record is queued before the flush.
    crate::handler::queue::install_abort_flush();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if on_panic(info) {
            // The record is queued for a writer thread, and the previous hook writes to
            // stderr at once: let the record reach its outputs first, or it lands somewhere
            // inside the panic message and its backtrace.
            flush_queued();
        }
        previous(info);
    }));
}

/// Waits, at most the exit deadline, for every queued handler to write what it holds.
fn flush_queued() {
    use crate::handler::queue::{exit_deadline, flush_all_by};
    let now = Instant::now();
    let deadline = now.checked_add(exit_deadline()).unwrap_or(now);
    flush_all_by(deadline);
}

/// Logs the panic on the current scope; `true` when a record was made.
fn on_panic(info: &PanicHookInfo<'_>) -> bool {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<non-string panic payload>".to_owned());
    let location = info
        .location()
        .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
    let Some(scope) = crate::tree::current_scope() else {
        // Nothing is current: nothing to log, and no note a later scope could mistake as its own.
        let _ = LAST.try_with(|last| last.borrow_mut().take());
        return false;
    };
    let level = Level::Error;
    let logged = scope.enabled(level);
    if logged {
        let mut kvs = vec![("panic", Value::Str(&message))];
        if let Some(l) = &location {
            kvs.push(("location", Value::Str(l)));
        }
        scope.emit(level, format_args!("panicked"), &kvs, None);
    }
    let _ = LAST.try_with(|last| {
        if let Ok(mut last) = last.try_borrow_mut() {
            *last = Some(PanicNote { message, location });
        }
    });
    logged
}

/// The panic this thread is unwinding from, when the hook saw it (for the summary line).
pub(crate) fn unwinding() -> Option<PanicNote> {
    if !std::thread::panicking() {
        return None;
    }
    LAST.try_with(|last| last.try_borrow().ok().and_then(|l| l.clone()))
        .ok()
        .flatten()
}
