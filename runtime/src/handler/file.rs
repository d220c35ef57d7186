//! [`FileHandler`]: appends records to a file, creating it if missing and never truncating it
//! (Python's default mode), so many short scopes can share one file.
//!
//! Each record is one `write` on a file opened with `O_APPEND`: records of concurrent handlers on
//! the same file never interleave within a line. The file is closed by `close` (or drop).

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

use crate::format::{Format, TextFormat, with_formatted};
use crate::handler::{ErrorReporter, Handler};
use crate::record::Record;

/// Appends formatted records to a file.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// use scoped_logger::{FileHandler, Registry, Level};
/// let path = dir.path().join("app.log");
/// let reg = Registry::new();
/// reg.root().add_handler(FileHandler::create(&path)?);
/// reg.root().log(Level::Warn, format_args!("low disk"));
/// reg.shutdown(std::time::Duration::from_secs(1));
/// assert!(std::fs::read_to_string(&path)?.ends_with("WARN root: low disk\n"));
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct FileHandler {
    /// The file, and whether a fragment of a record cut short is at its end.
    file: Mutex<(Option<File>, bool)>,
    path: PathBuf,
    format: Box<dyn Format>,
    errors: ErrorReporter,
}

impl std::fmt::Debug for FileHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileHandler")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl FileHandler {
    /// Opens `path` for appending, creating it if missing. The error names the path.
    pub fn create(path: impl AsRef<Path>) -> io::Result<FileHandler> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("opening log file {}: {e}", path.display()),
                )
            })?;
        Ok(FileHandler {
            file: Mutex::new((Some(file), false)),
            errors: ErrorReporter::new(format!("file handler {}", path.display())),
            path,
            format: Box::new(TextFormat),
        })
    }

    /// Uses `format` instead of the text line.
    pub fn format(mut self, format: impl Format + 'static) -> Self {
        self.format = Box::new(format);
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Handler for FileHandler {
    fn handle(&self, record: &Record<'_>) {
        with_formatted(&*self.format, record, |line| {
            let mut guard = self.file.lock();
            let (file, torn) = &mut *guard;
            match file.as_mut() {
                Some(f) => {
                    if let Err(e) = super::append::append_record(f, line, torn) {
                        self.errors.report("writing a record", e);
                    }
                }
                None => self.errors.report(
                    "writing a record",
                    io::Error::other("the handler was already closed"),
                ),
            }
        });
    }

    fn flush(&self) {
        if let Some(f) = self.file.lock().0.as_mut()
            && let Err(e) = f.flush()
        {
            self.errors.report("flushing", e);
        }
    }

    fn close(&self) {
        // Dropping the file closes the descriptor. No fsync: like Python's FileHandler, durability
        // against power loss is the file system's job, and an fsync per short scope would cost
        // milliseconds each.
        drop(self.file.lock().0.take());
        self.errors.summarize();
    }

    fn target(&self) -> Option<String> {
        Some(self.path.display().to_string())
    }

    fn take_error(&self) -> Option<io::Error> {
        self.errors.take()
    }
}
