//! Shutdown at the edges: bounded in total whatever the handlers' `flush`/`close` do, flush run
//! once, `close` never under a `handle` still running on another thread, a shared handler
//! closed exactly once, and a panicking flush or close reported by `ScopedLogger::close`.
//!
//! No sleeps synchronise anything here: threads meet on channels and gates; a handler that
//! "hangs" waits on a gate the test opens at the end (with a failsafe so a regression fails
//! instead of hanging the suite).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use scoped_logger::{Handler, Level, MemoryHandler, Record, Registry};

const FAILSAFE: Duration = Duration::from_secs(3);

/// Opens once; `wait` returns when it is open, or after the failsafe.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn open(&self) {
        *self.0.0.lock().unwrap() = true;
        self.0.1.notify_all();
    }
    fn wait(&self) {
        let (lock, cv) = &*self.0;
        let open = lock.lock().unwrap();
        let _unused = cv
            .wait_timeout_while(open, FAILSAFE, |open| !*open)
            .unwrap();
    }
}

/// A user handler whose `flush` hangs until the gate opens; it tells when it closes.
struct HangingFlush {
    gate: Gate,
    flushes: Arc<AtomicUsize>,
    closed: mpsc::Sender<()>,
}

impl Handler for HangingFlush {
    fn handle(&self, _record: &Record<'_>) {}
    fn flush(&self) {
        self.flushes.fetch_add(1, Ordering::SeqCst);
        self.gate.wait();
    }
    fn close(&self) {
        let _ = self.closed.send(());
    }
}

#[test]
fn shutdown_is_bounded_in_total_with_many_hanging_flushes() {
    let reg = Registry::new();
    let gate = Gate::default();
    let flushes = Arc::new(AtomicUsize::new(0));
    let (tx, closed) = mpsc::channel();
    const N: usize = 5;
    for i in 0..N {
        let log = reg.logger(&format!("h{i}"));
        log.add_handler(HangingFlush {
            gate: gate.clone(),
            flushes: flushes.clone(),
            closed: tx.clone(),
        });
        log.log(Level::Warn, format_args!("record {i}"));
    }
    drop(tx);
    let deadline = Duration::from_millis(200);
    let began = Instant::now();
    let all_written = reg.shutdown(deadline);
    let took = began.elapsed();
    // Five 3 s flushes one after the other would be 15 s; the bound is one deadline in total
    // (a second of slack for a loaded machine, far below even one hanging flush).
    assert!(
        took < deadline + Duration::from_secs(1),
        "shutdown({deadline:?}) took {took:?}"
    );
    assert!(!all_written, "hanging flushes: something was left");
    gate.open();
    for _ in 0..N {
        closed
            .recv_timeout(Duration::from_secs(10))
            .expect("each handler is closed once its flush returns");
    }
    assert!(closed.recv().is_err(), "closed once each, no more");
    assert_eq!(
        flushes.load(Ordering::SeqCst),
        N,
        "each flushed once, not twice"
    );
}

#[test]
fn shutdown_flushes_once_then_closes() {
    let reg = Registry::new();
    let mem = MemoryHandler::new();
    reg.root().add_handler(mem.clone());
    reg.root().log(Level::Warn, format_args!("one"));
    assert!(reg.shutdown(Duration::from_secs(5)));
    assert_eq!(mem.flush_count(), 1, "flush must not run twice");
    assert_eq!(mem.close_count(), 1);
}

/// A handler whose `handle` waits on a gate; `close` notes whether a `handle` was running.
struct SlowHandle {
    entered: mpsc::SyncSender<()>,
    gate: Gate,
    inside: AtomicUsize,
    closed_under_handle: Arc<AtomicBool>,
    closes: Arc<AtomicUsize>,
}

impl Handler for SlowHandle {
    fn handle(&self, _record: &Record<'_>) {
        self.inside.fetch_add(1, Ordering::SeqCst);
        let _ = self.entered.try_send(());
        self.gate.wait();
        self.inside.fetch_sub(1, Ordering::SeqCst);
    }
    fn close(&self) {
        if self.inside.load(Ordering::SeqCst) != 0 {
            self.closed_under_handle.store(true, Ordering::SeqCst);
        }
        self.closes.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn shutdown_never_closes_under_a_handle_in_flight() {
    let reg = Registry::new();
    let (entered_tx, entered) = mpsc::sync_channel(1);
    let gate = Gate::default();
    let under = Arc::new(AtomicBool::new(false));
    let closes = Arc::new(AtomicUsize::new(0));
    let log = reg.logger("busy");
    log.add_handler(SlowHandle {
        entered: entered_tx,
        gate: gate.clone(),
        inside: AtomicUsize::new(0),
        closed_under_handle: under.clone(),
        closes: closes.clone(),
    });
    let writer = {
        let log = log.clone();
        std::thread::spawn(move || log.log(Level::Warn, format_args!("in flight")))
    };
    entered
        .recv_timeout(FAILSAFE)
        .expect("the record is in `handle`");
    reg.shutdown(Duration::from_millis(50));
    assert_eq!(
        closes.load(Ordering::SeqCst),
        0,
        "still inside `handle`: the last one to leave closes it"
    );
    gate.open();
    writer.join().unwrap();
    assert_eq!(
        closes.load(Ordering::SeqCst),
        1,
        "closed by the record leaving"
    );
    assert!(
        !under.load(Ordering::SeqCst),
        "close ran while handle was running"
    );
}

#[test]
fn a_shared_handler_removed_and_attached_again_is_closed_once() {
    let reg = Registry::new();
    let mem = MemoryHandler::new();
    let shared: Arc<dyn Handler> = Arc::new(mem.clone());
    let log = reg.logger("shared");
    let id = log.add_shared_handler(shared.clone());
    assert!(log.remove_handler(id));
    assert_eq!(mem.close_count(), 1, "the last logger let go: closed");
    let id = log.add_shared_handler(shared.clone());
    log.log(Level::Warn, format_args!("after re-attach"));
    assert!(log.remove_handler(id));
    reg.logger("other").add_shared_handler(shared.clone());
    assert!(reg.shutdown(Duration::from_secs(5)));
    assert_eq!(mem.close_count(), 1, "close runs exactly once");
    assert_eq!(mem.len(), 1, "the record after re-attaching still arrived");
}

/// A handler whose flush and close panic.
struct Panicky;

impl Handler for Panicky {
    fn handle(&self, _record: &Record<'_>) {}
    fn flush(&self) {
        panic!("flush failed on purpose");
    }
    fn close(&self) {
        panic!("close failed on purpose");
    }
    fn target(&self) -> Option<String> {
        Some("the-target".into())
    }
}

#[test]
fn scope_close_reports_a_panicking_flush_or_close_naming_the_handler() {
    let reg = Registry::new();
    let scope = reg
        .scope("panicky")
        .handler(|| Ok::<_, std::io::Error>(Panicky))
        .enter()
        .unwrap();
    scope.log(Level::Warn, format_args!("x"));
    let err = scope.close().expect_err("flush and close panicked");
    let text = err.to_string();
    assert!(
        text.contains("Panicky(the-target)"),
        "names the kind and target: {text}"
    );
}

/// A writer that waits on a gate: an output nobody reads.
struct Stalled(Gate);

impl std::io::Write for Stalled {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.wait();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn shutdown_is_bounded_in_total_with_many_stalled_writers() {
    let reg = Registry::new();
    let gate = Gate::default();
    for i in 0..5 {
        let log = reg.logger(&format!("nb{i}"));
        log.add_handler(scoped_logger::handler::NonBlocking::new(Stalled(
            gate.clone(),
        )));
        for j in 0..10 {
            log.log(Level::Warn, format_args!("record {j}"));
        }
    }
    let deadline = Duration::from_millis(100);
    let began = Instant::now();
    let all_written = reg.shutdown(deadline);
    let took = began.elapsed();
    // Each handler's own close waits 1 s by default: five in a row would be 5 s.
    assert!(
        took < deadline + Duration::from_millis(800),
        "shutdown({deadline:?}) took {took:?}"
    );
    assert!(!all_written, "stalled writers: something was left");
    gate.open();
}

const ROLE: &str = "SCOPED_LOGGER_SHUTDOWN_CHILD";

/// The child's side of `dropping_the_init_guard_is_bounded_too`: does nothing in a normal run.
#[test]
fn child_entry() {
    if std::env::var(ROLE).is_err() {
        return;
    }
    let guard = scoped_logger::InitBuilder::new()
        .flush_deadline(Duration::from_millis(200))
        .init()
        .unwrap();
    let (tx, _closed) = mpsc::channel();
    // Never opened: the flush hangs for the failsafe (3 s) on whichever thread runs it.
    let gate = Gate::default();
    for _ in 0..3 {
        scoped_logger::root().add_handler(HangingFlush {
            gate: gate.clone(),
            flushes: Arc::default(),
            closed: tx.clone(),
        });
    }
    let began = Instant::now();
    drop(guard);
    println!("\ntook_ms={}", began.elapsed().as_millis());
}

#[test]
fn dropping_the_init_guard_is_bounded_too() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE, "1")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let took: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("took_ms="))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no figure in {stdout:?}"));
    // Three hanging 3 s flushes one after the other would be 9 s (18 s run twice).
    assert!(took < 1200, "dropping the guard took {took} ms");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("3 handler(s) not flushed and closed by the deadline: HangingFlush@"),
        "what was left is named: {stderr}"
    );
}
