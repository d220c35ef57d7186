//! Panics as failures worth reading: with `install_panic_hook()`, a panic inside a scope is
//! logged once (on the innermost scope, not once per enclosing one) with its message and
//! location, the summary of every scope it ends carries them, and the previous hook still runs.
//!
//! The hook is process-wide: every test here installs it through `setup()`, and counts the
//! previous hook's calls per thread so that the tests may run in parallel.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{LazyLock, Once};

use scoped_logger::{MemoryHandler, OwnedRecord, Registry, scoped_logger};

thread_local! {
    static PREVIOUS_CALLS: Cell<usize> = const { Cell::new(0) };
}

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The hook ours must chain to: it counts, and keeps the expected panics' messages off
        // the test output (a failing assertion is still printed).
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PREVIOUS_CALLS.with(|c| c.set(c.get() + 1));
            let msg = info.payload().downcast_ref::<String>().map(String::as_str);
            let msg = msg.or_else(|| info.payload().downcast_ref::<&str>().copied());
            if !matches!(msg, Some("boom 1" | "outside" | "caught")) {
                default(info);
            }
        }));
        scoped_logger::install_panic_hook();
        scoped_logger::install_panic_hook(); // a second call installs nothing more
    });
}

fn str_of(r: &OwnedRecord, key: &str) -> Option<String> {
    r.value(key).map(|v| v.to_string())
}

static NESTED: LazyLock<Registry> = LazyLock::new(Registry::new);

#[scoped_logger("outer", registry = &NESTED, handler = mem.clone(), summary = true)]
fn outer(mem: &MemoryHandler) {
    inner(mem);
}

// No handler of its own: its records reach `outer`'s through propagation, each once.
#[scoped_logger(".inner", registry = &NESTED, summary = true)]
fn inner(mem: &MemoryHandler) {
    let _ = mem;
    let n: u32 = "x".len() as u32;
    if n == 1 {
        panic!("boom {n}");
    }
}

#[test]
fn a_panic_is_logged_once_and_every_summary_carries_it() {
    setup();
    let mem = MemoryHandler::new();
    let before = PREVIOUS_CALLS.with(Cell::get);
    assert!(catch_unwind(AssertUnwindSafe(|| outer(&mem))).is_err());
    assert_eq!(
        PREVIOUS_CALLS.with(Cell::get),
        before + 1,
        "the previous hook runs once"
    );
    let recs = mem.records();
    let panics: Vec<&OwnedRecord> = recs.iter().filter(|r| r.message == "panicked").collect();
    assert_eq!(panics.len(), 1, "{recs:#?}");
    // Logged on `inner` (the innermost current scope) only, not again by `outer`.
    assert_eq!(panics[0].logger, "outer.inner");
    assert_eq!(str_of(panics[0], "panic").as_deref(), Some("boom 1"));
    let location = str_of(panics[0], "location").unwrap();
    assert!(location.starts_with("tests/panics.rs:"), "{location}");

    let summaries: Vec<&OwnedRecord> = recs
        .iter()
        .filter(|r| r.value("outcome").is_some())
        .collect();
    assert_eq!(summaries.len(), 2, "{recs:#?}");
    for s in summaries {
        assert_eq!(str_of(s, "outcome").as_deref(), Some("panic"));
        assert_eq!(str_of(s, "panic").as_deref(), Some("boom 1"));
        assert_eq!(str_of(s, "location"), Some(location.clone()));
    }
}

#[test]
fn outside_any_scope_nothing_is_logged_and_the_previous_hook_runs() {
    setup();
    let reg = Registry::new();
    let mem = MemoryHandler::new();
    reg.root().add_handler(mem.clone());
    let before = PREVIOUS_CALLS.with(Cell::get);
    assert!(catch_unwind(|| panic!("outside")).is_err());
    assert_eq!(PREVIOUS_CALLS.with(Cell::get), before + 1);
    assert!(mem.records().is_empty());
}

static LATER: LazyLock<Registry> = LazyLock::new(Registry::new);

// `level = "info"`: an `ok` summary is an INFO record, filtered like any other (the root's
// default is WARN).
#[scoped_logger("later", registry = &LATER, level = "info", handler = mem.clone(), summary = true)]
fn caught_then_ok(mem: &MemoryHandler) {
    let _ = catch_unwind(|| panic!("caught"));
}

#[test]
fn a_caught_panic_is_logged_and_the_scope_still_ends_ok() {
    setup();
    let mem = MemoryHandler::new();
    caught_then_ok(&mem);
    let recs = mem.records();
    let panics: Vec<&OwnedRecord> = recs.iter().filter(|r| r.message == "panicked").collect();
    assert_eq!(panics.len(), 1);
    assert_eq!(str_of(panics[0], "panic").as_deref(), Some("caught"));
    let summary = recs.iter().find(|r| r.value("outcome").is_some()).unwrap();
    assert_eq!(str_of(summary, "outcome").as_deref(), Some("ok"));
    assert_eq!(summary.value("panic"), None, "it did not end by the panic");
}

const CHILD: &str = "SCOPED_LOGGER_PANIC_CHILD";

#[scoped_logger("jobs.{id}", fields(id))]
fn job(id: u32) {
    if id > 0 {
        panic!("job {id} failed");
    }
}

/// The child's side (this binary run again with `SCOPED_LOGGER_PANIC_CHILD` set): `init()`,
/// then a panic in a scope, caught so that the child exits normally. Does nothing in a normal
/// test run.
#[test]
fn panic_child_entry() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let guard = scoped_logger::init().expect("the first init succeeds");
    assert!(catch_unwind(|| job(7)).is_err());
    assert!(guard.shutdown(), "stderr is read: everything written");
}

/// The record of a panic reaches stderr before the default hook prints the panic's message and
/// backtrace, not somewhere inside them: the hook waits for it to be written, then chains.
#[test]
fn the_panic_record_is_written_before_the_default_hooks_message() {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "panic_child_entry",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("RUST_BACKTRACE", "1")
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed: {stderr}");
    let record = stderr
        .find("ERROR jobs.7: panicked panic=\"job 7 failed\"")
        .unwrap_or_else(|| panic!("no panic record: {stderr}"));
    // "thread 'panic_child_entry' (1234) panicked at tests/panics.rs:..".
    let hook = stderr
        .find("thread 'panic_child_entry'")
        .filter(|at| {
            stderr[*at..]
                .lines()
                .next()
                .unwrap()
                .contains(" panicked at ")
        })
        .unwrap_or_else(|| panic!("no default hook message: {stderr}"));
    assert!(
        record < hook,
        "the record came after the hook began: {stderr}"
    );
    // On a line of its own, with the scope's fields.
    let line = stderr[record..].lines().next().unwrap();
    assert!(line.contains("id=7"), "{line}");
}
