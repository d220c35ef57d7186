//! Slow and stuck tasks: a timed scope's [`Watch`], and the one process-wide thread that looks
//! at the live ones now and then (a periodic scan, no thread per scope).
//!
//! A task never waits on the watchdog: entering a timed scope pushes its watch on one of a few
//! striped lists (a lock held for a push), leaving sets a flag; the watchdog takes the lists
//! whole (a swap) and keeps the watches it scans to itself. Scopes without `slow` or `stuck`
//! have no watch and cost nothing here; a `slow` threshold alone needs none either (the clock
//! is read when the scope starts and when it ends).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::recorder::Recorder;
use crate::clock::Clock;
use crate::kv::Value;
use crate::level::Level;
use crate::tree::{FrameContext, Logger, Marked, RegistryInner, thread_label, thread_number};

/// A scope's timing: when it started, by which clock, and its thresholds. Kept in the guard;
/// only a `stuck` threshold needs a [`Watch`] the watchdog can see.
#[derive(Debug)]
pub(crate) struct Timer {
    clock: Clock,
    started: Instant,
    pub(crate) slow: Option<Duration>,
    pub(crate) watch: Option<Arc<Watch>>,
}

impl Timer {
    pub(crate) fn new(clock: Clock, slow: Option<Duration>, stuck: Option<Duration>) -> Timer {
        let started = clock.now();
        let watch = stuck.map(|stuck| {
            Arc::new(Watch {
                clock: clock.clone(),
                started,
                stuck,
                mark: AtomicU64::new(0),
                ctx: OnceLock::new(),
                done: AtomicBool::new(false),
                warned: AtomicBool::new(false),
            })
        });
        Timer {
            clock,
            started,
            slow,
            watch,
        }
    }

    /// How long the task has run.
    pub(crate) fn elapsed(&self) -> Duration {
        self.clock.now().saturating_duration_since(self.started)
    }
}

/// A stuck-watched scope, as its guard and the watchdog both see it.
#[derive(Debug)]
pub(crate) struct Watch {
    clock: Clock,
    started: Instant,
    stuck: Duration,
    /// The number of the thread that last made the scope current.
    mark: AtomicU64,
    /// The scope's logger and fields, set when it is first made current (then it is watched).
    ctx: OnceLock<FrameContext>,
    done: AtomicBool,
    /// Set once the stuck warning went out.
    pub(crate) warned: AtomicBool,
}

impl Marked for Watch {
    fn cell(&self) -> &AtomicU64 {
        &self.mark
    }
}

impl Watch {
    /// The scope is made current for the first time with `ctx`: from now on it is watched.
    pub(crate) fn start(self: &Arc<Self>, ctx: &FrameContext) {
        if self.ctx.get().is_none() && self.ctx.set(ctx.clone()).is_ok() {
            watchdog().add(self.clone());
        }
    }

    fn elapsed(&self) -> Duration {
        self.clock.now().saturating_duration_since(self.started)
    }

    /// The task ended: the watchdog forgets it at its next look.
    pub(crate) fn finish(&self) {
        self.done.store(true, Ordering::Release);
    }
}

/// One live timed scope, as [`Registry::live_scopes`](crate::Registry::live_scopes) lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LiveScope {
    /// The scope's logger name.
    pub name: String,
    /// How long it has been live (by the registry's task clock).
    pub age: Duration,
    /// The thread that last entered it or polled its future (`name (#n)`).
    pub thread: String,
    /// Whether it was reported stuck.
    pub stuck: bool,
}

const STRIPES: usize = 8;

struct Watchdog {
    incoming: [Mutex<Vec<Arc<Watch>>>; STRIPES],
    /// The shortest `stuck` threshold ever added (ns): the watchdog looks four times as often.
    shortest: AtomicU64,
    requests: Mutex<Requests>,
    wake: Condvar,
    done: Condvar,
}

#[derive(Default)]
struct Requests {
    asked: u64,
    served: u64,
    /// Asked for a list of the live scopes with the next pass.
    list: bool,
    listed: Vec<(usize, LiveScope)>,
}

fn watchdog() -> &'static Watchdog {
    static DOG: OnceLock<&'static Watchdog> = OnceLock::new();
    DOG.get_or_init(|| {
        let dog: &'static Watchdog = Box::leak(Box::new(Watchdog {
            incoming: Default::default(),
            shortest: AtomicU64::new(u64::MAX),
            requests: Mutex::new(Requests::default()),
            wake: Condvar::new(),
            done: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("scoped-logger-watchdog".into())
            .spawn(move || dog.run())
            .expect("the watchdog thread could not be started");
        dog
    })
}

impl Watchdog {
    fn add(&self, watch: Arc<Watch>) {
        let stripe = thread_number() as usize % STRIPES;
        let ns = u64::try_from(watch.stuck.as_nanos()).unwrap_or(u64::MAX);
        self.incoming[stripe].lock().push(watch);
        // Read first: after the first few scopes this never writes the shared line again.
        if ns < self.shortest.load(Ordering::Relaxed)
            && ns < self.shortest.fetch_min(ns, Ordering::Relaxed)
        {
            // The watchdog may be asleep for longer than this scope's threshold allows.
            let _r = self.requests.lock();
            self.wake.notify_one();
        }
    }

    /// Asks for a full pass (and a list of the live scopes, with `list`), and waits for it.
    fn pass(&self, list: bool) -> Vec<(usize, LiveScope)> {
        let mut r = self.requests.lock();
        r.asked += 1;
        r.list |= list;
        let target = r.asked;
        self.wake.notify_one();
        while r.served < target {
            self.done.wait(&mut r);
        }
        if list { r.listed.clone() } else { Vec::new() }
    }

    fn run(&self) {
        let mut watched: Vec<Arc<Watch>> = Vec::new();
        loop {
            let (target, list) = {
                let mut r = self.requests.lock();
                if r.asked == r.served {
                    let shortest = Duration::from_nanos(self.shortest.load(Ordering::Relaxed));
                    self.wake.wait_for(&mut r, tick(shortest));
                }
                (r.asked, std::mem::take(&mut r.list))
            };
            for stripe in &self.incoming {
                let mut new = std::mem::take(&mut *stripe.lock());
                watched.append(&mut new);
            }
            watched.retain(|w| !w.done.load(Ordering::Acquire));
            let now = Instant::now();
            for w in &watched {
                let stuck = w.stuck;
                if !w.warned.load(Ordering::Relaxed) {
                    let at = if w.clock.is_system() {
                        now
                    } else {
                        w.clock.now()
                    };
                    if at.saturating_duration_since(w.started) >= stuck {
                        fire(w, at);
                    }
                }
            }
            let listed = if list { listing(&watched) } else { Vec::new() };
            let mut r = self.requests.lock();
            if list {
                r.listed = listed;
            }
            r.served = r.served.max(target);
            self.done.notify_all();
        }
    }
}

/// How long the watchdog sleeps between looks: a quarter of the shortest `stuck` threshold
/// it was given, between 10 ms and 1 s.
fn tick(shortest: Duration) -> Duration {
    (shortest / 4).clamp(Duration::from_millis(10), Duration::from_secs(1))
}

fn listing(watched: &[Arc<Watch>]) -> Vec<(usize, LiveScope)> {
    let mut out: Vec<(usize, Instant, LiveScope)> = watched
        .iter()
        .filter(|w| !w.done.load(Ordering::Acquire))
        .filter_map(|w| {
            let ctx = w.ctx.get()?;
            let registry = ctx.logger.inner().map_or(0, |i| registry_id(&i));
            Some((
                registry,
                w.started,
                LiveScope {
                    name: ctx.logger.name().to_owned(),
                    age: w.elapsed(),
                    thread: thread_label(w.mark.load(Ordering::Relaxed)),
                    stuck: w.warned.load(Ordering::Relaxed),
                },
            ))
        })
        .collect();
    out.sort_by_key(|(_, started, _)| *started);
    out.into_iter().map(|(r, _, s)| (r, s)).collect()
}

fn registry_id(inner: &RegistryInner) -> usize {
    inner as *const RegistryInner as usize
}

/// One stuck warning, then the trail so far, within the registry's replay budget. The trail
/// leaves the ring: the task's end replays only what it logged after this report.
fn fire(w: &Watch, now: Instant) {
    let Some(ctx) = w.ctx.get() else { return };
    let logger: &Logger = &ctx.logger;
    if !logger.is_live() || w.warned.swap(true, Ordering::Relaxed) {
        return;
    }
    let Some(inner) = logger.inner() else { return };
    let observer = logger.node.observer();
    let recorder = observer.as_deref().and_then(Recorder::of);
    let grant = inner
        .budget
        .take(1 + recorder.map_or(0, Recorder::trail_len), now);
    if grant.granted == 0 {
        // Nothing said: the ring keeps the trail for the task's end.
        return;
    }
    let trail = recorder.map_or_else(Vec::new, |r| r.take_trail(grant.granted - 1));
    let fields = ctx.fields.as_deref();
    tell_suppressed(logger, grant.untold, fields);
    let stuck_for = now.saturating_duration_since(w.started);
    let thread = thread_label(w.mark.load(Ordering::Relaxed));
    let kvs = [
        ("stuck_ms", Value::U64(stuck_for.as_millis() as u64)),
        ("thread", Value::Str(&thread)),
    ];
    logger.emit_with(
        Level::Warn,
        format_args!("task stuck: still running after {stuck_for:.1?}, last on thread {thread}"),
        &kvs,
        None,
        fields,
    );
    for mut r in trail {
        r.replayed = true;
        r.with_record(|rec| logger.dispatch(rec));
    }
}

/// The one record that says how many replayed records the budget held back since it last said.
pub(crate) fn tell_suppressed(
    logger: &Logger,
    untold: u64,
    fields: Option<&crate::kv::fields::FieldSet>,
) {
    if untold > 0 {
        logger.emit_with(
            Level::Warn,
            format_args!("{untold} replayed records suppressed by the replay budget"),
            &[("suppressed", Value::U64(untold))],
            None,
            fields,
        );
    }
}

impl crate::tree::Registry {
    /// The live scopes with a `stuck` threshold, oldest first, with their age and the thread
    /// that last ran them: what an operator's endpoint can list. Other scopes are not watched
    /// (a `slow` threshold needs only the clock at the start and the end; watching every scope
    /// would cost every enter a registration) and do not appear.
    ///
    /// ```
    /// use std::time::Duration;
    /// let reg = scoped_logger::Registry::new();
    /// let _a = reg.scope("jobs.1").stuck(Duration::from_secs(30)).enter().unwrap();
    /// let _b = reg.scope("jobs.2").stuck(Duration::from_secs(60)).enter().unwrap();
    /// let _c = reg.scope("jobs.3").slow(Duration::from_millis(500)).enter().unwrap();
    /// let live: Vec<String> = reg.live_scopes().into_iter().map(|s| s.name).collect();
    /// assert_eq!(live, ["jobs.1", "jobs.2"]);
    /// ```
    pub fn live_scopes(&self) -> Vec<LiveScope> {
        let me = registry_id(&self.inner);
        watchdog()
            .pass(true)
            .into_iter()
            .filter(|(r, _)| *r == me)
            .map(|(_, s)| s)
            .collect()
    }

    /// Looks at every live timed scope now, as the watchdog does periodically, and returns once
    /// that look is over: every scope past its `stuck` threshold (by the registry's task clock)
    /// has been reported. For tests that move a [`ManualClock`](crate::timing::ManualClock).
    pub fn check_stuck_scopes(&self) {
        watchdog().pass(false);
    }

    /// Replaces this registry's task clock (the system's monotonic clock by default): what
    /// `slow`, `stuck` and the replay budget measure time with.
    pub fn set_task_clock(&self, clock: impl crate::clock::TaskClock) {
        self.inner.clock.store(Some(Arc::new(Box::new(clock))));
    }

    /// How many records per second this registry's flight recorders and stuck-task reports may
    /// replay (default [`DEFAULT_REPLAY_BUDGET`](crate::timing::DEFAULT_REPLAY_BUDGET)); what
    /// goes past it is counted in [`Stats::replays_suppressed`](crate::registry::Stats) and told in one
    /// record on the next replay that goes through.
    pub fn set_replay_budget(&self, records_per_second: u32) {
        self.inner.budget.set(records_per_second);
    }
}
