//! The operator's word wins: a small program under `init()` run with each `RUST_LOG` of issue 30,
//! its stderr read back. Levels set in code (`level = "debug"`) are the program's defaults; a
//! directive that names a logger overrides them there, the bare level is the default elsewhere,
//! and the stderr handler shows only what the directives allow, while a task's own file still
//! gets what the code asked for.
//!
//! The child is this test binary run again with `SCOPED_LOGGER_OPERATOR_CHILD` set; the parent
//! waits for it to exit (a generous failsafe, never a sleep).

use std::path::{Path, PathBuf};
use std::process::Command;

use scoped_logger::{FileHandler, debug, error, info, scoped_logger, warn};

const ROLE: &str = "SCOPED_LOGGER_OPERATOR_CHILD";
const DIR: &str = "SCOPED_LOGGER_OPERATOR_DIR";

fn task_file(kind: &str, id: u32) -> PathBuf {
    Path::new(&std::env::var(DIR).unwrap()).join(format!("{kind}-{id}.log"))
}

/// A request whose code turned its scope up to DEBUG, with a file of its own.
#[scoped_logger(name = "plain.{id}", level = "debug", handler = FileHandler::create(task_file("plain", id)))]
fn plain(id: u32) -> std::io::Result<()> {
    for step in 0..3 {
        debug!("plain step {step}");
    }
    info!("plain info");
    warn!("plain warn");
    Ok(())
}

/// A scope at the default level with a file of its own.
#[scoped_logger(name = "files.{id}", handler = FileHandler::create(task_file("files", id)))]
fn files(id: u32) -> std::io::Result<()> {
    info!("files info");
    warn!("files warn");
    Ok(())
}

/// A failing request with a flight recorder and a summary.
#[scoped_logger(
    name = "http.{id}",
    level = "info",
    record_below = "debug",
    summary = true,
    err
)]
fn failing(id: u32) -> Result<(), String> {
    debug!("http trail {id}");
    info!("http info {id}");
    Err(format!("http boom {id}"))
}

/// A successful request with a summary.
#[scoped_logger(name = "okay.{id}", level = "debug", summary = true)]
fn succeeding(id: u32) {
    debug!("okay detail {id}");
}

/// An INFO request that calls a dependency logging through `log`.
#[scoped_logger(name = "req.{id}", level = "info")]
fn with_dependency(id: u32) {
    info!("req info {id}");
    #[cfg(feature = "log")]
    chatty::work_with_log(u64::from(id));
}

#[test]
fn child_entry() {
    if std::env::var(ROLE).is_err() {
        return;
    }
    let guard = scoped_logger::init().expect("the first init");
    plain(1).unwrap();
    files(1).unwrap();
    let _ = failing(1);
    succeeding(1);
    with_dependency(1);
    error!("the program's own error");
    assert!(guard.shutdown(), "stderr is read: everything written");
}

/// What the child wrote to stderr (lines), and its per-task files.
struct Run {
    stderr: Vec<String>,
    dir: tempfile::TempDir,
}

impl Run {
    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    fn has(&self, text: &str) -> bool {
        self.stderr.iter().any(|l| l.contains(text))
    }

    fn lines_of(&self, logger: &str) -> Vec<&String> {
        self.stderr
            .iter()
            .filter(|l| l.contains(&format!(" {logger}")))
            .collect()
    }
}

fn run(rust_log: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE, "1")
        .env(DIR, dir.path())
        .env("RUST_LOG", rust_log)
        .env("RUST_LOG_STYLE", "never")
        .output()
        .unwrap();
    assert!(out.status.success(), "child failed: {out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    Run {
        stderr: stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect(),
        dir,
    }
}

#[test]
fn off_prints_nothing_at_all() {
    let r = run("off");
    assert!(r.stderr.is_empty(), "{:#?}", r.stderr);
    // The task's own file still gets what its code asked for.
    assert!(r.file("plain-1.log").contains("plain step 0"));
}

#[test]
fn a_bare_warn_keeps_a_debug_scope_off_the_terminal_but_in_its_file() {
    let r = run("warn");
    assert!(!r.has("plain step"), "{:#?}", r.stderr);
    assert!(!r.has("plain info"), "{:#?}", r.stderr);
    assert!(r.has("plain warn"), "{:#?}", r.stderr);
    let file = r.file("plain-1.log");
    assert_eq!(file.matches("plain step").count(), 3, "{file}");
    assert!(file.contains("plain info"), "{file}");
    // The failing request's ERROR is shown, so its replayed trail is too, and its ERROR summary.
    assert!(r.has("http boom 1"), "{:#?}", r.stderr);
    assert!(
        r.has("http trail 1"),
        "the replay is shown with its failure: {:#?}",
        r.stderr
    );
    assert!(r.has("task err"), "{:#?}", r.stderr);
    // A successful task's INFO summary is filtered like any INFO record.
    assert!(!r.has("task ok"), "{:#?}", r.stderr);
    assert!(r.has("the program's own error"));
    // The files scope at the default: its INFO reaches neither stderr nor its file.
    assert!(!r.has("files info"));
    assert!(!r.file("files-1.log").contains("files info"));
    assert!(r.file("files-1.log").contains("files warn"));
}

#[test]
fn a_named_directive_turns_a_scope_down_below_its_code_level() {
    let r = run("warn,plain=warn");
    assert!(r.lines_of("plain.1").iter().all(|l| l.contains("WARN")));
    assert!(r.has("plain warn"));
    // Not made at all: the task's own file has no DEBUG either.
    let file = r.file("plain-1.log");
    assert!(!file.contains("plain step"), "{file}");
    assert!(!file.contains("plain info"), "{file}");
}

#[test]
fn off_for_a_logger_silences_its_records_replays_and_summaries() {
    let r = run("warn,http=off");
    assert!(r.lines_of("http.1").is_empty(), "{:#?}", r.stderr);
    assert!(!r.has("http "), "{:#?}", r.stderr);
    assert!(r.has("plain warn"));
}

#[test]
fn error_hides_the_ok_summaries() {
    let r = run("error");
    assert!(!r.has("task ok"), "{:#?}", r.stderr);
    assert!(!r.has("WARN"), "{:#?}", r.stderr);
    assert!(r.has("http boom 1"));
    assert!(r.has("the program's own error"));
}

#[test]
fn a_named_directive_opens_a_scope_up_and_its_file_gets_it() {
    let r = run("warn,files=info");
    assert!(r.has("files info"), "{:#?}", r.stderr);
    assert!(r.file("files-1.log").contains("files info"));
    assert!(!r.has("plain step"), "{:#?}", r.stderr);
}

#[cfg(feature = "log")]
#[test]
fn a_dependencys_directive_holds_inside_an_info_scope() {
    let r = run("info,chatty=debug");
    assert!(r.has("chatty detail"), "{:#?}", r.stderr);
    assert!(r.has("chatty working on 1"), "{:#?}", r.stderr);
    // The INFO scopes stay INFO: the debug scope's DEBUG lines are the bare level's to hide.
    assert!(!r.has("plain step"), "{:#?}", r.stderr);
    assert!(r.has("plain info"), "{:#?}", r.stderr);
    // Without the directive, the dependency's DEBUG stays out of the INFO scope.
    let r = run("info");
    assert!(r.has("chatty working on 1"), "{:#?}", r.stderr);
    assert!(!r.has("chatty detail"), "{:#?}", r.stderr);
    // And a directive turning the dependency down holds in a scope that is more verbose.
    let r = run("debug,chatty=warn");
    assert!(!r.has("chatty"), "{:#?}", r.stderr);
    assert!(r.has("plain step 0"), "{:#?}", r.stderr);
}
