//! The worker's end: sends batches over the transport, reconnects, and tells the server what
//! was lost.

use std::io::{self, Write};
use std::net::Shutdown;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::handler::ErrorReporter;
use crate::handler::last_resort::with_drop_report;
use crate::handler::queue::Sink;

use super::format::Encoder;
use super::transport::{Conn, Endpoint};
use crate::handler::retry::{Backoff, Control};

/// TCP frames are gathered into writes of about this size.
pub(super) const CHUNK: usize = 64 * 1024;

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

    pub(super) fn disconnected(&mut self, err: io::Error) {
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
    pub(super) fn connect(&mut self) -> bool {
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
        if let Err(e) = s.write_all(&self.chunk) {
            // Some of the chunk may have arrived; none of it can be known to have: count it all.
            self.lose(n);
            self.disconnected(e);
        }
        n
    }
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

    fn take_lost(&mut self) -> u64 {
        std::mem::take(&mut self.lost)
    }
}
