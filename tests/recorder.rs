//! The task flight recorder, the summary line, `Registry::stats`, and in-flight safety: records
//! already being handled on other threads finish before their handler closes.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, LazyLock};
use std::task::{Context, Waker};

use scoped_logger::kv::OwnedValue;
use scoped_logger::scope::FlightRecorder;
use scoped_logger::{
    Handler, Level, LevelFilter, MemoryHandler, OwnedRecord, Record, Registry, debug, info,
    scoped_logger, trace, warn,
};

fn new_registry() -> Registry {
    Registry::new()
}

/// (message, replayed) of each record.
fn seen(mem: &MemoryHandler) -> Vec<(String, bool)> {
    mem.records()
        .into_iter()
        .map(|r| (r.message, r.replayed))
        .collect()
}

fn summary_of(mem: &MemoryHandler) -> OwnedRecord {
    mem.records()
        .into_iter()
        .find(|r| r.value("outcome").is_some())
        .expect("a summary line")
}

fn kv(r: &OwnedRecord, k: &str) -> String {
    r.value(k).map(OwnedValue::to_string).unwrap_or_default()
}

static TASKS: LazyLock<Registry> = LazyLock::new(new_registry);

#[scoped_logger("tasks.{id}", registry = &TASKS, level = "info", record_below = "debug", summary = true)]
fn task(id: u32, fail: bool) -> Result<u32, String> {
    debug!("step 1 of {id}");
    info!("working");
    debug!("step 2");
    if fail {
        warn!("giving up");
        return Err("boom".into());
    }
    Ok(id)
}

fn tasks_handler() -> MemoryHandler {
    let mem = MemoryHandler::new();
    TASKS.logger("tasks").add_handler(mem.clone());
    mem
}

#[test]
fn success_discards_the_ring_unread_and_err_replays_it_in_order() {
    let mem = tasks_handler();
    assert_eq!(task(1, false), Ok(1));
    let got = seen(&mem);
    assert_eq!(got[0], ("working".to_string(), false));
    assert_eq!(got.len(), 2, "working + summary: {got:?}");
    let s = summary_of(&mem);
    assert_eq!(kv(&s, "outcome"), "ok");
    assert_eq!((kv(&s, "info"), kv(&s, "debug")), ("1".into(), "2".into()));
    assert_eq!(
        (kv(&s, "replayed"), kv(&s, "discarded")),
        ("0".into(), "2".into())
    );
    assert_eq!(s.level, Level::Info);
    mem.clear();

    assert!(task(2, true).is_err());
    let got = seen(&mem);
    assert_eq!(
        &got[..4],
        [
            ("working".to_string(), false),
            ("giving up".to_string(), false),
            ("step 1 of 2".to_string(), true),
            ("step 2".to_string(), true),
        ]
    );
    let s = summary_of(&mem);
    assert_eq!(kv(&s, "outcome"), "err");
    assert_eq!(s.level, Level::Error);
    assert_eq!(kv(&s, "replayed"), "2");
    assert!(
        mem.records()[2].logger == "tasks.2",
        "replays keep their logger"
    );
    assert_eq!(TASKS.get("tasks.2"), None, "the scope still ends");
    TASKS.remove("tasks");
}

static PANICS: LazyLock<Registry> = LazyLock::new(new_registry);

#[scoped_logger("p.{id}", registry = &PANICS, level = "warn", record_below = "trace")]
fn panicking(id: u32) {
    trace!("about to fail {id}");
    panic!("task bug");
}

#[test]
fn a_panic_replays_the_ring() {
    let mem = MemoryHandler::new();
    PANICS.root().add_handler(mem.clone());
    assert!(std::panic::catch_unwind(|| panicking(3)).is_err());
    assert_eq!(seen(&mem), [("about to fail 3".to_string(), true)]);
    assert_eq!(PANICS.node_count(), 0);
}

#[test]
fn fail_by_hand_replays_and_child_records_are_kept_too() {
    let reg = Registry::new();
    let mem = MemoryHandler::new();
    reg.root().add_handler(mem.clone());
    {
        let s = reg
            .scope("manual")
            .level(LevelFilter::Info)
            .flight_recorder(FlightRecorder::new(LevelFilter::Debug))
            .enter()
            .unwrap();
        s.log(Level::Debug, format_args!("own detail"));
        // A child of the task inherits the recorder's level; its detail is the task's too.
        reg.logger(".db")
            .log(Level::Debug, format_args!("child detail"));
        reg.remove("manual.db");
        assert!(mem.is_empty(), "nothing emitted yet");
        s.fail();
    }
    assert_eq!(
        seen(&mem),
        [
            ("own detail".to_string(), true),
            ("child detail".to_string(), true)
        ]
    );
}

#[test]
fn ring_bounds_hold_with_huge_records() {
    let reg = Registry::new();
    let mem = MemoryHandler::new();
    reg.root().add_handler(mem.clone());
    {
        let s = reg
            .scope("bounded")
            .level(LevelFilter::Warn)
            .summary(true)
            .flight_recorder(
                FlightRecorder::new(LevelFilter::Debug)
                    .max_records(3)
                    .max_bytes(64 * 1024),
            )
            .enter()
            .unwrap();
        let huge = "x".repeat(10 << 20);
        s.log(Level::Debug, format_args!("{huge}")); // larger than the byte bound: not kept
        for i in 0..10 {
            s.log(Level::Info, format_args!("n{i}"));
        }
        s.fail();
    }
    let got = seen(&mem);
    let replayed: Vec<&str> = got
        .iter()
        .filter(|(_, r)| *r)
        .map(|(m, _)| m.as_str())
        .collect();
    assert_eq!(replayed, ["n7", "n8", "n9"], "the newest three");
    let s = summary_of(&mem);
    assert_eq!(kv(&s, "discarded"), "8", "the huge one and seven evicted");
    assert_eq!(kv(&s, "info"), "10");
}

static LAZY: LazyLock<Registry> = LazyLock::new(new_registry);

#[scoped_logger("lazy", registry = &LAZY, level = "info", record_below = "debug")]
fn lazy(counter: &AtomicUsize) {
    let bump = || counter.fetch_add(1, Ordering::SeqCst);
    trace!("not kept: {}", bump());
    debug!("kept: {}", bump());
}

#[test]
fn arguments_are_evaluated_only_for_levels_the_recorder_keeps() {
    let n = AtomicUsize::new(0);
    lazy(&n);
    assert_eq!(n.load(Ordering::SeqCst), 1, "debug evaluated, trace not");
}

static ASYNC: LazyLock<Registry> = LazyLock::new(new_registry);

#[scoped_logger("jobs.{id}", registry = &ASYNC, level = "info", record_below = "debug", summary = true)]
async fn async_job(id: u32) -> Result<(), String> {
    debug!("detail of {id}");
    std::future::pending::<()>().await;
    Ok(())
}

#[test]
fn cancellation_is_neither_success_nor_failure() {
    // Documented choice: a dropped future discards the ring (nothing failed) and its summary
    // says `cancelled`.
    let mem = MemoryHandler::new();
    ASYNC.root().add_handler(mem.clone());
    let mut fut = Box::pin(async_job(9));
    assert!(
        fut.as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_pending()
    );
    drop(fut);
    let got = seen(&mem);
    assert!(got.iter().all(|(_, replayed)| !replayed), "{got:?}");
    let s = summary_of(&mem);
    assert_eq!(kv(&s, "outcome"), "cancelled");
    assert_eq!(kv(&s, "discarded"), "1");
    assert_eq!(ASYNC.node_count(), 0);
}

#[test]
fn stats_after_a_known_workload_and_a_leaked_scope_stays_visible() {
    let reg = Registry::new();
    let mem = MemoryHandler::new();
    reg.logger("svc.api").add_handler(mem.clone());
    let shared: Arc<dyn Handler> = Arc::new(MemoryHandler::new());
    reg.logger("svc.db").add_shared_handler(shared.clone());
    reg.logger("svc").add_shared_handler(shared);
    for i in 0..5 {
        reg.logger("svc.api").log(Level::Warn, format_args!("r{i}"));
    }
    let open = reg.scope("jobs.1").enter().unwrap();
    std::mem::forget(reg.scope("jobs.leaked").enter().unwrap());
    let st = reg.stats();
    assert_eq!(st.loggers, 5, "svc, svc.api, svc.db, jobs.1, jobs.leaked");
    assert_eq!(st.placeholders, 1, "jobs");
    assert_eq!(st.scopes, 2);
    assert_eq!(st.handlers, 2, "the shared one counts once");
    assert_eq!(st.kinds.len(), 1);
    assert_eq!(st.kinds[0].kind, "MemoryHandler");
    assert_eq!(st.kinds[0].emitted, 10, "5 on svc.api, 5 propagated to svc");
    drop(open);
    assert!(reg.names().contains(&"jobs.leaked".to_string()));
    assert_eq!(reg.stats().scopes, 1);
}

/// Fails the test if `handle` ever runs after `close`.
struct Strict {
    closed: AtomicBool,
    handled: Arc<AtomicUsize>,
    after_close: Arc<AtomicUsize>,
    closes: Arc<AtomicUsize>,
}

impl Handler for Strict {
    fn handle(&self, _: &Record<'_>) {
        if self.closed.load(Ordering::SeqCst) {
            self.after_close.fetch_add(1, Ordering::SeqCst);
        }
        self.handled.fetch_add(1, Ordering::SeqCst);
        std::hint::spin_loop();
    }
    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.closes.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn close_waits_for_records_in_flight_none_lost_none_after() {
    const THREADS: usize = 4;
    const ROUNDS: usize = 2_000;
    let reg = Registry::new();
    let handled = Arc::new(AtomicUsize::new(0));
    let after_close = Arc::new(AtomicUsize::new(0));
    let closes = Arc::new(AtomicUsize::new(0));
    let factories = Arc::new(AtomicUsize::new(0));
    let start = Barrier::new(THREADS);
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                start.wait();
                for _ in 0..ROUNDS {
                    // Same-name scopes on several threads: one shared handler per live period,
                    // closed by whichever thread leaves last while the others may be logging.
                    let scope = reg
                        .scope("inflight")
                        .handler(|| {
                            factories.fetch_add(1, Ordering::SeqCst);
                            Ok::<_, io::Error>(Strict {
                                closed: AtomicBool::new(false),
                                handled: handled.clone(),
                                after_close: after_close.clone(),
                                closes: closes.clone(),
                            })
                        })
                        .enter()
                        .unwrap();
                    scope.log(Level::Warn, format_args!("x"));
                }
            });
        }
    });
    assert_eq!(
        after_close.load(Ordering::SeqCst),
        0,
        "no record after close"
    );
    assert_eq!(
        handled.load(Ordering::SeqCst),
        THREADS * ROUNDS,
        "none lost"
    );
    assert_eq!(
        closes.load(Ordering::SeqCst),
        factories.load(Ordering::SeqCst),
        "each handler closed exactly once"
    );
    assert_eq!(reg.node_count(), 0);
}
