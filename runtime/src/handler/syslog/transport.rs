//! The transports: UDP, TCP (RFC 6587 octet counting) and, on Unix, a local datagram socket;
//! connecting and telling a dead connection (the reconnection backoff is
//! [`retry`](crate::handler::retry)'s).

use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream, UdpSocket};
#[cfg(unix)]
use std::os::unix::net::UnixDatagram;
#[cfg(unix)]
use std::path::PathBuf;
use std::time::Duration;

// ---- transports ------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub(super) enum Endpoint {
    Udp(Vec<SocketAddr>),
    Tcp(Vec<SocketAddr>),
    #[cfg(unix)]
    Unix(PathBuf),
}

impl Endpoint {
    pub(super) fn describe(&self) -> String {
        match self {
            Endpoint::Udp(a) => format!("udp {}", a[0]),
            Endpoint::Tcp(a) => format!("tcp {}", a[0]),
            #[cfg(unix)]
            Endpoint::Unix(p) => format!("unix {}", p.display()),
        }
    }

    pub(super) fn default_max(&self) -> usize {
        match self {
            Endpoint::Udp(_) => 2048,
            Endpoint::Tcp(_) => 8192,
            #[cfg(unix)]
            Endpoint::Unix(_) => 8192,
        }
    }

    /// Whether the worker keeps unsent messages and waits for the server to come back. Over UDP
    /// it cannot tell whether anything arrived, so there is nothing to wait for.
    pub(super) fn holds(&self) -> bool {
        !matches!(self, Endpoint::Udp(_))
    }

    pub(super) fn connect(&self, timeout: Duration) -> io::Result<Conn> {
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
            #[cfg(unix)]
            Endpoint::Unix(path) => {
                let s = UnixDatagram::unbound()?;
                s.connect(path)?;
                return Ok(Conn::Unix(s));
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no address to connect to")))
    }
}

pub(super) enum Conn {
    Udp(UdpSocket),
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(UnixDatagram),
}

/// What a look at a connection found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Health {
    /// Still open (datagram sockets always are).
    Open,
    /// The server closed it cleanly (FIN): it had read everything that reached it, since a
    /// socket closed with unread data answers with a reset instead.
    Closed,
    /// Reset, or unusable: the server may have thrown away what it had not read.
    Reset,
}

impl Conn {
    /// Whether the connection still looks usable. A syslog server never writes on a TCP
    /// connection, so anything readable there is the end: EOF or a reset.
    pub(super) fn health(&mut self) -> Health {
        let Conn::Tcp(s) = self else {
            return Health::Open;
        };
        if s.set_nonblocking(true).is_err() {
            return Health::Reset;
        }
        let mut buf = [0u8; 256];
        let health = loop {
            match s.read(&mut buf) {
                Ok(0) => break Health::Closed,
                Ok(_) => continue, // unexpected chatter: ignore it
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Health::Open,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break Health::Reset,
            }
        };
        match health {
            Health::Open if s.set_nonblocking(false).is_err() => Health::Reset,
            h => h,
        }
    }
}
