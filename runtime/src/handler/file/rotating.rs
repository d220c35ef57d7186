//! [`RotatingFileHandler`]: a log file that rotates by size, by time (hourly or daily, UTC) or
//! both, keeping a fixed number of backups.
//!
//! Rotation never splits or loses a record: the checks run before each write, and each record is
//! one `write` to one file. I/O errors never reach the caller: they are reported once through
//! [`ErrorReporter`](crate::handler::ErrorReporter) and the next record tries again (reopening the
//! file).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::lease::Lease;
use super::rule::{Rotation, RotationClock, WallClock, Zone};
use super::writer::Settings;
use crate::format::text::TextFormat;
use crate::format::{Format, with_formatted};
use crate::handler::handler_trait::Handler;
use crate::record::Record;

/// Builder for a [`RotatingFileHandler`]; see [`RotatingFileHandler::builder`].
pub struct RotatingFileBuilder {
    path: PathBuf,
    max_bytes: Option<u64>,
    backups: usize,
    rotation: Rotation,
    clock: Arc<dyn RotationClock>,
    format: Box<dyn Format>,
    watch: bool,
    mode: Option<u32>,
    compress: bool,
    zone: Zone,
    max_age: Option<Duration>,
}

impl std::fmt::Debug for RotatingFileBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RotatingFileBuilder")
            .field("path", &self.path)
            .field("max_bytes", &self.max_bytes)
            .field("backups", &self.backups)
            .field("rotation", &self.rotation)
            .field("watch", &self.watch)
            .field("mode", &self.mode)
            .field("compress", &self.compress)
            .field("zone", &self.zone)
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

impl RotatingFileBuilder {
    /// Rotates before a record would take the file past `bytes`. A file never exceeds the limit,
    /// except when a single record is larger than it: that record then goes alone into a fresh
    /// file. Zero is rejected by [`open`](Self::open).
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = Some(bytes);
        self
    }

    /// How many rotated files to keep (default 5); the oldest beyond that are deleted. With 0,
    /// rotation deletes the current file and starts afresh. With
    /// [`compress`](Self::compress), files waiting for gzip count too: the path never holds more
    /// than `count` rotated files, compressed or waiting, besides the live file and the one
    /// being compressed.
    pub fn backups(mut self, count: usize) -> Self {
        self.backups = count;
        self
    }

    /// Also rotates at the start of every UTC hour or day (default [`Rotation::Never`]).
    pub fn rotate_every(mut self, rotation: Rotation) -> Self {
        self.rotation = rotation;
        self
    }

    /// Uses `clock` instead of the system clock to decide time rotation.
    pub fn clock(mut self, clock: impl RotationClock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Uses `format` instead of the text line (e.g. [`JsonFormat`](crate::format::JsonFormat)).
    pub fn format(mut self, format: impl Format + 'static) -> Self {
        self.format = Box::new(format);
        self
    }

    /// Whether to check before each record that the path still names the open file (default
    /// `true`), reopening it when it was deleted or moved away (its folder removed and created
    /// again, an outside `logrotate`). This costs one `stat` per record; without it, records
    /// written after the file was deleted are lost with it.
    pub fn watch(mut self, watch: bool) -> Self {
        self.watch = watch;
        self
    }

    /// Creates the file (and each new file after a rotation) with exactly these permission bits
    /// (e.g. `0o640`, whatever the umask), like logrotate's `create 0640`. Without it, a new file
    /// after a rotation gets the mode of the file it replaces, and the first one `0o666` minus
    /// the umask. Backups keep the mode of the file they were. Unix only: ignored elsewhere.
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = Some(mode);
        self
    }

    /// Days and weeks end at local midnight (the system's time zone, read from its zone database
    /// as the text formats do) instead of UTC midnight; backups are labelled with the local date.
    /// Across a daylight-saving change a day is 23 or 25 hours long. `Hourly` stays UTC.
    pub fn local_time(mut self, local: bool) -> Self {
        self.zone = if local { Zone::System } else { Zone::Utc };
        self
    }

    /// Days and weeks end at midnight in the IANA time zone `name` (e.g. `"Europe/Paris"`);
    /// [`open`](Self::open) fails with an error naming it when the zone is unknown.
    pub fn time_zone(mut self, name: &str) -> Self {
        self.zone = Zone::Named(name.to_owned());
        self
    }

    /// Also deletes backups (compressed or not, and files still waiting for
    /// [`compress`](Self::compress)ion, but not the one being compressed) last modified longer
    /// than `age` ago, at each rotation (flexi_logger's `KeepLogDays`, logrotate's `maxage`);
    /// the count limit of [`backups`](Self::backups) still applies. Age is measured with the
    /// handler's clock.
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// Compresses rotated backups with gzip (default `false`), like logrotate's `compress`: a
    /// backup becomes `app.log.1.gz` (size rotation) or `app.log.2026-11-24.gz` (time rotation),
    /// with the mode of the file it was. The work is done by one background thread shared by
    /// every handler of the process, never on the thread that logs, at gzip's fastest level and
    /// (on Linux) at a lower priority (nice 10), so that it yields the CPU to the threads that
    /// log.
    ///
    /// Crash rule: a backup is written to `<name>.gz.tmp`, synced, renamed to `.gz`, and only
    /// then is its uncompressed source removed, so a process killed mid-compression loses no
    /// record; a handler opened later with compression removes the `.gz.tmp` and compresses the
    /// source again. At shutdown, [`close_by`](Handler::close_by) waits for the path's
    /// compressions up to the deadline and no longer: one still running then is cut short by the
    /// process's exit, with the same outcome (the source is kept and compressed by the next
    /// start). [`close`](Handler::close) does not wait. Size-rotated sources wait their turn as
    /// `app.log.pending-<time>`.
    ///
    /// Compression never lets a backlog fill the disk. Files waiting for it count against
    /// [`backups`](Self::backups) and [`max_age`](Self::max_age) like the `.gz` ones: the newest
    /// `backups` rotated files are kept, compressed or waiting, plus the one being compressed.
    /// When rotations outrun the compression thread (a burst of logging, a slow disk, a busy
    /// CPU), the oldest waiting files are deleted uncompressed as backups beyond the count would
    /// be, and each such deletion is reported through
    /// [`ErrorReporter`](crate::handler::ErrorReporter) (the first printed, every one counted
    /// in [`error_count`](RotatingFileHandler::error_count) and kept for
    /// [`take_error`](Handler::take_error)), never done silently. A handler opened on a path
    /// that holds more (the backlog of a crashed process) prunes it the same way.
    #[cfg(feature = "compress")]
    #[cfg_attr(docsrs, doc(cfg(feature = "compress")))]
    pub fn compress(mut self, compress: bool) -> Self {
        self.compress = compress;
        self
    }

    /// Opens the file for appending, creating it if missing and never truncating it; missing
    /// folders above it are created first (like `mkdir -p`, mode `0o755` narrowed by the umask).
    /// The error names the path.
    ///
    /// When a handler of this process already has the path open (another scope's, one from the
    /// configuration), the new handler shares its file and its rotation, and these settings
    /// (size, backups, time rotation, clock, watch, mode) replace the ones it had: the newest
    /// handler's settings apply. When another process rotates the path, the error says so and
    /// names its pid (see [`RotatingFileHandler`]).
    pub fn open(self) -> io::Result<RotatingFileHandler> {
        if self.max_bytes == Some(0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "rotating log file {}: max_bytes must be more than 0",
                    self.path.display()
                ),
            ));
        }
        let settings = Settings {
            max_bytes: self.max_bytes,
            backups: self.backups,
            rotation: self.rotation,
            watch: self.watch,
            rotates: true,
            mode: self.mode,
            compress: self.compress,
            zone: match &self.zone {
                Zone::Utc => None,
                Zone::System => Some(jiff::tz::TimeZone::system()),
                Zone::Named(name) => Some(jiff::tz::TimeZone::get(name).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!(
                            "rotating log file {}: unknown time zone `{name}`: {e}",
                            self.path.display()
                        ),
                    )
                })?),
            },
            max_age: self.max_age,
            clock: self.clock,
        };
        let now = settings.clock.now();
        let lease = Lease::open(
            &self.path,
            settings,
            format!("rotating file handler {}", self.path.display()),
            now,
        )?;
        Ok(RotatingFileHandler {
            lease,
            path: self.path,
            format: self.format,
        })
    }
}

/// Appends formatted records to a file and rotates it by size, by time, or both.
///
/// Backup names:
/// - size rotation alone: `app.log.1` (newest) … `app.log.N` (oldest); at rotation each moves up
///   one and the oldest is deleted;
/// - time rotation (with or without a size limit): the file is renamed after the UTC period its
///   records belong to, `app.log.2026-11-24` (daily) or `app.log.2026-11-24T19` (hourly); a second
///   backup of the same period (size rotation within it, or a restart) gets `.1`, `.2`, … appended,
///   always one past the highest the period has. The newest N backups are kept, ordered by name
///   (period, then index). Because the order is the names', a clock set back across a period
///   boundary (a large NTP correction) makes the backups it labels with the earlier period sort
///   as older than those written before the correction.
///
/// An existing file is appended to, never truncated. For time rotation, a non-empty existing file
/// belongs to the period of its last modification, so a program restarted the next day rotates
/// yesterday's file on its first record. Rotation happens when the clock enters a later period (a
/// clock that goes back does not rotate).
///
/// One writer per path: every handler of this process opened on the same path (by many scopes,
/// by the configuration, by hand; [`FileHandler`](crate::FileHandler)s included) shares one open
/// file and one rotation, so every record lands once and no backup is overwritten; the last
/// handler closed closes the file. Errors are reported once for the path.
///
/// One process per rotated path: the first handler of a process takes an advisory lock on the
/// sidecar file `<path>.lock` (which holds the process's pid and is left in place), and a handler
/// of another process then fails to open with an error of kind
/// [`ResourceBusy`](io::ErrorKind::ResourceBusy) naming the path and that pid. (Plain
/// [`FileHandler`](crate::FileHandler)s of many processes may append to one file, each record
/// one write; a plain handler in one process and a rotating one in another is not detected.)
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// use scoped_logger::{Registry, Level, RotatingFileHandler};
/// let path = dir.path().join("app.log");
/// let reg = Registry::new();
/// let handler = RotatingFileHandler::builder(&path).max_bytes(10 << 20).backups(5).open()?;
/// reg.root().add_handler(handler);
/// reg.root().log(Level::Warn, format_args!("low disk"));
/// reg.shutdown(std::time::Duration::from_secs(1));
/// assert!(std::fs::read_to_string(&path)?.ends_with("WARN root: low disk\n"));
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct RotatingFileHandler {
    path: PathBuf,
    lease: Lease,
    format: Box<dyn Format>,
}

impl std::fmt::Debug for RotatingFileHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RotatingFileHandler")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl RotatingFileHandler {
    /// Starts building a handler on `path`: no size limit, no time rotation, 5 backups, the text
    /// format, the system clock.
    pub fn builder(path: impl AsRef<Path>) -> RotatingFileBuilder {
        RotatingFileBuilder {
            path: path.as_ref().to_path_buf(),
            max_bytes: None,
            backups: 5,
            rotation: Rotation::Never,
            clock: Arc::new(WallClock),
            format: Box::new(TextFormat),
            watch: true,
            mode: None,
            compress: false,
            zone: Zone::Utc,
            max_age: None,
        }
    }

    /// The path of the current file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many I/O errors the path's writer and its compressions met, plus how many rotated
    /// files were deleted before they could be compressed (see
    /// [`compress`](RotatingFileBuilder::compress)). Each is counted; only the first is printed.
    /// Handlers sharing the path share the count.
    pub fn error_count(&self) -> u64 {
        let writer = self.lease.writer();
        writer.errors.count() + writer.compressions.errors.count()
    }

    /// The path's compressions, for tests that hold them back.
    #[cfg(all(test, feature = "compress"))]
    pub(crate) fn compressions(&self) -> &super::compress::Tracker {
        &self.lease.writer().compressions
    }
}

impl Handler for RotatingFileHandler {
    fn handle(&self, record: &Record<'_>) {
        with_formatted(&*self.format, record, |line| self.lease.write(line));
    }

    fn flush(&self) {
        self.lease.writer().flush();
    }

    fn close(&self) {
        self.lease.release();
    }

    /// Closes, then waits for the path's backups being compressed until `deadline`; `false`
    /// when some were still being compressed (their sources are kept, see
    /// [`compress`](RotatingFileBuilder::compress)).
    fn close_by(&self, deadline: Instant) -> bool {
        self.lease.release();
        self.lease.writer().compressions.wait_until(Some(deadline))
    }

    fn target(&self) -> Option<String> {
        Some(self.path().display().to_string())
    }

    fn take_error(&self) -> Option<io::Error> {
        let writer = self.lease.writer();
        writer
            .errors
            .take()
            .or_else(|| writer.compressions.errors.take())
    }
}
