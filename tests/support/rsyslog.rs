//! A private rsyslogd for tests and benches: started on free loopback ports with a config in a
//! temp dir (`tests/support/rsyslog.conf`), writing every message it receives to `out.log`, one
//! tab-separated line of parsed fields each. Readiness and arrival are polled with bounded
//! retries; nothing here sleeps in place of waiting for a condition.
#![allow(dead_code)] // each test crate uses a different part

use std::fs;
use std::io::Write;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long anything here waits before failing the test.
pub const FAILSAFE: Duration = Duration::from_secs(30);
/// Pause between two looks at the output file.
const POLL: Duration = Duration::from_millis(20);

/// One message as rsyslog parsed and wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub pri: u8,
    pub hostname: String,
    pub app_name: String,
    pub procid: String,
    pub msgid: String,
    pub timestamp: String,
    pub structured_data: String,
    pub msg: String,
}

impl Line {
    fn parse(line: &str) -> Option<Line> {
        let f: Vec<&str> = line.splitn(8, '\t').collect();
        if f.len() != 8 {
            return None;
        }
        Some(Line {
            pri: f[0].parse().ok()?,
            hostname: f[1].to_owned(),
            app_name: f[2].to_owned(),
            procid: f[3].to_owned(),
            msgid: f[4].to_owned(),
            timestamp: f[5].to_owned(),
            structured_data: f[6].to_owned(),
            msg: f[7].to_owned(),
        })
    }
}

pub struct Rsyslogd {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub udp_port: u16,
    pub tcp_port: u16,
    child: Option<Child>,
    starts: u32,
}

/// rsyslogd on PATH, else where Debian puts it.
fn find_binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("rsyslogd"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let p = PathBuf::from("/usr/sbin/rsyslogd");
        p.is_file().then_some(p)
    })
}

/// A port free for both TCP and UDP on 127.0.0.1 right now (the OS picks it).
fn free_port() -> u16 {
    for _ in 0..100 {
        let tcp = TcpListener::bind("127.0.0.1:0").expect("bind a loopback TCP port");
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no port free for both TCP and UDP on 127.0.0.1");
}

impl Rsyslogd {
    /// Starts rsyslogd and waits until all four inputs deliver to the output file. `Err` says
    /// why rsyslogd could not be started at all (the caller skips); a rsyslogd that starts but
    /// never gets ready fails the test.
    pub fn start() -> Result<Rsyslogd, String> {
        let bin = find_binary()
            .ok_or("no rsyslogd on PATH or at /usr/sbin/rsyslogd (run .ci/rsyslog.sh)")?;
        let mut last = String::new();
        // A port taken by someone else between our probe and rsyslog's bind: try new ones.
        for _ in 0..3 {
            let mut r = Rsyslogd {
                bin: bin.clone(),
                udp_port: free_port(),
                tcp_port: free_port(),
                child: None,
                starts: 0,
                dir: tempfile::Builder::new()
                    .prefix("scoped-logger-rsyslog")
                    .tempdir()
                    .map_err(|e| format!("cannot make a temp dir: {e}"))?,
            };
            r.spawn()?;
            match r.wait_ready() {
                Ok(()) => return Ok(r),
                Err(e) => last = e,
            }
        }
        panic!("rsyslogd started but never got ready: {last}");
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn out_file(&self) -> PathBuf {
        self.dir().join("out.log")
    }

    /// The Unix socket that parses RFC 5424 (`useSpecialParser="off"`).
    pub fn rfc5424_socket(&self) -> PathBuf {
        self.dir().join("rfc5424.sock")
    }

    /// The Unix socket that reads the traditional `/dev/log` form.
    pub fn local_socket(&self) -> PathBuf {
        self.dir().join("local.sock")
    }

    pub fn udp_addr(&self) -> (&'static str, u16) {
        ("127.0.0.1", self.udp_port)
    }

    pub fn tcp_addr(&self) -> (&'static str, u16) {
        ("127.0.0.1", self.tcp_port)
    }

    fn spawn(&mut self) -> Result<(), String> {
        let template = include_str!("rsyslog.conf");
        let conf = template
            .replace("@DIR@", &self.dir().display().to_string())
            .replace("@UDP_PORT@", &self.udp_port.to_string())
            .replace("@TCP_PORT@", &self.tcp_port.to_string());
        let conf_path = self.dir().join("rsyslog.conf");
        fs::write(&conf_path, conf).map_err(|e| format!("cannot write the config: {e}"))?;
        self.starts += 1;
        let stderr = fs::File::create(self.dir().join(format!("rsyslogd.{}.err", self.starts)))
            .map_err(|e| e.to_string())?;
        let child = Command::new(&self.bin)
            .arg("-n")
            .arg("-f")
            .arg(&conf_path)
            .arg("-i")
            .arg(self.dir().join("rsyslogd.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.bin.display()))?;
        self.child = Some(child);
        Ok(())
    }

    fn stderr_text(&self) -> String {
        fs::read_to_string(self.dir().join(format!("rsyslogd.{}.err", self.starts)))
            .unwrap_or_default()
    }

    /// Polls until a probe sent to each input shows up in the output file.
    fn wait_ready(&mut self) -> Result<(), String> {
        let tag = format!("ready{}", self.starts);
        let end = Instant::now() + FAILSAFE;
        let mut seen = [false; 4];
        let names = ["udp", "tcp", "rfc5424", "local"];
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                return Err(format!(
                    "rsyslogd exited ({status}): {}",
                    self.stderr_text()
                ));
            }
            for (i, name) in names.iter().enumerate() {
                if !seen[i] {
                    self.probe(name, &tag);
                }
            }
            let lines = self.lines();
            for (i, name) in names.iter().enumerate() {
                let want = format!("{tag} {name}");
                seen[i] |= lines
                    .iter()
                    .any(|l| l.app_name == "probe" && l.msg.trim_start().ends_with(&want));
            }
            if seen.iter().all(|s| *s) {
                return Ok(());
            }
            if Instant::now() > end {
                self.stop();
                return Err(format!(
                    "inputs ready: {:?}; rsyslogd said: {}",
                    names.iter().zip(seen).collect::<Vec<_>>(),
                    self.stderr_text()
                ));
            }
            std::thread::sleep(POLL);
        }
    }

    fn probe(&self, input: &str, tag: &str) {
        let msg5424 = format!("<14>1 - - probe - - - {tag} {input}");
        match input {
            "udp" => {
                if let Ok(s) = UdpSocket::bind("127.0.0.1:0") {
                    let _ = s.send_to(msg5424.as_bytes(), self.udp_addr());
                }
            }
            "tcp" => {
                if let Ok(mut s) = TcpStream::connect(self.tcp_addr()) {
                    let _ = write!(s, "{} {msg5424}", msg5424.len());
                }
            }
            "rfc5424" => {
                if let Ok(s) = UnixDatagram::unbound() {
                    let _ = s.send_to(msg5424.as_bytes(), self.rfc5424_socket());
                }
            }
            _ => {
                if let Ok(s) = UnixDatagram::unbound() {
                    let msg = format!("<14>probe[1]: {tag} {input}");
                    let _ = s.send_to(msg.as_bytes(), self.local_socket());
                }
            }
        }
    }

    /// Kills rsyslogd (SIGKILL) and waits until it is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops rsyslogd the way a service manager does (SIGTERM): it closes its inputs and writes
    /// out what it had read before it goes. Waits until it is gone.
    pub fn terminate(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same ports and files; waits until it is ready.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn()
            .expect("rsyslogd started before, it starts again");
        if let Err(e) = self.wait_ready() {
            panic!("rsyslogd did not come back: {e}");
        }
    }

    /// Every complete line of the output file, parsed.
    pub fn lines(&self) -> Vec<Line> {
        let bytes = fs::read(self.out_file()).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        // The last line may be half written: only lines with their newline count.
        let complete = match text.rfind('\n') {
            Some(i) => &text[..i],
            None => "",
        };
        complete.lines().filter_map(Line::parse).collect()
    }

    /// Polls the output file until `done` holds for the lines of app `app`, and returns them;
    /// fails the test (saying what `what` was) after [`FAILSAFE`].
    pub fn wait_for(&self, app: &str, what: &str, done: impl Fn(&[Line]) -> bool) -> Vec<Line> {
        let end = Instant::now() + FAILSAFE;
        loop {
            let lines: Vec<Line> = self
                .lines()
                .into_iter()
                .filter(|l| l.app_name == app)
                .collect();
            if done(&lines) {
                return lines;
            }
            if Instant::now() > end {
                panic!(
                    "failsafe: {what} never arrived; {} lines from {app}, last: {:?}",
                    lines.len(),
                    lines.last()
                );
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Rsyslogd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits until every TCP connection whose local port is `port` (the server's side) has had its
/// close acknowledged by the other end, i.e. none is ESTABLISHED or in FIN_WAIT1 any more
/// (Linux `/proc/net/tcp`). After that the client's kernel has seen the end of the connection,
/// so the handler's check before its next write sees it too. Without this wait, a loaded machine
/// can delay that acknowledgement, and a write made in the gap is lost without anyone knowing:
/// the limit of plain TCP syslog that the handler's docs describe.
pub fn wait_close_seen_by_client(port: u16) {
    const ESTABLISHED: u8 = 0x01;
    const FIN_WAIT1: u8 = 0x04;
    let end = Instant::now() + FAILSAFE;
    loop {
        let open = ["/proc/net/tcp", "/proc/net/tcp6"]
            .iter()
            .filter_map(|p| fs::read_to_string(p).ok())
            .flat_map(|t| t.lines().skip(1).map(str::to_owned).collect::<Vec<_>>())
            .filter(|line| {
                let f: Vec<&str> = line.split_whitespace().collect();
                let local_port = f
                    .get(1)
                    .and_then(|a| a.rsplit(':').next())
                    .and_then(|p| u16::from_str_radix(p, 16).ok());
                let state = f.get(3).and_then(|s| u8::from_str_radix(s, 16).ok());
                local_port == Some(port) && matches!(state, Some(ESTABLISHED | FIN_WAIT1))
            })
            .count();
        if open == 0 {
            return;
        }
        assert!(
            Instant::now() < end,
            "failsafe: {open} connections on port {port} never finished closing"
        );
        std::thread::sleep(POLL);
    }
}
