//! [`SyslogHandler`]: records to a syslog server (rsyslog, syslog-ng, journald's `/dev/log`) as
//! RFC 5424 messages over UDP, TCP (RFC 6587 octet counting) or a local Unix datagram socket.
//! It is built on the never-blocking [`Worker`]: a server that is slow, stopped or restarting
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
//! | HOSTNAME | `/proc/sys/kernel/hostname`, else `/etc/hostname`, else `-`; or [`SyslogBuilder::hostname`] |
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
//! are escaped too ([`format::escape`](crate::format::escape): a newline is `\n`), so a value
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
//! * [`SyslogHandler::udp`]: one datagram per message. UDP confirms nothing: a datagram sent
//!   while no server listens is lost without a trace. The only sign is an ICMP "port
//!   unreachable" that makes a later send fail; that send's record is counted as dropped.
//! * [`SyslogHandler::tcp`]: a stream of `LEN SP MSG` frames (RFC 6587 octet counting, which
//!   rsyslog and syslog-ng accept on their plain TCP inputs), so a message may contain newlines.
//! * [`SyslogHandler::unix`] and [`SyslogHandler::local`] (`/dev/log`): one datagram per
//!   message, in [`SyslogFormat::Local`] by default, because neither journald (systemd
//!   issue 19251) nor rsyslog's `imuxsock` with its default parser reads RFC 5424 there.
//!
//! # When the server goes away
//!
//! The caller never waits (under the default [`Policy::Drop`]): messages go to a bounded queue
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
//! Connection errors are reported once through [`ErrorReporter`] and counted after that.
//!
//! What plain TCP cannot promise: the worker checks that the connection is still open before
//! each batch, but RFC 6587 has no acknowledgements, so messages already handed to the kernel
//! when the server dies (sent but not yet read by the server) are lost without being counted,
//! and so are messages written in the moment between the server's end and the news of it (its
//! FIN or reset) reaching this machine's kernel. Everything sent after that is either delivered
//! or counted. A collector that must not lose even those needs an acknowledging protocol
//! (rsyslog's RELP) or a file that a shipper reads (see the `JsonFormat` and file handlers).
//!
//! Closing the handler stops the waiting: whatever cannot be sent by the close deadline is
//! counted as dropped, and the worker never holds up process exit past that deadline.
//!
//! ```
//! use scoped_logger::{Facility, Handler, Level, Registry, SyslogHandler};
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
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::{Condvar, Mutex};

use crate::format::display_name;
use crate::format::escape::{self, Extra};
use crate::handler::nonblocking::{Options, Policy, Sink, Worker};
use crate::handler::{ErrorReporter, Handler};
use crate::level::Level;
use crate::record::{Record, Value};

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

// ---- encoding ----------------------------------------------------------------------------------

/// Everything needed to turn a record into one message; shared by callers and the worker.
#[derive(Debug)]
struct Encoder {
    format: SyslogFormat,
    facility: Facility,
    hostname: String,
    app_name: String,
    procid: String,
    sd_id: String,
    max_len: usize,
    bom: bool,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl Encoder {
    fn encode(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        let pri = self.facility.code() * 8 + severity(record.level());
        match self.format {
            SyslogFormat::Rfc5424 => self.encode_5424(pri, record, out),
            SyslogFormat::Local => self.encode_local(pri, record, out),
        }
    }

    fn encode_5424(&self, pri: u8, record: &Record<'_>, out: &mut Vec<u8>) {
        // Writing into a Vec cannot fail.
        let _ = write!(out, "<{pri}>1 ");
        write_timestamp(record.time(), out);
        let _ = write!(out, " {} {} {} ", self.hostname, self.app_name, self.procid);
        push_printable(out, display_name(record.logger()), 32);
        out.push(b' ');
        let sd_start = out.len();
        write_structured_data(&self.sd_id, record, out);
        if out.len() + 1 > self.max_len && out.len() - sd_start > 1 {
            // A cut element would not parse: leave the key-values out instead.
            out.truncate(sd_start);
            out.push(b'-');
        }
        out.push(b' ');
        let msg_start = out.len();
        if self.bom {
            out.extend_from_slice(BOM);
        }
        // MSG is free-form and its frame (a datagram, an octet count) carries any byte; rsyslog
        // escapes control characters on receipt. What goes in a line is escaped: the local form.
        crate::format::write_args_unescaped(out, *record.args());
        if out.len() == msg_start {
            // "SD SP" with nothing after it is valid, but some parsers want a MSG: none is fine.
            out.pop();
        }
        truncate_utf8(out, self.max_len);
    }

    fn encode_local(&self, pri: u8, record: &Record<'_>, out: &mut Vec<u8>) {
        // The receiver stores this as one line of text (journald, rsyslog's imuxsock): the same
        // escaping as the text format, through the same writer.
        let _ = write!(out, "<{pri}>{}[{}]: ", self.app_name, self.procid);
        escape::push_escaped(out, display_name(record.logger()));
        out.extend_from_slice(b": ");
        crate::format::write_args(out, *record.args());
        crate::format::text::write_key_values(record, out);
        truncate_utf8(out, self.max_len);
    }
}

/// RFC 3339, UTC, milliseconds; `-` (NILVALUE) outside what the format can show.
fn write_timestamp(time: SystemTime, out: &mut Vec<u8>) {
    // 9999-12-31T23:59:59Z: humantime cannot write later years, nor times before 1970.
    const LAST: u64 = 253_402_300_799;
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) if d.as_secs() <= LAST => {
            let _ = write!(out, "{}", humantime::format_rfc3339_millis(time));
        }
        _ => out.push(b'-'),
    }
}

/// Appends `s` with every character that is not printable US-ASCII (33 to 126) replaced by `_`,
/// at most `max` characters; `-` for an empty string (the NILVALUE).
fn push_printable(out: &mut Vec<u8>, s: &str, max: usize) {
    let start = out.len();
    for c in s.chars().take(max) {
        out.push(if c.is_ascii_graphic() { c as u8 } else { b'_' });
    }
    if out.len() == start {
        out.push(b'-');
    }
}

/// A header field as it will be sent (printable ASCII, at most `max` characters, `-` if empty).
fn header_field(s: &str, max: usize) -> String {
    let mut out = Vec::new();
    push_printable(&mut out, s, max);
    String::from_utf8(out).expect("ASCII")
}

/// An SD-NAME: printable ASCII except `=`, space, `]` and `"`; 1 to 32 characters.
fn push_sd_name(out: &mut Vec<u8>, key: &str) {
    let start = out.len();
    for c in key.chars().take(32) {
        let ok = c.is_ascii_graphic() && !matches!(c, '=' | ']' | '"');
        out.push(if ok { c as u8 } else { b'_' });
    }
    if out.len() == start {
        out.push(b'_');
    }
}

/// `[SD-ID key="value" ...]`, or `-` when the record has no key-values.
fn write_structured_data(sd_id: &str, record: &Record<'_>, out: &mut Vec<u8>) {
    let kvs = record.key_values();
    if kvs.is_empty() && !record.is_replayed() {
        out.push(b'-');
        return;
    }
    out.push(b'[');
    out.extend_from_slice(sd_id.as_bytes());
    if record.is_replayed() {
        out.extend_from_slice(b" replayed=\"true\"");
    }
    for (key, value) in kvs {
        out.push(b' ');
        push_sd_name(out, key);
        out.extend_from_slice(b"=\"");
        // PARAM-VALUE's own escapes (`"`, `\`, `]`) plus the text format's for control and
        // line-breaking characters, so no value ends a line where the receiver stores it.
        let start = out.len();
        let _ = write!(out, "{value}");
        escape::escape_from(out, start, Extra::SD_VALUE);
        out.push(b'"');
    }
    out.push(b']');
}

/// Cuts `out` to at most `max` bytes at a UTF-8 character boundary.
fn truncate_utf8(out: &mut Vec<u8>, max: usize) {
    if out.len() <= max {
        return;
    }
    let mut end = max;
    // Continuation bytes are 0b10xx_xxxx: back up to the start of the character cut in two.
    while end > 0 && (out[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    out.truncate(end);
}

/// The SD-ID as it will be sent: an SD-NAME, so `kv@32473` style ids pass as they are.
fn sd_id(id: &str) -> String {
    let mut out = Vec::new();
    push_sd_name(&mut out, id);
    String::from_utf8(out).expect("ASCII")
}

fn default_hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .find(|s| !s.is_empty())
        .unwrap_or_default()
}

fn default_app_name() -> String {
    let from_args = std::env::args_os().next().and_then(|a| {
        Path::new(&a)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
    });
    from_args
        .or_else(|| {
            std::env::current_exe()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        })
        .unwrap_or_default()
}

// ---- transports ------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Endpoint {
    Udp(Vec<SocketAddr>),
    Tcp(Vec<SocketAddr>),
    Unix(PathBuf),
}

impl Endpoint {
    fn describe(&self) -> String {
        match self {
            Endpoint::Udp(a) => format!("udp {}", a[0]),
            Endpoint::Tcp(a) => format!("tcp {}", a[0]),
            Endpoint::Unix(p) => format!("unix {}", p.display()),
        }
    }

    fn default_max(&self) -> usize {
        match self {
            Endpoint::Udp(_) => 2048,
            Endpoint::Tcp(_) | Endpoint::Unix(_) => 8192,
        }
    }

    /// Whether the worker keeps unsent messages and waits for the server to come back. Over UDP
    /// it cannot tell whether anything arrived, so there is nothing to wait for.
    fn holds(&self) -> bool {
        !matches!(self, Endpoint::Udp(_))
    }

    fn connect(&self, timeout: Duration) -> io::Result<Conn> {
        let mut last = None;
        match self {
            Endpoint::Udp(addrs) => {
                for addr in addrs {
                    let local: SocketAddr = if addr.is_ipv4() {
                        ([0, 0, 0, 0], 0).into()
                    } else {
                        ([0u16; 8], 0).into()
                    };
                    // Connected, so that a refused datagram makes a later send fail visibly.
                    match UdpSocket::bind(local).and_then(|s| s.connect(addr).map(|()| s)) {
                        Ok(s) => return Ok(Conn::Udp(s)),
                        Err(e) => last = Some(e),
                    }
                }
            }
            Endpoint::Tcp(addrs) => {
                for addr in addrs {
                    match TcpStream::connect_timeout(addr, timeout) {
                        Ok(s) => {
                            // Batches are written whole; a lone record should not wait for Nagle.
                            let _ = s.set_nodelay(true);
                            return Ok(Conn::Tcp(s));
                        }
                        Err(e) => last = Some(e),
                    }
                }
            }
            Endpoint::Unix(path) => {
                let s = UnixDatagram::unbound()?;
                s.connect(path)?;
                return Ok(Conn::Unix(s));
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no address to connect to")))
    }
}

enum Conn {
    Udp(UdpSocket),
    Tcp(TcpStream),
    Unix(UnixDatagram),
}

impl Conn {
    /// Whether the connection still looks usable. A syslog server never writes on a TCP
    /// connection, so anything readable there is the end: EOF or a reset.
    fn alive(&mut self) -> bool {
        let Conn::Tcp(s) = self else { return true };
        if s.set_nonblocking(true).is_err() {
            return false;
        }
        let mut buf = [0u8; 256];
        let alive = loop {
            match s.read(&mut buf) {
                Ok(0) => break false,
                Ok(_) => continue, // unexpected chatter: ignore it
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break false,
            }
        };
        alive && s.set_nonblocking(false).is_ok()
    }
}

/// Lets the handler interrupt the worker's wait for a server that is gone.
#[derive(Default)]
struct Control {
    closing: Mutex<bool>,
    wake: Condvar,
}

impl Control {
    fn close(&self) {
        *self.closing.lock() = true;
        self.wake.notify_all();
    }

    fn closing(&self) -> bool {
        *self.closing.lock()
    }

    /// Waits until `until` or until the handler closes, whichever comes first.
    fn wait_until(&self, until: Instant) {
        let mut closing = self.closing.lock();
        if !*closing {
            self.wake.wait_until(&mut closing, until);
        }
    }
}

/// When the next connection attempt may be made.
#[derive(Debug)]
struct Backoff {
    min: Duration,
    max: Duration,
    delay: Duration,
    next: Instant,
}

impl Backoff {
    fn new(min: Duration, max: Duration) -> Self {
        Backoff {
            min,
            max: max.max(min),
            delay: min,
            next: Instant::now(),
        }
    }

    fn failed(&mut self, now: Instant) {
        self.next = now + self.delay;
        self.delay = (self.delay * 2).min(self.max);
    }

    /// A send went through: the next failure starts again from the shortest delay.
    fn succeeded(&mut self) {
        self.delay = self.min;
    }
}

/// TCP frames are gathered into writes of about this size.
const CHUNK: usize = 64 * 1024;

/// The worker's end: sends messages, reconnects, and reports what was lost.
struct SyslogSink {
    endpoint: Endpoint,
    what: String,
    conn: Option<Conn>,
    encoder: Arc<Encoder>,
    chunk: Vec<u8>,
    report: Vec<u8>,
    /// Messages this sink could not send (the worker counts the ones it refused itself).
    lost: Arc<AtomicU64>,
    /// Drops (the worker's and ours) not yet reported to the server.
    unreported: u64,
    /// Whether the server was unreachable at some point since the last report.
    was_down: bool,
    backoff: Backoff,
    connect_timeout: Duration,
    control: Arc<Control>,
    errors: Arc<ErrorReporter>,
}

impl SyslogSink {
    fn lose(&mut self, n: usize) {
        if n > 0 {
            self.lost.fetch_add(n as u64, Ordering::Relaxed);
            self.unreported += n as u64;
        }
    }

    fn disconnected(&mut self, err: io::Error) {
        self.conn = None;
        self.was_down = true;
        // A server that accepts and then fails every send must not be reconnected to in a
        // tight loop: a broken connection counts as a failed attempt until a send succeeds.
        self.backoff.failed(Instant::now());
        self.errors
            .report(&format!("sending to {}", self.what), err);
    }

    /// Makes sure there is a connection, waiting for the server when the transport holds
    /// messages. Returns `false` when there is none to be had: over UDP after a failed attempt,
    /// and once the handler is closing.
    fn connect(&mut self) -> bool {
        loop {
            if let Some(conn) = &mut self.conn {
                if conn.alive() {
                    return true;
                }
                self.disconnected(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "the server closed the connection",
                ));
            }
            let now = Instant::now();
            if now >= self.backoff.next {
                match self.endpoint.connect(self.connect_timeout) {
                    Ok(conn) => {
                        self.conn = Some(conn);
                        return true;
                    }
                    Err(e) => {
                        self.was_down = true;
                        self.backoff.failed(Instant::now());
                        self.errors
                            .report(&format!("connecting to {}", self.what), e);
                    }
                }
            }
            if !self.endpoint.holds() || self.control.closing() {
                return false;
            }
            self.control.wait_until(self.backoff.next);
        }
    }

    /// Sends the "N records dropped" message. Returns `false` when the connection broke.
    fn send_report(&mut self) -> bool {
        let n = self.unreported;
        let why = if self.was_down {
            "unreachable"
        } else {
            "not keeping up"
        };
        let kvs = [("dropped", Value::U64(n))];
        let args = format_args!("{n} records dropped while the syslog server was {why}");
        let record = Record::builder(Level::Warn, "scoped_logger", args)
            .key_values(&kvs)
            .thread_name(Some("scoped-logger-syslog"))
            .build();
        let mut msg = std::mem::take(&mut self.report);
        msg.clear();
        self.encoder.encode(&record, &mut msg);
        let sent = self.send_one(&msg);
        self.report = msg;
        match sent {
            Ok(()) => {
                self.unreported = 0;
                self.was_down = false;
                self.backoff.succeeded();
                true
            }
            // UDP keeps its socket: try the report again with the next message.
            Err(e) if !self.endpoint.holds() => {
                self.was_down = true;
                self.errors.report(&format!("sending to {}", self.what), e);
                true
            }
            Err(e) => {
                self.disconnected(e);
                false
            }
        }
    }

    fn send_one(&mut self, msg: &[u8]) -> io::Result<()> {
        match &mut self.conn {
            Some(Conn::Udp(s)) => s.send(msg).map(drop),
            Some(Conn::Unix(s)) => s.send(msg).map(drop),
            Some(Conn::Tcp(s)) => {
                self.chunk.clear();
                frame(&mut self.chunk, msg);
                s.write_all(&self.chunk)
            }
            None => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    /// Sends datagrams from `batch`; returns how many were dealt with (sent or lost for good).
    /// Stops early when the connection must be made again.
    fn send_datagrams(&mut self, batch: &[Vec<u8>]) -> usize {
        for (i, msg) in batch.iter().enumerate() {
            let sent = match &self.conn {
                Some(Conn::Udp(s)) => s.send(msg).map(drop),
                Some(Conn::Unix(s)) => s.send(msg).map(drop),
                _ => return i,
            };
            match sent {
                Ok(()) => {}
                // Too big for this socket: it will never fit, whatever we do.
                Err(e) if e.raw_os_error() == Some(EMSGSIZE) => {
                    self.lose(1);
                    self.errors.report(&format!("sending to {}", self.what), e);
                }
                // UDP: the ICMP error of an earlier datagram; this one is gone too.
                Err(e) if !self.endpoint.holds() => {
                    self.lose(1);
                    self.was_down = true;
                    self.errors.report(&format!("sending to {}", self.what), e);
                }
                // A Unix socket refused it: not delivered, send it again once reconnected.
                Err(e) => {
                    self.disconnected(e);
                    return i;
                }
            }
        }
        batch.len()
    }

    /// Writes one chunk of TCP frames from `batch`; returns how many messages it covered (sent,
    /// or lost with a failed write).
    fn send_frames(&mut self, batch: &[Vec<u8>]) -> usize {
        self.chunk.clear();
        let mut n = 0;
        for msg in batch {
            if n > 0 && self.chunk.len() + msg.len() + 8 > CHUNK {
                break;
            }
            frame(&mut self.chunk, msg);
            n += 1;
        }
        let Some(Conn::Tcp(s)) = &mut self.conn else {
            return 0;
        };
        if let Err(e) = s.write_all(&self.chunk) {
            // Some of the chunk may have arrived; none of it can be known to have: count it all.
            self.lose(n);
            self.disconnected(e);
        }
        n
    }
}

/// `EMSGSIZE`, which `io::ErrorKind` has no stable name for (Linux 90, the BSDs and macOS 40).
const EMSGSIZE: i32 = if cfg!(target_os = "linux") { 90 } else { 40 };

/// RFC 6587 octet counting: `LEN SP MSG`.
fn frame(out: &mut Vec<u8>, msg: &[u8]) {
    let _ = write!(out, "{} ", msg.len());
    out.extend_from_slice(msg);
}

impl Sink for SyslogSink {
    type Item = Vec<u8>;

    fn write_batch(&mut self, batch: &mut Vec<Vec<u8>>) -> io::Result<()> {
        let mut done = 0;
        while done < batch.len() {
            if !self.connect() {
                self.lose(batch.len() - done);
                return Ok(());
            }
            if self.unreported > 0 && !self.send_report() {
                continue;
            }
            done += match self.endpoint {
                Endpoint::Tcp(_) => self.send_frames(&batch[done..]),
                Endpoint::Udp(_) | Endpoint::Unix(_) => self.send_datagrams(&batch[done..]),
            };
        }
        if self.conn.is_some() {
            self.backoff.succeeded();
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Drops after the last message have no message to ride on: report them now.
        while self.unreported > 0 && self.connect() {
            if self.send_report() || !self.endpoint.holds() {
                break;
            }
        }
        Ok(())
    }

    fn report_dropped(&mut self, count: u64) -> io::Result<()> {
        // Sent before the next message (or by the next flush), so it lands at the gap.
        self.unreported += count;
        Ok(())
    }

    fn close(&mut self) -> io::Result<()> {
        match self.conn.take() {
            Some(Conn::Tcp(s)) => match s.shutdown(Shutdown::Write) {
                Err(e) if e.kind() != io::ErrorKind::NotConnected => Err(e),
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }
}

// ---- the handler -------------------------------------------------------------------------------

/// Sends records to a syslog server without ever blocking the caller; see the
/// [module docs](self) for the message format, the transports and what happens when the server
/// goes away.
///
/// ```no_run
/// use scoped_logger::{Facility, SyslogHandler};
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
    lost: Arc<AtomicU64>,
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
    /// [`SyslogFormat::Local`] unless told otherwise.
    pub fn unix(path: impl AsRef<Path>) -> SyslogBuilder {
        SyslogBuilder::new(Ok(Endpoint::Unix(path.as_ref().to_owned())))
    }

    /// [`unix`](Self::unix)`("/dev/log")`: the system's logger, journald or rsyslog.
    pub fn local() -> SyslogBuilder {
        Self::unix("/dev/log")
    }

    /// Records dropped so far: refused by a full queue, or not sent because the server could
    /// not be reached (each is counted once).
    pub fn dropped(&self) -> u64 {
        self.worker.dropped() + self.lost.load(Ordering::Relaxed)
    }

    /// Records waiting to be sent now.
    pub fn queued(&self) -> usize {
        self.worker.queued()
    }

    /// Where the records go, as error reports name it (`tcp 127.0.0.1:514`).
    pub fn destination(&self) -> &str {
        &self.what
    }

    /// Stops waiting for the server, sends what can be sent by `deadline` and closes the
    /// connection. Returns `false` when the worker was still busy at the deadline; what it had
    /// not sent is counted as dropped.
    pub fn close_by(&self, deadline: Instant) -> bool {
        self.control.close();
        self.worker.close_by(deadline)
    }
}

impl Handler for SyslogHandler {
    fn handle(&self, record: &Record<'_>) {
        if self.worker.would_drop() {
            // Full under Policy::Drop: do not format a message only to throw it away.
            self.worker.count_dropped();
            return;
        }
        let mut msg = Vec::with_capacity(256);
        self.encoder.encode(record, &mut msg);
        let len = msg.len();
        self.worker.send(msg, len);
    }

    fn flush(&self) {
        self.worker.flush_by(self.worker.default_deadline());
    }

    fn close(&self) {
        // Not `default_deadline`: once told to close, the worker stops waiting for the server,
        // so a flush that gave up on it does not mean closing will.
        Handler::close_by(self, Instant::now() + self.worker.flush_timeout());
    }

    fn close_by(&self, deadline: Instant) -> bool {
        let done = SyslogHandler::close_by(self, deadline);
        self.errors.summarize();
        self.worker.errors().summarize();
        done
    }

    fn target(&self) -> Option<String> {
        Some(self.what.clone())
    }

    fn flush_by(&self, deadline: Instant) -> bool {
        self.worker.flush_by(deadline)
    }

    fn take_error(&self) -> Option<io::Error> {
        self.errors.take().or_else(|| self.worker.take_error())
    }
}

impl Drop for SyslogHandler {
    fn drop(&mut self) {
        // The worker's own drop then closes it with its deadline; it must not wait for a server.
        self.control.close();
    }
}

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
/// use scoped_logger::{Facility, Policy, SyslogFormat, SyslogHandler};
/// use std::time::Duration;
///
/// let server = std::net::UdpSocket::bind("127.0.0.1:0")?;
/// let handler = SyslogHandler::udp(server.local_addr()?)
///     .app_name("billing")              // default: the program's file name
///     .hostname("web-3")                // default: the kernel's host name
///     .facility(Facility::Local3)       // default: user
///     .format(SyslogFormat::Rfc5424)    // default over UDP and TCP
///     .max_message(1024)                // bytes; longer messages are cut
///     .capacity(4096)                   // records held while the server is slow or away
///     .policy(Policy::Drop)             // the default: never wait
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
    options: Options,
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
            options: Options::default().thread_name("scoped-logger-syslog"),
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

    /// Most records held at once, queued or being sent (default 16 384): how much a server
    /// restart can absorb before records are dropped. See [`Options::capacity`].
    pub fn capacity(mut self, records: usize) -> Self {
        self.options = self.options.capacity(records);
        self
    }

    /// Most bytes held at once (default 16 MiB). See [`Options::capacity_bytes`].
    pub fn capacity_bytes(mut self, bytes: usize) -> Self {
        self.options = self.options.capacity_bytes(bytes);
        self
    }

    /// What a caller does when the queue is full (default [`Policy::Drop`]). Under
    /// [`Policy::Block`] a caller waits as long as the server stays away.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.options = self.options.policy(policy);
        self
    }

    /// How long `flush()` and `close()` wait for the worker (default 1 s).
    pub fn flush_timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.flush_timeout(timeout);
        self
    }

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
            Endpoint::Unix(_) => SyslogFormat::Local,
            Endpoint::Udp(_) | Endpoint::Tcp(_) => SyslogFormat::Rfc5424,
        });
        let encoder = Arc::new(Encoder {
            format,
            facility: self.facility,
            hostname: header_field(&self.hostname.unwrap_or_else(default_hostname), 255),
            app_name: header_field(&self.app_name.unwrap_or_else(default_app_name), 48),
            procid: std::process::id().to_string(),
            sd_id: self.sd_id,
            max_len: self.max_message.unwrap_or(endpoint.default_max()),
            bom: self.bom,
        });
        let lost = Arc::new(AtomicU64::new(0));
        let control = Arc::new(Control::default());
        let errors = Arc::new(ErrorReporter::new(format!("syslog handler ({what})")));
        let sink = SyslogSink {
            what: what.clone(),
            conn: None,
            encoder: encoder.clone(),
            chunk: Vec::new(),
            report: Vec::new(),
            lost: lost.clone(),
            unreported: 0,
            was_down: false,
            backoff: Backoff::new(self.reconnect.0, self.reconnect.1),
            connect_timeout: self.connect_timeout,
            control: control.clone(),
            errors: errors.clone(),
            endpoint,
        };
        let options = self.options.description(format!("syslog handler ({what})"));
        let worker = Worker::spawn(sink, options)?;
        Ok(SyslogHandler {
            worker,
            lost,
            control,
            errors,
            encoder,
            what,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Value;
    use std::time::Duration;

    fn encoder(format: SyslogFormat, max_len: usize) -> Encoder {
        Encoder {
            format,
            facility: Facility::Local3,
            hostname: "host".into(),
            app_name: "app".into(),
            procid: "42".into(),
            sd_id: DEFAULT_SD_ID.into(),
            max_len,
            bom: false,
        }
    }

    fn encode(enc: &Encoder, rec: &Record<'_>) -> String {
        let mut out = Vec::new();
        enc.encode(rec, &mut out);
        String::from_utf8(out).expect("valid UTF-8")
    }

    const T: Duration = Duration::from_millis(1_795_892_638_123);

    #[test]
    fn rfc5424_fields_and_escaping() {
        let kvs = [
            ("job", Value::U64(42)),
            ("quote", Value::Str(r#"say "hi" \ [x]"#)),
            ("bad key=]\"", Value::Str("ok")),
            ("", Value::Bool(true)),
        ];
        let rec = Record::builder(Level::Error, "jobs.42", format_args!("héllo ✓"))
            .key_values(&kvs)
            .time(UNIX_EPOCH + T)
            .build();
        assert_eq!(
            encode(&encoder(SyslogFormat::Rfc5424, 8192), &rec),
            r#"<155>1 2026-11-28T19:03:58.123Z host app 42 jobs.42 [kv@32473 job="42" quote="say \"hi\" \\ [x\]" bad_key___="ok" _="true"] héllo ✓"#
        );
    }

    #[test]
    fn severities_and_root_msgid() {
        let enc = encoder(SyslogFormat::Rfc5424, 8192);
        for (level, pri) in [
            (Level::Error, 155),
            (Level::Warn, 156),
            (Level::Info, 158),
            (Level::Debug, 159),
            (Level::Trace, 159),
        ] {
            let rec = Record::builder(level, "", format_args!("m"))
                .time(UNIX_EPOCH + T)
                .build();
            assert_eq!(
                encode(&enc, &rec),
                format!("<{pri}>1 2026-11-28T19:03:58.123Z host app 42 root - m")
            );
        }
    }

    #[test]
    fn msgid_is_printable_ascii_and_at_most_32() {
        let enc = encoder(SyslogFormat::Rfc5424, 8192);
        let name = "jobs.déjà.".to_owned() + &"x".repeat(40);
        let rec = Record::builder(Level::Info, &name, format_args!(""))
            .time(UNIX_EPOCH + T)
            .build();
        let out = encode(&enc, &rec);
        let msgid = out.split(' ').nth(5).unwrap();
        assert_eq!(msgid, "jobs.d_j_.xxxxxxxxxxxxxxxxxxxxxx");
        assert_eq!(msgid.len(), 32);
        assert!(out.ends_with(" -"), "no MSG: nothing after the SD: {out:?}");
    }

    #[test]
    fn truncation_keeps_utf8_and_drops_oversized_sd() {
        let enc = encoder(SyslogFormat::Rfc5424, 100);
        let long = "é".repeat(200);
        let args = format_args!("{long}");
        let rec = Record::builder(Level::Info, "a", args)
            .time(UNIX_EPOCH + T)
            .build();
        let out = encode(&enc, &rec);
        assert!(out.len() <= 100 && out.len() >= 99, "{}", out.len());
        let header = "<158>1 2026-11-28T19:03:58.123Z host app 42 a - ";
        assert!(out.starts_with(header));
        assert!(long.starts_with(&out[header.len()..]));

        let big = "v".repeat(200);
        let kvs = [("k", Value::Str(&big))];
        let rec = Record::builder(Level::Info, "a", format_args!("msg"))
            .key_values(&kvs)
            .time(UNIX_EPOCH + T)
            .build();
        assert_eq!(encode(&enc, &rec), format!("{header}msg"));
    }

    #[test]
    fn bom_and_nil_timestamp() {
        let mut enc = encoder(SyslogFormat::Rfc5424, 8192);
        enc.bom = true;
        let rec = Record::builder(Level::Info, "a", format_args!("x"))
            .time(UNIX_EPOCH - Duration::from_secs(1))
            .build();
        assert_eq!(encode(&enc, &rec), "<158>1 - host app 42 a - \u{feff}x");
    }

    #[test]
    fn local_format() {
        let enc = encoder(SyslogFormat::Local, 8192);
        let kvs = [("job", Value::U64(7)), ("who", Value::Str("a b"))];
        let rec = Record::builder(Level::Warn, "jobs", format_args!("done"))
            .key_values(&kvs)
            .build();
        assert_eq!(
            encode(&enc, &rec),
            r#"<156>app[42]: jobs: done job=7 who="a b""#
        );
    }

    #[test]
    fn facility_names_round_trip() {
        for (f, name) in Facility::ALL {
            assert_eq!(f.name(), name);
            assert_eq!(name.parse::<Facility>(), Ok(f));
            assert_eq!(Facility::ALL[f.code() as usize].0, f);
        }
        assert_eq!("LOCAL7".parse(), Ok(Facility::Local7));
        assert_eq!("security".parse(), Ok(Facility::Auth));
        assert!("local8".parse::<Facility>().is_err());
    }

    #[test]
    fn header_fields_are_cleaned() {
        assert_eq!(header_field("my app", 48), "my_app");
        assert_eq!(header_field("", 48), "-");
        assert_eq!(header_field(&"a".repeat(60), 48).len(), 48);
        assert_eq!(sd_id("my id@1"), "my_id@1");
    }
}
