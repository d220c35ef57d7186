//! The error a bad logger name gets, naming what is wrong and where.

use std::fmt;

use super::MAX_SEGMENTS;

/// Why a logger name was rejected. The message names the offending segment or character and where.
///
/// ```
/// use scoped_logger::Registry;
/// let err = Registry::new().try_logger("a..b").unwrap_err();
/// assert_eq!(err.to_string(), "invalid logger name `a..b`: empty segment at byte 2 (write `a.b`?)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameError {
    pub(super) name: String,
    pub(super) kind: NameErrorKind,
}

/// What exactly is wrong with a name.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameErrorKind {
    /// Two separators in a row, or a separator at the end (`"a..b"`, `"a."`).
    EmptySegment {
        /// Byte offset (in the name as given) where the empty segment starts.
        at: usize,
    },
    /// Whitespace or a control character.
    BadChar {
        /// The character.
        ch: char,
        /// Its byte offset in the name as given.
        at: usize,
    },
    /// More than [`MAX_SEGMENTS`] segments (after resolving a relative name).
    TooDeep {
        /// How many segments the name has.
        segments: usize,
    },
}

impl NameError {
    /// The name as it was given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What is wrong with it.
    pub fn kind(&self) -> &NameErrorKind {
        &self.kind
    }
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            NameErrorKind::EmptySegment { at } => {
                let fixed: Vec<&str> = self
                    .name
                    .split("::")
                    .flat_map(|s| s.split('.'))
                    .filter(|s| !s.is_empty())
                    .collect();
                write!(
                    f,
                    "invalid logger name `{}`: empty segment at byte {at} (write `{}`?)",
                    self.name,
                    fixed.join(".")
                )
            }
            NameErrorKind::TooDeep { segments } => write!(
                f,
                "invalid logger name `{}`: {segments} segments, more than the {MAX_SEGMENTS} a \
                 name may have",
                self.name
            ),
            NameErrorKind::BadChar { ch, at } => write!(
                f,
                "invalid logger name `{}`: character {ch:?} at byte {at} is not allowed \
                 (names are dot-separated segments without whitespace or control characters)",
                self.name
            ),
        }
    }
}

impl std::error::Error for NameError {}
