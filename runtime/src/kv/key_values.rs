//! [`KeyValues`], the pairs of one record: the call's own in the order written, then the ids of
//! the OpenTelemetry span current at the call (feature `opentelemetry`), then its scope's
//! fields, each key once (the first own pair wins, an own key shadows a field of the same name,
//! the call's span ids shadow the scope's).
//! It only reads what the record lends it; it never copies or allocates.

use std::fmt;

use crate::kv::Value;
use crate::kv::fields::FieldSet;
#[cfg(feature = "opentelemetry")]
use crate::kv::trace_ids::{SPAN_ID, TRACE_ID, TraceIds};

/// A record's key-values: see [`Record::key_values`](crate::Record::key_values). Iterates
/// `(key, value)` pairs.
#[derive(Clone)]
pub struct KeyValues<'a> {
    own: &'a [(&'a str, Value<'a>)],
    fields: Option<&'a FieldSet>,
    /// The span ids of the call, written as `trace_id` and `span_id` after `own`.
    #[cfg(feature = "opentelemetry")]
    trace: Option<&'a TraceIds>,
    /// The next pair: an index into `own`, then past it into the span ids (two when there are
    /// some), then into `fields`.
    pos: usize,
}

impl<'a> KeyValues<'a> {
    /// The call's own pairs `own`, then the scope's `fields`.
    #[inline]
    pub(crate) fn new(own: &'a [(&'a str, Value<'a>)], fields: Option<&'a FieldSet>) -> Self {
        KeyValues {
            own,
            fields,
            #[cfg(feature = "opentelemetry")]
            trace: None,
            pos: 0,
        }
    }

    /// These pairs with the call's span ids after the call's own.
    #[cfg(feature = "opentelemetry")]
    #[inline]
    pub(crate) fn with_trace(mut self, trace: Option<&'a TraceIds>) -> Self {
        self.trace = trace;
        self
    }

    /// How many span ids come after the call's own pairs: 2 or none.
    #[inline]
    fn trace_len(&self) -> usize {
        #[cfg(feature = "opentelemetry")]
        if self.trace.is_some() {
            return 2;
        }
        0
    }

    /// Whether there are none.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.own.is_empty() && self.trace_len() == 0 && self.fields.is_none_or(FieldSet::is_empty)
    }
}

impl<'a> Iterator for KeyValues<'a> {
    type Item = (&'a str, Value<'a>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let i = self.pos;
            self.pos += 1;
            if let Some(&(k, v)) = self.own.get(i) {
                // A key the call wrote twice: the first one counts.
                if self.own[..i].iter().any(|(p, _)| *p == k) {
                    continue;
                }
                return Some((k, v));
            }
            #[cfg(feature = "opentelemetry")]
            if let Some(ids) = self.trace {
                let (k, v) = match i - self.own.len() {
                    0 => (TRACE_ID, Value::Str(ids.trace_id())),
                    1 => (SPAN_ID, Value::Str(ids.span_id())),
                    _ => ("", Value::Null),
                };
                if !k.is_empty() {
                    if self.own.iter().any(|(p, _)| *p == k) {
                        continue;
                    }
                    return Some((k, v));
                }
            }
            let Some((k, v)) = self.fields?.get(i - self.own.len() - self.trace_len()) else {
                self.pos -= 1;
                return None;
            };
            if self.own.iter().any(|(p, _)| *p == k) {
                continue;
            }
            // The span at the call wins over the one the scope was entered in.
            #[cfg(feature = "opentelemetry")]
            if self.trace.is_some() && (k == TRACE_ID || k == SPAN_ID) {
                continue;
            }
            return Some((k, v));
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let total = self.own.len() + self.trace_len() + self.fields.map_or(0, FieldSet::len);
        (0, Some(total.saturating_sub(self.pos)))
    }
}

impl fmt::Debug for KeyValues<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.clone()).finish()
    }
}
