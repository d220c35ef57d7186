//! Severity levels and level filters, ordered as the `log` crate orders them.
//!
//! `Level` is what a record carries; `LevelFilter` is what a logger or handler lets through. The
//! numeric representation is part of the hot path (an `AtomicU8` per logger), so it must stay a
//! plain `u8` where a larger number means "more verbose".

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// The severity of a record. `Error` is the most severe, `Trace` the most verbose.
///
/// ```
/// use scoped_logger::{Level, LevelFilter};
/// assert!(Level::Error < Level::Warn);
/// assert!(Level::Warn <= LevelFilter::Info);
/// assert!(!(Level::Debug <= LevelFilter::Info));
/// assert_eq!("warning".parse::<Level>().unwrap(), Level::Warn);
/// assert_eq!(Level::Warn.to_string(), "WARN");
/// ```
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Something failed.
    Error = 1,
    /// Something looks wrong but the program goes on.
    Warn = 2,
    /// Normal operation worth recording.
    Info = 3,
    /// Detail for the people debugging.
    Debug = 4,
    /// Very fine detail.
    Trace = 5,
}

/// A threshold: records at this level or more severe pass. `Off` lets nothing through.
///
/// ```
/// use scoped_logger::LevelFilter;
/// assert!(LevelFilter::Off < LevelFilter::Error);
/// assert_eq!("OFF".parse::<LevelFilter>().unwrap(), LevelFilter::Off);
/// ```
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LevelFilter {
    /// Nothing passes.
    Off = 0,
    /// Only errors.
    Error = 1,
    /// Warnings and errors.
    Warn = 2,
    /// Info and more severe.
    Info = 3,
    /// Debug and more severe.
    Debug = 4,
    /// Everything.
    Trace = 5,
}

/// The error of parsing a [`Level`] or [`LevelFilter`]: names the text that was not understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseLevelError {
    text: String,
    allows_off: bool,
}

impl fmt::Display for ParseLevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown level `{}`: expected one of {}error, warn (or warning), info, debug, trace, critical (= error)",
            self.text,
            if self.allows_off { "off, " } else { "" }
        )
    }
}

impl std::error::Error for ParseLevelError {}

impl Level {
    /// Every level, most severe first.
    pub const ALL: [Level; 5] = [
        Level::Error,
        Level::Warn,
        Level::Info,
        Level::Debug,
        Level::Trace,
    ];

    /// The upper-case name used in text output (`"WARN"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        }
    }

    /// The filter that lets exactly this level and the more severe ones through.
    pub const fn to_filter(self) -> LevelFilter {
        match self {
            Level::Error => LevelFilter::Error,
            Level::Warn => LevelFilter::Warn,
            Level::Info => LevelFilter::Info,
            Level::Debug => LevelFilter::Debug,
            Level::Trace => LevelFilter::Trace,
        }
    }

    pub(crate) const fn from_u8(v: u8) -> Option<Level> {
        Some(match v {
            1 => Level::Error,
            2 => Level::Warn,
            3 => Level::Info,
            4 => Level::Debug,
            5 => Level::Trace,
            _ => return None,
        })
    }
}

impl LevelFilter {
    /// The most verbose level this filter lets through, or `None` for `Off`.
    pub const fn to_level(self) -> Option<Level> {
        Level::from_u8(self as u8)
    }

    /// Whether a record at `level` passes this filter.
    #[inline]
    pub const fn allows(self, level: Level) -> bool {
        level as u8 <= self as u8
    }

    pub(crate) const fn from_u8(v: u8) -> LevelFilter {
        match v {
            0 => LevelFilter::Off,
            1 => LevelFilter::Error,
            2 => LevelFilter::Warn,
            3 => LevelFilter::Info,
            4 => LevelFilter::Debug,
            _ => LevelFilter::Trace,
        }
    }

    /// The upper-case name (`"OFF"`, `"WARN"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self.to_level() {
            Some(l) => l.as_str(),
            None => "OFF",
        }
    }
}

impl From<Level> for LevelFilter {
    fn from(level: Level) -> Self {
        level.to_filter()
    }
}

impl PartialEq<LevelFilter> for Level {
    fn eq(&self, other: &LevelFilter) -> bool {
        *self as u8 == *other as u8
    }
}

impl PartialOrd<LevelFilter> for Level {
    fn partial_cmp(&self, other: &LevelFilter) -> Option<Ordering> {
        Some((*self as u8).cmp(&(*other as u8)))
    }
}

impl PartialEq<Level> for LevelFilter {
    fn eq(&self, other: &Level) -> bool {
        *self as u8 == *other as u8
    }
}

impl PartialOrd<Level> for LevelFilter {
    fn partial_cmp(&self, other: &Level) -> Option<Ordering> {
        Some((*self as u8).cmp(&(*other as u8)))
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Display for LevelFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

fn parse_filter(s: &str) -> Option<LevelFilter> {
    let t = s.trim();
    Some(match () {
        _ if t.eq_ignore_ascii_case("off") => LevelFilter::Off,
        _ if t.eq_ignore_ascii_case("error") || t.eq_ignore_ascii_case("critical") => {
            LevelFilter::Error
        }
        _ if t.eq_ignore_ascii_case("warn") || t.eq_ignore_ascii_case("warning") => {
            LevelFilter::Warn
        }
        _ if t.eq_ignore_ascii_case("info") => LevelFilter::Info,
        _ if t.eq_ignore_ascii_case("debug") => LevelFilter::Debug,
        _ if t.eq_ignore_ascii_case("trace") => LevelFilter::Trace,
        _ => return None,
    })
}

impl FromStr for Level {
    type Err = ParseLevelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_filter(s)
            .and_then(LevelFilter::to_level)
            .ok_or_else(|| ParseLevelError {
                text: s.to_owned(),
                allows_off: false,
            })
    }
}

impl FromStr for LevelFilter {
    type Err = ParseLevelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_filter(s).ok_or_else(|| ParseLevelError {
            text: s.to_owned(),
            allows_off: true,
        })
    }
}

/// Parses the same text as [`FromStr`] (`"warn"`, `"WARNING"`, `"critical"`, ...).
impl<'de> serde_core::Deserialize<'de> for Level {
    fn deserialize<D: serde_core::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde_core::de::Error::custom)
    }
}

/// Parses the same text as [`FromStr`] (`"off"`, `"warn"`, ...).
impl<'de> serde_core::Deserialize<'de> for LevelFilter {
    fn deserialize<D: serde_core::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde_core::de::Error::custom)
    }
}

/// Written as the lower-case name (`"warn"`), which [`FromStr`] reads back.
impl serde_core::Serialize for Level {
    fn serialize<S: serde_core::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_str().to_ascii_lowercase())
    }
}

/// Written as the lower-case name (`"off"`, `"warn"`), which [`FromStr`] reads back.
impl serde_core::Serialize for LevelFilter {
    fn serialize<S: serde_core::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_str().to_ascii_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_matches_log_crate() {
        assert!(Level::Error < Level::Trace);
        assert!(Level::Debug > LevelFilter::Info);
        assert!(Level::Info <= LevelFilter::Info);
        assert!(LevelFilter::Off < Level::Error);
        assert!(!LevelFilter::Off.allows(Level::Error));
        assert!(LevelFilter::Trace.allows(Level::Trace));
    }

    #[test]
    fn parsing_is_case_insensitive_with_aliases() {
        assert_eq!("WARNING".parse::<Level>(), Ok(Level::Warn));
        assert_eq!("Critical".parse::<Level>(), Ok(Level::Error));
        assert_eq!("trace".parse::<LevelFilter>(), Ok(LevelFilter::Trace));
        let err = "off".parse::<Level>().unwrap_err();
        assert!(err.to_string().contains("`off`"), "{err}");
        let err = "loud".parse::<LevelFilter>().unwrap_err();
        assert!(err.to_string().contains("`loud`") && err.to_string().contains("off,"));
    }

    #[test]
    fn display_is_upper_case() {
        let all: Vec<String> = Level::ALL.iter().map(|l| l.to_string()).collect();
        assert_eq!(all, ["ERROR", "WARN", "INFO", "DEBUG", "TRACE"]);
        assert_eq!(LevelFilter::Off.to_string(), "OFF");
    }
}
