//! The OpenTelemetry span a record is logged in: its trace and span ids, read from the
//! `opentelemetry` crate's current `Context` at the call (which `tracing-opentelemetry`, with its
//! default context activation, sets for each entered `tracing` span, so the bridge's records
//! see them too), written once as lower-case hex. With no span active this must stay a few
//! instructions; it never panics.

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

/// The 16 lower-case hex digits of `x`, most significant first, computed eight bytes at a
/// time (no table, no loop): each nibble is spread into a byte of its own, then turned into
/// `0`-`9` or `a`-`f` by adding `'0'`, and `'a' - '0' - 10` more where it is 10 or above.
fn hex16(x: u64) -> [u8; 16] {
    const fn repeat(b: u8) -> u128 {
        u128::from_ne_bytes([b; 16])
    }
    let mut n = u128::from(x);
    n = (n | n << 32) & 0x0000_0000_ffff_ffff_0000_0000_ffff_ffff;
    n = (n | n << 16) & 0x0000_ffff_0000_ffff_0000_ffff_0000_ffff;
    n = (n | n << 8) & 0x00ff_00ff_00ff_00ff_00ff_00ff_00ff_00ff;
    n = (n | n << 4) & repeat(0x0f);
    // `(d + 6) >> 4` is 1 exactly for the digits 10 to 15; no byte carries into the next.
    let letters = ((n + repeat(0x06)) >> 4) & repeat(0x01);
    (n + repeat(b'0') + letters * u128::from(b'a' - b'0' - 10)).to_be_bytes()
}

/// The ids of the span current when a record was logged (or a scope entered), as the
/// lower-case hex the records carry: written once at the call, so that every handler reads
/// them as plain strings.
// Aligned so that both ids start on a 16-byte boundary: `str::from_utf8` checks aligned text a
// word at a time, unaligned text byte by byte (three times the instructions).
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(align(16))]
pub(crate) struct TraceIds {
    /// 32 digits of trace id, then 16 of span id.
    hex: [u8; 48],
}

impl fmt::Debug for TraceIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceIds")
            .field("trace_id", &self.trace_id())
            .field("span_id", &self.span_id())
            .finish()
    }
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
    /// The ids `trace` and `span`, as bytes (most significant first).
    pub(crate) fn new(trace: [u8; 16], span: [u8; 8]) -> TraceIds {
        let trace = u128::from_be_bytes(trace);
        let mut hex = [0u8; 48];
        hex[..16].copy_from_slice(&hex16((trace >> 64) as u64));
        hex[16..32].copy_from_slice(&hex16(trace as u64));
        hex[32..].copy_from_slice(&hex16(u64::from_be_bytes(span)));
        TraceIds { hex }
    }

    /// The trace id: 32 lower-case hex digits.
    #[inline]
    pub(crate) fn trace_id(&self) -> &str {
        // Only ASCII digits are ever written.
        std::str::from_utf8(&self.hex[..32]).unwrap_or_default()
    }

    /// The span id: 16 lower-case hex digits.
    #[inline]
    pub(crate) fn span_id(&self) -> &str {
        std::str::from_utf8(&self.hex[32..]).unwrap_or_default()
    }

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
            sc.is_valid()
                .then(|| TraceIds::new(sc.trace_id().to_bytes(), sc.span_id().to_bytes()))
        })
    }

    /// A scope's fields entered with these ids current: `outer`'s, with `trace_id` and
    /// `span_id` set to these (replacing an outer scope's in place, else after the others).
    pub(crate) fn over(&self, outer: Option<&FieldSet>) -> Arc<FieldSet> {
        // A fresh set, not a clone: a clone would keep `outer`'s rendered text.
        let mut set = FieldSet::nested(FieldSet::default(), outer);
        set.set(TRACE_ID, Value::Str(self.trace_id()));
        set.set(SPAN_ID, Value::Str(self.span_id()));
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
        let ids = TraceIds::new(
            0x0af7651916cd43dd8448eb211c80319c_u128.to_be_bytes(),
            0x00ad6b7169203331_u64.to_be_bytes(),
        );
        assert_eq!(ids.trace_id(), "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(ids.span_id(), "00ad6b7169203331");
        for x in [
            0u64,
            1,
            0x0123_4567_89ab_cdef,
            u64::MAX,
            0xa0b1_c2d3_e4f5_0619,
        ] {
            assert_eq!(hex16(x), format!("{x:016x}").as_bytes(), "{x:x}");
        }
        let all = TraceIds::new([0xff; 16], [0; 8]);
        assert_eq!(all.trace_id(), "f".repeat(32));
        assert_eq!(all.span_id(), "0".repeat(16));
    }

    #[test]
    fn the_current_span_is_read_and_none_outside_it() {
        assert_eq!(TraceIds::current(), None);
        let cx = Context::new().with_remote_span_context(span_context(0xabc, 0x12));
        {
            let _g = cx.attach();
            let ids = TraceIds::current().expect("inside the span");
            assert_eq!(ids.trace_id(), format!("{:032x}", 0xabc));
            assert_eq!(ids.span_id(), format!("{:016x}", 0x12));
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
