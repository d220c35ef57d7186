//! `JournaldHandler` end to end, against the machine's real journald (started by the tests when
//! its socket is absent, see `tests/support/journald.rs`), read back with `journalctl`: 10^4
//! records from two threads all arrive with their fields, a 100 KB message (the memfd road)
//! arrives whole, and a message with a newline is one entry.
//!
//! The tests print `SKIPPED: journald not available: ...` and return where journald cannot run
//! (`bash .ci/journald.sh` installs it), except under `CI=true`, where they fail.
#![cfg(all(feature = "journald", target_os = "linux"))]

#[macro_use]
#[path = "support/skip.rs"]
mod skip;
#[path = "support/journald.rs"]
mod journald;
#[path = "support/wait.rs"]
mod wait;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use journald::{FAILSAFE, Journald, field};
use scoped_logger::handler::journald::JournaldHandler;
use scoped_logger::kv::Value;
use scoped_logger::{Handler, Level, Location, Record, Registry, scoped_log};

macro_rules! journald_or_skip {
    () => {
        peer_or_skip!(Journald::start(), "journald", ".ci/journald.sh")
    };
}

/// An identifier no other run has used: the journal keeps the entries of earlier runs.
fn identifier(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("sl-{test}-{}-{nanos}", std::process::id())
}

fn open(id: &str) -> Arc<JournaldHandler> {
    Arc::new(
        JournaldHandler::builder()
            .identifier(id)
            .open()
            .expect("journald's socket is there"),
    )
}

fn deadline() -> Instant {
    Instant::now() + FAILSAFE
}

static SITE: Location = Location::new("journald_test", "tests/journald.rs", 77);

#[test]
fn ten_thousand_records_from_two_threads_arrive_with_their_fields() {
    const PER_THREAD: u64 = 5_000;
    let jd = journald_or_skip!();
    let id = identifier("many");
    let handler = open(&id);
    std::thread::scope(|s| {
        for t in 0..2u64 {
            let handler = &handler;
            s.spawn(move || {
                for i in 0..PER_THREAD {
                    let n = t * PER_THREAD + i;
                    let kvs = [
                        ("n", Value::U64(n)),
                        ("user_name", Value::Str("ann")),
                        ("http.status", Value::I64(200)),
                    ];
                    let level = if n.is_multiple_of(2) {
                        Level::Info
                    } else {
                        Level::Warn
                    };
                    handler.handle(
                        &Record::builder(level, "jobs.42", format_args!("record {n}"))
                            .key_values(&kvs)
                            .location(&SITE)
                            .build(),
                    );
                }
            });
        }
    });
    assert!(handler.flush_by(deadline()));
    assert_eq!(handler.dropped(), 0, "nothing dropped on the way");
    let entries = jd.wait_for(&id, "10^4 entries", |e| e.len() >= 2 * PER_THREAD as usize);
    let mut seen = BTreeMap::new();
    for e in &entries {
        let n: u64 = field(e, "N").expect("N").parse().unwrap();
        *seen.entry(n).or_insert(0) += 1;
        assert_eq!(field(e, "MESSAGE"), Some(format!("record {n}")));
        let priority = if n.is_multiple_of(2) { "6" } else { "4" };
        assert_eq!(field(e, "PRIORITY").as_deref(), Some(priority));
        assert_eq!(field(e, "LOGGER").as_deref(), Some("jobs.42"));
        assert_eq!(field(e, "CODE_FILE").as_deref(), Some("tests/journald.rs"));
        assert_eq!(field(e, "CODE_LINE").as_deref(), Some("77"));
        assert_eq!(field(e, "USER_NAME").as_deref(), Some("ann"));
        assert_eq!(field(e, "HTTP_STATUS").as_deref(), Some("200"));
    }
    assert_eq!(seen.len(), 2 * PER_THREAD as usize, "every record arrived");
    assert!(seen.values().all(|c| *c == 1), "none twice");
    Handler::close(&*handler);
    drop(jd);
}

#[test]
fn a_100_kb_message_arrives_whole() {
    let jd = journald_or_skip!();
    let id = identifier("large");
    let handler = open(&id);
    // Not one repeated byte: a cut or a reordering would show.
    let big: String = (0..100 * 1024)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    handler.handle(&Record::builder(Level::Info, "big", format_args!("{big}")).build());
    assert!(handler.flush_by(deadline()));
    let entries = jd.wait_for(&id, "the large entry", |e| !e.is_empty());
    assert_eq!(entries.len(), 1);
    let message = field(&entries[0], "MESSAGE").expect("MESSAGE");
    assert!(message == big, "{} bytes of {}", message.len(), big.len());
    assert_eq!(handler.dropped(), 0);
    drop(jd);
}

#[test]
fn a_message_with_a_newline_is_one_entry_and_the_tree_reaches_it() {
    let jd = journald_or_skip!();
    let id = identifier("newline");
    let handler = open(&id);
    let reg = Registry::new();
    reg.root().add_shared_handler(handler.clone());
    let jobs = reg.logger("jobs.7");
    scoped_log!(logger: &jobs, error, job = 7, note = "a\nb"; "first line\nsecond line");
    // A marker after it: once the marker is in, anything the first record became is too.
    scoped_log!(logger: &jobs, warn, "marker");
    assert!(handler.flush_by(deadline()));
    let entries = jd.wait_for(&id, "the marker", |e| {
        e.iter()
            .any(|e| field(e, "MESSAGE").as_deref() == Some("marker"))
    });
    assert_eq!(
        entries.len(),
        2,
        "one entry for the multi-line record: {entries:?}"
    );
    let e = &entries[0];
    assert_eq!(
        field(e, "MESSAGE").as_deref(),
        Some("first line\nsecond line")
    );
    assert_eq!(field(e, "NOTE").as_deref(), Some("a\nb"));
    assert_eq!(field(e, "JOB").as_deref(), Some("7"));
    assert_eq!(field(e, "PRIORITY").as_deref(), Some("3"));
    assert_eq!(field(e, "LOGGER").as_deref(), Some("jobs.7"));
    assert!(field(e, "CODE_LINE").is_some(), "the macro's call site");
    drop(jd);
}

#[cfg(feature = "opentelemetry")]
#[test]
fn a_record_in_an_opentelemetry_span_has_trace_id_and_span_id_fields() {
    use opentelemetry::Context;
    use opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState,
    };
    let jd = journald_or_skip!();
    let id = identifier("trace");
    let handler = open(&id);
    let reg = Registry::new();
    reg.root().add_shared_handler(handler.clone());
    let cx = Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from(0x0af7651916cd43dd8448eb211c80319c_u128),
        SpanId::from(0xb7ad6b7169203331_u64),
        TraceFlags::SAMPLED,
        false,
        TraceState::default(),
    ));
    {
        let _in_span = cx.attach();
        scoped_log!(logger: &reg.logger("jobs"), warn, "in a span");
    }
    assert!(handler.flush_by(deadline()));
    let entries = jd.wait_for(&id, "the entry", |e| !e.is_empty());
    assert_eq!(
        field(&entries[0], "TRACE_ID").as_deref(),
        Some("0af7651916cd43dd8448eb211c80319c")
    );
    assert_eq!(
        field(&entries[0], "SPAN_ID").as_deref(),
        Some("b7ad6b7169203331")
    );
    drop(jd);
}

#[test]
fn a_config_file_kind_journald_reaches_the_journal() {
    let jd = journald_or_skip!();
    let id = identifier("config");
    let config = scoped_logger::config::Config::from_toml(&format!(
        r#"
        [loggers.root]
        level = "info"
        handlers = ["journal"]

        [handlers.journal]
        kind = "journald"
        identifier = "{id}"
        "#
    ))
    .unwrap();
    let reg = Registry::new();
    let _applied = config.apply(&reg).unwrap();
    scoped_log!(logger: &reg.logger("jobs.9"), info, job = 9; "from the config");
    assert!(
        reg.shutdown(std::time::Duration::from_secs(30)),
        "flushed and closed in time"
    );
    let entries = jd.wait_for(&id, "the entry", |e| !e.is_empty());
    assert_eq!(
        field(&entries[0], "MESSAGE").as_deref(),
        Some("from the config")
    );
    assert_eq!(field(&entries[0], "JOB").as_deref(), Some("9"));
    drop(jd);
}
