//! [`JournaldHandler`]: records to systemd's journal over its native protocol, each key-value
//! a journal field of its own (queryable as `journalctl JOB=42`), where the `/dev/log` road of
//! the syslog handler keeps them only as text. Built on the never-blocking
//! [`Worker`]: a journal that is slow or gone never stalls the
//! program that logs, and what does not reach it is counted. Linux only (journald runs
//! nowhere else).
//!
//! # The entry
//!
//! | field | what we write |
//! | --- | --- |
//! | `MESSAGE` | the message |
//! | `PRIORITY` | the syslog severity: `ERROR` 3, `WARN` 4, `INFO` 6, `DEBUG` and `TRACE` 7 (as the syslog handler maps them) |
//! | `LOGGER` | the logger's name (`root` for the root logger) |
//! | `CODE_FILE`, `CODE_LINE` | the call site, when the record has one |
//! | `SYSLOG_IDENTIFIER` | the program's file name, or [`JournaldBuilder::identifier`] |
//! | `TRACE_ID`, `SPAN_ID` | the OpenTelemetry span's ids, when the record carries them (feature `opentelemetry`) |
//! | one field per key-value | its key upper-cased: `job` → `JOB`, `user_name` → `USER_NAME` |
//! | `REPLAYED` | `true` on a record replayed by a flight recorder |
//!
//! journald accepts field names of ASCII capitals, digits and `_` only, at most 64 bytes, not
//! starting with `_` (those are the fields journald adds itself, such as `_PID`) or a digit.
//! So a key is mapped this way: ASCII letters are upper-cased, digits and `_` kept, any other
//! character becomes `_` (`http.status-code` → `HTTP_STATUS_CODE`, `déjà` → `D_J_`); leading
//! underscores are dropped (`_private` → `PRIVATE`); `KV_` goes before a name that is then
//! empty or starts with a digit (`2fa` → `KV_2FA`), and before a key that would land on one of
//! the fields the handler writes itself (`message` → `KV_MESSAGE`), so a record never has two
//! `MESSAGE`s; the name is cut to 64 bytes. Values are written with `Display`; a value (or
//! message) holding a newline is sent in the protocol's binary form, so it stays one entry.
//!
//! An entry larger than 64 KiB is passed as a sealed memfd rather than a datagram, as
//! `sd_journal_send` does, so a large message arrives whole (journald's own limits apply:
//! `journald.conf`'s `LineMax` does not, the entry size limit of some hundreds of MiB does).
//!
//! # When journald is away
//!
//! An entry journald refuses (no socket, a full queue on its side that the socket reports) is
//! counted as dropped ([`JournaldHandler::dropped`]), the error reported once through
//! [`ErrorReporter`]; once it takes entries again, the next one is preceded by a `WARN` entry
//! `N records dropped on their way to journald` with the count in `DROPPED`. Records a full
//! queue refused are counted and told the same way.
//!
//! ```no_run
//! use scoped_logger::handler::journald::JournaldHandler;
//!
//! scoped_logger::root().add_handler(JournaldHandler::new()?);
//! scoped_logger::info!(job = 42; "charged");
//! // journalctl -o verbose JOB=42
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::handler::ErrorReporter;
use crate::handler::queue::{QueueOptions, Setup, Worker};
use crate::handler::queued::{queue_setter, queued_handler};
use crate::handler::retry::Control;
use crate::record::Record;

mod encode;
mod sink;
mod socket;

use encode::Encoder;
use sink::JournaldSink;
use socket::JournalSocket;

/// Where journald listens for its native protocol.
pub const JOURNAL_SOCKET: &str = "/run/systemd/journal/socket";

/// Sends records to the journal without ever blocking the caller; see the
/// [module docs](self) for the fields and what happens when journald is away.
pub struct JournaldHandler {
    worker: Worker<JournaldSink>,
    encoder: Arc<Encoder>,
    errors: Arc<ErrorReporter>,
    control: Arc<Control>,
    what: String,
}

impl fmt::Debug for JournaldHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JournaldHandler")
            .field("to", &self.what)
            .field("identifier", &self.encoder.identifier)
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl JournaldHandler {
    /// A handler on this machine's journal ([`JOURNAL_SOCKET`]), with the defaults. Fails when
    /// the journal's socket is not there (no journald on this machine, or not yet started),
    /// or when the worker thread cannot start.
    pub fn new() -> io::Result<JournaldHandler> {
        Self::builder().open()
    }

    /// Configures a handler; [`open`](JournaldBuilder::open) makes it.
    pub fn builder() -> JournaldBuilder {
        JournaldBuilder {
            socket: PathBuf::from(JOURNAL_SOCKET),
            identifier: None,
            queue: QueueOptions::default(),
        }
    }

    fn pack(&self, record: &Record<'_>) -> Vec<u8> {
        let mut entry = Vec::with_capacity(256);
        self.encoder.encode(record, &mut entry, &mut String::new());
        entry
    }
}

queued_handler!(JournaldHandler);

/// Configures a [`JournaldHandler`]; made by [`JournaldHandler::builder`].
///
/// ```no_run
/// use scoped_logger::handler::journald::JournaldHandler;
/// use scoped_logger::handler::queue::QueueOptions;
///
/// let journal = JournaldHandler::builder()
///     .identifier("billing")    // SYSLOG_IDENTIFIER; default: the program's file name
///     .queue(QueueOptions::default().capacity(4096)) // records held while journald is slow
///     .open()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "a builder does nothing until `.open()`"]
pub struct JournaldBuilder {
    socket: PathBuf,
    identifier: Option<String>,
    queue: QueueOptions,
}

impl JournaldBuilder {
    /// The `SYSLOG_IDENTIFIER` of every entry (default: the program's file name, as syslog's
    /// APP-NAME).
    pub fn identifier(mut self, identifier: impl Into<String>) -> Self {
        self.identifier = Some(identifier.into());
        self
    }

    /// The journal's socket (default [`JOURNAL_SOCKET`]): for a journald of a container or a
    /// namespace of its own (`/run/systemd/journal.NAMESPACE/socket`).
    pub fn socket(mut self, path: impl AsRef<Path>) -> Self {
        self.socket = path.as_ref().to_owned();
        self
    }

    queue_setter!();

    /// Starts the worker and returns the handler. Fails when the socket is not there, or when
    /// the worker thread cannot start.
    pub fn open(self) -> io::Result<JournaldHandler> {
        if !self.socket.exists() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no journald socket at {}", self.socket.display()),
            ));
        }
        let what = format!("journald {}", self.socket.display());
        let encoder = Arc::new(Encoder {
            identifier: self
                .identifier
                .unwrap_or_else(crate::handler::program::program_name),
        });
        let errors = Arc::new(ErrorReporter::new(format!("journald handler ({what})")));
        let sink = JournaldSink {
            socket: JournalSocket::new(&self.socket)?,
            encoder: encoder.clone(),
            errors: errors.clone(),
            what: what.clone(),
            lost: 0,
            unreported: 0,
        };
        let mut setup = Setup::new("scoped-logger-journald", self.queue);
        setup.description = Some(format!("journald handler ({what})"));
        let worker = Worker::start(sink, setup)?;
        Ok(JournaldHandler {
            worker,
            encoder,
            errors,
            control: Arc::new(Control::default()),
            what,
        })
    }
}
