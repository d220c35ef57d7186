//! What a handler receives: [`Record`], borrowed for the duration of one `handle` call, and
//! [`OwnedRecord`], a copy that outlives it (memory handler, flight recorder, queues).
//!
//! Building a `Record` must not allocate: everything is borrowed from the call site.

use std::fmt;
use std::time::SystemTime;

use crate::kv::fields::FieldSet;
use crate::kv::key_values::KeyValues;
#[cfg(feature = "opentelemetry")]
use crate::kv::trace_ids::TraceIds;
use crate::kv::{OwnedValue, Value, render};
use crate::level::Level;

/// Where a record was logged: fixed per call site, so the macros put it in a `static`.
///
/// Non-exhaustive (a column may come): build one with [`Location::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Location {
    /// `module_path!()` of the call site.
    pub module_path: &'static str,
    /// `file!()` of the call site.
    pub file: &'static str,
    /// `line!()` of the call site.
    pub line: u32,
}

impl Location {
    /// The call site `module_path`, `file`, `line`; `const`, so it can live in a `static`.
    pub const fn new(module_path: &'static str, file: &'static str, line: u32) -> Location {
        Location {
            module_path,
            file,
            line,
        }
    }
}

/// One log record, borrowed from the call site for the duration of a `handle` call.
///
/// Handlers that keep records beyond the call copy them with [`Record::to_owned`].
#[derive(Clone, Copy)]
pub struct Record<'a> {
    pub(crate) level: Level,
    pub(crate) logger: &'a str,
    pub(crate) args: fmt::Arguments<'a>,
    pub(crate) kvs: &'a [(&'a str, Value<'a>)],
    /// The fields of the scope the record was logged in (and of the scopes around it).
    pub(crate) fields: Option<&'a FieldSet>,
    /// The ids of the OpenTelemetry span current at the call, if any.
    #[cfg(feature = "opentelemetry")]
    pub(crate) trace: Option<&'a TraceIds>,
    pub(crate) time: SystemTime,
    pub(crate) thread_name: Option<&'a str>,
    pub(crate) module_path: Option<&'a str>,
    pub(crate) file: Option<&'a str>,
    pub(crate) line: Option<u32>,
    pub(crate) replayed: bool,
    /// What the operator's directives allow for this record (a node's verdict: a
    /// `LevelFilter` number, with `NAMED` when a named directive decided), or
    /// [`VERDICT_UNKNOWN`]: then whoever needs it looks it up by the logger's name.
    pub(crate) verdict: u8,
}

/// [`Record::verdict`] when the maker did not say.
pub(crate) const VERDICT_UNKNOWN: u8 = 0x40;

impl<'a> Record<'a> {
    /// Builds a record by hand (tests, bridges, custom front-ends). The time is now; the thread
    /// name is the calling thread's.
    pub fn builder(level: Level, logger: &'a str, args: fmt::Arguments<'a>) -> RecordBuilder<'a> {
        RecordBuilder {
            record: Record {
                level,
                logger,
                args,
                kvs: &[],
                fields: None,
                #[cfg(feature = "opentelemetry")]
                trace: None,
                time: SystemTime::now(),
                thread_name: None,
                module_path: None,
                file: None,
                line: None,
                replayed: false,
                verdict: VERDICT_UNKNOWN,
            },
        }
    }

    /// The record's level.
    pub fn level(&self) -> Level {
        self.level
    }
    /// The name of the logger the record was logged on (`""` is the root).
    pub fn logger(&self) -> &'a str {
        self.logger
    }
    /// The message; `Display` it or pass it to `write!`.
    pub fn args(&self) -> &fmt::Arguments<'a> {
        &self.args
    }
    /// The key-values: the call's own, in the order they were written, then the fields of the
    /// scope it was logged in (the innermost scope's first). Each key appears once: a call's own
    /// key shadows a field of the same name, an inner scope's field an outer one's.
    ///
    /// With the feature `opentelemetry`, a record logged while an OpenTelemetry span was active
    /// carries its `trace_id` (32 lower-case hex digits) and `span_id` (16) after the call's
    /// own; a scope entered inside a span carries that span's among its fields, and the span at
    /// the call wins over the scope's.
    #[inline]
    pub fn key_values(&self) -> KeyValues<'a> {
        let kvs = KeyValues::new(self.kvs, self.fields);
        #[cfg(feature = "opentelemetry")]
        let kvs = kvs.with_trace(self.trace);
        kvs
    }
    /// The call's own key-values only (each key once, the span ids at the call included),
    /// without the scope's fields.
    #[inline]
    pub(crate) fn own_key_values(&self) -> KeyValues<'a> {
        let kvs = KeyValues::new(self.kvs, None);
        #[cfg(feature = "opentelemetry")]
        let kvs = kvs.with_trace(self.trace);
        kvs
    }
    /// Whether `key` is one of [`own_key_values`](Self::own_key_values)'s keys (a field of that
    /// name is then shadowed).
    #[inline]
    pub(crate) fn own_has_key(&self, key: &[u8]) -> bool {
        #[cfg(feature = "opentelemetry")]
        if self.trace.is_some()
            && (key == crate::kv::trace_ids::TRACE_ID.as_bytes()
                || key == crate::kv::trace_ids::SPAN_ID.as_bytes())
        {
            return true;
        }
        self.kvs.iter().any(|(own, _)| own.as_bytes() == key)
    }
    /// When the record was made.
    pub fn time(&self) -> SystemTime {
        self.time
    }
    /// The name of the thread that logged it, when it has one.
    pub fn thread_name(&self) -> Option<&'a str> {
        self.thread_name
    }
    /// `module_path!()` of the call site, when known.
    pub fn module_path(&self) -> Option<&'a str> {
        self.module_path
    }
    /// `file!()` of the call site, when known.
    pub fn file(&self) -> Option<&'a str> {
        self.file
    }
    /// `line!()` of the call site, when known.
    pub fn line(&self) -> Option<u32> {
        self.line
    }
    /// Whether this record is being emitted again after the fact (flight-recorder replay).
    pub fn is_replayed(&self) -> bool {
        self.replayed
    }

    /// Whether a named directive covering the record's logger (or, bridged, its target) lets
    /// it through: such a record is the operator's ask and is shown, not kept back.
    #[inline]
    pub(crate) fn admitted_by_directive(&self) -> bool {
        let v = self.verdict;
        v != VERDICT_UNKNOWN
            && v & crate::tree::NAMED != 0
            && self.level as u8 <= v & !crate::tree::NAMED
    }

    /// An owned copy: the message is formatted once, `Display`/`Debug` values become strings.
    pub fn to_owned(&self) -> OwnedRecord {
        OwnedRecord {
            level: self.level,
            logger: self.logger.to_owned(),
            message: render(self.args),
            key_values: self
                .key_values()
                .map(|(k, v)| (k.to_owned(), v.to_owned_value()))
                .collect(),
            time: self.time,
            thread_name: self.thread_name.map(str::to_owned),
            module_path: self.module_path().map(str::to_owned),
            file: self.file().map(str::to_owned),
            line: self.line(),
            replayed: self.replayed,
        }
    }
}

impl fmt::Debug for Record<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("level", &self.level)
            .field("logger", &self.logger)
            .field("args", &self.args)
            .field("key_values", &self.key_values())
            .field("time", &self.time)
            .field("thread_name", &self.thread_name)
            .field("module_path", &self.module_path)
            .field("file", &self.file)
            .field("line", &self.line)
            .finish()
    }
}

/// Builder for a hand-made [`Record`]; see [`Record::builder`].
#[derive(Debug)]
pub struct RecordBuilder<'a> {
    record: Record<'a>,
}

impl<'a> RecordBuilder<'a> {
    /// Sets the call's own key-values.
    pub fn key_values(mut self, kvs: &'a [(&'a str, Value<'a>)]) -> Self {
        self.record.kvs = kvs;
        self
    }
    /// Sets what the operator's directives allow for it (see [`Record::verdict`]).
    pub(crate) fn verdict(mut self, verdict: u8) -> Self {
        self.record.verdict = verdict;
        self
    }
    /// Sets the scope fields the record carries after its own key-values.
    pub(crate) fn fields(mut self, fields: Option<&'a FieldSet>) -> Self {
        self.record.fields = fields;
        self
    }
    /// Sets the ids of the OpenTelemetry span the record was logged in.
    #[cfg(feature = "opentelemetry")]
    pub(crate) fn trace(mut self, trace: Option<&'a TraceIds>) -> Self {
        self.record.trace = trace;
        self
    }
    /// Sets the time.
    pub fn time(mut self, time: SystemTime) -> Self {
        self.record.time = time;
        self
    }
    /// Sets the thread name.
    pub fn thread_name(mut self, name: Option<&'a str>) -> Self {
        self.record.thread_name = name;
        self
    }
    /// Sets the call site.
    pub fn location(mut self, location: &Location) -> Self {
        self.record.module_path = Some(location.module_path);
        self.record.file = Some(location.file);
        self.record.line = Some(location.line);
        self
    }
    /// Sets the module path, file and line separately (bridges from other facades).
    pub fn source(
        mut self,
        module_path: Option<&'a str>,
        file: Option<&'a str>,
        line: Option<u32>,
    ) -> Self {
        self.record.module_path = module_path;
        self.record.file = file;
        self.record.line = line;
        self
    }
    /// Marks the record as a replay.
    pub fn replayed(mut self, replayed: bool) -> Self {
        self.record.replayed = replayed;
        self
    }
    /// The record.
    pub fn build(self) -> Record<'a> {
        self.record
    }
}

/// An owned copy of a [`Record`]: what [`MemoryHandler`](crate::MemoryHandler) keeps. Its fields
/// are public to read; new ones may come, so it is made with [`Record::to_owned`], not by hand.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct OwnedRecord {
    /// The level.
    pub level: Level,
    /// The logger name.
    pub logger: String,
    /// The formatted message.
    pub message: String,
    /// The key-values.
    pub key_values: Vec<(String, OwnedValue)>,
    /// When it was made.
    pub time: SystemTime,
    /// The thread name, when the thread had one.
    pub thread_name: Option<String>,
    /// The module path of the call site.
    pub module_path: Option<String>,
    /// The file of the call site.
    pub file: Option<String>,
    /// The line of the call site.
    pub line: Option<u32>,
    /// Whether it was a replay.
    pub replayed: bool,
}

impl OwnedRecord {
    /// The value of the first key-value named `key`.
    pub fn value(&self, key: &str) -> Option<&OwnedValue> {
        self.key_values
            .iter()
            .find_map(|(k, v)| (k == key).then_some(v))
    }

    /// Calls `f` with this record borrowed as a [`Record`] (to pass it on to another handler).
    pub fn with_record<R>(&self, f: impl FnOnce(&Record<'_>) -> R) -> R {
        self.with_record_judged(VERDICT_UNKNOWN, f)
    }

    /// [`with_record`](Self::with_record) with what the directives allow for it said.
    pub(crate) fn with_record_judged<R>(&self, verdict: u8, f: impl FnOnce(&Record<'_>) -> R) -> R {
        let kvs: Vec<(&str, Value<'_>)> = self
            .key_values
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_value()))
            .collect();
        let record = Record {
            level: self.level,
            logger: &self.logger,
            args: format_args!("{}", self.message),
            kvs: &kvs,
            fields: None,
            #[cfg(feature = "opentelemetry")]
            trace: None,
            time: self.time,
            thread_name: self.thread_name.as_deref(),
            module_path: self.module_path.as_deref(),
            file: self.file.as_deref(),
            line: self.line,
            replayed: self.replayed,
            verdict,
        };
        f(&record)
    }
}
