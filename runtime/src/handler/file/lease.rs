//! One [`Writer`] per log file path in this process: every file handler opened on a path leases
//! it, and the last one out closes the file. It must never call user code (a clock, a format)
//! while it holds the map's lock.
//!
//! Every [`FileHandler`](crate::FileHandler) and [`RotatingFileHandler`](crate::RotatingFileHandler)
//! opened on a path leases the process's one [`Writer`] for it (keyed by the canonical path), so
//! handlers of many scopes append to one open file and rotate it once. The lease count lives in the
//! registry, under its lock: the last handler out closes the file and releases the cross-process
//! lock before any new opener can look the path up (a `Weak` whose last `Arc` is being dropped
//! would leave a window in which the path is still locked by the dying writer).

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::SystemTime;

use parking_lot::Mutex;

use super::open::{create_parents, parent_of};
use super::writer::{Settings, Writer};

/// Open paths: canonical path → (the writer, how many handlers lease it).
type OpenPaths = HashMap<PathBuf, (Arc<Writer>, usize)>;
static OPEN: LazyLock<Mutex<OpenPaths>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// A handler's share of a [`Writer`]; released once, by `close` or by drop.
pub(crate) struct Lease {
    key: PathBuf,
    writer: Arc<Writer>,
    released: AtomicBool,
}

impl Lease {
    /// Leases the writer of `path`, opening it when no handler of this process has it open and
    /// creating its missing folders first.
    ///
    /// `settings` replace the writer's when they rotate (the newest rotating handler's settings
    /// apply, which is what a configuration reload needs); a plain file handler joins a writer as
    /// it is. `name` describes the handler in error reports.
    /// `now` is read from the settings' clock by the caller, before the registry lock is taken.
    pub(crate) fn open(
        path: &Path,
        settings: Settings,
        name: String,
        now: SystemTime,
    ) -> io::Result<Lease> {
        create_parents(path)?;
        let key = canonical_key(path)?;
        let mut open = OPEN.lock();
        if let Some((writer, count)) = open.get_mut(&key) {
            if settings.rotates {
                writer.adopt(settings)?;
            }
            *count += 1;
            return Ok(Lease {
                key,
                writer: writer.clone(),
                released: AtomicBool::new(false),
            });
        }
        let writer = Arc::new(Writer::open(path.to_path_buf(), settings, name, now)?);
        open.insert(key.clone(), (writer.clone(), 1));
        Ok(Lease {
            key,
            writer,
            released: AtomicBool::new(false),
        })
    }

    pub(crate) fn writer(&self) -> &Writer {
        &self.writer
    }

    fn is_released(&self) -> bool {
        self.released.load(Ordering::Acquire)
    }

    /// Appends one formatted record; after this handler's `close` the record is refused and
    /// reported instead, even while other handlers keep the writer open.
    pub(crate) fn write(&self, line: &[u8]) {
        if self.is_released() {
            self.writer.errors.report(
                "writing a record",
                io::Error::other("the handler was already closed"),
            );
            return;
        }
        self.writer.write(line);
    }

    /// Gives the lease back; the last one closes the file. Idempotent.
    pub(crate) fn release(&self) {
        if self.released.swap(true, Ordering::AcqRel) {
            return;
        }
        let closing = {
            let mut open = OPEN.lock();
            match open.get_mut(&self.key) {
                Some((writer, count)) if Arc::ptr_eq(writer, &self.writer) => {
                    *count -= 1;
                    if *count == 0 {
                        open.remove(&self.key);
                        // Under the registry lock: the next opener must find the path unlocked.
                        Some(self.writer.shut())
                    } else {
                        None
                    }
                }
                _ => None,
            }
        };
        if let Some(file) = closing {
            self.writer.finish(file);
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.release();
    }
}

/// The registry key: the canonical path of the file, or of its folder joined with its name when
/// the file does not exist yet. The error names the path.
fn canonical_key(path: &Path) -> io::Result<PathBuf> {
    if let Ok(p) = fs::canonicalize(path) {
        return Ok(p);
    }
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("log file {}: the path names no file", path.display()),
        )
    })?;
    let dir = parent_of(path);
    let dir = fs::canonicalize(&dir).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("opening log file {}: {e}", path.display()),
        )
    })?;
    Ok(dir.join(name))
}
