//! What the macros expand to. Hidden and unstable: not part of the public API, may change in any
//! release. Generated code names only `::scoped_logger::__private::…` and `::core`/`::std`.

use std::borrow::Cow;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock};

use arc_swap::ArcSwapOption;

pub use crate::handler::handler_trait::Handler;
pub use crate::kv::{ToValue, Value};
pub use crate::level::{Level, LevelFilter};
pub use crate::record::Location;
pub use crate::scope::builder::{Begin, Creator, ScopeOptions};
pub use crate::scope::guard::ScopedLogger;
pub use crate::tree::{Logger, Registry};
pub use core;

pub use crate::kv::fields::Fields;

use crate::kv::fields::FieldSet;
use crate::name;
use crate::tree::{Current, FrameContext};

/// The first check of every logging macro: is `level` enabled anywhere in the process?
/// One relaxed atomic load and a compare.
#[inline(always)]
pub fn max_allows(level: Level) -> bool {
    level as u8 <= crate::gate::get()
}

/// A call site of a logging macro: its location, and the logger named by its module path for
/// records logged outside any scope (looked up once, and again only if someone removed it).
pub struct Callsite {
    location: Location,
    module_logger: OnceLock<Logger>,
    /// The module's logger made again after a `remove`: read through arc-swap's per-thread
    /// slots, so that threads logging here still write nothing they share.
    again: ArcSwapOption<Logger>,
}

impl Callsite {
    /// For a `static` in the macro expansion.
    pub const fn new(location: Location) -> Callsite {
        Callsite {
            location,
            module_logger: OnceLock::new(),
            again: ArcSwapOption::const_empty(),
        }
    }

    /// The call site's location.
    #[inline]
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The current scope's logger, else the module's logger, if it lets `level` through.
    #[inline]
    pub fn logger_if_enabled(&self, level: Level) -> Option<SiteLogger<'_>> {
        match crate::tree::current_if_enabled(level) {
            Current::Enabled(logger, fields) => Some(SiteLogger::Scope(logger, fields)),
            Current::Disabled => None,
            Current::None => self.module_logger_if_enabled(level),
        }
    }

    fn module_logger_if_enabled(&self, level: Level) -> Option<SiteLogger<'_>> {
        let logger = self.module_logger.get_or_init(|| {
            Registry::global()
                .try_logger(self.location.module_path)
                .unwrap_or_else(|_| Registry::global().root())
        });
        if logger.is_live() {
            logger
                .enabled(level)
                .then_some(SiteLogger::Borrowed(logger))
        } else {
            self.module_logger_again(level)
        }
    }

    /// Someone removed the module's logger: use the one made again, or make it (once per
    /// removal, not once per record).
    #[cold]
    fn module_logger_again(&self, level: Level) -> Option<SiteLogger<'_>> {
        let held = self.again.load();
        if let Some(l) = &*held
            && l.is_live()
        {
            return l.enabled(level).then(|| SiteLogger::Again(held));
        }
        let made = Arc::new(
            Registry::global()
                .try_logger(self.location.module_path)
                .unwrap_or_else(|_| Registry::global().root()),
        );
        self.again.store(Some(made));
        let held = self.again.load();
        let enabled = held.as_ref().is_some_and(|l| l.enabled(level));
        enabled.then(|| SiteLogger::Again(held))
    }
}

/// The logger a call site logs to. The module's logger is borrowed from the call site: every
/// thread logging there shares it, and a clone would write to its reference count on each record.
/// A scope's logger is cloned out of the current-scope stack, which must not stay borrowed while
/// handlers run.
pub enum SiteLogger<'a> {
    /// The call site's module logger.
    Borrowed(&'a Logger),
    /// The current scope's logger, with the frame's fields.
    Scope(Logger, Option<Arc<FieldSet>>),
    /// The module's logger made again after a removal.
    Again(arc_swap::Guard<Option<Arc<Logger>>>),
}

impl std::ops::Deref for SiteLogger<'_> {
    type Target = Logger;
    #[inline]
    fn deref(&self) -> &Logger {
        match self {
            SiteLogger::Borrowed(l) => l,
            SiteLogger::Scope(l, _) => l,
            SiteLogger::Again(g) => g.as_ref().expect("only a stored logger is held"),
        }
    }
}

/// Makes and dispatches a record whose level the caller checked: what every logging macro ends
/// in, on the logger the call site found or the one it was given.
pub trait Emit {
    /// Makes the record (with the fields of the current scope) and sends it on its way.
    fn emit(
        &self,
        level: Level,
        args: fmt::Arguments<'_>,
        kvs: &[(&str, Value<'_>)],
        location: Option<&Location>,
    );
}

impl Emit for SiteLogger<'_> {
    /// A record logged in the current scope carries the fields of the frame it was found in;
    /// one logged outside any scope has none.
    #[inline]
    fn emit(
        &self,
        level: Level,
        args: fmt::Arguments<'_>,
        kvs: &[(&str, Value<'_>)],
        location: Option<&Location>,
    ) {
        let fields = match self {
            SiteLogger::Scope(_, fields) => fields.as_deref(),
            _ => None,
        };
        self.emit_with(level, args, kvs, location, fields);
    }
}

impl Emit for Logger {
    /// An explicit logger (`logger: &audit`): the record carries the fields of the scope current
    /// on this thread, as an MDC would.
    #[inline]
    fn emit(
        &self,
        level: Level,
        args: fmt::Arguments<'_>,
        kvs: &[(&str, Value<'_>)],
        location: Option<&Location>,
    ) {
        Logger::emit(self, level, args, kvs, location);
    }
}

/// Makes a sync function's scope current on this thread (the attribute's expansion).
#[inline]
pub fn make_current(scope: ScopedLogger) -> ScopedLogger {
    scope.make_current()
}

/// An async function's scope ends as `cancelled` unless [`completed`] is called first.
#[inline]
pub fn expect_completion(scope: &ScopedLogger) {
    scope.expect_completion();
}

/// An async function's future ran to completion.
#[inline]
pub fn completed(scope: &ScopedLogger) {
    scope.completed();
}

/// `k = %v`.
#[inline]
pub fn display<T: fmt::Display>(v: &T) -> Value<'_> {
    Value::Display(v)
}

/// `k = ?v`.
#[inline]
pub fn debug<T: fmt::Debug>(v: &T) -> Value<'_> {
    Value::Debug(v)
}

/// The global registry (the attribute's default).
#[inline]
pub fn global() -> &'static Registry {
    Registry::global()
}

/// The bare attribute's name: the module path in dots, then the fn name.
pub fn module_fn_name(module_path: &str, fn_name: &str) -> String {
    let mut s = module_path.replace("::", ".");
    s.push('.');
    s.push_str(fn_name);
    s
}

/// Appends an interpolated template argument, cleaned so the name stays valid
/// (see [`name::push_sanitized`]), without an intermediate `String`.
pub fn push_arg<T: fmt::Display + ?Sized>(out: &mut String, value: &T) {
    struct Sanitize<'a> {
        out: &'a mut String,
        empty: bool,
    }
    impl fmt::Write for Sanitize<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            if !s.is_empty() {
                self.empty = false;
                name::push_sanitized(self.out, s);
            }
            Ok(())
        }
    }
    let mut w = Sanitize { out, empty: true };
    // Writing into a `String` cannot fail; a `Display` impl that errors leaves what it wrote.
    let _ = fmt::write(&mut w, format_args!("{value}"));
    if w.empty {
        name::push_sanitized(w.out, "");
    }
}

/// The scope current when a scoped fn was called, with its fields: relative names resolve
/// against it and the new scope's records carry its fields (for an `async fn`, captured at the
/// call, used at the first poll).
pub struct Base(FrameContext);

/// The scope that is current now (captured when a scoped fn is called).
pub fn capture_base() -> Option<Base> {
    crate::tree::current_context().map(Base)
}

fn base_logger(base: Option<&Base>) -> Option<&Logger> {
    base.map(|b| &b.0.logger)
}

fn base_fields(base: Option<&Base>) -> Option<Arc<FieldSet>> {
    base.and_then(|b| b.0.fields.clone())
}

/// Reserves the scope `name` for a scope with handler factories (relative names resolve against
/// `base`, else the root): joins a live one, or hands back the [`Creator`] that makes them.
pub fn begin_with(
    registry: &Registry,
    base: Option<&Base>,
    name: &str,
    opts: ScopeOptions,
) -> Begin {
    let full = full_name(base_logger(base), name);
    let mut begin = crate::scope::begin(&registry.inner, &full, opts, true);
    match &mut begin {
        Begin::Joined(scope) => scope.inherit(base_fields(base)),
        Begin::Create(creator) => creator.outer = base_fields(base),
    }
    begin
}

/// Opens the scope `name` when the attribute has no `handler`: nothing to make, so a fresh scope
/// starts in one trip through the registry's lock. Like [`ScopeBuilder::open`](crate::scope::ScopeBuilder::open),
/// it does not make the scope current: [`make_current`] (sync fns) or the per-poll wrapper
/// (async fns) does.
pub fn open(
    registry: &Registry,
    base: Option<&Base>,
    name: &str,
    opts: ScopeOptions,
) -> ScopedLogger {
    let full = full_name(base_logger(base), name);
    let mut scope = crate::scope::enter_plain(&registry.inner, &full, opts);
    scope.inherit(base_fields(base));
    scope
}

/// Gives a scope the attribute's `fields(...)`, on top of the fields it inherited from its base.
pub fn with_fields(mut scope: ScopedLogger, own: Fields) -> ScopedLogger {
    scope.add_fields(own);
    scope
}

/// The absolute, normalized name of a scope (relative names resolve against `base`, else the
/// root).
fn full_name<'a>(base: Option<&Logger>, name: &'a str) -> Cow<'a, str> {
    let full = match name::normalize(name) {
        Ok(norm) if name::is_relative(&norm) => {
            Cow::Owned(name::resolve(base.map_or("", |l| l.key()), &norm).into_owned())
        }
        Ok(norm) => norm,
        // Literal names are checked at compile time and templates are cleaned; this is a
        // last line of defence, never a panic.
        Err(_) => Cow::Owned(sanitize_whole(name)),
    };
    if name::check_depth(name, &full).is_ok() {
        return full;
    }
    let mut full = full.into_owned();
    name::clamp_depth(&mut full);
    Cow::Owned(full)
}

/// Runs a sync body that the attribute wraps to look at its return value (`record_below`,
/// `summary`). The `FnOnce` bound lets the body return borrows of what it captured.
#[inline(always)]
pub fn call_once<R>(body: impl FnOnce() -> R) -> R {
    body()
}

/// A flight recorder keeping records down to `level` (the attribute's `record_below`).
pub fn recorder(level: LevelFilter) -> crate::scope::FlightRecorder {
    crate::scope::FlightRecorder::new(level)
}

/// Whether a function's return value is a failure (`Err`), for the flight recorder and the
/// summary. Autoref specialization: `(&value).is_failure()` finds the `Result` impl at the first
/// probing step when the value is a `Result`, and the blanket one (never a failure) otherwise.
pub trait IsFailureResult {
    /// `Result::is_err`.
    fn is_failure(&self) -> bool;
}
impl<T, E> IsFailureResult for Result<T, E> {
    #[inline]
    fn is_failure(&self) -> bool {
        self.is_err()
    }
}
/// The fallback of [`IsFailureResult`]: any other return value is not a failure.
pub trait IsFailureOther {
    /// Always `false`.
    fn is_failure(&self) -> bool;
}
impl<T: ?Sized> IsFailureOther for &T {
    #[inline]
    fn is_failure(&self) -> bool {
        false
    }
}

fn sanitize_whole(name: &str) -> String {
    let mut out = String::new();
    for (i, seg) in name.split(['.', ':']).filter(|s| !s.is_empty()).enumerate() {
        if i > 0 {
            out.push('.');
        }
        name::push_sanitized(&mut out, seg);
    }
    out
}

/// Erases a handler's type.
pub fn boxed<H: Handler + 'static>(h: H) -> Arc<dyn Handler> {
    Arc::new(h)
}

/// What `handler = expr` may be: a handler, or a `Result` of one.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a handler: `handler = ...` takes a `Handler` or a `Result` of one",
    label = "this is not a `Handler` nor a `Result<impl Handler, E>`",
    note = "write e.g. `handler = StderrHandler::new()` or `handler = FileHandler::create(\"app.log\")`"
)]
pub trait IntoHandlerResult {
    /// The handler type.
    type Handler: Handler + 'static;
    /// `Infallible` for a plain handler; `HandlerFailed<E>` for a `Result`.
    type Error;
    /// Splits it.
    fn into_handler_result(self) -> Result<Self::Handler, Self::Error>;
}

impl<H: Handler + 'static> IntoHandlerResult for H {
    type Handler = H;
    type Error = Infallible;
    #[inline]
    fn into_handler_result(self) -> Result<H, Infallible> {
        Ok(self)
    }
}

impl<H: Handler + 'static, E> IntoHandlerResult for Result<H, E> {
    type Handler = H;
    type Error = HandlerFailed<E>;
    #[inline]
    fn into_handler_result(self) -> Result<H, HandlerFailed<E>> {
        self.map_err(HandlerFailed)
    }
}

/// The error of a `handler = expr` that returned `Err`.
pub struct HandlerFailed<E>(pub E);

/// Builds the function's return value from a failed `handler = ...` expression: the attribute
/// expands to `return FromHandlerError::from_handler_error(e)`.
///
/// The trait is chosen by the function's return type (`Self`), which the compiler knows before
/// it looks for an impl; so a `Result` handler in a function that does not return a `Result`
/// gets this message instead of a "mismatched types" error.
#[diagnostic::on_unimplemented(
    message = "a `handler = ...` expression returns a `Result`, so the function must return a `Result` whose error type can be built from the handler's error",
    label = "this function returns `{Self}`, which cannot carry the handler's error",
    note = "make the function return `Result<_, E>` where `E: From<the handler's error>` (e.g. `std::io::Error` or `Box<dyn Error + Send + Sync>`), or pass a handler value instead of a `Result`"
)]
pub trait FromHandlerError<E>: Sized {
    /// Converts.
    fn from_handler_error(error: E) -> Self;
}

impl<R> FromHandlerError<Infallible> for R {
    #[inline]
    fn from_handler_error(error: Infallible) -> R {
        match error {}
    }
}

impl<T, E, F: From<E>> FromHandlerError<HandlerFailed<E>> for Result<T, F> {
    #[inline]
    fn from_handler_error(error: HandlerFailed<E>) -> Result<T, F> {
        Err(F::from(error.0))
    }
}

/// Runs `fut` with `scope` current during each poll (the `async fn` expansion).
pub fn run_in<'a, F: Future + 'a>(
    scope: &'a ScopedLogger,
    fut: F,
) -> impl Future<Output = F::Output> + 'a {
    crate::scope::poll_with(scope.context(), fut)
}

// ---- errors as values: `k = v` and the attribute's `err` --------------------------------------
//
// Autoref specialization: the attribute calls `(&&&&Pick(e)).pick()` on the returned error, and
// method lookup takes the first level whose bounds hold, most references first. An `Error`
// (also `&E`) becomes `Value::Error` with its chain; a pointer to one (`Box<dyn Error + Send +
// Sync>`, which is not itself an `Error`, and anyhow-like types that deref to `dyn Error`) the
// same through `Deref`; then `Display`, then `Debug`. It runs once per function, not per
// record. (`k = v` in the logging macros does not use it: measured, the levels cost 40% more
// compile time on a crate of key-values; errors there go through `ToValue` impls.)

/// A value a macro is choosing the representation of.
pub struct Pick<'a, T: ?Sized>(pub &'a T);

/// Level 1: an `Error`.
pub trait PickError<'a> {
    /// `Value::Error`.
    fn pick(self) -> Value<'a>;
}
impl<'a, T: std::error::Error + 'a> PickError<'a> for &&&&Pick<'a, T> {
    #[inline]
    fn pick(self) -> Value<'a> {
        Value::Error(self.0)
    }
}

/// What a pointer to an error points to.
pub trait AsDynError {
    /// `self` as a `dyn Error`.
    fn as_dyn_error(&self) -> &(dyn std::error::Error + '_);
}
impl<T: std::error::Error> AsDynError for T {
    #[inline]
    fn as_dyn_error(&self) -> &(dyn std::error::Error + '_) {
        self
    }
}
impl AsDynError for dyn std::error::Error + '_ {
    #[inline]
    fn as_dyn_error(&self) -> &(dyn std::error::Error + '_) {
        self
    }
}
impl AsDynError for dyn std::error::Error + Send + '_ {
    #[inline]
    fn as_dyn_error(&self) -> &(dyn std::error::Error + '_) {
        self
    }
}
impl AsDynError for dyn std::error::Error + Send + Sync + '_ {
    #[inline]
    fn as_dyn_error(&self) -> &(dyn std::error::Error + '_) {
        self
    }
}

/// Level 2: a pointer to an error (`Box<dyn Error + Send + Sync>`, anyhow-like types).
pub trait PickDeref<'a> {
    /// `Value::Error` of what it points to.
    fn pick(self) -> Value<'a>;
}
impl<'a, T> PickDeref<'a> for &&&Pick<'a, T>
where
    T: std::ops::Deref + 'a,
    T::Target: AsDynError,
{
    #[inline]
    fn pick(self) -> Value<'a> {
        Value::Error((**self.0).as_dyn_error())
    }
}

/// Level 3: an error type that is only `Display` (`String`).
pub trait PickDisplay<'a> {
    /// `Value::Display`.
    fn pick(self) -> Value<'a>;
}
impl<'a, T: fmt::Display + 'a> PickDisplay<'a> for &&Pick<'a, T> {
    #[inline]
    fn pick(self) -> Value<'a> {
        Value::Display(self.0)
    }
}

/// Level 4: an error type that is only `Debug`.
pub trait PickDebug<'a, T> {
    /// `Value::Debug`.
    fn pick(self) -> Value<'a>
    where
        T: fmt::Debug;
}
impl<'a, T: 'a> PickDebug<'a, T> for &Pick<'a, T> {
    #[inline]
    fn pick(self) -> Value<'a>
    where
        T: fmt::Debug,
    {
        Value::Debug(self.0)
    }
}

/// The error of a function's return value, for the attribute's `err`.
#[diagnostic::on_unimplemented(
    message = "`err` logs the error a function returns, and this function returns `{Self}`, not a `Result`",
    label = "`err` needs a function returning `Result<_, E>`",
    note = "remove `err`, or make the function return `Result<{Self}, E>` with `E` the error to log"
)]
pub trait ReturnsResult {
    /// The error type.
    type Error;
    /// `Result::err`, borrowed.
    fn returned_err(&self) -> Option<&Self::Error>;
}
// Not offered as "the trait is implemented for `Result<T, E>`" in the error: that points into
// this file, which the user cannot change; the message already says what to write.
#[diagnostic::do_not_recommend]
impl<T, E> ReturnsResult for Result<T, E> {
    type Error = E;
    #[inline]
    fn returned_err(&self) -> Option<&E> {
        self.as_ref().err()
    }
}

/// `err`: logs the returned error on the scope's logger at `level`, as `error = e`, with the
/// scope's fields (for an `async fn` the scope is no longer current when it returns).
#[cold]
#[inline(never)]
pub fn log_err(scope: &ScopedLogger, level: Level, site: &Location, error: Value<'_>) {
    scope.note_reason(format_args!("{error}"));
    if scope.enabled(level) {
        scope.emit_in_scope(
            level,
            format_args!("returned an error"),
            &[("error", error)],
            Some(site),
        );
    }
}

/// `ret`: logs the returned value on the scope's logger at `level`, as `return = ?value`, with
/// the scope's fields.
#[inline]
pub fn log_ret<T: fmt::Debug>(scope: &ScopedLogger, level: Level, site: &Location, ret: &T) {
    if max_allows(level) && scope.enabled(level) {
        scope.emit_in_scope(
            level,
            format_args!("returned"),
            &[("return", Value::Debug(ret))],
            Some(site),
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    // The explicit borrows are the point: they are what the expansion writes.
    #[allow(clippy::needless_borrow)]
    fn failure_detection_picks_result_and_falls_back() {
        #[allow(unused_imports)]
        use super::{IsFailureOther as _, IsFailureResult as _};
        let err: Result<u8, ()> = Err(());
        let ok: Result<u8, ()> = Ok(1);
        assert!((&err).is_failure());
        assert!(!(&ok).is_failure());
        assert!(!(&5u32).is_failure());
        assert!(!(&"text").is_failure());
        assert!(!(&()).is_failure());
    }
}
