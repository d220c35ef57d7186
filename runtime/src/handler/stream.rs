//! [`StreamHandler`]: formats records onto any `Write` under a mutex, one `write_all` per record
//! so that concurrent records never interleave within a line.
//!
//! It blocks when the writer blocks; for stderr use [`StderrHandler`](crate::StderrHandler),
//! which never does.

use std::io::Write;

use parking_lot::Mutex;

use crate::format::{Format, TextFormat, with_formatted};
use crate::handler::{ErrorReporter, Handler};
use crate::record::Record;

/// Writes formatted records to a `Write` (a socket, a `Vec<u8>`, a pipe you own).
///
/// ```
/// use scoped_logger::{Registry, StreamHandler, Level};
/// let reg = Registry::new();
/// let out = StreamHandler::new(Vec::new());
/// let out = std::sync::Arc::new(out);
/// reg.root().add_shared_handler(out.clone());
/// reg.root().log(Level::Error, format_args!("boom"));
/// let text = out.with_writer(|w| String::from_utf8(w.clone()).unwrap());
/// assert!(text.ends_with(" ERROR root: boom\n"));
/// ```
pub struct StreamHandler<W: Write + Send> {
    writer: Mutex<W>,
    format: Box<dyn Format>,
    errors: ErrorReporter,
}

impl<W: Write + Send> std::fmt::Debug for StreamHandler<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamHandler").finish_non_exhaustive()
    }
}

impl<W: Write + Send> StreamHandler<W> {
    /// A handler writing the default text line to `writer`.
    pub fn new(writer: W) -> Self {
        StreamHandler {
            writer: Mutex::new(writer),
            format: Box::new(TextFormat),
            // Named by its writer's type: the one thing that tells two stream handlers apart.
            errors: ErrorReporter::new(format!(
                "stream handler writing to {}",
                std::any::type_name::<W>()
            )),
        }
    }

    /// Uses `format` instead of the text line (e.g. [`JsonFormat`](crate::format::JsonFormat)).
    pub fn format(mut self, format: impl Format + 'static) -> Self {
        self.format = Box::new(format);
        self
    }

    /// Runs `f` on the writer (under the handler's lock).
    pub fn with_writer<R>(&self, f: impl FnOnce(&mut W) -> R) -> R {
        f(&mut self.writer.lock())
    }

    /// Takes the writer back.
    pub fn into_inner(self) -> W {
        self.writer.into_inner()
    }
}

impl<W: Write + Send> Handler for StreamHandler<W> {
    fn handle(&self, record: &Record<'_>) {
        with_formatted(&*self.format, record, |line| {
            if let Err(e) = self.writer.lock().write_all(line) {
                self.errors.report("writing a record", e);
            }
        });
    }

    fn flush(&self) {
        if let Err(e) = self.writer.lock().flush() {
            self.errors.report("flushing", e);
        }
    }

    fn close(&self) {
        self.flush();
        self.errors.summarize();
    }

    fn target(&self) -> Option<String> {
        Some(std::any::type_name::<W>().to_owned())
    }

    fn take_error(&self) -> Option<std::io::Error> {
        self.errors.take()
    }
}
