//! A task's logger is its context: a scope's fields ride on every record logged while it is
//! current (macros, `Logger::log`, an explicit logger, the `log` bridge), in every format, in the
//! flight recorder's replay and the summary, on whichever thread polls its future, and in work
//! handed off with `Context`. Each key appears once in a record.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use scoped_logger::format::{Format, JsonFormat, TextFormat};
use scoped_logger::scope::FlightRecorder;
use scoped_logger::{
    Context, FutureExt as _, Handler, Level, LevelFilter, MemoryHandler, OwnedRecord, Record,
    Registry, StreamHandler, debug, error, info, scoped_log, warn,
};

#[path = "support/poll.rs"]
mod poll;
use poll::block_on;

/// `key=value` for every key-value of a record, in order.
fn kv(r: &OwnedRecord) -> Vec<String> {
    r.key_values
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect()
}

/// A registry whose root keeps everything in `mem`, at `Info`.
fn setup() -> (Registry, MemoryHandler) {
    let reg = Registry::new();
    let mem = MemoryHandler::new();
    reg.root().add_handler(mem.clone());
    reg.root().set_level(LevelFilter::Info);
    (reg, mem)
}

#[test]
fn every_way_of_logging_in_a_scope_carries_its_fields_after_the_calls_own() {
    let (reg, mem) = setup();
    let audit = reg.logger("audit");
    {
        let scope = reg
            .scope("req.7")
            .field("user", "ann")
            .field("attempt", 2)
            .enter()
            .unwrap();
        info!(step = 1; "macro");
        scope.log(Level::Info, format_args!("method"));
        scoped_log!(logger: &audit, warn, "explicit logger");
        audit.log(Level::Warn, format_args!("explicit method"));
    }
    info!("after the scope: no fields, and not in this registry");
    let recs = mem.records();
    assert_eq!(recs.len(), 4, "{recs:?}");
    assert_eq!(kv(&recs[0]), ["step=1", "user=ann", "attempt=2"]);
    for r in &recs[1..] {
        assert_eq!(kv(r), ["user=ann", "attempt=2"], "{}", r.message);
    }
    assert_eq!(
        recs[2].logger, "audit",
        "an MDC: the logger is the one named"
    );
}

#[test]
fn nested_scopes_add_fields_and_each_key_appears_once() {
    let (reg, mem) = setup();
    {
        let _outer = reg
            .scope("jobs.1")
            .field("job", 1)
            .field("who", "outer")
            .enter()
            .unwrap();
        let _inner = reg
            .scope(".db")
            .field("who", "inner")
            .field("table", "t")
            .enter()
            .unwrap();
        info!(who = "call", job = 9, job = 10; "nested");
    }
    let r = &mem.records()[0];
    assert_eq!(r.logger, "jobs.1.db");
    assert_eq!(kv(r), ["who=call", "job=9", "table=t"]);
    // Every format writes each key once.
    let rec = |f: &dyn Format| {
        let mut out = Vec::new();
        r.with_record(|rec| f.format(rec, &mut out));
        String::from_utf8(out).unwrap()
    };
    let text = rec(&TextFormat);
    assert!(
        text.ends_with(": nested who=call job=9 table=t\n"),
        "{text}"
    );
    let json = rec(&JsonFormat);
    assert_eq!(json.matches("\"job\"").count(), 1, "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["kv"]["who"], "call");
    assert_eq!(v["kv"]["table"], "t");
}

#[test]
fn formats_write_the_fields_of_a_live_record() {
    let reg = Registry::new();
    let out = Arc::new(Mutex::new(Vec::<u8>::new()));
    #[derive(Clone)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    reg.root()
        .add_handler(StreamHandler::new(Shared(out.clone())).format(JsonFormat));
    reg.root().set_level(LevelFilter::Info);
    {
        let _s = reg
            .scope("req.8")
            .field("user", "bob")
            .field("n", 3)
            .enter()
            .unwrap();
        info!(n = 4; "hello");
    }
    let line = String::from_utf8(out.lock().unwrap().clone()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["kv"], serde_json::json!({"n": 4, "user": "bob"}));
}

#[test]
fn same_name_scopes_share_an_entry_but_keep_their_own_fields() {
    let (reg, mem) = setup();
    let a = reg.scope("job").field("who", "a").enter().unwrap();
    info!("from a");
    let (tx, rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let reg2 = reg.clone();
    let t = std::thread::spawn(move || {
        let _b = reg2.scope("job").field("who", "b").enter().unwrap();
        info!("from b");
        tx.send(()).unwrap();
        done_rx.recv().unwrap();
        info!("from b again");
    });
    rx.recv().unwrap();
    assert_eq!(reg.node_count(), 1, "one entry for both");
    info!("from a again");
    done_tx.send(()).unwrap();
    t.join().unwrap();
    drop(a);
    for r in mem.records() {
        let who = r.value("who").unwrap().to_string();
        assert!(r.message.starts_with(&format!("from {who}")), "{r:?}");
    }
    assert_eq!(mem.len(), 4);
}

#[test]
fn replay_and_summary_carry_the_fields_even_when_the_scope_ends_elsewhere() {
    let (reg, mem) = setup();
    let scope = reg
        .scope("jobs.5")
        .field("job", 5)
        .flight_recorder(FlightRecorder::new(LevelFilter::Debug))
        .summary(true)
        .enter()
        .unwrap();
    debug!(step = 1; "kept in the ring");
    warn!("emitted now");
    scope.fail();
    // The guard ends on another thread, where no scope is current.
    std::thread::spawn(move || drop(scope)).join().unwrap();
    let recs = mem.records();
    let msgs: Vec<(&str, bool)> = recs
        .iter()
        .map(|r| (r.message.as_str(), r.replayed))
        .collect();
    assert_eq!(msgs[0], ("emitted now", false));
    assert_eq!(msgs[1], ("kept in the ring", true));
    assert!(msgs[2].0.starts_with("task err"), "{msgs:?}");
    assert_eq!(kv(&recs[1]), ["step=1", "job=5"]);
    for r in &recs {
        assert_eq!(
            r.value("job").map(ToString::to_string).as_deref(),
            Some("5")
        );
    }
}

#[test]
fn a_context_carried_to_a_thread_keeps_the_scope_until_the_last_piece_ends() {
    let (reg, _) = setup();
    let mem = MemoryHandler::new();
    let m = mem.clone();
    let scope = reg
        .scope("jobs.6")
        .field("job", 6)
        .summary(true)
        .handler(move || Ok::<_, io::Error>(m))
        .enter()
        .unwrap();
    let ctx = Context::current();
    assert_eq!(ctx.logger().unwrap().name(), "jobs.6");
    assert_eq!(ctx.fields().count(), 1);
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let worker = std::thread::spawn(move || {
        go_rx.recv().unwrap();
        ctx.run(|| error!("from the worker"));
        // the closure (and so the context) ends here
    });
    scope.fail();
    drop(scope);
    assert_eq!(mem.close_count(), 0, "the worker still holds the task");
    assert_eq!(reg.node_count(), 2);
    go_tx.send(()).unwrap();
    worker.join().unwrap();
    assert_eq!(mem.close_count(), 1);
    assert_eq!(reg.node_count(), 0);
    let recs = mem.records();
    assert_eq!(recs[0].message, "from the worker");
    assert_eq!(recs[0].logger, "jobs.6");
    assert_eq!(kv(&recs[0]), ["job=6"]);
    let summary = recs.last().unwrap();
    assert_eq!(
        summary.value("outcome").unwrap().to_string(),
        "err",
        "the parent failed, whichever piece ended last"
    );
}

#[test]
fn a_context_taken_outside_any_scope_carries_nothing() {
    let ctx = Context::current();
    assert!(ctx.logger().is_none());
    assert_eq!(ctx.fields().count(), 0);
    assert_eq!(ctx.run(scoped_logger::current_scope), None);
    let f = ctx.wrap(|| 5);
    assert_eq!(f(), 5);
}

#[test]
fn a_future_in_an_opened_scope_carries_its_fields() {
    let (reg, mem) = setup();
    let scope = reg.scope("jobs.9").field("job", 9).open().unwrap();
    let fut = async { info!("in the future") }.in_scope(scope);
    block_on(fut);
    assert_eq!(reg.node_count(), 0);
    assert_eq!(kv(&mem.records()[0]), ["job=9"]);
}

/// One record as [`Seen`] keeps it: its thread, its message, its `k=v` pairs.
type SeenRecord = (std::thread::ThreadId, String, Vec<String>);

/// Remembers each record's thread and fields.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<SeenRecord>>>);

impl Handler for Seen {
    fn handle(&self, r: &Record<'_>) {
        let kv = r.key_values().map(|(k, v)| format!("{k}={v}")).collect();
        self.0
            .lock()
            .unwrap()
            .push((std::thread::current().id(), r.args().to_string(), kv));
    }
}

#[test]
fn tokio_tasks_keep_the_fields_across_threads_and_spawned_children_join_the_scope() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let reg = Registry::new();
    reg.root().set_level(LevelFilter::Info);
    let seen = Seen::default();
    let closes = MemoryHandler::new();
    rt.block_on(async {
        let mut tasks = Vec::new();
        for id in 0..8u64 {
            let seen = seen.clone();
            let closes = closes.clone();
            let scope = reg
                .scope(&format!("jobs.{id}"))
                .field("job", id)
                .handler(move || Ok::<_, io::Error>(seen))
                .handler(move || Ok::<_, io::Error>(closes))
                .open()
                .unwrap();
            tasks.push(tokio::spawn(
                async move {
                    for step in 0..20 {
                        info!(step = step; "parent {id}");
                        tokio::task::yield_now().await;
                    }
                    // Children outlive the parent's future: they hold the scope.
                    let child = tokio::spawn(
                        async move {
                            tokio::task::yield_now().await;
                            info!("child {id}");
                        }
                        .in_current_scope(),
                    );
                    let blocking = tokio::task::spawn_blocking(
                        Context::current().wrap(move || info!("blocking {id}")),
                    );
                    (child, blocking)
                }
                .in_scope(scope),
            ));
        }
        for t in tasks {
            let (child, blocking) = t.await.unwrap();
            child.await.unwrap();
            blocking.await.unwrap();
        }
    });
    let seen = seen.0.lock().unwrap();
    assert_eq!(seen.len(), 8 * 22);
    for (_, msg, kv) in seen.iter() {
        let id: u64 = msg.rsplit(' ').next().unwrap().parse().unwrap();
        assert_eq!(kv.last().unwrap(), &format!("job={id}"), "{msg}: {kv:?}");
    }
    let threads: std::collections::HashSet<_> = seen.iter().map(|(t, _, _)| *t).collect();
    assert!(threads.len() > 1, "the tasks ran on several threads");
    assert_eq!(closes.close_count(), 8, "each task's handlers closed once");
    assert_eq!(reg.node_count(), 0);
}

#[cfg(feature = "log")]
#[test]
fn records_from_the_log_bridge_carry_the_scope_fields() {
    scoped_logger::bridge::log::install().unwrap();
    let (reg, mem) = setup();
    {
        let _s = reg.scope("jobs.2").field("job", 2).enter().unwrap();
        chatty::work_with_log(1);
    }
    let r = &mem.records()[0];
    assert_eq!(kv(r), ["target=chatty", "n=1", "job=2"]);
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_rows_hold_the_fields_in_their_key_value_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs.db");
    let (reg, _) = setup();
    let h = scoped_logger::SqliteHandler::open(&path).unwrap();
    reg.root().add_handler(h);
    {
        let _s = reg
            .scope("jobs.3")
            .field("job", 3)
            .field("user", "ann")
            .enter()
            .unwrap();
        info!(step = 1; "row");
    }
    assert!(reg.shutdown(std::time::Duration::from_secs(5)));
    let db = rusqlite::Connection::open(&path).unwrap();
    let (job, user, step): (i64, String, i64) = db
        .query_row(
            "SELECT json_extract(kv, '$.job'), json_extract(kv, '$.user'), json_extract(kv, '$.step') FROM logs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((job, user.as_str(), step), (3, "ann", 1));
}

#[cfg(feature = "syslog")]
#[test]
fn syslog_structured_data_holds_the_fields() {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let (reg, _) = setup();
    let h = scoped_logger::handler::syslog::SyslogHandler::udp(socket.local_addr().unwrap())
        .format(scoped_logger::handler::syslog::SyslogFormat::Rfc5424)
        .open()
        .unwrap();
    reg.root().add_handler(h);
    {
        let _s = reg
            .scope("jobs.4")
            .field("job", 4)
            .field("user", "ann")
            .enter()
            .unwrap();
        info!(step = 1; "datagram");
    }
    let mut buf = [0u8; 2048];
    let n = socket.recv(&mut buf).unwrap();
    let msg = String::from_utf8_lossy(&buf[..n]);
    assert!(msg.contains(r#" step="1" job="4" user="ann"]"#), "{msg}");
}

#[test]
fn fields_are_escaped_like_any_key_value_in_the_text_line() {
    let (reg, mem) = setup();
    {
        let _s = reg
            .scope("req.9")
            .field("us\ner", "a\rb")
            .field("n", 1)
            .enter()
            .unwrap();
        info!("one");
        info!(n = 2; "two");
    }
    let lines: Vec<String> = mem
        .records()
        .iter()
        .map(|r| {
            let mut out = Vec::new();
            r.with_record(|rec| TextFormat.format(rec, &mut out));
            String::from_utf8(out).unwrap()
        })
        .collect();
    assert!(
        lines[0].ends_with(": one us\\ner=\"a\\rb\" n=1\n"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].ends_with(": two n=2 us\\ner=\"a\\rb\"\n"),
        "{}",
        lines[1]
    );
    // And through a live record (the fields written straight into the line).
    let out = Arc::new(Mutex::new(Vec::<u8>::new()));
    struct W(Arc<Mutex<Vec<u8>>>);
    impl Write for W {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let reg = Registry::new();
    reg.root().add_handler(StreamHandler::new(W(out.clone())));
    reg.root().set_level(LevelFilter::Info);
    {
        let _s = reg.scope("req.9").field("us\ner", "a\rb").enter().unwrap();
        info!("live");
        info!("again");
    }
    let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    for line in text.lines() {
        assert!(line.ends_with(" us\\ner=\"a\\rb\""), "{line}");
    }
}
