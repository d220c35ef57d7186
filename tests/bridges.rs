//! The `log` and `tracing` bridges: a library that logs through those facades (tests/chatty),
//! called inside a scope, lands in the scope's handlers with its target recorded; outside any
//! scope it goes to the logger named by its target. `log::max_level` follows the tree.
//!
//! The `log` logger and `log::max_level` are process-wide, so that part is one sequential test.

use scoped_logger::kv::OwnedValue;
use scoped_logger::{Level, LevelFilter, MemoryHandler, Registry};

/// Both tests change the global registry and the process-wide max level: one at a time.
static SERIAL: parking_lot::Mutex<()> = parking_lot::const_mutex(());

#[test]
fn log_bridge_routes_to_scope_else_target_and_tracks_max_level() {
    let _serial = SERIAL.lock();
    let _ = scoped_logger::bridge::log::install(); // another test may have installed it
    let global = Registry::global();

    // Nothing is more verbose than the root's Warn yet: log's max level says so, and a
    // `log::debug!` in the library is filtered by the `log` crate itself.
    assert_eq!(log::max_level(), log::LevelFilter::Warn);

    // Inside a scope (of any registry): the scope's handlers get the library's record.
    let reg = Registry::new();
    let mem = MemoryHandler::new();
    {
        let m = mem.clone();
        let _task = reg
            .scope("jobs.1")
            .level(LevelFilter::Info)
            .handler(move || Ok::<_, std::io::Error>(m))
            .enter()
            .unwrap();
        assert_eq!(
            log::max_level(),
            log::LevelFilter::Info,
            "raised by the scope"
        );
        assert_eq!(chatty::work_with_log(21), 42);
    }
    assert_eq!(
        log::max_level(),
        log::LevelFilter::Warn,
        "lowered when it ended"
    );
    let recs = mem.records();
    assert_eq!(recs.len(), 1, "the debug record was filtered: {recs:?}");
    let r = &recs[0];
    assert_eq!(r.logger, "jobs.1");
    assert_eq!(r.level, Level::Info);
    assert_eq!(r.message, "chatty working on 21");
    assert_eq!(r.value("target"), Some(&OwnedValue::Str("chatty".into())));
    assert_eq!(r.value("n"), Some(&OwnedValue::I64(21)));
    assert_eq!(r.module_path.as_deref(), Some("chatty"));
    assert!(r.file.as_deref().unwrap().ends_with("lib.rs"));

    // Outside any scope: the logger named by the target, in the global registry.
    let chatty_logger = global.logger("chatty");
    let out = MemoryHandler::new();
    chatty_logger.add_handler(out.clone());
    chatty_logger.set_level(LevelFilter::Debug);
    assert_eq!(log::max_level(), log::LevelFilter::Debug);
    chatty::work_with_log(1);
    assert_eq!(out.messages(), ["chatty working on 1", "chatty detail"]);
    assert_eq!(out.records()[0].logger, "chatty");
    assert_eq!(out.records()[0].value("target"), None);
    chatty_logger.set_level(LevelFilter::Trace);
    assert_eq!(log::max_level(), log::LevelFilter::Trace);
    assert!(global.remove("chatty"));
    assert_eq!(
        log::max_level(),
        log::LevelFilter::Warn,
        "back down after removal"
    );
    assert_eq!(out.close_count(), 1);
}

#[cfg(feature = "tracing")]
#[test]
fn tracing_layer_routes_like_the_log_bridge() {
    use tracing_subscriber::layer::SubscriberExt as _;
    let _serial = SERIAL.lock();

    let subscriber =
        tracing_subscriber::registry().with(scoped_logger::bridge::tracing::TracingLayer::new());
    tracing::subscriber::with_default(subscriber, || {
        let reg = Registry::new();
        let mem = MemoryHandler::new();
        {
            let m = mem.clone();
            let _task = reg
                .scope("jobs.2")
                .level(LevelFilter::Info)
                .handler(move || Ok::<_, std::io::Error>(m))
                .enter()
                .unwrap();
            chatty::work_with_tracing(5);
        }
        let recs = mem.records();
        assert_eq!(recs.len(), 1, "{recs:?}");
        let r = &recs[0];
        assert_eq!(r.logger, "jobs.2");
        assert_eq!(r.message, "chatty traced 5");
        assert_eq!(r.value("target"), Some(&OwnedValue::Str("chatty".into())));
        assert_eq!(
            r.value("spans"),
            Some(&OwnedValue::Str("chatty_span".into()))
        );
        assert_eq!(r.value("n"), Some(&OwnedValue::U64(5)));

        // Outside any scope: the logger named by the event's target.
        let target_logger = Registry::global().logger("chatty");
        let out = MemoryHandler::new();
        target_logger.add_handler(out.clone());
        target_logger.set_level(LevelFilter::Info);
        chatty::work_with_tracing(6);
        assert_eq!(out.messages(), ["chatty traced 6"]);
        Registry::global().remove("chatty");
    });
}

#[cfg(feature = "tracing")]
#[test]
fn span_fields_become_key_values_and_disabled_events_are_not_built() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tracing_subscriber::layer::SubscriberExt as _;
    let _serial = SERIAL.lock();

    let subscriber =
        tracing_subscriber::registry().with(scoped_logger::bridge::tracing::TracingLayer::new());
    tracing::subscriber::with_default(subscriber, || {
        let reg = Registry::new();
        let mem = MemoryHandler::new();
        let built = AtomicUsize::new(0);
        {
            let m = mem.clone();
            let _task = reg
                .scope("jobs.3")
                .level(LevelFilter::Info)
                .field("job", 3)
                .field("who", "scope")
                .handler(move || Ok::<_, std::io::Error>(m))
                .enter()
                .unwrap();
            chatty::work_in_spans(9);
            // Info in the tree: tracing's own first check says no, the value is never formatted.
            assert_eq!(
                tracing::level_filters::LevelFilter::current(),
                tracing::level_filters::LevelFilter::INFO
            );
            chatty::tracing_debug_counted(&built);
        }
        assert_eq!(
            built.load(Ordering::SeqCst),
            0,
            "a disabled event was built"
        );
        let recs = mem.records();
        assert_eq!(recs.len(), 1, "{recs:?}");
        let kv: Vec<String> = recs[0]
            .key_values
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(
            kv,
            [
                "target=chatty",
                "spans=request:step",
                "k=1",
                "who=inner",
                "id=9",
                "job=3"
            ]
        );

        // A debug scope raises what tracing lets through, and the event is made.
        {
            let m = mem.clone();
            let _task = reg
                .scope("jobs.4")
                .level(LevelFilter::Debug)
                .handler(move || Ok::<_, std::io::Error>(m))
                .enter()
                .unwrap();
            assert_eq!(
                tracing::level_filters::LevelFilter::current(),
                tracing::level_filters::LevelFilter::DEBUG
            );
            chatty::tracing_debug_counted(&built);
        }
        assert_eq!(built.load(Ordering::SeqCst), 1);
        assert_eq!(mem.messages().last().unwrap(), "chatty debug detail");
        // Outside any scope, with the debug scope gone, nothing is built; tracing's level
        // may still be raised for up to a second, and the layer rejects the event itself.
        chatty::tracing_debug_counted(&built);
        assert_eq!(built.load(Ordering::SeqCst), 1);
    });
}

#[cfg(feature = "log")]
#[test]
fn a_targets_own_directive_holds_inside_a_scope_and_other_threads_are_not_raised() {
    let _serial = SERIAL.lock();
    let _ = scoped_logger::bridge::log::install();
    let global = Registry::global();
    let reg = Registry::new();
    let mem = MemoryHandler::new();
    let m = mem.clone();
    let task = reg
        .scope("jobs.5")
        .level(LevelFilter::Debug)
        .handler(move || Ok::<_, std::io::Error>(m))
        .enter()
        .unwrap();
    // No directive for chatty: the scope's level decides (info and debug both come).
    chatty::work_with_log(1);
    assert_eq!(mem.messages(), ["chatty working on 1", "chatty detail"]);
    // `chatty=warn`: its info and debug stay out of the debug scope.
    global.configure("warn,chatty=warn").unwrap();
    chatty::work_with_log(2);
    // A target below it (`::` as log writes module paths) falls under the same directive.
    log::info!(target: "chatty::deep", "from a submodule");
    assert_eq!(mem.len(), 2, "{:?}", mem.messages());
    assert_eq!(
        log::max_level(),
        log::LevelFilter::Debug,
        "raised by the scope"
    );
    // Another thread, outside any scope, while the debug scope is live: the target's level
    // decides (warn), though `log` lets the debug record through to the bridge.
    let out = MemoryHandler::new();
    global.logger("chatty").add_handler(out.clone());
    std::thread::spawn(|| chatty::work_with_log(3))
        .join()
        .unwrap();
    assert!(out.is_empty(), "{:?}", out.messages());
    global.configure("warn,chatty=debug").unwrap();
    std::thread::spawn(|| chatty::work_with_log(4))
        .join()
        .unwrap();
    assert_eq!(out.messages(), ["chatty working on 4", "chatty detail"]);
    drop(task);
    assert!(global.remove("chatty"));
    global.configure("warn").unwrap();
}
