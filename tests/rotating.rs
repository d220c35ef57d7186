//! `RotatingFileHandler`: size rotation to the exact record boundary, backup retention, time
//! rotation with an injected clock, recovery after the folder was removed, JSON lines.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use scoped_logger::format::{Format, JsonFormat, TextFormat};
use scoped_logger::handler::Rotation;
use scoped_logger::kv::Value;
use scoped_logger::{Handler, Level, Record, RotatingFileHandler};

/// 2026-11-24T10:00:00Z.
const NOV_24_10H: u64 = 1_795_514_400;
const HOUR: u64 = 3600;
const DAY: u64 = 86_400;

fn record_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOV_24_10H)
}

/// Logs `message` through `h` with a fixed time, so its formatted size is known.
fn log(h: &impl Handler, message: &str) {
    h.handle(
        &Record::builder(Level::Info, "app", format_args!("{message}"))
            .time(record_time())
            .build(),
    );
}

/// The exact line the text format writes for `message`.
fn line(message: &str) -> String {
    let mut out = Vec::new();
    TextFormat.format(
        &Record::builder(Level::Info, "app", format_args!("{message}"))
            .time(record_time())
            .build(),
        &mut out,
    );
    String::from_utf8(out).unwrap()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn backup(path: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}.{suffix}", path.display()))
}

/// Files in `dir`, sorted, without the cross-process lock (`app.log.lock`, checked on its own).
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| !name.ends_with(".lock"))
        .collect();
    names.sort();
    names
}

/// A clock the test moves by hand.
fn manual_clock(
    start: u64,
) -> (
    Arc<AtomicU64>,
    impl Fn() -> SystemTime + Send + Sync + 'static,
) {
    let secs = Arc::new(AtomicU64::new(start));
    let read = secs.clone();
    (secs, move || {
        UNIX_EPOCH + Duration::from_secs(read.load(Ordering::SeqCst))
    })
}

#[test]
fn size_limit_is_exact_to_the_record_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let base = line("").len() as u64;
    // Exactly three records with 10-character messages fit.
    let max = 3 * (base + 10);
    let h = RotatingFileHandler::builder(&path)
        .max_bytes(max)
        .backups(100)
        .open()
        .unwrap();

    // Messages of varied length, one exactly filling a file, one larger than the limit.
    let mut messages: Vec<String> = Vec::new();
    for i in 0..40u64 {
        let len = match i {
            7 => (max - base + 5) as usize, // larger than the limit on its own
            _ => ((i * 7919) % 23) as usize,
        };
        messages.push(format!("{i:>2}{}", "x".repeat(len.saturating_sub(2))));
    }
    // After an oversized record, three 10-character messages fill a fresh file exactly.
    let big = messages[7].clone();
    let ys = (0..3).map(|i| format!("{i:>2}{}", "y".repeat(8)));
    messages.splice(20..20, std::iter::once(big).chain(ys));

    // Expected assignment: rotate before a record that would take a non-empty file past `max`.
    let mut files: Vec<String> = vec![String::new()];
    for m in &messages {
        let l = line(m);
        let cur = files.last().unwrap();
        if !cur.is_empty() && (cur.len() + l.len()) as u64 > max {
            files.push(String::new());
        }
        files.last_mut().unwrap().push_str(&l);
        log(&h, m);
    }
    h.close();
    assert_eq!(h.error_count(), 0);

    // The newest file is app.log, the one before it app.log.1, and so on.
    let n = files.len();
    assert!(n > 10, "the test should rotate many times, got {n} files");
    for (age, expected) in files.iter().rev().enumerate() {
        let p = if age == 0 {
            path.clone()
        } else {
            backup(&path, &age.to_string())
        };
        let got = read(&p);
        assert_eq!(&got, expected, "{}", p.display());
        let single_record = got.lines().count() == 1;
        assert!(
            got.len() as u64 <= max || single_record,
            "{} is {} bytes, over the {max} limit with several records",
            p.display(),
            got.len()
        );
    }
    assert!(!backup(&path, &n.to_string()).exists());
    // The three 10-character messages filled a file exactly.
    assert!(files.iter().any(|f| f.len() as u64 == max));
    // The oversized record is alone in its file.
    let big = line(&messages[7]);
    assert!(big.len() as u64 > max);
    assert!(files.contains(&big));
}

#[test]
fn only_the_newest_backups_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let one = line("record 00").len() as u64;
    // Two records per file.
    let h = RotatingFileHandler::builder(&path)
        .max_bytes(2 * one)
        .backups(3)
        .open()
        .unwrap();
    for i in 0..20 {
        log(&h, &format!("record {i:02}"));
    }
    drop(h);
    assert_eq!(
        listing(dir.path()),
        ["app.log", "app.log.1", "app.log.2", "app.log.3"]
    );
    assert_eq!(
        read(&path),
        line("record 18") + &line("record 19"),
        "the newest records are in app.log"
    );
    assert_eq!(
        read(&backup(&path, "3")),
        line("record 12") + &line("record 13"),
        "app.log.3 is the oldest kept"
    );
}

#[test]
fn zero_backups_keep_only_the_current_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let one = line("record 00").len() as u64;
    let h = RotatingFileHandler::builder(&path)
        .max_bytes(one)
        .backups(0)
        .open()
        .unwrap();
    for i in 0..5 {
        log(&h, &format!("record {i:02}"));
    }
    assert_eq!(listing(dir.path()), ["app.log"]);
    assert_eq!(read(&path), line("record 04"));
}

#[test]
fn an_existing_file_is_appended_to() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    fs::write(&path, "earlier\n").unwrap();
    let h = RotatingFileHandler::builder(&path)
        .max_bytes(1 << 20)
        .open()
        .unwrap();
    log(&h, "later");
    assert_eq!(read(&path), "earlier\n".to_owned() + &line("later"));
}

#[test]
fn the_size_of_an_existing_file_counts_towards_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let l = line("next");
    fs::write(&path, "x".repeat(10)).unwrap();
    let h = RotatingFileHandler::builder(&path)
        .max_bytes(l.len() as u64 + 9)
        .open()
        .unwrap();
    log(&h, "next");
    assert_eq!(read(&backup(&path, "1")), "x".repeat(10));
    assert_eq!(read(&path), l);
}

#[test]
fn opening_where_no_folder_can_be_made_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    // A missing folder is created (tests/file_handler.rs); one under a regular file cannot be.
    let blocker = dir.path().join("missing");
    fs::write(&blocker, "").unwrap();
    let path = blocker.join("app.log");
    let err = RotatingFileHandler::builder(&path).open().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotADirectory);
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    let err = RotatingFileHandler::builder(dir.path().join("a.log"))
        .max_bytes(0)
        .open()
        .unwrap_err();
    assert!(err.to_string().contains("max_bytes"), "{err}");
}

#[test]
fn daily_rotation_follows_the_injected_clock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let (now, clock) = manual_clock(NOV_24_10H);
    let h = RotatingFileHandler::builder(&path)
        .rotate_every(Rotation::Daily)
        .backups(2)
        .clock(clock)
        .open()
        .unwrap();

    log(&h, "a");
    now.store(NOV_24_10H + 14 * HOUR - 1, Ordering::SeqCst); // 23:59:59 the same day
    log(&h, "b");
    assert_eq!(listing(dir.path()), ["app.log"]);

    now.store(NOV_24_10H + 14 * HOUR, Ordering::SeqCst); // midnight: the 25th
    log(&h, "c");
    assert_eq!(listing(dir.path()), ["app.log", "app.log.2026-11-24"]);
    assert_eq!(read(&backup(&path, "2026-11-24")), line("a") + &line("b"));
    assert_eq!(read(&path), line("c"));

    // Three days later, then one more: only the newest two backups stay.
    now.fetch_add(3 * DAY, Ordering::SeqCst);
    log(&h, "d");
    now.fetch_add(DAY, Ordering::SeqCst);
    log(&h, "e");
    assert_eq!(
        listing(dir.path()),
        ["app.log", "app.log.2026-11-25", "app.log.2026-11-28"]
    );
    assert_eq!(read(&backup(&path, "2026-11-25")), line("c"));
    assert_eq!(read(&backup(&path, "2026-11-28")), line("d"));
    assert_eq!(read(&path), line("e"));

    // A clock that goes back does not rotate.
    now.fetch_sub(2 * DAY, Ordering::SeqCst);
    log(&h, "f");
    assert_eq!(read(&path), line("e") + &line("f"));
    assert_eq!(h.error_count(), 0);
}

#[test]
fn hourly_rotation_with_a_size_limit_numbers_backups_within_the_hour() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let (now, clock) = manual_clock(NOV_24_10H + 9 * HOUR + 5); // 19:00:05
    let one = line("r0").len() as u64;
    let h = RotatingFileHandler::builder(&path)
        .rotate_every(Rotation::Hourly)
        .max_bytes(2 * one)
        .backups(10)
        .clock(clock)
        .open()
        .unwrap();

    for r in ["r0", "r1", "r2", "r3", "r4"] {
        log(&h, r);
    }
    now.fetch_add(HOUR, Ordering::SeqCst); // 20:00:05
    log(&h, "r5");
    now.fetch_add(HOUR, Ordering::SeqCst); // 21:00:05
    log(&h, "r6");

    assert_eq!(
        listing(dir.path()),
        [
            "app.log",
            "app.log.2026-11-24T19",
            "app.log.2026-11-24T19.1",
            "app.log.2026-11-24T19.2",
            "app.log.2026-11-24T20",
        ]
    );
    assert_eq!(
        read(&backup(&path, "2026-11-24T19")),
        line("r0") + &line("r1")
    );
    assert_eq!(
        read(&backup(&path, "2026-11-24T19.1")),
        line("r2") + &line("r3")
    );
    assert_eq!(read(&backup(&path, "2026-11-24T19.2")), line("r4"));
    assert_eq!(read(&backup(&path, "2026-11-24T20")), line("r5"));
    assert_eq!(read(&path), line("r6"));
}

#[test]
fn hourly_retention_removes_the_oldest_hours() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let (now, clock) = manual_clock(NOV_24_10H);
    let h = RotatingFileHandler::builder(&path)
        .rotate_every(Rotation::Hourly)
        .backups(3)
        .clock(clock)
        .open()
        .unwrap();
    // An unrelated file with a similar name is left alone.
    fs::write(backup(&path, "notes"), "mine").unwrap();
    for i in 0..30 {
        log(&h, &format!("hour {i}"));
        now.fetch_add(HOUR, Ordering::SeqCst);
    }
    assert_eq!(
        listing(dir.path()),
        [
            "app.log",
            "app.log.2026-11-25T12",
            "app.log.2026-11-25T13",
            "app.log.2026-11-25T14",
            "app.log.notes",
        ]
    );
    assert_eq!(read(&path), line("hour 29"));
    assert_eq!(read(&backup(&path, "2026-11-25T13")), line("hour 27"));
}

#[test]
fn logging_resumes_after_the_folder_was_removed_and_recreated() {
    let top = tempfile::tempdir().unwrap();
    let dir = top.path().join("logs");
    fs::create_dir(&dir).unwrap();
    let path = dir.join("app.log");
    let h = RotatingFileHandler::builder(&path)
        .max_bytes(1 << 20)
        .open()
        .unwrap();
    log(&h, "before");
    assert_eq!(read(&path), line("before"));

    fs::remove_dir_all(&dir).unwrap();
    log(&h, "while gone"); // cannot be written anywhere: one error
    assert_eq!(h.error_count(), 1);
    let err = h.take_error().expect("the error is kept for take_error");
    assert!(err.to_string().contains("app.log"), "{err}");

    fs::create_dir(&dir).unwrap();
    log(&h, "after");
    log(&h, "and again");
    assert_eq!(read(&path), line("after") + &line("and again"));
    assert_eq!(h.error_count(), 1, "the error was counted once");
    assert!(h.take_error().is_none());
}

#[test]
fn a_file_deleted_under_the_handler_is_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let h = RotatingFileHandler::builder(&path).open().unwrap();
    log(&h, "one");
    fs::remove_file(&path).unwrap();
    log(&h, "two");
    assert_eq!(read(&path), line("two"));
    assert_eq!(h.error_count(), 0);
}

#[test]
fn a_closed_handler_reports_instead_of_writing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let h = RotatingFileHandler::builder(&path).open().unwrap();
    h.close();
    log(&h, "late");
    assert_eq!(read(&path), "");
    assert_eq!(h.error_count(), 1);
}

#[test]
fn json_format_writes_one_object_per_line_across_rotations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.jsonl");
    let h = RotatingFileHandler::builder(&path)
        .max_bytes(400)
        .backups(50)
        .format(JsonFormat)
        .open()
        .unwrap();
    for i in 0..30u64 {
        let kvs = [("i", Value::U64(i)), ("who", Value::Str("ana \"b\"\n"))];
        h.handle(
            &Record::builder(Level::Warn, "jobs.7", format_args!("step {i}"))
                .key_values(&kvs)
                .build(),
        );
    }
    drop(h);
    let mut seen = Vec::new();
    for name in listing(dir.path()) {
        let text = read(&dir.path().join(&name));
        assert!(text.len() <= 400, "{name} is {} bytes", text.len());
        for l in text.lines() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["level"], "WARN");
            assert_eq!(v["logger"], "jobs.7");
            assert_eq!(v["kv"]["who"], "ana \"b\"\n");
            seen.push(v["kv"]["i"].as_u64().unwrap());
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        (0..30).collect::<Vec<_>>(),
        "every record, exactly once"
    );
}

#[test]
fn works_as_a_registry_handler_from_many_threads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let h = RotatingFileHandler::builder(&path)
        .max_bytes(2000)
        .backups(1000)
        .open()
        .unwrap();
    let reg = scoped_logger::Registry::new();
    reg.root().add_handler(h);
    std::thread::scope(|s| {
        for t in 0..4 {
            let log = reg.logger(&format!("t{t}"));
            s.spawn(move || {
                for i in 0..200 {
                    log.log(Level::Warn, format_args!("record {i}"));
                }
            });
        }
    });
    assert!(reg.shutdown(Duration::from_secs(5)));
    let mut total = 0;
    for name in listing(dir.path()) {
        let text = read(&dir.path().join(&name));
        assert!(text.len() <= 2000);
        for l in text.lines() {
            assert!(l.contains(" WARN t") && l.contains(": record "), "{l}");
            total += 1;
        }
    }
    assert_eq!(total, 800);
}

/// Found in review: once pruning removed a period's bare-label backup, the next rotation reused
/// that free name, which sorts as the oldest, and the same prune deleted the backup just made:
/// the oldest records were kept and the newest lost. New backups now take the index after the
/// period's highest.
#[test]
fn size_rotations_within_one_period_keep_the_newest_backups() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let (_now, clock) = manual_clock(NOV_24_10H + 5);
    let h = RotatingFileHandler::builder(&path)
        .rotate_every(Rotation::Hourly)
        .max_bytes(line("r0").len() as u64)
        .backups(2)
        .clock(clock)
        .open()
        .unwrap();
    for r in ["r0", "r1", "r2", "r3", "r4", "r5"] {
        log(&h, r);
    }
    assert_eq!(read(&path), line("r5"));
    let mut kept: Vec<String> = listing(dir.path())
        .into_iter()
        .filter(|n| n != "app.log")
        .map(|n| read(&dir.path().join(n)))
        .collect();
    kept.sort();
    assert_eq!(kept, [line("r3"), line("r4")], "{:?}", listing(dir.path()));
}

#[test]
fn daily_rotation_at_midnight_in_a_named_zone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    // 10:00 UTC is 19:00 in Tokyo (UTC+9, no daylight saving).
    let (now, clock) = manual_clock(NOV_24_10H);
    let h = RotatingFileHandler::builder(&path)
        .rotate_every(Rotation::Daily)
        .time_zone("Asia/Tokyo")
        .clock(clock)
        .open()
        .unwrap();
    log(&h, "a");
    now.store(NOV_24_10H + 5 * HOUR - 1, Ordering::SeqCst); // 23:59:59 in Tokyo
    log(&h, "b");
    assert_eq!(listing(dir.path()), ["app.log"]);
    now.store(NOV_24_10H + 5 * HOUR, Ordering::SeqCst); // Tokyo's midnight, 15:00 UTC
    log(&h, "c");
    assert_eq!(listing(dir.path()), ["app.log", "app.log.2026-11-24"]);
    assert_eq!(read(&backup(&path, "2026-11-24")), line("a") + &line("b"));
    // UTC midnight (09:00 in Tokyo) is not a boundary.
    now.store(NOV_24_10H + 14 * HOUR, Ordering::SeqCst);
    log(&h, "d");
    assert_eq!(read(&path), line("c") + &line("d"));
    assert_eq!(h.error_count(), 0);

    let err = RotatingFileHandler::builder(dir.path().join("b.log"))
        .rotate_every(Rotation::Daily)
        .time_zone("Mars/Olympus_Mons")
        .open()
        .unwrap_err();
    assert!(err.to_string().contains("Mars/Olympus_Mons"), "{err}");
    // The system's zone opens (its midnights cannot be asserted without knowing it).
    let local = RotatingFileHandler::builder(dir.path().join("c.log"))
        .rotate_every(Rotation::Daily)
        .local_time(true)
        .open();
    assert!(local.is_ok(), "{:?}", local.err());
}

#[test]
fn weekly_rotation_starts_on_monday_and_names_the_week_by_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    // Tuesday 2026-11-24.
    let (now, clock) = manual_clock(NOV_24_10H);
    let h = RotatingFileHandler::builder(&path)
        .rotate_every(Rotation::Weekly)
        .clock(clock)
        .open()
        .unwrap();
    log(&h, "tue");
    now.store(1_795_996_740, Ordering::SeqCst); // Sunday 2026-11-29 23:59 UTC
    log(&h, "sun");
    assert_eq!(listing(dir.path()), ["app.log"]);
    now.store(1_795_996_800, Ordering::SeqCst); // Monday 2026-11-30 00:00 UTC
    log(&h, "mon");
    assert_eq!(listing(dir.path()), ["app.log", "app.log.2026-11-23"]);
    assert_eq!(
        read(&backup(&path, "2026-11-23")),
        line("tue") + &line("sun")
    );
    assert_eq!(read(&path), line("mon"));
}

#[test]
fn backups_older_than_max_age_are_deleted_at_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let aged = |suffix: &str, text: &str, days: u64| {
        let p = backup(&path, suffix);
        fs::write(&p, text).unwrap();
        let f = fs::File::options().write(true).open(&p).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(days * DAY))
            .unwrap();
    };
    aged("1", "recent\n", 1);
    aged("2", "old\n", 30);
    aged("3.gz", "old and compressed\n", 30);
    let h = RotatingFileHandler::builder(&path)
        .max_bytes(line("x").len() as u64)
        .backups(10)
        .max_age(Duration::from_secs(7 * DAY))
        .open()
        .unwrap();
    log(&h, "x");
    log(&h, "y"); // rotates: .1 → .2, .2 → .3, app.log → .1; then the old ones go
    assert_eq!(listing(dir.path()), ["app.log", "app.log.1", "app.log.2"]);
    assert_eq!(read(&backup(&path, "2")), "recent\n");
    assert_eq!(read(&backup(&path, "1")), line("x"));
    assert_eq!(h.error_count(), 0);
}

#[test]
fn the_configuration_sets_weekly_local_age_and_compression() {
    use scoped_logger::config::Config;
    let text = "[handlers.roll]\nkind = \"rotating_file\"\npath = \"x.log\"\nrotate = \"weekly\"\n\
                local_time = true\nmax_age = \"14days\"\ncompress = true\n";
    Config::from_toml(text).unwrap();
    let bad = "[handlers.roll]\nkind = \"rotating_file\"\npath = \"x.log\"\nmax_age = \"soon\"\n";
    let err = Config::from_toml(bad).unwrap_err().to_string();
    assert!(err.contains("max_age") && err.contains("14days"), "{err}");
}
