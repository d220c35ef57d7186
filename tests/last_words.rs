//! The last words: a record logged right before the process ends is written, whichever way it
//! ends, by every queued handler, and the exit waits for them at most the exit deadline (once, for
//! all of them), even when stderr is a pipe nobody reads.
//!
//! Each case is a real process. Most are this test binary run again (`current_exe`) with
//! `SCOPED_LOGGER_LAST_WORDS` naming the role; the ones that need a `main` of their own or
//! `panic = "abort"` use `tests/fixtures/last_words.rs`, built once by cargo into
//! `CARGO_TARGET_TMPDIR`. The parent never sleeps: it waits on pipes, with a watchdog that kills
//! the child and fails the test.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use scoped_logger::handler::NonBlocking;
use scoped_logger::handler::queue::QueueOptions;
use scoped_logger::{Handler, InitBuilder, Level, Record, error};

const ROLE: &str = "SCOPED_LOGGER_LAST_WORDS";
/// Where a role writes (a file or a database), or its exit deadline in milliseconds.
const ARG: &str = "SCOPED_LOGGER_LAST_WORDS_ARG";
const FAILSAFE: Duration = Duration::from_secs(60);
/// Printed on stdout right before the child exits: the parent times the exit from it.
const EXITING: &str = "exiting now";
/// Printed by the SQLite child once its database is open.
#[cfg(feature = "sqlite")]
const OPENED: &str = "database open";
/// Bytes per read of a slow reader (see `Stderr::SlowlyFromExit`).
const SLOW_READ: usize = 8;
/// Records queued by `fill_stderr`.
const FILL: usize = 5_000;
/// Records queued behind the full pipe in the pipe tests: far more than a pipe holds (64 KiB).
const FILLER: usize = 20_000;

// ---- the children --------------------------------------------------------------------------

/// The child's side: does nothing in a normal test run.
#[test]
fn child_entry() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let arg = std::env::var(ARG).unwrap_or_default();
    // A logger with no handler anywhere: its records go to the last-resort handler. (Logged
    // through it, not with `error!`: the macros' level gate is off until the global registry
    // exists.)
    let no_handler = || scoped_logger::logger("last_words");
    match role.as_str() {
        // For the figures: an exit with no handler at all, and one with a single record queued.
        "exit_plain" => exit_now(0),
        "exit_one" => {
            let _guard = scoped_logger::init().unwrap();
            error!("one record");
            exit_now(1);
        }
        "exit_after_init" => {
            let _guard = scoped_logger::init().unwrap();
            fill_stderr();
            error!("cannot open config");
            exit_now(1);
        }
        "exit_without_init" => {
            fill_stderr();
            no_handler().log(
                Level::Error,
                format_args!("last words for the last-resort handler"),
            );
            exit_now(1);
        }
        "internal_warning" => {
            fill_stderr();
            let broken = scoped_logger::logger("broken");
            broken.set_propagate(false);
            broken.add_handler(NonBlocking::new(Broken).target_name("the broken output"));
            broken.log(Level::Error, format_args!("this record cannot be written"));
            exit_now(2);
        }
        "file" => {
            scoped_logger::handler::queue::set_exit_deadline(Duration::from_secs(30));
            let file = std::fs::File::create(&arg).unwrap();
            let root = scoped_logger::root();
            root.add_handler(NonBlocking::new(SlowDisk(file)));
            for i in 0..1000 {
                root.log(Level::Warn, format_args!("record {i} for the file"));
            }
            exit_now(0);
        }
        #[cfg(feature = "sqlite")]
        "sqlite" => {
            let root = scoped_logger::root();
            root.add_handler(scoped_logger::SqliteHandler::open(&arg).unwrap());
            // The parent takes the database's write lock, and lets it go once this exits.
            println!("\n{OPENED}");
            io::stdin().read_line(&mut String::new()).unwrap();
            for i in 0..1000 {
                root.log(Level::Warn, format_args!("row {i}"));
            }
            exit_now(0);
        }
        "pipe_full" => {
            // `<deadline ms>/<stuck handlers>`
            let (ms, stuck) = arg.split_once('/').unwrap();
            pipe_full_child(ms.parse().unwrap(), stuck.parse().unwrap())
        }
        "threads" => {
            let _guard = scoped_logger::init().unwrap();
            // Before the noise, which may fill the queue: then records are dropped (and told).
            error!("last words among the noise");
            let (started, noisy) = mpsc::channel();
            for t in 0..4 {
                let started = started.clone();
                std::thread::spawn(move || {
                    let root = scoped_logger::root();
                    for i in 0u64.. {
                        root.log(Level::Warn, format_args!("noise {t} {i}"));
                        if i == 0 {
                            started.send(()).unwrap();
                        }
                    }
                });
            }
            // Exit once every thread is logging.
            for _ in 0..4 {
                noisy.recv().unwrap();
            }
            exit_now(1);
        }
        "other_thread" => {
            let _guard = scoped_logger::init().unwrap();
            fill_stderr();
            std::thread::spawn(|| {
                error!("last words from another thread");
                exit_now(5);
            });
            // `main` stays busy elsewhere; the exit comes from the other thread.
            park_forever();
        }
        "exit_in_writer" => {
            let _guard = long_exit_deadline();
            fill_stderr();
            error!("logged before a writer thread exits");
            let exiting = scoped_logger::logger("exiting");
            exiting.set_propagate(false);
            exiting.add_handler(NonBlocking::new(ExitsOnWrite));
            exiting.log(Level::Error, format_args!("its writer thread calls exit"));
            park_forever();
        }
        "exit_in_handler" => {
            let _guard = long_exit_deadline();
            fill_stderr();
            error!("logged before a handler exits");
            let exiting = scoped_logger::logger("exiting");
            exiting.set_propagate(false);
            exiting.add_handler(ExitsOnHandle);
            say_exiting();
            exiting.log(Level::Error, format_args!("its handler calls exit"));
            unreachable!("the handler exits");
        }
        other => panic!("unknown role {other}"),
    }
}

/// Queues many times what a pipe holds (64 KiB) for stderr, through whatever handler the root
/// has (the last-resort handler when none): the parent reads stderr only once the child says it
/// is exiting, and slowly, so the writer is sure to be far behind at the exit, and the last
/// words queued after these are lost unless the exit waits for them. The exit deadline is made
/// generous for that slow reader (the default is tested with an unread pipe).
fn fill_stderr() {
    use scoped_logger::handler::queue::{exit_deadline, set_exit_deadline};
    set_exit_deadline(exit_deadline().max(Duration::from_secs(30)));
    let root = scoped_logger::root();
    for i in 0..FILL {
        root.log(Level::Warn, format_args!("fill {i:>5} for the pipe"));
    }
}

fn say_exiting() {
    // A leading newline: libtest may have left "test child_entry ... " on the line.
    println!("\n{EXITING}");
    io::stdout().flush().unwrap();
}

fn exit_now(code: i32) -> ! {
    say_exiting();
    std::process::exit(code)
}

fn park_forever() -> ! {
    loop {
        std::thread::park();
    }
}

/// An exit deadline far longer than the watchdog allows: an exit that waited for it would fail.
fn long_exit_deadline() -> scoped_logger::InitGuard {
    InitBuilder::new()
        .exit_deadline(Duration::from_secs(3600))
        .init()
        .unwrap()
}

/// Fills the queue behind a pipe that holds a fraction of it, then the last words (to `stuck`
/// more handlers as well, whose outputs never take anything), then exits.
fn pipe_full_child(deadline_ms: u64, stuck: usize) {
    let guard = InitBuilder::new()
        .queue(QueueOptions::default().capacity(10 * FILLER))
        .exit_deadline(Duration::from_millis(deadline_ms))
        .init()
        .unwrap();
    let root = scoped_logger::root();
    let mut calls = Vec::with_capacity(FILLER);
    for i in 0..FILLER {
        let t = Instant::now();
        root.log(
            Level::Warn,
            format_args!("filler {i:>6} that the pipe cannot hold all of at once"),
        );
        calls.push(t.elapsed().as_nanos());
    }
    // The first call starts the writer thread: not what a caller pays on a full pipe.
    let mut calls = calls.split_off(1);
    calls.sort_unstable();
    let at = |p: f64| calls[((calls.len() - 1) as f64 * p) as usize];
    println!(
        "\ncall_ns p50 {} p99 {} p99.9 {} max {}",
        at(0.5),
        at(0.99),
        at(0.999),
        calls[calls.len() - 1]
    );
    for _ in 0..stuck {
        root.add_handler(NonBlocking::new(Stuck));
    }
    error!("last words behind a full pipe");
    assert_eq!(guard.dropped(), 0, "the queue holds everything");
    exit_now(1);
}

/// A file on a very slow disk: each `write` takes one byte. The writer is sure to be far behind
/// when the child exits, so an exit that does not wait for it loses most of the file.
struct SlowDisk(std::fs::File);

impl Write for SlowDisk {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(&buf[..buf.len().min(1)])
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// An output that never takes anything: its writer thread stays in `write` for good.
struct Stuck;

impl Write for Stuck {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        loop {
            std::thread::park();
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A writer that always fails: the library's own report of it is the last word.
struct Broken;

impl Write for Broken {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::other("the disk is on fire"))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A writer whose thread ends the process: the exit runs on a writer thread.
struct ExitsOnWrite;

impl Write for ExitsOnWrite {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        exit_now(3)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A handler that ends the process from inside `handle`, on the logging thread.
struct ExitsOnHandle;

impl Handler for ExitsOnHandle {
    fn handle(&self, _: &Record<'_>) {
        std::process::exit(4)
    }
}

// ---- the parent's side ---------------------------------------------------------------------

/// What the parent does with the child's stderr.
#[derive(Clone, Copy, PartialEq)]
enum Stderr {
    /// Read it all along.
    Drained,
    /// Never read it while the child runs: the pipe fills up.
    Undrained,
    /// Start reading it once the child says it is exiting.
    DrainedAtExit,
    /// Start reading it once the child says it is exiting, and then slowly, a few bytes at a
    /// time (a slow terminal): a backlog queued behind the full pipe takes a good part of a
    /// second to go through, so an exit that does not wait for it surely loses its end.
    SlowlyFromExit,
}

struct Ended {
    status: ExitStatus,
    stdout: Vec<String>,
    stderr: String,
    /// From the child's "exiting now" to the end of its stdout (the process is gone).
    exit_took: Duration,
}

impl Ended {
    fn stderr_lines(&self) -> Vec<&str> {
        self.stderr.lines().collect()
    }

    fn assert_stderr_has(&self, text: &str) {
        assert!(
            self.stderr.lines().any(|l| l.contains(text)),
            "{text:?} is not on the child's stderr ({}): {:?}",
            self.status,
            tail(&self.stderr)
        );
    }
}

fn tail(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].to_vec()
}

/// What the parent does when the child prints a line on stdout (it may answer on stdin).
type OnLine<'a> = &'a mut dyn FnMut(&str, &mut ChildStdin);

/// Runs this test binary as the child `role` and waits for it to end.
fn run_role(role: &str, arg: &str, stderr: Stderr) -> Ended {
    run_role_with(role, arg, stderr, &mut |_, _| {})
}

fn run_role_with(role: &str, arg: &str, stderr: Stderr, on_line: OnLine<'_>) -> Ended {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env(ARG, arg);
    run(cmd, stderr, on_line)
}

/// Lines of a pipe, sent over a channel by a reader thread (`None` at end of file).
fn lines_of(pipe: impl Read + Send + 'static) -> Receiver<Option<String>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(Some(line)).is_err() {
                return;
            }
        }
        let _ = tx.send(None);
    });
    rx
}

/// All of a pipe, read by a thread, `chunk` bytes at most per read (`None`: as fast as it goes).
fn all_of(mut pipe: impl Read + Send + 'static, chunk: Option<usize>) -> Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        match chunk {
            None => {
                let _ = pipe.read_to_end(&mut bytes);
            }
            Some(n) => {
                let mut buf = vec![0; n];
                while let Ok(got @ 1..) = pipe.read(&mut buf) {
                    bytes.extend_from_slice(&buf[..got]);
                }
            }
        }
        let _ = tx.send(bytes);
    });
    rx
}

fn watchdog_fail(child: &mut Child, what: &str) -> ! {
    let _ = child.kill();
    let _ = child.wait();
    panic!("watchdog: the child did not {what} within {FAILSAFE:?}");
}

fn run(mut cmd: Command, mode: Stderr, on_line: OnLine<'_>) -> Ended {
    let mut child = cmd
        .env_remove("RUST_LOG")
        // A backtrace takes long enough to print that a writer would finish meanwhile: the
        // tests would pass for the wrong reason.
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let end = Instant::now() + FAILSAFE;
    let mut stdin = child.stdin.take().unwrap();
    let out = lines_of(child.stdout.take().unwrap());
    let mut err_pipe = child.stderr.take();
    let mut err = None;
    if mode == Stderr::Drained {
        err = Some(all_of(err_pipe.take().unwrap(), None));
    }
    let mut stdout = Vec::new();
    let mut exiting_at = None;
    let ended_at = loop {
        match out.recv_timeout(end.saturating_duration_since(Instant::now())) {
            Ok(Some(line)) => {
                if line.trim() == EXITING {
                    exiting_at = Some(Instant::now());
                    match mode {
                        Stderr::DrainedAtExit => err = Some(all_of(err_pipe.take().unwrap(), None)),
                        Stderr::SlowlyFromExit => {
                            err = Some(all_of(err_pipe.take().unwrap(), Some(SLOW_READ)));
                        }
                        Stderr::Drained | Stderr::Undrained => {}
                    }
                }
                on_line(line.trim(), &mut stdin);
                stdout.push(line);
            }
            Ok(None) | Err(RecvTimeoutError::Disconnected) => break Instant::now(),
            Err(RecvTimeoutError::Timeout) => watchdog_fail(&mut child, "exit"),
        }
    };
    // Undrained: the pipe is read only now that the child is gone.
    let err = err.unwrap_or_else(|| all_of(err_pipe.take().unwrap(), None));
    let stderr = match err.recv_timeout(end.saturating_duration_since(Instant::now())) {
        Ok(bytes) => String::from_utf8(bytes).unwrap(),
        Err(_) => watchdog_fail(&mut child, "close its stderr"),
    };
    let status = child.wait().unwrap();
    let exit_took = ended_at - exiting_at.unwrap_or(ended_at);
    Ended {
        status,
        stdout,
        stderr,
        exit_took,
    }
}

/// The child queued `FILL` records behind a pipe read only from its exit on, then its last
/// words: all of them are there.
fn assert_filled_then(ended: &Ended, last_words: &str) {
    let fills = ended
        .stderr
        .lines()
        .filter(|l| l.contains(" fill "))
        .count();
    assert_eq!(fills, FILL, "{}: {:?}", ended.status, tail(&ended.stderr));
    ended.assert_stderr_has(last_words);
}

/// For roles with a deadline far longer than this: the exit ended because the writing was done
/// (or, from a writer or a handler, because it did not wait for the thread it runs on), not
/// because the deadline came.
fn assert_exit_did_not_wait_for_the_deadline(ended: &Ended) {
    assert!(
        ended.exit_took < Duration::from_secs(20),
        "{:?}",
        ended.exit_took
    );
}

/// Runs a role that fills stderr, logs its last words and exits with `code`, with stderr read
/// slowly from its exit on: everything it logged is there.
fn exits_with_last_words(role: &str, code: i32, last_words: &str) -> Ended {
    let ended = run_role(role, "", Stderr::SlowlyFromExit);
    assert_eq!(ended.status.code(), Some(code), "{:?}", tail(&ended.stderr));
    assert_filled_then(&ended, last_words);
    ended
}

// ---- the tests -----------------------------------------------------------------------------

#[test]
fn log_then_exit_after_init() {
    exits_with_last_words(
        "exit_after_init",
        1,
        " ERROR last_words: cannot open config",
    );
}

#[test]
fn log_then_exit_without_init_reaches_the_last_resort() {
    exits_with_last_words(
        "exit_without_init",
        1,
        " ERROR last_words: last words for the last-resort handler",
    );
}

#[test]
fn the_librarys_own_warning_right_before_exit_is_written() {
    exits_with_last_words(
        "internal_warning",
        2,
        " WARN scoped_logger: non-blocking handler for the broken output failed while writing \
         records: the disk is on fire",
    );
}

#[test]
fn a_non_blocking_file_handler_writes_everything_before_exit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("last.log");
    let ended = run_role("file", path.to_str().unwrap(), Stderr::Drained);
    assert!(ended.status.success(), "{:?}", ended.stderr);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1000, "last: {:?}", lines.last());
    for (i, line) in lines.iter().enumerate() {
        assert!(
            line.ends_with(&format!(" WARN root: record {i} for the file")),
            "{line}"
        );
    }
}

#[cfg(feature = "sqlite")]
#[test]
fn an_sqlite_handler_commits_everything_before_exit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("last.db");
    let mut lock = None;
    let ended = run_role_with(
        "sqlite",
        path.to_str().unwrap(),
        Stderr::Drained,
        &mut |line, stdin| {
            if line == OPENED {
                // Another writer holds the database until the child exits.
                let db = rusqlite::Connection::open(&path).unwrap();
                db.execute_batch("BEGIN EXCLUSIVE").unwrap();
                lock = Some(db);
                stdin.write_all(b"go\n").unwrap();
            } else if line == EXITING {
                lock.take().unwrap().execute_batch("COMMIT").unwrap();
            }
        },
    );
    assert!(ended.status.success(), "{:?}", ended.stderr);
    let db = rusqlite::Connection::open(&path).unwrap();
    let (rows, last): (i64, String) = db
        .query_row(
            "SELECT count(*), (SELECT message FROM logs ORDER BY id DESC LIMIT 1) FROM logs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((rows, last.as_str()), (1000, "row 999"));
}
/// The parent never reads the child's stderr: the writer is stuck in `write`, and so are three
/// more handlers' writers. The exit waits for them the deadline, once for all four (not once
/// each), and then the process ends anyway.
#[test]
fn an_unread_pipe_delays_exit_by_the_deadline_and_no_more() {
    let deadline = Duration::from_secs(2);
    let ended = run_role(
        "pipe_full",
        &format!("{}/3", deadline.as_millis()),
        Stderr::Undrained,
    );
    assert_eq!(ended.status.code(), Some(1), "{:?}", tail(&ended.stderr));
    // It waited: the last words had their chance (an exit that does not wait takes microseconds;
    // the margin is for the parent seeing "exiting now" a little late).
    assert!(
        ended.exit_took + Duration::from_millis(100) >= deadline,
        "the exit did not wait for the writer: {:?}",
        ended.exit_took
    );
    // And no more than that (four deadlines would be 8 s), plus the time a loaded machine takes
    // to end a process.
    assert!(
        ended.exit_took < deadline + Duration::from_secs(3),
        "{:?}",
        ended.exit_took
    );
    let calls = ended
        .stdout
        .iter()
        .find(|l| l.starts_with("call_ns"))
        .unwrap();
    println!(
        "pipe never read: exit took {:?} (deadline {deadline:?}); log calls meanwhile: {calls}",
        ended.exit_took
    );
}

/// The pipe is full when the child exits, and read from then on: everything queued behind it,
/// last words included, is written, and the exit ends as soon as it is (long before its deadline).
#[test]
fn a_pipe_read_again_during_exit_gets_everything() {
    let ended = run_role("pipe_full", "30000/0", Stderr::DrainedAtExit);
    assert_eq!(ended.status.code(), Some(1), "{:?}", tail(&ended.stderr));
    let lines = ended.stderr_lines();
    let fillers = lines.iter().filter(|l| l.contains(" filler ")).count();
    assert_eq!(fillers, FILLER, "{:?}", tail(&ended.stderr));
    assert!(
        lines
            .last()
            .is_some_and(|l| l.ends_with(" ERROR last_words: last words behind a full pipe")),
        "{:?}",
        tail(&ended.stderr)
    );
    assert_exit_did_not_wait_for_the_deadline(&ended);
    println!(
        "pipe full at exit, then read: exit took {:?}",
        ended.exit_took
    );
}

/// Four threads log without pause while `main` exits: the last words are there, the exit ends,
/// and every line is whole (but the very end: a line the process ended in the middle of).
/// Repeated, as a stress test of the exit hook racing the writers and the loggers.
#[test]
fn threads_still_logging_during_exit() {
    for _ in 0..STRESS_RUNS {
        let ended = run_role("threads", "", Stderr::Drained);
        assert_eq!(ended.status.code(), Some(1), "{:?}", tail(&ended.stderr));
        ended.assert_stderr_has(" ERROR last_words: last words among the noise");
        let whole = ended
            .stderr
            .rsplit_once('\n')
            .map_or("", |(whole, _)| whole);
        for line in whole.lines() {
            assert!(
                line.contains(" WARN root: noise ")
                    || line.contains(" ERROR last_words: ")
                    || line.ends_with(" records dropped while stderr was not being read"),
                "a torn or fused line: {line:?}"
            );
        }
    }
}

/// How many times the racing-exit case runs.
const STRESS_RUNS: usize = 25;

#[test]
fn exit_from_a_thread_other_than_main() {
    exits_with_last_words(
        "other_thread",
        5,
        " ERROR last_words: last words from another thread",
    );
}

/// `exit` on a writer thread: the exit flushes the other writers, and does not wait for its own
/// thread, which is the one exiting (the hour-long deadline would trip the watchdog).
#[test]
fn exit_from_a_writer_thread_does_not_wait_for_itself() {
    let ended = exits_with_last_words(
        "exit_in_writer",
        3,
        " ERROR last_words: logged before a writer thread exits",
    );
    assert_exit_did_not_wait_for_the_deadline(&ended);
}

#[test]
fn exit_from_inside_a_handler() {
    let ended = exits_with_last_words(
        "exit_in_handler",
        4,
        " ERROR last_words: logged before a handler exits",
    );
    assert_exit_did_not_wait_for_the_deadline(&ended);
}

/// Not a check: the figures of the exit path, from the child's "exiting now" to its end, as the
/// parent sees them (`cargo test --release --test last_words exit_figures -- --ignored
/// --nocapture`).
#[test]
#[ignore = "prints figures; run on its own"]
fn exit_figures() {
    let cases = [
        ("no handler at all", "exit_plain", "", Stderr::Drained, 30),
        (
            "one record queued, stderr read",
            "exit_one",
            "",
            Stderr::Drained,
            30,
        ),
        (
            "20,000 records behind a full pipe, read from the exit on",
            "pipe_full",
            "30000/0",
            Stderr::DrainedAtExit,
            10,
        ),
        (
            "stderr never read, default deadline",
            "pipe_full",
            "1000/0",
            Stderr::Undrained,
            3,
        ),
    ];
    for (what, role, arg, mode, runs) in cases {
        let mut took: Vec<Duration> = (0..runs)
            .map(|_| run_role(role, arg, mode).exit_took)
            .collect();
        took.sort_unstable();
        println!(
            "{what:<58} median {:>10.3?}   max {:>10.3?}   ({runs} runs)",
            took[runs / 2],
            took[runs - 1]
        );
    }
}

// ---- a program of its own, built with panic = "abort" --------------------------------------

/// Builds `tests/fixtures/last_words.rs` once per test run (cargo keeps it up to date).
fn fixture() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("last-words-fixture");
        std::fs::create_dir_all(&dir).unwrap();
        // Its own workspace, so that its profile can say `panic = "abort"`; no default features
        // (SQLite's C library would double the build).
        let manifest = format!(
            r#"[package]
name = "last-words-fixture"
version = "0.0.0"
edition = "2024"
publish = false

[[bin]]
name = "last-words-fixture"
path = '{}'

[dependencies]
scoped-logger = {{ path = '{}', default-features = false }}

[profile.dev]
panic = "abort"
debug = false

[workspace]
"#,
            repo.join("tests/fixtures/last_words.rs").display(),
            repo.display()
        );
        std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
        // The workspace's versions, and no registry look-ups.
        let lock = dir.join("Cargo.lock");
        if !lock.exists() {
            std::fs::copy(repo.join("Cargo.lock"), &lock).unwrap();
        }
        let target = dir.join("target");
        let started = Instant::now();
        let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args(["build", "--quiet", "--manifest-path"])
            .arg(dir.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&target)
            .status()
            .unwrap();
        assert!(status.success(), "building the fixture failed: {status}");
        println!(
            "the panic = \"abort\" fixture built in {:?}",
            started.elapsed()
        );
        target.join("debug/last-words-fixture")
    })
}

fn run_fixture(role: &str, args: &[&Path], stderr: Stderr) -> Ended {
    let mut cmd = Command::new(fixture());
    cmd.arg(role).args(args);
    run(cmd, stderr, &mut |_, _| {})
}

/// Records the fixture writes to its slow file.
const SLOW_FILE_RECORDS: usize = 1000;

/// The fixture's slow file has every record, then the last words.
fn assert_slow_file(path: &Path, last_words: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        SLOW_FILE_RECORDS + 1,
        "last: {:?}",
        lines.last()
    );
    for (i, line) in lines[..SLOW_FILE_RECORDS].iter().enumerate() {
        assert!(
            line.ends_with(&format!(": record {i} for the slow file")),
            "{line}"
        );
    }
    assert!(
        lines[SLOW_FILE_RECORDS].ends_with(last_words),
        "{:?}",
        lines.last()
    );
}

#[test]
fn return_from_main_without_init_reaches_the_last_resort() {
    let ended = run_fixture("return-without-init", &[], Stderr::SlowlyFromExit);
    assert!(ended.status.success(), "{:?}", tail(&ended.stderr));
    assert_filled_then(&ended, " ERROR last_words_fixture: last words without init");
}

#[test]
fn records_logged_after_the_guard_as_main_returns() {
    let ended = run_fixture("return-after-guard", &[], Stderr::SlowlyFromExit);
    assert!(ended.status.success(), "{:?}", tail(&ended.stderr));
    ended.assert_stderr_has(" ERROR last_words_fixture: logged with the guard");
    assert_filled_then(
        &ended,
        " ERROR last_words_fixture: logged by a destructor after the guard",
    );
}

#[cfg(unix)]
fn assert_aborted(ended: &Ended) {
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        ended.status.signal(),
        Some(6),
        "{}: {:?}",
        ended.status,
        ended.stderr
    );
}

#[cfg(unix)]
#[test]
fn a_panic_under_panic_abort_after_init() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slow.log");
    let ended = run_fixture("abort", &[&path], Stderr::Drained);
    assert_aborted(&ended);
    assert_slow_file(
        &path,
        " ERROR last_words_fixture: last words before a panic",
    );
    ended.assert_stderr_has(" ERROR last_words_fixture: last words before a panic");
    // The record first, then the panic message: in the order they happened.
    let at = |text: &str| ended.stderr.find(text).unwrap();
    assert!(at("last words before a panic") < at("the program panics"));
}

#[cfg(unix)]
#[test]
fn a_panic_in_a_scope_under_panic_abort_is_logged_before_the_abort() {
    let ended = run_fixture("abort-in-scope", &[], Stderr::Drained);
    assert_aborted(&ended);
    ended.assert_stderr_has(" ERROR task.1: panicked panic=\"boom in a scope\" location=");
    let at = |text: &str| ended.stderr.find(text).unwrap();
    assert!(
        at("panicked panic=") < at("panicked at"),
        "{:?}",
        ended.stderr
    );
}

#[cfg(unix)]
#[test]
fn a_panic_under_panic_abort_with_the_hook_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slow.log");
    let ended = run_fixture("abort-without-init", &[&path], Stderr::Drained);
    assert_aborted(&ended);
    assert_slow_file(
        &path,
        " ERROR last_words_fixture: last words before a panic, without init",
    );
    ended.assert_stderr_has("the program panics");
}
