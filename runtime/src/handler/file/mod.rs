//! The file handlers: [`FileHandler`] (here) appends records to a file, creating it if missing
//! and never truncating it (Python's default mode), so many short scopes can share one file;
//! [`RotatingFileHandler`] also rotates it. Neither returns an I/O error to the caller that logs.
//!
//! Each record is one `write` on a file opened with `O_APPEND`: records of concurrent handlers on
//! the same file never interleave within a line. Handlers of one process on one path share one
//! open file (see [`RotatingFileHandler`]); the last one's `close` (or drop) closes it.
//!
//! Imports point one way, from the handlers down: `mod.rs` and `rotating.rs` (the handlers) use
//! `lease.rs` (one writer per path), which uses `writer.rs` (append, rotate, watch); the writer
//! uses `rule.rs` (when to rotate, backup names), `compress.rs` (gzip thread), `retain.rs`
//! (which rotated files stay, compressed or waiting; the gzip thread uses it too), `append.rs`
//! (one record, one write) and `open.rs` (creating folders, opening, locking, removing paths),
//! which `compress.rs` and `lease.rs` also use.

mod append;
mod compress;
mod lease;
mod open;
mod retain;
mod rotating;
mod rule;
mod writer;

// Every one of them holds the compressor back: they exist with the `compress` feature only.
#[cfg(all(test, feature = "compress"))]
mod tests;

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub use rotating::{RotatingFileBuilder, RotatingFileHandler};
pub use rule::{Rotation, RotationClock, WallClock};

use crate::format::text::TextFormat;
use crate::format::{Format, with_formatted};
use crate::handler::handler_trait::Handler;
use crate::record::Record;
use lease::Lease;
use writer::Settings;

/// Appends formatted records to a file.
///
/// Missing folders above the file are created when it opens (like `mkdir -p`, mode `0o755`
/// narrowed by the umask), so a configuration's first run needs no `logs/` folder made by hand.
///
/// On Unix it follows an outside rotation (logrotate's default `create`, an `rm`, a file put in
/// its place): before each record it checks that the path still names the file it has open (one
/// `stat`, as [`RotatingFileBuilder::watch`] does), and when it does not, the record goes to a
/// file opened (or created) at the path, never to the file moved away. logrotate's
/// `copytruncate` needs nothing: each record is appended at the file's current end. A folder
/// removed later is not created again: records fail (reported once, counted) until it is back.
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
    path: PathBuf,
    lease: Lease,
    format: Box<dyn Format>,
}

impl std::fmt::Debug for FileHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileHandler")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl FileHandler {
    /// Opens `path` for appending, creating it (and its missing folders) if missing. The error
    /// names the path.
    pub fn create(path: impl AsRef<Path>) -> io::Result<FileHandler> {
        FileHandler::options().open(path)
    }

    /// Options for opening a file handler, such as its [`mode`](FileOptions::mode).
    pub fn options() -> FileOptions {
        FileOptions { mode: None }
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

/// How a [`FileHandler`] opens its file; see [`FileHandler::options`].
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// use scoped_logger::FileHandler;
/// let handler = FileHandler::options().mode(0o640).open(dir.path().join("app.log"))?;
/// # #[cfg(unix)] {
/// use std::os::unix::fs::PermissionsExt;
/// let mode = std::fs::metadata(handler.path())?.permissions().mode();
/// assert_eq!(mode & 0o777, 0o640);
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct FileOptions {
    mode: Option<u32>,
}

impl FileOptions {
    /// Creates a missing file with exactly these permission bits (e.g. `0o640`, whatever the
    /// umask), like logrotate's `create 0640`; an existing file keeps its own. Unix only:
    /// ignored elsewhere.
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = Some(mode);
        self
    }

    /// Opens `path` for appending, creating it (and its missing folders) if missing and never
    /// truncating it. The error names the path.
    pub fn open(self, path: impl AsRef<Path>) -> io::Result<FileHandler> {
        let path = path.as_ref().to_path_buf();
        let lease = Lease::open(
            &path,
            Settings::plain(self.mode),
            format!("file handler {}", path.display()),
            SystemTime::now(),
        )?;
        Ok(FileHandler {
            path,
            lease,
            format: Box::new(TextFormat),
        })
    }
}

impl Handler for FileHandler {
    fn handle(&self, record: &Record<'_>) {
        with_formatted(&*self.format, record, |line| self.lease.write(line));
    }

    fn flush(&self) {
        self.lease.writer().flush();
    }

    fn close(&self) {
        // The last handler on the path closes the file. No fsync: like Python's FileHandler,
        // durability against power loss is the file system's job, and an fsync per short scope
        // would cost milliseconds each.
        self.lease.release();
    }

    fn target(&self) -> Option<String> {
        Some(self.path.display().to_string())
    }

    fn take_error(&self) -> Option<io::Error> {
        self.lease.writer().errors.take()
    }
}
