//! Terminal styles: whether a handler writes escape codes ([`WriteStyle`], decided from the
//! handler's own output and the usual environment variables) and the few codes the text formats
//! use. Nothing here writes a code by itself: a format writes them only when its handler asked
//! ([`Format::format_styled`](super::Format::format_styled)), so files and pipes never get them.

use std::fmt;
use std::str::FromStr;

use crate::level::Level;

/// Whether a handler styles its lines (env_logger's `WriteStyle`, with the same names).
///
/// With [`Auto`](WriteStyle::Auto) (the default), the environment decides, in this order:
///
/// 1. `RUST_LOG_STYLE=always` or `never` (env_logger's variable; `auto` or unset go on);
/// 2. `NO_COLOR` set and not empty: never (<https://no-color.org>);
/// 3. `CLICOLOR_FORCE` set, not empty and not `0`: always;
/// 4. `CLICOLOR=0`: never;
/// 5. otherwise, styled when the handler's own output is a terminal and `TERM` is not `dumb`.
///
/// [`Always`](WriteStyle::Always) and [`Never`](WriteStyle::Never), given in code, are what the
/// program asked for and win over the environment.
///
/// ```
/// use scoped_logger::format::WriteStyle;
/// assert_eq!("ALWAYS".parse::<WriteStyle>(), Ok(WriteStyle::Always));
/// assert!("sometimes".parse::<WriteStyle>().unwrap_err().to_string().contains("`sometimes`"));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum WriteStyle {
    /// Let the environment and the output decide (see above).
    #[default]
    Auto,
    /// Always write styles, whatever the output is.
    Always,
    /// Never write styles.
    Never,
}

impl WriteStyle {
    /// Whether to style an output that is (`is_terminal`) or is not a terminal, reading the
    /// process's environment now.
    pub fn resolve(self, is_terminal: bool) -> bool {
        self.resolve_with(is_terminal, |name| std::env::var_os(name))
    }

    /// [`resolve`](Self::resolve) with the environment given as a lookup (for tests and for
    /// programs that keep their own).
    pub fn resolve_with(
        self,
        is_terminal: bool,
        var: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> bool {
        let set = |name: &str| var(name).filter(|v| !v.is_empty());
        match self {
            WriteStyle::Always => return true,
            WriteStyle::Never => return false,
            WriteStyle::Auto => {}
        }
        match set("RUST_LOG_STYLE").and_then(|v| v.to_str()?.parse::<WriteStyle>().ok()) {
            Some(WriteStyle::Always) => return true,
            Some(WriteStyle::Never) => return false,
            Some(WriteStyle::Auto) | None => {}
        }
        if set("NO_COLOR").is_some() {
            return false;
        }
        if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
            return true;
        }
        if set("CLICOLOR").is_some_and(|v| v == "0") {
            return false;
        }
        is_terminal && var("TERM").is_none_or(|t| t != "dumb")
    }
}

/// A style name that [`WriteStyle::from_str`] did not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseWriteStyleError(String);

impl fmt::Display for ParseWriteStyleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown write style `{}`: expected `auto`, `always` or `never`",
            self.0
        )
    }
}

impl std::error::Error for ParseWriteStyleError {}

impl FromStr for WriteStyle {
    type Err = ParseWriteStyleError;

    /// `auto`, `always` or `never`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(WriteStyle::Auto),
            "always" => Ok(WriteStyle::Always),
            "never" => Ok(WriteStyle::Never),
            _ => Err(ParseWriteStyleError(s.to_owned())),
        }
    }
}

/// Reads the same text as [`FromStr`] (`"auto"`, `"always"`, `"never"`, in any case). Written by
/// hand rather than derived so that serde's derive is built only with the feature `config`.
impl<'de> serde_core::Deserialize<'de> for WriteStyle {
    fn deserialize<D: serde_core::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde_core::de::Error::custom)
    }
}

/// Ends every style.
pub(crate) const RESET: &[u8] = b"\x1b[0m";
/// Dim (faint): the time.
pub(crate) const DIM: &[u8] = b"\x1b[2m";

/// The colour a level is shown in (env_logger's): error red, warn yellow, info green, debug
/// blue, trace cyan.
pub(crate) fn level_color(level: Level) -> &'static [u8] {
    match level {
        Level::Error => b"\x1b[31m",
        Level::Warn => b"\x1b[33m",
        Level::Info => b"\x1b[32m",
        Level::Debug => b"\x1b[34m",
        Level::Trace => b"\x1b[36m",
    }
}

/// Appends `level`, coloured when `styled`.
#[inline]
pub(crate) fn push_level(out: &mut Vec<u8>, level: Level, styled: bool) {
    if styled {
        out.extend_from_slice(level_color(level));
        out.extend_from_slice(level.as_str().as_bytes());
        out.extend_from_slice(RESET);
    } else {
        out.extend_from_slice(level.as_str().as_bytes());
    }
}

/// Runs `write` (which appends the time) between dim and reset when `styled`.
#[inline]
pub(crate) fn dimmed(out: &mut Vec<u8>, styled: bool, write: impl FnOnce(&mut Vec<u8>)) {
    if styled {
        out.extend_from_slice(DIM);
        write(out);
        out.extend_from_slice(RESET);
    } else {
        write(out);
    }
}

#[cfg(test)]
mod tests {
    use super::WriteStyle::{self, *};
    use std::ffi::OsString;

    fn decide(choice: WriteStyle, tty: bool, env: &[(&str, &str)]) -> bool {
        choice.resolve_with(tty, |name| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        })
    }

    #[test]
    fn the_environment_decides_in_order_and_code_wins() {
        assert!(decide(Auto, true, &[]), "a terminal");
        assert!(!decide(Auto, false, &[]), "a file or a pipe");
        assert!(!decide(Auto, true, &[("TERM", "dumb")]));
        assert!(decide(Auto, false, &[("RUST_LOG_STYLE", "always")]));
        assert!(!decide(Auto, true, &[("RUST_LOG_STYLE", "Never")]));
        assert!(decide(Auto, true, &[("RUST_LOG_STYLE", "auto")]));
        assert!(!decide(Auto, true, &[("NO_COLOR", "1")]));
        assert!(decide(Auto, true, &[("NO_COLOR", "")]), "empty is unset");
        assert!(decide(Auto, false, &[("CLICOLOR_FORCE", "1")]));
        assert!(!decide(Auto, false, &[("CLICOLOR_FORCE", "0")]));
        assert!(!decide(
            Auto,
            true,
            &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]
        ));
        assert!(decide(
            Auto,
            false,
            &[("NO_COLOR", "1"), ("RUST_LOG_STYLE", "always")]
        ));
        assert!(!decide(Auto, true, &[("CLICOLOR", "0")]));
        assert!(decide(Always, false, &[("NO_COLOR", "1")]), "code wins");
        assert!(
            !decide(Never, true, &[("CLICOLOR_FORCE", "1")]),
            "code wins"
        );
    }
}
