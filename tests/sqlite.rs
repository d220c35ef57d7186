//! `SqliteHandler`: round trip through the documented schema, descriptors released by close,
//! several handlers and two processes on one file, a clear error for a missing folder, and the
//! full queue dropping, counting and reporting records.
#![cfg(feature = "sqlite")]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, UNIX_EPOCH};

use rusqlite::Connection;
use scoped_logger::handler::queue::{Policy, QueueOptions};
use scoped_logger::kv::Value;
use scoped_logger::{Handler, Level, Location, Record, Registry, SqliteHandler};

/// The query documented in the module docs, word for word.
const DOCUMENTED_QUERY: &str =
    "SELECT time, level, logger, message, kv, thread, module, file, line FROM logs ORDER BY id";

/// Environment variable that selects a child role when this test binary is re-executed.
const ROLE: &str = "SCOPED_LOGGER_SQLITE_TEST_ROLE";
const DB: &str = "SCOPED_LOGGER_SQLITE_TEST_DB";

/// A generous failsafe: a test that waits longer than this has failed.
const FAILSAFE: Duration = Duration::from_secs(60);

#[derive(Debug, PartialEq)]
struct Row {
    time: String,
    level: String,
    logger: String,
    message: String,
    kv: Option<String>,
    thread: Option<String>,
    module: Option<String>,
    file: Option<String>,
    line: Option<u32>,
}

fn rows(path: &Path) -> Vec<Row> {
    let db = Connection::open(path).unwrap();
    let mut stmt = db.prepare(DOCUMENTED_QUERY).unwrap();
    stmt.query_map([], |r| {
        Ok(Row {
            time: r.get(0)?,
            level: r.get(1)?,
            logger: r.get(2)?,
            message: r.get(3)?,
            kv: r.get(4)?,
            thread: r.get(5)?,
            module: r.get(6)?,
            file: r.get(7)?,
            line: r.get(8)?,
        })
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn count(path: &Path, table: &str) -> u64 {
    let db = Connection::open(path).unwrap();
    db.busy_timeout(FAILSAFE).unwrap();
    db.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn log(h: &impl Handler, level: Level, logger: &str, message: &str) {
    h.handle(&Record::builder(level, logger, format_args!("{message}")).build());
}

/// Starts this test binary again, running only `test` in the child role `role`.
fn run_child(test: &str, role: &str, db: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--test-threads=1", "--nocapture"])
        .env(ROLE, role)
        .env(DB, db)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_ok(child: std::process::Child) {
    // The child bounds its own waits (FAILSAFE), so this returns.
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "child failed: {}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn records_round_trip_through_the_documented_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs.db");
    let h = SqliteHandler::open(&path).unwrap();

    let time = UNIX_EPOCH + Duration::from_millis(1_795_892_638_123);
    let here = Location::new("app::jobs", "src/jobs.rs", 42);
    let kvs = [
        ("job", Value::U64(7)),
        ("user", Value::Str("ana \"b\"")),
        ("ratio", Value::F64(0.5)),
        ("ok", Value::Bool(true)),
        ("none", Value::Null),
        ("shown", Value::Display(&'x')),
    ];
    h.handle(
        &Record::builder(Level::Warn, "jobs.7", format_args!("disk at {}%", 91))
            .key_values(&kvs)
            .time(time)
            .thread_name(Some("worker-1"))
            .location(&here)
            .build(),
    );
    h.handle(&Record::builder(Level::Error, "", format_args!("plain")).build());
    h.close();
    assert_eq!(h.dropped(), 0);
    assert!(h.take_error().is_none());

    let got = rows(&path);
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0],
        Row {
            time: "2026-11-28T19:03:58.123Z".into(),
            level: "WARN".into(),
            logger: "jobs.7".into(),
            message: "disk at 91%".into(),
            kv: got[0].kv.clone(),
            thread: Some("worker-1".into()),
            module: Some("app::jobs".into()),
            file: Some("src/jobs.rs".into()),
            line: Some(42),
        }
    );
    let kv: serde_json::Value = serde_json::from_str(got[0].kv.as_deref().unwrap()).unwrap();
    assert_eq!(
        kv,
        serde_json::json!({
            "job": 7, "user": "ana \"b\"", "ratio": 0.5, "ok": true, "none": null, "shown": "x"
        })
    );
    // The root is "root"; no key-values is NULL, not "{}".
    assert_eq!(
        (
            got[1].level.as_str(),
            got[1].logger.as_str(),
            got[1].kv.as_deref()
        ),
        ("ERROR", "root", None)
    );
    assert_eq!((got[1].module.as_deref(), got[1].line), (None, None));

    // SQLite's JSON functions see the key-values.
    let db = Connection::open(&path).unwrap();
    let msg: String = db
        .query_row(
            "SELECT message FROM logs WHERE json_extract(kv, '$.job') = 7",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(msg, "disk at 91%");
}

#[test]
fn the_table_has_the_documented_columns_and_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs.db");
    drop(SqliteHandler::open(&path).unwrap());
    let db = Connection::open(&path).unwrap();
    let cols: Vec<(String, String, bool)> = db
        .prepare("SELECT name, type, pk FROM pragma_table_info('logs') ORDER BY cid")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected = [
        ("id", "INTEGER", true),
        ("time", "TEXT", false),
        ("level", "TEXT", false),
        ("logger", "TEXT", false),
        ("message", "TEXT", false),
        ("kv", "TEXT", false),
        ("thread", "TEXT", false),
        ("module", "TEXT", false),
        ("file", "TEXT", false),
        ("line", "INTEGER", false),
    ];
    let expected: Vec<(String, String, bool)> = expected
        .iter()
        .map(|(n, t, pk)| (n.to_string(), t.to_string(), *pk))
        .collect();
    assert_eq!(cols, expected);
    let mode: String = db
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn the_table_name_is_configurable_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs.db");
    let h = SqliteHandler::builder(&path)
        .table("app_events")
        .open()
        .unwrap();
    log(&h, Level::Info, "a", "one");
    h.close();
    assert_eq!(count(&path, "app_events"), 1);

    let err = SqliteHandler::builder(&path)
        .table("logs; DROP TABLE app_events")
        .open()
        .unwrap_err();
    assert!(err.to_string().contains("not a valid table name"), "{err}");
    assert_eq!(count(&path, "app_events"), 1);
}

#[test]
fn a_missing_folder_gives_an_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no such folder").join("logs.db");
    let err = SqliteHandler::open(&path).unwrap_err();
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("does not exist"), "{text}");
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert_eq!(err.path(), path);
    // As an io::Error (for `?` in functions returning io::Result) it keeps the message.
    let io: std::io::Error = err.into();
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    assert!(io.to_string().contains("does not exist"));
    assert!(!path.parent().unwrap().exists(), "nothing was created");
}

#[test]
fn a_path_that_is_not_a_database_gives_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "this is not a database, it is just long enough text").unwrap();
    let err = SqliteHandler::open(&path).unwrap_err();
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

#[cfg(target_os = "linux")]
fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Child role of `a_thousand_handlers_leave_no_descriptor_open`: alone in its process, so that
/// no other test opens files meanwhile.
#[cfg(target_os = "linux")]
#[test]
fn child_thousand_handlers() {
    if std::env::var(ROLE).as_deref() != Ok("thousand") {
        return;
    }
    let path = std::path::PathBuf::from(std::env::var_os(DB).unwrap());
    // One handler first, so that lazily opened process-wide descriptors are counted in `before`.
    SqliteHandler::open(&path).unwrap().close();
    let before = open_descriptors();
    for i in 0..1000 {
        let h = SqliteHandler::open(&path).unwrap();
        log(&h, Level::Info, "jobs", &format!("handler {i}"));
        h.close();
        drop(h);
    }
    let after = open_descriptors();
    assert_eq!(before, after, "descriptors before and after 1000 handlers");
    assert_eq!(count(&path, "logs"), 1000);
}

#[cfg(target_os = "linux")]
#[test]
fn a_thousand_handlers_leave_no_descriptor_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs.db");
    wait_ok(run_child("child_thousand_handlers", "thousand", &path));
    assert_eq!(count(&path, "logs"), 1000, "the child ran its loop");
}

const PER_PROCESS: u64 = 2000;

fn write_rows(path: &Path, who: &str) {
    let h = SqliteHandler::builder(path)
        .queue(QueueOptions::default().policy(Policy::Block).capacity(64))
        .open()
        .unwrap();
    for i in 0..PER_PROCESS {
        log(&h, Level::Info, who, &format!("row {i}"));
    }
    assert!(h.flush_by(Instant::now() + FAILSAFE));
    h.close();
    assert_eq!(h.dropped(), 0);
    assert!(h.take_error().is_none(), "{:?}", h.take_error());
}

/// Child role of `two_processes_write_one_database`.
#[test]
fn child_writer() {
    if std::env::var(ROLE).as_deref() != Ok("writer") {
        return;
    }
    write_rows(Path::new(&std::env::var_os(DB).unwrap()), "child");
}

#[test]
fn two_processes_write_one_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs.db");
    let child = run_child("child_writer", "writer", &path);
    write_rows(&path, "parent");
    wait_ok(child);
    let db = Connection::open(&path).unwrap();
    let by_logger: Vec<(String, u64)> = db
        .prepare("SELECT logger, count(*) FROM logs GROUP BY logger ORDER BY logger")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        by_logger,
        [
            ("child".to_owned(), PER_PROCESS),
            ("parent".to_owned(), PER_PROCESS)
        ]
    );
}

/// A pool's unnamed workers: each row's thread column says which one, by the id the text
/// formats' `{thread}` writes for a thread without a name (a named thread keeps its name).
#[test]
fn an_unnamed_threads_rows_carry_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs.db");
    let h = std::sync::Arc::new(SqliteHandler::open(&path).unwrap());
    let reg = Registry::new();
    reg.root().add_handler(h.clone());
    let id_of = |id: std::thread::ThreadId| -> String {
        format!("{id:?}")
            .chars()
            .filter(char::is_ascii_digit)
            .collect()
    };
    let root = reg.root();
    let unnamed = std::thread::spawn(move || {
        root.log(Level::Warn, format_args!("from a pool worker"));
        std::thread::current().id()
    })
    .join()
    .unwrap();
    let root = reg.root();
    std::thread::Builder::new()
        .name("named".into())
        .spawn(move || root.log(Level::Warn, format_args!("from a named thread")))
        .unwrap()
        .join()
        .unwrap();
    h.close();
    let got: Vec<(String, Option<String>)> = rows(&path)
        .into_iter()
        .map(|r| (r.message, r.thread))
        .collect();
    assert_eq!(
        got,
        [
            ("from a pool worker".to_owned(), Some(id_of(unnamed))),
            ("from a named thread".to_owned(), Some("named".to_owned())),
        ]
    );
}

#[test]
fn per_task_scopes_share_one_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs.db");
    let reg = Registry::new();
    reg.root().set_level(scoped_logger::LevelFilter::Info);
    std::thread::scope(|s| {
        for task in 0..8 {
            let (reg, path) = (&reg, &path);
            s.spawn(move || {
                let scope = reg
                    .scope(&format!("jobs.{task}"))
                    .propagate(false)
                    .handler(|| {
                        SqliteHandler::builder(path)
                            .queue(QueueOptions::default().policy(Policy::Block))
                            .open()
                    })
                    .enter()
                    .unwrap();
                for i in 0..100 {
                    scope.log(Level::Info, format_args!("step {i}"));
                }
                scope.close().unwrap();
            });
        }
    });
    assert_eq!(count(&path, "logs"), 800);
    assert_eq!(reg.node_count(), 0);
}

#[test]
fn a_full_queue_drops_counts_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs.db");
    let h = SqliteHandler::builder(&path)
        .queue(QueueOptions::default().capacity(4))
        .busy_timeout(FAILSAFE)
        .open()
        .unwrap();

    // Stall the writer: another connection holds the write lock, so its inserts wait.
    let blocker = Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    const SENT: u64 = 1000;
    for i in 0..SENT {
        log(&h, Level::Info, "jobs", &format!("record {i}"));
    }
    let dropped = h.dropped();
    // The writer is stuck on its first batch; the capacity counts that batch too, so four
    // records were accepted in all and every other one was dropped.
    assert_eq!(dropped, SENT - 4);
    blocker.execute_batch("COMMIT").unwrap();

    assert!(h.flush_by(Instant::now() + FAILSAFE));
    h.close();
    assert_eq!(
        h.dropped(),
        dropped,
        "nothing dropped after the writer resumed"
    );

    let got = rows(&path);
    let kept = got.iter().filter(|r| r.logger == "jobs").count() as u64;
    assert_eq!(kept, SENT - dropped);
    let reports: Vec<&Row> = got.iter().filter(|r| r.logger == "scoped_logger").collect();
    assert!(!reports.is_empty(), "a row reports the drops");
    let mut reported = 0;
    for r in reports {
        assert_eq!(r.level, "WARN");
        let n = r
            .message
            .strip_suffix(" records dropped while the database was not keeping up")
            .unwrap_or_else(|| panic!("unexpected report {:?}", r.message));
        reported += n.parse::<u64>().unwrap();
    }
    assert_eq!(reported, dropped);
}

#[test]
fn records_after_close_go_nowhere_and_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs.db");
    let h = SqliteHandler::open(&path).unwrap();
    log(&h, Level::Info, "a", "kept");
    h.close();
    log(&h, Level::Info, "a", "late");
    assert!(h.flush_by(Instant::now() + FAILSAFE));
    assert_eq!(count(&path, "logs"), 1);
}

#[test]
fn a_failing_display_does_not_lose_the_record() {
    struct Fails;
    impl std::fmt::Display for Fails {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("half")?;
            Err(std::fmt::Error)
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs.db");
    let h = SqliteHandler::open(&path).unwrap();
    let kvs = [("v", Value::Display(&Fails))];
    h.handle(
        &Record::builder(Level::Info, "a", format_args!("m={}", Fails))
            .key_values(&kvs)
            .build(),
    );
    h.close();
    let got = rows(&path);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].message, "m=half<formatting failed>");
    assert_eq!(
        got[0].kv.as_deref(),
        Some(r#"{"v":"half<formatting failed>"}"#)
    );
}

/// Found in review: a batch the database refused (locked past the busy timeout here; a full disk
/// is the same) vanished uncounted. It is rolled back whole, counted in `dropped()`, and told in a
/// row with the next batch that goes in.
#[test]
fn a_refused_batch_is_counted_and_told_not_lost_silently() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs.db");
    let h = SqliteHandler::builder(&path)
        .busy_timeout(Duration::from_millis(50))
        .open()
        .unwrap();
    let blocker = Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    for i in 0..10 {
        log(&h, Level::Info, "jobs", &format!("record {i}"));
    }
    assert!(h.flush_by(Instant::now() + FAILSAFE));
    let lost = h.dropped();
    assert_eq!(lost, 10, "the refused records are counted");
    let err = h.take_error().expect("the refusal is reported");
    assert!(err.to_string().contains("locked"), "{err}");
    blocker.execute_batch("COMMIT").unwrap();
    log(&h, Level::Info, "jobs", "after");
    assert!(h.flush_by(Instant::now() + FAILSAFE));
    h.close();
    let got: Vec<(String, String)> = rows(&path)
        .into_iter()
        .map(|r| (r.logger, r.message))
        .collect();
    assert_eq!(
        got,
        [
            (
                "scoped_logger".to_owned(),
                "10 records lost: the database refused the batches they were in".to_owned()
            ),
            ("jobs".to_owned(), "after".to_owned()),
        ]
    );
}

/// Removes the database and its WAL files, as `rm logs.db*` does.
#[cfg(unix)]
fn remove_database(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}

/// Found in review: `rm logs.db*` while the handler was open sent every later record into the
/// unlinked file, with no report, and `shutdown` said `true`. The database is created again at
/// the path, once, and said so.
#[cfg(unix)]
#[test]
fn a_database_deleted_while_idle_is_created_again_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("del.db");
    let h = SqliteHandler::open(&path).unwrap();
    for i in 0..100 {
        log(&h, Level::Info, "jobs", &format!("before {i}"));
    }
    assert!(h.flush_by(Instant::now() + FAILSAFE));
    remove_database(&path);
    // The path is looked at again after an idle spell (10 ms): let one pass, by the clock.
    let idle = Instant::now();
    while idle.elapsed() < Duration::from_millis(20) {
        std::thread::yield_now();
    }
    for i in 0..2000 {
        log(&h, Level::Info, "jobs", &format!("after {i}"));
    }
    assert!(h.flush_by(Instant::now() + FAILSAFE));
    let err = h.take_error().expect("the deletion is reported");
    assert!(
        err.to_string()
            .contains("was deleted or replaced while open"),
        "{err}"
    );
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert_eq!(h.dropped(), 0);
    assert!(h.close_by(Instant::now() + FAILSAFE), "nothing was lost");
    let got = rows(&path);
    assert_eq!(got.len(), 2001, "the report row and every later record");
    assert_eq!(got[0].logger, "scoped_logger");
    assert_eq!(got[0].level, "WARN");
    assert!(
        got[0]
            .message
            .starts_with("the database file was deleted or replaced while open"),
        "{}",
        got[0].message
    );
    assert_eq!(got[0].kv.as_deref(), Some(r#"{"lost":0}"#));
    for (i, row) in got[1..].iter().enumerate() {
        assert_eq!(row.message, format!("after {i}"));
    }
}

/// Deleted while records pour in: whatever went into the old file after the deletion is
/// counted, the rest is in the new file, and `close_by` says `false` when anything was lost.
#[cfg(unix)]
#[test]
fn a_database_deleted_under_load_counts_what_went_with_it() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("del.db");
    // Blocking: the queue drops nothing, so `dropped` is only what the deletion took.
    let h = SqliteHandler::builder(&path)
        .queue(QueueOptions::default().policy(Policy::Block))
        .open()
        .unwrap();
    let logged = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let after = std::thread::scope(|s| {
        s.spawn(|| {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                log(&h, Level::Info, "jobs", &format!("{i}"));
                i += 1;
                logged.store(i, Ordering::Relaxed);
            }
        });
        let end = Instant::now() + FAILSAFE;
        while logged.load(Ordering::Relaxed) < 2000 {
            assert!(Instant::now() < end, "failsafe: the logging thread stalled");
            std::thread::yield_now();
        }
        remove_database(&path);
        let after = logged.load(Ordering::Relaxed);
        while logged.load(Ordering::Relaxed) < after + 3000 {
            assert!(Instant::now() < end, "failsafe: the logging thread stalled");
            std::thread::yield_now();
        }
        stop.store(true, Ordering::Relaxed);
        after
    });
    let total = logged.load(Ordering::Relaxed);
    assert!(h.flush_by(Instant::now() + FAILSAFE));
    let dropped = h.dropped();
    let closed = h.close_by(Instant::now() + FAILSAFE);
    assert_eq!(closed, dropped == 0, "close says whether records were lost");
    let got = rows(&path);
    let told: u64 = got
        .iter()
        .filter(|r| r.logger == "scoped_logger")
        .map(|r| {
            let kv = r.kv.as_deref().expect("lost=N");
            kv.trim_start_matches(r#"{"lost":"#)
                .trim_end_matches('}')
                .parse::<u64>()
                .unwrap()
        })
        .sum();
    assert_eq!(told, dropped, "the new file says how many were lost");
    let present: std::collections::HashSet<usize> = got
        .iter()
        .filter(|r| r.logger == "jobs")
        .map(|r| r.message.parse().unwrap())
        .collect();
    let missing = (after..total).filter(|i| !present.contains(i)).count() as u64;
    assert!(
        missing <= dropped,
        "logged after the deletion: {} records, {missing} missing, {dropped} counted",
        total - after
    );
    println!(
        "deleted under load: {} records after the deletion, {missing} missing, {dropped} counted",
        total - after
    );
}

/// Found in review: a symbolic link planted where the database goes was followed, and the
/// database created (or a `logs` table added) at the link's target.
#[cfg(unix)]
#[test]
fn a_symbolic_link_is_refused_with_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("created.db");
    let link = dir.path().join("db.sqlite");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let err = SqliteHandler::open(&link).unwrap_err();
    let text = err.to_string();
    assert!(text.contains(&link.display().to_string()), "{text}");
    assert!(text.contains("symbolic link"), "{text}");
    assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
    assert!(!target.exists(), "nothing was created at the link's target");

    // An existing database at the target is left as it was: no `logs` table added.
    Connection::open(&target)
        .unwrap()
        .execute_batch("CREATE TABLE mine (x)")
        .unwrap();
    assert!(SqliteHandler::open(&link).is_err());
    let tables: Vec<String> = Connection::open(&target)
        .unwrap()
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(tables, ["mine"]);
}
