//! A private OpenTelemetry collector for tests: rotel (`pip install rotel`, whose wheel carries
//! the `rotel-agent` binary), started on free loopback ports with the blackhole exporter and
//! its debug log of every log record it receives written to a file in a temp dir, parsed back
//! here. Readiness and arrival are polled with a failsafe; nothing sleeps in place of waiting.
#![allow(dead_code)] // each test crate uses a different part

use std::collections::BTreeMap;
use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How long anything here waits before failing the test.
pub const FAILSAFE: Duration = Duration::from_secs(60);

/// One log record as rotel printed it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogLine {
    pub service_name: Option<String>,
    pub scope: String,
    pub severity_text: String,
    pub severity_number: u32,
    pub body: String,
    /// `key` → `Type(value)` as printed: `Int(5)`, `Str(ann)`.
    pub attributes: BTreeMap<String, String>,
    pub trace_id: String,
    pub span_id: String,
}

pub struct Rotel {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub grpc_port: u16,
    pub http_port: u16,
    child: Option<Child>,
    starts: u32,
}

/// `rotel-agent` inside the installed `rotel` package.
fn find_binary() -> Result<PathBuf, String> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import rotel, os; print(os.path.dirname(rotel.__file__))",
        ])
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if !out.status.success() {
        return Err("the rotel package is not installed (run .ci/rotel.sh)".to_owned());
    }
    let bin = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("rotel-agent");
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!("no {} (run .ci/rotel.sh)", bin.display()))
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Rotel {
    /// Starts rotel and waits until both its ports take connections. `Err` says why it could
    /// not be started at all (the caller skips); one that starts but never listens fails.
    pub fn start() -> Result<Rotel, String> {
        let bin = find_binary()?;
        let mut r = Rotel {
            dir: tempfile::Builder::new()
                .prefix("scoped-logger-rotel")
                .tempdir()
                .map_err(|e| format!("cannot make a temp dir: {e}"))?,
            bin,
            grpc_port: free_port(),
            http_port: free_port(),
            child: None,
            starts: 0,
        };
        r.spawn()?;
        r.wait_ready();
        Ok(r)
    }

    pub fn grpc_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.grpc_port)
    }

    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    fn out_file(&self, start: u32) -> PathBuf {
        self.dir.path().join(format!("rotel.{start}.out"))
    }

    fn spawn(&mut self) -> Result<(), String> {
        self.starts += 1;
        let out = fs::File::create(self.out_file(self.starts)).map_err(|e| e.to_string())?;
        let err = fs::File::create(self.dir.path().join(format!("rotel.{}.err", self.starts)))
            .map_err(|e| e.to_string())?;
        let child = Command::new(&self.bin)
            .args(["start", "--exporter", "blackhole"])
            .args(["--debug-log", "logs", "--debug-log-verbosity", "detailed"])
            .arg("--otlp-grpc-endpoint")
            .arg(format!("127.0.0.1:{}", self.grpc_port))
            .arg("--otlp-http-endpoint")
            .arg(format!("127.0.0.1:{}", self.http_port))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.bin.display()))?;
        self.child = Some(child);
        Ok(())
    }

    fn wait_ready(&mut self) {
        crate::wait::until("rotel listening", FAILSAFE, || {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("rotel exited ({status}): {}", self.stderr_text());
            }
            let up = |port| TcpStream::connect(("127.0.0.1", port)).is_ok();
            if up(self.grpc_port) && up(self.http_port) {
                Ok(())
            } else {
                Err(self.stderr_text())
            }
        })
    }

    fn stderr_text(&self) -> String {
        fs::read_to_string(self.dir.path().join(format!("rotel.{}.err", self.starts)))
            .unwrap_or_default()
    }

    /// Kills rotel and waits until it is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same ports; waits until it listens.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn().expect("rotel started before, it starts again");
        self.wait_ready();
    }

    /// Every log record printed so far, by every run of this rotel (complete ones only).
    pub fn records(&self) -> Vec<LogLine> {
        (1..=self.starts)
            .flat_map(|s| parse(&fs::read_to_string(self.out_file(s)).unwrap_or_default()))
            .collect()
    }

    /// Polls until `done` holds for the records of service `service`, and returns them; fails
    /// the test (saying what `what` was) after [`FAILSAFE`].
    pub fn wait_for(
        &self,
        service: &str,
        what: &str,
        done: impl Fn(&[LogLine]) -> bool,
    ) -> Vec<LogLine> {
        crate::wait::until(what, FAILSAFE, || {
            let records: Vec<LogLine> = self
                .records()
                .into_iter()
                .filter(|r| r.service_name.as_deref() == Some(service))
                .collect();
            if done(&records) {
                Ok(records)
            } else {
                Err(format!(
                    "{} records from {service}, last: {:?}",
                    records.len(),
                    records.last()
                ))
            }
        })
    }
}

impl Drop for Rotel {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `Name(value)` → `value`.
fn inner(typed: &str) -> &str {
    typed
        .split_once('(')
        .and_then(|(_, v)| v.strip_suffix(')'))
        .unwrap_or(typed)
}

/// Reads rotel's detailed debug log: resource attributes, then per scope its log records, each
/// ending with its `Flags:` line (a record without one is still being written).
fn parse(text: &str) -> Vec<LogLine> {
    let mut out = Vec::new();
    let mut service = None;
    let mut scope = String::new();
    let mut cur: Option<LogLine> = None;
    let mut in_resource = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("ResourceLog #") {
            service = None;
            in_resource = false;
        } else if t == "Resource attributes:" {
            in_resource = true;
        } else if let Some(name) = t.strip_prefix("InstrumentationScope") {
            in_resource = false;
            scope = name.trim().to_owned();
        } else if t.starts_with("ScopeLogs #") {
            in_resource = false;
        } else if t.starts_with("LogRecord #") {
            cur = Some(LogLine {
                service_name: service.clone(),
                scope: scope.clone(),
                ..LogLine::default()
            });
        } else if let Some(attr) = t.strip_prefix("-> ") {
            let Some((k, v)) = attr.split_once(": ") else {
                continue;
            };
            if in_resource {
                if k == "service.name" {
                    service = Some(inner(v).to_owned());
                }
            } else if let Some(c) = cur.as_mut() {
                c.attributes.insert(k.to_owned(), v.to_owned());
            }
        } else if let Some(c) = cur.as_mut() {
            if let Some(v) = t.strip_prefix("SeverityText:") {
                c.severity_text = v.trim().to_owned();
            } else if let Some(v) = t.strip_prefix("SeverityNumber:") {
                c.severity_number = inner(v.trim()).parse().unwrap_or(0);
            } else if let Some(v) = t.strip_prefix("Body:") {
                c.body = inner(v.trim()).to_owned();
            } else if let Some(v) = t.strip_prefix("Trace ID") {
                c.trace_id = v.trim_start_matches([' ', ':']).trim().to_owned();
            } else if let Some(v) = t.strip_prefix("Span ID") {
                c.span_id = v.trim_start_matches([' ', ':']).trim().to_owned();
            } else if t.starts_with("Flags:") {
                out.extend(cur.take());
            }
        }
    }
    out
}
