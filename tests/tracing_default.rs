//! With the feature `tracing`, `init()` and `init_for_tests()` make the `tracing` bridge the
//! global `tracing` subscriber, so a library's `tracing::warn!` is written like its `log::warn!`
//! without the program wiring a layer; a global subscriber the program set first is kept.
//!
//! The global subscriber is once per process, so each case runs in a child: this test binary
//! run again (`current_exe`) with `SCOPED_LOGGER_TRACING_CHILD` naming its role.
#![cfg(feature = "tracing")]

use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

const ROLE: &str = "SCOPED_LOGGER_TRACING_CHILD";
const MESSAGE: &str = "the library's tracing event";

/// The child's side: does nothing in a normal test run.
#[test]
fn child_entry() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    match role.as_str() {
        "init" => {
            let guard = scoped_logger::init().expect("the first init");
            tracing::warn!(target: "some_lib", attempt = 2, "{MESSAGE}");
            assert!(guard.shutdown(), "stderr is read: everything written");
        }
        "init_for_tests" => {
            scoped_logger::init_for_tests();
            let seen = scoped_logger::MemoryHandler::new();
            scoped_logger::logger("some_lib").add_handler(seen.clone());
            tracing::warn!(target: "some_lib", attempt = 2, "{MESSAGE}");
            let records = seen.records();
            assert_eq!(records.len(), 1, "{records:?}");
            assert_eq!(records[0].message, MESSAGE);
            assert_eq!(records[0].value("attempt").unwrap().to_string(), "2");
        }
        "own_subscriber" => own_subscriber_child(),
        other => panic!("unknown child role {other}"),
    }
}

static THEIRS: AtomicUsize = AtomicUsize::new(0);

/// The program's own subscriber: counts the events it gets.
struct Count;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Count {
    fn on_event(&self, _: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        THEIRS.fetch_add(1, Ordering::Relaxed);
    }
}

fn own_subscriber_child() {
    use tracing_subscriber::layer::SubscriberExt as _;
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Count))
        .expect("the program's subscriber is the first");
    let guard = scoped_logger::init().expect("init still succeeds");
    tracing::warn!(target: "some_lib", "{MESSAGE}");
    assert_eq!(
        THEIRS.load(Ordering::Relaxed),
        1,
        "the program's own subscriber keeps the events"
    );
    // The `log` side is still installed and writes.
    log::warn!(target: "some_lib", "a log record");
    assert!(guard.shutdown());
}

fn run_child(role: &str) -> Output {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "child {role} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[test]
fn a_tracing_event_after_init_reaches_stderr() {
    let output = run_child("init");
    let stderr = String::from_utf8(output.stderr).unwrap();
    let line = stderr
        .lines()
        .find(|l| l.contains(MESSAGE))
        .unwrap_or_else(|| panic!("no tracing record on stderr: {stderr}"));
    assert!(
        line.contains(" WARN some_lib: ") && line.contains("attempt=2"),
        "{line}"
    );
}

#[test]
fn a_tracing_event_after_init_for_tests_reaches_the_tree_and_the_capture() {
    let output = run_child("init_for_tests");
    // With --nocapture the harness passes the test handler's lines through.
    let shown =
        String::from_utf8(output.stdout).unwrap() + &String::from_utf8(output.stderr).unwrap();
    assert!(
        shown
            .lines()
            .any(|l| l.contains(" WARN some_lib: ") && l.contains(MESSAGE)),
        "{shown}"
    );
}

#[test]
fn a_subscriber_the_program_set_first_is_kept() {
    let output = run_child("own_subscriber");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains(MESSAGE), "{stderr}");
    assert!(stderr.contains(" WARN some_lib: a log record"), "{stderr}");
}
