//! Watching a configuration file: [`watch`] applies it, then looks at it every interval and
//! applies it again when it changed, until the [`ConfigWatch`] it returns is dropped.
//!
//! Polling, not file-system events: it needs no dependency, works on every platform and file
//! system (network mounts included), and sees a file replaced by a rename or through a symbolic
//! link swapped to another target (Kubernetes' ConfigMap volumes), which event APIs watching
//! one inode miss. Each look is one `stat`; the file is read only when its identity (device
//! and inode on Unix), size or modification time changed, or when that time is too recent to be
//! trusted (a second write within the file system's timestamp granularity leaves it unchanged:
//! such a file is read again until its time is a few seconds old, as git does with its index).
//! It is applied only when its text changed.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use parking_lot::{Condvar, Mutex};

use super::apply::{Applied, apply_global};
use super::error::ConfigFileError;
use super::{Config, file_error, read_error};
use crate::handler::last_resort::OWN_LOGGER;
use crate::level::Level;
use crate::tree::Registry;

/// The shortest interval: a smaller one is taken as this.
const MIN_INTERVAL: Duration = Duration::from_millis(10);

/// How long after its modification time a file's metadata is not trusted to show a second
/// write: the coarsest common timestamp granularity (FAT's 2 s), with a margin.
const RACY: Duration = Duration::from_secs(3);

/// Applies the configuration file at `path` to the global registry now, then watches it: every
/// `interval` (10 ms at least) it looks at the file and, when its text changed, applies it
/// again as [`init_from_file`](super::init_from_file) does, keeping the handlers whose settings
/// did not change and swapping the others without losing a record.
///
/// A file that cannot be read or applied (a syntax error, an unknown handler, a missing file
/// during an editor's save) changes nothing: the configuration applied last stays, and the
/// error is logged once, at ERROR to the logger `scoped_logger` (and so to the handlers that
/// configuration attached, or the last-resort handler on stderr), not again until the file
/// changes. A change applied is logged at INFO to the same logger.
///
/// The first application's error is returned, and then nothing is watched: a program decides
/// at start what a bad file means. Dropping the returned guard (or [`ConfigWatch::stop`]) stops
/// the watching thread; what was applied stays applied. `watch` shares its previous
/// configuration with `init_from_file`, so a program can also reload on a signal.
///
/// log4rs (`refresh_rate`) also polls, but keeps its thread for the whole process and reports
/// a missing file at every poll; flexi_logger watches its spec file with file-system events.
///
/// ```no_run
/// use std::time::Duration;
/// let _guard = scoped_logger::init()?;
/// let _watch = scoped_logger::config::watch("logging.toml", Duration::from_secs(2))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn watch(path: impl AsRef<Path>, interval: Duration) -> Result<ConfigWatch, ConfigFileError> {
    ConfigWatch::start(Target::Global, path.as_ref(), interval)
}

/// [`watch`] for a registry of its own: the file is applied to `registry`, and the previous
/// configuration kept by the returned guard (not shared with
/// [`init_from_file`](super::init_from_file)).
///
/// ```
/// use scoped_logger::{LevelFilter, Registry};
/// use std::time::Duration;
/// let file = std::env::temp_dir().join(format!("watch-doc-{}.toml", std::process::id()));
/// std::fs::write(&file, "[loggers.jobs]\nlevel = \"info\"\n")?;
/// let reg = Registry::new();
/// let watch = scoped_logger::config::watch_registry(&reg, &file, Duration::from_secs(3600))?;
/// assert_eq!(reg.logger("jobs").level(), Some(LevelFilter::Info));
///
/// std::fs::write(&file, "[loggers.jobs]\nlevel = \"debug\"\n")?;
/// assert_eq!(watch.check_now(), Ok(true)); // what the thread does every interval, now
/// assert_eq!(reg.logger("jobs").level(), Some(LevelFilter::Debug));
///
/// std::fs::write(&file, "[loggers.jobs]\nlevel = \"loud\"\n")?;
/// assert!(watch.check_now().is_err()); // logged once, and the last good one stays
/// assert_eq!(reg.logger("jobs").level(), Some(LevelFilter::Debug));
/// # std::fs::remove_file(&file)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn watch_registry(
    registry: &Registry,
    path: impl AsRef<Path>,
    interval: Duration,
) -> Result<ConfigWatch, ConfigFileError> {
    ConfigWatch::start(
        Target::Own {
            registry: registry.clone(),
            applied: None,
        },
        path.as_ref(),
        interval,
    )
}

/// Watches a configuration file; returned by [`watch`] and [`watch_registry`]. Dropping it
/// stops the watching thread (waiting for a look in progress to end); what was applied stays.
#[must_use = "dropping the watch stops it at once: bind it with `let _watch = ...`"]
pub struct ConfigWatch {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ConfigWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigWatch")
            .field("path", &self.shared.path)
            .field("reloads", &self.reloads())
            .field("last_error", &self.last_error())
            .finish_non_exhaustive()
    }
}

struct Shared {
    path: PathBuf,
    state: Mutex<State>,
    /// Set when the guard goes; `wake` tells the thread at once.
    stopped: Mutex<bool>,
    wake: Condvar,
}

/// Where the file is applied.
enum Target {
    /// The global registry, through the previous configuration `init_from_file` shares.
    Global,
    /// A registry of the caller's, and what the file last applied to it.
    Own {
        registry: Registry,
        applied: Option<Applied>,
    },
}

struct State {
    target: Target,
    /// The file as last looked at; `None` before the first look.
    seen: Option<Seen>,
    /// Why the file now in place is not applied (`None` when it is).
    error: Option<ConfigFileError>,
    reloads: u64,
}

struct Seen {
    /// `None` when the file could not be looked at.
    stamp: Option<Stamp>,
    /// When the file was last read.
    read_at: SystemTime,
    /// What it held then (or why it could not be read).
    text: Result<String, String>,
}

/// What changes when a file is written or replaced.
#[derive(PartialEq, Eq)]
struct Stamp {
    identity: (u64, u64),
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let identity = {
            use std::os::unix::fs::MetadataExt as _;
            (meta.dev(), meta.ino())
        };
        #[cfg(not(unix))]
        let identity = (0, 0);
        Some(Stamp {
            identity,
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }
}

impl ConfigWatch {
    fn start(target: Target, path: &Path, interval: Duration) -> Result<Self, ConfigFileError> {
        let shared = Arc::new(Shared {
            path: path.to_owned(),
            state: Mutex::new(State {
                target,
                seen: None,
                error: None,
                reloads: 0,
            }),
            stopped: Mutex::new(false),
            wake: Condvar::new(),
        });
        // The first look applies the file or says why not; then nothing is started.
        shared.check(false)?;
        let interval = interval.max(MIN_INTERVAL);
        let thread = std::thread::Builder::new()
            .name("scoped-logger-config-watch".into())
            .spawn({
                let shared = shared.clone();
                move || shared.run(interval)
            })
            .map_err(|e| {
                file_error(
                    path,
                    format!("cannot start the thread that watches it: {e}"),
                )
            })?;
        Ok(ConfigWatch {
            shared,
            thread: Some(thread),
        })
    }

    /// The file watched.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// How many times the file was applied again since [`watch`] returned.
    pub fn reloads(&self) -> u64 {
        self.shared.state.lock().reloads
    }

    /// Why the file now in place is not applied (its read or configuration error), or `None`
    /// when the configuration in force is the file's.
    pub fn last_error(&self) -> Option<ConfigFileError> {
        self.shared.state.lock().error.clone()
    }

    /// Looks at the file now, on this thread, as the watching thread does every interval (say
    /// on SIGHUP, or in a test): `Ok(true)` when it changed and was applied, `Ok(false)` when
    /// it did not change, and the file's error when it cannot be applied (logged only the first
    /// time it is seen, as the thread does).
    pub fn check_now(&self) -> Result<bool, ConfigFileError> {
        self.shared.check(true)
    }

    /// Stops watching; what was applied stays. The same as dropping the guard.
    pub fn stop(self) {}
}

impl Drop for ConfigWatch {
    fn drop(&mut self) {
        *self.shared.stopped.lock() = true;
        self.shared.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Shared {
    fn run(&self, interval: Duration) {
        let mut stopped = self.stopped.lock();
        loop {
            let next = Instant::now() + interval;
            while !*stopped && Instant::now() < next {
                self.wake.wait_until(&mut stopped, next);
            }
            if *stopped {
                return;
            }
            drop(stopped);
            let _ = self.check(true);
            stopped = self.stopped.lock();
        }
    }

    /// Looks at the file and applies it if its text changed; `report` logs the outcome of an
    /// application (the first one's is returned to the caller instead).
    fn check(&self, report: bool) -> Result<bool, ConfigFileError> {
        let mut state = self.state.lock();
        let stamp = Stamp::of(&self.path);
        let now = SystemTime::now();
        if let Some(seen) = &mut state.seen {
            let trusted = stamp
                .as_ref()
                .and_then(|s| s.modified)
                .is_some_and(|m| seen.read_at.duration_since(m).is_ok_and(|age| age >= RACY));
            if stamp.is_some() && seen.stamp == stamp && trusted {
                return state.error.clone().map_or(Ok(false), Err);
            }
        }
        let text = std::fs::read_to_string(&self.path).map_err(|e| e.to_string());
        let unchanged = state.seen.as_ref().is_some_and(|seen| seen.text == text);
        state.seen = Some(Seen {
            stamp,
            read_at: now,
            text,
        });
        if unchanged {
            return state.error.clone().map_or(Ok(false), Err);
        }
        let seen = state.seen.as_ref().expect("just set");
        let outcome = match &seen.text {
            Ok(text) => Config::parse(text, Some(&self.path)),
            Err(e) => Err(read_error(&self.path, e)),
        }
        .and_then(|config| state.apply(&config));
        let registry = state.registry();
        match outcome {
            Ok(()) => {
                state.error = None;
                if report {
                    state.reloads += 1;
                    registry.logger(OWN_LOGGER).log(
                        Level::Info,
                        format_args!(
                            "applied the changed configuration file {}",
                            self.path.display()
                        ),
                    );
                }
                Ok(true)
            }
            Err(e) => {
                state.error = Some(e.clone());
                if report {
                    registry.logger(OWN_LOGGER).log(
                        Level::Error,
                        format_args!("{e}; the configuration applied before stays in force"),
                    );
                }
                Err(e)
            }
        }
    }
}

impl State {
    fn registry(&self) -> Registry {
        match &self.target {
            Target::Global => Registry::global().clone(),
            Target::Own { registry, .. } => registry.clone(),
        }
    }

    fn apply(&mut self, config: &Config) -> Result<(), ConfigFileError> {
        match &mut self.target {
            Target::Global => apply_global(config),
            Target::Own { registry, applied } => {
                let next = match applied.take() {
                    Some(previous) => previous.replace(config).map_err(|(previous, e)| {
                        *applied = Some(previous);
                        e
                    })?,
                    None => config.apply(registry)?,
                };
                *applied = Some(next);
                Ok(())
            }
        }
    }
}
