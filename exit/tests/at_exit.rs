//! The hooks in real exits: this test binary runs itself again as a child (`current_exe`) with
//! `SCOPED_LOGGER_EXIT_CHILD` naming what the child does, and reads what the hooks wrote on its
//! stderr once it has ended.
#![cfg(target_os = "linux")]

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output, Stdio};

const ROLE: &str = "SCOPED_LOGGER_EXIT_CHILD";

fn first() {
    eprintln!("hook: first registered");
}

fn panics() {
    panic!("a hook that panics");
}

fn last() {
    eprintln!("hook: last registered");
}

fn exits_again() {
    eprintln!("hook: calling exit again");
    std::process::exit(9);
}

/// The child's side: does nothing in a normal test run.
#[test]
fn child_entry() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    assert!(scoped_logger_exit::at_exit(first));
    assert!(scoped_logger_exit::at_exit(panics));
    assert!(scoped_logger_exit::at_exit(last));
    match role.as_str() {
        "exit" => std::process::exit(7),
        // The test returns, then libtest's `main` does.
        "return" => {}
        "exit_again" => {
            assert!(scoped_logger_exit::at_exit(exits_again));
            std::process::exit(7);
        }
        other => panic!("unknown role {other}"),
    }
}

fn child(role: &str) -> (Output, Vec<String>) {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let hooks = stderr
        .lines()
        .filter(|l| l.starts_with("hook: "))
        .map(str::to_owned)
        .collect();
    (output, hooks)
}

#[test]
fn hooks_run_once_last_first_at_process_exit() {
    let (output, hooks) = child("exit");
    assert_eq!(output.status.code(), Some(7), "{output:?}");
    // The panicking hook ran in between and did not stop the first one.
    assert_eq!(hooks, ["hook: last registered", "hook: first registered"]);
}

#[test]
fn hooks_run_when_main_returns() {
    let (output, hooks) = child("return");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(hooks, ["hook: last registered", "hook: first registered"]);
}

/// The proof in `register` leans on std stopping a second `exit`: if that ever changed, this
/// fails instead of the C runtime running `exit` inside its own handler.
#[test]
fn a_hook_that_exits_again_aborts_instead_of_reentering_exit() {
    let (output, hooks) = child("exit_again");
    assert_eq!(hooks, ["hook: calling exit again"], "{output:?}");
    assert_eq!(output.status.code(), None, "{output:?}");
    assert_eq!(output.status.signal(), Some(libc::SIGABRT), "{output:?}");
}
