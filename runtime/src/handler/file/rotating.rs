//! [`RotatingFileHandler`]: a log file that rotates by size, by time (hourly or daily, UTC) or
//! both, keeping a fixed number of backups.
//!
//! Rotation never splits or loses a record: the checks run before each write, and each record is
//! one `write` to one file. I/O errors never reach the caller: they are reported once through
//! [`ErrorReporter`] and the next record tries again (reopening the file).

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;

use crate::format::{Format, TextFormat, with_formatted};
use crate::handler::file::compress::{self, Job, Target, Tracker};
use crate::handler::file::paths::{Lease, lock_sidecar, open_append, parent_of};
use crate::handler::{ErrorReporter, Handler};
use crate::record::Record;

/// When a [`RotatingFileHandler`] starts a new file regardless of its size.
///
/// Periods are UTC unless the builder says [`local_time`](RotatingFileBuilder::local_time) (or
/// names a [`time_zone`](RotatingFileBuilder::time_zone)): `Daily` rotates at midnight, `Weekly`
/// at midnight starting Monday, `Hourly` at the top of every UTC hour (always UTC).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rotation {
    /// No time rotation (size rotation only, when [`max_bytes`](RotatingFileBuilder::max_bytes) is set).
    #[default]
    Never,
    /// A new file every UTC hour; backups are named `app.log.2026-11-24T19`.
    Hourly,
    /// A new file every day; backups are named `app.log.2026-11-24`.
    Daily,
    /// A new file every week, starting Monday; backups are named after the week's Monday,
    /// `app.log.2026-11-23`.
    Weekly,
}

/// The zone whose midnights end days and weeks.
#[derive(Debug, Clone)]
enum Zone {
    Utc,
    System,
    Named(String),
}

/// The time source of time rotation. The default is [`SystemClock`]; tests inject their own so
/// that they can cross a day without sleeping.
///
/// Any `Fn() -> SystemTime + Send + Sync` is a clock:
///
/// ```
/// use scoped_logger::RotatingFileHandler;
/// use scoped_logger::handler::Rotation;
/// use std::time::{Duration, UNIX_EPOCH};
/// # let dir = tempfile::tempdir().unwrap();
/// let fixed = || UNIX_EPOCH + Duration::from_secs(1_795_892_638);
/// let _handler = RotatingFileHandler::builder(dir.path().join("app.log"))
///     .rotate_every(Rotation::Daily)
///     .clock(fixed)
///     .open()?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait RotationClock: Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;
}

impl<F: Fn() -> SystemTime + Send + Sync> RotationClock for F {
    fn now(&self) -> SystemTime {
        self()
    }
}

/// The system's wall clock ([`SystemTime::now`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl RotationClock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

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
    /// rotation deletes the current file and starts afresh.
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

    /// Also deletes backups (compressed or not) last modified longer than `age` ago, at each
    /// rotation (flexi_logger's `KeepLogDays`, logrotate's `maxage`); the count limit of
    /// [`backups`](Self::backups) still applies. Age is measured with the handler's clock.
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
    /// `app.log.pending-<time>`; backups kept by count are the `.gz` ones.
    pub fn compress(mut self, compress: bool) -> Self {
        self.compress = compress;
        self
    }

    /// Opens the file for appending, creating it if missing and never truncating it. The error
    /// names the path.
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

/// What a [`Writer`] does with its file; the newest rotating handler's replace a writer's.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) max_bytes: Option<u64>,
    pub(crate) backups: usize,
    pub(crate) rotation: Rotation,
    pub(crate) watch: bool,
    /// Set by rotating handlers: the path is locked against other processes, and the file is
    /// synced at close.
    pub(crate) rotates: bool,
    pub(crate) mode: Option<u32>,
    /// Gzip the backups on the background thread.
    pub(crate) compress: bool,
    /// Days and weeks end at this zone's midnight (`None`: UTC).
    pub(crate) zone: Option<jiff::tz::TimeZone>,
    pub(crate) max_age: Option<Duration>,
    pub(crate) clock: Arc<dyn RotationClock>,
}

impl Settings {
    /// A plain appended file: no rotation, no watch, no lock.
    pub(crate) fn plain(mode: Option<u32>) -> Settings {
        Settings {
            max_bytes: None,
            backups: 0,
            rotation: Rotation::Never,
            watch: false,
            rotates: false,
            mode,
            compress: false,
            zone: None,
            max_age: None,
            clock: Arc::new(SystemClock),
        }
    }

    fn period_of(&self, time: SystemTime) -> u64 {
        match self.rotation {
            Rotation::Never => 0,
            Rotation::Hourly => secs_since_epoch(time) / 3600,
            Rotation::Daily => self.day_of(time),
            // 1970-01-01 was a Thursday: weeks count from Monday 1969-12-29, day -3.
            Rotation::Weekly => (self.day_of(time) + 3) / 7,
        }
    }

    /// Days since 1970-01-01 in the zone.
    fn day_of(&self, time: SystemTime) -> u64 {
        let secs = secs_since_epoch(time);
        let Some(zone) = &self.zone else {
            return secs / 86_400;
        };
        let days = i64::try_from(secs)
            .ok()
            .and_then(|s| jiff::Timestamp::from_second(s).ok())
            .map(|ts| zone.to_offset(ts).to_datetime(ts).date())
            .and_then(|date| date.since(jiff::civil::date(1970, 1, 1)).ok())
            .map_or(0, |span| span.get_days());
        u64::try_from(days).unwrap_or(0)
    }

    /// The backup label of a period: `2026-11-24T19` (hourly), `2026-11-24` (the day, or the
    /// week's Monday).
    fn label_of(&self, period: u64) -> String {
        let days_from = |start: jiff::civil::Date, days: u64| {
            i64::try_from(days)
                .ok()
                .and_then(|d| start.checked_add(jiff::Span::new().try_days(d).ok()?).ok())
                .unwrap_or(start)
                .to_string()
        };
        match self.rotation {
            Rotation::Hourly => {
                let start = UNIX_EPOCH + Duration::from_secs(period.saturating_mul(3600));
                humantime::format_rfc3339_seconds(start).to_string()[..13].to_owned()
            }
            Rotation::Weekly => {
                days_from(jiff::civil::date(1969, 12, 29), period.saturating_mul(7))
            }
            _ => days_from(jiff::civil::date(1970, 1, 1), period),
        }
    }
}

/// The open file and what rotation needs to know about it.
struct OpenFile {
    file: File,
    /// Bytes in the file (kept by us, so the size check costs no syscall).
    size: u64,
    /// The time-rotation period the file's records belong to.
    period: u64,
    /// (device, inode) of the open file, to notice that the path now names another file.
    #[cfg(unix)]
    id: (u64, u64),
    /// Its permission bits, given to the file that replaces it at rotation.
    #[cfg(unix)]
    mode: u32,
}

struct State {
    settings: Settings,
    file: Option<OpenFile>,
    closed: bool,
    /// A fragment of a record cut short (disk full) is at the end of the file at the path.
    torn: bool,
    /// The cross-process lock (`<path>.lock`), held while a rotating handler has the path open.
    lock: Option<File>,
}

/// The one writer of a path in this process, shared by every handler opened on it (see
/// [`Lease`]): it appends, rotates and reports errors once for all of them.
pub(crate) struct Writer {
    path: PathBuf,
    state: Mutex<State>,
    pub(crate) errors: ErrorReporter,
    /// Its backups being compressed.
    pub(crate) compressions: Arc<Tracker>,
}

impl Writer {
    /// Opens the file (and, for a rotating handler, the cross-process lock). The error names the
    /// path.
    pub(crate) fn open(
        path: PathBuf,
        settings: Settings,
        name: String,
        now: SystemTime,
    ) -> io::Result<Writer> {
        let lock = if settings.rotates {
            Some(lock_sidecar(&path, settings.mode)?)
        } else {
            None
        };
        let open = open_file(&path, &settings, now, None).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("opening log file {}: {e}", path.display()),
            )
        })?;
        let compress = settings.compress;
        let writer = Writer {
            compressions: Tracker::new(&path),
            errors: ErrorReporter::new(name),
            state: Mutex::new(State {
                settings,
                file: Some(open),
                closed: false,
                torn: false,
                lock,
            }),
            path,
        };
        if compress {
            let settings = writer.state.lock().settings.clone();
            writer.recover(&settings);
        }
        Ok(writer)
    }

    /// After a crash or a shutdown that cut compression short: removes leftover `.gz.tmp`
    /// files and queues their sources (and any backup still uncompressed) again.
    fn recover(&self, settings: &Settings) {
        let Some(base) = self.path.file_name().and_then(|n| n.to_str()) else {
            return;
        };
        let Ok(entries) = fs::read_dir(parent_of(&self.path)) else {
            return;
        };
        let prefix = format!("{base}.");
        let mut pending = Vec::new();
        let mut timed = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(suffix) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
                continue;
            };
            if suffix.ends_with(".gz.tmp") {
                if let Err(e) = remove_if_present(&entry.path()) {
                    self.errors
                        .report("removing a partial compressed backup", e);
                }
            } else if suffix.starts_with(PENDING) {
                pending.push(entry.path());
            } else if settings.rotation != Rotation::Never && parse_timed_suffix(suffix).is_some() {
                timed.push(entry.path());
            }
        }
        pending.sort();
        for source in pending {
            self.submit(settings, source);
        }
        for source in timed {
            self.submit(settings, source);
        }
    }

    fn submit(&self, settings: &Settings, source: PathBuf) {
        let target = if settings.rotation == Rotation::Never {
            Target::Numbered {
                base: self.path.clone(),
                backups: settings.backups,
            }
        } else {
            Target::Beside
        };
        compress::submit(Job {
            source,
            target,
            tracker: self.compressions.clone(),
        });
    }

    /// A rotating handler joins: its settings apply from now on, and the path is locked against
    /// other processes if it was not yet.
    pub(crate) fn adopt(&self, settings: Settings) -> io::Result<()> {
        let mut state = self.state.lock();
        if state.lock.is_none() {
            state.lock = Some(lock_sidecar(&self.path, settings.mode)?);
        }
        if state.settings.rotation != settings.rotation
            && let Some(open) = state.file.as_mut()
        {
            // The file's period was counted in the old rotation's units.
            let modified = open.file.metadata().and_then(|m| m.modified()).ok();
            open.period = modified.map_or(0, |m| settings.period_of(m));
        }
        state.settings = settings;
        Ok(())
    }

    /// The last handler left: no more writes; the lock is released now, the file is returned to
    /// be finished outside the registry lock.
    pub(crate) fn shut(&self) -> Option<File> {
        let mut state = self.state.lock();
        state.closed = true;
        if let Some(lock) = state.lock.take() {
            let _ = lock.unlock();
        }
        state.file.take().map(|open| open.file)
    }

    /// Syncs the last file of a rotating writer, and says how many errors there were.
    pub(crate) fn finish(&self, file: Option<File>) {
        if let Some(file) = file
            && self.state.lock().settings.rotates
            && let Err(e) = file.sync_data()
            && e.kind() != io::ErrorKind::InvalidInput
        {
            self.errors.report("closing", e);
        }
        self.errors.summarize();
    }

    pub(crate) fn flush(&self) {
        if let Some(open) = self.state.lock().file.as_mut()
            && let Err(e) = open.file.flush()
        {
            self.errors.report("flushing", e);
        }
    }

    /// Appends one record, rotating first when it is due.
    pub(crate) fn write(&self, line: &[u8]) {
        let mut state = self.state.lock();
        let state = &mut *state;
        if state.closed {
            self.errors.report(
                "writing a record",
                io::Error::other("the handler was already closed"),
            );
            return;
        }
        if state.settings.watch
            && let Some(open) = &state.file
            && !still_at_path(&self.path, open)
        {
            state.file = None;
            state.torn = false;
        }
        let now = state.settings.clock.now();
        if state.file.is_none() {
            match open_file(&self.path, &state.settings, now, None) {
                Ok(open) => state.file = Some(open),
                Err(e) => {
                    self.errors.report("reopening the file", e);
                    return;
                }
            }
        }
        let Some(open) = state.file.as_mut() else {
            return;
        };
        let len = line.len() as u64;
        let now_period = state.settings.period_of(now);
        let time_due = now_period > open.period;
        let size_due = state
            .settings
            .max_bytes
            .is_some_and(|max| open.size > 0 && open.size + len > max);
        if open.size == 0 {
            // Nothing to move away: an empty file simply moves on to the current period.
            open.period = open.period.max(now_period);
        } else if time_due || size_due {
            self.rotate(state, now);
        }
        let Some(open) = state.file.as_mut() else {
            return;
        };
        match super::append::append_record(&mut open.file, line, &mut state.torn) {
            Ok(()) => open.size += len,
            Err(e) => {
                self.errors.report("writing a record", e);
                // Reopen on the next record: the file may be gone or the disk full.
                state.file = None;
            }
        }
    }

    /// Moves the current file away and opens a fresh one.
    #[cold]
    fn rotate(&self, state: &mut State, now: SystemTime) {
        let Some(old) = state.file.take() else {
            return;
        };
        // The fragment (if any) moves away with the old file.
        state.torn = false;
        let period = old.period;
        #[cfg(unix)]
        let old_mode = Some(old.mode);
        #[cfg(not(unix))]
        let old_mode = None;
        drop(old);
        let settings = &state.settings;
        let moved = if settings.backups == 0 {
            remove_if_present(&self.path)
        } else if settings.compress && settings.rotation == Rotation::Never {
            // The numbered `.gz` backups are shifted by the compression thread, in order.
            let stamp = secs_and_nanos(SystemTime::now());
            let pending = self.sibling(&format!("{PENDING}{stamp}"));
            fs::rename(&self.path, &pending).map(|()| self.submit(settings, pending))
        } else if settings.rotation == Rotation::Never {
            self.shift_numbered(settings)
        } else {
            self.move_timed(settings, period)
        };
        if let Err(e) = moved {
            self.errors.report("rotating", e);
        }
        if let Some(age) = settings.max_age
            && let Err(e) = self.prune_aged(age, now)
        {
            self.errors.report("deleting old backups", e);
        }
        match open_file(&self.path, settings, now, old_mode) {
            Ok(open) => state.file = Some(open),
            Err(e) => self.errors.report("opening a new file after rotating", e),
        }
    }

    fn sibling(&self, suffix: &str) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".");
        name.push(suffix);
        PathBuf::from(name)
    }

    /// `app.log.N` is deleted, `app.log.i` becomes `app.log.(i+1)`, `app.log` becomes `app.log.1`.
    fn shift_numbered(&self, settings: &Settings) -> io::Result<()> {
        let n = settings.backups;
        remove_if_present(&self.sibling(&n.to_string()))?;
        for i in (1..n).rev() {
            rename_if_present(
                &self.sibling(&i.to_string()),
                &self.sibling(&(i + 1).to_string()),
            )?;
        }
        fs::rename(&self.path, self.sibling("1"))
    }

    /// `app.log` becomes `app.log.<period>`, or `app.log.<period>.k` with `k` one past the
    /// highest index that period already has (so the newest backup always sorts last, even
    /// after pruning removed the period's first ones); then the oldest backups beyond the count go.
    fn move_timed(&self, settings: &Settings, period: u64) -> io::Result<()> {
        let label = &settings.label_of(period);
        let highest = self
            .timed_backups()?
            .into_iter()
            .filter(|(l, _, _)| l == label)
            .map(|(_, k, _)| k)
            .max();
        let target = match highest {
            None => self.sibling(label),
            Some(k) => self.sibling(&format!("{label}.{}", k + 1)),
        };
        fs::rename(&self.path, &target)?;
        if settings.compress {
            self.submit(settings, target);
        }
        self.prune_timed(settings)
    }

    /// The time-labelled backups beside the file: (label, index, path); a bare label is index 0.
    fn timed_backups(&self) -> io::Result<Vec<(String, u32, PathBuf)>> {
        let mut backups = Vec::new();
        let Some(base) = self.path.file_name().and_then(|n| n.to_str()) else {
            return Ok(backups);
        };
        let dir = parent_of(&self.path);
        let prefix = format!("{base}.");
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(suffix) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
                continue;
            };
            // A compressed backup counts as the backup it was.
            let suffix = suffix.strip_suffix(".gz").unwrap_or(suffix);
            if let Some((label, k)) = parse_timed_suffix(suffix) {
                backups.push((label.to_owned(), k, entry.path()));
            }
        }
        Ok(backups)
    }

    /// Deletes backups (numbered, time-labelled, compressed or not) last modified more than
    /// `age` before `now`. Sources waiting for compression are kept: they are not backups yet.
    fn prune_aged(&self, age: Duration, now: SystemTime) -> io::Result<()> {
        let Some(base) = self.path.file_name().and_then(|n| n.to_str()) else {
            return Ok(());
        };
        let Some(cutoff) = now.checked_sub(age) else {
            return Ok(());
        };
        let prefix = format!("{base}.");
        for entry in fs::read_dir(parent_of(&self.path))? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(suffix) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
                continue;
            };
            let suffix = suffix.strip_suffix(".gz").unwrap_or(suffix);
            let backup = (!suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()))
                || parse_timed_suffix(suffix).is_some();
            if backup
                && let Ok(modified) = entry.metadata().and_then(|m| m.modified())
                && modified < cutoff
            {
                remove_if_present(&entry.path())?;
            }
        }
        Ok(())
    }

    /// Deletes the oldest time-labelled backups beyond the configured count: earliest period
    /// first, and within a period the lowest index.
    fn prune_timed(&self, settings: &Settings) -> io::Result<()> {
        let mut backups = self.timed_backups()?;
        if backups.len() <= settings.backups {
            return Ok(());
        }
        backups.sort();
        let excess = backups.len() - settings.backups;
        for (_, _, path) in backups.into_iter().take(excess) {
            remove_if_present(&path)?;
        }
        Ok(())
    }
}

/// Opens (or creates) the file at `path` for appending; a created file gets the settings' mode,
/// else `inherit` (the mode of the file it replaces).
fn open_file(
    path: &Path,
    settings: &Settings,
    now: SystemTime,
    inherit: Option<u32>,
) -> io::Result<OpenFile> {
    let file = open_append(path, settings.mode.or(inherit))?;
    let meta = file.metadata()?;
    let now_period = settings.period_of(now);
    let period = if meta.len() > 0 {
        // An old file belongs to the period it was last written in; one "from the future"
        // (clock skew, an injected clock) to the current one.
        meta.modified()
            .map(|m| settings.period_of(m).min(now_period))
            .unwrap_or(now_period)
    } else {
        now_period
    };
    #[cfg(unix)]
    use std::os::unix::fs::MetadataExt;
    Ok(OpenFile {
        size: meta.len(),
        period,
        #[cfg(unix)]
        id: (meta.dev(), meta.ino()),
        #[cfg(unix)]
        mode: meta.mode() & 0o7777,
        file,
    })
}

/// Whether the path still names the open file.
fn still_at_path(path: &Path, open: &OpenFile) -> bool {
    match fs::metadata(path) {
        #[cfg(unix)]
        Ok(meta) => {
            use std::os::unix::fs::MetadataExt;
            (meta.dev(), meta.ino()) == open.id
        }
        #[cfg(not(unix))]
        Ok(_) => {
            let _ = open;
            true
        }
        Err(_) => false,
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
            clock: Arc::new(SystemClock),
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

    /// How many I/O errors the path's writer met (each is counted; only the first is printed).
    /// Handlers sharing the path share the count.
    pub fn error_count(&self) -> u64 {
        self.lease.writer().errors.count()
    }
}

impl Handler for RotatingFileHandler {
    fn handle(&self, record: &Record<'_>) {
        with_formatted(&*self.format, record, |line| {
            if self.lease.is_released() {
                self.lease.writer().errors.report(
                    "writing a record",
                    io::Error::other("the handler was already closed"),
                );
                return;
            }
            self.lease.writer().write(line);
        });
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

/// Size-rotated sources waiting for compression: `app.log.pending-<seconds>.<nanos>`.
const PENDING: &str = "pending-";

/// A name part that sorts in time order: 20 digits of seconds, 9 of nanoseconds.
fn secs_and_nanos(time: SystemTime) -> String {
    let d = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    format!("{:020}.{:09}", d.as_secs(), d.subsec_nanos())
}

fn secs_since_epoch(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn rename_if_present(from: &Path, to: &Path) -> io::Result<()> {
    match fs::rename(from, to) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// `2026-11-24`, `2026-11-24T19`, optionally followed by `.k`: the label and k (0 when absent).
fn parse_timed_suffix(suffix: &str) -> Option<(&str, u32)> {
    let (label, k) = match suffix.split_once('.') {
        Some((label, k)) => (label, k.parse().ok()?),
        None => (suffix, 0),
    };
    let b = label.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let date = b.len() >= 10 && digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-';
    let ok = date
        && digits(8..10)
        && match b.len() {
            10 => true,
            13 => b[10] == b'T' && digits(11..13),
            _ => false,
        };
    ok.then_some((label, k))
}

#[cfg(test)]
mod tests {
    use super::parse_timed_suffix;

    #[test]
    fn timed_suffixes() {
        assert_eq!(parse_timed_suffix("2026-11-24"), Some(("2026-11-24", 0)));
        assert_eq!(
            parse_timed_suffix("2026-11-24T19.2"),
            Some(("2026-11-24T19", 2))
        );
        assert_eq!(parse_timed_suffix("1"), None);
        assert_eq!(parse_timed_suffix("2026-11-24.x"), None);
        assert_eq!(parse_timed_suffix("2026-11-24T1"), None);
        assert_eq!(parse_timed_suffix("gz"), None);
    }
}
