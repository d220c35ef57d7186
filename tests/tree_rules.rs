//! The tree's rules under concurrency and re-entrance: who sets a level, what a level change
//! guarantees to a record logged after it, that no lock of the tree is held while a handler's
//! methods run, the name depth limit, and the two-phase end of same-name scopes with a flight
//! recorder and a summary.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, LazyLock, mpsc};

use scoped_logger::name::NameErrorKind;
use scoped_logger::scope::FlightRecorder;
use scoped_logger::{Handler, Level, LevelFilter, MemoryHandler, Record, Registry};

#[test]
fn directives_win_over_levels_set_in_code_and_code_levels_are_kept_for_later() {
    let reg = Registry::new();
    let scope = reg
        .scope("jobs.1")
        .level(LevelFilter::Debug)
        .enter()
        .unwrap();
    // A directive given while the scope is live wins over the scope's own level at once...
    reg.configure("jobs.1=info").unwrap();
    assert_eq!(scope.level(), Some(LevelFilter::Info));
    assert!(!scope.enabled(Level::Debug));
    assert!(scope.enabled(Level::Info));
    // ...and when it goes, the scope's level from code holds again.
    reg.configure("").unwrap();
    assert!(scope.enabled(Level::Debug));
    reg.configure("jobs.1=info").unwrap();
    drop(scope);
    let l = reg.get("jobs.1").expect("configure made a logger");
    assert_eq!(l.level(), Some(LevelFilter::Info));
    assert!(!l.enabled(Level::Debug));

    // A level set in code under a covering directive is kept, not in force...
    let plain = reg.scope("jobs.1").enter().unwrap();
    reg.logger("jobs.1").set_level(LevelFilter::Trace);
    assert!(!plain.enabled(Level::Debug));
    // ...and takes effect when the directive goes.
    reg.configure("").unwrap();
    assert!(plain.enabled(Level::Trace));
    drop(plain);
    assert_eq!(reg.logger("jobs.1").level(), Some(LevelFilter::Trace));

    // Propagate is not a directive: a live scope's own flag wins until it ends.
    let p = reg.scope("jobs.1").propagate(false).enter().unwrap();
    reg.logger("jobs.1").set_propagate(true);
    assert!(!p.propagate());
    drop(p);
    assert!(reg.logger("jobs.1").propagate());
}

#[test]
fn a_level_change_below_a_million_loggers_obeys_at_once() {
    // Children of `svc` cache their effective level; a change on `svc` must reach every one of
    // them for the next record, whichever thread logs it.
    let reg = Registry::new();
    let svc = reg.logger("svc");
    let kids: Vec<_> = (0..2_000)
        .map(|i| reg.logger(&format!("svc.k{i}.leaf")))
        .collect();
    for k in &kids {
        assert!(!k.enabled(Level::Info));
    }
    let (tx, rx) = mpsc::channel::<LevelFilter>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    std::thread::scope(|s| {
        s.spawn(|| {
            for lf in rx {
                // Happens-after the set_level: every child must agree now.
                for k in &kids {
                    assert_eq!(k.effective_level(), lf);
                    assert_eq!(k.enabled(Level::Debug), lf >= LevelFilter::Debug);
                }
                done_tx.send(()).unwrap();
            }
        });
        for round in 0..40 {
            let lf = if round % 2 == 0 {
                LevelFilter::Debug
            } else {
                LevelFilter::Warn
            };
            svc.set_level(lf);
            tx.send(lf).unwrap();
            done_rx.recv().unwrap();
        }
        drop(tx);
    });
}

static REENTRANT: LazyLock<Registry> = LazyLock::new(Registry::new);

/// A handler whose `dropped` and `kind` use the tree: `stats()` must not hold anything of it.
struct UsesTheTree;

impl Handler for UsesTheTree {
    fn handle(&self, _: &Record<'_>) {}
    fn dropped(&self) -> u64 {
        let _l = REENTRANT.logger("from.dropped");
        let _s = REENTRANT.scope("from.dropped.scope").enter().unwrap();
        REENTRANT
            .logger("from.dropped")
            .set_level(LevelFilter::Debug);
        7
    }
    fn kind(&self) -> &'static str {
        assert!(REENTRANT.contains("from.dropped") || REENTRANT.node_count() > 0);
        "UsesTheTree"
    }
}

#[test]
fn stats_holds_nothing_of_the_tree_while_handlers_answer() {
    REENTRANT.logger("a").add_handler(UsesTheTree);
    let st = REENTRANT.stats();
    let k = st.kinds.iter().find(|k| k.kind == "UsesTheTree").unwrap();
    assert_eq!(k.dropped, 7);
}

#[test]
fn names_deeper_than_the_limit_are_refused_and_templates_are_clamped() {
    let reg = Registry::new();
    let max = scoped_logger::name::MAX_SEGMENTS;
    let ok = vec!["s"; max].join(".");
    let l = reg.logger(&ok);
    assert_eq!(l.name(), ok);
    assert_eq!(reg.node_count(), max);
    let deep = format!("{ok}.one_more");
    let err = reg.try_logger(&deep).unwrap_err();
    assert_eq!(err.kind(), &NameErrorKind::TooDeep { segments: max + 1 });
    assert!(err.to_string().contains("segments"), "{err}");
    assert!(reg.scope(&deep).enter().is_err());
    assert!(reg.remove(&ok));
    assert_eq!(reg.node_count(), 0);
}

/// Counts records by message and sums the summary lines' `warn` counts.
#[derive(Default)]
struct Tally {
    summaries: AtomicUsize,
    summarized_warns: AtomicU64,
    warns: AtomicUsize,
    replayed_debug: AtomicUsize,
    direct_debug: AtomicUsize,
}

struct TallyHandler(Arc<Tally>);

impl Handler for TallyHandler {
    fn handle(&self, r: &Record<'_>) {
        let msg = r.args().to_string();
        if msg.starts_with("task ") {
            self.0.summaries.fetch_add(1, Ordering::SeqCst);
            let warn = r
                .key_values()
                .find(|(k, _)| *k == "warn")
                .map(|(_, v)| v.to_string().parse::<u64>().unwrap())
                .unwrap();
            self.0.summarized_warns.fetch_add(warn, Ordering::SeqCst);
        } else if msg == "w" {
            self.0.warns.fetch_add(1, Ordering::SeqCst);
        } else if msg == "d" {
            if r.is_replayed() {
                self.0.replayed_debug.fetch_add(1, Ordering::SeqCst);
            } else {
                self.0.direct_debug.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}

#[test]
fn same_name_scopes_with_recorder_and_summary_end_in_two_phases() {
    const THREADS: usize = 3;
    const ROUNDS: usize = 3_000;
    let reg = Registry::new();
    let tally = Arc::new(Tally::default());
    reg.root().add_handler(TallyHandler(tally.clone()));
    reg.root().set_level(LevelFilter::Info);
    let start = Barrier::new(THREADS);
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                start.wait();
                for _ in 0..ROUNDS {
                    let scope = reg
                        .scope("same")
                        .level(LevelFilter::Info)
                        .flight_recorder(FlightRecorder::new(LevelFilter::Debug))
                        .summary(true)
                        .enter()
                        .unwrap();
                    scope.log(Level::Debug, format_args!("d"));
                    scope.log(Level::Warn, format_args!("w"));
                    // Every task fails: every debug record must be replayed exactly once.
                    scope.fail();
                }
            });
        }
    });
    let t = &*tally;
    let logged = THREADS * ROUNDS;
    assert_eq!(t.warns.load(Ordering::SeqCst), logged);
    assert_eq!(
        t.summarized_warns.load(Ordering::SeqCst),
        logged as u64,
        "every scope's records are counted in exactly one period's summary"
    );
    assert!(t.summaries.load(Ordering::SeqCst) >= 1);
    assert_eq!(
        t.direct_debug.load(Ordering::SeqCst),
        0,
        "kept, not emitted at once"
    );
    assert_eq!(
        t.replayed_debug.load(Ordering::SeqCst),
        logged,
        "each kept record replayed once"
    );
    assert_eq!(reg.node_count(), 0);
}

#[test]
fn a_detached_handle_stays_detached_when_the_name_comes_back() {
    let reg = Registry::new();
    let mem = MemoryHandler::new();
    reg.root().add_handler(mem.clone());
    let first = reg.scope("again").enter().unwrap();
    let kept = first.logger().clone();
    drop(first);
    assert!(!kept.is_live());
    let second = reg.scope("again").enter().unwrap();
    assert!(second.is_live());
    assert!(!kept.is_live(), "a new period does not revive old handles");
    assert_ne!(&kept, second.logger());
    kept.log(Level::Warn, format_args!("late"));
    assert_eq!(mem.messages(), ["late"]);
}
