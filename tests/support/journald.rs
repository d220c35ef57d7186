//! The machine's journald for tests: used as it is when its socket is there, else started
//! (Debian's `/lib/systemd/systemd-journald` runs without systemd as process 1) and stopped when
//! the last test that needed it is done; a journald this did not start is never stopped.
//! Entries are read back with `journalctl -o json`, polled with a failsafe, never slept for.
#![allow(dead_code)] // each test crate uses a different part

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use parking_lot::Mutex;

/// How long anything here waits before failing the test.
pub const FAILSAFE: Duration = Duration::from_secs(60);
pub const SOCKET: &str = "/run/systemd/journal/socket";
const BINARY: &str = "/lib/systemd/systemd-journald";

/// Tests holding journald now, and the journald this process started, if any.
static HELD: Mutex<(usize, Option<Child>)> = Mutex::new((0, None));

/// One test's hold on journald: the last one dropped stops a journald this process started.
pub struct Journald(());

impl Journald {
    /// journald's socket, there already or made by starting journald. `Err` says why neither
    /// could be (the caller skips).
    pub fn start() -> Result<Journald, String> {
        let mut held = HELD.lock();
        if held.1.is_none() && !listening() {
            if !Path::new(BINARY).exists() {
                return Err(format!(
                    "no journald socket at {SOCKET} and no {BINARY} (run .ci/journald.sh)"
                ));
            }
            std::fs::create_dir_all("/run/systemd/journal")
                .map_err(|e| format!("cannot make /run/systemd/journal: {e}"))?;
            let child = Command::new(BINARY)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot start {BINARY}: {e}"))?;
            held.1 = Some(child);
            let exited = crate::wait::until("journald listening", FAILSAFE, || {
                match held.1.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                    Some(status) => Ok(Some(status)),
                    None if listening() => Ok(None),
                    None => Err(format!("no journald on {SOCKET} yet")),
                }
            });
            if let Some(status) = exited {
                held.1 = None;
                return Err(format!("{BINARY} exited at once ({status})"));
            }
        }
        held.0 += 1;
        Ok(Journald(()))
    }

    /// Every entry with this `SYSLOG_IDENTIFIER`, as `journalctl -o json --all` prints them
    /// (`--all`: large fields in full, not as "[blob data]").
    pub fn entries(&self, identifier: &str) -> Vec<serde_json::Value> {
        let out = Command::new("journalctl")
            .args(["-o", "json", "--all", "--no-pager", "-q"])
            .arg(format!("SYSLOG_IDENTIFIER={identifier}"))
            .output()
            .expect("journalctl runs");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Polls the journal until `done` holds for the entries of `identifier`, and returns them;
    /// fails the test (saying what `what` was) after [`FAILSAFE`].
    pub fn wait_for(
        &self,
        identifier: &str,
        what: &str,
        done: impl Fn(&[serde_json::Value]) -> bool,
    ) -> Vec<serde_json::Value> {
        crate::wait::until(what, FAILSAFE, || {
            let entries = self.entries(identifier);
            if done(&entries) {
                Ok(entries)
            } else {
                Err(format!("{} entries for {identifier}", entries.len()))
            }
        })
    }
}

/// Whether a journald takes datagrams on [`SOCKET`] (a socket file left by one that was killed
/// refuses them).
fn listening() -> bool {
    std::os::unix::net::UnixDatagram::unbound().is_ok_and(|s| s.connect(SOCKET).is_ok())
}

impl Drop for Journald {
    fn drop(&mut self) {
        let mut held = HELD.lock();
        held.0 -= 1;
        if held.0 == 0
            && let Some(mut child) = held.1.take()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A field of a journal entry as text (`journalctl -o json` writes binary data as an array of
/// byte values).
pub fn field(entry: &serde_json::Value, name: &str) -> Option<String> {
    match entry.get(name)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(bytes) => Some(
            String::from_utf8_lossy(
                &bytes
                    .iter()
                    .filter_map(|b| b.as_u64().map(|b| b as u8))
                    .collect::<Vec<u8>>(),
            )
            .into_owned(),
        ),
        other => Some(other.to_string()),
    }
}
