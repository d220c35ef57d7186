//! `init()` in a child process whose stderr is a pipe nobody reads: the child logs a million
//! records and still exits on its own (part A), and once the pipe is drained the child writes
//! `N records dropped while stderr was not being read` with the N it counted (part B).
//!
//! The child is this test binary run again (`current_exe`) with `SCOPED_LOGGER_STDERR_CHILD`
//! naming its role; the parent never sleeps, it waits on pipes with a generous failsafe.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use scoped_logger::{InitError, Level};

const ROLE: &str = "SCOPED_LOGGER_STDERR_CHILD";
const RECORDS: u64 = 1_000_000;
const FAILSAFE: Duration = Duration::from_secs(60);
const REPORT_TAIL: &str = " records dropped while stderr was not being read";

/// The child's side: does nothing in a normal test run.
#[test]
fn child_entry() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    if role == "bad_env" {
        return bad_env_child();
    }
    let guard = scoped_logger::init().expect("the first init succeeds");
    assert!(
        matches!(scoped_logger::init(), Err(InitError::AlreadyInitialized)),
        "a second init is refused, not a panic"
    );
    let root = scoped_logger::root();
    for i in 0..RECORDS {
        root.log(Level::Warn, format_args!("record {i} of the child"));
    }
    let dropped = guard.dropped();
    // A leading newline: libtest may have left "test child_entry ... " on the line.
    println!("\ndropped={dropped}");
    std::io::stdout().flush().unwrap();
    match role.as_str() {
        // Part A: just end; dropping the guard must not wait on the unread pipe past its deadline.
        "exit" => drop(guard),
        // Part B: wait until the parent has drained stderr and seen the report.
        "report" => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).unwrap();
            root.log(Level::Warn, format_args!("child done"));
            assert!(
                guard.flush_by(Instant::now() + FAILSAFE),
                "stderr is being read: everything must be written"
            );
            drop(guard);
        }
        other => panic!("unknown child role {other}"),
    }
}

/// RUST_LOG is `info,jobs=loud,db=`: `init` still succeeds, keeping the good directives (`db=`
/// with no level is `trace`, as in env_logger).
fn bad_env_child() {
    // Bad default filters are the caller's mistake: an error, and `init` stays callable.
    let err = scoped_logger::InitBuilder::new()
        .default_filters("warn,=")
        .init()
        .unwrap_err();
    assert!(matches!(err, InitError::Filters(_)), "{err}");
    let guard = scoped_logger::init().expect("a bad RUST_LOG does not stop the program");
    assert_eq!(
        scoped_logger::root().effective_level(),
        scoped_logger::LevelFilter::Info
    );
    assert_eq!(
        scoped_logger::logger("db").level(),
        Some(scoped_logger::LevelFilter::Trace)
    );
    assert_eq!(scoped_logger::logger("jobs").level(), None);
    assert!(guard.shutdown(), "stderr is read: everything written");
}

fn spawn_child(role: &str, stdin: Stdio) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env_remove("RUST_LOG")
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Lines of a pipe, sent over a channel by a reader thread (`None` at end of file).
fn lines_of(pipe: impl Read + Send + 'static) -> Receiver<Option<String>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            match line {
                Ok(l) => {
                    if tx.send(Some(l)).is_err() {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = tx.send(None);
    });
    rx
}

/// The next line before `end`; kills the child and fails the test when the failsafe expires.
fn next_line(
    rx: &Receiver<Option<String>>,
    child: &mut Child,
    end: Instant,
    what: &str,
) -> Option<String> {
    match rx.recv_timeout(end.saturating_duration_since(Instant::now())) {
        Ok(line) => line,
        Err(RecvTimeoutError::Timeout) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("failsafe expired ({FAILSAFE:?}) while waiting for {what}");
        }
        Err(RecvTimeoutError::Disconnected) => None,
    }
}

/// Reads the child's stdout up to the `dropped=N` line.
fn read_dropped(out: &Receiver<Option<String>>, child: &mut Child, end: Instant) -> u64 {
    loop {
        match next_line(out, child, end, "the child's dropped=N line") {
            Some(line) => {
                if let Some(n) = line.trim().strip_prefix("dropped=") {
                    return n.parse().unwrap();
                }
            }
            None => {
                let status = child.wait().unwrap();
                panic!("the child ended ({status}) without printing dropped=N");
            }
        }
    }
}

fn stdout_of(child: &mut Child) -> ChildStdout {
    child.stdout.take().unwrap()
}

#[test]
fn a_bad_rust_log_directive_is_reported_once_and_the_good_ones_kept() {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE, "bad_env")
        .env("RUST_LOG", "info,jobs=loud,db=")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "child failed: {stderr}");
    let reports: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(" WARN scoped_logger: RUST_LOG: ignored "))
        .collect();
    assert_eq!(reports.len(), 1, "stderr: {stderr}");
    assert!(reports[0].contains("`jobs=loud`"), "{}", reports[0]);
}

#[test]
fn unread_stderr_never_keeps_the_child_from_exiting() {
    let mut child = spawn_child("exit", Stdio::null());
    // stderr stays piped and is never read: the pipe fills after 64 KiB.
    let _unread_stderr = child.stderr.take().unwrap();
    let out = lines_of(stdout_of(&mut child));
    let end = Instant::now() + FAILSAFE;
    let dropped = read_dropped(&out, &mut child, end);
    // The scenario really happened: most of the million records could not be written.
    assert!(dropped > 0, "stderr was never full?");
    assert!(dropped < RECORDS);
    // The child exits on its own: its stdout reaches end of file when it does.
    while next_line(&out, &mut child, end, "the child to exit").is_some() {}
    let status = child.wait().unwrap();
    assert!(status.success(), "child failed: {status}");
}

#[test]
fn the_drop_report_appears_when_stderr_is_read_again() {
    let mut child = spawn_child("report", Stdio::piped());
    let err_pipe = child.stderr.take().unwrap();
    let out = lines_of(stdout_of(&mut child));
    let end = Instant::now() + FAILSAFE;
    let dropped = read_dropped(&out, &mut child, end);
    assert!(dropped > 0, "stderr was never full?");

    // Now drain stderr: the worker writes what it had queued, then the report.
    let err = lines_of(err_pipe);
    let mut reports = Vec::new();
    let mut reported = 0;
    while reported < dropped {
        let Some(line) = next_line(&err, &mut child, end, "the dropped-records report") else {
            panic!("stderr closed after {reported} of {dropped} drops were reported");
        };
        if let Some(head) = line.strip_suffix(REPORT_TAIL) {
            assert!(head.contains(" WARN scoped_logger: "), "{line}");
            let n: u64 = head.rsplit(' ').next().unwrap().parse().unwrap();
            reported += n;
            reports.push(n);
        }
    }
    // Normally one gap, one line: `N records dropped ...` with the child's N. Should the worker
    // have fallen behind before the pipe filled, there are several gaps, one line each; their
    // counts always add up to N.
    assert_eq!(reported, dropped, "reports: {reports:?}");
    println!("the child dropped {dropped} records; report lines: {reports:?}");

    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let mut after = Vec::new();
    while let Some(line) = next_line(&err, &mut child, end, "the child's last record") {
        after.push(line);
    }
    while next_line(&out, &mut child, end, "the child to exit").is_some() {}
    let status = child.wait().unwrap();
    assert!(status.success(), "child failed: {status}");
    assert!(
        after.iter().any(|l| l.ends_with(" WARN root: child done")),
        "records written after the report: {after:?}"
    );
}
