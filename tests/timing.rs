//! The flight recorder learns time: a slow task replays its trail and is summarized `slow`; a
//! stuck task is reported once while it runs (with its fields and its trail so far) and once
//! more when it ends; replays share a per-registry budget; `live_scopes` lists the timed scopes.
//! Every test moves a `ManualClock` and asks for a watchdog pass: nothing here sleeps.

use std::sync::Arc;
use std::time::Duration;

use scoped_logger::scope::FlightRecorder;
use scoped_logger::timing::ManualClock;
use scoped_logger::{
    FutureExt as _, LevelFilter, MemoryHandler, OwnedRecord, Registry, debug, info,
};

#[path = "support/poll.rs"]
mod poll;
use poll::{YieldOnce, block_on};

fn setup() -> (Registry, MemoryHandler, Arc<ManualClock>) {
    let reg = Registry::new();
    let clock = Arc::new(ManualClock::new());
    reg.set_task_clock(clock.clone());
    let mem = MemoryHandler::new();
    reg.root().add_handler(mem.clone());
    reg.root().set_level(LevelFilter::Info);
    (reg, mem, clock)
}

fn msgs(recs: &[OwnedRecord]) -> Vec<(String, bool)> {
    recs.iter()
        .map(|r| (r.message.clone(), r.replayed))
        .collect()
}

fn value(r: &OwnedRecord, k: &str) -> String {
    r.value(k).map(ToString::to_string).unwrap_or_default()
}

#[test]
fn a_slow_task_replays_its_trail_and_says_slow() {
    let (reg, mem, clock) = setup();
    for (id, took) in [(1, 100), (2, 900)] {
        let _task = reg
            .scope(&format!("jobs.{id}"))
            .field("job", id)
            .flight_recorder(FlightRecorder::new(LevelFilter::Debug))
            .summary(true)
            .slow(Duration::from_millis(500))
            .enter()
            .unwrap();
        debug!("step {id}");
        clock.advance(Duration::from_millis(took));
    }
    let recs = mem.records();
    let m = msgs(&recs);
    assert!(m[0].0.starts_with("task ok"), "{m:?}");
    assert_eq!(
        value(&recs[0], "discarded"),
        "1",
        "the fast task's trail is dropped"
    );
    assert_eq!(
        m[1],
        ("step 2".to_owned(), true),
        "the slow task's trail is replayed"
    );
    assert!(m[2].0.starts_with("task slow"), "{m:?}");
    assert_eq!(recs[2].level, scoped_logger::Level::Warn);
    assert_eq!(value(&recs[2], "outcome"), "slow");
    assert_eq!(value(&recs[2], "job"), "2");
}

#[test]
fn a_stuck_task_is_reported_once_with_its_trail_and_again_when_it_ends() {
    let (reg, mem, clock) = setup();
    let task = reg
        .scope("jobs.3")
        .field("job", 3)
        .flight_recorder(FlightRecorder::new(LevelFilter::Debug))
        .stuck(Duration::from_secs(30))
        .enter()
        .unwrap();
    debug!("connecting");
    info!("waiting for the lock");
    clock.advance(Duration::from_secs(29));
    reg.check_stuck_scopes();
    assert_eq!(mem.len(), 1, "not stuck yet: {:?}", mem.messages());
    clock.advance(Duration::from_secs(2));
    reg.check_stuck_scopes();
    reg.check_stuck_scopes();
    let recs = mem.records();
    let m = msgs(&recs);
    assert_eq!(m.len(), 3, "{m:?}");
    assert!(
        m[1].0.starts_with("task stuck: still running after 31"),
        "{m:?}"
    );
    assert!(!m[1].1);
    assert_eq!(value(&recs[1], "stuck_ms"), "31000");
    assert!(value(&recs[1], "thread").contains('#'), "{:?}", recs[1]);
    assert_eq!(value(&recs[1], "job"), "3");
    assert_eq!(
        m[2],
        ("connecting".to_owned(), true),
        "the trail so far, after the warning"
    );
    assert_eq!(reg.live_scopes()[0].name, "jobs.3");
    assert!(reg.live_scopes()[0].stuck);
    // A failure replays what came after the report, not the trail the report showed.
    debug!("retrying");
    task.fail();
    clock.advance(Duration::from_secs(9));
    drop(task);
    let recs = mem.records();
    let m = msgs(&recs);
    assert_eq!(m[3], ("retrying".to_owned(), true), "{m:?}");
    assert!(m[4].0.starts_with("stuck task ended after 40"), "{m:?}");
    assert_eq!(value(&recs[4], "outcome"), "err");
    assert_eq!(value(&recs[4], "job"), "3");
    assert_eq!(m.len(), 5, "{m:?}");
    assert!(reg.live_scopes().is_empty());
}

/// A request both `stuck` and `slow` (the attribute's usual pair): the stuck report shows the
/// trail so far, and the slow end adds only what came later. Each kept line is told once.
#[test]
fn a_stuck_task_that_ends_slow_replays_each_line_once() {
    let (reg, mem, clock) = setup();
    let task = reg
        .scope("http.7")
        .flight_recorder(FlightRecorder::new(LevelFilter::Debug))
        .summary(true)
        .slow(Duration::from_millis(500))
        .stuck(Duration::from_secs(1))
        .enter()
        .unwrap();
    for i in 0..10 {
        debug!("before {i}");
    }
    clock.advance(Duration::from_secs(2));
    reg.check_stuck_scopes();
    debug!("after");
    clock.advance(Duration::from_secs(1));
    drop(task);
    let recs = mem.records();
    let m = msgs(&recs);
    assert_eq!(m.len(), 14, "{m:?}");
    assert!(m[0].0.starts_with("task stuck"), "{m:?}");
    for (i, line) in m[1..11].iter().enumerate() {
        assert_eq!(*line, (format!("before {i}"), true), "{m:?}");
    }
    assert_eq!(m[11], ("after".to_owned(), true), "{m:?}");
    assert!(m[12].0.starts_with("stuck task ended"), "{m:?}");
    let summary = recs.last().unwrap();
    assert!(summary.message.starts_with("task slow"), "{m:?}");
    assert_eq!(value(summary, "replayed"), "11");
    assert_eq!(value(summary, "discarded"), "0");
}

#[test]
fn an_async_task_is_watched_from_the_thread_that_polls_it_and_a_cancelled_one_says_so() {
    let (reg, mem, clock) = setup();
    let scope = reg
        .scope("jobs.4")
        .stuck(Duration::from_secs(1))
        .open()
        .unwrap();
    let mut fut = Box::pin(
        async {
            info!("polled");
            YieldOnce(false).await;
            info!("never");
        }
        .in_scope(scope),
    );
    // First poll on a named thread of our own.
    let polled = std::thread::Builder::new()
        .name("poller".into())
        .spawn(move || {
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            assert!(fut.as_mut().poll(&mut cx).is_pending());
            fut
        })
        .unwrap()
        .join()
        .unwrap();
    clock.advance(Duration::from_secs(2));
    reg.check_stuck_scopes();
    let recs = mem.records();
    assert_eq!(msgs(&recs)[0].0, "polled");
    assert!(
        value(&recs[1], "thread").starts_with("poller (#"),
        "{:?}",
        recs[1]
    );
    drop(polled); // cancelled
    let recs = mem.records();
    assert!(
        recs[2].message.starts_with("stuck task ended after 2"),
        "{recs:?}"
    );
    assert_eq!(value(&recs[2], "outcome"), "cancelled");
    assert_eq!(reg.node_count(), 0);
    // A task that completes is not reported at all.
    let scope = reg
        .scope("jobs.5")
        .stuck(Duration::from_secs(1))
        .open()
        .unwrap();
    block_on(async { info!("quick") }.in_scope(scope));
    clock.advance(Duration::from_secs(5));
    reg.check_stuck_scopes();
    assert_eq!(mem.messages().last().unwrap(), "quick");
}

#[test]
fn live_scopes_lists_the_stuck_watched_ones_oldest_first() {
    let (reg, _mem, clock) = setup();
    let _a = reg
        .scope("jobs.a")
        .stuck(Duration::from_secs(100))
        .enter()
        .unwrap();
    clock.advance(Duration::from_secs(3));
    let _b = reg
        .scope("jobs.b")
        .stuck(Duration::from_secs(60))
        .enter()
        .unwrap();
    let _c = reg
        .scope("jobs.c")
        .slow(Duration::from_secs(1))
        .enter()
        .unwrap();
    clock.advance(Duration::from_secs(1));
    let live = reg.live_scopes();
    let got: Vec<(&str, Duration)> = live.iter().map(|s| (s.name.as_str(), s.age)).collect();
    assert_eq!(
        got,
        [
            ("jobs.a", Duration::from_secs(4)),
            ("jobs.b", Duration::from_secs(1))
        ]
    );
    // Another registry's scopes are not listed.
    let other = Registry::new();
    let _d = other
        .scope("jobs.d")
        .stuck(Duration::from_secs(1))
        .enter()
        .unwrap();
    assert_eq!(reg.live_scopes().len(), 2);
    assert_eq!(other.live_scopes()[0].name, "jobs.d");
}

#[test]
fn replays_share_a_budget_and_what_goes_past_it_is_counted_and_told_once() {
    let (reg, mem, clock) = setup();
    reg.set_replay_budget(100);
    for id in 0..1000 {
        let task = reg
            .scope(&format!("jobs.{id}"))
            .flight_recorder(FlightRecorder::new(LevelFilter::Debug))
            .enter()
            .unwrap();
        for step in 0..5 {
            debug!("job {id} step {step}");
        }
        task.fail();
    }
    let replayed = mem.records().iter().filter(|r| r.replayed).count();
    assert_eq!(replayed, 100, "the budget, no more");
    assert_eq!(reg.stats().replays_suppressed, 4900);
    assert!(
        !mem.messages().iter().any(|m| m.contains("suppressed")),
        "told only once replays go through again"
    );
    // A second later the budget is back: the next replay first tells what was held back.
    clock.advance(Duration::from_secs(1));
    let task = reg
        .scope("jobs.last")
        .flight_recorder(FlightRecorder::new(LevelFilter::Debug))
        .enter()
        .unwrap();
    debug!("last step");
    task.fail();
    drop(task);
    let recs = mem.records();
    let n = recs.len();
    assert_eq!(
        recs[n - 2].message,
        "4900 replayed records suppressed by the replay budget"
    );
    assert_eq!(
        (recs[n - 1].message.as_str(), recs[n - 1].replayed),
        ("last step", true)
    );
    let told = mem
        .messages()
        .iter()
        .filter(|m| m.contains("suppressed"))
        .count();
    assert_eq!(told, 1);
}
