//! Model-based property test: random sequences of tree operations over a small name space,
//! checked after every step against a plain reference model of Python's semantics (plus
//! deletion): effective levels, which handlers receive each record, `len()`, `node_count()`, and
//! that removed handlers were closed exactly once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;
use proptest::prelude::*;
use scoped_logger::HandlerId;
use scoped_logger::{Handler, HandlerExt, Level, LevelFilter, Record, Registry};

const NAMES: [&str; 7] = ["", "a", "a.b", "a.b.c", "a.d", "e", "e.f.g"];

#[derive(Clone, Debug)]
enum Op {
    Create(usize),
    Remove(usize),
    SetLevel(usize, LevelFilter),
    ClearLevel(usize),
    SetPropagate(usize, bool),
    AddHandler(usize, LevelFilter),
    RemoveHandler(usize, usize),
    Log(usize, Level),
}

fn level_filter() -> impl Strategy<Value = LevelFilter> {
    prop_oneof![
        Just(LevelFilter::Off),
        Just(LevelFilter::Error),
        Just(LevelFilter::Warn),
        Just(LevelFilter::Info),
        Just(LevelFilter::Debug),
        Just(LevelFilter::Trace),
    ]
}

fn level() -> impl Strategy<Value = Level> {
    prop_oneof![
        Just(Level::Error),
        Just(Level::Warn),
        Just(Level::Info),
        Just(Level::Debug),
        Just(Level::Trace),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let n = 0..NAMES.len();
    prop_oneof![
        3 => n.clone().prop_map(Op::Create),
        2 => n.clone().prop_map(Op::Remove),
        2 => (n.clone(), level_filter()).prop_map(|(i, l)| Op::SetLevel(i, l)),
        1 => n.clone().prop_map(Op::ClearLevel),
        1 => (n.clone(), any::<bool>()).prop_map(|(i, p)| Op::SetPropagate(i, p)),
        2 => (n.clone(), level_filter()).prop_map(|(i, l)| Op::AddHandler(i, l)),
        1 => (n.clone(), 0..4usize).prop_map(|(i, k)| Op::RemoveHandler(i, k)),
        4 => (n, level()).prop_map(|(i, l)| Op::Log(i, l)),
    ]
}

/// A handler that notes which record sequence numbers it saw and how often it was closed.
struct Probe {
    idx: usize,
    seen: Arc<Mutex<Vec<(usize, u64)>>>,
    closes: Arc<Vec<AtomicUsize>>,
}

impl Handler for Probe {
    fn handle(&self, record: &Record<'_>) {
        let seq = record
            .key_values()
            .next()
            .unwrap()
            .1
            .to_string()
            .parse()
            .unwrap();
        self.seen.lock().push((self.idx, seq));
    }
    fn close(&self) {
        self.closes[self.idx].fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Default, Clone, Debug)]
struct ModelLogger {
    level: Option<LevelFilter>,
    propagate: bool,
    /// (probe index, handler level, real id)
    handlers: Vec<(usize, LevelFilter, HandlerId)>,
}

struct Model {
    loggers: BTreeMap<&'static str, ModelLogger>,
    closed: BTreeSet<usize>,
}

fn ancestors(name: &str) -> impl Iterator<Item = &str> {
    let mut cur = Some(name);
    std::iter::from_fn(move || {
        let c = cur?;
        cur = if c.is_empty() {
            None
        } else {
            Some(c.rfind('.').map_or("", |i| &c[..i]))
        };
        Some(c)
    })
}

impl Model {
    fn new() -> Model {
        let mut loggers = BTreeMap::new();
        loggers.insert(
            "",
            ModelLogger {
                level: Some(LevelFilter::Warn),
                propagate: true,
                handlers: vec![],
            },
        );
        Model {
            loggers,
            closed: BTreeSet::new(),
        }
    }

    fn effective(&self, name: &str) -> LevelFilter {
        ancestors(name)
            .find_map(|a| self.loggers.get(a).and_then(|l| l.level))
            .expect("root has a level")
    }

    fn receivers(&self, name: &str, level: Level) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        if !self.effective(name).allows(level) {
            return out;
        }
        for a in ancestors(name) {
            let Some(l) = self.loggers.get(a) else {
                continue;
            };
            for (idx, hl, _) in &l.handlers {
                if hl.allows(level) {
                    out.insert(*idx);
                }
            }
            if !l.propagate {
                break;
            }
        }
        out
    }

    fn node_count(&self) -> usize {
        let mut all = BTreeSet::new();
        for name in self.loggers.keys() {
            for a in ancestors(name) {
                if !a.is_empty() {
                    all.insert(a);
                }
            }
        }
        all.len()
    }
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let reg = Registry::new();
    let mut model = Model::new();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let closes: Arc<Vec<AtomicUsize>> = Arc::new((0..64).map(|_| AtomicUsize::new(0)).collect());
    let mut next_probe = 0;
    let mut seq = 0u64;

    for op in ops {
        match op {
            Op::Create(i) => {
                let name = NAMES[i];
                reg.logger(name);
                model.loggers.entry(name).or_insert_with(|| ModelLogger {
                    propagate: true,
                    ..Default::default()
                });
            }
            Op::Remove(i) => {
                let name = NAMES[i];
                let removed = reg.remove(name);
                let expect = !name.is_empty() && model.loggers.contains_key(name);
                prop_assert_eq!(removed, expect, "remove({:?})", name);
                if expect {
                    let l = model.loggers.remove(name).unwrap();
                    model.closed.extend(l.handlers.iter().map(|h| h.0));
                }
            }
            Op::SetLevel(i, lf) => {
                if let (Some(l), Some(m)) = (reg.get(NAMES[i]), model.loggers.get_mut(NAMES[i])) {
                    l.set_level(lf);
                    m.level = Some(lf);
                }
            }
            Op::ClearLevel(i) => {
                if let (Some(l), Some(m)) = (reg.get(NAMES[i]), model.loggers.get_mut(NAMES[i])) {
                    l.clear_level();
                    if !NAMES[i].is_empty() {
                        m.level = None;
                    }
                }
            }
            Op::SetPropagate(i, p) => {
                if let (Some(l), Some(m)) = (reg.get(NAMES[i]), model.loggers.get_mut(NAMES[i])) {
                    l.set_propagate(p);
                    m.propagate = p;
                }
            }
            Op::AddHandler(i, lf) => {
                if let (Some(l), Some(m)) = (reg.get(NAMES[i]), model.loggers.get_mut(NAMES[i])) {
                    let idx = next_probe;
                    next_probe += 1;
                    let id = l.add_handler(
                        Probe {
                            idx,
                            seen: seen.clone(),
                            closes: closes.clone(),
                        }
                        .with_level(lf),
                    );
                    m.handlers.push((idx, lf, id));
                }
            }
            Op::RemoveHandler(i, k) => {
                if let (Some(l), Some(m)) = (reg.get(NAMES[i]), model.loggers.get_mut(NAMES[i]))
                    && k < m.handlers.len()
                {
                    let (idx, _, id) = m.handlers.remove(k);
                    prop_assert!(l.remove_handler(id));
                    model.closed.insert(idx);
                }
            }
            Op::Log(i, level) => {
                if let Some(l) = reg.get(NAMES[i]) {
                    seq += 1;
                    seen.lock().clear();
                    if l.enabled(level) {
                        let kvs = [("seq", scoped_logger::kv::Value::U64(seq))];
                        l.dispatch(
                            &scoped_logger::Record::builder(level, l.name(), format_args!("m"))
                                .key_values(&kvs)
                                .build(),
                        );
                    }
                    let got: BTreeSet<usize> = seen
                        .lock()
                        .iter()
                        .filter(|(_, s)| *s == seq)
                        .map(|(idx, _)| *idx)
                        .collect();
                    prop_assert_eq!(
                        got,
                        model.receivers(NAMES[i], level),
                        "log on {:?}",
                        NAMES[i]
                    );
                }
            }
        }
        // After every step: levels, sizes, closes agree with the model.
        for name in NAMES {
            let real = reg.get(name);
            prop_assert_eq!(
                real.is_some(),
                model.loggers.contains_key(name),
                "exists {:?}",
                name
            );
            if let Some(l) = real {
                prop_assert_eq!(
                    l.effective_level(),
                    model.effective(name),
                    "effective {:?}",
                    name
                );
            }
        }
        prop_assert_eq!(reg.len(), model.loggers.len() - 1);
        prop_assert_eq!(reg.node_count(), model.node_count());
        for idx in 0..next_probe {
            let expect = usize::from(model.closed.contains(&idx));
            prop_assert_eq!(
                closes[idx].load(Ordering::SeqCst),
                expect,
                "closes of probe {}",
                idx
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
    #[test]
    fn tree_agrees_with_model(ops in proptest::collection::vec(op(), 1..60)) {
        run(ops)?;
    }
}

// ---- concurrent histories ------------------------------------------------------------------
//
// Several threads run random histories at once over names that overlap: each thread has a
// subtree of its own (`s.<t>`, `s.<t>.a`, `s.<t>.a.b`, `p<t>`) under ancestors that every thread
// shares (`s`, always a placeholder, pruned and re-made as the threads come and go) and one
// scope name that every thread enters (`s.x`). After each of its own operations, a thread checks
// what the operation must have made true whatever the others do (an operation that returned is
// seen by every `get`/`contains`/`names` that starts after it); when all have joined, the tree
// must be exactly what the threads' own models say, and every handler closed exactly once.

const OWN: [&str; 4] = ["s.{t}", "s.{t}.a", "s.{t}.a.b", "p{t}"];
const SHARED_SCOPE: &str = "s.x";

#[derive(Clone, Debug)]
enum COp {
    /// Enter a scope on an own name (index into `OWN`), or on the shared one (`None`).
    Enter(Option<usize>),
    /// Drop the guard at this position of the thread's stack (any order, not only the last).
    Exit(usize),
    Persist(usize),
    Remove(usize),
    SetLevel(usize, LevelFilter),
    /// Log at Warn on an own name, with a handler on it: the record must arrive.
    Log(usize),
}

fn cop() -> impl Strategy<Value = COp> {
    let own = 0..OWN.len();
    prop_oneof![
        4 => proptest::option::weighted(0.8, own.clone()).prop_map(COp::Enter),
        4 => (0..6usize).prop_map(COp::Exit),
        2 => own.clone().prop_map(COp::Persist),
        2 => own.clone().prop_map(COp::Remove),
        1 => (own.clone(), level_filter()).prop_map(|(i, l)| COp::SetLevel(i, l)),
        2 => own.prop_map(COp::Log),
    ]
}

fn own_name(t: usize, i: usize) -> String {
    OWN[i].replace("{t}", &t.to_string())
}

struct Counted {
    closes: Arc<AtomicUsize>,
    handled: Arc<AtomicUsize>,
}

impl Handler for Counted {
    fn handle(&self, _: &Record<'_>) {
        self.handled.fetch_add(1, Ordering::SeqCst);
    }
    fn close(&self) {
        self.closes.fetch_add(1, Ordering::SeqCst);
    }
}

/// One thread's history; returns the names it left persistent and how many handlers it
/// attached (each must be closed once the tree is shut down or the names removed).
fn run_thread(
    reg: &Registry,
    t: usize,
    ops: &[COp],
    closes: &Arc<AtomicUsize>,
) -> Result<(BTreeSet<String>, usize), TestCaseError> {
    let mut stack: Vec<(Option<usize>, scoped_logger::ScopedLogger)> = Vec::new();
    let mut persistent: BTreeSet<String> = BTreeSet::new();
    let mut attached = 0;
    let live_here =
        |stack: &Vec<(Option<usize>, _)>, i: usize| stack.iter().any(|(n, _)| *n == Some(i));
    for op in ops {
        match op {
            COp::Enter(i) => {
                let name = i.map_or(SHARED_SCOPE.to_owned(), |i| own_name(t, i));
                let guard = reg.scope(&name).open().unwrap();
                prop_assert!(reg.contains(&name), "entered {name} but it is not there");
                prop_assert!(
                    reg.names().contains(&name),
                    "entered {name}: not in names()"
                );
                stack.push((*i, guard));
            }
            COp::Exit(k) => {
                if stack.is_empty() {
                    continue;
                }
                let (i, guard) = stack.remove(k % stack.len());
                drop(guard);
                if let Some(i) = i {
                    let name = own_name(t, i);
                    let expect = persistent.contains(&name) || live_here(&stack, i);
                    prop_assert_eq!(reg.contains(&name), expect, "after leaving {}", name);
                }
            }
            COp::Persist(i) => {
                let name = own_name(t, *i);
                reg.logger(&name);
                persistent.insert(name.clone());
                prop_assert!(reg.contains(&name));
            }
            COp::Remove(i) => {
                let name = own_name(t, *i);
                let was = persistent.remove(&name);
                prop_assert_eq!(reg.remove(&name), was, "remove {}", name);
                prop_assert_eq!(
                    reg.contains(&name),
                    live_here(&stack, *i),
                    "after remove {}",
                    name
                );
            }
            COp::SetLevel(i, lf) => {
                let name = own_name(t, *i);
                if let Some(l) = reg.get(&name) {
                    l.set_level(*lf);
                    prop_assert_eq!(l.level(), Some(*lf));
                    prop_assert_eq!(l.effective_level(), *lf, "a level set is in force at once");
                }
            }
            COp::Log(i) => {
                let name = own_name(t, *i);
                if let Some(l) = reg.get(&name) {
                    let handled = Arc::new(AtomicUsize::new(0));
                    let id = l.add_handler(Counted {
                        closes: closes.clone(),
                        handled: handled.clone(),
                    });
                    attached += 1;
                    let wanted = l.enabled(Level::Warn);
                    prop_assert_eq!(wanted, l.effective_level().allows(Level::Warn));
                    l.log(Level::Warn, format_args!("w"));
                    prop_assert_eq!(handled.load(Ordering::SeqCst), usize::from(wanted));
                    // Handlers on scope loggers go with the scope; detach ours now so that the
                    // count of closes at the end does not depend on which scope ended last.
                    l.remove_handler(id);
                }
            }
        }
    }
    drop(stack);
    Ok((persistent, attached))
}

fn run_concurrent(histories: Vec<Vec<COp>>) -> Result<(), TestCaseError> {
    let reg = Registry::new();
    let closes = Arc::new(AtomicUsize::new(0));
    let barrier = std::sync::Barrier::new(histories.len());
    let results: Vec<Result<(BTreeSet<String>, usize), TestCaseError>> = std::thread::scope(|s| {
        let handles: Vec<_> = histories
            .iter()
            .enumerate()
            .map(|(t, ops)| {
                let (reg, closes, barrier) = (&reg, &closes, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    run_thread(reg, t, ops, closes)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut persistent = BTreeSet::new();
    let mut attached = 0;
    for r in results {
        let (p, a) = r?;
        persistent.extend(p);
        attached += a;
    }
    // Quiescent: the tree is exactly the persistent loggers and their ancestors.
    let names: BTreeSet<String> = reg.names().into_iter().collect();
    prop_assert_eq!(&names, &persistent);
    let mut nodes = BTreeSet::new();
    for n in &persistent {
        for a in ancestors(n) {
            if !a.is_empty() {
                nodes.insert(a.to_owned());
            }
        }
    }
    prop_assert_eq!(
        reg.node_count(),
        nodes.len(),
        "node_count with {:?}",
        persistent
    );
    prop_assert_eq!(reg.len(), persistent.len());
    prop_assert!(!reg.contains(SHARED_SCOPE));
    for n in &persistent {
        prop_assert!(reg.remove(n));
    }
    prop_assert_eq!(reg.node_count(), 0);
    prop_assert_eq!(
        closes.load(Ordering::SeqCst),
        attached,
        "each handler closed once"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
    #[test]
    fn concurrent_histories_agree_with_each_threads_model(
        histories in proptest::collection::vec(proptest::collection::vec(cop(), 1..80), 2..4)
    ) {
        run_concurrent(histories)?;
    }
}
