//! The logging macros: every form, key-value sigils, the `logger:` form, lazy arguments, the
//! call site's location, and where records go when no scope is current.

use std::sync::atomic::{AtomicUsize, Ordering};

use scoped_logger::kv::OwnedValue;
use scoped_logger::{
    Level, LevelFilter, MemoryHandler, Registry, ScopedLogger, debug, error, info, scoped_log,
    trace, warn,
};

/// A scope at `level` with a memory handler, current on this thread until dropped.
fn scope_with(reg: &Registry, name: &str, level: LevelFilter) -> (ScopedLogger, MemoryHandler) {
    let mem = MemoryHandler::new();
    let m = mem.clone();
    let scope = reg
        .scope(name)
        .level(level)
        .handler(move || Ok::<_, std::io::Error>(m))
        .enter()
        .unwrap();
    (scope, mem)
}

#[test]
fn level_forms_of_scoped_log() {
    let reg = Registry::new();
    let (scope, mem) = scope_with(&reg, "forms", LevelFilter::Trace);
    let user = "ann";
    let pct = 97;
    let lvl = Level::Debug;
    scoped_log!(info, "user {} logged in", user);
    scoped_log!(Level::Warn, "disk at {pct}%");
    scoped_log!(scoped_logger::Level::Error, "full path {}", 1);
    scoped_log!((lvl), "an expression of type Level");
    scoped_log!(trace, "trailing comma {}", 2,);
    drop(scope);
    let got: Vec<(Level, String)> = mem
        .records()
        .into_iter()
        .map(|r| (r.level, r.message))
        .collect();
    assert_eq!(
        got,
        [
            (Level::Info, "user ann logged in".to_owned()),
            (Level::Warn, "disk at 97%".to_owned()),
            (Level::Error, "full path 1".to_owned()),
            (Level::Debug, "an expression of type Level".to_owned()),
            (Level::Trace, "trailing comma 2".to_owned()),
        ]
    );
}

#[test]
fn fixed_level_macros() {
    let reg = Registry::new();
    let (scope, mem) = scope_with(&reg, "fixed", LevelFilter::Trace);
    let x = 1;
    trace!("t {x}");
    debug!("d {}", x);
    info!("i");
    warn!(k = x; "w");
    error!("e {x:>3}");
    drop(scope);
    let levels: Vec<Level> = mem.records().iter().map(|r| r.level).collect();
    assert_eq!(
        levels,
        [
            Level::Trace,
            Level::Debug,
            Level::Info,
            Level::Warn,
            Level::Error
        ]
    );
    assert_eq!(mem.messages(), ["t 1", "d 1", "i", "w", "e   1"]);
    assert!(mem.records().iter().all(|r| r.logger == "fixed"));
}

#[test]
fn key_values_with_each_sigil() {
    let reg = Registry::new();
    let (scope, mem) = scope_with(&reg, "kv", LevelFilter::Info);
    let id: u64 = 42;
    let name = String::from("ann");
    let r = ("/x", 3);
    let ms = 5;
    let missing: Option<i32> = None;
    scoped_log!(info, job = id, user = %name, req = ?r, "http.status" = 200, missing = missing; "done in {ms} ms");
    info!(id, %name, ?r, neg = -3i8, ok = true, ratio = 0.5, c = 'z'; "shorthands");
    drop(scope);
    let recs = mem.records();
    let first = &recs[0];
    assert_eq!(first.message, "done in 5 ms");
    assert_eq!(first.value("job"), Some(&OwnedValue::U64(42)));
    assert_eq!(first.value("user"), Some(&OwnedValue::Str("ann".into())));
    assert_eq!(
        first.value("req"),
        Some(&OwnedValue::Str(r#"("/x", 3)"#.into()))
    );
    assert_eq!(first.value("http.status"), Some(&OwnedValue::I64(200)));
    assert_eq!(first.value("missing"), Some(&OwnedValue::Null));
    let keys: Vec<&str> = first.key_values.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["job", "user", "req", "http.status", "missing"]);

    let second = &recs[1];
    assert_eq!(second.value("id"), Some(&OwnedValue::U64(42)));
    assert_eq!(second.value("name"), Some(&OwnedValue::Str("ann".into())));
    assert!(second.value("r").is_some());
    assert_eq!(second.value("neg"), Some(&OwnedValue::I64(-3)));
    assert_eq!(second.value("ok"), Some(&OwnedValue::Bool(true)));
    assert_eq!(second.value("ratio"), Some(&OwnedValue::F64(0.5)));
    assert_eq!(second.value("c"), Some(&OwnedValue::Str("z".into())));
}

#[test]
fn logger_form_with_logger_and_scoped_logger() {
    let reg = Registry::new();
    let jobs = reg.logger("jobs");
    jobs.set_level(LevelFilter::Debug);
    let mem = MemoryHandler::new();
    jobs.add_handler(mem.clone());
    let err = "disk full";
    scoped_log!(logger: &jobs, error, "failed: {err}");
    scoped_log!(logger: &jobs, Level::Debug, step = 2; "step");
    scoped_log!(logger: &reg.logger("jobs.tmp"), warn, "a temporary logger");
    info!(logger: &jobs, "fixed level with logger");
    trace!(logger: &jobs, "below the level");

    let scope = reg.scope("jobs.7").open().unwrap();
    warn!(logger: &scope, "through a scoped logger");
    drop(scope);

    let got: Vec<(String, String)> = mem
        .records()
        .into_iter()
        .map(|r| (r.logger, r.message))
        .collect();
    let expected = [
        ("jobs", "failed: disk full"),
        ("jobs", "step"),
        ("jobs.tmp", "a temporary logger"),
        ("jobs", "fixed level with logger"),
        ("jobs.7", "through a scoped logger"),
    ];
    assert_eq!(
        got,
        expected.map(|(l, m)| (l.to_owned(), m.to_owned())).to_vec()
    );
}

fn bump(counter: &AtomicUsize) -> usize {
    counter.fetch_add(1, Ordering::SeqCst)
}

#[test]
fn arguments_are_not_evaluated_when_the_level_is_disabled() {
    let reg = Registry::new();
    let counter = AtomicUsize::new(0);
    let (scope, mem) = scope_with(&reg, "lazy", LevelFilter::Warn);
    debug!("{}", bump(&counter));
    info!(n = bump(&counter), s = %bump(&counter), d = ?bump(&counter); "{}", bump(&counter));
    scoped_log!(trace, "{}", bump(&counter));
    let quiet = reg.logger("quiet");
    quiet.set_level(LevelFilter::Error);
    warn!(logger: &quiet, k = bump(&counter); "{}", bump(&counter));
    assert_eq!(
        counter.load(Ordering::SeqCst),
        0,
        "no argument was evaluated"
    );
    assert!(mem.is_empty());

    warn!(n = bump(&counter); "{}", bump(&counter));
    drop(scope);
    assert_eq!(
        counter.load(Ordering::SeqCst),
        2,
        "enabled: each evaluated once"
    );
    assert_eq!(mem.len(), 1);
}

#[test]
fn location_is_the_call_site() {
    let reg = Registry::new();
    let (scope, mem) = scope_with(&reg, "loc", LevelFilter::Info);
    let line = line!() + 1;
    info!("here");
    let explicit = reg.logger("loc");
    let explicit_line = line!() + 1;
    info!(logger: &explicit, "there");
    drop(scope);
    let recs = mem.records();
    assert_eq!(recs[0].file.as_deref(), Some(file!()));
    assert_eq!(recs[0].line, Some(line));
    assert_eq!(recs[0].module_path.as_deref(), Some(module_path!()));
    assert_eq!(recs[1].line, Some(explicit_line));
    assert_eq!(recs[1].module_path.as_deref(), Some(module_path!()));
}

mod outside_any_scope_4f2a {
    pub fn log_something(n: u32) {
        scoped_logger::warn!(n; "no scope here");
    }
}

#[test]
fn outside_any_scope_records_go_to_the_module_logger() {
    let global = Registry::global();
    let module = global.logger("log_macros.outside_any_scope_4f2a");
    let mem = MemoryHandler::new();
    module.add_handler(mem.clone());
    assert_eq!(scoped_logger::current().name(), "root");

    outside_any_scope_4f2a::log_something(3);

    let recs = mem.records();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].logger, "log_macros.outside_any_scope_4f2a");
    assert_eq!(recs[0].value("n"), Some(&OwnedValue::U64(3)));
    assert!(global.get("log_macros.outside_any_scope_4f2a").is_some());
    assert!(global.remove("log_macros.outside_any_scope_4f2a"));
}
