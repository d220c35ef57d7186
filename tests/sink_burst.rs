//! What `init()`'s stderr sink promises a reader, tried in a child process the way a user meets
//! it: a burst of records into a regular file, into a pipe that is drained, and into a pipe that
//! is drained slowly keeps every line; into a pipe nobody reads, the program still exits, after
//! one deadline (not one per handler and one more at exit).
//!
//! The child is this test binary run again (`current_exe`) with `SCOPED_LOGGER_BURST_CHILD`
//! naming its role. The parent never sleeps to synchronise: it waits on the child and its pipes,
//! with a generous failsafe. (The slow reader pauses between reads to be slow: that is its
//! speed, not a wait for anything.) How fast a burst goes is measured by a benchmark, not here.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use scoped_logger::{InitBuilder, warn};

const ROLE: &str = "SCOPED_LOGGER_BURST_CHILD";
const FAILSAFE: Duration = Duration::from_secs(120);

/// The child's side: does nothing in a normal test run.
#[test]
fn child_entry() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let (what, n) = role.split_once(':').expect("role:records");
    let n: u64 = n.parse().unwrap();
    let guard = match what {
        // The user's one line.
        "burst" => scoped_logger::init().unwrap(),
        // A deadline long enough to tell one of it from two on a loaded machine.
        "unread" => InitBuilder::new()
            .flush_deadline(Duration::from_secs(3))
            .exit_deadline(Duration::from_secs(3))
            .init()
            .unwrap(),
        other => panic!("unknown role {other}"),
    };
    for i in 0..n {
        warn!("record {i} of a burst that a reader takes whole");
    }
    if what == "burst" {
        assert!(
            guard.flush_by(Instant::now() + FAILSAFE),
            "a reader takes everything"
        );
    }
    // A leading newline: libtest may have left "test child_entry ... " on the line.
    println!("\ndropped={}", guard.dropped());
    std::io::stdout().flush().unwrap();
    // "unread": dropping the guard waits one deadline for stderr, then the exit does not wait
    // again on the same stalled stderr.
    drop(guard);
}

fn child(role: &str, stderr: Stdio) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr);
    cmd
}

/// The `dropped=` count the child printed.
fn dropped(stdout: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("dropped="))
        .unwrap_or_else(|| panic!("no dropped= line: {text}"))
        .parse()
        .unwrap()
}

/// Every record's line, once each, in order, and nothing about drops.
fn assert_whole(text: &str, n: u64) {
    let mut next = 0u64;
    for line in text.lines() {
        assert!(!line.contains("dropped"), "a line was dropped: {line}");
        let Some(rest) = line.split(" record ").nth(1) else {
            continue; // libtest's own lines
        };
        let i: u64 = rest.split(' ').next().unwrap().parse().unwrap();
        assert_eq!(i, next, "records out of order or missing at {next}");
        next += 1;
    }
    assert_eq!(next, n, "records written");
}

#[test]
fn a_burst_into_a_regular_file_keeps_every_line() {
    const N: u64 = 200_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stderr.log");
    let file = std::fs::File::create(&path).unwrap();
    let out = child(&format!("burst:{N}"), Stdio::from(file))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(dropped(&out.stdout), 0);
    assert_whole(&std::fs::read_to_string(&path).unwrap(), N);
}

#[test]
fn a_burst_into_a_drained_pipe_keeps_every_line() {
    const N: u64 = 200_000;
    let mut running = child(&format!("burst:{N}"), Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = running.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    });
    let out = running.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(dropped(&out.stdout), 0);
    assert_whole(&reader.join().unwrap(), N);
}

#[test]
fn a_slow_reader_loses_nothing() {
    // About 1.3 MB, read at about 1 MB/s: 16 KiB, then a 16 ms pause (the reader's speed).
    const N: u64 = 20_000;
    let mut running = child(&format!("burst:{N}"), Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = running.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = stderr.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
            std::thread::sleep(Duration::from_millis(16));
        }
        String::from_utf8(all).unwrap()
    });
    let out = running.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(dropped(&out.stdout), 0);
    assert_whole(&reader.join().unwrap(), N);
}

#[test]
fn an_unread_pipe_costs_one_deadline_at_exit_not_two() {
    const N: u64 = 200_000;
    let deadline = Duration::from_secs(3);
    let mut running = child(&format!("unread:{N}"), Stdio::piped())
        .spawn()
        .unwrap();
    // Hold stderr open and never read it.
    let _stderr = running.stderr.take().unwrap();
    let mut stdout = running.stdout.take().unwrap();
    let mut said = Vec::new();
    let mut buf = [0u8; 256];
    // The child prints `dropped=` just before it drops the guard: time the exit from there.
    while !String::from_utf8_lossy(&said).contains("dropped=") {
        let n = stdout.read(&mut buf).unwrap();
        assert!(n > 0, "the child ended without a word");
        said.extend_from_slice(&buf[..n]);
    }
    let ending = Instant::now();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(running.wait()));
    let status = rx
        .recv_timeout(FAILSAFE)
        .expect("the child hangs on an unread stderr")
        .unwrap();
    let took = ending.elapsed();
    println!("an unread stderr: the exit took {took:?} with a {deadline:?} deadline");
    assert!(status.success(), "{status:?}");
    assert!(
        dropped(&said) > 0,
        "an unread pipe of 64 KiB cannot hold the burst"
    );
    // One deadline (the guard's) and the time a loaded machine takes to end a process; two
    // deadlines (the guard's, then the exit hook's) would be 6 s.
    assert!(
        took < deadline + Duration::from_millis(1500),
        "exit took {took:?}"
    );
}
