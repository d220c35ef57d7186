//! Failures worth reading: the attribute's `err` and `ret`, and errors as values (`error = e`
//! keeps the `source()` chain in every format and in the owned copy).
//!
//! Each test uses its own `Registry` and a `MemoryHandler` owned by the scope.

use std::error::Error;
use std::fmt;
use std::io;
use std::ops::Deref;
use std::sync::LazyLock;

use scoped_logger::format::{Format, JsonFormat, TextFormat};
use scoped_logger::kv::{OwnedError, OwnedValue, ToValue, Value};
use scoped_logger::{
    Level, MemoryHandler, OwnedRecord, Record, Registry, error, info, scoped_logger,
};

#[path = "support/poll.rs"]
mod poll;
use poll::block_on;

/// An error with a source: `top: cause: root` when written with its chain.
#[derive(Debug)]
struct Layer {
    message: &'static str,
    source: Option<Box<dyn Error + Send + Sync + 'static>>,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)
    }
}

impl Error for Layer {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn Error + 'static))
    }
}

// One line makes a type of one's own an error value for `k = v` (its chain is kept).
impl ToValue for Layer {
    fn to_value(&self) -> Value<'_> {
        Value::Error(self)
    }
}

fn chain3() -> Layer {
    Layer {
        message: "top",
        source: Some(Box::new(Layer {
            message: "cause",
            source: Some(Box::new(io::Error::other("root"))),
        })),
    }
}

/// Like `anyhow::Error`: derefs to `dyn Error` but is not itself an `Error`.
#[derive(Debug)]
struct AnyhowLike(Box<dyn Error + Send + Sync + 'static>);

impl Deref for AnyhowLike {
    type Target = dyn Error + Send + Sync + 'static;
    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl fmt::Display for AnyhowLike {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

fn error_value(rec: &OwnedRecord, key: &str) -> OwnedError {
    match rec.value(key) {
        Some(OwnedValue::Error(e)) => e.clone(),
        other => panic!("`{key}` is not an error value: {other:?}"),
    }
}

fn chain_of(e: &OwnedError) -> Vec<&str> {
    std::iter::once(e.message()).chain(e.chain()).collect()
}

// ---- `err` -----------------------------------------------------------------------------------

static ERR: LazyLock<Registry> = LazyLock::new(Registry::new);

#[scoped_logger("err.io", registry = &ERR, handler = mem.clone(), err)]
fn io_err(fail: bool, mem: &MemoryHandler) -> io::Result<u32> {
    if fail {
        return Err(io::Error::new(io::ErrorKind::NotFound, chain3()));
    }
    Ok(1)
}

#[test]
fn err_logs_an_io_error_with_its_chain_at_error() {
    let mem = MemoryHandler::new();
    assert_eq!(io_err(false, &mem).unwrap(), 1);
    assert!(mem.records().is_empty(), "Ok logs nothing");
    let mem = MemoryHandler::new();
    assert!(io_err(true, &mem).is_err());
    let recs = mem.records();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].level, Level::Error);
    assert_eq!(recs[0].logger, "err.io");
    let e = error_value(&recs[0], "error");
    // `io::Error::new` displays its inner error and reports the inner error's source.
    assert_eq!(chain_of(&e), ["top", "cause", "root"]);
    assert_eq!(
        recs[0].value("error").unwrap().to_string(),
        "top: cause: root"
    );
}

#[scoped_logger("err.boxed", registry = &ERR, handler = mem.clone(), err = "warn")]
fn boxed_err(mem: &MemoryHandler) -> Result<(), Box<dyn Error + Send + Sync>> {
    Err(Box::new(chain3()))
}

#[scoped_logger("err.anyhow", registry = &ERR, handler = mem.clone(), err)]
fn anyhow_err(mem: &MemoryHandler) -> Result<(), AnyhowLike> {
    Err(AnyhowLike(Box::new(chain3())))
}

#[scoped_logger("err.string", registry = &ERR, handler = mem.clone(), err)]
fn string_err(mem: &MemoryHandler) -> Result<(), String> {
    Err("plain text".to_owned())
}

#[test]
fn err_keeps_the_chain_of_boxed_and_anyhow_like_errors() {
    let mem = MemoryHandler::new();
    assert!(boxed_err(&mem).is_err());
    let recs = mem.records();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].level, Level::Warn, "err = \"warn\"");
    assert_eq!(
        chain_of(&error_value(&recs[0], "error")),
        ["top", "cause", "root"]
    );

    let mem = MemoryHandler::new();
    assert!(anyhow_err(&mem).is_err());
    let recs = mem.records();
    assert_eq!(
        chain_of(&error_value(&recs[0], "error")),
        ["top", "cause", "root"]
    );
}

#[test]
fn err_writes_a_display_only_error_as_text() {
    let mem = MemoryHandler::new();
    assert!(string_err(&mem).is_err());
    let recs = mem.records();
    assert_eq!(recs.len(), 1);
    assert_eq!(
        recs[0].value("error"),
        Some(&OwnedValue::Str("plain text".to_owned()))
    );
}

#[scoped_logger("err.async", registry = &ERR, handler = mem.clone(), err, ret = "warn")]
async fn async_err(fail: bool, mem: MemoryHandler) -> Result<u32, io::Error> {
    if fail {
        Err(io::Error::other(chain3()))
    } else {
        Ok(7)
    }
}

#[test]
fn err_and_ret_work_on_async_fns() {
    let mem = MemoryHandler::new();
    assert_eq!(block_on(async_err(false, mem.clone())).unwrap(), 7);
    let recs = mem.records();
    assert_eq!(recs.len(), 1, "ret logs the Ok value, err nothing");
    assert_eq!(recs[0].value("return").unwrap().to_string(), "Ok(7)");

    let mem = MemoryHandler::new();
    assert!(block_on(async_err(true, mem.clone())).is_err());
    let recs = mem.records();
    assert_eq!(recs.len(), 2, "err, then ret");
    assert_eq!(recs[0].level, Level::Error);
    assert_eq!(
        chain_of(&error_value(&recs[0], "error")),
        ["top", "cause", "root"]
    );
    assert!(
        recs[1]
            .value("return")
            .unwrap()
            .to_string()
            .starts_with("Err(")
    );
}

// ---- `ret` -----------------------------------------------------------------------------------

static RET: LazyLock<Registry> = LazyLock::new(Registry::new);

#[scoped_logger("ret.debug", registry = &RET, handler = mem.clone(), level = "debug", ret = "debug")]
fn ret_debug(mem: &MemoryHandler) -> (u8, &'static str) {
    (1, "two")
}

#[scoped_logger("ret.quiet", registry = &RET, handler = mem.clone(), level = "info", ret = "debug")]
fn ret_below_level(mem: &MemoryHandler) -> u8 {
    1
}

#[test]
fn ret_logs_the_returned_value_with_debug_at_its_level() {
    let mem = MemoryHandler::new();
    assert_eq!(ret_debug(&mem), (1, "two"));
    let recs = mem.records();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].level, Level::Debug);
    assert_eq!(
        recs[0].value("return").unwrap().to_string(),
        r#"(1, "two")"#
    );

    let mem = MemoryHandler::new();
    assert_eq!(ret_below_level(&mem), 1);
    assert!(mem.records().is_empty(), "a disabled level logs nothing");
}

// ---- errors as values ------------------------------------------------------------------------

fn formatted(format: &dyn Format, value: Value<'_>) -> String {
    let kvs = [("error", value)];
    let rec = Record::builder(Level::Error, "x", format_args!("m"))
        .key_values(&kvs)
        .time(std::time::UNIX_EPOCH)
        .build();
    let mut out = Vec::new();
    format.format(&rec, &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn text_writes_the_chain_on_one_escaped_line() {
    let e = chain3();
    assert_eq!(
        formatted(&TextFormat, Value::Error(&e)),
        "1970-01-01T00:00:00.000Z ERROR x: m error=\"top: cause: root\"\n"
    );
    let evil = Layer {
        message: "line one\nFAKE RECORD",
        source: Some(Box::new(io::Error::other("\x1b[31mred"))),
    };
    let line = formatted(&TextFormat, Value::Error(&evil));
    assert_eq!(line.matches('\n').count(), 1, "{line:?}");
    assert!(!line.contains('\x1b'), "{line:?}");
    assert!(
        line.contains(r#"error="line one\nFAKE RECORD: \x1b[31mred""#),
        "{line:?}"
    );
}

#[test]
fn json_writes_the_message_and_the_chain_as_a_list() {
    let e = chain3();
    let out = formatted(&JsonFormat, Value::Error(&e));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["kv"]["error"],
        serde_json::json!({"message": "top", "chain": ["cause", "root"]})
    );
    let plain = io::Error::other("alone");
    let out = formatted(&JsonFormat, Value::Error(&plain));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["kv"]["error"],
        serde_json::json!({"message": "alone", "chain": []})
    );
}

#[test]
fn the_owned_copy_keeps_the_chain_and_formats_as_the_original() {
    let e = chain3();
    let kvs = [("error", Value::Error(&e))];
    let rec = Record::builder(Level::Error, "x", format_args!("m"))
        .key_values(&kvs)
        .time(std::time::UNIX_EPOCH)
        .build();
    let owned = rec.to_owned();
    assert_eq!(
        chain_of(&error_value(&owned, "error")),
        ["top", "cause", "root"]
    );
    for format in [&TextFormat as &dyn Format, &JsonFormat] {
        let mut direct = Vec::new();
        format.format(&rec, &mut direct);
        let mut again = Vec::new();
        owned.with_record(|r| format.format(r, &mut again));
        assert_eq!(direct, again);
    }
}

#[test]
fn error_macro_key_values_keep_the_chain() {
    let reg = Registry::new();
    let mem = MemoryHandler::new();
    let log = reg.logger("kv");
    log.add_handler(mem.clone());
    let e = chain3();
    let by_ref: &Layer = &e;
    let boxed: Box<dyn Error + Send + Sync> = Box::new(chain3());
    let anyhow_like = AnyhowLike(Box::new(chain3()));
    let io = io::Error::other(chain3());
    let (a, b) = (2u32, 3u32);
    error!(logger: &log, error = e, by_ref = by_ref, boxed = boxed, anyhow = *anyhow_like,
           io = io, as_dyn = &e as &dyn Error, text = "not an error", sum = a + b,
           wide = a as u64; "failed");
    let recs = mem.records();
    for key in ["error", "by_ref", "boxed", "anyhow", "io", "as_dyn"] {
        assert_eq!(
            chain_of(&error_value(&recs[0], key)),
            ["top", "cause", "root"],
            "{key}"
        );
    }
    assert_eq!(
        recs[0].value("text"),
        Some(&OwnedValue::Str("not an error".to_owned()))
    );
    assert_eq!(recs[0].value("sum"), Some(&OwnedValue::U64(5)));
    assert_eq!(recs[0].value("wide"), Some(&OwnedValue::U64(2)));
    // `%e` is still the top `Display` only.
    info!(logger: &log, shown = %e; "display");
    log.set_level(scoped_logger::LevelFilter::Info);
    info!(logger: &log, shown = %e; "display");
    let recs = mem.records();
    assert_eq!(
        recs.last().unwrap().value("shown").unwrap().to_string(),
        "top"
    );
}
