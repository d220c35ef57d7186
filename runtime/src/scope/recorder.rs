//! The task flight recorder and the task summary: what a scope does with the knowledge of when
//! and how its task ended.
//!
//! A recorder keeps the records that are more verbose than the scope's normal level in a bounded
//! ring (by count and by bytes) instead of dropping them. If the task fails, they are replayed
//! through the scope's handlers, in order and marked as replayed, before the scope closes; if it
//! succeeds (or is cancelled), they are discarded unread. Nothing here may run under a lock that a
//! handler could need: replay goes through the ordinary dispatch after the ring is taken.
//!
//! Both plug into the scope's period through [`Observer`]: the tree calls them and knows
//! nothing else of them.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::outcome::Outcome;
use crate::level::{Level, LevelFilter};
use crate::record::{OwnedRecord, Record};
use crate::tree::FrameContext;
use crate::tree::period::Observer;

/// A scope's flight recorder: keep records down to `level` that the scope's normal level would
/// drop, and emit them only if the task fails.
///
/// ```
/// use scoped_logger::{LevelFilter, MemoryHandler, Registry, Level};
/// use scoped_logger::scope::FlightRecorder;
/// let reg = Registry::new();
/// let mem = MemoryHandler::new();
/// reg.root().add_handler(mem.clone());
/// {
///     let task = reg.scope("jobs.1").level(LevelFilter::Info)
///         .flight_recorder(FlightRecorder::new(LevelFilter::Debug))
///         .enter().unwrap();
///     task.log(Level::Debug, format_args!("step 1"));   // kept in the ring
///     task.log(Level::Warn, format_args!("retrying"));  // emitted now
///     task.fail();
/// }
/// let msgs: Vec<_> = mem.records().iter().map(|r| (r.message.clone(), r.replayed)).collect();
/// assert_eq!(msgs, [("retrying".to_string(), false), ("step 1".to_string(), true)]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlightRecorder {
    level: LevelFilter,
    max_records: usize,
    max_bytes: usize,
}

impl FlightRecorder {
    /// Keeps records down to `level` (e.g. `Debug`); by default the last 1,000 records, 1 MiB at
    /// most.
    pub fn new(level: LevelFilter) -> Self {
        FlightRecorder {
            level,
            max_records: 1000,
            max_bytes: 1 << 20,
        }
    }

    /// At most this many records are kept (the oldest go first).
    pub fn max_records(mut self, n: usize) -> Self {
        self.max_records = n;
        self
    }

    /// At most this many bytes of records are kept (message, names and values); a single record
    /// larger than this is not kept at all, and counted as discarded.
    pub fn max_bytes(mut self, n: usize) -> Self {
        self.max_bytes = n;
        self
    }

    /// The most verbose level kept.
    pub fn level(&self) -> LevelFilter {
        self.level
    }
}

/// What a live period with a recorder or a summary keeps: the scope's [`Observer`].
pub(crate) struct Recorder {
    pub(crate) ring: Option<Ring>,
    /// Whether the period ends with a summary line.
    summary: bool,
    pub(crate) started: Instant,
    /// Records made on the scope's logger, per level (index = `Level as usize - 1`).
    pub(crate) counts: [AtomicU64; 5],
    /// Records replayed and discarded so far in the period (every failing scope replays).
    replayed: AtomicU64,
    discarded: AtomicU64,
    /// The failure a scope of the period reported (an `Outcome` as its index in
    /// [`OUTCOMES`], 0 for none): the summary tells it even when the last one out is a
    /// scope that did not fail (a same-name scope, or a `Context` carried into a child task).
    failure: AtomicU8,
    /// What the first failing scope said about its failure (its error), for the summary.
    reason: Mutex<Option<String>>,
    /// The records more verbose than this go to the ring (a `LevelFilter` number).
    pub(crate) normal: AtomicU8,
}

/// The failures a period remembers, least severe first (index 0: none).
const OUTCOMES: [Outcome; 4] = [Outcome::Ok, Outcome::Slow, Outcome::Err, Outcome::Panic];

pub(crate) struct Ring {
    limits: FlightRecorder,
    state: Mutex<RingState>,
}

#[derive(Default)]
struct RingState {
    records: VecDeque<(OwnedRecord, usize)>,
    bytes: usize,
    /// Records evicted or refused by the bounds.
    discarded: u64,
}

fn size_of(r: &OwnedRecord) -> usize {
    std::mem::size_of::<OwnedRecord>()
        + r.logger.len()
        + r.message.len()
        + r.key_values
            .iter()
            .map(|(k, v)| k.len() + v.to_string().len() + 16)
            .sum::<usize>()
        + r.thread_name.as_ref().map_or(0, String::len)
}

impl Ring {
    fn push(&self, record: &Record<'_>) {
        let owned = record.to_owned();
        let size = size_of(&owned);
        let mut st = self.state.lock();
        if size > self.limits.max_bytes || self.limits.max_records == 0 {
            st.discarded += 1;
            return;
        }
        while st.records.len() >= self.limits.max_records || st.bytes + size > self.limits.max_bytes
        {
            match st.records.pop_front() {
                Some((_, s)) => {
                    st.bytes -= s;
                    st.discarded += 1;
                }
                None => break,
            }
        }
        st.bytes += size;
        st.records.push_back((owned, size));
    }

    /// How many records the ring holds now.
    fn len(&self) -> usize {
        self.state.lock().records.len()
    }

    /// Takes what the ring holds, oldest first, and leaves the count of what it could not
    /// keep for the end of the task.
    fn drain(&self) -> Vec<OwnedRecord> {
        let mut st = self.state.lock();
        st.bytes = 0;
        st.records.drain(..).map(|(r, _)| r).collect()
    }

    /// Takes what the ring holds and how many records it could not keep.
    fn take(&self) -> (Vec<OwnedRecord>, u64) {
        let mut st = self.state.lock();
        let records = st.records.drain(..).map(|(r, _)| r).collect();
        st.bytes = 0;
        (records, std::mem::take(&mut st.discarded))
    }
}

impl Recorder {
    pub(crate) fn new(recorder: Option<FlightRecorder>, summary: bool) -> Recorder {
        Recorder {
            ring: recorder.map(|limits| Ring {
                limits,
                state: Mutex::new(RingState::default()),
            }),
            summary,
            started: Instant::now(),
            counts: Default::default(),
            replayed: AtomicU64::new(0),
            discarded: AtomicU64::new(0),
            failure: AtomicU8::new(0),
            reason: Mutex::new(None),
            normal: AtomicU8::new(LevelFilter::Off as u8),
        }
    }

    /// The end of the task: replays the ring on failure, discards it otherwise; then, when
    /// `summarize` (the last scope of the period, with a summary), emits one line. `scope` is the
    /// ending scope's context (its still live logger, its fields); the caller has stopped the
    /// node's observation when summarizing.
    fn finish(&self, summarize: bool, scope: &FrameContext, outcome: Outcome) {
        let logger = &scope.logger;
        if outcome.replays() {
            let code = OUTCOMES.iter().position(|o| *o == outcome).unwrap_or(0) as u8;
            self.failure.fetch_max(code, Ordering::Relaxed);
        }
        let (kept, mut discarded) = match &self.ring {
            Some(ring) => ring.take(),
            None => (Vec::new(), 0),
        };
        if outcome.replays() && !kept.is_empty() {
            // Within the registry's replay budget: the newest records (nearest the end) first.
            let granted = match logger.inner() {
                Some(inner) => {
                    let grant = inner.budget.take(kept.len(), inner.clock().now());
                    super::watchdog::tell_suppressed(logger, grant.untold, scope.fields.as_deref());
                    grant.granted
                }
                None => kept.len(),
            };
            // A replay is shown wherever the failure that set it off is (an ERROR, a slow
            // task's WARN): judged as that record would be, not at each replayed one's level.
            let trigger = if outcome == Outcome::Slow {
                Level::Warn
            } else {
                Level::Error
            };
            let verdict = logger.node.verdict();
            let shown = trigger as u8 <= verdict & !crate::tree::NAMED;
            let verdict = if shown {
                LevelFilter::Trace as u8
            } else {
                LevelFilter::Off as u8
            };
            for r in &kept[kept.len() - granted..] {
                let mut r = r.clone();
                r.replayed = true;
                r.with_record_judged(verdict, |rec| logger.dispatch(rec));
            }
            self.replayed.fetch_add(granted as u64, Ordering::Relaxed);
            discarded += (kept.len() - granted) as u64;
        } else {
            discarded += kept.len() as u64;
        }
        self.discarded.fetch_add(discarded, Ordering::Relaxed);
        if summarize {
            let outcome = match self.failure.load(Ordering::Relaxed) {
                0 => outcome,
                code => OUTCOMES[code as usize],
            };
            let replayed = self.replayed.load(Ordering::Relaxed);
            let discarded = self.discarded.load(Ordering::Relaxed);
            let c: Vec<u64> = self
                .counts
                .iter()
                .map(|c| c.load(Ordering::Relaxed))
                .collect();
            let elapsed: Duration = self.started.elapsed();
            let level = if outcome.is_failure() {
                Level::Error
            } else if outcome == Outcome::Slow {
                Level::Warn
            } else {
                Level::Info
            };
            // A panic says what it was (the panic hook noted it on this, the unwinding thread).
            let panic = (outcome == Outcome::Panic)
                .then(crate::panic::unwinding)
                .flatten();
            let mut kvs = vec![
                ("outcome", crate::kv::Value::Str(outcome.as_str())),
                (
                    "duration_us",
                    crate::kv::Value::U64(elapsed.as_micros() as u64),
                ),
                ("error", crate::kv::Value::U64(c[0])),
                ("warn", crate::kv::Value::U64(c[1])),
                ("info", crate::kv::Value::U64(c[2])),
                ("debug", crate::kv::Value::U64(c[3])),
                ("trace", crate::kv::Value::U64(c[4])),
                ("replayed", crate::kv::Value::U64(replayed)),
                ("discarded", crate::kv::Value::U64(discarded)),
            ];
            let reason = (outcome == Outcome::Err)
                .then(|| self.reason.lock().clone())
                .flatten();
            if let Some(r) = &reason {
                kvs.push(("reason", crate::kv::Value::Str(r)));
            }
            if let Some(p) = &panic {
                kvs.push(("panic", crate::kv::Value::Str(&p.message)));
                if let Some(l) = &p.location {
                    kvs.push(("location", crate::kv::Value::Str(l)));
                }
            }
            // A record at its own level, filtered like any other: `off` (or `error` for an `ok`
            // task) silences it; what a flight recorder would keep back is not made either.
            let normal = match &self.ring {
                Some(_) => self.normal.load(Ordering::Relaxed),
                None => LevelFilter::Trace as u8,
            };
            let verdict = logger.node.verdict();
            let named = verdict & crate::tree::NAMED != 0;
            let asked = named && level as u8 <= verdict & !crate::tree::NAMED;
            if !logger.enabled(level) || (level as u8 > normal && !asked) {
                return;
            }
            logger.emit_with(
                level,
                format_args!("task {} after {elapsed:.1?}", outcome.as_str()),
                &kvs,
                None,
                scope.fields.as_deref(),
            );
        }
    }
}

impl Observer for Recorder {
    fn begin(&self, normal: LevelFilter) -> Option<LevelFilter> {
        self.normal.store(normal as u8, Ordering::Relaxed);
        self.ring.as_ref().map(|r| r.limits.level)
    }

    /// Called for every record that passes through the node. Returns `true` when the record
    /// was kept by the recorder (and so must not go on).
    #[cold]
    fn observe(&self, record: &Record<'_>, origin: bool) -> bool {
        if record.is_replayed() {
            return false;
        }
        if origin && self.summary {
            self.counts[record.level() as usize - 1].fetch_add(1, Ordering::Relaxed);
        }
        // A record a named directive asked for (`ureq=debug` inside this scope) is shown, not
        // kept back: the operator's word.
        if record.level() as u8 > self.normal.load(Ordering::Relaxed)
            && !record.admitted_by_directive()
            && let Some(ring) = &self.ring
        {
            ring.push(record);
            return true;
        }
        false
    }
}

/// What the scope asks of its period's recorder at the end of a task (the tree never does).
impl Recorder {
    /// The recorder of `observer`, when the period has one.
    pub(crate) fn of(observer: &dyn Observer) -> Option<&Recorder> {
        (observer as &dyn std::any::Any).downcast_ref()
    }

    /// A failing scope replays the ring (same-name scopes share it); the last one out discards
    /// what is left and, with a summary, says how the task went.
    pub(crate) fn end(&self, scope: &FrameContext, outcome: Outcome, last: bool) {
        if outcome.replays() || last {
            self.finish(last && self.summary, scope, outcome);
        }
    }

    /// A scope of the period failed and is about to leave: it still holds the period, so what
    /// it replays reaches the period's handlers whichever scope ends last.
    pub(crate) fn failed(&self, scope: &FrameContext, outcome: Outcome) {
        self.finish(false, scope, outcome);
    }

    /// Why a scope of the period failed (the error an `err` function returned), for the summary.
    pub(crate) fn reason(&self, why: &str) {
        self.reason.lock().get_or_insert_with(|| why.to_owned());
    }

    /// How many records a stuck task's report would show now (before the replay budget).
    pub(crate) fn trail_len(&self) -> usize {
        self.ring.as_ref().map_or(0, Ring::len)
    }

    /// The trail so far, for a stuck task's report, of which the newest `shown` are replayed
    /// there and the rest counted as discarded. The ring gives them up: the end of a task that
    /// fails or is slow replays only what came after the report, not the same lines again.
    pub(crate) fn take_trail(&self, shown: usize) -> Vec<OwnedRecord> {
        let mut trail = self.ring.as_ref().map_or_else(Vec::new, Ring::drain);
        let shown = shown.min(trail.len());
        let held_back = trail.len() - shown;
        trail.drain(..held_back);
        self.replayed.fetch_add(shown as u64, Ordering::Relaxed);
        self.discarded
            .fetch_add(held_back as u64, Ordering::Relaxed);
        trail
    }
}
