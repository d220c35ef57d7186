//! Reading a log folder after rotations, for the tests of compression: `tests/compress.rs` and
//! the runtime's own (`handler/file/tests.rs`, which hold the compression thread back and so
//! live inside the crate).
#![allow(dead_code)] // each test binary uses what it needs

use std::fs;
use std::io::Read as _;
use std::path::Path;
use std::time::{Duration, Instant};

/// A folder after three compressed backups were kept, and nothing else.
pub const LIVE_AND_THREE_GZ: [&str; 5] = [
    "app.log",
    "app.log.1.gz",
    "app.log.2.gz",
    "app.log.3.gz",
    "app.log.lock",
];

/// Names in the folder, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// The text of a gzip file, which must be whole.
pub fn gz_text(path: &Path) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("{} is not a whole gzip file: {e}", path.display()));
    text
}

/// The numbers of the lines `... record 00000042 ...`.
pub fn numbers_of(text: &str) -> Vec<u64> {
    text.lines()
        .map(|l| l.split("record ").nth(1).unwrap()[..8].parse().unwrap())
        .collect()
}

/// The records of the numbered backups `<path>.<backups>.gz` … `<path>.1.gz`, oldest first, then
/// the live file's.
pub fn kept_records(path: &Path, backups: usize) -> Vec<u64> {
    let mut kept = Vec::new();
    for i in (1..=backups).rev() {
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".{i}.gz"));
        kept.extend(numbers_of(&gz_text(Path::new(&name))));
    }
    kept.extend(numbers_of(&fs::read_to_string(path).unwrap()));
    kept
}

/// Polls `done` until it holds, failing after a minute.
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let give_up = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < give_up, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}
