//! Procedural macros of scoped-logger: the `#[scoped_logger]` attribute and the logging macros.
//! Use them through the `scoped-logger` crate, which re-exports them next to the runtime that
//! their expansions call (`::scoped_logger::__private`).
//!
//! This file holds the entry points only. The attribute lives in `attr/` (parse the options and
//! the function, check them against each other, expand), the logging macros in `event/`; a
//! mistake becomes a compile error on the offending token, never a panic, and the annotated
//! function is still emitted next to it.
#![forbid(unsafe_code)]

use proc_macro::TokenStream;

mod attr;
mod errors;
mod event;
mod levels;

/// Makes a function's body a logger scope: the scope is entered when the function is called
/// (for an `async fn`, when its future is first polled), is the current scope while the body
/// runs, and ends, closing the handlers it owns and deleting its entry, on every way out: return,
/// `?`, panic, or a dropped future.
///
/// ```
/// use scoped_logger::{scoped_logger, info, Registry, MemoryHandler};
/// use std::sync::LazyLock;
///
/// static REG: LazyLock<Registry> = LazyLock::new(Registry::new);
/// static MEM: LazyLock<MemoryHandler> = LazyLock::new(MemoryHandler::new);
///
/// #[scoped_logger("jobs.{id}", level = "debug", handler = MEM.clone(), registry = &REG)]
/// fn run_job(id: u64) -> usize {
///     info!("started");
///     REG.node_count() // `jobs` (a placeholder) and `jobs.7` while the scope is live
/// }
///
/// assert_eq!(run_job(7), 2);
/// assert_eq!(REG.node_count(), 0); // the scope's entry is gone
/// assert_eq!(MEM.close_count(), 1); // and its handler was closed
/// assert_eq!(MEM.records()[0].logger, "jobs.7");
/// ```
///
/// # Options
///
/// - no arguments: the scope is named after the module path (dots) and the fn name,
///   e.g. `my_app.jobs.run_job`.
/// - `"jobs.{id}"` or `name = "jobs.{id}"`: the name, a template over the function's arguments.
///   `{arg}` interpolates an argument (anything `Display`) and `{{`/`}}` are literal braces.
///   An interpolated value is cleaned so the name is always valid: whitespace, control
///   characters, `.` and `:` become `_`, and an empty value becomes `_` (`"a b"` gives `a_b`,
///   `"x.y"` gives `x_y`: a value never adds levels to the tree). A leading `.` makes the name
///   relative to the scope that is current when the function is called (`".db"` inside
///   `jobs.42` is `jobs.42.db`). The literal parts are checked at compile time.
/// - `level = "debug"`: the scope's own level while it is live (`off`, `error`, `warn`, `info`,
///   `debug`, `trace`, case-insensitive; `warning` and `critical` also work).
/// - `propagate = false`: the scope's records do not go on to its ancestors' handlers.
/// - `handler = expr` (repeatable): a handler the scope owns, either a handler value or a
///   `Result` of one (`FileHandler::create(format!("logs/{id}.log"))`). The expression is
///   evaluated only by the call that creates the scope's entry: a same-name scope that is
///   already live is joined and shares its handlers (one entered from inside the expression
///   itself joins at once, before the handlers exist). A `Result` handler that fails makes the
///   function return the error (converted with `From`, as `?` does) and registers nothing; so
///   it needs a function returning a compatible `Result`, and is a compile error elsewhere.
/// - `bind = log`: binds `log: &ScopedLogger` in the body. It borrows the scope, so it cannot
///   be returned from the function or moved into a `'static` thread.
/// - `registry = &MY_REGISTRY`: an expression giving `&Registry` (default: the global one).
/// - `record_below = "debug"`: a flight recorder. Records below the scope's level, down to this
///   one, are kept in a bounded ring and emitted (marked `replayed=true`) only if the function
///   fails: returns `Err`, or panics. See `FlightRecorder`.
/// - `summary = true`: when the scope ends, one record with the task's duration, its outcome
///   (`ok`, `err`, `panic`, `cancelled`, `slow`) and its record counts per level; a panic adds
///   its message and location when the panic hook is installed (`init()`,
///   `install_panic_hook()`), and with `err` an error adds `reason` (the error and its chain).
/// - `err` or `err = "warn"`: a function that returns `Err(e)` logs one record at that level
///   (ERROR by default) on the scope, `returned an error` with `error = e`. An error type that
///   implements `Error`, or points to one (`Box<dyn Error + Send + Sync>`, anyhow-like types
///   that deref to `dyn Error`), is written with its `source()` chain (see `Value::Error`); a
///   type that is only `Display` (`String`) with its `Display`, else its `Debug`. The function
///   must return a `Result` (a compile error otherwise).
/// - `ret` or `ret = "debug"`: logs the returned value with `Debug` (`return = ...`), at INFO by
///   default; a compile error on a function returning `()`. Both are subject to the scope's
///   level, as any record, and both work on `async fn`; both records carry the scope's
///   `fields(..)`, as every record of the task does (also on `async fn`, whose return value is
///   looked at after its last poll).
/// - `fields(user = %user.name, method = ?req.method, attempt = 1, id)`: the scope's fields.
///   Every record logged while the scope is current carries them after the call's own
///   key-values (`k = v` takes a `ToValue`, `%` a `Display`, `?` a `Debug`; a bare `id` is
///   `id = id`). They are evaluated when the function is called and copied, and the fields of
///   the scope it is called in follow (an inner key shadows an outer one). A name template's
///   arguments are not fields unless named here. See `ScopeBuilder::field`. An `async fn`
///   argument that only `fields(..)` (or the name template) reads is used at the call: it gets
///   no `unused variable` warning.
/// - `slow = "500ms"`: a task that takes longer replays its flight recorder's trail as a
///   failing one does, and its summary says `outcome=slow`. See `ScopeBuilder::slow`.
/// - `stuck = "30s"`: a task still running after this long is reported once, while it runs,
///   with its trail so far (a later replay, `slow` or failed, shows only what came after);
///   see `ScopeBuilder::stuck`. Durations take `ns`, `us`, `ms`, `s`,
///   `m`, `h` (`"1m 30s"`); a zero or unitless one is a compile error.
///
/// With `record_below`, `summary`, `err` or `ret`, the body of a sync function runs in a closure so that its
/// return value can be looked at; `Location::caller()` inside such a `#[track_caller]` function
/// then reports the closure, not the caller.
///
/// # `async fn`
///
/// An `async fn` becomes a `fn` returning `impl Future` (with the same generics, where clause
/// and arguments moved into the future, as for an `async fn`). The name template is evaluated
/// and the current scope captured when the function is called; the scope itself is entered at
/// the first poll (a future that is never polled registers nothing), is current during every
/// poll on whichever thread polls it, and ends when the future completes or is dropped.
///
/// The returned `impl Future` captures every lifetime of the arguments, as an `async fn`
/// does, in a crate of any edition. Put `#[scoped_logger]` below attributes that need to see an
/// `async fn` (such as `#[tokio::main]`), not above them.
///
/// Misuse (not a function, an unknown or repeated option, a template naming no argument, an
/// invalid literal name or level) is a compile error on the offending token. The function is
/// still emitted, expanded with every option that was right (a bad `level` does not undo
/// `bind = log`), and its body is never parsed by the attribute: a body that does not parse yet
/// gets the compiler's own error, where it is wrong.
#[proc_macro_attribute]
pub fn scoped_logger(args: TokenStream, item: TokenStream) -> TokenStream {
    attr::expand(args.into(), item.into()).into()
}

/// Logs a record at a level: to the current scope, else to the global registry's logger named
/// by `module_path!()`; or to an explicit logger with `logger: expr`.
///
/// ```
/// use scoped_logger::{scoped_log, Level, Registry, MemoryHandler};
/// let reg = Registry::new();
/// let jobs = reg.logger("jobs");
/// let mem = MemoryHandler::new();
/// jobs.add_handler(mem.clone());
///
/// let (id, name, pct) = (42, "ann", 97);
/// scoped_log!(logger: &jobs, error, "user {} logged in", name);
/// scoped_log!(logger: &jobs, Level::Warn, "disk at {pct}%");
/// scoped_log!(logger: &jobs, warn, job = id, user = %name, req = ?(1, 2); "done in {} ms", 5);
///
/// let recs = mem.records();
/// assert_eq!(recs[0].message, "user ann logged in");
/// assert_eq!(recs[1].message, "disk at 97%");
/// assert_eq!(recs[2].value("job").unwrap().to_string(), "42");
/// assert_eq!(recs[2].value("req").unwrap().to_string(), "(1, 2)");
/// ```
///
/// The level is one of `error`, `warn`, `info`, `debug`, `trace`, a path ending in a level
/// (`Level::Warn`), or a parenthesized expression of type `Level` (`(my_level)`).
/// Key-values come before a `;`: `key = value` (integers, floats, `bool`, `char`, strings,
/// `Option`s of them, and errors, written with their `source()` chain: `io::Error`,
/// `Box`/`Arc<dyn Error (+ Send + Sync)>`, `&e as &dyn Error` for any error, `*e` for an
/// anyhow-like type that derefs to `dyn Error`, and a type of one's own after a one-line
/// `impl ToValue for MyError { fn to_value(&self) -> Value<'_> { Value::Error(self) } }`),
/// `key = %value` (`Display`, an error's top message only), `key = ?value` (`Debug`); a key is an
/// identifier or a string literal, and a lone `name` (or `%name`, `?name`) is short for
/// `name = name`. The format string is checked at compile time like
/// `format!`'s. When the level is disabled (one relaxed atomic load and a compare in the usual
/// case), no argument is evaluated.
#[proc_macro]
pub fn scoped_log(input: TokenStream) -> TokenStream {
    event::expand(input.into(), None).into()
}

/// `scoped_log!` at `Level::Trace`: `trace!("x = {x}")`, `trace!(logger: &l, k = v; "msg")`.
///
/// ```
/// # let x = 3;
/// scoped_logger::trace!("x = {x}");
/// ```
#[proc_macro]
pub fn trace(input: TokenStream) -> TokenStream {
    event::expand(input.into(), Some(event::FixedLevel::Trace)).into()
}

/// `scoped_log!` at `Level::Debug`: `debug!("x = {x}")`, `debug!(logger: &l, k = v; "msg")`.
///
/// ```
/// # let x = 3;
/// scoped_logger::debug!(x; "computed");
/// ```
#[proc_macro]
pub fn debug(input: TokenStream) -> TokenStream {
    event::expand(input.into(), Some(event::FixedLevel::Debug)).into()
}

/// `scoped_log!` at `Level::Info`: `info!("user {} logged in", user)`.
///
/// ```
/// use scoped_logger::{info, LevelFilter, Registry, MemoryHandler};
/// let reg = Registry::new();
/// let mem = MemoryHandler::new();
/// let scope = reg.scope("jobs.1").level(LevelFilter::Info).handler({
///     let mem = mem.clone();
///     move || Ok::<_, std::io::Error>(mem)
/// }).enter().unwrap();
/// let user = "ann";
/// info!(user; "{user} logged in"); // goes to the current scope, `jobs.1`
/// drop(scope);
/// assert_eq!(mem.records()[0].logger, "jobs.1");
/// assert_eq!(mem.messages(), ["ann logged in"]);
/// ```
#[proc_macro]
pub fn info(input: TokenStream) -> TokenStream {
    event::expand(input.into(), Some(event::FixedLevel::Info)).into()
}

/// `scoped_log!` at `Level::Warn`: `warn!(pct = %pct; "disk almost full")`.
///
/// ```
/// let pct = 97;
/// scoped_logger::warn!(pct; "disk almost full");
/// ```
#[proc_macro]
pub fn warn(input: TokenStream) -> TokenStream {
    event::expand(input.into(), Some(event::FixedLevel::Warn)).into()
}

/// `scoped_log!` at `Level::Error`: `error!(logger: &jobs, "failed: {err}")`.
///
/// ```
/// let jobs = scoped_logger::Registry::new().logger("jobs");
/// let err = std::io::Error::other("disk full");
/// scoped_logger::error!(logger: &jobs, "failed: {err}");
/// ```
#[proc_macro]
pub fn error(input: TokenStream) -> TokenStream {
    event::expand(input.into(), Some(event::FixedLevel::Error)).into()
}
