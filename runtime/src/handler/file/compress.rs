//! Gzip compression of rotated backups, on one background thread shared by the whole process:
//! never on a caller's thread.
//!
//! The crash rule: a backup is compressed into `<name>.gz.tmp`, which is synced and only then
//! renamed to its `.gz` name; the uncompressed source is removed last. A process killed at any
//! point therefore leaves every record in the source or in a complete `.gz` (in the window
//! between the rename and the removal, in both), and never a source removed before its copy is
//! whole. A writer opened with compression removes leftover `.gz.tmp` files and queues their
//! sources again (see `Writer::recover`).
//!
//! Compression never lets a backlog fill the disk: sources waiting for it count as backups
//! (`retain.rs`), so when it falls behind the rotations the oldest are deleted (and reported)
//! as backups beyond the count would be.

use std::collections::VecDeque;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use super::open::{remove_if_present, rename_if_present};
use super::retain;
use crate::handler::report::ErrorReporter;

/// One rotated file to compress, and where its copy goes.
pub(crate) struct Job {
    pub(crate) source: PathBuf,
    /// The live file's path, whose rotated files the job's are.
    pub(crate) base: PathBuf,
    /// How many rotated files the path keeps (see `retain.rs`).
    pub(crate) backups: usize,
    /// Time rotation: the copy goes beside the source, `<source>.gz` (a labelled backup's name
    /// never moves). Size rotation: `<base>.i.gz` move up one, then the copy becomes
    /// `<base>.1.gz`; jobs of one path run in order, so shifts never race each other.
    pub(crate) timed: bool,
    pub(crate) tracker: Arc<Tracker>,
}

/// The source being compressed right now, if any (one thread compresses, so at most one in the
/// process). Its lock is the backlog's: writers hold it while they rotate and prune, the
/// compression thread while it claims a source and places its copy, so that a count of the
/// rotated files on disk never sees a file mid-move and never deletes the one in compression.
pub(crate) static BACKLOG: Mutex<Option<PathBuf>> = Mutex::new(None);

/// A writer's outstanding compressions: what its `close_by` waits on, and where errors go.
pub(crate) struct Tracker {
    outstanding: Mutex<usize>,
    idle: Condvar,
    pub(crate) errors: ErrorReporter,
    /// Tests hold it to stop this path's compression mid-file (the `.gz.tmp` created), so
    /// that rotations pile up behind it as behind a slow compressor.
    #[cfg(test)]
    pub(crate) gate: Mutex<()>,
}

impl Tracker {
    pub(crate) fn new(path: &Path) -> Arc<Tracker> {
        Arc::new(Tracker {
            outstanding: Mutex::new(0),
            idle: Condvar::new(),
            errors: ErrorReporter::new(format!("gzip compression of {}", path.display())),
            #[cfg(test)]
            gate: Mutex::new(()),
        })
    }

    /// Waits until this writer's compressions are done, or `deadline`. `false` when some are
    /// still queued or running: their sources stay uncompressed (no record is lost) and the next
    /// writer opened on the path queues them again.
    pub(crate) fn wait_until(&self, deadline: Option<Instant>) -> bool {
        let mut n = self.outstanding.lock();
        while *n > 0 {
            match deadline {
                Some(d) => {
                    if self.idle.wait_until(&mut n, d).timed_out() {
                        return *n == 0;
                    }
                }
                None => self.idle.wait(&mut n),
            }
        }
        true
    }
}

struct Queue {
    jobs: Mutex<VecDeque<Job>>,
    ready: Condvar,
}

/// The compression thread's nice value (Linux).
#[cfg(target_os = "linux")]
const WORKER_NICE: i32 = 10;

static QUEUE: OnceLock<Arc<Queue>> = OnceLock::new();

/// Hands `job` to the compression thread (started on first use). Never blocks on compression.
pub(crate) fn submit(job: Job) {
    *job.tracker.outstanding.lock() += 1;
    let queue = QUEUE.get_or_init(|| {
        let queue = Arc::new(Queue {
            jobs: Mutex::new(VecDeque::new()),
            ready: Condvar::new(),
        });
        let worker = queue.clone();
        let spawned = std::thread::Builder::new()
            .name("scoped-logger-gzip".into())
            .spawn(move || run(&worker));
        if let Err(e) = spawned {
            crate::handler::last_resort::warn(format_args!(
                "cannot start the gzip compression thread: {e}; rotated backups stay \
                 uncompressed"
            ));
        }
        queue
    });
    queue.jobs.lock().push_back(job);
    queue.ready.notify_one();
}

fn run(queue: &Queue) {
    // Compression is background work: under CPU contention, the threads that log come first.
    // (On Linux a nice value is per thread; elsewhere it would be the whole process's.)
    #[cfg(target_os = "linux")]
    let _ = rustix::process::setpriority_process(None, WORKER_NICE);
    loop {
        let job = {
            let mut jobs = queue.jobs.lock();
            loop {
                if let Some(job) = jobs.pop_front() {
                    break job;
                }
                queue.ready.wait(&mut jobs);
            }
        };
        if let Err(e) = compress(&job) {
            job.tracker
                .errors
                .report(&format!("compressing {}", job.source.display()), e);
        }
        let mut n = job.tracker.outstanding.lock();
        *n -= 1;
        if *n == 0 {
            job.tracker.idle.notify_all();
        }
    }
}

/// `<path>` + `suffix`.
pub(crate) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Clears [`BACKLOG`] when the compression it claimed ends, however it ends.
struct Claim;

impl Drop for Claim {
    fn drop(&mut self) {
        *BACKLOG.lock() = None;
    }
}

fn compress(job: &Job) -> io::Result<()> {
    let (source, claim) = {
        let mut busy = BACKLOG.lock();
        match File::open(&job.source) {
            Ok(f) => {
                *busy = Some(job.source.clone());
                (f, Claim)
            }
            // Already done (queued twice by a recovery), or pruned while it waited.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        }
    };
    let tmp = with_suffix(&job.source, ".gz.tmp");
    let _ = fs::remove_file(&tmp);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    let out = options.open(&tmp)?;
    #[cfg(test)]
    drop(job.tracker.gate.lock());
    #[cfg(unix)]
    out.set_permissions(source.metadata()?.permissions())?;
    let mut gz = flate2::write::GzEncoder::new(BufWriter::new(out), flate2::Compression::fast());
    io::copy(&mut BufReader::new(source), &mut gz)?;
    let out = gz.finish()?.into_inner().map_err(|e| e.into_error())?;
    out.sync_all()?;
    drop(out);
    let placed = {
        let _busy = BACKLOG.lock();
        // The source now counts among the path's rotated files, where its age puts it, so that
        // its copy never takes them past the count: when newer ones fill it, it is the one to
        // go, and the copy with it.
        retain::keep_newest(
            &job.base,
            job.backups,
            false,
            job.timed,
            None,
            &job.tracker.errors,
        )?;
        if job.source.exists() {
            place(job, &tmp)?
        } else {
            fs::remove_file(&tmp)?;
            None
        }
    };
    if let Some(target) = placed {
        sync_folder(&target);
    }
    // Only now, with the copy complete under its final name, does the source go (pruning may
    // have removed it already).
    remove_if_present(&job.source)?;
    drop(claim);
    Ok(())
}

/// Renames the finished `tmp` to its backup name (after shifting the numbered ones), which it
/// returns; with no backups kept, removes it instead.
fn place(job: &Job, tmp: &Path) -> io::Result<Option<PathBuf>> {
    if job.timed {
        let target = with_suffix(&job.source, ".gz");
        fs::rename(tmp, &target)?;
        return Ok(Some(target));
    }
    if job.backups == 0 {
        fs::remove_file(tmp)?;
        return Ok(None);
    }
    let numbered = |i: usize| with_suffix(&job.base, &format!(".{i}.gz"));
    remove_if_present(&numbered(job.backups))?;
    for i in (1..job.backups).rev() {
        rename_if_present(&numbered(i), &numbered(i + 1))?;
    }
    fs::rename(tmp, numbered(1))?;
    Ok(Some(numbered(1)))
}

/// Makes the rename durable before the source is removed (best effort: not every platform can
/// sync a folder).
fn sync_folder(path: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = File::open(super::open::parent_of(path)) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = path;
}
