//! Python-semantics cases for the logger tree: placeholders and fix-up in every creation order,
//! effective levels, propagation, handler levels, the last resort, removal and pruning, names,
//! directives, and contained handler failures.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use scoped_logger::name::NameErrorKind;
use scoped_logger::{
    Handler, HandlerExt, Level, LevelFilter, Logger, MemoryHandler, NullHandler, Record, Registry,
};

fn warn(l: &Logger, msg: &str) {
    l.log(Level::Warn, format_args!("{msg}"));
}

#[test]
fn placeholders_and_fixup_in_every_creation_order() {
    let names = ["a", "a.b", "a.b.c"];
    let orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    for order in orders {
        let reg = Registry::new();
        for i in order {
            reg.logger(names[i]);
        }
        let c = reg.get("a.b.c").unwrap();
        let b = reg.get("a.b").unwrap();
        let a = reg.get("a").unwrap();
        assert_eq!(c.parent().unwrap(), b, "order {order:?}");
        assert_eq!(b.parent().unwrap(), a, "order {order:?}");
        assert_eq!(a.parent().unwrap(), reg.root(), "order {order:?}");
        assert_eq!(reg.len(), 3);
        assert_eq!(reg.node_count(), 3);

        // Records reach every ancestor's handler: the parent links were fixed up.
        let mem = MemoryHandler::new();
        a.add_handler(mem.clone());
        warn(&c, "x");
        assert_eq!(mem.len(), 1, "order {order:?}");
    }
}

#[test]
fn placeholder_is_not_a_logger_and_parent_skips_it() {
    let reg = Registry::new();
    let deep = reg.logger("x.y.z");
    assert!(!reg.contains("x.y"));
    assert!(reg.get("x").is_none());
    assert_eq!(reg.node_count(), 3);
    assert_eq!(reg.len(), 1);
    assert_eq!(deep.parent().unwrap(), reg.root());
    let x = reg.logger("x");
    assert_eq!(deep.parent().unwrap(), x);
    assert_eq!(reg.names(), vec!["x".to_string(), "x.y.z".to_string()]);
}

#[test]
fn effective_level_follows_changes_at_any_depth() {
    let reg = Registry::new();
    let c = reg.logger("a.b.c");
    assert_eq!(c.effective_level(), LevelFilter::Warn);
    assert!(!c.enabled(Level::Info));
    reg.root().set_level(LevelFilter::Info);
    assert!(c.enabled(Level::Info));
    // A placeholder in between later becomes a logger with its own level.
    let b = reg.logger("a.b");
    b.set_level(LevelFilter::Trace);
    assert_eq!(c.effective_level(), LevelFilter::Trace);
    let a = reg.logger("a");
    a.set_level(LevelFilter::Error);
    assert_eq!(
        c.effective_level(),
        LevelFilter::Trace,
        "b's own level wins"
    );
    b.clear_level();
    assert_eq!(c.effective_level(), LevelFilter::Error);
    assert_eq!(b.level(), None);
    c.set_level(LevelFilter::Debug);
    a.set_level(LevelFilter::Off);
    assert_eq!(c.effective_level(), LevelFilter::Debug);
    assert_eq!(b.effective_level(), LevelFilter::Off);
    // Removing a logger with a level: descendants inherit from above it again.
    c.clear_level();
    assert!(reg.remove("a"));
    assert_eq!(c.effective_level(), LevelFilter::Info);
    // Clearing the root's level is refused: the root always has one.
    reg.root().clear_level();
    assert_eq!(reg.root().level(), Some(LevelFilter::Info));
}

#[test]
fn new_logger_under_a_levelled_ancestor_inherits_it() {
    let reg = Registry::new();
    reg.logger("svc").set_level(LevelFilter::Debug);
    assert_eq!(
        reg.logger("svc.db.pool").effective_level(),
        LevelFilter::Debug
    );
}

#[test]
fn propagation_stops_where_propagate_is_false() {
    let reg = Registry::new();
    let (root_h, a_h, b_h) = (
        MemoryHandler::new(),
        MemoryHandler::new(),
        MemoryHandler::new(),
    );
    reg.root().add_handler(root_h.clone());
    let a = reg.logger("a");
    a.add_handler(a_h.clone());
    let b = reg.logger("a.b");
    b.add_handler(b_h.clone());
    warn(&b, "one");
    assert_eq!((root_h.len(), a_h.len(), b_h.len()), (1, 1, 1));
    a.set_propagate(false);
    warn(&b, "two");
    assert_eq!((root_h.len(), a_h.len(), b_h.len()), (1, 2, 2));
    b.set_propagate(false);
    warn(&b, "three");
    assert_eq!((root_h.len(), a_h.len(), b_h.len()), (1, 2, 3));
    assert!(!b.propagate());
    // The record keeps the name of the logger it was logged on.
    assert_eq!(a_h.records()[1].logger, "a.b");
}

#[test]
fn ancestor_logger_levels_do_not_filter_propagated_records_but_handler_levels_do() {
    let reg = Registry::new();
    let a = reg.logger("a");
    a.set_level(LevelFilter::Error);
    let everything = MemoryHandler::new();
    let errors = MemoryHandler::new();
    a.add_handler(everything.clone());
    a.add_handler(errors.clone().with_level(LevelFilter::Error));
    let b = reg.logger("a.b");
    b.set_level(LevelFilter::Info);
    b.log(Level::Info, format_args!("info"));
    b.log(Level::Error, format_args!("error"));
    assert_eq!(everything.messages(), ["info", "error"]);
    assert_eq!(errors.messages(), ["error"]);
}

struct Counting(Arc<AtomicUsize>);
impl Handler for Counting {
    fn handle(&self, _: &Record<'_>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn last_resort_only_when_no_handler_at_all() {
    // We cannot capture stderr in-process; check the decision instead: a NullHandler anywhere on
    // the path means "found", so nothing reaches the last resort, and the path is otherwise the
    // same. The stderr child-process tests show the last resort's output.
    let reg = Registry::new();
    let l = reg.logger("quiet.child");
    reg.logger("quiet").add_handler(NullHandler);
    let n = Arc::new(AtomicUsize::new(0));
    reg.root().add_handler(Counting(n.clone()));
    reg.logger("quiet").set_propagate(false);
    warn(&l, "swallowed by NullHandler");
    assert_eq!(n.load(Ordering::SeqCst), 0);
}

#[test]
fn removal_closes_handlers_exactly_once_and_prunes_placeholders() {
    let reg = Registry::new();
    let mem = MemoryHandler::new();
    let l = reg.logger("p.q.r");
    l.add_handler(mem.clone());
    let kept = l.clone();
    assert_eq!(reg.node_count(), 3);
    assert!(reg.remove("p.q.r"));
    assert_eq!(mem.close_count(), 1);
    assert_eq!(mem.flush_count(), 1, "flushed before close");
    assert_eq!(reg.node_count(), 0);
    assert!(!reg.remove("p.q.r"));
    assert!(!kept.is_live());
    // A detached handle logs to the nearest live ancestor and never brings the entry back.
    let root_h = MemoryHandler::new();
    reg.root().add_handler(root_h.clone());
    warn(&kept, "late");
    assert_eq!(root_h.records()[0].logger, "p.q.r");
    assert_eq!(reg.node_count(), 0);
    assert_eq!(kept.handler_count(), 0);
    assert_eq!(mem.close_count(), 1);
    // Adding a handler to a detached logger closes it at once rather than leaking it.
    let late = MemoryHandler::new();
    kept.add_handler(late.clone());
    assert_eq!(late.close_count(), 1);
}

#[test]
fn removing_a_middle_logger_keeps_descendants_linked() {
    let reg = Registry::new();
    let top = reg.logger("m");
    let mid = reg.logger("m.n");
    let leaf = reg.logger("m.n.o");
    let top_h = MemoryHandler::new();
    top.add_handler(top_h.clone());
    assert!(reg.remove("m.n"));
    assert!(!mid.is_live());
    assert_eq!(reg.node_count(), 3, "m.n stays as a placeholder for m.n.o");
    assert_eq!(reg.len(), 2);
    assert_eq!(leaf.parent().unwrap(), top);
    warn(&leaf, "through");
    assert_eq!(top_h.len(), 1);
    assert!(reg.remove("m.n.o"));
    assert_eq!(reg.node_count(), 1);
    assert!(reg.remove("m"));
    assert_eq!(reg.node_count(), 0);
}

#[test]
fn shared_handler_closes_once_when_last_holder_lets_go() {
    let reg = Registry::new();
    let mem = MemoryHandler::new();
    let shared: Arc<dyn Handler> = Arc::new(mem.clone());
    let a = reg.logger("s1");
    let b = reg.logger("s2");
    let ia = a.add_shared_handler(shared.clone());
    b.add_shared_handler(shared.clone());
    assert!(a.remove_handler(ia));
    assert!(!a.remove_handler(ia));
    assert_eq!(mem.close_count(), 0);
    reg.remove("s2");
    assert_eq!(mem.close_count(), 1);
    drop(shared);
    assert_eq!(mem.close_count(), 1);
}

#[test]
fn handler_ids_remove_only_their_attachment() {
    let reg = Registry::new();
    let l = reg.logger("h");
    let m1 = MemoryHandler::new();
    let m2 = MemoryHandler::new();
    let i1 = l.add_handler(m1.clone());
    let _i2 = l.add_handler(m2.clone());
    assert_eq!(l.handler_count(), 2);
    assert!(l.remove_handler(i1));
    assert_eq!(m1.close_count(), 1);
    assert_eq!(l.handler_count(), 1);
    warn(&l, "x");
    assert_eq!((m1.len(), m2.len()), (0, 1));
}

#[test]
fn names_normalize_and_errors_say_what_is_wrong() {
    let reg = Registry::new();
    let l = reg.logger("my_app::jobs");
    assert_eq!(l.name(), "my_app.jobs");
    assert_eq!(reg.get("my_app.jobs").unwrap(), l);
    assert_eq!(reg.logger("root"), reg.root());
    assert_eq!(reg.logger(""), reg.root());
    let e = reg.try_logger("a..b").unwrap_err();
    assert_eq!(e.kind(), &NameErrorKind::EmptySegment { at: 2 });
    assert!(e.to_string().contains("`a..b`"));
    let e = reg.try_logger("a.").unwrap_err();
    assert!(matches!(e.kind(), NameErrorKind::EmptySegment { .. }));
    let e = reg.try_logger("tab\there").unwrap_err();
    assert_eq!(e.kind(), &NameErrorKind::BadChar { ch: '\t', at: 3 });
    assert!(reg.try_logger("a b").is_err());
    assert_eq!(
        reg.node_count(),
        2,
        "my_app, my_app.jobs; nothing created by bad names"
    );
    // A relative name outside any scope is relative to the root.
    assert_eq!(reg.logger(".rel").name(), "rel");
    assert!(l.try_child("x..y").is_err());
}

#[test]
fn directives_apply_all_or_nothing() {
    let reg = Registry::new();
    reg.configure("info, jobs=debug, jobs::db=off, noisy")
        .unwrap();
    assert_eq!(reg.root().level(), Some(LevelFilter::Info));
    assert_eq!(reg.get("jobs").unwrap().level(), Some(LevelFilter::Debug));
    assert_eq!(
        reg.get("jobs.db").unwrap().effective_level(),
        LevelFilter::Off
    );
    assert_eq!(reg.get("noisy").unwrap().level(), Some(LevelFilter::Trace));
    let before = reg.node_count();
    let e = reg.configure("error,other=debug,jobs=shouty").unwrap_err();
    assert_eq!(e.directive(), "jobs=shouty");
    assert!(e.to_string().contains("directive 3"), "{e}");
    assert!(e.to_string().contains("shouty"), "{e}");
    assert_eq!(
        reg.root().level(),
        Some(LevelFilter::Info),
        "nothing applied"
    );
    assert_eq!(reg.node_count(), before);
    assert!(reg.configure("a..b=info").is_err());
    assert!(reg.configure("x=info/regex").is_err());
}

struct Panicky(Arc<AtomicUsize>);
impl Handler for Panicky {
    fn handle(&self, _: &Record<'_>) {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("handler bug");
    }
}

#[test]
fn a_panicking_handler_is_contained_and_the_others_still_run() {
    let reg = Registry::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let l = reg.logger("fragile");
    l.add_handler(Panicky(calls.clone()));
    let mem = MemoryHandler::new();
    l.add_handler(mem.clone());
    let before = scoped_logger::handler::handler_error_count();
    warn(&l, "one");
    warn(&l, "two");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(mem.messages(), ["one", "two"]);
    assert!(scoped_logger::handler::handler_error_count() >= before + 2);
    // The tree is not poisoned.
    assert!(reg.remove("fragile"));
    assert_eq!(reg.node_count(), 0);
    reg.logger("fragile");
}

struct Reentrant {
    reg: Registry,
    depth: Arc<AtomicUsize>,
}
impl Handler for Reentrant {
    fn handle(&self, _: &Record<'_>) {
        if self.depth.fetch_add(1, Ordering::SeqCst) < 3 {
            // A handler that logs, creates and removes loggers must not deadlock.
            let l = self.reg.logger("inner.deep");
            l.add_handler(NullHandler);
            l.log(Level::Error, format_args!("from a handler"));
            self.reg.remove("inner.deep");
            self.reg.root().log(Level::Error, format_args!("again"));
        }
    }
}

#[test]
fn a_handler_that_logs_and_mutates_the_tree_does_not_deadlock() {
    let reg = Registry::new();
    let depth = Arc::new(AtomicUsize::new(0));
    reg.root().add_handler(Reentrant {
        reg: reg.clone(),
        depth: depth.clone(),
    });
    let refused = scoped_logger::handler::recursion_dropped_count();
    reg.root().log(Level::Error, format_args!("start"));
    // Its own records come back to it on the same thread: refused and counted, not recursed.
    assert_eq!(depth.load(Ordering::SeqCst), 1);
    assert!(scoped_logger::handler::recursion_dropped_count() >= refused + 2);
    assert_eq!(reg.node_count(), 0);
}

#[test]
fn shutdown_closes_every_handler_once() {
    let reg = Registry::new();
    let a = MemoryHandler::new();
    let b = MemoryHandler::new();
    reg.root().add_handler(a.clone());
    reg.logger("x.y").add_handler(b.clone());
    assert!(reg.shutdown(std::time::Duration::from_secs(1)));
    assert_eq!((a.close_count(), b.close_count()), (1, 1));
    assert_eq!(reg.root().handler_count(), 0);
    reg.remove("x.y");
    assert_eq!(b.close_count(), 1);
}

#[test]
fn child_and_parent_and_logger_equality() {
    let reg = Registry::new();
    let jobs = reg.logger("jobs");
    let j = jobs.child("42");
    assert_eq!(j.name(), "jobs.42");
    assert_eq!(j.parent().unwrap(), jobs);
    assert_eq!(reg.root().parent(), None);
    assert_eq!(reg.root().child("top").name(), "top");
    assert!(reg.ptr_eq(&reg.clone()));
    assert!(!reg.ptr_eq(&Registry::new()));
}
