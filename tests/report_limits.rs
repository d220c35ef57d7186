//! Reports are bounded: the same handler kind and target failing in 500 scopes writes one line
//! per interval and a final count, not 500 lines; a panic report names the handler.
//!
//! The child is this test binary run again with `SCOPED_LOGGER_REPORT_CHILD` set; the parent
//! reads its stderr.

use std::process::Command;
use std::time::Duration;

use scoped_logger::{FileHandler, Handler, Level, Record, Registry};

const ROLE: &str = "SCOPED_LOGGER_REPORT_CHILD";
const SCOPES: usize = 500;

struct PanicsInHandle;

impl Handler for PanicsInHandle {
    fn handle(&self, _record: &Record<'_>) {
        panic!("handle failed on purpose");
    }
}

/// The child's side: does nothing in a normal test run.
#[test]
fn child_entry() {
    if std::env::var(ROLE).is_err() {
        return;
    }
    std::panic::set_hook(Box::new(|_| {}));
    let reg = Registry::new();
    for i in 0..SCOPES {
        let scope = reg
            .scope(&format!("jobs.{i}"))
            .handler(|| FileHandler::create("/dev/full"))
            .handler(|| Ok::<_, std::io::Error>(PanicsInHandle))
            .enter()
            .unwrap();
        scope.log(Level::Warn, format_args!("job {i}"));
        let _ = scope.close();
    }
    reg.shutdown(Duration::from_secs(5));
}

#[test]
fn a_handler_failing_in_500_scopes_gives_a_bounded_report() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE, "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "child failed: {out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let full: Vec<&str> = stderr.lines().filter(|l| l.contains("/dev/full")).collect();
    assert!(
        !full.is_empty() && full.len() <= 2,
        "one report and a final count, not {}: {full:#?}",
        full.len()
    );
    assert!(
        full.iter().any(|l| l.contains(&format!("{}", SCOPES - 1))),
        "the final count says how many were held back: {full:#?}"
    );
    let panics: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("panicked while"))
        .collect();
    assert!(
        !panics.is_empty() && panics.len() <= 2,
        "bounded panic reports: {panics:#?}"
    );
    assert!(
        panics[0].contains("PanicsInHandle"),
        "the report names the handler: {}",
        panics[0]
    );
}

/// A writer that always fails.
struct BrokenPipe;

impl std::io::Write for BrokenPipe {
    fn write(&mut self, _buf: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_stream_handler_error_names_its_writer() {
    let handler = scoped_logger::StreamHandler::new(BrokenPipe);
    let reg = Registry::new();
    let shared: std::sync::Arc<dyn Handler> = std::sync::Arc::new(handler);
    reg.root().add_shared_handler(shared.clone());
    reg.root().log(Level::Warn, format_args!("lost"));
    let err = shared.take_error().expect("the write failed");
    assert!(err.to_string().contains("BrokenPipe"), "{err}");
}
