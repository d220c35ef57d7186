//! `#[scoped_logger]` on sync functions: the scope is live exactly while the body runs and ends
//! on every way out, names come out as documented, and the options do what they say.
//!
//! Each test uses its own `Registry` so that `node_count()` (the leak gauge) is exact.

use std::fmt::Display;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, LazyLock};

use scoped_logger::{
    Level, MemoryHandler, Registry, current, debug, info, scoped_log, scoped_logger, trace, warn,
};

fn new_registry() -> Registry {
    Registry::new()
}

static RETURN: LazyLock<Registry> = LazyLock::new(new_registry);

#[scoped_logger("ret.{id}", registry = &RETURN, level = "info", handler = mem.clone())]
fn returns_normally(id: u32, mem: &MemoryHandler) -> (String, usize) {
    info!("inside {id}");
    (current().name().to_owned(), RETURN.node_count())
}

#[test]
fn scope_is_live_during_the_body_and_ends_on_return() {
    let mem = MemoryHandler::new();
    let (name, nodes) = returns_normally(7, &mem);
    assert_eq!(name, "ret.7");
    assert_eq!(nodes, 2, "`ret` placeholder and `ret.7`");
    assert_eq!(RETURN.node_count(), 0);
    assert_eq!(mem.close_count(), 1);
    let recs = mem.records();
    assert_eq!(recs.len(), 1);
    assert_eq!(
        (recs[0].logger.as_str(), recs[0].message.as_str()),
        ("ret.7", "inside 7")
    );
    assert_eq!(
        current().name(),
        "root",
        "no scope is current after the call"
    );
}

static EARLY: LazyLock<Registry> = LazyLock::new(new_registry);

#[scoped_logger("early", registry = &EARLY, handler = mem.clone())]
fn early_return(stop: bool, mem: &MemoryHandler) -> u32 {
    if stop {
        return 1;
    }
    warn!("not stopped");
    2
}

#[test]
fn scope_ends_on_early_return() {
    let mem = MemoryHandler::new();
    assert_eq!(early_return(true, &mem), 1);
    assert_eq!(EARLY.node_count(), 0);
    assert_eq!(mem.close_count(), 1);
    assert!(mem.is_empty());
    assert_eq!(early_return(false, &mem), 2);
    assert_eq!(EARLY.node_count(), 0);
    assert_eq!(mem.close_count(), 2);
    assert_eq!(mem.messages(), ["not stopped"]);
}

static QUESTION: LazyLock<Registry> = LazyLock::new(new_registry);

#[scoped_logger("q.{input}", registry = &QUESTION, handler = mem.clone())]
fn parse_number(input: &str, mem: &MemoryHandler) -> Result<u32, std::num::ParseIntError> {
    let n: u32 = input.parse()?;
    warn!("parsed {n}");
    Ok(n)
}

#[test]
fn scope_ends_on_question_mark() {
    let mem = MemoryHandler::new();
    assert!(parse_number("x1", &mem).is_err());
    assert_eq!(QUESTION.node_count(), 0);
    assert_eq!(mem.close_count(), 1);
    assert!(mem.is_empty());
    assert_eq!(parse_number("12", &mem), Ok(12));
    assert_eq!(mem.records()[0].logger, "q.12");
    assert_eq!(QUESTION.node_count(), 0);
}

static PANIC: LazyLock<Registry> = LazyLock::new(new_registry);

#[scoped_logger("panics", registry = &PANIC, handler = mem.clone())]
fn panics(mem: &MemoryHandler) {
    warn!("about to panic");
    panic!("boom");
}

#[test]
fn scope_ends_on_panic() {
    let mem = MemoryHandler::new();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| panics(&mem)));
    assert!(result.is_err());
    assert_eq!(PANIC.node_count(), 0);
    assert_eq!(mem.close_count(), 1);
    assert_eq!(mem.messages(), ["about to panic"]);
    assert_eq!(
        current().name(),
        "root",
        "the panicking scope is no longer current"
    );
}

static NESTED: LazyLock<Registry> = LazyLock::new(new_registry);

#[scoped_logger("jobs.{id}", registry = &NESTED, handler = mem.clone())]
fn outer_job(id: u32, mem: &MemoryHandler) -> Vec<String> {
    let mut seen = vec![current().name().to_owned()];
    seen.push(inner_db(mem));
    seen.push(current().name().to_owned());
    warn!("outer done");
    seen
}

#[scoped_logger(".db", registry = &NESTED)]
fn inner_db(_mem: &MemoryHandler) -> String {
    warn!("query");
    current().name().to_owned()
}

#[test]
fn nested_scopes_and_relative_names() {
    let mem = MemoryHandler::new();
    let seen = outer_job(42, &mem);
    assert_eq!(seen, ["jobs.42", "jobs.42.db", "jobs.42"]);
    let recs = mem.records();
    // The inner scope has no handler of its own: its record propagates to `jobs.42`'s.
    assert_eq!(recs[0].logger, "jobs.42.db");
    assert_eq!(recs[1].logger, "jobs.42");
    assert_eq!(NESTED.node_count(), 0);
    assert_eq!(mem.close_count(), 1);
}

#[test]
fn relative_name_without_a_current_scope_is_under_the_root() {
    // Its own registry: `nested_scopes_and_relative_names` may have scopes open in NESTED now.
    // Somewhere for the record to go other than the last-resort stderr handler.
    ROOTED.root().add_handler(scoped_logger::NullHandler);
    assert_eq!(rooted_db(), "db");
    assert_eq!(ROOTED.node_count(), 0);
}

static ROOTED: LazyLock<Registry> = LazyLock::new(new_registry);

#[scoped_logger(".db", registry = &ROOTED)]
fn rooted_db() -> String {
    warn!("query");
    current().name().to_owned()
}

static CLEAN: LazyLock<Registry> = LazyLock::new(new_registry);

#[scoped_logger("users.{name}.{{x}}", registry = &CLEAN)]
fn user_scope(name: &str) -> String {
    current().name().to_owned()
}

#[test]
fn template_values_are_cleaned_and_braces_escaped() {
    assert_eq!(user_scope("ann"), "users.ann.{x}");
    assert_eq!(user_scope("a b"), "users.a_b.{x}");
    assert_eq!(
        user_scope("x.y"),
        "users.x_y.{x}",
        "a value never adds a level"
    );
    assert_eq!(user_scope("a::b"), "users.a__b.{x}");
    assert_eq!(user_scope("tab\there"), "users.tab_here.{x}");
    assert_eq!(user_scope(""), "users._.{x}");
    assert_eq!(CLEAN.node_count(), 0);
}

static BARE: LazyLock<Registry> = LazyLock::new(new_registry);

#[scoped_logger(registry = &BARE)]
fn bare_named() -> String {
    current().name().to_owned()
}

mod nested_module {
    use super::*;

    #[scoped_logger(registry = &BARE)]
    pub fn r#in_module() -> String {
        current().name().to_owned()
    }
}

#[test]
fn bare_attribute_names_the_module_path_and_fn() {
    assert_eq!(bare_named(), "attribute.bare_named");
    assert_eq!(
        nested_module::in_module(),
        "attribute.nested_module.in_module"
    );
    assert_eq!(BARE.node_count(), 0);
}

static METHODS: LazyLock<Registry> = LazyLock::new(new_registry);

struct Worker {
    id: u32,
}

impl Worker {
    #[scoped_logger("workers.{n}", registry = &METHODS)]
    fn by_ref(&self, n: u32) -> String {
        format!("{} {}", current().name(), self.id)
    }

    #[scoped_logger(registry = &METHODS)]
    fn by_value(mut self) -> (String, u32) {
        self.id += 1;
        (current().name().to_owned(), self.id)
    }

    #[scoped_logger("workers.static.{id}", registry = &METHODS)]
    fn associated(id: u32) -> Self {
        Worker { id }
    }
}

#[test]
fn methods_with_self_by_ref_and_by_value() {
    let w = Worker::associated(3);
    assert_eq!(w.by_ref(5), "workers.5 3");
    assert_eq!(w.by_value(), ("attribute.by_value".to_owned(), 4));
    assert_eq!(METHODS.node_count(), 0);
}

static GENERIC: LazyLock<Registry> = LazyLock::new(new_registry);

#[scoped_logger("gen.{item}", registry = &GENERIC)]
fn generic<T>(item: T) -> (T, String)
where
    T: Display + Clone,
{
    (item.clone(), current().name().to_owned())
}

#[scoped_logger("it.{label}", registry = &GENERIC, handler = scoped_logger::NullHandler)]
fn impl_trait(label: impl Display, xs: impl IntoIterator<Item = u32>) -> impl Iterator<Item = u32> {
    let here = current().name().to_owned();
    assert_eq!(here, format!("it.{label}"));
    xs.into_iter().map(|x| x * 2)
}

#[test]
fn generic_and_impl_trait_functions() {
    assert_eq!(generic(5u8), (5, "gen.5".to_owned()));
    assert_eq!(generic("s"), ("s", "gen.s".to_owned()));
    let doubled: Vec<u32> = impl_trait("x", [1, 2]).collect();
    assert_eq!(doubled, [2, 4]);
    assert_eq!(GENERIC.node_count(), 0);
}

static FAILING: LazyLock<Registry> = LazyLock::new(new_registry);

fn counting_factory(
    runs: &AtomicUsize,
    fail: bool,
    mem: &MemoryHandler,
) -> io::Result<MemoryHandler> {
    runs.fetch_add(1, Ordering::SeqCst);
    if fail {
        Err(io::Error::other("cannot open the log"))
    } else {
        Ok(mem.clone())
    }
}

#[scoped_logger(
    "fails.{id}",
    registry = &FAILING,
    handler = first.clone(),
    handler = counting_factory(runs, fail, first),
)]
fn may_fail(
    id: u32,
    fail: bool,
    runs: &AtomicUsize,
    first: &MemoryHandler,
    body_runs: &AtomicUsize,
) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    body_runs.fetch_add(1, Ordering::SeqCst);
    Ok(FAILING.node_count())
}

#[test]
fn failing_handler_returns_its_error_and_registers_nothing() {
    let (runs, body_runs, mem) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        MemoryHandler::new(),
    );
    let baseline = FAILING.node_count();
    let err = may_fail(1, true, &runs, &mem, &body_runs).unwrap_err();
    assert_eq!(err.to_string(), "cannot open the log");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(body_runs.load(Ordering::SeqCst), 0, "the body did not run");
    assert_eq!(FAILING.node_count(), baseline, "nothing registered");
    assert!(FAILING.get("fails.1").is_none());
    assert_eq!(
        mem.close_count(),
        1,
        "the handler made before the failing one is closed, not leaked"
    );
    assert_eq!(current().name(), "root");

    assert_eq!(may_fail(1, false, &runs, &mem, &body_runs).unwrap(), 2);
    assert_eq!(body_runs.load(Ordering::SeqCst), 1);
    assert_eq!(FAILING.node_count(), baseline);
}

static SHARED: LazyLock<Registry> = LazyLock::new(new_registry);

#[scoped_logger(
    "shared",
    registry = &SHARED,
    handler = counting_factory(runs, false, mem),
)]
fn same_name(runs: &AtomicUsize, mem: &MemoryHandler, barrier: &Barrier) -> io::Result<()> {
    // Every thread is inside the scope at once here, so all but one joined a live scope.
    barrier.wait();
    warn!("working");
    Ok(())
}

#[test]
fn handler_runs_once_per_live_period_under_concurrency() {
    const THREADS: usize = 4;
    let runs = AtomicUsize::new(0);
    let mem = MemoryHandler::new();
    let barrier = Barrier::new(THREADS);
    for period in 1..=2 {
        std::thread::scope(|s| {
            for _ in 0..THREADS {
                s.spawn(|| same_name(&runs, &mem, &barrier).unwrap());
            }
        });
        assert_eq!(
            runs.load(Ordering::SeqCst),
            period,
            "one factory run per live period"
        );
        assert_eq!(mem.close_count(), period, "closed once per live period");
        assert_eq!(mem.len(), THREADS * period);
        assert_eq!(SHARED.node_count(), 0);
    }
}

static BIND: LazyLock<Registry> = LazyLock::new(new_registry);

#[scoped_logger("bound.{id}", bind = log, registry = &BIND, handler = mem.clone())]
fn bound(id: u32, mem: &MemoryHandler) -> String {
    scoped_log!(logger: log, warn, "through the handle");
    log.log(Level::Warn, format_args!("method on the handle"));
    log.name().to_owned()
}

#[test]
fn bind_gives_the_body_the_scope() {
    let mem = MemoryHandler::new();
    assert_eq!(bound(9, &mem), "bound.9");
    assert_eq!(
        mem.messages(),
        ["through the handle", "method on the handle"]
    );
    assert!(mem.records().iter().all(|r| r.logger == "bound.9"));
    assert_eq!(BIND.node_count(), 0);
}

static LEVELS: LazyLock<Registry> = LazyLock::new(new_registry);

#[scoped_logger("lvl.debug", level = "debug", registry = &LEVELS, handler = mem.clone())]
fn at_debug(mem: &MemoryHandler) {
    trace!("hidden");
    debug!("shown");
}

#[scoped_logger("lvl.warning", level = "WARNING", registry = &LEVELS, handler = mem.clone())]
fn at_warning(mem: &MemoryHandler) {
    info!("hidden");
    warn!("shown");
}

#[test]
fn level_option_sets_the_scope_level() {
    let mem = MemoryHandler::new();
    at_debug(&mem);
    at_warning(&mem);
    let recs = mem.records();
    assert_eq!(recs.len(), 2);
    assert_eq!(
        (recs[0].level, recs[0].logger.as_str()),
        (Level::Debug, "lvl.debug")
    );
    assert_eq!(
        (recs[1].level, recs[1].logger.as_str()),
        (Level::Warn, "lvl.warning")
    );
    assert_eq!(LEVELS.node_count(), 0);
}

static PROPAGATE: LazyLock<Registry> = LazyLock::new(new_registry);

#[scoped_logger("prop.quiet", propagate = false, registry = &PROPAGATE, handler = mem.clone())]
fn not_propagating(mem: &MemoryHandler) {
    warn!("kept here");
}

#[scoped_logger("prop.loud", registry = &PROPAGATE, handler = mem.clone())]
fn propagating(mem: &MemoryHandler) {
    warn!("goes up");
}

#[test]
fn propagate_false_keeps_records_in_the_scope() {
    let parent = MemoryHandler::new();
    let prop = PROPAGATE.logger("prop");
    prop.add_handler(parent.clone());
    let child = MemoryHandler::new();
    not_propagating(&child);
    propagating(&child);
    assert_eq!(child.messages(), ["kept here", "goes up"]);
    assert_eq!(parent.messages(), ["goes up"]);
    assert!(PROPAGATE.remove("prop"));
    assert_eq!(PROPAGATE.node_count(), 0);
}

// Found in review: a template and a parameter from different macro_rules contexts.
static HYGIENE: LazyLock<Registry> = LazyLock::new(new_registry);

/// The template comes from the caller, the parameter from the macro.
macro_rules! job_with_template {
    ($template:literal, $f:ident) => {
        #[scoped_logger($template, registry = &HYGIENE)]
        fn $f(id: u32) -> String {
            let _ = id;
            current().name().to_owned()
        }
    };
}
job_with_template!("hyg.a.{id}", template_from_caller);

/// The template comes from the macro, the parameter's name from the caller.
macro_rules! job_with_param {
    ($f:ident, $arg:ident) => {
        #[scoped_logger("hyg.b.{id}", registry = &HYGIENE)]
        fn $f($arg: u32) -> String {
            let _ = $arg;
            current().name().to_owned()
        }
    };
}
job_with_param!(param_from_caller, id);

#[test]
fn templates_interpolate_parameters_across_macro_rules_contexts() {
    assert_eq!(template_from_caller(1), "hyg.a.1");
    assert_eq!(param_from_caller(2), "hyg.b.2");
    assert_eq!(HYGIENE.node_count(), 0);
}

// Found in review: with `summary`/`record_below` the body runs in a closure, which must be
// allowed to return a borrow of what it captured.
static BORROWS: LazyLock<Registry> = LazyLock::new(new_registry);

struct Counter {
    n: u32,
}

impl Counter {
    #[scoped_logger("borrow.counter", summary = true, registry = &BORROWS)]
    fn slot(&mut self) -> &mut u32 {
        &mut self.n
    }
}

#[scoped_logger("borrow.first", record_below = "debug", registry = &BORROWS)]
fn first(v: &mut [u8]) -> Result<&mut u8, String> {
    debug!("kept in the ring");
    v.first_mut().ok_or_else(|| "empty".to_owned())
}

#[test]
fn summary_and_recorder_bodies_may_return_borrows() {
    let all = MemoryHandler::new();
    BORROWS.root().add_handler(all.clone());
    BORROWS.root().set_level(scoped_logger::LevelFilter::Info);
    let mut c = Counter { n: 1 };
    *c.slot() += 1;
    assert_eq!(c.n, 2);
    let mut v = vec![7];
    *first(&mut v).unwrap() = 8;
    assert_eq!(v, [8]);
    assert!(first(&mut []).is_err());
    // The summary line, then the failing call's replayed trail (the successful one's discarded).
    let msgs = all.messages();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(msgs[0].starts_with("task ok after"), "{msgs:?}");
    assert_eq!(msgs[1], "kept in the ring");
    assert_eq!(BORROWS.node_count(), 0);
}
