//! Hands entries to journald: one datagram each, or, for an entry too large for one, a sealed
//! memfd passed over the socket (what `sd_journal_sendv` does). Runs on the worker thread only;
//! it must never hand journald a file it could still change.

use std::io::{self, Write as _};
use std::os::fd::AsFd;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

use rustix::fs::{MemfdFlags, SealFlags, fcntl_add_seals, memfd_create};
use rustix::net::{
    SendAncillaryBuffer, SendAncillaryMessage, SendFlags, SocketAddrUnix, sendmsg_addr,
};

/// Entries larger than this go through a memfd rather than a datagram. Well under the socket's
/// default send buffer (about 208 KiB on Linux), so that a datagram this size is never refused
/// for its size, and large enough that ordinary records never pay for a file.
pub(super) const DATAGRAM_MAX: usize = 64 * 1024;

/// `EMSGSIZE` and `ENOBUFS`: the datagram was too large after all (a smaller send buffer).
const TOO_LARGE: [i32; 2] = [90, 105];

/// How an entry was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sent {
    Datagram,
    Memfd,
}

/// An unbound datagram socket that sends to the journal's path: no connection to lose, so
/// a journald that restarts is reached again by the next entry.
#[derive(Debug)]
pub(super) struct JournalSocket {
    sock: UnixDatagram,
    path: PathBuf,
}

impl JournalSocket {
    pub(super) fn new(path: &Path) -> io::Result<JournalSocket> {
        Ok(JournalSocket {
            sock: UnixDatagram::unbound()?,
            path: path.to_owned(),
        })
    }

    /// Sends one entry, as a datagram when it fits, else as a memfd.
    pub(super) fn send(&self, entry: &[u8]) -> io::Result<Sent> {
        if entry.len() > DATAGRAM_MAX {
            return self.send_memfd(entry).map(|()| Sent::Memfd);
        }
        match self.sock.send_to(entry, &self.path) {
            Ok(_) => Ok(Sent::Datagram),
            Err(e) if e.raw_os_error().is_some_and(|n| TOO_LARGE.contains(&n)) => {
                self.send_memfd(entry).map(|()| Sent::Memfd)
            }
            Err(e) => Err(e),
        }
    }

    /// Writes `entry` to a memfd, seals it against any change, and passes its descriptor in an
    /// otherwise empty datagram; journald reads the entry from the file.
    fn send_memfd(&self, entry: &[u8]) -> io::Result<()> {
        let fd = memfd_create(
            "scoped-logger-journal",
            MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
        )?;
        let mut file = std::fs::File::from(fd);
        file.write_all(entry)?;
        fcntl_add_seals(
            &file,
            SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE | SealFlags::SEAL,
        )?;
        let addr = SocketAddrUnix::new(self.path.as_path())?;
        let fds = [file.as_fd()];
        let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = SendAncillaryBuffer::new(&mut space);
        if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
            return Err(io::Error::other("no room to pass the memfd"));
        }
        sendmsg_addr(&self.sock, &addr, &[], &mut control, SendFlags::empty())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek};
    use std::os::fd::OwnedFd;

    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, recvmsg};

    /// A stand-in journal socket that reads what arrives, and the file passed with it.
    fn receive(server: &UnixDatagram) -> (Vec<u8>, Option<Vec<u8>>) {
        let mut buf = vec![0u8; 128 * 1024];
        let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let got = recvmsg(
            server,
            &mut [io::IoSliceMut::new(&mut buf)],
            &mut control,
            RecvFlags::empty(),
        )
        .unwrap();
        buf.truncate(got.bytes);
        let mut file = None;
        for msg in control.drain() {
            if let RecvAncillaryMessage::ScmRights(fds) = msg {
                for fd in fds {
                    let fd: OwnedFd = fd;
                    let mut f = std::fs::File::from(fd);
                    // The file shares its offset with the sender's, left at the end by the
                    // write: journald maps the file, so read it from the start too.
                    f.seek(io::SeekFrom::Start(0)).unwrap();
                    let mut content = Vec::new();
                    f.read_to_end(&mut content).unwrap();
                    // Sealed: journald may trust it not to change under it.
                    let seals = rustix::fs::fcntl_get_seals(&f).unwrap();
                    assert!(seals.contains(SealFlags::WRITE | SealFlags::SHRINK | SealFlags::SEAL));
                    file = Some(content);
                }
            }
        }
        (buf, file)
    }

    #[test]
    fn small_entries_are_datagrams_large_ones_sealed_memfds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("socket");
        let server = UnixDatagram::bind(&path).unwrap();
        let sock = JournalSocket::new(&path).unwrap();

        assert_eq!(sock.send(b"MESSAGE=hi\n").unwrap(), Sent::Datagram);
        assert_eq!(receive(&server), (b"MESSAGE=hi\n".to_vec(), None));

        let big = format!("MESSAGE={}\n", "x".repeat(100 * 1024)).into_bytes();
        assert_eq!(sock.send(&big).unwrap(), Sent::Memfd);
        let (datagram, file) = receive(&server);
        assert!(datagram.is_empty(), "the entry is in the file only");
        let file = file.expect("a file was passed");
        assert!(file == big, "{} bytes arrived of {}", file.len(), big.len());
    }

    #[test]
    fn a_missing_journal_is_an_error_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let sock = JournalSocket::new(&dir.path().join("none")).unwrap();
        assert!(sock.send(b"MESSAGE=hi\n").is_err());
        assert!(sock.send(&vec![b'x'; DATAGRAM_MAX + 1]).is_err());
    }
}
