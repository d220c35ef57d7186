//! The library's own voice: the last-resort handler (records that found no handler, Warn and
//! above, to a never-blocking stderr) and the library's own warnings (a handler failed, records
//! were dropped), made as records of the logger [`OWN_LOGGER`].
//!
//! These warnings never go through the tree, so a failing handler cannot recurse into itself.

use std::fmt;
use std::time::Instant;

use std::sync::LazyLock;

use crate::handler::stderr::StderrHandler;
use crate::level::Level;
use crate::record::Record;

/// The logger name of the library's own records: its warnings, and the reports its handlers
/// write about themselves (records dropped, a database recreated).
pub(crate) const OWN_LOGGER: &str = "scoped_logger";

/// Created with the first record that needs it; never closed (its thread ends with the process;
/// [`Registry::shutdown`](crate::Registry::shutdown) flushes it, and so does the process's exit,
/// like every queued handler's: see [`flush_all_by`](crate::handler::queue::flush_all_by)).
static LAST_RESORT: LazyLock<StderrHandler> =
    LazyLock::new(|| StderrHandler::new().thread_name("scoped-logger-last-resort"));

/// The handler for records that reached no handler (Warn and above) and for the library's own
/// warnings.
pub(crate) fn handler() -> &'static StderrHandler {
    &LAST_RESORT
}

/// Writes a record that reached no handler to the last-resort sink (stderr, never blocking).
#[cold]
pub(crate) fn last_resort(record: &Record<'_>) {
    crate::handler::handler_trait::Handler::handle(handler(), record);
}

/// A warning from the library itself, as a record of the logger `scoped_logger`.
#[cold]
pub(crate) fn warn(args: fmt::Arguments<'_>) {
    crate::thread::with_name(|thread| {
        let record = Record::builder(Level::Warn, OWN_LOGGER, args)
            .thread_name(thread)
            .build();
        last_resort(&record);
    });
}

/// Lends `f` the "N records dropped ..." record a queued handler writes at the place of a gap:
/// a `WARN` of [`OWN_LOGGER`] saying `message`, with the count in `dropped`.
#[cfg(any(
    feature = "syslog",
    feature = "otlp",
    all(feature = "journald", target_os = "linux")
))]
pub(crate) fn with_drop_report<R>(
    count: u64,
    thread: Option<&str>,
    message: fmt::Arguments<'_>,
    f: impl FnOnce(&Record<'_>) -> R,
) -> R {
    let kvs = [("dropped", crate::kv::Value::U64(count))];
    let record = Record::builder(Level::Warn, OWN_LOGGER, message)
        .key_values(&kvs)
        .thread_name(thread)
        .build();
    f(&record)
}

/// Flushes the last-resort sink, giving up at `deadline`.
pub(crate) fn flush_last_resort(deadline: Instant) -> bool {
    crate::handler::handler_trait::Handler::flush_by(handler(), deadline)
}

/// At most one report per key (a handler's kind and target, and what went wrong) in this long;
/// the rest are counted and said with the next one, or at [`report_suppressed`].
pub(crate) const REPORT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

/// Per key: when the last report was written, and how many were held back since.
static LIMITED: std::sync::LazyLock<
    parking_lot::Mutex<std::collections::HashMap<String, (Instant, u64)>>,
> = std::sync::LazyLock::new(Default::default);

/// A warning that may repeat (say, the same failing handler in every one of 500 scopes): written
/// at most once per `key` per [`REPORT_INTERVAL`], the ones held back counted and said with the
/// next one written.
#[cold]
pub(crate) fn warn_limited(key: &str, args: fmt::Arguments<'_>) {
    let now = Instant::now();
    let held_back = {
        let mut map = LIMITED.lock();
        if map.len() >= 4096 {
            map.retain(|_, (at, n)| *n > 0 || now.duration_since(*at) < REPORT_INTERVAL);
        }
        match map.get_mut(key) {
            Some((at, n)) if now.duration_since(*at) < REPORT_INTERVAL => {
                *n += 1;
                return;
            }
            Some((at, n)) => {
                *at = now;
                std::mem::take(n)
            }
            None => {
                map.insert(key.to_owned(), (now, 0));
                0
            }
        }
    };
    if held_back == 0 {
        warn(args);
    } else {
        warn(format_args!(
            "{args} ({held_back} more like it in the last {}s were not repeated)",
            REPORT_INTERVAL.as_secs()
        ));
    }
}

/// Says how many reports [`warn_limited`] held back and has not said yet (the final count), and
/// forgets them.
pub(crate) fn report_suppressed() {
    let pending: Vec<(String, u64)> = {
        let mut map = LIMITED.lock();
        map.iter_mut()
            .filter(|(_, (_, n))| *n > 0)
            .map(|(k, (_, n))| (k.clone(), std::mem::take(n)))
            .collect()
    };
    for (key, n) in pending {
        warn(format_args!(
            "{key}: {n} more reports like the last one were not repeated"
        ));
    }
}
