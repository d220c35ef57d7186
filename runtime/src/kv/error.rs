//! Errors as key-value values: how an error and its `source()` chain are written, and
//! [`OwnedError`], the copy an [`OwnedRecord`](crate::OwnedRecord) keeps.
//!
//! Only formatting lives here; the formats decide the layout (text: one line, `top: cause:
//! root`; JSON: `{"message": "top", "chain": ["cause", "root"]}`).
//!
//! `k = v` in the logging macros takes an error through [`ToValue`]: implemented here for
//! `dyn Error` (so `&e as &dyn Error`, and `*e` for an anyhow-like type that derefs to one),
//! `io::Error` and the boxed and shared `dyn Error`s. An error type of one's own gets it in one
//! line: `impl ToValue for MyError { fn to_value(&self) -> Value<'_> { Value::Error(self) } }`.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use crate::kv::{ToValue, Value, render};

/// Writes `error` and every error of its `source()` chain, separated by `": "`.
pub(crate) fn write_chain(f: &mut fmt::Formatter<'_>, error: &dyn Error) -> fmt::Result {
    fmt::Display::fmt(error, f)?;
    let mut next = error.source();
    while let Some(e) = next {
        f.write_str(": ")?;
        fmt::Display::fmt(e, f)?;
        next = e.source();
    }
    Ok(())
}

/// The messages of `error`'s sources, outermost first (not `error`'s own).
pub(crate) fn sources(error: &dyn Error) -> impl Iterator<Item = &dyn Error> {
    fn next<'a>(e: &&'a (dyn Error + 'static)) -> Option<&'a (dyn Error + 'static)> {
        (*e).source()
    }
    std::iter::successors(error.source(), next).map(|e| e as &dyn Error)
}

/// An owned copy of an error and its chain: each message rendered once. It is itself an
/// [`Error`] whose `source()` gives the copy of the next one, so it is written as the original
/// was.
///
/// ```
/// use scoped_logger::kv::OwnedError;
/// let root = std::io::Error::other("disk full");
/// #[derive(Debug)]
/// struct Top(std::io::Error);
/// impl std::fmt::Display for Top {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("save failed") }
/// }
/// impl std::error::Error for Top {
///     fn source(&self) -> Option<&(dyn std::error::Error + 'static)> { Some(&self.0) }
/// }
/// let owned = OwnedError::new(&Top(root));
/// assert_eq!(owned.message(), "save failed");
/// assert_eq!(owned.chain().collect::<Vec<_>>(), ["disk full"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedError {
    message: String,
    source: Option<Box<OwnedError>>,
}

impl OwnedError {
    /// Copies `error` and its chain.
    pub fn new(error: &dyn Error) -> OwnedError {
        let mut messages: Vec<String> = std::iter::once(error)
            .chain(sources(error))
            .map(|e| render(format_args!("{e}")))
            .collect();
        let mut source = None;
        while messages.len() > 1 {
            let message = messages.pop().unwrap_or_default();
            source = Some(Box::new(OwnedError { message, source }));
        }
        OwnedError {
            message: messages.pop().unwrap_or_default(),
            source,
        }
    }

    /// The error's own message (its `Display`).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The messages of its sources, outermost first.
    pub fn chain(&self) -> impl Iterator<Item = &str> {
        std::iter::successors(self.source.as_deref(), |e| e.source.as_deref())
            .map(|e| e.message.as_str())
    }
}

impl fmt::Display for OwnedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for OwnedError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn Error + 'static))
    }
}

macro_rules! error_to_value {
    ($($t:ty),* $(,)?) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value<'_> {
                Value::Error(self)
            }
        }
    )*};
}
error_to_value!(std::io::Error, std::fmt::Error, OwnedError);

macro_rules! dyn_error_to_value {
    ($($t:ty),* $(,)?) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value<'_> {
                Value::Error(self)
            }
        }
        impl ToValue for Box<$t> {
            fn to_value(&self) -> Value<'_> {
                Value::Error(&**self)
            }
        }
        impl ToValue for Arc<$t> {
            fn to_value(&self) -> Value<'_> {
                Value::Error(&**self)
            }
        }
    )*};
}
dyn_error_to_value!(
    dyn Error + '_,
    dyn Error + Send + '_,
    dyn Error + Send + Sync + '_,
);
