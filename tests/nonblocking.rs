//! The never-blocking writer in-process, against a writer the test holds shut: the blocking
//! policies block (and `BlockFor` bounds it), the byte limit holds under huge messages, flush and
//! close give up at their deadline, and lines from many threads never interleave.
//!
//! No sleeps: the stalled writer signals when the worker has entered `write`, and "still
//! blocked" is shown by a producer that has not sent on its channel.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use scoped_logger::format::JsonFormat;
use scoped_logger::handler::NonBlocking;
use scoped_logger::handler::queue::{Policy, QueueOptions};
use scoped_logger::{Handler, Level, Registry};

const FAILSAFE: Duration = Duration::from_secs(60);

/// A writer that can be held shut: `write` waits while the gate is shut, and counts entries so
/// the test knows when the worker is stuck in it.
#[derive(Clone, Default)]
struct Stall(Arc<(Mutex<StallState>, Condvar)>);

#[derive(Default)]
struct StallState {
    shut: bool,
    entered: usize,
    out: Vec<u8>,
    /// Fail the next write (then work again).
    fail_next: bool,
}

impl Stall {
    fn shut() -> Stall {
        let s = Stall::default();
        s.0.0.lock().shut = true;
        s
    }

    /// Waits until the worker has entered `write` at least `n` times.
    fn wait_entered(&self, n: usize) {
        let (m, cv) = &*self.0;
        let mut st = m.lock();
        let end = Instant::now() + FAILSAFE;
        while st.entered < n {
            assert!(
                !cv.wait_until(&mut st, end).timed_out(),
                "failsafe: the worker never called write"
            );
        }
    }

    fn release(&self) {
        let (m, cv) = &*self.0;
        m.lock().shut = false;
        cv.notify_all();
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.0.lock().out.clone()).unwrap()
    }
}

impl Write for Stall {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (m, cv) = &*self.0;
        let mut st = m.lock();
        st.entered += 1;
        cv.notify_all();
        while st.shut {
            cv.wait(&mut st);
        }
        if std::mem::take(&mut st.fail_next) {
            return Err(io::Error::other("the disk is on fire"));
        }
        // Take at most 1000 bytes per call: partial writes must not split records.
        let n = buf.len().min(1000);
        st.out.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn far() -> Instant {
    Instant::now() + FAILSAFE
}

/// A registry whose root writes to `handler` (all levels).
fn tree(handler: &Arc<NonBlocking>) -> Registry {
    let reg = Registry::new();
    reg.root().set_level(scoped_logger::LevelFilter::Trace);
    reg.root().add_shared_handler(handler.clone());
    reg
}

#[test]
fn block_for_waits_at_least_its_bound_then_drops_and_reports() {
    let out = Stall::shut();
    let h = Arc::new(
        NonBlocking::new(out.clone())
            .queue(
                QueueOptions::default()
                    .capacity(2)
                    .policy(Policy::BlockFor(Duration::from_millis(50))),
            )
            .format(JsonFormat)
            .target_name("the test pipe"),
    );
    let reg = tree(&h);
    let root = reg.root();
    root.log(Level::Info, format_args!("one"));
    out.wait_entered(1); // "one" is being written: it still counts against the capacity
    root.log(Level::Info, format_args!("two"));
    assert_eq!(h.queued(), 2);

    let start = Instant::now();
    root.log(Level::Info, format_args!("three"));
    assert!(
        start.elapsed() >= Duration::from_millis(50),
        "BlockFor(50ms) returned after {:?}",
        start.elapsed()
    );
    assert_eq!(h.dropped(), 1);

    out.release();
    assert!(h.flush_by(far()));
    root.log(Level::Info, format_args!("four"));
    assert!(h.flush_by(far()));

    let lines: Vec<serde_json::Value> = out
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let messages: Vec<&str> = lines
        .iter()
        .map(|v| v["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "one",
            "two",
            "1 records dropped while the test pipe was not being read",
            "four"
        ]
    );
    // The report is a WARN record of the library's logger, in the handler's format.
    assert_eq!(lines[2]["level"], "WARN");
    assert_eq!(lines[2]["logger"], "scoped_logger");
}

#[test]
fn block_waits_until_the_writer_is_released_and_loses_nothing() {
    let out = Stall::shut();
    let h = Arc::new(
        NonBlocking::new(out.clone())
            .queue(QueueOptions::default().capacity(2).policy(Policy::Block)),
    );
    let reg = tree(&h);
    let root = reg.root();
    root.log(Level::Info, format_args!("record 0"));
    out.wait_entered(1);
    root.log(Level::Info, format_args!("record 1"));

    let finished = Arc::new(AtomicBool::new(false));
    let (done_tx, done_rx) = mpsc::channel();
    let producer = {
        let root = root.clone();
        let finished = finished.clone();
        std::thread::spawn(move || {
            for i in 2..10 {
                root.log(Level::Info, format_args!("record {i}"));
            }
            finished.store(true, Ordering::SeqCst);
            done_tx.send(()).unwrap();
        })
    };
    // Still blocked: the producer has not got past its first record into a full queue.
    assert_eq!(
        done_rx.recv_timeout(Duration::from_millis(200)),
        Err(mpsc::RecvTimeoutError::Timeout)
    );
    assert!(!finished.load(Ordering::SeqCst));
    assert_eq!(h.queued(), 2);

    out.release();
    done_rx
        .recv_timeout(FAILSAFE)
        .expect("failsafe: the producer never got room");
    producer.join().unwrap();
    assert!(h.flush_by(far()));
    assert_eq!(h.dropped(), 0);
    let text = out.text();
    let got: Vec<&str> = text
        .lines()
        .map(|l| l.split_once(": ").unwrap().1)
        .collect();
    let want: Vec<String> = (0..10).map(|i| format!("record {i}")).collect();
    assert_eq!(got, want);
}

#[test]
fn lines_never_interleave_and_each_thread_keeps_its_order() {
    const THREADS: usize = 6;
    const PER_THREAD: usize = 3000;
    let out = Stall::default();
    // Block: nothing may be dropped, so every line can be accounted for; a small queue makes the
    // producers contend and wait.
    let h = Arc::new(
        NonBlocking::new(out.clone())
            .queue(QueueOptions::default().capacity(64).policy(Policy::Block)),
    );
    let reg = tree(&h);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let log = reg.logger(&format!("t{t}"));
            s.spawn(move || {
                for i in 0..PER_THREAD {
                    // Lengths vary so that lines straddle the writer's 1000-byte partial writes.
                    let pad = "x".repeat((i * 37 + t * 11) % 1500);
                    log.log(Level::Info, format_args!("seq={i} pad={pad} end"));
                }
            });
        }
    });
    assert!(h.flush_by(far()));
    assert_eq!(h.dropped(), 0);

    let text = out.text();
    let mut next = [0usize; THREADS];
    for line in text.lines() {
        let (head, msg) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("mangled: {line}"));
        let logger = head.rsplit(' ').next().unwrap();
        assert!(head.contains(" INFO t"), "mangled head: {head}");
        let t: usize = logger[1..].parse().unwrap();
        let rest = msg.strip_prefix("seq=").unwrap();
        let (seq, rest) = rest.split_once(" pad=").unwrap();
        let seq: usize = seq.parse().unwrap();
        let pad = rest.strip_suffix(" end").unwrap();
        assert_eq!(pad.len(), (seq * 37 + t * 11) % 1500, "line cut: {line}");
        assert!(pad.bytes().all(|b| b == b'x'), "foreign bytes in {line}");
        assert_eq!(seq, next[t], "thread {t} out of order");
        next[t] += 1;
    }
    assert_eq!(next, [PER_THREAD; THREADS]);
}

#[test]
fn byte_capacity_holds_under_huge_messages() {
    const CAP: usize = 1_000_000;
    let out = Stall::shut();
    let h = Arc::new(
        NonBlocking::new(out.clone()).queue(
            QueueOptions::default()
                .capacity(1_000_000)
                .capacity_bytes(CAP),
        ),
    );
    let reg = tree(&h);
    let root = reg.root();
    root.log(Level::Info, format_args!("small"));
    out.wait_entered(1);

    let huge = "h".repeat(10_000_000);
    let big = "b".repeat(300_000);
    let mut expected_drops = 0;
    for round in 0..4 {
        root.log(Level::Info, format_args!("{huge}"));
        expected_drops += 1; // larger than the whole byte capacity: never queued
        assert!(
            h.queued_bytes() <= CAP,
            "round {round}: {}",
            h.queued_bytes()
        );
        for _ in 0..3 {
            root.log(Level::Info, format_args!("{big}"));
            assert!(h.queued_bytes() <= CAP, "{}", h.queued_bytes());
        }
    }
    // "small" plus three 300 kB lines fit in 1 MB; every later 300 kB line was dropped.
    expected_drops += 4 * 3 - 3;
    assert_eq!(h.dropped(), expected_drops);
    assert_eq!(h.queued(), 4);

    out.release();
    assert!(h.flush_by(far()));
    let text = out.text();
    let lines: Vec<&str> = text.lines().collect();
    let report = |n: u64| {
        format!("WARN scoped_logger: {n} records dropped while the output was not being read")
    };
    let too_large = |n: u64| {
        format!(
            "WARN scoped_logger: {n} records dropped: each was larger than the queue's byte capacity"
        )
    };
    // Each report sits where its records are missing: the first huge line went between "small"
    // and the first big line, the rest after the third big line.
    assert_eq!(lines.len(), 6);
    assert!(lines[0].ends_with("INFO root: small"));
    assert!(lines[1].ends_with(&too_large(1)), "{}", lines[1]);
    for big_line in &lines[2..5] {
        assert!(big_line.ends_with(&big), "a big line was cut");
    }
    assert!(
        lines[5].ends_with(&report(expected_drops - 1)),
        "{}",
        lines[5]
    );
}

#[test]
fn flush_and_close_give_up_at_the_deadline_with_a_stalled_writer() {
    let out = Stall::shut();
    let h = Arc::new(
        NonBlocking::new(out.clone())
            // Waits with no deadline of their own must not use this once the writer is stalled.
            .queue(QueueOptions::default().flush_timeout(Duration::from_secs(3600))),
    );
    let reg = tree(&h);
    let root = reg.root();
    for i in 0..3 {
        root.log(Level::Info, format_args!("record {i}"));
        out.wait_entered(1);
    }

    let start = Instant::now();
    assert!(!h.flush_by(start + Duration::from_millis(50)));
    assert!(start.elapsed() >= Duration::from_millis(50));
    assert_eq!(h.queued(), 3, "what was left unwritten");

    let start = Instant::now();
    assert!(!h.close_by(start + Duration::from_millis(50)));
    assert_eq!(h.queued(), 3);

    // The handler's own flush() and close() (no deadline given) return at once on a stalled
    // writer instead of waiting out the hour-long flush timeout.
    let (tx, rx) = mpsc::channel();
    let h2 = h.clone();
    std::thread::spawn(move || {
        Handler::flush(&*h2);
        Handler::close(&*h2);
        tx.send(()).unwrap();
    });
    rx.recv_timeout(FAILSAFE)
        .expect("failsafe: flush()/close() waited on a stalled writer");

    root.log(Level::Info, format_args!("after close"));
    assert_eq!(h.dropped(), 1, "a closed handler drops and counts");
    out.release();
}

#[test]
fn registry_shutdown_honours_its_deadline_with_a_stalled_writer() {
    let out = Stall::shut();
    let reg = Registry::new();
    reg.root().add_handler(
        NonBlocking::new(out.clone())
            .queue(QueueOptions::default().flush_timeout(Duration::from_secs(3600))),
    );
    reg.root().log(Level::Warn, format_args!("stuck"));
    out.wait_entered(1);

    let (tx, rx) = mpsc::channel();
    let reg2 = reg.clone();
    std::thread::spawn(move || {
        let start = Instant::now();
        let all_written = reg2.shutdown(Duration::from_millis(100));
        tx.send((all_written, start.elapsed())).unwrap();
    });
    let (all_written, took) = rx
        .recv_timeout(FAILSAFE)
        .expect("failsafe: shutdown waited past its deadline on a stalled writer");
    assert!(!all_written);
    assert!(took >= Duration::from_millis(100));
    out.release();
}

#[test]
fn writer_errors_are_reported_once_and_the_writer_goes_on() {
    let out = Stall::default();
    out.0.0.lock().fail_next = true;
    let h = Arc::new(NonBlocking::new(out.clone()).target_name("the flaky writer"));
    let reg = tree(&h);
    reg.root().log(Level::Info, format_args!("lost"));
    assert!(h.flush_by(far()));
    reg.root().log(Level::Info, format_args!("kept"));
    assert!(h.flush_by(far()));

    let err = h.take_error().expect("the failure is kept for take_error");
    let msg = err.to_string();
    assert!(
        msg.contains("the flaky writer") && msg.contains("on fire"),
        "{msg}"
    );
    assert!(h.take_error().is_none());
    assert!(out.text().ends_with(" INFO root: kept\n"), "{}", out.text());
    assert_eq!(h.dropped(), 0, "a write error is an error, not a drop");
}

/// A pipe in `O_NONBLOCK` mode that nobody reads (a parent process may set that flag on the
/// stderr it shares): takes `room` bytes, then answers `WouldBlock` until opened. Counts the
/// `WouldBlock`s so the test knows when the worker has met the full pipe.
#[derive(Clone, Default)]
struct NonBlockingPipe(Arc<(Mutex<PipeState>, Condvar)>);

#[derive(Default)]
struct PipeState {
    room: usize,
    open: bool,
    would_blocks: usize,
    out: Vec<u8>,
}

impl Write for NonBlockingPipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (m, cv) = &*self.0;
        let mut st = m.lock();
        let room = if st.open { buf.len() } else { st.room };
        if room == 0 {
            st.would_blocks += 1;
            cv.notify_all();
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(room);
        if !st.open {
            st.room -= n;
        }
        st.out.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Found in review: a full non-blocking pipe made `write_all` fail, so whole batches vanished
/// uncounted, a cut line was glued to the next one, and no drop was ever reported. Now the
/// writer waits for room as with a blocking pipe, and the callers drop and count meanwhile.
#[test]
fn a_full_non_blocking_output_is_waited_for_and_drops_are_counted() {
    let pipe = NonBlockingPipe::default();
    pipe.0.0.lock().room = 30; // part of the first line
    let h = Arc::new(
        NonBlocking::new(pipe.clone())
            .queue(QueueOptions::default().capacity(10))
            .target_name("stderr"),
    );
    let reg = tree(&h);
    reg.root().log(Level::Info, format_args!("first"));
    {
        let (m, cv) = &*pipe.0;
        let mut st = m.lock();
        let end = far();
        while st.would_blocks == 0 {
            assert!(
                !cv.wait_until(&mut st, end).timed_out(),
                "failsafe: the worker never met the full pipe"
            );
        }
    }
    for i in 0..100 {
        reg.root().log(Level::Info, format_args!("record {i}"));
    }
    let dropped = h.dropped();
    assert!(dropped > 0, "a queue of 10 cannot hold 100 records");
    {
        let (m, cv) = &*pipe.0;
        m.lock().open = true;
        cv.notify_all();
    }
    assert!(h.flush_by(far()));
    assert_eq!(
        h.dropped(),
        dropped,
        "nothing was dropped once the output took records"
    );
    reg.root().log(Level::Info, format_args!("after"));
    assert!(h.flush_by(far()));
    let text = String::from_utf8(pipe.0.0.lock().out.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].ends_with(" INFO root: first"), "{text}");
    let kept = lines
        .iter()
        .filter(|l| l.contains(" root: record "))
        .count() as u64;
    assert_eq!(kept + dropped, 100, "{text}");
    let report =
        format!("WARN scoped_logger: {dropped} records dropped while stderr was not being read");
    assert_eq!(
        lines.iter().filter(|l| l.ends_with(&report)).count(),
        1,
        "{text}"
    );
    assert!(text.ends_with(" INFO root: after\n"), "{text}");
    assert_eq!(
        lines.len() as u64,
        1 + kept + 1 + 1,
        "every line whole: {text}"
    );
}

/// Found in review: a "written yet?" poll with a deadline of now marked the worker stalled, so
/// dropping it skipped the usual wait and lost what was queued on a healthy output.
#[test]
fn a_zero_deadline_poll_does_not_disarm_the_wait_at_drop() {
    use scoped_logger::handler::queue::{DropCause, Sink, Worker};

    /// A healthy but slow output: each batch takes 20 ms.
    struct Slow(Arc<Mutex<Vec<u32>>>);
    impl Sink for Slow {
        type Item = u32;
        fn write_batch(&mut self, batch: &mut Vec<u32>) -> io::Result<()> {
            std::thread::sleep(Duration::from_millis(20)); // the output's speed, not a wait
            self.0.lock().append(batch);
            Ok(())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
        fn report_dropped(&mut self, _: u64, _: DropCause) -> io::Result<()> {
            Ok(())
        }
    }

    let out = Arc::new(Mutex::new(Vec::new()));
    let w = Worker::spawn(
        Slow(out.clone()),
        "slow",
        QueueOptions::default().flush_timeout(Duration::from_secs(30)),
    )
    .unwrap();
    for i in 0..10 {
        assert!(w.send(i, 1));
    }
    assert!(!w.flush_by(Instant::now()), "nothing can be written by now");
    assert!(!w.stalled());
    drop(w);
    assert_eq!(*out.lock(), (0..10).collect::<Vec<_>>());
}
