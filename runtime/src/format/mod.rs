//! Formats turn a [`Record`] into bytes: the default text line and JSON lines.
//!
//! A format appends to a caller-owned buffer and never fails: a value that cannot be written as
//! it stands is written as a string.

use crate::record::Record;

pub mod json;
pub mod text;

pub use json::JsonFormat;
pub use text::TextFormat;

/// Turns a record into one line of output (including the trailing newline).
pub trait Format: Send + Sync {
    /// Appends the record to `out`.
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>);
}

impl<F: Format + ?Sized> Format for Box<F> {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        (**self).format(record, out)
    }
}

impl<F: Format + ?Sized> Format for std::sync::Arc<F> {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        (**self).format(record, out)
    }
}

/// The name shown for a logger: the root is `root`.
pub(crate) fn display_name(logger: &str) -> &str {
    if logger.is_empty() { "root" } else { logger }
}

thread_local! {
    static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Formats `record` with `format` into a reused per-thread buffer and passes the bytes to `f`.
///
/// Re-entrant: a `Display` impl that logs while being formatted gets a fresh buffer instead of a
/// panic. Buffers that grew past 64 KiB are not kept, so one huge message does not pin memory.
pub fn with_formatted<R>(
    format: &dyn Format,
    record: &Record<'_>,
    f: impl FnOnce(&[u8]) -> R,
) -> R {
    const KEEP: usize = 64 * 1024;
    let run = |buf: &mut Vec<u8>| {
        buf.clear();
        format.format(record, buf);
        f(buf)
    };
    let mut run = Some(run);
    let reused = BUF.try_with(|cell| {
        cell.try_borrow_mut().ok().map(|mut buf| {
            let out = (run.take().expect("once"))(&mut buf);
            if buf.capacity() > KEEP {
                *buf = Vec::new();
            }
            out
        })
    });
    match reused {
        Ok(Some(out)) => out,
        _ => (run.take().expect("not run yet"))(&mut Vec::new()),
    }
}
