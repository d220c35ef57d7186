//! [`Directed`]: the wrapper that makes a handler follow the operator's directives (`init`'s
//! stderr handler): a record is passed on only when the directives allow it for its logger,
//! whatever level code gave that logger. It never looks a name up for a record the tree made:
//! the decision comes cached with the logger's level, in the record.

use std::io;
use std::time::Instant;

use crate::handler::handler_trait::Handler;
use crate::level::{Level, LevelFilter};
use crate::record::{Record, VERDICT_UNKNOWN};
use crate::tree::{NAMED, Registry};

/// `inner` behind the global registry's directives and a level of its own set in code.
#[derive(Debug)]
pub(crate) struct Directed<H> {
    inner: H,
    level: LevelFilter,
}

impl<H> Directed<H> {
    pub(crate) fn new(inner: H, level: LevelFilter) -> Directed<H> {
        Directed { inner, level }
    }
}

/// Whether the directives allow `record`: the verdict it carries, else (a record made by hand)
/// the one of its logger's name.
#[inline]
pub(crate) fn allowed(record: &Record<'_>) -> bool {
    let verdict = match record.verdict {
        VERDICT_UNKNOWN => verdict_by_name(record.logger()),
        v => v,
    };
    record.level() as u8 <= verdict & !NAMED
}

#[cold]
fn verdict_by_name(logger: &str) -> u8 {
    let inner = &Registry::global().inner;
    match crate::name::normalize(logger) {
        Ok(name) if logger != "root" => inner.verdict_for(&name),
        _ => inner.verdict_for(""),
    }
}

impl<H: Handler> Handler for Directed<H> {
    #[inline]
    fn handle(&self, record: &Record<'_>) {
        if allowed(record) {
            self.inner.handle(record)
        }
    }
    fn flush(&self) {
        self.inner.flush()
    }
    fn close(&self) {
        self.inner.close()
    }
    #[inline]
    fn enabled(&self, level: Level) -> bool {
        self.level.allows(level) && self.inner.enabled(level)
    }
    fn flush_by(&self, deadline: Instant) -> bool {
        self.inner.flush_by(deadline)
    }
    fn close_by(&self, deadline: Instant) -> bool {
        self.inner.close_by(deadline)
    }
    fn take_error(&self) -> Option<io::Error> {
        self.inner.take_error()
    }
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
    fn target(&self) -> Option<String> {
        self.inner.target()
    }
    fn dropped(&self) -> u64 {
        self.inner.dropped()
    }
}
