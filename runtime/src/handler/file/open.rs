//! How the file handlers touch paths on disk: missing folders created, appending opens that
//! refuse a link planted in a world-writable folder and set an exact mode, the
//! one-process-per-rotated-path lock, and removals that tolerate a file already gone. Nothing
//! here keeps state or knows about records.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};

/// The folder holding `path` (`.` for a bare file name).
pub(crate) fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Creates the folders missing above `path` (nested ones too), as `mkdir -p` would: each with
/// mode `0o755` narrowed by the umask (on Unix), so that a configuration's first run does not
/// fail for want of its `logs/` folder. The error names the path.
pub(crate) fn create_parents(path: &Path) -> io::Result<()> {
    let dir = parent_of(path);
    // Something already there that is not a folder: opening the file says so (ENOTDIR).
    if dir.exists() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o755);
    }
    builder.create(&dir).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "creating the folder {} of log file {}: {e}",
                dir.display(),
                path.display()
            ),
        )
    })
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

/// Removes `path`; one already gone is not an error.
pub(crate) fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Renames `from` to `to`; a `from` already gone is not an error.
pub(crate) fn rename_if_present(from: &Path, to: &Path) -> io::Result<()> {
    match fs::rename(from, to) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}
