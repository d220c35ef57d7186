//! Styled stderr, seen from outside: a child process logs through `init()` with its stderr
//! piped (not a terminal) under each environment, and the parent reads the bytes. Styles appear
//! only when asked for (`RUST_LOG_STYLE=always`, `CLICOLOR_FORCE`, the builder switch), never
//! under `NO_COLOR` unless the program asked, and never in a file whatever is asked.

use std::process::{Command, Stdio};

use scoped_logger::format::WriteStyle;
use scoped_logger::{FileHandler, InitBuilder, Level};

const ROLE: &str = "SCOPED_LOGGER_STYLE_CHILD";
const ESC: u8 = 0x1b;

/// The child's side: does nothing in a normal test run.
#[test]
fn child_entry() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let mut builder = InitBuilder::new().no_env().default_filters("info");
    if role == "always" {
        builder = builder.style(WriteStyle::Always);
    }
    let guard = builder.init().unwrap();
    let file = std::env::var("STYLE_CHILD_FILE").unwrap();
    scoped_logger::root().add_handler(FileHandler::create(&file).unwrap());
    scoped_logger::logger("app").log(Level::Warn, format_args!("styled? \x1b[2K"));
    assert!(guard.shutdown());
}

/// Runs the child with `env` set (and every style variable not in it removed); returns what it
/// wrote to stderr and to its file.
fn run(role: &str, env: &[(&str, &str)]) -> (Vec<u8>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.log");
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env("STYLE_CHILD_FILE", &file)
        .stdin(Stdio::null());
    for var in [
        "RUST_LOG_STYLE",
        "NO_COLOR",
        "CLICOLOR_FORCE",
        "CLICOLOR",
        "TERM",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    (out.stderr, std::fs::read(&file).unwrap())
}

fn record_line(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .find(|l| l.contains("styled?"))
        .unwrap_or_else(|| panic!("no record: {}", String::from_utf8_lossy(stderr)))
        .to_owned()
}

fn is_styled(line: &str) -> bool {
    line.contains("\x1b[33mWARN\x1b[0m") && line.contains("\x1b[2m")
}

#[test]
fn a_pipe_gets_plain_lines_unless_styles_are_asked_for() {
    type Env<'a> = &'a [(&'a str, &'a str)];
    let cases: [(&str, Env<'_>, bool); 7] = [
        ("auto", &[], false),
        ("auto", &[("RUST_LOG_STYLE", "always")], true),
        ("auto", &[("CLICOLOR_FORCE", "1")], true),
        ("auto", &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")], false),
        (
            "auto",
            &[("RUST_LOG_STYLE", "never"), ("CLICOLOR_FORCE", "1")],
            false,
        ),
        ("always", &[("NO_COLOR", "1")], true),
        ("always", &[("RUST_LOG_STYLE", "never")], true),
    ];
    for (role, env, want) in cases {
        let (stderr, file) = run(role, env);
        let line = record_line(&stderr);
        assert_eq!(is_styled(&line), want, "{role} {env:?}: {line:?}");
        if !want {
            assert!(!stderr.contains(&ESC), "{role} {env:?}: {line:?}");
        }
        // The record's own ESC is escaped whatever the style.
        assert!(line.contains(r"styled? \x1b[2K"), "{line:?}");
        assert!(!file.contains(&ESC), "a file never gets styles: {env:?}");
    }
}
