//! `OtlpHandler` end to end, against a real OpenTelemetry collector (rotel, started by each test
//! on free loopback ports, see `tests/support/rotel.rs`): 10^4 records from two threads arrive
//! over gRPC and over HTTP/protobuf, none lost, none twice, with their scope, severity,
//! attributes, `service.name` and trace ids; with the collector down no call waits past the
//! queue's bound and every record is counted; with it back, sending resumes by itself.
//!
//! The tests print `SKIPPED: rotel not available: ...` and return when rotel is not installed
//! (`bash .ci/rotel.sh` installs it), except under `CI=true`, where they fail.
#![cfg(feature = "otlp")]

#[macro_use]
#[path = "support/skip.rs"]
mod skip;
#[path = "support/rotel.rs"]
mod rotel;
#[path = "support/wait.rs"]
mod wait;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry::Context;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use rotel::{FAILSAFE, LogLine, Rotel};
use scoped_logger::handler::otlp::{OtlpHandler, Protocol};
use scoped_logger::handler::queue::{Policy, QueueOptions};
use scoped_logger::{Handler, LevelFilter, Registry, scoped_log};

macro_rules! rotel_or_skip {
    () => {
        peer_or_skip!(Rotel::start(), "rotel", ".ci/rotel.sh")
    };
}

fn deadline() -> Instant {
    Instant::now() + FAILSAFE
}

/// The trace ids record `n` carries: made from `n`, so a mix-up shows.
fn ids(n: u64) -> (String, String) {
    (
        format!("{:032x}", 0xabc0_0000_u64 + n),
        format!("{:016x}", 0x5000 + n),
    )
}

/// Logs record `n` through the tree, inside an OpenTelemetry span of its own: the handler
/// sends the span's ids as the log record's trace context.
fn log(reg: &Registry, n: u64) {
    let (trace, span) = ids(n);
    let cx = Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from_hex(&trace).unwrap(),
        SpanId::from_hex(&span).unwrap(),
        TraceFlags::SAMPLED,
        false,
        TraceState::default(),
    ));
    let _in_span = cx.attach();
    let logger = reg.logger(&format!("jobs.{}", n % 3));
    if n.is_multiple_of(2) {
        scoped_log!(logger: &logger, info, n = n, user = "ann"; "record {n}");
    } else {
        scoped_log!(logger: &logger, error, n = n, user = "ann"; "record {n}");
    }
}

/// A registry whose root sends everything from INFO up to `handler`.
fn registry(handler: &Arc<OtlpHandler>) -> Registry {
    let reg = Registry::new();
    reg.root().set_level(LevelFilter::Info);
    reg.root().add_shared_handler(handler.clone());
    reg
}

fn n_of(r: &LogLine) -> Option<u64> {
    r.body.strip_prefix("record ")?.parse().ok()
}

fn ten_thousand_records_arrive(protocol: Protocol) {
    const PER_THREAD: u64 = 5_000;
    let rotel = rotel_or_skip!();
    let service = format!(
        "sl-{}-{}",
        protocol.name().replace('/', "-"),
        std::process::id()
    );
    let url = match protocol {
        Protocol::Grpc => rotel.grpc_url(),
        _ => rotel.http_url(),
    };
    let handler = Arc::new(
        OtlpHandler::builder()
            .protocol(protocol)
            .endpoint(url)
            .service_name(&service)
            .queue(QueueOptions::default().capacity(4 * PER_THREAD as usize))
            .open()
            .unwrap(),
    );
    let reg = registry(&handler);
    std::thread::scope(|s| {
        for t in 0..2 {
            let reg = &reg;
            s.spawn(move || {
                for i in 0..PER_THREAD {
                    log(reg, t * PER_THREAD + i);
                }
            });
        }
    });
    assert!(handler.flush_by(deadline()));
    assert_eq!(handler.dropped(), 0);
    let records = rotel.wait_for(&service, "10^4 records", |r| {
        r.len() >= 2 * PER_THREAD as usize
    });
    let mut seen = BTreeMap::new();
    for r in &records {
        let n = n_of(r).unwrap_or_else(|| panic!("a record of ours: {r:?}"));
        *seen.entry(n).or_insert(0) += 1;
        assert_eq!(r.scope, format!("jobs.{}", n % 3), "{r:?}");
        let (text, number) = if n.is_multiple_of(2) {
            ("INFO", 9)
        } else {
            ("ERROR", 17)
        };
        assert_eq!(
            (r.severity_text.as_str(), r.severity_number),
            (text, number)
        );
        assert_eq!(r.attributes.get("n"), Some(&format!("Int({n})")), "{r:?}");
        assert_eq!(
            r.attributes.get("user").map(String::as_str),
            Some("Str(ann)")
        );
        let (trace, span) = ids(n);
        assert_eq!((&r.trace_id, &r.span_id), (&trace, &span), "{r:?}");
        assert!(
            !r.attributes.contains_key("trace_id"),
            "the context, not an attribute"
        );
    }
    assert_eq!(seen.len(), 2 * PER_THREAD as usize, "none lost");
    assert!(seen.values().all(|c| *c == 1), "none twice");
    assert!(Handler::close_by(&*handler, deadline()));
}

#[test]
fn ten_thousand_records_arrive_over_grpc() {
    ten_thousand_records_arrive(Protocol::Grpc);
}

#[test]
fn ten_thousand_records_arrive_over_http_protobuf() {
    ten_thousand_records_arrive(Protocol::HttpProtobuf);
}

#[test]
fn collector_down_no_call_waits_every_record_counted_and_back_it_resumes() {
    const CAPACITY: usize = 100;
    const DOWN: u64 = 250;
    const BACK: u64 = 100;
    let bound = Duration::from_millis(20);
    let mut rotel = rotel_or_skip!();
    let service = format!("sl-outage-{}", std::process::id());
    let handler = Arc::new(
        OtlpHandler::builder()
            .protocol(Protocol::Grpc)
            .endpoint(rotel.grpc_url())
            .service_name(&service)
            .queue(
                QueueOptions::default()
                    .capacity(CAPACITY)
                    .policy(Policy::BlockFor(bound)),
            )
            .retry_delay(Duration::from_millis(10), Duration::from_millis(100))
            .give_up_after(Duration::from_secs(3600))
            .open()
            .unwrap(),
    );
    let reg = registry(&handler);
    rotel.stop();
    let mut slowest = Duration::ZERO;
    for n in 0..DOWN {
        let began = Instant::now();
        log(&reg, n);
        slowest = slowest.max(began.elapsed());
    }
    // The bound, plus room for a loaded machine to schedule the caller again.
    assert!(
        slowest < bound + Duration::from_millis(200),
        "a call waited {slowest:?} with the collector down"
    );
    let dropped_while_down = handler.dropped();
    assert!(
        dropped_while_down >= DOWN - CAPACITY as u64 - 1,
        "the queue held at most its capacity: {dropped_while_down} dropped"
    );

    rotel.restart();
    // The worker finds the collector again by itself and sends what the queue held.
    assert!(handler.flush_by(deadline()), "sending resumed by itself");
    assert_eq!(
        handler.dropped(),
        dropped_while_down,
        "what the queue held arrived"
    );
    for n in DOWN..DOWN + BACK {
        log(&reg, n);
    }
    assert!(handler.flush_by(deadline()));
    let dropped = handler.dropped();
    let records = rotel.wait_for(&service, "the held and new records and the report", |r| {
        let ours = r.iter().filter(|r| n_of(r).is_some()).count() as u64;
        let reported: u64 = r.iter().filter_map(reported).sum();
        ours + dropped == DOWN + BACK && reported == dropped
    });
    let mut seen = BTreeMap::new();
    for n in records.iter().filter_map(n_of) {
        *seen.entry(n).or_insert(0) += 1;
    }
    assert!(seen.values().all(|c| *c == 1), "none twice");
    assert!(
        (DOWN..DOWN + BACK).all(|n| seen.contains_key(&n)),
        "every record logged after the collector came back arrived"
    );
    let report = records.iter().find(|r| reported(r).is_some()).unwrap();
    assert_eq!(report.scope, "scoped_logger");
    assert_eq!(report.severity_text, "WARN");
    assert!(
        report
            .body
            .contains("records dropped while the OpenTelemetry collector was"),
        "{report:?}"
    );
}

/// The count a "records dropped" report carries.
fn reported(r: &LogLine) -> Option<u64> {
    let v = r.attributes.get("dropped")?;
    v.strip_prefix("Int(")?.strip_suffix(')')?.parse().ok()
}

#[test]
fn a_config_file_kind_otlp_reaches_the_collector() {
    let rotel = rotel_or_skip!();
    let service = format!("sl-config-{}", std::process::id());
    let config = scoped_logger::config::Config::from_toml(&format!(
        r#"
        [loggers.root]
        level = "info"
        handlers = ["collector"]

        [handlers.collector]
        kind = "otlp"
        protocol = "http/protobuf"
        endpoint = "{}"
        service_name = "{service}"
        "#,
        rotel.http_url()
    ))
    .unwrap();
    let reg = Registry::new();
    let _applied = config.apply(&reg).unwrap();
    scoped_log!(logger: &reg.logger("jobs.9"), info, job = 9; "from the config");
    assert!(
        reg.shutdown(std::time::Duration::from_secs(30)),
        "flushed and closed in time"
    );
    let records = rotel.wait_for(&service, "the record", |r| !r.is_empty());
    assert_eq!(records[0].body, "from the config");
    assert_eq!(records[0].scope, "jobs.9");
    assert_eq!(
        records[0].attributes.get("job").map(String::as_str),
        Some("Int(9)")
    );
}
