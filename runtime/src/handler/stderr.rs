//! [`StderrHandler`]: records to stderr without ever blocking the caller, and the last-resort
//! handler built on it.
//!
//! It is a [`NonBlocking`] handler on the process's stderr: every line a reader takes is written
//! (a file, a terminal, a pipe that is drained, however slowly), and when nobody reads stderr (a
//! full pipe that stays full), records are dropped and counted after one short stall window
//! instead of stalling the program, and `N records dropped while stderr was not being read` is
//! written when stderr drains again. See the [`queue`](crate::handler::queue) module for the
//! details and the policies.

use std::io::{self, IsTerminal};
use std::sync::Arc;
use std::time::Instant;

use crate::format::{Format, Styled, TextFormat, WriteStyle};
use crate::handler::Handler;
use crate::handler::nonblocking::NonBlocking;
use crate::handler::queue::{QueueOptions, StallGroup};
use crate::record::Record;

/// Every handler on the process's stderr (the last-resort sink among them): one stalled, all are.
static STDERR: StallGroup = StallGroup::new();

/// Writes records to stderr from a background thread; callers never wait on stderr.
///
/// ```
/// use scoped_logger::{Level, Registry, StderrHandler, format::JsonFormat};
/// use scoped_logger::handler::queue::{Policy, QueueOptions};
/// let reg = Registry::new();
/// reg.root().add_handler(
///     StderrHandler::new()
///         .queue(
///             QueueOptions::default()
///                 .capacity(4096)          // records held at most
///                 .capacity_bytes(1 << 20) // bytes held at most
///                 .policy(Policy::Drop),   // never wait, even on a moving stderr
///         )
///         .format(JsonFormat),
/// );
/// reg.root().log(Level::Error, format_args!("disk full"));
/// reg.shutdown(std::time::Duration::from_secs(1)); // flushes, at most one second
/// ```
///
/// # Styles
///
/// On a terminal, the text line is styled: the level in colour, the time dimmed (see
/// [`Format::format_styled`]). Whether to style is decided when the handler is built, from its
/// own output (the process's stderr: [`IsTerminal`]) and the environment (`RUST_LOG_STYLE`,
/// `NO_COLOR`, `CLICOLOR_FORCE`: the order is in [`WriteStyle`]); [`style`](Self::style) sets it
/// in code. A redirected stderr (a file, a pipe) gets no escape codes unless asked for.
pub struct StderrHandler {
    inner: NonBlocking,
    format: Arc<dyn Format>,
    style: WriteStyle,
    styled: bool,
}

impl std::fmt::Debug for StderrHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StderrHandler")
            .field("inner", &self.inner)
            .field("style", &self.style)
            .field("styled", &self.styled)
            .finish_non_exhaustive()
    }
}

impl Default for StderrHandler {
    fn default() -> Self {
        Self::new()
    }
}

impl StderrHandler {
    /// A handler on the process's stderr with the default limits (16 384 records, 16 MiB) and
    /// policy ([`Policy::BlockUnlessStalled`](crate::handler::queue::Policy::BlockUnlessStalled):
    /// every line stderr takes is written; an unread stderr costs one stall window).
    pub fn new() -> Self {
        StderrHandler {
            inner: NonBlocking::new(io::stderr())
                .target_name("stderr")
                .thread_name("scoped-logger-stderr")
                .stall_group(&STDERR),
            format: Arc::new(TextFormat),
            style: WriteStyle::Auto,
            styled: false,
        }
        .restyle()
    }

    /// Whether lines are styled (default [`WriteStyle::Auto`]: on a terminal, unless the
    /// environment says otherwise; see [`WriteStyle`]).
    ///
    /// ```
    /// use scoped_logger::{StderrHandler, format::WriteStyle};
    /// assert!(StderrHandler::new().style(WriteStyle::Always).is_styled());
    /// assert!(!StderrHandler::new().style(WriteStyle::Never).is_styled());
    /// ```
    pub fn style(mut self, style: WriteStyle) -> Self {
        self.style = style;
        self.restyle()
    }

    /// Whether this handler writes styled lines (what [`style`](Self::style), the environment
    /// and stderr decided).
    pub fn is_styled(&self) -> bool {
        self.styled
    }

    /// Decides the style again and gives the writer the format to use.
    fn restyle(mut self) -> Self {
        self.styled = self.style.resolve(io::stderr().is_terminal());
        let format: Arc<dyn Format> = if self.styled {
            Arc::new(Styled(self.format.clone()))
        } else {
            self.format.clone()
        };
        self.map(|h| h.shared_format(format))
    }

    /// The queue's settings: records and bytes held, what a caller does when it is full (by
    /// default, waits while stderr takes bytes and drops once it stalls; [`Policy::Block`](crate::handler::queue::Policy::Block)
    /// makes a program whose stderr is not read hang), and how long a flush waits. See
    /// [`QueueOptions`].
    pub fn queue(self, queue: QueueOptions) -> Self {
        self.map(|h| h.queue(queue))
    }

    /// The line format (default [`TextFormat`]); styled on a terminal when it has styles (see
    /// [`Format::format_styled`]).
    pub fn format(self, format: impl Format + 'static) -> Self {
        self.shared_format(Arc::new(format))
    }

    /// The same, with a format already shared.
    pub fn shared_format(mut self, format: Arc<dyn Format>) -> Self {
        self.format = format;
        self.restyle()
    }

    /// What the dropped-records report calls stderr (default `stderr`).
    pub fn target_name(self, name: impl Into<String>) -> Self {
        self.map(|h| h.target_name(name))
    }

    /// The queue settings the writer runs with.
    pub fn queue_options(&self) -> QueueOptions {
        self.inner.queue_options()
    }

    /// Records dropped so far.
    pub fn dropped(&self) -> u64 {
        self.inner.dropped()
    }

    /// Records held now (queued or being written).
    pub fn queued(&self) -> usize {
        self.inner.queued()
    }

    /// Bytes held now.
    pub fn queued_bytes(&self) -> usize {
        self.inner.queued_bytes()
    }

    /// Closes the writer, waiting until `deadline`; `false` when stderr was still not taking
    /// everything at the deadline.
    pub fn close_by(&self, deadline: Instant) -> bool {
        self.inner.close_by(deadline)
    }

    /// The underlying handler.
    pub fn as_non_blocking(&self) -> &NonBlocking {
        &self.inner
    }

    pub(crate) fn thread_name(self, name: &str) -> Self {
        self.map(|h| h.thread_name(name))
    }

    fn map(self, f: impl FnOnce(NonBlocking) -> NonBlocking) -> Self {
        StderrHandler {
            inner: f(self.inner),
            ..self
        }
    }
}

impl Handler for StderrHandler {
    fn dropped(&self) -> u64 {
        Self::dropped(self)
    }

    fn handle(&self, record: &Record<'_>) {
        self.inner.handle(record)
    }
    fn flush(&self) {
        self.inner.flush()
    }
    fn close(&self) {
        self.inner.close()
    }
    fn flush_by(&self, deadline: Instant) -> bool {
        self.inner.flush_by(deadline)
    }
    fn close_by(&self, deadline: Instant) -> bool {
        Handler::close_by(&self.inner, deadline)
    }
    fn target(&self) -> Option<String> {
        Some("stderr".into())
    }
    fn take_error(&self) -> Option<io::Error> {
        self.inner.take_error()
    }
}
