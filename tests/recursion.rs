//! Handlers that log: a record logged from inside a handler into that same handler on the same
//! thread is refused and counted (never a deadlock, never a stack overflow), and handlers calling
//! each other through the tree stop at `MAX_HANDLER_DEPTH`.

use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use scoped_logger::handler::{MAX_HANDLER_DEPTH, recursion_dropped_count};
use scoped_logger::{Handler, Level, Logger, Record, Registry, StreamHandler};

/// Logs every record it gets to `next` (itself, or the next logger of a chain).
struct Relay {
    next: Logger,
    handled: Arc<AtomicUsize>,
}

impl Handler for Relay {
    fn handle(&self, record: &Record<'_>) {
        self.handled.fetch_add(1, Ordering::SeqCst);
        self.next
            .log(Level::Warn, format_args!("relayed: {}", record.args()));
    }
}

#[test]
fn a_handler_logging_to_its_own_logger_is_refused_and_counted() {
    let reg = Registry::new();
    let log = reg.logger("self");
    log.set_propagate(false);
    let handled = Arc::new(AtomicUsize::new(0));
    log.add_handler(Relay {
        next: log.clone(),
        handled: handled.clone(),
    });
    let before = recursion_dropped_count();
    log.log(Level::Warn, format_args!("hello"));
    assert_eq!(handled.load(Ordering::SeqCst), 1, "the re-entry is refused");
    assert!(recursion_dropped_count() > before, "and counted");
}

#[test]
fn handlers_calling_each_other_stop_at_the_depth_limit() {
    let reg = Registry::new();
    let n = MAX_HANDLER_DEPTH + 4;
    let loggers: Vec<Logger> = (0..n)
        .map(|i| {
            let l = reg.logger(&format!("chain{i}"));
            l.set_propagate(false);
            l
        })
        .collect();
    let handled: Vec<Arc<AtomicUsize>> = (0..n).map(|_| Arc::default()).collect();
    for i in 0..n - 1 {
        loggers[i].add_handler(Relay {
            next: loggers[i + 1].clone(),
            handled: handled[i].clone(),
        });
    }
    let before = recursion_dropped_count();
    loggers[0].log(Level::Warn, format_args!("start"));
    let reached: Vec<usize> = handled.iter().map(|h| h.load(Ordering::SeqCst)).collect();
    assert_eq!(
        reached.iter().sum::<usize>(),
        MAX_HANDLER_DEPTH,
        "one handler per level, up to the limit: {reached:?}"
    );
    assert!(recursion_dropped_count() > before);
}

/// A writer that logs through the tree on every write (a dependency calling `log::warn!`).
struct Chatty(Logger);

impl Write for Chatty {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .log(Level::Warn, format_args!("writing {} bytes", buf.len()));
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.log(Level::Warn, format_args!("flushing"));
        Ok(())
    }
}

#[test]
fn a_stream_handler_whose_writer_logs_does_not_deadlock() {
    let reg = Registry::new();
    let log = reg.logger("chatty");
    log.add_handler(StreamHandler::new(Chatty(log.clone())));
    let (done_tx, done) = mpsc::channel();
    // On its own thread: a deadlock fails the test instead of hanging the suite.
    std::thread::spawn(move || {
        log.log(Level::Warn, format_args!("one"));
        assert!(reg.shutdown(Duration::from_secs(5)));
        done_tx.send(()).unwrap();
    });
    done.recv_timeout(Duration::from_secs(20))
        .expect("the writer's own records are refused, not waited for");
}
