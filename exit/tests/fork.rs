//! A real `fork()` after handlers with writer threads are attached: the child follows the recipe
//! the runtime documents (`handler` module, "Fork") and its record is written, without a hang.
//!
//! It lives in this crate because calling `fork` needs `unsafe`, which the rest of the
//! workspace forbids.
#![cfg(target_os = "linux")]

use std::sync::mpsc;
use std::time::Duration;

use scoped_logger::handler::NonBlocking;
use scoped_logger::{FileHandler, Level, Registry};

const FAILSAFE: Duration = Duration::from_secs(30);

#[test]
fn a_forked_child_that_shuts_down_and_attaches_new_handlers_logs() {
    let dir = std::env::temp_dir().join(format!("scoped-logger-fork-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let parent_log = dir.join("parent.log");
    let child_log = dir.join("child.log");
    let reg = Registry::new();
    let root = reg.root();
    let file = std::fs::File::create(&parent_log).unwrap();
    // A queued handler: its writer thread exists in the parent only.
    root.add_handler(NonBlocking::new(file));
    root.log(Level::Warn, format_args!("before the fork"));

    #[allow(unsafe_code)]
    // SAFETY: `fork` has no precondition of its own. In the child only this thread exists; it
    // touches no lock this test's other threads hold except through the library (what is under
    // test: `shutdown` lets go of the parent's handlers on helper threads and does not wait on
    // their locks past its deadline), and it ends with `_exit`, so no atexit hook, destructor or
    // unwinding of the test harness runs in the copy. The parent only waits for the child.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed: {}", std::io::Error::last_os_error());
    if pid == 0 {
        let code = child(&reg, &child_log);
        #[allow(unsafe_code)]
        // SAFETY: `_exit` ends the process at once; it has no precondition.
        unsafe {
            libc::_exit(code)
        };
    }
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut status = 0;
        #[allow(unsafe_code)]
        // SAFETY: `status` is a valid `c_int` to write to; `pid` is our child.
        let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
        let _ = tx.send((waited, status));
    });
    let Ok((waited, status)) = rx.recv_timeout(FAILSAFE) else {
        #[allow(unsafe_code)]
        // SAFETY: `kill` has no memory-safety precondition; `pid` is our child.
        unsafe {
            libc::kill(pid, libc::SIGKILL)
        };
        panic!("the forked child hung");
    };
    assert_eq!(waited, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child failed: status {status}"
    );
    let text = std::fs::read_to_string(&child_log).unwrap();
    assert!(text.contains("WARN root: from the child"), "{text:?}");
    assert!(reg.shutdown(FAILSAFE), "the parent's handler still works");
    let text = std::fs::read_to_string(&parent_log).unwrap();
    assert!(text.contains("before the fork"), "{text:?}");
    assert!(!text.contains("from the child"), "{text:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The child's side: the documented recipe. Returns the exit code.
fn child(reg: &Registry, log: &std::path::Path) -> i32 {
    // The parent's writer thread is gone: let go of its handler without waiting on it.
    let _ = reg.shutdown(Duration::ZERO);
    let Ok(handler) = FileHandler::create(log) else {
        return 2;
    };
    reg.root().add_handler(handler);
    reg.root().log(Level::Warn, format_args!("from the child"));
    // Not its result: the last-resort sink is not re-created in a child (documented), so a
    // shutdown there may report it as left; what counts is that the record was written.
    let _ = reg.shutdown(Duration::from_secs(5));
    0
}
