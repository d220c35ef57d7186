//! [`SyslogHandler`] and its builder.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::handler::queue::{QueueOptions, Setup, Worker};
use crate::handler::{ErrorReporter, Handler};
use crate::record::Record;

use super::format::{Encoder, default_hostname, header_field, sd_id};
use super::sink::SyslogSink;
use super::transport::Endpoint;
use super::{DEFAULT_SD_ID, Facility, MIN_MESSAGE, SyslogFormat};
use crate::handler::program::program_name;
use crate::handler::retry::{Backoff, Control};
// ---- the handler -------------------------------------------------------------------------------

/// Sends records to a syslog server without ever blocking the caller; see the
/// [module docs](crate::handler::syslog) for the message format, the transports and what happens when the server
/// goes away.
///
/// ```no_run
/// use scoped_logger::handler::syslog::{Facility, SyslogHandler};
///
/// // The local rsyslog, listening on TCP 514 (imtcp):
/// let remote = SyslogHandler::tcp("127.0.0.1:514")
///     .app_name("billing")
///     .facility(Facility::Local3)
///     .open()?;
/// // journald or rsyslog on the local socket:
/// let local = SyslogHandler::local().open()?;
/// scoped_logger::root().add_handler(remote);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct SyslogHandler {
    worker: Worker<SyslogSink>,
    control: Arc<Control>,
    errors: Arc<ErrorReporter>,
    encoder: Arc<Encoder>,
    what: String,
}

impl fmt::Debug for SyslogHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyslogHandler")
            .field("to", &self.what)
            .field("format", &self.encoder.format)
            .field("facility", &self.encoder.facility)
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl SyslogHandler {
    /// A handler sending one datagram per record to `addr` (e.g. `"127.0.0.1:514"`). The address
    /// is resolved now (a name that does not resolve makes [`open`](SyslogBuilder::open) fail).
    pub fn udp(addr: impl ToSocketAddrs) -> SyslogBuilder {
        SyslogBuilder::new(resolve(addr).map(Endpoint::Udp))
    }

    /// A handler sending octet-counted frames over one TCP connection to `addr`, reconnecting
    /// when the server goes away.
    pub fn tcp(addr: impl ToSocketAddrs) -> SyslogBuilder {
        SyslogBuilder::new(resolve(addr).map(Endpoint::Tcp))
    }

    /// A handler sending one datagram per record to the Unix datagram socket at `path`, in
    /// [`SyslogFormat::Local`] unless told otherwise. Off Unix there are no such sockets:
    /// [`open`](SyslogBuilder::open) then fails with [`io::ErrorKind::Unsupported`].
    pub fn unix(path: impl AsRef<Path>) -> SyslogBuilder {
        #[cfg(unix)]
        let endpoint = Ok(Endpoint::Unix(path.as_ref().to_owned()));
        #[cfg(not(unix))]
        let endpoint = Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!(
                "syslog over the Unix socket {} needs a Unix platform",
                path.as_ref().display()
            ),
        ));
        SyslogBuilder::new(endpoint)
    }

    /// [`unix`](Self::unix) on the system logger's socket: the first of `/dev/log` (Linux:
    /// journald or rsyslog; most BSDs), `/var/run/syslog` (macOS) and `/var/run/log` (FreeBSD)
    /// that exists, else `/dev/log`. As with any socket that is not there yet,
    /// [`open`](SyslogBuilder::open) still succeeds and the worker keeps trying to connect:
    /// records wait in the queue meanwhile, and what a full queue refuses is counted in
    /// [`dropped`](SyslogHandler::dropped) and reported once. Off Unix, `open` fails with
    /// [`io::ErrorKind::Unsupported`].
    pub fn local() -> SyslogBuilder {
        Self::unix(local_socket(|p| Path::new(p).exists()))
    }

    /// Stops waiting for the server, sends what can be sent by `deadline` and closes the
    /// connection. Returns `false` when the worker was still busy at the deadline; what it had
    /// not sent is counted as dropped.
    pub fn close_by(&self, deadline: Instant) -> bool {
        Handler::close_by(self, deadline)
    }

    /// The record as one syslog message, packed on the caller's thread for the worker.
    fn pack(&self, record: &Record<'_>) -> Vec<u8> {
        let mut msg = Vec::with_capacity(256);
        self.encoder.encode(record, &mut msg);
        msg
    }
}

// `dropped`, `queued`, `destination`, the `Handler` impl and the `Drop` that stops the worker's
// waiting, as journald and OTLP have them.
crate::handler::queued::queued_handler!(SyslogHandler);

fn resolve(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the syslog address resolved to nothing",
        ));
    }
    Ok(addrs)
}

/// Configures a [`SyslogHandler`]; made by [`SyslogHandler::udp`], [`tcp`](SyslogHandler::tcp),
/// [`unix`](SyslogHandler::unix) or [`local`](SyslogHandler::local).
///
/// ```
/// use scoped_logger::handler::syslog::{Facility, SyslogFormat, SyslogHandler};
/// use scoped_logger::handler::queue::QueueOptions;
/// use std::time::Duration;
///
/// let server = std::net::UdpSocket::bind("127.0.0.1:0")?;
/// let handler = SyslogHandler::udp(server.local_addr()?)
///     .app_name("billing")              // default: the program's file name
///     .hostname("web-3")                // default: the kernel's host name
///     .facility(Facility::Local3)       // default: user
///     .format(SyslogFormat::Rfc5424)    // default over UDP and TCP
///     .max_message(1024)                // bytes; longer messages are cut
///     .queue(QueueOptions::default().capacity(4096)) // records held while the server is away
///     .reconnect_delay(Duration::from_millis(100), Duration::from_secs(5))
///     .open()?;
/// assert_eq!(handler.dropped(), 0);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "a builder does nothing until `open` is called"]
pub struct SyslogBuilder {
    endpoint: io::Result<Endpoint>,
    app_name: Option<String>,
    hostname: Option<String>,
    facility: Facility,
    format: Option<SyslogFormat>,
    max_message: Option<usize>,
    bom: bool,
    sd_id: String,
    queue: QueueOptions,
    reconnect: (Duration, Duration),
    connect_timeout: Duration,
}

impl SyslogBuilder {
    fn new(endpoint: io::Result<Endpoint>) -> Self {
        SyslogBuilder {
            endpoint,
            app_name: None,
            hostname: None,
            facility: Facility::User,
            format: None,
            max_message: None,
            bom: false,
            sd_id: DEFAULT_SD_ID.to_owned(),
            queue: QueueOptions::default(),
            reconnect: (Duration::from_millis(100), Duration::from_secs(5)),
            connect_timeout: Duration::from_secs(2),
        }
    }

    /// APP-NAME (default: the program's file name); at most 48 printable ASCII characters,
    /// others become `_`.
    pub fn app_name(mut self, name: impl Into<String>) -> Self {
        self.app_name = Some(name.into());
        self
    }

    /// HOSTNAME (default: the kernel's host name); at most 255 printable ASCII characters.
    pub fn hostname(mut self, name: impl Into<String>) -> Self {
        self.hostname = Some(name.into());
        self
    }

    /// The facility (default [`Facility::User`]).
    pub fn facility(mut self, facility: Facility) -> Self {
        self.facility = facility;
        self
    }

    /// The message format: [`SyslogFormat::Rfc5424`] by default over UDP and TCP,
    /// [`SyslogFormat::Local`] over Unix sockets.
    pub fn format(mut self, format: SyslogFormat) -> Self {
        self.format = Some(format);
        self
    }

    /// Most bytes in one message (default 2048 over UDP, 8192 otherwise; at least
    /// [`MIN_MESSAGE`]). Longer messages are cut at a UTF-8 character boundary.
    pub fn max_message(mut self, bytes: usize) -> Self {
        self.max_message = Some(bytes.max(MIN_MESSAGE));
        self
    }

    /// Puts a UTF-8 byte order mark before each RFC 5424 MSG, as RFC 5424 suggests for
    /// receivers that need it to know the text is UTF-8 (default off: rsyslog keeps the mark
    /// as part of the message).
    pub fn utf8_bom(mut self, on: bool) -> Self {
        self.bom = on;
        self
    }

    /// The SD-ID of the key-value element (default [`DEFAULT_SD_ID`], `kv@32473`). Characters an
    /// SD-NAME cannot hold become `_`.
    pub fn structured_data_id(mut self, id: impl AsRef<str>) -> Self {
        self.sd_id = sd_id(id.as_ref());
        self
    }

    crate::handler::queued::queue_setter!();

    /// The delays between connection attempts while the server is away: `min` after the first
    /// failure, doubling up to `max` (defaults 100 ms and 5 s). Only the worker waits.
    pub fn reconnect_delay(mut self, min: Duration, max: Duration) -> Self {
        self.reconnect = (min, max.max(min));
        self
    }

    /// How long one TCP connection attempt may take (default 2 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Starts the worker and returns the handler. The connection is made by the worker, so a
    /// server that is not up yet is not an error: records wait in the queue (TCP, Unix) until
    /// it is. Fails when the address did not resolve or the worker thread cannot start.
    pub fn open(self) -> io::Result<SyslogHandler> {
        let endpoint = self.endpoint?;
        let what = endpoint.describe();
        let format = self.format.unwrap_or(match endpoint {
            #[cfg(unix)]
            Endpoint::Unix(_) => SyslogFormat::Local,
            Endpoint::Udp(_) | Endpoint::Tcp(_) => SyslogFormat::Rfc5424,
        });
        let encoder = Arc::new(Encoder {
            format,
            facility: self.facility,
            hostname: header_field(&self.hostname.unwrap_or_else(default_hostname), 255),
            app_name: header_field(&self.app_name.unwrap_or_else(program_name), 48),
            procid: std::process::id().to_string(),
            sd_id: self.sd_id,
            max_len: self.max_message.unwrap_or(endpoint.default_max()),
            bom: self.bom,
        });
        let control = Arc::new(Control::default());
        let errors = Arc::new(ErrorReporter::new(format!("syslog handler ({what})")));
        let sink = SyslogSink {
            what: what.clone(),
            conn: None,
            encoder: encoder.clone(),
            chunk: Vec::new(),
            report: Vec::new(),
            lost: 0,
            unreported: 0,
            was_down: false,
            in_flight: Default::default(),
            last_datagram_report: 0,
            backoff: Backoff::new(self.reconnect.0, self.reconnect.1),
            connect_timeout: self.connect_timeout,
            control: control.clone(),
            errors: errors.clone(),
            endpoint,
        };
        let mut setup = Setup::new("scoped-logger-syslog", self.queue);
        setup.description = Some(format!("syslog handler ({what})"));
        let worker = Worker::start(sink, setup)?;
        Ok(SyslogHandler {
            worker,
            control,
            errors,
            encoder,
            what,
        })
    }
}

/// Where the system logger listens on this machine: the first of the usual sockets that
/// `exists`, else the Linux one, so that the error names the path people expect.
fn local_socket(exists: impl Fn(&str) -> bool) -> &'static str {
    const SOCKETS: [&str; 3] = ["/dev/log", "/var/run/syslog", "/var/run/log"];
    SOCKETS
        .into_iter()
        .find(|p| exists(p))
        .unwrap_or(SOCKETS[0])
}

#[cfg(test)]
mod tests {
    use super::local_socket;

    #[test]
    fn local_socket_is_the_first_that_exists() {
        assert_eq!(local_socket(|_| true), "/dev/log");
        // macOS has only its own.
        assert_eq!(local_socket(|p| p == "/var/run/syslog"), "/var/run/syslog");
        // FreeBSD without a /dev/log link.
        assert_eq!(local_socket(|p| p == "/var/run/log"), "/var/run/log");
        // None: the error will name the path people expect.
        assert_eq!(local_socket(|_| false), "/dev/log");
    }
}
