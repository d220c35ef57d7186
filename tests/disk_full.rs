//! A full disk never leaves a record split and glued to the next: on a small tmpfs the file
//! handlers fill the disk mid-record, space comes back, and every line of the file is one whole
//! record.
//!
//! Needs `mount -t tmpfs` (root, as in the project's CI container); where mounting is refused
//! the test says so on stderr and checks nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use scoped_logger::{FileHandler, Handler, Level, Registry, RotatingFileHandler};

/// A tmpfs of `size` mounted on a fresh directory, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("disk_full: cannot mount a tmpfs here (not root?); nothing checked");
            return None;
        }
        Some(Tmpfs { dir })
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

const PAD: usize = 300;

fn message(i: usize) -> String {
    format!("record {i} {} end", "x".repeat(PAD))
}

/// Logs through `handler` into a file on a 16 KiB tmpfs until the disk is full, frees the space
/// a filler file took, logs once more, and checks every line.
fn fill_then_recover(make: impl FnOnce(&Path) -> Box<dyn Handler>) {
    let Some(fs) = Tmpfs::mount("16k") else {
        return;
    };
    // Leave less than a page free for the log once it has one, so a record is cut at a page end.
    let filler: PathBuf = fs.path().join("filler");
    std::fs::write(&filler, vec![b'f'; 4096 * 2 + 1000]).unwrap();
    let log_path = fs.path().join("app.log");
    let handler = make(&log_path);
    let reg = Registry::new();
    let shared: std::sync::Arc<dyn Handler> = std::sync::Arc::from(handler);
    reg.root().add_shared_handler(shared.clone());
    let root = reg.root();
    let mut i = 0;
    while shared.take_error().is_none() {
        root.log(Level::Warn, format_args!("{}", message(i)));
        i += 1;
        assert!(i < 1000, "the disk never filled up");
    }
    std::fs::remove_file(&filler).unwrap();
    root.log(Level::Warn, format_args!("{}", message(9999)));
    assert!(reg.shutdown(std::time::Duration::from_secs(5)));
    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        text.ends_with(&format!("{} end\n", "x".repeat(PAD))),
        "the last record is whole"
    );
    for line in text.lines() {
        let whole = line.contains(" WARN root: record ")
            && line.ends_with(" end")
            && line.matches("record ").count() == 1;
        assert!(whole, "a split or glued record: {line:?}");
    }
    assert!(
        text.contains(&message(9999)),
        "the record after the space came back"
    );
}

#[test]
fn file_handler_never_glues_records_on_a_full_disk() {
    fill_then_recover(|p| Box::new(FileHandler::create(p).unwrap()));
}

#[test]
fn rotating_file_handler_never_glues_records_on_a_full_disk() {
    fill_then_recover(|p| Box::new(RotatingFileHandler::builder(p).open().unwrap()));
}
