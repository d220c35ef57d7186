//! Configuration reloads reset what the new file no longer says (levels, propagate), on the
//! tree's rule that a live scope's own level wins while it lives; and the handler kinds `stream`
//! (stdout), `null` and `syslog`.
#![cfg(feature = "config")]

use std::process::Command;

use scoped_logger::config::{Config, ConfigFileError};
use scoped_logger::{Level, LevelFilter, MemoryHandler, Registry};

fn config(text: &str) -> Config {
    Config::from_toml(text).unwrap_or_else(|e: ConfigFileError| panic!("{e}\n{text}"))
}

/// Found in review: removing `jobs = "debug"` (or `propagate = false`) from the file and
/// reloading left `jobs` at debug (and not propagating). Fails on the old code at the first
/// `jobs` assertion after the reload.
#[test]
fn a_reload_resets_levels_and_propagate_the_new_file_no_longer_sets() {
    let reg = Registry::new();
    let first = config(
        r#"
[loggers.root]
level = "info"
[loggers.jobs]
level = "debug"
propagate = false
[loggers."db::pool"]
level = "trace"
[loggers.kept]
level = "error"
"#,
    );
    let applied = first.apply(&reg).unwrap();
    assert_eq!(reg.logger("jobs").level(), Some(LevelFilter::Debug));
    assert!(!reg.logger("jobs").propagate());
    // Set by code, not by the file: a reload does not touch it.
    reg.logger("by_code").set_level(LevelFilter::Debug);

    // The same logger spelled another way counts as said.
    let second = config(
        r#"
[loggers."kept"]
level = "error"
[loggers."db.pool"]
level = "debug"
"#,
    );
    let applied = applied.replace(&second).unwrap();
    let jobs = reg.logger("jobs");
    assert_eq!(jobs.level(), None, "jobs inherits again");
    assert_eq!(jobs.effective_level(), LevelFilter::Warn);
    assert!(jobs.propagate(), "jobs propagates again");
    assert_eq!(
        reg.root().level(),
        Some(LevelFilter::Warn),
        "the root default"
    );
    assert_eq!(reg.logger("db.pool").level(), Some(LevelFilter::Debug));
    assert_eq!(reg.logger("kept").level(), Some(LevelFilter::Error));
    assert_eq!(reg.logger("by_code").level(), Some(LevelFilter::Debug));
    applied.detach();
}

/// A reload resets the configured level only: a live scope with a level of its own keeps it
/// until it ends, and the logger then inherits.
#[test]
fn a_live_scopes_own_level_outlives_the_reset_until_it_ends() {
    let reg = Registry::new();
    let with = config("[loggers.jobs]\nlevel = \"debug\"\npropagate = false\n");
    let applied = with.apply(&reg).unwrap();
    let scope = reg
        .scope("jobs")
        .level(LevelFilter::Trace)
        .propagate(false)
        .enter()
        .unwrap();
    let applied = applied.replace(&config("")).unwrap();
    assert_eq!(
        scope.level(),
        Some(LevelFilter::Trace),
        "the scope's own level"
    );
    assert!(!scope.propagate(), "the scope's own flag");
    drop(scope);
    let jobs = reg.logger("jobs");
    assert_eq!(jobs.level(), None);
    assert!(jobs.propagate());
    applied.detach();
}

#[test]
fn a_null_handler_silences_its_branch() {
    let reg = Registry::new();
    let mem = MemoryHandler::new();
    reg.root().add_handler(mem.clone());
    let applied = config(
        r#"
[loggers.noisy]
propagate = false
handlers = ["quiet"]
[handlers.quiet]
kind = "null"
"#,
    )
    .apply(&reg)
    .unwrap();
    assert_eq!(reg.logger("noisy").handler_count(), 1);
    reg.logger("noisy")
        .log(Level::Error, format_args!("hidden"));
    reg.logger("other").log(Level::Error, format_args!("shown"));
    let messages: Vec<String> = mem.records().iter().map(|r| r.message.clone()).collect();
    assert_eq!(messages, ["shown"]);
    applied.detach();
}

const ROLE: &str = "SCOPED_LOGGER_CONFIG_CHILD";

/// The child of `a_stream_handler_writes_to_stdout`: does nothing in a normal run.
#[test]
fn stream_child() {
    if std::env::var(ROLE).is_err() {
        return;
    }
    let reg = Registry::new();
    let applied = config(
        r#"
[loggers.root]
level = "info"
handlers = ["out"]
[handlers.out]
kind = "stream"
format = "json"
"#,
    )
    .apply(&reg)
    .unwrap();
    reg.logger("app")
        .log(Level::Info, format_args!("to stdout"));
    applied.detach();
}

#[test]
fn a_stream_handler_writes_to_stdout() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["stream_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE, "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let line = stdout
        .lines()
        .find(|l| l.contains("to stdout"))
        .unwrap_or_else(|| panic!("no record on stdout: {stdout}"));
    let json: serde_json::Value =
        serde_json::from_str(line.trim_start_matches(|c| c != '{')).unwrap();
    assert_eq!(json["logger"], "app");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("to stdout"));
}

#[test]
fn unknown_kinds_are_listed_with_the_new_ones() {
    let err = Config::from_toml("[handlers.x]\nkind = \"carrier_pigeon\"\n").unwrap_err();
    for kind in ["stream", "null", "syslog"] {
        assert!(err.to_string().contains(kind), "{err}");
    }
}

#[cfg(feature = "syslog")]
#[test]
fn a_syslog_handler_sends_to_its_address() {
    let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    server
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let port = server.local_addr().unwrap().port();
    let reg = Registry::new();
    let applied = config(&format!(
        r#"
[loggers.root]
handlers = ["sys"]
[handlers.sys]
kind = "syslog"
address = "udp://127.0.0.1:{port}"
facility = "local3"
app_name = "cfgtest"
"#
    ))
    .apply(&reg)
    .unwrap();
    reg.logger("jobs")
        .log(Level::Error, format_args!("over syslog"));
    let mut buf = [0u8; 2048];
    let n = server.recv(&mut buf).unwrap();
    let msg = String::from_utf8_lossy(&buf[..n]);
    // local3 (19) * 8 + error (3) = 155.
    assert!(msg.starts_with("<155>1 "), "{msg}");
    assert!(
        msg.contains("cfgtest") && msg.contains("over syslog"),
        "{msg}"
    );
    applied.detach();

    let err = config("[handlers.s]\nkind = \"syslog\"\naddress = \"carrier:1\"\n[loggers.root]\nhandlers = [\"s\"]\n")
        .apply(&Registry::new())
        .unwrap_err();
    assert!(err.to_string().contains("carrier:1"), "{err}");
}
