//! The one [`Writer`] of a log file path in this process: it appends each record in one write,
//! rotates the file when the rule says so, watches the path and reports I/O errors once.
//!
//! It never calls user code but the clock, and never returns an I/O error to a caller that logs.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;

use super::append::append_record;
use super::compress::{self, BACKLOG, Job, Tracker};
use super::open::{lock_sidecar, open_append, remove_if_present, rename_if_present};
use super::retain::{self, siblings};
use super::rule::{
    PENDING, Rotation, RotationClock, WallClock, parse_timed_suffix, secs_and_nanos,
};
use crate::handler::report::ErrorReporter;

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
    /// A plain appended file: no rotation, no lock. On Unix it follows an outside rotation with
    /// the rotating handler's check (one `stat` per record); elsewhere that check has no inode
    /// to compare and would only notice a deletion.
    pub(crate) fn plain(mode: Option<u32>) -> Settings {
        Settings {
            max_bytes: None,
            backups: 0,
            rotation: Rotation::Never,
            watch: cfg!(unix),
            rotates: false,
            mode,
            compress: false,
            zone: None,
            max_age: None,
            clock: Arc::new(WallClock),
        }
    }

    fn period_of(&self, time: SystemTime) -> u64 {
        self.rotation.period_of(self.zone.as_ref(), time)
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
/// [`Lease`](super::lease::Lease)): it appends, rotates and reports errors once for all of them.
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
    /// files, keeps the newest rotated files (waiting sources count) and queues the sources
    /// still uncompressed again.
    fn recover(&self, settings: &Settings) {
        let timed = settings.rotation != Rotation::Never;
        let mut pending = Vec::new();
        {
            let busy = BACKLOG.lock();
            // The one being compressed (a closed writer's, on this very path) is left alone.
            let in_flight = busy
                .as_deref()
                .map(|source| compress::with_suffix(source, ".gz.tmp"));
            let found = match siblings(&self.path) {
                Ok(found) => found,
                Err(e) => return self.errors.report("looking for backups to compress", e),
            };
            for (suffix, path) in &found {
                if suffix.ends_with(".gz.tmp")
                    && Some(path) != in_flight.as_ref()
                    && let Err(e) = remove_if_present(path)
                {
                    self.errors
                        .report("removing a partial compressed backup", e);
                }
            }
            if let Err(e) = retain::keep_newest(
                &self.path,
                settings.backups,
                false,
                timed,
                busy.as_deref(),
                &self.compressions.errors,
            ) {
                self.errors.report("deleting old backups", e);
            }
            for (suffix, path) in found {
                let waiting = suffix.starts_with(PENDING) && !suffix.ends_with(".tmp")
                    || timed && parse_timed_suffix(&suffix).is_some();
                if waiting && Some(path.as_path()) != busy.as_deref() && path.exists() {
                    pending.push(path);
                }
            }
        }
        // Oldest first, as they were rotated: size-rotated names hold the time, zero-padded.
        pending.sort();
        for source in pending {
            self.submit(settings, source);
        }
    }

    fn submit(&self, settings: &Settings, source: PathBuf) {
        compress::submit(Job {
            source,
            base: self.path.clone(),
            backups: settings.backups,
            timed: settings.rotation != Rotation::Never,
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
        match append_record(&mut open.file, line, &mut state.torn) {
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
        } else if settings.compress {
            self.move_to_compress(settings, period, now)
        } else if settings.rotation == Rotation::Never {
            self.shift_numbered(settings)
        } else {
            self.move_timed(settings, period)
        };
        if let Err(e) = moved {
            self.errors.report("rotating", e);
        }
        if !settings.compress
            && let Some(age) = settings.max_age
            && let Err(e) = retain::prune_aged(&self.path, age, now, false, None, &self.errors)
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

    /// The file moves away to wait for compression: to `app.log.pending-<time>` (the compression
    /// thread shifts the numbered `.gz` backups, in order) or to its time label. Room is made
    /// first, so that with it the path never has more than `backups` rotated files besides the
    /// one being compressed, however far behind compression is.
    fn move_to_compress(
        &self,
        settings: &Settings,
        period: u64,
        now: SystemTime,
    ) -> io::Result<()> {
        let timed = settings.rotation != Rotation::Never;
        let target = {
            let busy = BACKLOG.lock();
            let errors = &self.compressions.errors;
            let (path, backups) = (&self.path, settings.backups);
            if let Err(e) = retain::keep_newest(path, backups, true, timed, busy.as_deref(), errors)
            {
                self.errors.report("deleting old backups", e);
            }
            if let Some(age) = settings.max_age
                && let Err(e) =
                    retain::prune_aged(&self.path, age, now, true, busy.as_deref(), errors)
            {
                self.errors.report("deleting old backups", e);
            }
            let target = if timed {
                self.timed_target(settings, period)?
            } else {
                let stamp = secs_and_nanos(SystemTime::now());
                self.sibling(&format!("{PENDING}{stamp}"))
            };
            fs::rename(&self.path, &target)?;
            target
        };
        self.submit(settings, target);
        Ok(())
    }

    /// `app.log.<period>`, or `app.log.<period>.k` with `k` one past the highest index that
    /// period already has (so the newest backup always sorts last, even after pruning removed
    /// the period's first ones).
    fn timed_target(&self, settings: &Settings, period: u64) -> io::Result<PathBuf> {
        let label = &settings.rotation.label_of(period);
        let highest = self
            .timed_backups()?
            .into_iter()
            .filter(|(l, _, _)| l == label)
            .map(|(_, k, _)| k)
            .max();
        Ok(match highest {
            None => self.sibling(label),
            Some(k) => self.sibling(&format!("{label}.{}", k + 1)),
        })
    }

    /// `app.log` becomes its [`timed_target`](Self::timed_target); then the oldest backups
    /// beyond the count go.
    fn move_timed(&self, settings: &Settings, period: u64) -> io::Result<()> {
        fs::rename(&self.path, self.timed_target(settings, period)?)?;
        self.prune_timed(settings)
    }

    /// The time-labelled backups beside the file: (label, index, path); a bare label is index 0.
    fn timed_backups(&self) -> io::Result<Vec<(String, u32, PathBuf)>> {
        let mut backups = Vec::new();
        for (suffix, path) in siblings(&self.path)? {
            // A compressed backup counts as the backup it was.
            let suffix = suffix.strip_suffix(".gz").unwrap_or(&suffix);
            if let Some((label, k)) = parse_timed_suffix(suffix) {
                backups.push((label.to_owned(), k, path));
            }
        }
        Ok(backups)
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
