//! The OpenTelemetry span a record is logged in: its trace and span ids, read from the
//! `opentelemetry` crate's current `Context` at the call (which `tracing-opentelemetry`, with its
//! default context activation, sets for each entered `tracing` span, so the bridge's records
//! see them too), kept as bytes and written as lower-case hex only by a handler that writes
//! them. With no span active this must stay a few instructions; it never panics.

use std::cell::Cell;
use std::fmt;
use std::sync::Arc;

use opentelemetry::Context;
use opentelemetry::trace::TraceContextExt;

use crate::kv::Value;
use crate::kv::fields::FieldSet;

/// The key the trace id is carried under.
pub(crate) const TRACE_ID: &str = "trace_id";
/// The key the span id is carried under.
pub(crate) const SPAN_ID: &str = "span_id";

/// An id that `Display`s as lower-case hex, two digits a byte.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hex<const N: usize>(pub(crate) [u8; N]);

impl<const N: usize> fmt::Display for Hex<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        // Up to 16 bytes (a trace id): 32 digits on the stack.
        let mut buf = [0u8; 32];
        for (i, b) in self.0.iter().take(16).enumerate() {
            buf[2 * i] = DIGITS[usize::from(b >> 4)];
            buf[2 * i + 1] = DIGITS[usize::from(b & 0xf)];
        }
        let digits = &buf[..2 * N.min(16)];
        // Only ASCII digits were written.
        f.write_str(std::str::from_utf8(digits).unwrap_or_default())
    }
}

impl<const N: usize> fmt::Debug for Hex<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The ids of the span current when a record was logged (or a scope entered).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TraceIds {
    pub(crate) trace: Hex<16>,
    pub(crate) span: Hex<8>,
}

thread_local! {
    /// 0: this thread has not read OpenTelemetry's context yet; 1: it has, and [`ALIVE`] was
    /// made after OpenTelemetry's own thread-local; 2: [`ALIVE`] is gone (the thread is
    /// ending). No destructor, so it can be read at any point of a thread's end.
    static STATE: Cell<u8> = const { Cell::new(0) };
    /// Made right after OpenTelemetry's thread-local, so destroyed before it (a thread's
    /// thread-locals go in the reverse order of their making): once this one is gone, reading
    /// OpenTelemetry's context could panic, and a record logged from another thread-local's
    /// destructor gets no ids instead.
    static ALIVE: Alive = const { Alive };
}

struct Alive;

impl Drop for Alive {
    fn drop(&mut self) {
        let _ = STATE.try_with(|s| s.set(2));
    }
}

impl TraceIds {
    /// The ids of the OpenTelemetry span active on this thread now, if any.
    #[inline]
    pub(crate) fn current() -> Option<TraceIds> {
        match STATE.try_with(Cell::get) {
            Ok(1) => Self::read(),
            Ok(0) => Self::first_read(),
            _ => None,
        }
    }

    #[inline]
    fn read() -> Option<TraceIds> {
        Context::map_current(|cx| {
            if !cx.has_active_span() {
                return None;
            }
            let span = cx.span();
            let sc = span.span_context();
            sc.is_valid().then(|| TraceIds {
                trace: Hex(sc.trace_id().to_bytes()),
                span: Hex(sc.span_id().to_bytes()),
            })
        })
    }

    /// A scope's fields entered with these ids current: `outer`'s, with `trace_id` and
    /// `span_id` set to these (replacing an outer scope's in place, else after the others).
    pub(crate) fn over(&self, outer: Option<&FieldSet>) -> Arc<FieldSet> {
        // A fresh set, not a clone: a clone would keep `outer`'s rendered text.
        let mut set = FieldSet::nested(FieldSet::default(), outer);
        set.set(TRACE_ID, Value::Display(&self.trace));
        set.set(SPAN_ID, Value::Display(&self.span));
        Arc::new(set)
    }

    /// Once per thread: makes OpenTelemetry's thread-local, then [`ALIVE`] after it.
    #[cold]
    fn first_read() -> Option<TraceIds> {
        let ids = Self::read();
        if ALIVE.try_with(|_| ()).is_ok() {
            let _ = STATE.try_with(|s| s.set(1));
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};

    fn span_context(trace: u128, span: u64) -> SpanContext {
        SpanContext::new(
            TraceId::from(trace),
            SpanId::from(span),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        )
    }

    #[test]
    fn ids_are_lower_case_hex_of_their_width() {
        let ids = TraceIds {
            trace: Hex(0x0af7651916cd43dd8448eb211c80319c_u128.to_be_bytes()),
            span: Hex(0x00ad6b7169203331_u64.to_be_bytes()),
        };
        assert_eq!(ids.trace.to_string(), "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(ids.span.to_string(), "00ad6b7169203331");
    }

    #[test]
    fn the_current_span_is_read_and_none_outside_it() {
        assert_eq!(TraceIds::current(), None);
        let cx = Context::new().with_remote_span_context(span_context(0xabc, 0x12));
        {
            let _g = cx.attach();
            let ids = TraceIds::current().expect("inside the span");
            assert_eq!(ids.trace.to_string(), format!("{:032x}", 0xabc));
            assert_eq!(ids.span.to_string(), format!("{:016x}", 0x12));
        }
        assert_eq!(TraceIds::current(), None, "the span is no longer current");
        let invalid = Context::new().with_remote_span_context(SpanContext::empty_context());
        let _g = invalid.attach();
        assert_eq!(
            TraceIds::current(),
            None,
            "an invalid span context is no span"
        );
    }

    #[test]
    fn a_record_logged_while_the_thread_ends_gets_no_ids_and_no_panic() {
        struct LogsAtExit;
        impl Drop for LogsAtExit {
            fn drop(&mut self) {
                // Runs after ALIVE is gone (made before it): must not touch OpenTelemetry.
                assert_eq!(TraceIds::current(), None);
            }
        }
        thread_local! {
            static LATE: std::cell::RefCell<Option<LogsAtExit>> = const { std::cell::RefCell::new(None) };
        }
        std::thread::spawn(|| {
            LATE.with(|l| *l.borrow_mut() = Some(LogsAtExit));
            let cx = Context::new().with_remote_span_context(span_context(1, 1));
            let _g = cx.attach();
            assert!(TraceIds::current().is_some());
        })
        .join()
        .expect("no panic at the thread's end");
    }
}
