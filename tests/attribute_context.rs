//! The attribute's context options: `fields(...)` (every record of the task carries them,
//! sync and async, nested in the caller's), and `slow`/`stuck` thresholds.

use std::sync::LazyLock;
use std::time::Duration;

use scoped_logger::timing::ManualClock;
use scoped_logger::{LevelFilter, MemoryHandler, OwnedRecord, Registry, info, scoped_logger};

#[path = "support/poll.rs"]
mod poll;
use poll::{YieldOnce, block_on};

static REG: LazyLock<Registry> = LazyLock::new(Registry::new);
static CLOCK: LazyLock<std::sync::Arc<ManualClock>> = LazyLock::new(Default::default);

fn kv(r: &OwnedRecord) -> Vec<String> {
    r.key_values
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect()
}

#[derive(Debug)]
enum Method {
    Get,
}

struct User {
    name: String,
}

#[scoped_logger("req.{id}", registry = &REG, level = "info",
                fields(user = %user.name, method = ?method, id, attempt = attempt + 1))]
fn handle(id: u64, user: &User, method: Method, attempt: u32) {
    let _ = &method;
    info!(step = 1; "handled");
    inner(id);
}

#[scoped_logger(".db", registry = &REG, fields(table = "orders", user = "shadowed"))]
fn inner(id: u64) {
    info!(id; "query");
}

#[scoped_logger("req.{id}", registry = &REG, level = "info", fields(id))]
async fn handle_async(id: u64, who: String) -> usize {
    info!("before");
    YieldOnce(false).await;
    info!(who = %who; "after");
    who.len()
}

#[scoped_logger("timed.{id}", registry = &REG, level = "info", record_below = "debug",
                summary = true, slow = "500ms", stuck = "30s", fields(id))]
fn timed(id: u64, took: Duration) {
    scoped_logger::debug!("working");
    CLOCK.advance(took);
}

#[test]
fn fields_sigils_nesting_and_async() {
    let mem = MemoryHandler::new();
    REG.root().add_handler(mem.clone());
    REG.root().set_level(LevelFilter::Info);
    REG.set_task_clock(CLOCK.clone());

    let user = User { name: "ann".into() };
    handle(7, &user, Method::Get, 1);
    let recs = mem.records();
    assert_eq!(recs[0].logger, "req.7");
    assert_eq!(
        kv(&recs[0]),
        ["step=1", "user=ann", "method=Get", "id=7", "attempt=2"]
    );
    // The nested scope adds its fields, shadows `user`, keeps the outer ones; the call's own
    // `id` comes first and the outer field `id` is not repeated.
    assert_eq!(recs[1].logger, "req.7.db");
    assert_eq!(
        kv(&recs[1]),
        [
            "id=7",
            "table=orders",
            "user=shadowed",
            "method=Get",
            "attempt=2"
        ]
    );

    // A template argument is not a field unless named: `who` is not on "before".
    mem.clear();
    let fut = handle_async(8, "bob".into());
    assert_eq!(std::thread::spawn(move || block_on(fut)).join().unwrap(), 3);
    let recs = mem.records();
    assert_eq!(kv(&recs[0]), ["id=8"]);
    assert_eq!(kv(&recs[1]), ["who=bob", "id=8"]);

    // slow/stuck from the attribute: a task slower than 500 ms replays and says slow.
    mem.clear();
    timed(1, Duration::from_millis(10));
    timed(2, Duration::from_secs(1));
    let m: Vec<(String, bool)> = mem
        .records()
        .iter()
        .map(|r| (r.message.clone(), r.replayed))
        .collect();
    assert!(m[0].0.starts_with("task ok"), "{m:?}");
    assert_eq!(m[1], ("working".to_owned(), true));
    assert!(m[2].0.starts_with("task slow"), "{m:?}");
    assert_eq!(REG.node_count(), 0);
}

#[derive(Debug)]
struct Wrapped(std::io::Error);
impl std::fmt::Display for Wrapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("saving the order")
    }
}
impl std::error::Error for Wrapped {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[scoped_logger("orders.{id}", registry = &SUMMARY_REG, err, summary = true)]
fn save(id: u64) -> Result<(), Wrapped> {
    Err(Wrapped(std::io::Error::other(format!("disk full at {id}"))))
}

static SUMMARY_REG: LazyLock<Registry> = LazyLock::new(Registry::new);

#[test]
fn the_summary_of_a_failed_task_says_what_the_error_was() {
    let mem = MemoryHandler::new();
    SUMMARY_REG.root().add_handler(mem.clone());
    assert!(save(3).is_err());
    let recs = mem.records();
    let summary = recs.last().unwrap();
    assert!(summary.message.starts_with("task err"), "{recs:?}");
    assert_eq!(
        summary.value("reason").map(ToString::to_string).as_deref(),
        Some("saving the order: disk full at 3")
    );
}

static ERR_REG: LazyLock<Registry> = LazyLock::new(Registry::new);

#[scoped_logger("http.{id}", registry = &ERR_REG, fields(id, method = ?method, path = %path),
                err, ret = "info")]
async fn serve(id: u64, method: Method, path: String) -> Result<u16, std::io::Error> {
    YieldOnce(false).await;
    if path == "/fail" {
        return Err(std::io::Error::other("upstream refused"));
    }
    Ok(200)
}

// The record a log search looks for (the returned error) carries the task's fields, as every
// record logged inside it does: an async fn looks at its return value after its last poll, when
// its scope is no longer current on the thread.
#[test]
fn an_async_fns_err_and_ret_records_carry_its_fields() {
    let mem = MemoryHandler::new();
    ERR_REG.root().add_handler(mem.clone());
    ERR_REG.root().set_level(LevelFilter::Info);
    assert!(block_on(serve(9, Method::Get, "/fail".into())).is_err());
    assert_eq!(block_on(serve(10, Method::Get, "/".into())).unwrap(), 200);
    let recs = mem.records();
    let lines: Vec<(String, Vec<String>)> = recs
        .iter()
        .map(|r| (format!("{} {}", r.logger, r.message), kv(r)))
        .collect();
    let fields = |id: &str, path: &str| {
        vec![
            format!("id={id}"),
            "method=Get".into(),
            format!("path={path}"),
        ]
    };
    let with = |first: &str, rest: Vec<String>| [vec![first.to_owned()], rest].concat();
    assert_eq!(
        lines,
        [
            (
                "http.9 returned an error".to_owned(),
                with("error=upstream refused", fields("9", "/fail"))
            ),
            (
                "http.9 returned".to_owned(),
                with(
                    r#"return=Err(Custom { kind: Other, error: "upstream refused" })"#,
                    fields("9", "/fail")
                )
            ),
            (
                "http.10 returned".to_owned(),
                with("return=Ok(200)", fields("10", "/"))
            ),
        ]
    );
}
