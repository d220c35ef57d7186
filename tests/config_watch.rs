//! `config::watch_registry`: a configuration file applied again when it changes, a bad one
//! reported once while the last good one stays, and a guard that stops the thread. Each test
//! has a registry of its own; none sleeps to synchronise: they poll a condition with a deadline.
#![cfg(feature = "config")]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use scoped_logger::config::{ConfigWatch, watch_registry};
use scoped_logger::{Level, LevelFilter, MemoryHandler, Registry};

const DEADLINE: Duration = Duration::from_secs(20);
/// Long enough that only `check_now` looks at the file during a test.
const NEVER: Duration = Duration::from_secs(3600);

fn level_file(level: &str) -> String {
    format!("[loggers.jobs]\nlevel = \"{level}\"\n")
}

/// A registry whose root keeps every record at WARN and above in `seen`.
fn registry() -> (Registry, MemoryHandler) {
    let reg = Registry::new();
    let seen = MemoryHandler::new();
    reg.root().add_handler(seen.clone());
    (reg, seen)
}

fn errors(seen: &MemoryHandler) -> Vec<String> {
    seen.records()
        .into_iter()
        .filter(|r| r.level == Level::Error && r.logger == "scoped_logger")
        .map(|r| r.message)
        .collect()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::yield_now();
    }
}

fn file(dir: &tempfile::TempDir, text: &str) -> PathBuf {
    let path = dir.path().join("logging.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A file setting `jobs` to `level`, watched for a registry of its own; only `check_now` looks.
struct Watched {
    /// Removed with the test's files when the test ends.
    _dir: tempfile::TempDir,
    path: PathBuf,
    reg: Registry,
    seen: MemoryHandler,
    watch: ConfigWatch,
}

fn watched(level: &str) -> Watched {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, &level_file(level));
    let (reg, seen) = registry();
    let watch = watch_registry(&reg, &path, NEVER).unwrap();
    Watched {
        _dir: dir,
        path,
        reg,
        seen,
        watch,
    }
}

/// Saves `text` the way many editors do: a new file renamed over the old one.
fn save_by_rename(path: &Path, text: &str) {
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn the_watching_thread_applies_a_changed_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, &level_file("info"));
    let (reg, _) = registry();
    let watch = watch_registry(&reg, &path, Duration::from_millis(10)).unwrap();
    let jobs = reg.logger("jobs");
    assert_eq!(jobs.level(), Some(LevelFilter::Info), "applied at once");

    std::fs::write(&path, level_file("debug")).unwrap();
    wait_for("the change in place", || {
        jobs.level() == Some(LevelFilter::Debug)
    });
    save_by_rename(&path, &level_file("trace"));
    wait_for("the file saved by a rename", || {
        jobs.level() == Some(LevelFilter::Trace)
    });
    assert_eq!(watch.reloads(), 2);
    assert!(watch.last_error().is_none());
}

#[test]
fn a_write_of_the_same_size_in_the_same_second_is_seen() {
    let w = watched("info");
    // `warn` and `info` have the same length: only the text tells the two files apart.
    std::fs::write(&w.path, level_file("warn")).unwrap();
    assert_eq!(w.watch.check_now(), Ok(true));
    assert_eq!(w.reg.logger("jobs").level(), Some(LevelFilter::Warn));
    assert_eq!(w.watch.check_now(), Ok(false), "nothing changed since");
}

#[test]
fn a_bad_file_is_reported_once_and_the_last_good_one_stays() {
    let w = watched("debug");

    std::fs::write(&w.path, level_file("loud")).unwrap();
    for _ in 0..5 {
        let err = w.watch.check_now().unwrap_err();
        assert!(err.to_string().contains("loud"), "{err}");
    }
    let reported = errors(&w.seen);
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert!(
        reported[0].contains("logging.toml:2") && reported[0].contains("stays in force"),
        "{}",
        reported[0]
    );
    assert_eq!(w.reg.logger("jobs").level(), Some(LevelFilter::Debug));
    assert!(w.watch.last_error().is_some());

    // Another bad text is another report; a good one ends the error.
    std::fs::write(&w.path, "[loggers.jobs\n").unwrap();
    assert!(w.watch.check_now().is_err());
    assert_eq!(errors(&w.seen).len(), 2);
    std::fs::write(&w.path, level_file("trace")).unwrap();
    assert_eq!(w.watch.check_now(), Ok(true));
    assert_eq!(w.reg.logger("jobs").level(), Some(LevelFilter::Trace));
    assert!(w.watch.last_error().is_none());
}

#[test]
fn a_missing_file_is_reported_once_and_applied_when_it_is_back() {
    let w = watched("debug");

    std::fs::remove_file(&w.path).unwrap();
    for _ in 0..3 {
        assert!(w.watch.check_now().is_err());
    }
    let reported = errors(&w.seen);
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert!(reported[0].contains("cannot read"), "{}", reported[0]);
    assert_eq!(w.reg.logger("jobs").level(), Some(LevelFilter::Debug));

    std::fs::write(&w.path, level_file("info")).unwrap();
    assert_eq!(w.watch.check_now(), Ok(true));
    assert_eq!(w.reg.logger("jobs").level(), Some(LevelFilter::Info));
}

#[test]
fn a_bad_file_at_start_is_the_callers_error_and_nothing_is_watched() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "[loggers.root]\nhandlers = [\"nowhere\"]\n");
    let (reg, seen) = registry();
    let err = watch_registry(&reg, &path, NEVER).unwrap_err();
    assert!(err.to_string().contains("nowhere"), "{err}");
    assert!(errors(&seen).is_empty(), "returned, not logged");
}

#[test]
fn handlers_are_swapped_and_unchanged_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let text = |level: &str| {
        format!(
            "[loggers.jobs]\nlevel = \"{level}\"\nhandlers = [\"app\"]\n\n\
             [handlers.app]\nkind = \"file\"\npath = {:?}\n",
            log.display().to_string()
        )
    };
    let path = file(&dir, &text("info"));
    let (reg, _) = registry();
    let watch = watch_registry(&reg, &path, NEVER).unwrap();
    let jobs = reg.logger("jobs");
    assert_eq!(jobs.handler_count(), 1);
    std::fs::write(&path, text("debug")).unwrap();
    assert_eq!(watch.check_now(), Ok(true));
    assert_eq!(
        jobs.handler_count(),
        1,
        "the same handler, not a second one"
    );
    assert_eq!(jobs.level(), Some(LevelFilter::Debug));
}

#[test]
fn dropping_the_guard_stops_the_thread_at_once() {
    let w = watched("info");
    let start = Instant::now();
    w.watch.stop();
    // The thread sleeps an hour between looks: stopping wakes it instead of waiting.
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        w.reg.logger("jobs").level(),
        Some(LevelFilter::Info),
        "what was applied stays"
    );
}
