//! One record is one line, whatever it carries: every payload that could end a line or drive a
//! terminal, through every way in (the macros, the `log` bridge, `Record::builder`) and in every
//! place (logger name, message, key, value), written by text handlers and read back with
//! Python's universal-newline rules (`str.splitlines`). No line may be forged, no ESC may pass.

use std::io::{self, Write};
use std::sync::Arc;

use parking_lot::Mutex;
use scoped_logger::kv::Value;
use scoped_logger::{FileHandler, Handler, Level, LevelFilter, Record, Registry, StreamHandler};

/// Each payload class of issue 14, with a name for failure messages.
const PAYLOADS: &[(&str, &str)] = &[
    (
        "forged record",
        "\r2026-01-01T00:00:00.000Z ERROR admin: fake",
    ),
    (
        "line feed",
        "one\n2026-01-01T00:00:00.000Z ERROR admin: fake",
    ),
    ("CR LF", "one\r\ntwo"),
    ("erase line", "\x1b[2K\x1b[1Agone"),
    ("vertical tab", "a\x0bb"),
    ("form feed", "a\x0cb"),
    ("separators FS GS RS", "a\x1cb\x1dc\x1ed"),
    ("NUL, DEL, tab", "a\0b\x7fc\td"),
    ("NEL", "a\u{85}b"),
    ("C1 CSI", "a\u{9b}2Kb"),
    ("line separator", "a\u{2028}b"),
    ("paragraph separator", "a\u{2029}b"),
    ("bidi override", "user \u{202e}nimda\u{202c} ok"),
    ("bidi embeddings", "\u{202a}\u{202b}\u{202d}x"),
    ("bidi isolates", "\u{2066}a\u{2067}b\u{2068}c\u{2069}"),
    ("direction marks", "\u{200e}a\u{200f}"),
    ("literal backslash-n", r"not\na break"),
];

/// A `Write` the test reads back while a handler holds a clone.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().clone()).expect("text output is UTF-8")
    }
}

/// Python's `str.splitlines()`: every line boundary it knows, `\r\n` counting as one.
fn splitlines(s: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let boundary = matches!(
            c,
            '\n' | '\r'
                | '\x0b'
                | '\x0c'
                | '\x1c'
                | '\x1d'
                | '\x1e'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if boundary {
            lines.push(&s[start..i]);
            start = i + c.len_utf8();
            if c == '\r' && chars.peek().map(|&(_, n)| n) == Some('\n') {
                chars.next();
                start += 1;
            }
        }
    }
    if start < s.len() {
        lines.push(&s[start..]);
    }
    lines
}

/// What a terminal or a bidi-aware viewer would act on.
fn is_active(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// `text` holds exactly `markers.len()` lines, the n-th carrying `markers[n]`, each ended by one
/// `\n` and holding nothing active; no line starts with the forged time.
fn assert_one_line_each(text: &str, markers: &[String]) {
    assert!(!text.contains('\x1b'), "an ESC byte got through:\n{text}");
    let lines = splitlines(text);
    assert_eq!(
        lines.len(),
        markers.len(),
        "one line per record expected, got:\n{lines:#?}"
    );
    if let Some(python) = python_line_count(text) {
        assert_eq!(python, markers.len(), "python3's splitlines disagrees");
    }
    for (line, marker) in lines.iter().zip(markers) {
        assert!(line.contains(marker.as_str()), "{marker} not in {line:?}");
        assert!(!line.starts_with("2026-01-01"), "forged line {line:?}");
        if let Some(c) = line.chars().find(|&c| is_active(c)) {
            panic!("{c:?} passed through in {line:?}");
        }
    }
    assert_eq!(text.matches('\n').count(), markers.len(), "{text}");
}

/// The same count from Python itself, when the machine has it (the Rust version is the test;
/// this checks that it matches Python's rules).
fn python_line_count(text: &str) -> Option<usize> {
    let mut child = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys; print(len(sys.stdin.buffer.read().decode('utf-8').splitlines()))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(text.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    String::from_utf8(out.stdout).ok()?.trim().parse().ok()
}

#[test]
fn the_splitlines_of_this_test_splits_where_python_does() {
    assert_eq!(
        splitlines("a\rb\r\nc\nd\x0be\x0cf\x1cg\x1dh\x1ei\u{85}j\u{2028}k\u{2029}l\n"),
        ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"]
    );
    assert_eq!(splitlines("a\n\nb"), ["a", "", "b"]);
    assert_eq!(splitlines("tab\tand\x1b[2K stay"), ["tab\tand\x1b[2K stay"]);
}

#[test]
fn macros_write_one_line_per_record_whatever_the_message_keys_and_values_hold() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("escaping.log");
    let reg = Registry::new();
    let log = reg.logger("escaping.macros");
    log.set_level(LevelFilter::Trace);
    let out = Shared::default();
    log.add_handler(StreamHandler::new(out.clone()));
    let file = Arc::new(FileHandler::create(&path).unwrap());
    log.add_shared_handler(file.clone());

    let mut markers = Vec::new();
    for (i, (class, p)) in PAYLOADS.iter().enumerate() {
        let marker = format!("macro-{i}");
        scoped_logger::info!(logger: &log, value = *p, shown = %p, debugged = ?p; "{marker} {class}: {p}");
        scoped_logger::warn!(logger: &log, "{marker}-inline {p}");
        markers.push(marker.clone());
        markers.push(format!("{marker}-inline"));
    }
    // A literal message takes the path that copies the `str` as it stands.
    scoped_logger::error!(logger: &log, "literal \r2026-01-01T00:00:00.000Z ERROR admin: fake\n\x1b[2K\u{2028}\u{202e}");
    markers.push("literal".into());

    assert_one_line_each(&out.text(), &markers);
    file.flush();
    assert_one_line_each(&std::fs::read_to_string(&path).unwrap(), &markers);
}

#[test]
fn hand_built_records_escape_the_logger_name_and_keys_too() {
    let out = Shared::default();
    let handler = StreamHandler::new(out.clone());
    let mut markers = Vec::new();
    for (i, (_, p)) in PAYLOADS.iter().enumerate() {
        let marker = format!("built-{i}");
        let logger = format!("{marker}.{p}");
        let key = format!("key{p}");
        let kvs = [
            (key.as_str(), Value::Str(p)),
            ("display", Value::Display(p)),
            ("nel", Value::Char('\u{85}')),
            ("", Value::Str("")),
        ];
        handler.handle(
            &Record::builder(Level::Error, &logger, format_args!("{p}"))
                .key_values(&kvs)
                .build(),
        );
        markers.push(marker);
    }
    assert_one_line_each(&out.text(), &markers);
}

#[test]
fn the_same_text_reads_back_unambiguously() {
    // Escaping is reversible: a literal backslash-n and a line break come out different.
    let out = Shared::default();
    let handler = StreamHandler::new(out.clone());
    for msg in ["a\nb", r"a\nb"] {
        handler.handle(&Record::builder(Level::Info, "x", format_args!("{msg}")).build());
    }
    let text = out.text();
    let messages: Vec<&str> = text
        .lines()
        .map(|l| l.split_once("x: ").unwrap().1)
        .collect();
    assert_eq!(messages, [r"a\nb", r"a\\nb"]);
}

#[cfg(feature = "log")]
#[test]
fn the_log_bridge_escapes_kv_keys_and_targets() {
    use log::Log as _;

    let out = Shared::default();
    let handler = out.clone();
    // The bridge routes to the current scope, with the library's target as the `target` value.
    let scope = Registry::global()
        .scope("escaping.bridge")
        .level(LevelFilter::Trace)
        .propagate(false)
        .handler(move || Ok::<_, io::Error>(StreamHandler::new(handler)))
        .enter()
        .unwrap();
    let mut markers = Vec::new();
    for (i, (_, p)) in PAYLOADS.iter().enumerate() {
        let marker = format!("bridge-{i}");
        let key = format!("key{p}=forged");
        let target = format!("lib{p}");
        let kvs = [(key.as_str(), *p), ("plain", "v")];
        let source: &[(&str, &str)] = &kvs;
        scoped_logger::bridge::log::LogBridge.log(
            &log::Record::builder()
                .level(log::Level::Warn)
                .target(&target)
                .args(format_args!("{marker} {p}"))
                .key_values(&source)
                .build(),
        );
        markers.push(marker);
    }
    drop(scope);
    let text = out.text();
    assert!(text.contains(r#"target="lib\r2026"#), "{text}");
    assert_one_line_each(&text, &markers);
}

#[cfg(feature = "syslog")]
#[test]
fn the_local_syslog_form_is_one_line_per_record() {
    use std::os::unix::net::UnixDatagram;
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.sock");
    let server = UnixDatagram::bind(&path).unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    // The socket queues only a few datagrams (`net.unix.max_dgram_qlen`): read while sending.
    let reader = std::thread::spawn(move || {
        let mut buf = vec![0; 8192];
        (0..PAYLOADS.len())
            .map(|_| {
                let n = server.recv(&mut buf).expect("a datagram per record");
                String::from_utf8(buf[..n].to_vec()).expect("UTF-8")
            })
            .collect::<Vec<String>>()
    });
    let syslog = scoped_logger::handler::syslog::SyslogHandler::unix(&path)
        .app_name("escaping")
        .open()
        .unwrap();
    for (i, (_, p)) in PAYLOADS.iter().enumerate() {
        let key = format!("key{p}");
        let kvs = [(key.as_str(), Value::Str(p))];
        let logger = format!("syslog-{i}.{p}");
        syslog.handle(
            &Record::builder(Level::Info, &logger, format_args!("syslog-{i} {p}"))
                .key_values(&kvs)
                .build(),
        );
    }
    assert!(syslog.flush_by(Instant::now() + Duration::from_secs(30)));
    let datagrams = reader.join().unwrap();
    let mut text = String::new();
    for msg in &datagrams {
        assert!(msg.starts_with("<14>escaping["), "{msg}");
        // The receiver adds the line end: the datagram itself must hold no boundary at all.
        text.push_str(msg);
        text.push('\n');
    }
    let markers: Vec<String> = (0..PAYLOADS.len())
        .map(|i| format!("syslog-{i} "))
        .collect();
    assert_one_line_each(&text, &markers);
}
