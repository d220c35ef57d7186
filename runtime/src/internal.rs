//! The library's own voice: the last-resort handler (records that found no handler, Warn and
//! above) and internal warnings (a handler failed, records were dropped).
//!
//! Internal warnings never go through the tree, so a failing handler cannot recurse into itself.

use std::cell::OnceCell;
use std::fmt;
use std::time::Instant;

use crate::level::Level;
use crate::record::Record;

thread_local! {
    static THREAD_NAME: OnceCell<Option<Box<str>>> = const { OnceCell::new() };
}

/// Calls `f` with the current thread's name, looked up once per thread.
#[inline]
pub(crate) fn with_thread_name<R>(f: impl FnOnce(Option<&str>) -> R) -> R {
    let mut f = Some(f);
    let out = THREAD_NAME.try_with(|cell| {
        let name = cell.get_or_init(|| std::thread::current().name().map(Box::from));
        (f.take().expect("called once"))(name.as_deref())
    });
    match out {
        Ok(r) => r,
        // During thread-local destruction: no name.
        Err(_) => (f.take().expect("not called yet"))(None),
    }
}

/// Writes a record that reached no handler to the last-resort sink (stderr, never blocking).
#[cold]
pub(crate) fn last_resort(record: &Record<'_>) {
    crate::handler::Handler::handle(crate::handler::stderr::last_resort(), record);
}

/// A warning from the library itself, as a record of the logger `scoped_logger`.
#[cold]
pub(crate) fn warn(args: fmt::Arguments<'_>) {
    with_thread_name(|thread| {
        let record = Record::builder(Level::Warn, "scoped_logger", args)
            .thread_name(thread)
            .build();
        last_resort(&record);
    });
}

/// Flushes the last-resort sink, giving up at `deadline`.
pub(crate) fn flush_last_resort(deadline: Instant) -> bool {
    crate::handler::Handler::flush_by(crate::handler::stderr::last_resort(), deadline)
}
