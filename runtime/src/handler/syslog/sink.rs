//! The worker's end: sends batches over the transport, reconnects, and tells the server what
//! was lost.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::net::Shutdown;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::handler::ErrorReporter;
use crate::handler::queue::{CHUNK, DropCause, Sink};

use super::format::Encoder;
use super::transport::{Conn, Endpoint, Health};
use crate::handler::last_resort::with_drop_report;
use crate::handler::retry::{Backoff, Control};

/// How long after a TCP write the connection must still be seen open before what the write
/// carried counts as delivered. Plain TCP syslog has no acknowledgements: a server that dies
/// takes with it what it had not read yet, and a reset takes a round trip to come back. This is
/// the time a live server is given to read what it was sent (rsyslog reads a loopback
/// connection within a millisecond; a round trip on most networks is well under it).
pub(super) const CONFIRM_AFTER: Duration = Duration::from_millis(100);

/// Messages written on the current TCP connection and not yet known delivered.
#[derive(Default)]
pub(super) struct InFlight {
    /// Per write, oldest first: when, how many records, and the drop count a report carried.
    writes: VecDeque<(Instant, u64, u64)>,
    records: u64,
    reported: u64,
    /// When the connection was last seen open.
    seen_open: Option<Instant>,
}

impl InFlight {
    pub(super) fn wrote(&mut self, records: u64, reported: u64) {
        self.records += records;
        self.reported += reported;
        self.writes.push_back((Instant::now(), records, reported));
    }

    /// The connection was just seen open: what was written long enough before is delivered.
    pub(super) fn seen_open(&mut self) {
        let now = Instant::now();
        self.seen_open = Some(now);
        if let Some(cutoff) = now.checked_sub(CONFIRM_AFTER) {
            self.delivered_through(cutoff);
        }
    }

    /// Takes the writes made up to `t` as delivered.
    fn delivered_through(&mut self, t: Instant) {
        while let Some(&(at, records, reported)) = self.writes.front() {
            if at > t {
                break;
            }
            self.records -= records;
            self.reported -= reported;
            self.writes.pop_front();
        }
    }

    /// The connection is gone: what it carried that may be lost (records, drop counts told).
    /// Closed cleanly, the server had read all that reached it before it closed, which is all
    /// that was written before the connection was last seen open; reset, it may have thrown
    /// away anything not yet confirmed.
    pub(super) fn take(&mut self, health: Health) -> (u64, u64) {
        if health == Health::Closed
            && let Some(open) = self.seen_open
        {
            self.delivered_through(open);
        }
        self.writes.clear();
        self.seen_open = None;
        (
            std::mem::take(&mut self.records),
            std::mem::take(&mut self.reported),
        )
    }
}

/// The worker's end: sends messages, reconnects, and reports what was lost.
pub(super) struct SyslogSink {
    pub(super) endpoint: Endpoint,
    pub(super) what: String,
    pub(super) conn: Option<Conn>,
    pub(super) encoder: Arc<Encoder>,
    pub(super) chunk: Vec<u8>,
    pub(super) report: Vec<u8>,
    /// Messages this sink could not send, not yet counted by the queue (which counts the ones it
    /// refused itself, and these once it takes them).
    pub(super) lost: u64,
    /// Drops (the worker's and ours) not yet reported to the server.
    pub(super) unreported: u64,
    /// Whether the server was unreachable at some point since the last report.
    pub(super) was_down: bool,
    /// TCP: what the current connection carries that is not known delivered.
    pub(super) in_flight: InFlight,
    /// UDP: the drop count the last datagram carried when it was a report (0 for a record), to
    /// be told again if a refusal shows it did not arrive.
    pub(super) last_datagram_report: u64,
    pub(super) backoff: Backoff,
    pub(super) connect_timeout: Duration,
    pub(super) control: Arc<Control>,
    pub(super) errors: Arc<ErrorReporter>,
}

impl SyslogSink {
    pub(super) fn lose(&mut self, n: usize) {
        if n > 0 {
            self.lost += n as u64;
            self.unreported += n as u64;
        }
    }

    /// The connection is gone (`health`: how a look at it found it; a failed write counts as
    /// a reset, since the write has already taken the error that told them apart).
    pub(super) fn disconnected(&mut self, err: io::Error, health: Health) {
        self.conn = None;
        self.was_down = true;
        // Written but not known delivered: counted as possibly lost, never sent again (the
        // server may have them). A report among them is told again.
        let (records, reported) = self.in_flight.take(health);
        self.lose(records as usize);
        self.unreported += reported;
        // A server that accepts and then fails every send must not be reconnected to in a
        // tight loop: a broken connection counts as a failed attempt until a send succeeds.
        self.backoff.failed(Instant::now());
        self.errors
            .report(&format!("sending to {}", self.what), err);
    }

    /// Makes sure there is a connection, waiting for the server when the transport holds
    /// messages. Returns `false` when there is none to be had: over UDP after a failed attempt,
    /// and once the handler is closing.
    pub(super) fn connect(&mut self) -> bool {
        loop {
            if let Some(conn) = &mut self.conn {
                match conn.health() {
                    Health::Open => {
                        self.in_flight.seen_open();
                        return true;
                    }
                    gone => self.disconnected(closed_error(), gone),
                }
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
    pub(super) fn send_report(&mut self) -> bool {
        let n = self.unreported;
        let why = if self.was_down {
            "unreachable"
        } else {
            "not keeping up"
        };
        let mut msg = std::mem::take(&mut self.report);
        msg.clear();
        with_drop_report(
            n,
            Some("scoped-logger-syslog"),
            format_args!("{n} records dropped while the syslog server was {why}"),
            |record| self.encoder.encode(record, &mut msg),
        );
        let sent = self.send_one(&msg);
        self.report = msg;
        match sent {
            Ok(()) => {
                if let Some(refusal) = self.udp_refusal() {
                    // The report itself was refused: the server is still away.
                    self.udp_refused(refusal);
                    return false;
                }
                match self.endpoint {
                    Endpoint::Tcp(_) => self.in_flight.wrote(0, n),
                    _ => self.last_datagram_report = n,
                }
                self.unreported = 0;
                self.was_down = false;
                self.backoff.succeeded();
                true
            }
            Err(e) if is_udp(&self.endpoint) => {
                // A refusal of an earlier datagram, noticed only now; the report was not sent.
                self.earlier_datagram_refused();
                self.udp_refused(e);
                false
            }
            Err(e) => {
                self.disconnected(e, Health::Reset);
                false
            }
        }
    }

    /// UDP: the error an ICMP "port unreachable" left on the socket for the datagram just sent,
    /// if any. On loopback it is there as soon as `send` returns; over a network it comes a
    /// round trip later, and the next `send` reports it instead.
    pub(super) fn udp_refusal(&mut self) -> Option<io::Error> {
        match &self.conn {
            Some(Conn::Udp(s)) => s.take_error().ok().flatten(),
            _ => None,
        }
    }

    /// UDP: a datagram sent earlier was refused: if it was a record it is lost, if it was a
    /// report its count is told again.
    pub(super) fn earlier_datagram_refused(&mut self) {
        match std::mem::take(&mut self.last_datagram_report) {
            0 => self.lose(1),
            told => self.unreported += told,
        }
    }

    /// UDP: the server refused a datagram, so it is not listening: nothing more is sent (each
    /// record is counted as lost instead) until the shortest reconnect delay has passed; then
    /// the drop report goes first, as the probe. Unlike TCP the delay does not grow: a probe
    /// costs one datagram, and a server back from a restart is found at once.
    pub(super) fn udp_refused(&mut self, err: io::Error) {
        self.conn = None;
        self.was_down = true;
        self.backoff.next = Instant::now() + self.backoff.min;
        self.errors
            .report(&format!("sending to {}", self.what), err);
    }

    pub(super) fn send_one(&mut self, msg: &[u8]) -> io::Result<()> {
        match &mut self.conn {
            Some(Conn::Udp(s)) => s.send(msg).map(drop),
            #[cfg(unix)]
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
    pub(super) fn send_datagrams(&mut self, batch: &[Vec<u8>]) -> usize {
        for (i, msg) in batch.iter().enumerate() {
            let sent = match &self.conn {
                Some(Conn::Udp(s)) => s.send(msg).map(drop),
                #[cfg(unix)]
                Some(Conn::Unix(s)) => s.send(msg).map(drop),
                _ => return i,
            };
            match sent {
                Ok(()) => {
                    self.last_datagram_report = 0;
                    if let Some(refusal) = self.udp_refusal() {
                        // This one was refused: lost, counted.
                        self.lose(1);
                        self.udp_refused(refusal);
                        return i + 1;
                    }
                }
                // Too big for this socket: it will never fit, whatever we do.
                Err(e) if e.raw_os_error() == Some(EMSGSIZE) => {
                    self.lose(1);
                    self.errors.report(&format!("sending to {}", self.what), e);
                }
                // UDP: the refusal of an earlier datagram, come after we looked; this one was
                // not sent either (the kernel reports the error instead of sending).
                Err(e) if is_udp(&self.endpoint) => {
                    self.earlier_datagram_refused();
                    self.lose(1);
                    self.udp_refused(e);
                    return i + 1;
                }
                // A Unix socket refused it: not delivered, send it again once reconnected.
                Err(e) => {
                    self.disconnected(e, Health::Reset);
                    return i;
                }
            }
        }
        batch.len()
    }

    /// Writes one chunk of TCP frames from `batch`; returns how many messages it covered (sent,
    /// or lost with a failed write).
    pub(super) fn send_frames(&mut self, batch: &[Vec<u8>]) -> usize {
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
        match s.write_all(&self.chunk) {
            Ok(()) => self.in_flight.wrote(n as u64, 0),
            Err(e) => {
                // Some of the chunk may have arrived; none of it can be known to have: count it
                // all, with what the connection carried before it.
                self.lose(n);
                self.disconnected(e, Health::Reset);
            }
        }
        n
    }
}

fn closed_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "the server closed the connection",
    )
}

fn is_udp(endpoint: &Endpoint) -> bool {
    matches!(endpoint, Endpoint::Udp(_))
}

/// `EMSGSIZE`, which `io::ErrorKind` has no stable name for (Linux 90, the BSDs and macOS 40).
pub(super) const EMSGSIZE: i32 = if cfg!(target_os = "linux") { 90 } else { 40 };

/// RFC 6587 octet counting: `LEN SP MSG`.
pub(super) fn frame(out: &mut Vec<u8>, msg: &[u8]) {
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
                Endpoint::Udp(_) => self.send_datagrams(&batch[done..]),
                #[cfg(unix)]
                Endpoint::Unix(_) => self.send_datagrams(&batch[done..]),
            };
        }
        if self.conn.is_some() {
            self.backoff.succeeded();
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        // A connection that died since the last batch: count what it took now, not at the
        // next batch, which may be long in coming.
        if let Some(conn @ Conn::Tcp(_)) = &mut self.conn {
            match conn.health() {
                Health::Open => self.in_flight.seen_open(),
                gone => self.disconnected(closed_error(), gone),
            }
        }
        // Drops after the last message have no message to ride on: report them now.
        while self.unreported > 0 && self.connect() {
            if self.send_report() || !self.endpoint.holds() {
                break;
            }
        }
        Ok(())
    }

    fn report_dropped(&mut self, count: u64, _cause: DropCause) -> io::Result<()> {
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

    fn take_lost(&mut self) -> u64 {
        std::mem::take(&mut self.lost)
    }
}
