//! One writer per log path: handlers of many scopes on one path share a file and a rotation
//! (every record lands once, no backup is overwritten), a second process is refused with an error
//! naming the holder, modes are kept, and planted links in world-writable folders are refused.
//!
//! The child process is this test binary run again (`current_exe`) with `SCOPED_LOGGER_PATH_CHILD`
//! naming the path it must try to open.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use scoped_logger::{FileHandler, Handler, Level, Record, Registry, RotatingFileHandler};

const CHILD: &str = "SCOPED_LOGGER_PATH_CHILD";

/// The current file and its numbered backups, with their texts.
fn all_files(path: &Path) -> Vec<(PathBuf, String)> {
    let dir = path.parent().unwrap();
    let base = path.file_name().unwrap().to_str().unwrap();
    let mut files: Vec<(PathBuf, String)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name == base
                || name
                    .strip_prefix(base)
                    .and_then(|s| s.strip_prefix('.'))
                    .is_some_and(|s| s.parse::<u32>().is_ok())
        })
        .map(|p| {
            let text = fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn two_scopes_rotating_one_path_write_every_record_once() {
    const THREADS: usize = 4;
    const RECORDS: usize = 600;
    const MAX: u64 = 2_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let reg = Registry::new();
    let open = || {
        RotatingFileHandler::builder(&path)
            .max_bytes(MAX)
            .backups(1_000)
            .open()
    };
    let a = reg.scope("jobs.a").handler(open).open().unwrap();
    let b = reg.scope("jobs.b").handler(open).open().unwrap();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let scope = if t % 2 == 0 { &a } else { &b };
            s.spawn(move || {
                for i in 0..RECORDS {
                    scope.log(Level::Warn, format_args!("record t{t} i{i} end"));
                }
            });
        }
    });
    drop(a);
    drop(b);
    let files = all_files(&path);
    assert!(files.len() > 10, "it rotated: {} files", files.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (file, text) in &files {
        assert!(
            text.len() as u64 <= MAX,
            "{} is {} bytes: each handler counted its own size",
            file.display(),
            text.len()
        );
        for line in text.lines() {
            let msg = line.split(": ").nth(1).expect("a whole record");
            *seen.entry(msg.to_owned()).or_default() += 1;
        }
    }
    for t in 0..THREADS {
        for i in 0..RECORDS {
            let msg = format!("record t{t} i{i} end");
            assert_eq!(seen.get(&msg), Some(&1), "{msg} lost or duplicated");
        }
    }
    assert_eq!(seen.len(), THREADS * RECORDS);
}

#[test]
fn a_file_handler_on_a_rotated_path_shares_its_rotation_and_outlives_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let rotating = RotatingFileHandler::builder(&path)
        .max_bytes(200)
        .backups(50)
        .open()
        .unwrap();
    let plain = FileHandler::create(&path).unwrap();
    for i in 0..20 {
        let h: &dyn Handler = if i % 2 == 0 { &rotating } else { &plain };
        h.handle(&Record::builder(Level::Info, "app", format_args!("n{i}")).build());
    }
    // The first handler out does not close the file under the other.
    rotating.close();
    plain.handle(&Record::builder(Level::Info, "app", format_args!("last")).build());
    assert_eq!(plain.take_error().map(|e| e.to_string()), None);
    drop(plain);
    let files = all_files(&path);
    assert!(
        files.len() > 2,
        "the plain handler's records were rotated too"
    );
    let all: String = files.iter().map(|(_, t)| t.as_str()).collect();
    for i in 0..20 {
        assert_eq!(all.matches(&format!(": n{i}\n")).count(), 1, "n{i}");
    }
    assert!(all.contains(": last\n"));
    for (file, text) in &files {
        assert!(
            text.len() <= 200,
            "{} is {} bytes",
            file.display(),
            text.len()
        );
    }
}

/// The child's side: tries to open the path it is given; does nothing in a normal test run.
#[test]
fn child_entry() {
    let Ok(path) = std::env::var(CHILD) else {
        return;
    };
    match RotatingFileHandler::builder(&path).open() {
        Ok(h) => {
            h.handle(
                &Record::builder(Level::Info, "child", format_args!("from the child")).build(),
            );
            println!("\nopened");
        }
        Err(e) => println!("\nrefused kind={:?} error={e}", e.kind()),
    }
}

fn run_child(path: &Path) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    stdout
        .lines()
        .find(|l| l.starts_with("opened") || l.starts_with("refused"))
        .unwrap_or_else(|| panic!("no answer from the child: {stdout}"))
        .to_owned()
}

#[test]
fn a_second_process_is_refused_while_one_rotates_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let h = RotatingFileHandler::builder(&path)
        .max_bytes(1000)
        .open()
        .unwrap();
    let answer = run_child(&path);
    assert!(
        answer.starts_with("refused kind=ResourceBusy"),
        "the child opened a path this process rotates: {answer}"
    );
    assert!(answer.contains(&path.display().to_string()), "{answer}");
    assert!(
        answer.contains(&format!("pid {}", std::process::id())),
        "{answer}"
    );
    drop(h);
    // The last handler out released the lock: the next process may rotate the path.
    assert_eq!(run_child(&path), "opened");
    assert!(
        fs::read_to_string(&path)
            .unwrap()
            .contains("from the child")
    );
    // And so may this process again.
    let again = RotatingFileHandler::builder(&path).open();
    assert!(again.is_ok(), "{:?}", again.err());
}

#[cfg(unix)]
mod unix {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode_of(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn rotated_files_and_their_backups_have_the_mode_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        // 0o660 is narrowed by the usual umask 022: the mode is set exactly anyway.
        let h = RotatingFileHandler::builder(&path)
            .max_bytes(100)
            .mode(0o660)
            .open()
            .unwrap();
        for i in 0..10 {
            h.handle(&Record::builder(Level::Info, "app", format_args!("m{i}")).build());
        }
        drop(h);
        let files = all_files(&path);
        assert!(files.len() > 2);
        for (file, _) in &files {
            assert_eq!(mode_of(file), 0o660, "{}", file.display());
        }
    }

    #[test]
    fn without_a_mode_a_new_file_after_rotation_keeps_the_old_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        fs::write(&path, "old record\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let h = RotatingFileHandler::builder(&path)
            .max_bytes(40)
            .open()
            .unwrap();
        for i in 0..4 {
            h.handle(&Record::builder(Level::Info, "app", format_args!("m{i}")).build());
        }
        drop(h);
        for (file, _) in all_files(&path) {
            assert_eq!(mode_of(&file), 0o600, "{}", file.display());
        }
    }

    #[test]
    fn file_handler_mode_applies_to_a_created_file_only() {
        let dir = tempfile::tempdir().unwrap();
        let created = dir.path().join("new.log");
        let h = FileHandler::options().mode(0o640).open(&created).unwrap();
        assert_eq!(mode_of(&created), 0o640);
        drop(h);
        let existing = dir.path().join("old.log");
        fs::write(&existing, "").unwrap();
        fs::set_permissions(&existing, fs::Permissions::from_mode(0o644)).unwrap();
        let h = FileHandler::options().mode(0o600).open(&existing).unwrap();
        assert_eq!(mode_of(&existing), 0o644, "an existing file keeps its mode");
        drop(h);
    }

    #[test]
    fn a_link_planted_in_a_world_writable_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("tmp");
        fs::create_dir(&shared).unwrap();
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "precious\n").unwrap();
        let planted = shared.join("demo.log");
        std::os::unix::fs::symlink(&victim, &planted).unwrap();

        let err = FileHandler::create(&planted).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied, "{err}");
        let msg = err.to_string();
        assert!(msg.contains("symbolic link"), "{msg}");
        assert!(msg.contains(&planted.display().to_string()), "{msg}");
        let err = RotatingFileHandler::builder(&planted).open().unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious\n");

        // In a folder only its owner writes, a link is the owner's choice and is followed.
        let private = dir.path().join("private");
        fs::create_dir(&private).unwrap();
        let link = private.join("app.log");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let h = FileHandler::create(&link).unwrap();
        h.handle(&Record::builder(Level::Info, "app", format_args!("via link")).build());
        drop(h);
        assert!(fs::read_to_string(&victim).unwrap().contains("via link"));
    }
}

#[cfg(feature = "config")]
#[test]
fn a_reload_that_changes_the_size_limit_of_a_rotated_path_applies_it() {
    use scoped_logger::config::Config;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let toml = |max: u64| {
        format!(
            "[loggers.root]\nhandlers = [\"roll\"]\n\n[handlers.roll]\nkind = \"rotating_file\"\n\
             path = {:?}\nmax_bytes = {max}\nbackups = 100\n",
            path.display().to_string()
        )
    };
    let reg = Registry::new();
    let applied = Config::from_toml(&toml(100_000))
        .unwrap()
        .apply(&reg)
        .unwrap();
    // The new handler opens while the old one still holds the path: it joins, with its settings.
    let applied = applied
        .replace(&Config::from_toml(&toml(150)).unwrap())
        .unwrap();
    for i in 0..10 {
        reg.root()
            .log(Level::Warn, format_args!("after reload {i}"));
    }
    applied.detach();
    let files = all_files(&path);
    assert!(files.len() > 3, "the new size limit applies: {files:?}");
    for (file, text) in &files {
        assert!(
            text.len() <= 150,
            "{} is {} bytes",
            file.display(),
            text.len()
        );
    }
}

#[cfg(all(unix, feature = "config"))]
#[test]
fn config_modes_are_octal_integers_or_strings() {
    use scoped_logger::config::Config;
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.log");
    let b = dir.path().join("b.log");
    let text = format!(
        "[loggers.root]\nhandlers = [\"a\", \"b\"]\n\n\
         [handlers.a]\nkind = \"file\"\npath = {:?}\nmode = 0o640\n\n\
         [handlers.b]\nkind = \"rotating_file\"\npath = {:?}\nmode = \"0600\"\n",
        a.display().to_string(),
        b.display().to_string()
    );
    let reg = Registry::new();
    let applied = Config::from_toml(&text).unwrap().apply(&reg).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode(&a), 0o640);
    assert_eq!(mode(&b), 0o600);
    applied.detach();

    let bad = "[handlers.a]\nkind = \"file\"\npath = \"x.log\"\nmode = \"rw-r-----\"\n";
    let err = Config::from_toml(bad).unwrap_err().to_string();
    assert!(err.contains("mode") && err.contains("0640"), "{err}");
    let bad = "[handlers.a]\nkind = \"file\"\npath = \"x.log\"\nmode = 0o17777\n";
    let err = Config::from_toml(bad).unwrap_err().to_string();
    assert!(err.contains("0o7777"), "{err}");
}
