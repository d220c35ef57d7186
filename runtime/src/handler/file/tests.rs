//! Compression that falls behind: with the compression thread held mid-file (the path's test
//! gate), rotations pile up as behind a slow compressor, and the path must still never hold more
//! than `backups` rotated files besides the live one and the one being compressed, report every
//! source deleted uncompressed, and keep the newest records.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::RotatingFileHandler;
use crate::handler::handler_trait::Handler;
use crate::level::Level;
use crate::record::Record;

#[path = "../../../../tests/support/backups.rs"]
mod backups;
use backups::{LIVE_AND_THREE_GZ, kept_records, names, wait_for};

const BACKUPS: usize = 3;

fn log(h: &impl Handler, i: u64) {
    let line = format!("record {i:08} {}", "x".repeat(100));
    h.handle(&Record::builder(Level::Info, "app", format_args!("{line}")).build());
}

/// Rotated files on disk: compressed backups and sources, waiting or being compressed (not the
/// `.gz.tmp`, the live file nor the lock).
fn rotated(dir: &Path) -> Vec<String> {
    names(dir)
        .into_iter()
        .filter(|n| n.ends_with(".gz") || n.contains(".pending-") && !n.ends_with(".tmp"))
        .collect()
}

/// Logs until the first rotation, then waits for its compression to start (and stop at the
/// gate the caller holds); returns the number of the next record.
fn first_rotation_held(h: &RotatingFileHandler, dir: &Path) -> u64 {
    let mut i = 0;
    while rotated(dir).is_empty() {
        log(h, i);
        i += 1;
    }
    compression_started(dir);
    i
}

fn compression_started(dir: &Path) {
    wait_for("the first compression to start", || {
        names(dir).iter().any(|n| n.ends_with(".gz.tmp"))
    });
}

fn open(path: &Path) -> RotatingFileHandler {
    RotatingFileHandler::builder(path)
        .max_bytes(1_000)
        .backups(BACKUPS)
        .compress(true)
        .open()
        .unwrap()
}

#[test]
fn a_stalled_compressor_never_lets_rotated_files_pile_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let h = open(&path);
    let held = h.compressions().gate.lock();
    let mut i = first_rotation_held(&h, dir.path());
    let in_compression = rotated(dir.path()).remove(0);
    let mut seen = BTreeSet::new();
    for _ in 0..300 {
        log(&h, i);
        i += 1;
        let now = rotated(dir.path());
        assert!(
            now.len() <= BACKUPS + 1,
            "more than {BACKUPS} rotated files besides the one being compressed: {now:?}"
        );
        assert!(now.contains(&in_compression), "{now:?}");
        seen.extend(now);
    }
    // Every rotation was seen (a source waits at least until the next one), so each source
    // deleted uncompressed is known: all but the one held and the newest three.
    let deleted = seen.len() - 1 - BACKUPS;
    assert!(deleted > 30, "the test rotated often enough: {deleted}");
    assert_eq!(
        h.error_count(),
        deleted as u64,
        "one report per deleted source"
    );
    let err = h.take_error().expect("the deletions were reported");
    assert!(
        err.to_string().contains("before it was compressed"),
        "{err}"
    );

    drop(held);
    assert!(h.close_by(Instant::now() + Duration::from_secs(60)));
    assert_eq!(names(dir.path()), LIVE_AND_THREE_GZ);
    // The newest records are the ones kept, with no gap up to the last one.
    let kept = kept_records(&path, BACKUPS);
    assert_eq!(kept, (kept[0]..i).collect::<Vec<_>>());
    // The source that was held, older than the three that waited, goes too, its copy unused.
    assert_eq!(
        h.error_count(),
        deleted as u64 + 1,
        "every deletion reported"
    );
}

#[test]
fn two_threads_logging_flat_out_behind_a_stalled_compressor_stay_within_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let h = Arc::new(open(&path));
    let held = h.compressions().gate.lock();
    let writers: Vec<_> = (0..2u64)
        .map(|t| {
            let h = h.clone();
            std::thread::spawn(move || {
                for i in 0..5_000 {
                    log(&*h, t * 1_000_000 + i);
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let now = rotated(dir.path());
    assert!(now.len() <= BACKUPS + 1, "{now:?}");
    assert!(
        h.error_count() > 100,
        "{} deletions reported",
        h.error_count()
    );
    drop(held);
    assert!(h.close_by(Instant::now() + Duration::from_secs(60)));
    assert_eq!(rotated(dir.path()).len(), BACKUPS);
    // The kept files are the newest: the records of each thread in them (none when it finished
    // before they began) run without a gap up to its last one.
    let kept = kept_records(&path, BACKUPS);
    assert!(!kept.is_empty());
    for t in 0..2u64 {
        let mine: Vec<u64> = kept
            .iter()
            .copied()
            .filter(|n| n / 1_000_000 == t)
            .collect();
        if let Some(&first) = mine.first() {
            assert_eq!(mine, (first..t * 1_000_000 + 5_000).collect::<Vec<_>>());
        }
    }
}

#[test]
fn waiting_sources_older_than_max_age_go_but_not_the_one_being_compressed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let h = RotatingFileHandler::builder(&path)
        .max_bytes(1_000)
        .backups(100)
        .max_age(Duration::from_secs(86_400))
        .compress(true)
        .open()
        .unwrap();
    let held = h.compressions().gate.lock();
    let mut i = first_rotation_held(&h, dir.path());
    let in_compression = dir.path().join(rotated(dir.path()).remove(0));
    // A source left waiting by a crashed process two days ago, and the one being compressed
    // made to look as old.
    let two_days_ago = SystemTime::now() - Duration::from_secs(2 * 86_400);
    let stale = dir
        .path()
        .join("app.log.pending-00000000001795514400.000000000");
    fs::write(
        &stale,
        "2026-11-24T10:00:00.000Z INFO app: record 99999999 x\n",
    )
    .unwrap();
    for p in [&stale, &in_compression] {
        fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(two_days_ago)
            .unwrap();
    }
    let before = rotated(dir.path()).len();
    while rotated(dir.path()).len() == before {
        log(&h, i);
        i += 1;
    }
    assert!(!stale.exists(), "{:?}", names(dir.path()));
    assert!(in_compression.exists(), "{:?}", names(dir.path()));
    assert_eq!(
        h.error_count(),
        1,
        "the stale source's deletion is reported"
    );
    drop(held);
    assert!(h.close_by(Instant::now() + Duration::from_secs(60)));
}

#[test]
fn time_rotation_behind_a_stalled_compressor_keeps_the_newest_days() {
    use super::Rotation;
    use std::sync::atomic::{AtomicU64, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    // 2026-11-24T10:00:00Z, moved on a day before each record.
    let secs = Arc::new(AtomicU64::new(1_795_514_400));
    let clock = {
        let secs = secs.clone();
        move || SystemTime::UNIX_EPOCH + Duration::from_secs(secs.load(Ordering::SeqCst))
    };
    let h = RotatingFileHandler::builder(&path)
        .rotate_every(Rotation::Daily)
        .backups(BACKUPS)
        .compress(true)
        .clock(clock)
        .open()
        .unwrap();
    let held = h.compressions().gate.lock();
    log(&h, 0);
    secs.fetch_add(86_400, Ordering::SeqCst);
    log(&h, 1);
    compression_started(dir.path());
    let labelled = |dir: &Path| -> Vec<String> {
        names(dir)
            .into_iter()
            .filter(|n| n.starts_with("app.log.20") && !n.ends_with(".tmp"))
            .collect()
    };
    for day in 2..30 {
        secs.fetch_add(86_400, Ordering::SeqCst);
        log(&h, day);
        let now = labelled(dir.path());
        assert!(now.len() <= BACKUPS + 1, "{now:?}");
        assert!(now.contains(&"app.log.2026-11-24".to_owned()), "{now:?}");
    }
    // 29 days rotated away: the first is being compressed, the newest three wait.
    assert_eq!(h.error_count(), 29 - 1 - BACKUPS as u64);
    drop(held);
    assert!(h.close_by(Instant::now() + Duration::from_secs(60)));
    assert_eq!(
        labelled(dir.path()),
        [
            "app.log.2026-12-20.gz",
            "app.log.2026-12-21.gz",
            "app.log.2026-12-22.gz"
        ]
    );
}
