//! Key-values: the values a record carries ([`Value`], borrowed for the call; [`OwnedValue`],
//! kept), how a type becomes one ([`ToValue`]), errors kept as values ([`OwnedError`]), and the
//! iterator over a record's pairs ([`KeyValues`]).
//!
//! Records are built on these, never the reverse: nothing under `kv/` imports `record.rs`.

use std::fmt;

pub(crate) mod error;
pub(crate) mod fields;
pub(crate) mod key_values;
#[cfg(feature = "opentelemetry")]
pub(crate) mod trace_ids;

pub use error::OwnedError;
pub use key_values::KeyValues;

/// A key-value value. `k = v` in the macros uses [`ToValue`]; `k = %v` gives `Display`, `k = ?v` `Debug`.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum Value<'a> {
    /// A string.
    Str(&'a str),
    /// A signed integer.
    I64(i64),
    /// An unsigned integer.
    U64(u64),
    /// A float.
    F64(f64),
    /// A boolean.
    Bool(bool),
    /// A character.
    Char(char),
    /// No value (`None`).
    Null,
    /// Anything `Display` (`k = %v`).
    Display(&'a dyn fmt::Display),
    /// Anything `Debug` (`k = ?v`).
    Debug(&'a dyn fmt::Debug),
    /// An error, written with its `source()` chain: `top: cause: root` in text (its `Display`
    /// here), `{"message": "top", "chain": ["cause", "root"]}` in JSON. `k = v` in the macros
    /// gives it for `io::Error`, `dyn Error` (`&e as &dyn Error`), `Box`/`Arc<dyn Error ..>`,
    /// and any type whose `ToValue` impl returns it (`Value::Error(self)`).
    Error(&'a (dyn std::error::Error + 'a)),
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => f.write_str(s),
            Value::I64(v) => fmt::Display::fmt(v, f),
            Value::U64(v) => fmt::Display::fmt(v, f),
            Value::F64(v) => fmt::Display::fmt(v, f),
            Value::Bool(v) => fmt::Display::fmt(v, f),
            Value::Char(v) => fmt::Display::fmt(v, f),
            Value::Null => f.write_str("null"),
            Value::Display(v) => fmt::Display::fmt(v, f),
            Value::Debug(v) => fmt::Debug::fmt(v, f),
            Value::Error(e) => error::write_chain(f, *e),
        }
    }
}

impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => fmt::Debug::fmt(s, f),
            other => fmt::Display::fmt(other, f),
        }
    }
}

/// What follows the part of a message written before its `Display` impl failed.
pub(crate) const FORMATTING_ERROR: &str = "<formatting error>";

/// Renders `args` to a string without panicking when a `Display` impl inside returns an error
/// (`to_string` would panic): what was written is kept, followed by [`FORMATTING_ERROR`].
pub(crate) fn render(args: fmt::Arguments<'_>) -> String {
    let mut out = String::new();
    if fmt::write(&mut out, args).is_err() {
        out.push_str(FORMATTING_ERROR);
    }
    out
}

impl Value<'_> {
    /// An owned copy (formatting `Display`/`Debug` values to strings).
    pub fn to_owned_value(&self) -> OwnedValue {
        match *self {
            Value::Str(s) => OwnedValue::Str(s.to_owned()),
            Value::I64(v) => OwnedValue::I64(v),
            Value::U64(v) => OwnedValue::U64(v),
            Value::F64(v) => OwnedValue::F64(v),
            Value::Bool(v) => OwnedValue::Bool(v),
            Value::Char(v) => OwnedValue::Str(v.to_string()),
            Value::Null => OwnedValue::Null,
            Value::Display(_) | Value::Debug(_) => OwnedValue::Str(render(format_args!("{self}"))),
            Value::Error(e) => OwnedValue::Error(error::OwnedError::new(e)),
        }
    }
}

/// An owned key-value value, as kept by [`OwnedRecord`](crate::OwnedRecord).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum OwnedValue {
    /// A string (also what `Display`, `Debug` and `char` values become).
    Str(String),
    /// A signed integer.
    I64(i64),
    /// An unsigned integer.
    U64(u64),
    /// A float.
    F64(f64),
    /// A boolean.
    Bool(bool),
    /// No value.
    Null,
    /// An error and its chain, each message rendered (what [`Value::Error`] becomes).
    Error(error::OwnedError),
}

impl OwnedValue {
    /// Borrows it back as a [`Value`].
    pub fn as_value(&self) -> Value<'_> {
        match self {
            OwnedValue::Str(s) => Value::Str(s),
            OwnedValue::I64(v) => Value::I64(*v),
            OwnedValue::U64(v) => Value::U64(*v),
            OwnedValue::F64(v) => Value::F64(*v),
            OwnedValue::Bool(v) => Value::Bool(*v),
            OwnedValue::Null => Value::Null,
            OwnedValue::Error(e) => Value::Error(e),
        }
    }
}

impl fmt::Display for OwnedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.as_value(), f)
    }
}

/// Types usable as `k = v` in the logging macros without a `%` or `?` sigil.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a key-value value as it stands",
    label = "write `key = %value` to log it with `Display`, or `key = ?value` for `Debug`",
    note = "an error keeps its `source()` chain as `key = &err as &dyn Error`, or with `impl scoped_logger::kv::ToValue for MyError {{ fn to_value(&self) -> scoped_logger::kv::Value<'_> {{ scoped_logger::kv::Value::Error(self) }} }}`"
)]
pub trait ToValue {
    /// Borrows `self` as a [`Value`].
    fn to_value(&self) -> Value<'_>;
}

macro_rules! to_value_int {
    ($variant:ident as $as:ty: $($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value<'_> { Value::$variant(*self as $as) }
        }
    )*};
}
to_value_int!(I64 as i64: i8, i16, i32, i64, isize);
to_value_int!(U64 as u64: u8, u16, u32, u64, usize);
to_value_int!(F64 as f64: f32, f64);

impl ToValue for bool {
    fn to_value(&self) -> Value<'_> {
        Value::Bool(*self)
    }
}
impl ToValue for char {
    fn to_value(&self) -> Value<'_> {
        Value::Char(*self)
    }
}
impl ToValue for str {
    fn to_value(&self) -> Value<'_> {
        Value::Str(self)
    }
}
impl ToValue for String {
    fn to_value(&self) -> Value<'_> {
        Value::Str(self)
    }
}
impl ToValue for std::borrow::Cow<'_, str> {
    fn to_value(&self) -> Value<'_> {
        Value::Str(self)
    }
}
impl ToValue for std::sync::Arc<str> {
    fn to_value(&self) -> Value<'_> {
        Value::Str(self)
    }
}
impl ToValue for Value<'_> {
    fn to_value(&self) -> Value<'_> {
        *self
    }
}
impl ToValue for OwnedValue {
    fn to_value(&self) -> Value<'_> {
        self.as_value()
    }
}
impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value<'_> {
        (**self).to_value()
    }
}
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value<'_> {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null,
        }
    }
}
