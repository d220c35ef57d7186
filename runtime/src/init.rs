//! [`init`]: the usual set-up in one line. The never-blocking [`StderrHandler`] on the global
//! root, levels from `RUST_LOG`, and a guard that flushes with a deadline when the program ends.
//!
//! It runs once per process: a second call returns [`InitError::AlreadyInitialized`], never
//! panics, and never replaces what the first call installed. [`init_for_tests`] is its
//! counterpart for tests: records through the harness's capture, callable from every test.

use std::env;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use crate::format::{Format, WriteStyle};
use crate::handler::Handler;
use crate::handler::TestHandler;
use crate::handler::directed::Directed;
use crate::handler::queue::{QueueOptions, install_abort_flush, set_exit_deadline};
use crate::handler::stderr::StderrHandler;
use crate::level::{Level, LevelFilter};
use crate::record::Record;
use crate::tree::{DirectiveError as ConfigError, Registry};

static INITIALIZED: AtomicBool = AtomicBool::new(false);

/// Sets up logging for a program: the stderr handler on the global root, levels from the
/// `RUST_LOG` directives (`warn` when unset), the `log` crate bridge (feature `log`) and the
/// `tracing` one (feature `tracing`: [`TracingLayer`](crate::bridge::tracing::TracingLayer) as
/// the global `tracing` subscriber, unless the program set one first, which is then kept and
/// gets the events instead).
///
/// `RUST_LOG` is the operator's word (see [`Registry::configure`]): a directive naming a logger
/// overrides the levels code set there, and the stderr handler shows a record only when the
/// directives allow it for the record's logger (for a record bridged from `log` or `tracing`:
/// its target). So `RUST_LOG=off` prints nothing, and under `warn` a scope whose code asked for
/// DEBUG keeps those lines off the terminal while its own handlers still get them. The handler
/// reads that decision from the record (cached with each logger's level), never walking the
/// names per record.
///
/// Keep the guard alive for the whole program (`let _guard = ...`, not `let _ = ...`): dropping
/// it flushes and closes the handlers, waiting at most one second (see [`InitGuard`]).
///
/// What is logged right before the program ends is written, guard or no guard: a return from
/// `main` and `std::process::exit` (from any thread) flush every queued handler first, waiting
/// at most one second for all of them together ([`InitBuilder::exit_deadline`]); `init` also
/// installs a panic hook that does the same before the abort of a program built with
/// `panic = "abort"` ([`install_abort_flush`], chained to the hook it replaces), and the hook
/// of [`install_panic_hook`](crate::install_panic_hook), which logs a panic inside a scope with
/// its message and location. So this writes
/// its line:
///
/// ```no_run
/// let _guard = scoped_logger::init();
/// scoped_logger::error!("cannot open config");
/// std::process::exit(1);
/// ```
///
/// A bad directive in `RUST_LOG` does not stop the program, nor throw the good ones away: as
/// env_logger does, the good directives apply and each bad one is reported once on stderr (a
/// `WARN scoped_logger` record naming it); when none is valid the default (`warn`) is used.
/// `name=` with no level means `trace`, as a bare `name` does. (`Registry::configure` stays
/// all-or-nothing.) Use [`InitBuilder`] for other defaults.
///
/// ```no_run
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let _guard = scoped_logger::init()?;
///     scoped_logger::root().log(scoped_logger::Level::Warn, format_args!("starting"));
///     Ok(())
/// }
/// ```
pub fn init() -> Result<InitGuard, InitError> {
    InitBuilder::new().init()
}

/// Sets up logging for tests: call it at the start of every test that should show its records
/// when it fails. The first call puts a [`TestHandler`] on the global root, sets levels from
/// `RUST_LOG` (`info` when unset; good directives kept, each bad one reported once on stderr,
/// outside any test's capture, as [`init`] does)
/// and installs the `log` crate bridge (feature `log`) and the `tracing` one (feature `tracing`,
/// as [`init`] does: unless a global `tracing` subscriber is already set); every later call does
/// nothing, from any thread (one that comes while the first is running waits for it).
///
/// Records are written on the logging thread through the test harness's output capture: `cargo
/// test` hides a passing test's records and shows a failing test's, `--nocapture` shows them
/// live. Records from threads the test spawned are in its capture too (they inherit it); a
/// thread the test did not spawn (a shared pool, a runtime in a `static`) writes to the process's
/// stderr, in no test's section. There is no guard: no test's end closes anything another test
/// uses.
///
/// ```
/// // #[test]
/// fn parses_the_config() {
///     scoped_logger::init_for_tests();
///     scoped_logger::info!("shown only if this test fails");
/// }
/// # parses_the_config();
/// ```
///
/// In a binary that also calls [`init`], whichever comes first wins, once for the process:
/// after `init_for_tests`, `init` returns [`InitError::AlreadyInitialized`] and changes nothing
/// (records stay in the capture); after `init`, `init_for_tests` does nothing (records go to
/// `init`'s stderr handler, outside the capture).
///
/// ```
/// scoped_logger::init_for_tests();
/// scoped_logger::init_for_tests(); // a no-op
/// assert!(matches!(
///     scoped_logger::init(),
///     Err(scoped_logger::InitError::AlreadyInitialized)
/// ));
/// assert_eq!(scoped_logger::root().handler_count(), 1); // the TestHandler only
/// ```
pub fn init_for_tests() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if INITIALIZED.swap(true, Ordering::AcqRel) {
            return;
        }
        let registry = Registry::global();
        let from_env = env::var("RUST_LOG")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| ("RUST_LOG", v));
        let notes = apply_env_filters(registry, from_env, "info");
        registry.root().add_handler(TestHandler::new());
        #[cfg(feature = "log")]
        let bridge_note = crate::bridge::log::install()
            .err()
            .map(|e| format!("records of the `log` crate will not reach scoped-logger: {e}"));
        #[cfg(not(feature = "log"))]
        let bridge_note: Option<String> = None;
        install_tracing();
        // Past the capture, straight to stderr: in the first test's capture, a bad `RUST_LOG`
        // would be reported only if that test failed.
        let direct = crate::handler::stream::StreamHandler::new(std::io::stderr());
        report(&direct, notes.into_iter().chain(bridge_note));
    });
}

/// With the feature `tracing`: makes [`TracingLayer`](crate::bridge::tracing::TracingLayer) on a
/// `tracing_subscriber` registry the global `tracing` subscriber, so that a library's
/// `tracing::warn!` reaches the tree as its `log::warn!` does. A global subscriber the program
/// set first is kept (tracing allows one per process, and it is the program's choice): its
/// events go where it sends them, and nothing is reported. A thread-local default
/// (`tracing::subscriber::set_default`, `with_default`) still wins on its thread, as always.
fn install_tracing() {
    #[cfg(feature = "tracing")]
    {
        use tracing_subscriber::layer::SubscriberExt as _;
        let subscriber =
            tracing_subscriber::registry().with(crate::bridge::tracing::TracingLayer::new());
        // An error means a global subscriber is already set: that one stays.
        let _ =
            tracing_core::dispatcher::set_global_default(tracing_core::Dispatch::new(subscriber));
    }
}

/// Hands the library's own warnings about the set-up to `handler`.
fn report(handler: &dyn Handler, messages: impl Iterator<Item = String>) {
    for message in messages {
        crate::thread::with_name(|thread| {
            handler.handle(
                &Record::builder(
                    Level::Warn,
                    crate::handler::last_resort::OWN_LOGGER,
                    format_args!("{message}"),
                )
                .thread_name(thread)
                .build(),
            );
        });
    }
}

/// Why [`init`] did nothing.
#[derive(Debug)]
#[non_exhaustive]
pub enum InitError {
    /// `init` (or [`init_for_tests`]) already ran in this process (whether or not its guard is
    /// still alive).
    AlreadyInitialized,
    /// The default directives given to [`InitBuilder::default_filters`] do not parse (a bad
    /// `RUST_LOG` directive is not an error: it is reported and the good ones are kept).
    Filters(ConfigError),
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitError::AlreadyInitialized => f.write_str(
                "scoped_logger::init was already called in this process; keep the first guard",
            ),
            InitError::Filters(e) => write!(f, "bad default log filters: {e}"),
        }
    }
}

impl std::error::Error for InitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InitError::Filters(e) => Some(e),
            InitError::AlreadyInitialized => None,
        }
    }
}

/// [`init`] with other defaults.
///
/// ```no_run
/// use scoped_logger::{InitBuilder, format::JsonFormat};
/// use scoped_logger::handler::queue::QueueOptions;
/// use std::time::Duration;
/// let _guard = InitBuilder::new()
///     .default_filters("info,hyper=warn") // when RUST_LOG is unset
///     .env_var("MY_APP_LOG")              // read this instead of RUST_LOG
///     .format(JsonFormat)
///     .queue(QueueOptions::default().capacity(100_000))
///     .flush_deadline(Duration::from_secs(3))
///     .exit_deadline(Duration::from_millis(500))
///     .init()?;
/// # Ok::<(), scoped_logger::InitError>(())
/// ```
#[derive(Debug)]
#[must_use = "an InitBuilder does nothing until `.init()`"]
pub struct InitBuilder {
    default_filters: String,
    env_var: Option<String>,
    handler: StderrHandler,
    stderr_level: LevelFilter,
    flush_deadline: Duration,
    exit_deadline: Option<Duration>,
}

impl Default for InitBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl InitBuilder {
    /// The defaults [`init`] uses.
    pub fn new() -> Self {
        InitBuilder {
            default_filters: "warn".to_owned(),
            env_var: Some("RUST_LOG".to_owned()),
            handler: StderrHandler::new(),
            stderr_level: LevelFilter::Trace,
            flush_deadline: Duration::from_secs(1),
            exit_deadline: None,
        }
    }

    /// Directives used when the environment variable is unset, empty or has no valid directive (default
    /// `warn`), in [`Registry::configure`] syntax.
    pub fn default_filters(mut self, directives: impl Into<String>) -> Self {
        self.default_filters = directives.into();
        self
    }

    /// The environment variable to read directives from (default `RUST_LOG`).
    pub fn env_var(mut self, name: impl Into<String>) -> Self {
        self.env_var = Some(name.into());
        self
    }

    /// Ignore the environment: use the default filters only.
    pub fn no_env(mut self) -> Self {
        self.env_var = None;
        self
    }

    /// The stderr queue's settings: records and bytes held, what a log call does when stderr is
    /// full (by default, waits while stderr takes bytes and drops once it has taken none for a
    /// stall window: read [`Policy`](crate::handler::queue::Policy) before choosing another), and
    /// how long the handler's own `flush()`/`close()` wait. See [`QueueOptions`].
    pub fn queue(mut self, queue: QueueOptions) -> Self {
        self.handler = self.handler.queue(queue);
        self
    }

    /// The stderr handler's own level, set in code (default `Trace`: the directives alone
    /// decide). The handler shows a record only when the directives (`RUST_LOG`, the default
    /// filters, [`Registry::configure`], a configuration file) allow it for the record's logger
    /// *and* it is at least this severe; what other handlers get is not changed.
    ///
    /// ```no_run
    /// use scoped_logger::{InitBuilder, LevelFilter};
    /// // Per-task files get DEBUG from `level = "debug"` scopes; the terminal at most INFO.
    /// let _guard = InitBuilder::new().stderr_level(LevelFilter::Info).init()?;
    /// # Ok::<(), scoped_logger::InitError>(())
    /// ```
    pub fn stderr_level(mut self, level: LevelFilter) -> Self {
        self.stderr_level = level;
        self
    }

    /// The line format (default text).
    pub fn format(mut self, format: impl Format + 'static) -> Self {
        self.handler = self.handler.format(format);
        self
    }

    /// Whether stderr lines are styled (default [`WriteStyle::Auto`]: on a terminal, unless
    /// `RUST_LOG_STYLE`, `NO_COLOR` or `CLICOLOR_FORCE` say otherwise); see
    /// [`StderrHandler::style`].
    pub fn style(mut self, style: WriteStyle) -> Self {
        self.handler = self.handler.style(style);
        self
    }

    /// How long dropping the guard may take in all (default 1 s).
    pub fn flush_deadline(mut self, deadline: Duration) -> Self {
        self.flush_deadline = deadline;
        self
    }

    /// How long the process may wait at exit (a return from `main`, `std::process::exit`, a
    /// panic under `panic = "abort"`) for the records still queued, by every handler together
    /// (default 1 s:
    /// [`DEFAULT_EXIT_DEADLINE`](crate::handler::queue::DEFAULT_EXIT_DEADLINE)). It is
    /// process-wide: `init` sets it with [`set_exit_deadline`].
    pub fn exit_deadline(mut self, deadline: Duration) -> Self {
        self.exit_deadline = Some(deadline);
        self
    }

    /// Installs everything, once per process.
    pub fn init(self) -> Result<InitGuard, InitError> {
        // Checked on a scratch tree first, so that a bad default fails before anything changes
        // and leaves `init` callable again.
        if let Err(e) = Registry::new().configure(&self.default_filters) {
            return Err(InitError::Filters(e));
        }
        if INITIALIZED.swap(true, Ordering::AcqRel) {
            return Err(InitError::AlreadyInitialized);
        }
        if let Some(deadline) = self.exit_deadline {
            set_exit_deadline(deadline);
        }
        install_abort_flush();
        crate::panic::install_panic_hook();
        let registry = Registry::global();
        let from_env = self
            .env_var
            .as_deref()
            .and_then(|var| Some((var, env::var(var).ok()?)))
            .filter(|(_, v)| !v.trim().is_empty());
        let bad_env = apply_env_filters(registry, from_env, &self.default_filters);

        let handler = Arc::new(self.handler);
        // Behind the directives: a scope whose code turned it up to DEBUG keeps those lines
        // off the terminal unless the operator asked for them (its own handlers still get them).
        registry
            .root()
            .add_shared_handler(Arc::new(Directed::new(handler.clone(), self.stderr_level)));

        // `log::warn!` from dependencies reaches the handler installed above. Another `log`
        // logger set first is not fatal: the program keeps its own records, and is told.
        #[cfg(feature = "log")]
        let bridge_note = crate::bridge::log::install()
            .err()
            .map(|e| format!("records of the `log` crate will not reach scoped-logger: {e}"));
        #[cfg(not(feature = "log"))]
        let bridge_note: Option<String> = None;
        install_tracing();

        report(&*handler, bad_env.into_iter().chain(bridge_note));
        Ok(InitGuard {
            handler,
            flush_deadline: self.flush_deadline,
            done: false,
        })
    }
}

/// Applies the environment's directives to `registry` as env_logger does: the good ones are kept
/// and each bad one is named in a message for the caller to report; when none is left (or the
/// variable is unset), `defaults` (already checked) apply instead.
fn apply_env_filters(
    registry: &Registry,
    from_env: Option<(&str, String)>,
    defaults: &str,
) -> Vec<String> {
    let mut messages = Vec::new();
    let mut applied = false;
    if let Some((var, text)) = from_env {
        let (good, bad) = crate::tree::parse_directives_lenient(&text);
        for e in &bad {
            messages.push(format!("{var}: ignored {e}"));
        }
        if !good.is_empty() {
            // Cannot fail: `parse_lenient` kept only what parses.
            applied = registry.configure(&good).is_ok();
        } else if !bad.is_empty() {
            messages.push(format!(
                "{var} has no valid directive left; using the default filters `{defaults}`"
            ));
        }
    }
    if !applied {
        let _ = registry.configure(defaults);
    }
    messages
}

/// Returned by [`init`]: keep it alive for the whole program. Dropping it flushes and closes
/// every handler of the global registry ([`Registry::shutdown`]), giving up after the flush
/// deadline (1 s unless [`InitBuilder::flush_deadline`] said otherwise), so a program whose
/// stderr is not read still exits.
///
/// After that, records go to the last-resort handler (Warn and above, still to stderr and
/// still never blocking, and still written when the process exits right after: a record logged
/// by a destructor that runs after the guard's, at the end of `main`, is not lost); `init`
/// cannot be called again.
#[must_use = "dropping the guard flushes and closes the handlers at once: bind it with `let _guard = ...`"]
pub struct InitGuard {
    handler: Arc<StderrHandler>,
    flush_deadline: Duration,
    done: bool,
}

impl fmt::Debug for InitGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InitGuard")
            .field("flush_deadline", &self.flush_deadline)
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl InitGuard {
    /// The stderr handler `init` installed.
    pub fn handler(&self) -> &StderrHandler {
        &self.handler
    }

    /// Records the stderr handler dropped so far (stderr not read fast enough).
    pub fn dropped(&self) -> u64 {
        self.handler.dropped()
    }

    /// Flushes what is queued for stderr, waiting until `deadline`, without closing anything.
    /// `false` when something was left unwritten.
    pub fn flush_by(&self, deadline: Instant) -> bool {
        self.handler.flush_by(deadline)
    }

    /// Does now what dropping the guard does, and says whether everything was written out in
    /// time.
    pub fn shutdown(mut self) -> bool {
        self.done = true;
        Registry::global().shutdown(self.flush_deadline)
    }
}

impl Drop for InitGuard {
    fn drop(&mut self) {
        if !self.done {
            Registry::global().shutdown(self.flush_deadline);
        }
    }
}
