//! [`KeyValues`], the pairs of one record: the call's own in the order written, then its scope's
//! fields, each key once (the first own pair wins, an own key shadows a field of the same name).
//! It only reads what the record lends it; it never copies or allocates.

use std::fmt;

use crate::kv::Value;
use crate::kv::fields::FieldSet;

/// A record's key-values: see [`Record::key_values`](crate::Record::key_values). Iterates
/// `(key, value)` pairs.
#[derive(Clone)]
pub struct KeyValues<'a> {
    own: &'a [(&'a str, Value<'a>)],
    fields: Option<&'a FieldSet>,
    /// The next pair: an index into `own`, then past it into `fields`.
    pos: usize,
}

impl<'a> KeyValues<'a> {
    /// The call's own pairs `own`, then the scope's `fields`.
    #[inline]
    pub(crate) fn new(own: &'a [(&'a str, Value<'a>)], fields: Option<&'a FieldSet>) -> Self {
        KeyValues {
            own,
            fields,
            pos: 0,
        }
    }

    /// Whether there are none.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.own.is_empty() && self.fields.is_none_or(FieldSet::is_empty)
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
            let Some((k, v)) = self.fields?.get(i - self.own.len()) else {
                self.pos -= 1;
                return None;
            };
            if self.own.iter().any(|(p, _)| *p == k) {
                continue;
            }
            return Some((k, v));
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let total = self.own.len() + self.fields.map_or(0, FieldSet::len);
        (0, Some(total.saturating_sub(self.pos)))
    }
}

impl fmt::Debug for KeyValues<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.clone()).finish()
    }
}
