//! A burst of `warn!` records through `init()`'s stderr sink, as a batch job logs: every line a
//! reader takes is written, and a reader that never reads still does not hang the program.
//!
//! ```text
//! cargo run --release --example burst -- --records 1000000 2>/tmp/burst.log   # into a file
//! cargo run --release --example burst -- --records 1000000 2>&1 >/dev/null | cat >/dev/null
//! cargo run --release --example burst -- --check   # runs itself both ways and counts the lines
//! ```
//!
//! It prints `records=N dropped=D secs=S` on stdout (the time from the first record to the last
//! one written out).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use scoped_logger::warn;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let records = args
        .iter()
        .position(|a| a == "--records")
        .and_then(|i| args.get(i + 1))
        .map_or(200_000, |n| n.parse().expect("--records takes a number"));
    if args.iter().any(|a| a == "--check") {
        check(records);
        return;
    }
    let guard = scoped_logger::init().expect("init once");
    let start = Instant::now();
    for i in 0..records {
        warn!(job = 7_u64; "record {i} of a burst that a reader takes whole");
    }
    // Everything written out (a reader that reads at all gets it well within this).
    let written = guard.flush_by(Instant::now() + Duration::from_secs(60));
    let secs = start.elapsed().as_secs_f64();
    println!(
        "records={records} dropped={} secs={secs:.3} written={written}",
        guard.dropped()
    );
}

/// Runs this program again with stderr into a regular file and into a pipe this process drains,
/// and checks that every record arrived, once, in order.
fn check(records: u64) {
    let me = std::env::current_exe().expect("own path");
    let dir = std::env::temp_dir().join(format!("scoped-logger-burst-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp folder");
    let path = dir.join("stderr.log");

    let file = std::fs::File::create(&path).expect("stderr file");
    let out = Command::new(&me)
        .args(["--records", &records.to_string()])
        .stderr(file)
        .output()
        .expect("run into a file");
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    let text = std::fs::read_to_string(&path).expect("read the file");
    let in_file = count(text.lines().map(str::to_owned), records);
    println!("into a regular file:  {said}", said = said.trim());

    let mut child = Command::new(&me)
        .args(["--records", &records.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run into a pipe");
    let stderr = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        count(
            BufReader::new(stderr).lines().map_while(Result::ok),
            records,
        )
    });
    let out = child.wait_with_output().expect("wait");
    let in_pipe = reader.join().expect("reader");
    println!(
        "into a drained pipe:  {}",
        String::from_utf8_lossy(&out.stdout).trim()
    );
    std::fs::remove_dir_all(&dir).ok();
    std::io::stdout().flush().ok();
    if in_file != records || in_pipe != records {
        eprintln!("lines kept: {in_file} in the file, {in_pipe} in the pipe, of {records}");
        std::process::exit(1);
    }
    println!("every one of the {records} lines was written, both ways");
}

/// The records' lines in order, counted; a gap, a repeat or a drop report ends the count there.
fn count(lines: impl Iterator<Item = String>, records: u64) -> u64 {
    let mut next = 0;
    for line in lines {
        if line.contains("records dropped") {
            eprintln!("drop report: {line}");
            return next;
        }
        let Some(i) = line
            .split(" record ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        if i != next {
            eprintln!("expected record {next}, read {i}");
            return next;
        }
        next += 1;
    }
    next.min(records)
}
