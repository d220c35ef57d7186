//! A scope's fields: the key-values every record logged while the scope is current carries
//! after the call's own (tracing's span fields, log4j's MDC, slog's `o!`).
//!
//! A [`FieldSet`] is built once, when the scope is entered, and is immutable afterwards: values
//! are rendered to text or copied then, so the scope may outlive what they borrowed. It already
//! holds the fields of the scopes around it (an inner key shadows an outer one), so a record
//! reads one set and never walks a chain. Keys, values and text share one allocation (the `Arc`)
//! for the common case of a few short fields; nothing here is touched per record but a read.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use smallvec::SmallVec;

use crate::kv::{ToValue, Value, render};

/// Where a piece of text lives in a set's buffer.
#[derive(Clone, Copy)]
struct Span {
    start: u32,
    len: u32,
}

/// A value, with its text (if any) in the set's buffer.
#[derive(Clone, Copy)]
enum Slot {
    Str(Span),
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
    Null,
}

#[derive(Clone, Copy)]
struct Entry {
    key: Span,
    value: Slot,
}

/// The fields a scope adds to its records, with those of the scopes around it (public only so
/// that hidden macro support can name it; not reachable from outside the crate).
#[derive(Clone, Default)]
pub struct FieldSet {
    entries: SmallVec<[Entry; 4]>,
    text: SmallVec<[u8; 64]>,
}

impl fmt::Debug for FieldSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FieldSet {
    fn push_text(&mut self, s: &str) -> Span {
        let start = self.text.len() as u32;
        self.text.extend_from_slice(s.as_bytes());
        Span {
            start,
            len: s.len() as u32,
        }
    }

    fn bytes(&self, span: Span) -> &[u8] {
        let (start, len) = (span.start as usize, span.len as usize);
        self.text.get(start..start + len).unwrap_or_default()
    }

    fn text(&self, span: Span) -> &str {
        let (start, len) = (span.start as usize, span.len as usize);
        // Only whole `str`s are ever pushed, and spans cover exactly one of them.
        self.text
            .get(start..start + len)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }

    fn index_of(&self, key: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| self.bytes(e.key) == key.as_bytes())
    }

    /// Sets `key` to `value`: a key already there is replaced in place (it keeps its position).
    pub(crate) fn set(&mut self, key: &str, value: Value<'_>) {
        let slot = match value {
            Value::Str(s) => Slot::Str(self.push_text(s)),
            Value::I64(v) => Slot::I64(v),
            Value::U64(v) => Slot::U64(v),
            Value::F64(v) => Slot::F64(v),
            Value::Bool(v) => Slot::Bool(v),
            Value::Null => Slot::Null,
            Value::Char(c) => Slot::Str(self.push_text(c.encode_utf8(&mut [0; 4]))),
            other => {
                // `Display`/`Debug` (and anything added later) are rendered now: the scope may
                // outlive what they borrow. Written straight into the buffer.
                let start = self.text.len();
                let mut w = TextWriter(&mut self.text);
                if write!(w, "{other}").is_err() {
                    self.text.truncate(start);
                    let s = render(format_args!("{other}"));
                    Slot::Str(self.push_text(&s))
                } else {
                    Slot::Str(Span {
                        start: start as u32,
                        len: (self.text.len() - start) as u32,
                    })
                }
            }
        };
        match self.index_of(key) {
            Some(i) => self.entries[i].value = slot,
            None => {
                let key = self.push_text(key);
                self.entries.push(Entry { key, value: slot });
            }
        }
    }

    /// The fields of a scope entered inside `outer`: `own` first, then the outer fields whose
    /// keys `own` does not have.
    pub(crate) fn nested(mut own: FieldSet, outer: Option<&FieldSet>) -> FieldSet {
        if let Some(outer) = outer {
            for (k, v) in outer.iter() {
                if own.index_of(k).is_none() {
                    own.set(k, v);
                }
            }
        }
        own
    }

    /// Whether there are no fields.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many fields.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The field at `i` (in order: the scope's own, then the outer scopes').
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<(&str, Value<'_>)> {
        let e = self.entries.get(i)?;
        let value = match e.value {
            Slot::Str(s) => Value::Str(self.text(s)),
            Slot::I64(v) => Value::I64(v),
            Slot::U64(v) => Value::U64(v),
            Slot::F64(v) => Value::F64(v),
            Slot::Bool(v) => Value::Bool(v),
            Slot::Null => Value::Null,
        };
        Some((self.text(e.key), value))
    }

    /// The field at `i` as stored: the key's bytes, and a text value as bytes too. Both are
    /// whole UTF-8 strings; a writer that only scans and copies them (the text line) reads them
    /// here without checking that again, which is most of what [`get`](Self::get) costs.
    #[inline]
    pub(crate) fn get_raw(&self, i: usize) -> Option<(&[u8], RawValue<'_>)> {
        let e = self.entries.get(i)?;
        let value = match e.value {
            Slot::Str(s) => RawValue::Text(self.bytes(s)),
            Slot::I64(v) => RawValue::Other(Value::I64(v)),
            Slot::U64(v) => RawValue::Other(Value::U64(v)),
            Slot::F64(v) => RawValue::Other(Value::F64(v)),
            Slot::Bool(v) => RawValue::Other(Value::Bool(v)),
            Slot::Null => RawValue::Other(Value::Null),
        };
        Some((self.bytes(e.key), value))
    }

    /// The fields, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, Value<'_>)> {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

/// A field's value as [`FieldSet::get_raw`] reads it.
#[derive(Clone, Copy)]
pub(crate) enum RawValue<'a> {
    /// Text, as the bytes of a whole UTF-8 string.
    Text(&'a [u8]),
    /// Anything else (a number, a boolean, null), which borrows nothing.
    Other(Value<'static>),
}

struct TextWriter<'a>(&'a mut SmallVec<[u8; 64]>);

impl fmt::Write for TextWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// The fields a scope is given before it is entered ([`ScopeBuilder::field`] and the
/// attribute's `fields(...)`): owned, so they can be captured when an `async fn` is called and
/// used when its future is first polled.
///
/// [`ScopeBuilder::field`]: crate::scope::ScopeBuilder::field
#[derive(Clone, Default)]
pub struct Fields {
    pub(crate) set: FieldSet,
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.set, f)
    }
}

impl Fields {
    /// No fields.
    pub fn new() -> Fields {
        Fields::default()
    }

    /// Adds `key = value` (a later value for the same key replaces the earlier one).
    /// `Display` and `Debug` values are rendered now.
    pub fn with(mut self, key: &str, value: impl ToValue) -> Fields {
        self.set.set(key, value.to_value());
        self
    }

    /// Adds `key = value` in place; see [`with`](Self::with).
    pub fn push(&mut self, key: &str, value: Value<'_>) {
        self.set.set(key, value);
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// The fields, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Value<'_>)> {
        self.set.iter()
    }

    /// The set a scope entered with these fields carries, given the fields of the scope around
    /// it; `None` when there are none at all (no allocation).
    pub(crate) fn resolve(self, outer: Option<&Arc<FieldSet>>) -> Option<Arc<FieldSet>> {
        if self.set.is_empty() {
            return outer.cloned();
        }
        Some(Arc::new(FieldSet::nested(self.set, outer.map(|o| &**o))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(set: &FieldSet) -> Vec<(String, String)> {
        set.iter()
            .map(|(k, v)| (k.to_owned(), v.to_string()))
            .collect()
    }

    #[test]
    fn values_are_copied_and_a_repeated_key_is_replaced_in_place() {
        let name = String::from("ann");
        let f = Fields::new()
            .with("user", &name)
            .with("attempt", 2u32)
            .with("ok", true)
            .with("user", "bob");
        drop(name);
        assert_eq!(
            pairs(&f.set),
            [
                ("user".into(), "bob".into()),
                ("attempt".into(), "2".into()),
                ("ok".into(), "true".into())
            ]
        );
    }

    #[test]
    fn display_and_debug_values_are_rendered_when_set() {
        let mut f = Fields::new();
        f.push("d", Value::Display(&4.5));
        f.push("g", Value::Debug(&"q"));
        f.push("c", Value::Char('é'));
        assert_eq!(
            pairs(&f.set),
            [
                ("d".into(), "4.5".into()),
                ("g".into(), "\"q\"".into()),
                ("c".into(), "é".into())
            ]
        );
    }

    #[test]
    fn a_failing_display_keeps_what_it_wrote_and_is_marked() {
        struct Half;
        impl fmt::Display for Half {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("half")?;
                Err(fmt::Error)
            }
        }
        let mut f = Fields::new();
        f.push("h", Value::Display(&Half));
        assert_eq!(pairs(&f.set)[0].1, "half<formatting error>");
    }

    #[test]
    fn nested_sets_put_the_inner_fields_first_and_shadow_outer_keys() {
        let outer = Fields::new()
            .with("a", 1u8)
            .with("b", "outer")
            .resolve(None);
        let inner = Fields::new().with("b", "inner").with("c", 3u8);
        let set = inner.resolve(outer.as_ref()).unwrap();
        assert_eq!(
            pairs(&set),
            [
                ("b".into(), "inner".into()),
                ("c".into(), "3".into()),
                ("a".into(), "1".into())
            ]
        );
        // No fields of its own: the outer set itself, shared.
        let same = Fields::new().resolve(outer.as_ref()).unwrap();
        assert!(Arc::ptr_eq(&same, outer.as_ref().unwrap()));
        assert!(Fields::new().resolve(None).is_none());
    }

    #[test]
    fn long_text_spills_and_still_reads_back() {
        let long = "x".repeat(500);
        let f = Fields::new().with("long", long.as_str()).with("k", 1u8);
        assert_eq!(pairs(&f.set)[0].1, long);
        assert_eq!(pairs(&f.set)[1].1, "1");
    }
}
