//! [`TestHandler`]: records written on the logging thread through the standard library's print
//! machinery, which is what the test harness captures (`cargo test` hides a passing test's output
//! and shows a failing test's). `io::stderr().write` bypasses that capture, and a background
//! writer thread is outside it, so this handler must do neither.

use std::io::IsTerminal;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::format::{Format, Styled, TextFormat, WriteStyle, with_formatted};
use crate::handler::Handler;
use crate::record::Record;

/// Writes each record with `eprint!` on the thread that logged it, so the test harness's output
/// capture sees it (env_logger's `is_test(true)`, tracing-subscriber's `TestWriter`).
///
/// Libtest captures per thread: a record logged by the test's own thread, or by a thread it
/// spawned (which inherits the capture), is shown only when that test fails (and live with
/// `--nocapture`). A record logged by a thread the test did not spawn (a pool or runtime made
/// by another test, or in a `static`) is not captured: it goes straight to the process's stderr,
/// in no test's section. [`init_for_tests`](crate::init_for_tests) puts one on the global root.
///
/// It writes synchronously and is meant for tests: a program should use
/// [`StderrHandler`](crate::StderrHandler), which never blocks.
///
/// ```
/// use scoped_logger::{Level, Registry};
/// use scoped_logger::handler::TestHandler;
/// let reg = Registry::new();
/// reg.root().add_handler(TestHandler::new());
/// reg.root().log(Level::Warn, format_args!("shown if this test fails"));
/// ```
pub struct TestHandler {
    format: Box<dyn Format>,
}

impl std::fmt::Debug for TestHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestHandler").finish_non_exhaustive()
    }
}

impl Default for TestHandler {
    fn default() -> Self {
        Self::new()
    }
}

impl TestHandler {
    /// The text line, styled as [`StderrHandler`](crate::StderrHandler) would style it on this
    /// process's stderr (see [`WriteStyle`]).
    pub fn new() -> Self {
        Self::with_format(TextFormat, WriteStyle::Auto)
    }

    /// Another format, styled or not as `style` and the environment decide.
    pub fn with_format(format: impl Format + 'static, style: WriteStyle) -> Self {
        let format: Box<dyn Format> = if style.resolve(std::io::stderr().is_terminal()) {
            Box::new(Styled(format))
        } else {
            Box::new(format)
        };
        TestHandler { format }
    }
}

impl Handler for TestHandler {
    fn handle(&self, record: &Record<'_>) {
        with_formatted(&*self.format, record, |line| {
            // `eprint!` panics when stderr fails (a closed pipe under `--nocapture`); the
            // capture itself cannot fail. A failing handler must not take the test down.
            let _ = catch_unwind(AssertUnwindSafe(|| {
                eprint!("{}", String::from_utf8_lossy(line));
            }));
        });
    }
}
