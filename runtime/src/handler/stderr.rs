//! [`StderrHandler`]: records to stderr. (Interim synchronous version; the never-blocking sink
//! replaces it.)

use std::io;
use std::sync::LazyLock;

use crate::handler::Handler;
use crate::handler::stream::StreamHandler;
use crate::record::Record;

/// Writes records to stderr.
#[derive(Debug)]
pub struct StderrHandler {
    inner: StreamHandler<io::Stderr>,
}

impl Default for StderrHandler {
    fn default() -> Self {
        Self::new()
    }
}

impl StderrHandler {
    /// A handler on the process's stderr.
    pub fn new() -> Self {
        StderrHandler {
            inner: StreamHandler::new(io::stderr()),
        }
    }
}

impl Handler for StderrHandler {
    fn handle(&self, record: &Record<'_>) {
        self.inner.handle(record)
    }
    fn flush(&self) {
        self.inner.flush()
    }
}

static LAST_RESORT: LazyLock<StderrHandler> = LazyLock::new(StderrHandler::new);

/// The handler for records that reached no handler (Warn and above).
pub(crate) fn last_resort() -> &'static StderrHandler {
    &LAST_RESORT
}
