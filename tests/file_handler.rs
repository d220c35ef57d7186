//! `FileHandler` against a world that changes the file underneath: an outside `mv` (logrotate's
//! default), `rm`, or a new file put at the path sends the next records to the file at the path,
//! never to the one moved away; and a missing folder (nested too) is created at open.

use std::fs;
use std::path::Path;

use scoped_logger::{FileHandler, Handler, Level, Record};

fn log(h: &impl Handler, message: &str) {
    h.handle(&Record::builder(Level::Info, "app", format_args!("{message}")).build());
}

/// How many lines of `path` carry `needle`.
fn count(path: &Path, needle: &str) -> usize {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(needle))
        .count()
}

/// The probe of issue 34: after `mv app.log app.log.1`, how many of 400 later records land in
/// the moved file (before the fix, all of them).
#[cfg(unix)]
#[test]
fn records_after_an_outside_move_go_to_a_new_file_at_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let moved = dir.path().join("app.log.1");
    let h = FileHandler::create(&path).unwrap();
    log(&h, "before the move");
    fs::rename(&path, &moved).unwrap();
    for i in 0..400 {
        log(&h, &format!("after the move {i}"));
    }
    h.flush();
    let astray = count(&moved, "after the move");
    println!("records after the move that landed in the moved file: {astray}/400");
    assert_eq!(astray, 0, "{astray}/400 records went into the moved file");
    assert_eq!(count(&path, "after the move"), 400);
    assert_eq!(count(&moved, "before the move"), 1);
    assert!(h.take_error().is_none());
}

#[cfg(unix)]
#[test]
fn a_file_deleted_under_the_handler_is_created_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let h = FileHandler::create(&path).unwrap();
    log(&h, "one");
    fs::remove_file(&path).unwrap();
    log(&h, "two");
    log(&h, "three");
    assert_eq!(count(&path, "one"), 0);
    assert_eq!(count(&path, "two") + count(&path, "three"), 2);
    assert!(h.take_error().is_none());
}

#[cfg(unix)]
#[test]
fn a_file_put_in_place_of_the_open_one_receives_the_next_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let h = FileHandler::create(&path).unwrap();
    log(&h, "old");
    // logrotate's `create`: move away, then a new empty file at the path.
    let moved = dir.path().join("app.log.1");
    fs::rename(&path, &moved).unwrap();
    fs::write(&path, "placed\n").unwrap();
    log(&h, "new");
    assert_eq!(fs::read_to_string(&moved).unwrap().lines().count(), 1);
    assert_eq!(count(&path, "placed"), 1);
    assert_eq!(count(&path, "new"), 1);
    // `copytruncate`: the same file emptied in place; the next record starts at its new end.
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    log(&h, "after truncation");
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 1, "{text:?}");
    assert!(text.ends_with("INFO app: after truncation\n"), "{text:?}");
}

#[cfg(unix)]
#[test]
fn two_handlers_on_one_path_follow_a_move_together() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let a = FileHandler::create(&path).unwrap();
    let b = FileHandler::create(&path).unwrap();
    fs::rename(&path, dir.path().join("app.log.1")).unwrap();
    log(&a, "from a");
    log(&b, "from b");
    assert_eq!(count(&path, "from "), 2);
}

#[test]
fn missing_folders_are_created_nested_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs").join("2026").join("app.log");
    let h = FileHandler::create(&path).unwrap();
    log(&h, "first run");
    assert_eq!(count(&path, "first run"), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for folder in [
            dir.path().join("logs"),
            dir.path().join("logs").join("2026"),
        ] {
            let mode = fs::metadata(&folder).unwrap().permissions().mode() & 0o7777;
            // 0o755 narrowed by the umask: never more than that.
            assert_eq!(mode & !0o755, 0, "{}: {mode:o}", folder.display());
            assert_eq!(mode & 0o700, 0o700, "{}: {mode:o}", folder.display());
        }
    }
}

#[test]
fn a_rotating_handler_creates_its_missing_folder_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("var").join("log").join("app.log");
    let h = scoped_logger::RotatingFileHandler::builder(&path)
        .max_bytes(1 << 20)
        .open()
        .unwrap();
    log(&h, "rotating");
    assert_eq!(count(&path, "rotating"), 1);
    assert!(path.with_file_name("app.log.lock").exists());
}

#[test]
fn a_folder_that_cannot_be_created_is_an_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where a folder should be: not even root can create one under it.
    let blocker = dir.path().join("not-a-folder");
    fs::write(&blocker, "").unwrap();
    let path = blocker.join("sub").join("app.log");
    let err = FileHandler::create(&path).unwrap_err();
    assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
    let err = scoped_logger::RotatingFileHandler::builder(&path)
        .open()
        .unwrap_err();
    assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
}
