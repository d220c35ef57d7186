//! [`SyslogHandler`]: records to a syslog server (rsyslog, syslog-ng, journald's `/dev/log`) as
//! RFC 5424 messages over UDP, TCP (RFC 6587 octet counting) or a local Unix datagram socket.
//! It is built on the never-blocking [`Worker`](crate::handler::queue::Worker): a server that is slow, stopped or restarting
//! never stalls the program that logs, and every record that does not reach it is counted.
//!
//! # The message
//!
//! Each record becomes one RFC 5424 message, formatted on the caller's thread:
//!
//! ```text
//! <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [kv@32473 key="value" ...] MSG
//! <134>1 2026-11-24T19:03:58.123Z web-3 billing 4242 jobs.42 [kv@32473 job="42" user="ann"] charged 12.50 EUR
//! ```
//!
//! | field | what we write |
//! | --- | --- |
//! | PRI | `facility * 8 + severity`; the facility is [`Facility::User`] unless set, the severity comes from the level (table below) |
//! | TIMESTAMP | the record's time, RFC 3339 in UTC with milliseconds (`-` for a time before 1970 or after 9999) |
//! | HOSTNAME | the kernel's host name (`uname`, as `hostname` prints it; `COMPUTERNAME` on Windows), `-` when there is none; or [`SyslogBuilder::hostname`] |
//! | APP-NAME | the program's file name, or [`SyslogBuilder::app_name`] |
//! | PROCID | the process id |
//! | MSGID | the logger's name (`root` for the root logger) |
//! | STRUCTURED-DATA | the key-values in one element `[kv@32473 ...]` (see [`SyslogBuilder::structured_data_id`]), `-` when there are none |
//! | MSG | the message, UTF-8, without a byte order mark unless [`SyslogBuilder::utf8_bom`] asks for one |
//!
//! | level | severity |
//! | --- | --- |
//! | `ERROR` | 3 (`err`) |
//! | `WARN` | 4 (`warning`) |
//! | `INFO` | 6 (`info`), as Python's `SysLogHandler` maps it: `notice` (5) is left for what is more significant than routine information |
//! | `DEBUG`, `TRACE` | 7 (`debug`): syslog has nothing below it; a trace record is told apart by nothing but its text |
//!
//! Header fields hold printable ASCII only (RFC 5424 section 6): any other character in the
//! hostname, the app name or the logger name becomes `_`, and each is cut to its RFC length
//! (255, 48 and 32 characters), so `jobs.déjà-vu` is sent as MSGID `jobs.d_j_-vu`. A key
//! becomes an SD-NAME the same way (`=`, space, `]` and `"` become `_` too; at most 32
//! characters; an empty key is `_`); keys may repeat, as RFC 5424 allows. Values are written with
//! `Display` and escaped as PARAM-VALUE requires (`"`, `\` and `]` get a backslash before them),
//! and, as in the text format, control characters, line separators and bidirectional overrides
//! are escaped too ([escaped](crate::format#escaping): a newline is `\n`), so a value
//! cannot end a line wherever the receiver stores the message. MSG is sent as it is: its frame
//! carries any byte, and rsyslog escapes control characters on receipt (a newline becomes `#012`).
//! A record replayed from a buffer carries `replayed="true"`.
//!
//! No byte order mark by default: RFC 5424 allows a MSG without one, and rsyslog (checked with
//! 8.2302) keeps the mark as part of `%msg%`, where it ends up in files and search indexes as
//! three stray bytes.
//!
//! # Size limit and truncation
//!
//! A message is at most [`SyslogBuilder::max_message`] bytes (the TCP length prefix not
//! counted): by default 2048 over UDP (what RFC 5426 says every receiver should take, and it
//! fits the usual paths without much fragmentation) and 8192 over TCP and Unix sockets
//! (rsyslog's default `maxMessageSize`). A longer message is cut at the last UTF-8 character
//! boundary that fits, so what arrives is always valid UTF-8 and a prefix of the record's text.
//! If the header and structured data alone do not fit, the structured data is replaced by `-`
//! rather than cut (a cut element would not parse).
//!
//! # Transports
//!
//! * [`SyslogHandler::udp`]: one datagram per message, from a connected socket. UDP confirms
//!   nothing; the one sign of a server that is not listening is the ICMP "port unreachable"
//!   its host sends back, which the socket keeps as an error. The worker looks for it after
//!   each datagram (and a later send reports one that came late): each refusal counts the
//!   record it refused as dropped, and the worker then sends nothing (counting each record as
//!   dropped instead) until [`SyslogBuilder::reconnect_delay`]'s shortest delay has passed,
//!   when the drop report goes first, as a probe. On loopback the refusal is there as soon as
//!   the datagram is sent, so every record sent to a stopped server is counted. Over a network
//!   it takes a round trip: records sent in that round trip, and datagrams lost without any
//!   ICMP (a firewall, a congested link, a host that rate-limits ICMP) are lost uncounted.
//! * [`SyslogHandler::tcp`]: a stream of `LEN SP MSG` frames (RFC 6587 octet counting, which
//!   rsyslog and syslog-ng accept on their plain TCP inputs), so a message may contain newlines.
//! * [`SyslogHandler::unix`] and [`SyslogHandler::local`] (`/dev/log`, or macOS's `/var/run/syslog`): one datagram per
//!   message, in [`SyslogFormat::Local`] by default, because neither journald (systemd
//!   issue 19251) nor rsyslog's `imuxsock` with its default parser reads RFC 5424 there.
//!
//! # When the server goes away
//!
//! The caller never waits past a stall window (under the default
//! [`Policy::BlockUnlessStalled`](crate::handler::queue::Policy::BlockUnlessStalled)): messages go to a bounded queue
//! and a worker thread sends them. When a TCP server closes the connection or a Unix socket
//! refuses a message, the worker keeps the messages it has not sent and reconnects, first after
//! [`SyslogBuilder::reconnect_delay`]'s shortest delay and then doubling it up to its longest,
//! while the queue absorbs new records; once the queue is full, further records are dropped and
//! counted ([`SyslogHandler::dropped`]). When it is connected again, the worker sends what it
//! kept and then, at the place of the gap, one message (a `WARN` from the logger
//! `scoped_logger`, with the count in `dropped="N"`):
//!
//! ```text
//! 4242 records dropped while the syslog server was unreachable
//! ```
//!
//! (`... was not keeping up` when the queue overflowed while the server was reachable but slow).
//! The count in the report is exactly what was counted since the last report: records refused
//! by the full queue, and records lost on the way (below). A report lost on the way is sent
//! again with the next one's count added.
//! Connection errors are reported once through [`ErrorReporter`](crate::handler::ErrorReporter) and counted after that.
//!
//! Over TCP, RFC 6587 has no acknowledgements: a server that dies takes with it what it had
//! not read yet, and the client cannot ask how much that was. The worker bounds it from what it
//! sees of the connection, checked before each batch and at each flush with a read that must
//! find nothing (a syslog server never writes back):
//!
//! * a message counts as delivered once the connection has been seen open at least 100 ms
//!   after the message was written (the time a live server gets to read it);
//! * when the server closes the connection cleanly (FIN), it had read everything that reached
//!   it (a socket closed with unread data sends a reset instead): only what was written after
//!   the connection was last seen open is counted as possibly lost;
//! * when it is reset, or a write fails, everything not yet delivered by the first rule is
//!   counted as possibly lost.
//!
//! Records counted this way are never sent again (the server may have them: nothing arrives
//! twice), and the count is part of [`SyslogHandler::dropped`] and of the report. It is an upper
//! bound as long as the server reads what reaches it within 100 ms and keeps what it reads: a
//! server that stalls longer and then dies, or one that drops messages it has read (rsyslog
//! shutting down can lose the batch it was parsing), loses records no client can count. A
//! collector that must not lose even those needs an acknowledging protocol (rsyslog's RELP) or
//! a file that a shipper reads (see the `JsonFormat` and file handlers).
//!
//! Closing the handler stops the waiting: whatever cannot be sent by the close deadline is
//! counted as dropped, and the worker never holds up process exit past that deadline.
//!
//! ```
//! use scoped_logger::{Handler, Level, Registry};
//! use scoped_logger::handler::syslog::{Facility, SyslogHandler};
//! use std::net::UdpSocket;
//! use std::time::{Duration, Instant};
//!
//! // A stand-in for the syslog server: a UDP socket of our own.
//! let server = UdpSocket::bind("127.0.0.1:0")?;
//! server.set_read_timeout(Some(Duration::from_secs(10)))?;
//!
//! let syslog = std::sync::Arc::new(
//!     SyslogHandler::udp(server.local_addr()?)
//!         .app_name("billing")
//!         .facility(Facility::Local0)
//!         .open()?,
//! );
//! let reg = Registry::new();
//! reg.root().add_shared_handler(syslog.clone());
//! let jobs = reg.logger("jobs.42");
//! jobs.log(Level::Warn, format_args!("disk at {}%", 91));
//! assert!(syslog.flush_by(Instant::now() + Duration::from_secs(10)));
//!
//! let mut buf = [0; 2048];
//! let n = server.recv(&mut buf)?;
//! let msg = std::str::from_utf8(&buf[..n]).unwrap();
//! // local0 (16) * 8 + warning (4) = 132
//! assert!(msg.starts_with("<132>1 "), "{msg}");
//! assert!(msg.contains(&format!(" billing {} ", std::process::id())), "{msg}");
//! assert!(msg.ends_with(" jobs.42 - disk at 91%"), "{msg}");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::level::Level;

mod format;
mod handler;
mod sink;
mod transport;

pub use handler::{SyslogBuilder, SyslogHandler};

/// The SD-ID of the element that carries a record's key-values unless
/// [`SyslogBuilder::structured_data_id`] names another: `kv` at enterprise number 32473, the
/// number IANA reserves for examples and documentation (RFC 5612). Use your organisation's own
/// number if you have one registered.
pub const DEFAULT_SD_ID: &str = "kv@32473";

/// The smallest [`SyslogBuilder::max_message`]: every syslog receiver must accept 480 bytes
/// (RFC 5426).
pub const MIN_MESSAGE: usize = 480;

/// The syslog facility: which part of the system a message comes from (RFC 5424 section 6.2.1).
/// Programs use [`User`](Facility::User) (the default) or one of `Local0` to `Local7`, which an
/// administrator can route separately.
///
/// Parses from the usual lower-case names: `"local3".parse::<Facility>()`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Facility {
    /// Kernel messages (0).
    Kern = 0,
    /// User-level messages (1): the default.
    #[default]
    User = 1,
    /// The mail system (2).
    Mail = 2,
    /// System daemons (3).
    Daemon = 3,
    /// Security and authorization (4).
    Auth = 4,
    /// Messages syslogd generates itself (5).
    Syslog = 5,
    /// The line printer subsystem (6).
    Lpr = 6,
    /// Network news (7).
    News = 7,
    /// UUCP (8).
    Uucp = 8,
    /// The clock daemon, cron (9).
    Cron = 9,
    /// Private security and authorization (10).
    AuthPriv = 10,
    /// The FTP daemon (11).
    Ftp = 11,
    /// NTP (12).
    Ntp = 12,
    /// Log audit (13).
    Audit = 13,
    /// Log alert (14).
    Alert = 14,
    /// The clock daemon, second facility (15).
    Clock = 15,
    /// Local use 0 (16): for the site to route as it likes.
    Local0 = 16,
    /// Local use 1 (17): for the site to route as it likes.
    Local1 = 17,
    /// Local use 2 (18): for the site to route as it likes.
    Local2 = 18,
    /// Local use 3 (19): for the site to route as it likes.
    Local3 = 19,
    /// Local use 4 (20): for the site to route as it likes.
    Local4 = 20,
    /// Local use 5 (21): for the site to route as it likes.
    Local5 = 21,
    /// Local use 6 (22): for the site to route as it likes.
    Local6 = 22,
    /// Local use 7 (23): for the site to route as it likes.
    Local7 = 23,
}

impl Facility {
    const ALL: [(Facility, &'static str); 24] = [
        (Facility::Kern, "kern"),
        (Facility::User, "user"),
        (Facility::Mail, "mail"),
        (Facility::Daemon, "daemon"),
        (Facility::Auth, "auth"),
        (Facility::Syslog, "syslog"),
        (Facility::Lpr, "lpr"),
        (Facility::News, "news"),
        (Facility::Uucp, "uucp"),
        (Facility::Cron, "cron"),
        (Facility::AuthPriv, "authpriv"),
        (Facility::Ftp, "ftp"),
        (Facility::Ntp, "ntp"),
        (Facility::Audit, "audit"),
        (Facility::Alert, "alert"),
        (Facility::Clock, "clock"),
        (Facility::Local0, "local0"),
        (Facility::Local1, "local1"),
        (Facility::Local2, "local2"),
        (Facility::Local3, "local3"),
        (Facility::Local4, "local4"),
        (Facility::Local5, "local5"),
        (Facility::Local6, "local6"),
        (Facility::Local7, "local7"),
    ];

    /// The facility's number (0 to 23).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The lower-case name (`user`, `local3`).
    pub fn name(self) -> &'static str {
        Self::ALL[self as usize].1
    }
}

impl fmt::Display for Facility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A facility name that [`Facility::from_str`] did not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseFacilityError(String);

impl fmt::Display for ParseFacilityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown syslog facility {:?}: expected one of user, daemon, local0 to local7, ...",
            self.0
        )
    }
}

impl std::error::Error for ParseFacilityError {}

impl FromStr for Facility {
    type Err = ParseFacilityError;

    /// Case-insensitive; `security` is accepted for `auth`, as syslog.conf does.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        if lower == "security" {
            return Ok(Facility::Auth);
        }
        Self::ALL
            .iter()
            .find(|(_, name)| *name == lower)
            .map(|(f, _)| *f)
            .ok_or_else(|| ParseFacilityError(s.to_owned()))
    }
}

/// The syslog severity (0 to 7) a level is sent with: see the table in the [module docs](self).
///
/// ```
/// use scoped_logger::{Level, handler::syslog::severity};
/// assert_eq!(severity(Level::Error), 3);
/// assert_eq!(severity(Level::Info), 6);
/// assert_eq!(severity(Level::Trace), 7);
/// ```
pub fn severity(level: Level) -> u8 {
    match level {
        Level::Error => 3,
        Level::Warn => 4,
        Level::Info => 6,
        Level::Debug | Level::Trace => 7,
    }
}

/// How a record is written into a syslog message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyslogFormat {
    /// RFC 5424 with structured data (see the [module docs](self)). The default over UDP and TCP.
    Rfc5424,
    /// What glibc's `syslog(3)` sends to `/dev/log`, without the timestamp (the receiver stamps
    /// the time it got it): `<PRI>APP-NAME[PID]: LOGGER: message key=value ...`, escaped and
    /// quoted as the text format does it ([`TextFormat`](crate::format::TextFormat)), so one
    /// record is one line for the receiver whatever it holds. The default over Unix sockets,
    /// since journald and rsyslog's `imuxsock` read only this form there.
    Local,
}
