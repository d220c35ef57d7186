//! One writer per log file path in a process, and one process per rotated path.
//!
//! Every [`FileHandler`](crate::FileHandler) and [`RotatingFileHandler`](crate::RotatingFileHandler)
//! opened on a path leases the process's one [`Writer`] for it (keyed by the canonical path), so
//! handlers of many scopes append to one open file and rotate it once. The lease count lives in the
//! registry, under its lock: the last handler out closes the file and releases the cross-process
//! lock before any new opener can look the path up (a `Weak` whose last `Arc` is being dropped
//! would leave a window in which the path is still locked by the dying writer). This module must
//! never call user code (a clock, a format) while it holds the registry lock.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::SystemTime;

use parking_lot::Mutex;

use super::rotating::{Settings, Writer};

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
    /// Leases the writer of `path`, opening it when no handler of this process has it open.
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

    pub(crate) fn is_released(&self) -> bool {
        self.released.load(Ordering::Acquire)
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

/// The folder holding `path` (`.` for a bare file name).
pub(crate) fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether other users may create files in `dir` (like `/tmp`): a name there may be a symbolic
/// link planted by another user, so log files there are opened without following links.
#[cfg(unix)]
fn world_writable(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o002 != 0)
}

/// Opens `path` for appending, creating it with `mode` (exactly, whatever the umask) when it is
/// missing, and refusing a symbolic link when its folder is world-writable. Returns the file and
/// whether it was created.
pub(crate) fn open_append(path: &Path, mode: Option<u32>) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.append(true);
    #[cfg(unix)]
    let nofollow = world_writable(&parent_of(path));
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        if nofollow {
            options.custom_flags(libc::O_NOFOLLOW);
        }
        if let Some(mode) = mode {
            options.mode(mode);
        }
    }
    #[cfg(not(unix))]
    let _ = mode;
    let created = options.clone().create_new(true).open(path);
    let result = match created {
        Ok(file) => {
            #[cfg(unix)]
            if let Some(mode) = mode {
                // The umask narrowed the mode given at creation: set it exactly.
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(fs::Permissions::from_mode(mode))?;
            }
            Ok(file)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => options.open(path),
        Err(e) => Err(e),
    };
    #[cfg(unix)]
    if nofollow && let Err(e) = &result {
        // `create_new` refuses every link with EEXIST; the plain open refuses one with ELOOP.
        if e.raw_os_error() == Some(libc::ELOOP) {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "refusing to open log file {}: it is a symbolic link in the world-writable \
                     folder {} (another user may have planted it); remove it or log elsewhere",
                    path.display(),
                    parent_of(path).display()
                ),
            ));
        }
    }
    result
}

/// The sidecar lock of a rotated path, `<path>.lock`, taken when this process opens the path:
/// a second process that opens it gets an error naming the path and the holder's pid.
pub(crate) fn lock_sidecar(path: &Path, mode: Option<u32>) -> io::Result<File> {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    let lock_path = PathBuf::from(name);
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        if world_writable(&parent_of(path)) {
            options.custom_flags(libc::O_NOFOLLOW);
        }
        if let Some(mode) = mode {
            options.mode(mode);
        }
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(&lock_path).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("opening the lock file {}: {e}", lock_path.display()),
        )
    })?;
    match file.try_lock() {
        Ok(()) => {
            file.set_len(0)?;
            file.seek(io::SeekFrom::Start(0))?;
            writeln!(file, "{}", std::process::id())?;
            Ok(file)
        }
        Err(fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let holder = if holder.is_empty() { "unknown" } else { holder };
            Err(io::Error::new(
                io::ErrorKind::ResourceBusy,
                format!(
                    "log file {} is rotated by another process (pid {holder}, which holds {}): \
                     one process per rotated log file; give each process its own path",
                    path.display(),
                    lock_path.display()
                ),
            ))
        }
        Err(fs::TryLockError::Error(e)) => Err(io::Error::new(
            e.kind(),
            format!("locking {}: {e}", lock_path.display()),
        )),
    }
}
