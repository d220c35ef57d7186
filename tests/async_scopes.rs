//! `#[scoped_logger]` on `async fn`: the scope is entered at the first poll, is current during
//! every poll on whichever thread polls, and ends when the future completes or is dropped; the
//! name (and a relative name's base) is fixed when the function is called.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread::ThreadId;

use scoped_logger::{MemoryHandler, Registry, current, scoped_log, scoped_logger, warn};

/// Polls once with a waker that does nothing.
fn poll_once<F: Future>(fut: Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(Waker::noop()))
}

/// Polls until ready (every future here wakes itself or is ready).
fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    loop {
        if let Poll::Ready(v) = poll_once(fut.as_mut()) {
            return v;
        }
    }
}

/// Pending once, then ready: a suspension point without a runtime.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

fn yield_once() -> YieldOnce {
    YieldOnce(false)
}

static COMPLETE: LazyLock<Registry> = LazyLock::new(Registry::new);

#[scoped_logger("tasks.{id}", registry = &COMPLETE, handler = mem.clone())]
async fn task(id: u32, mem: &MemoryHandler) -> (String, usize) {
    warn!("started");
    yield_once().await;
    warn!("resumed");
    (current().name().to_owned(), COMPLETE.node_count())
}

#[test]
fn completion_ends_the_scope_and_records_go_to_it() {
    let mem = MemoryHandler::new();
    let (name, nodes) = block_on(task(3, &mem));
    assert_eq!(name, "tasks.3");
    assert_eq!(nodes, 2);
    assert_eq!(COMPLETE.node_count(), 0);
    assert_eq!(mem.close_count(), 1);
    let recs = mem.records();
    assert_eq!(mem.messages(), ["started", "resumed"]);
    assert!(recs.iter().all(|r| r.logger == "tasks.3"));
}

static DROPPED: LazyLock<Registry> = LazyLock::new(Registry::new);

#[scoped_logger("dropped.{id}", registry = &DROPPED, handler = mem.clone())]
async fn waits_forever(id: u32, mem: &MemoryHandler) {
    warn!("before");
    std::future::pending::<()>().await;
    warn!("never");
}

#[test]
fn a_future_never_polled_registers_nothing() {
    // DROPPED is shared with the next test, which may have `dropped.2` open right now: look at
    // this future's own name, not at the whole tree.
    let mem = MemoryHandler::new();
    let fut = waits_forever(1, &mem);
    assert!(DROPPED.get("dropped.1").is_none());
    drop(fut);
    assert!(DROPPED.get("dropped.1").is_none());
    assert!(!DROPPED.names().iter().any(|n| n == "dropped.1"));
    assert_eq!(mem.close_count(), 0, "the handler expression never ran");
    assert!(mem.is_empty());
}

#[test]
fn a_future_dropped_midway_releases_the_scope() {
    let mem = MemoryHandler::new();
    let mut fut = Box::pin(waits_forever(2, &mem));
    assert!(poll_once(fut.as_mut()).is_pending());
    assert!(DROPPED.contains("dropped.2"));
    assert_eq!(current().name(), "root", "not current between polls");
    drop(fut);
    assert!(!DROPPED.contains("dropped.2"));
    assert_eq!(mem.close_count(), 1);
    assert_eq!(mem.messages(), ["before"]);
}

static MOVES: LazyLock<Registry> = LazyLock::new(Registry::new);

#[scoped_logger("moves.{id}", registry = &MOVES)]
async fn records_threads(id: u32, seen: Arc<Mutex<Vec<(ThreadId, String)>>>) {
    let here = || (std::thread::current().id(), current().name().to_owned());
    seen.lock().unwrap().push(here());
    yield_once().await;
    seen.lock().unwrap().push(here());
}

#[test]
fn the_scope_follows_the_future_to_another_thread() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut fut = Box::pin(records_threads(8, seen.clone()));
    assert!(poll_once(fut.as_mut()).is_pending());
    assert_eq!(
        current().name(),
        "root",
        "the polling thread does not keep the scope"
    );
    std::thread::spawn(move || {
        assert!(poll_once(fut.as_mut()).is_ready());
        assert_eq!(current().name(), "root");
    })
    .join()
    .unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_ne!(seen[0].0, seen[1].0, "polled on two threads");
    assert_eq!(seen[0].1, "moves.8");
    assert_eq!(seen[1].1, "moves.8");
    assert_eq!(MOVES.node_count(), 0);
}

static TOKIO: LazyLock<Registry> = LazyLock::new(Registry::new);

#[scoped_logger("tokio.{id}", registry = &TOKIO, handler = mem.clone())]
async fn yields_a_lot(id: usize, mem: MemoryHandler) -> usize {
    let expected = format!("tokio.{id}");
    let mut checked = 0;
    for i in 0..50 {
        tokio::task::yield_now().await;
        assert_eq!(current().name(), expected, "after await {i}");
        checked += 1;
    }
    warn!("done");
    checked
}

#[test]
fn tokio_multi_thread_keeps_the_scope_current_after_every_await() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    let mem = MemoryHandler::new();
    let total: usize = rt.block_on(async {
        let tasks: Vec<_> = (0..16)
            .map(|id| tokio::spawn(yields_a_lot(id, mem.clone())))
            .collect();
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap();
        }
        total
    });
    assert_eq!(total, 16 * 50);
    assert_eq!(mem.close_count(), 16);
    let mut loggers: Vec<String> = mem.records().into_iter().map(|r| r.logger).collect();
    loggers.sort();
    loggers.dedup();
    assert_eq!(loggers.len(), 16, "each task logged to its own scope");
    assert_eq!(TOKIO.node_count(), 0);
}

static RELATIVE: LazyLock<Registry> = LazyLock::new(Registry::new);

#[scoped_logger(".child", registry = &RELATIVE)]
async fn child() -> String {
    current().name().to_owned()
}

#[test]
fn relative_name_resolves_against_the_scope_current_at_call_time() {
    let made_inside = {
        let _parent = RELATIVE.scope("parent").enter().unwrap();
        child()
    };
    // Polled with no scope current, after `parent` ended: still `parent.child`.
    assert_eq!(block_on(made_inside), "parent.child");

    let made_outside = child();
    let polled_inside = {
        let _other = RELATIVE.scope("other").enter().unwrap();
        block_on(made_outside)
    };
    assert_eq!(polled_inside, "child");
    assert_eq!(RELATIVE.node_count(), 0);
}

static RESULTS: LazyLock<Registry> = LazyLock::new(Registry::new);

fn open(fail: bool, mem: &MemoryHandler) -> io::Result<MemoryHandler> {
    if fail {
        Err(io::Error::other("no log for you"))
    } else {
        Ok(mem.clone())
    }
}

#[scoped_logger("results.{id}", registry = &RESULTS, handler = open(fail, mem), bind = log)]
async fn fallible(
    id: u32,
    fail: bool,
    input: &str,
    mem: &MemoryHandler,
) -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
    yield_once().await;
    // `?` converts into the declared error type, as in any `async fn`.
    let n: u32 = input.parse()?;
    scoped_log!(logger: log, warn, "parsed {n}");
    Ok(n + id)
}

#[test]
fn handler_errors_and_question_mark_in_async_fns() {
    let mem = MemoryHandler::new();
    let err = block_on(fallible(1, true, "2", &mem)).unwrap_err();
    assert_eq!(err.to_string(), "no log for you");
    assert_eq!(RESULTS.node_count(), 0);
    assert!(mem.is_empty());

    assert!(block_on(fallible(1, false, "x", &mem)).is_err());
    assert_eq!(block_on(fallible(1, false, "2", &mem)).unwrap(), 3);
    assert_eq!(mem.messages(), ["parsed 2"]);
    assert_eq!(mem.close_count(), 2);
    assert_eq!(RESULTS.node_count(), 0);
}

static METHODS: LazyLock<Registry> = LazyLock::new(Registry::new);

struct Service {
    name: String,
}

impl Service {
    #[scoped_logger("svc.{n}", registry = &METHODS)]
    async fn handle<T: std::fmt::Display>(&self, n: T, (a, b): (u8, u8), mut count: u32) -> String {
        count += u32::from(a + b);
        yield_once().await;
        format!("{} {} {count}", self.name, current().name())
    }

    #[scoped_logger("svc.borrowed", registry = &METHODS)]
    async fn borrowed<'a>(&self, other: &'a str) -> (&str, &'a str) {
        yield_once().await;
        (&self.name, other)
    }

    #[scoped_logger(registry = &METHODS)]
    async fn consume(self) -> String {
        self.name
    }
}

#[test]
fn async_methods_generics_and_patterns() {
    let svc = Service {
        name: "s".to_owned(),
    };
    assert_eq!(block_on(svc.handle("x", (1, 2), 10)), "s svc.x 13");
    assert_eq!(block_on(svc.borrowed("o")), ("s", "o"));
    assert_eq!(block_on(svc.consume()), "s");
    assert_eq!(METHODS.node_count(), 0);
}

#[test]
fn the_future_is_send_when_its_contents_are() {
    fn assert_send<T: Send>(_: &T) {}
    let mem = MemoryHandler::new();
    let fut = task(1, &mem);
    assert_send(&fut);
}

static TRAITS: LazyLock<Registry> = LazyLock::new(Registry::new);

trait Job {
    async fn run(&self, id: u32) -> String;
}

struct Nightly;

impl Job for Nightly {
    #[scoped_logger("nightly.{id}", registry = &TRAITS, handler = scoped_logger::NullHandler)]
    async fn run(&self, id: u32) -> String {
        yield_once().await;
        current().name().to_owned()
    }
}

#[scoped_logger("opaque.{n}", registry = &TRAITS)]
async fn opaque_output(n: u32) -> impl std::fmt::Display {
    yield_once().await;
    format!("{} {n}", current().name())
}

#[test]
fn trait_impls_and_opaque_outputs() {
    assert_eq!(block_on(Nightly.run(4)), "nightly.4");
    assert_eq!(block_on(opaque_output(5)).to_string(), "opaque.5 5");
    assert_eq!(TRAITS.node_count(), 0);
}
