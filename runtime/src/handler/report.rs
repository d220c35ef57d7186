//! A failing handler's errors: reported once, counted always, kept for `take_error`; never
//! returned to the code that logged.

use parking_lot::Mutex;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Process-wide count of handler failures (I/O errors reported through [`ErrorReporter`] and
/// panics caught by the tree).
pub(crate) static HANDLER_ERRORS: AtomicU64 = AtomicU64::new(0);

/// How many handler failures (errors and panics) this process has seen.
pub fn handler_error_count() -> u64 {
    HANDLER_ERRORS.load(Ordering::Relaxed)
}

/// Reports a handler's errors: the first one is written once to stderr (through the
/// never-blocking last-resort sink), later ones are counted, and the first one since the last
/// [`take`](Self::take) is kept for [`Handler::take_error`](crate::Handler::take_error).
///
/// Use it in your own handlers the way the built-in ones do:
///
/// ```
/// use scoped_logger::handler::ErrorReporter;
/// let errors = ErrorReporter::new("my handler");
/// errors.report("writing", std::io::Error::other("disk full"));
/// assert_eq!(errors.count(), 1);
/// assert!(errors.take().is_some());
/// ```
#[derive(Debug)]
pub struct ErrorReporter {
    what: String,
    count: AtomicU64,
    reported: AtomicBool,
    pending: Mutex<Option<io::Error>>,
}

impl ErrorReporter {
    /// A reporter for the handler described by `what` (e.g. `"file handler logs/42.log"`).
    pub fn new(what: impl Into<String>) -> Self {
        ErrorReporter {
            what: what.into(),
            count: AtomicU64::new(0),
            reported: AtomicBool::new(false),
            pending: Mutex::new(None),
        }
    }

    /// Records an error met while `doing` something.
    #[cold]
    pub fn report(&self, doing: &str, err: io::Error) {
        self.count.fetch_add(1, Ordering::Relaxed);
        HANDLER_ERRORS.fetch_add(1, Ordering::Relaxed);
        if !self.reported.swap(true, Ordering::Relaxed) {
            // Many handlers of one kind and target (one per scope) fail alike: one line per
            // interval for all of them.
            crate::handler::last_resort::warn_limited(
                &format!("{} failed while {doing}", self.what),
                format_args!(
                    "{} failed while {doing}: {err} (further errors from it are counted, not \
                     repeated)",
                    self.what
                ),
            );
        }
        let mut pending = self.pending.lock();
        if pending.is_none() {
            *pending = Some(io::Error::new(
                err.kind(),
                format!("{} failed while {doing}: {err}", self.what),
            ));
        }
    }

    /// How many errors were reported.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The first error since the last call.
    pub fn take(&self) -> Option<io::Error> {
        self.pending.lock().take()
    }

    /// At close: if more than one error happened, says how many (once).
    pub fn summarize(&self) {
        let n = self.count();
        if n > 1 {
            crate::handler::last_resort::warn(format_args!(
                "{} failed {n} times in all",
                self.what
            ));
        }
    }
}
