//! env_logger-style directives (`warn,jobs=debug,jobs.db=off`) and the error that names a bad one.

use std::fmt;

use crate::level::LevelFilter;
use crate::name;

/// A bad directive given to [`Registry::configure`](super::Registry::configure), named with its
/// position in the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectiveError {
    directive: String,
    index: usize,
    reason: String,
}

/// The old name of [`DirectiveError`]: it is an error in a directive, not in a configuration
/// file (that is [`ConfigFileError`](crate::config::ConfigFileError)).
#[deprecated(since = "0.1.0", note = "renamed to `DirectiveError`")]
pub type ConfigError = DirectiveError;

impl DirectiveError {
    /// The directive that was wrong, as written.
    pub fn directive(&self) -> &str {
        &self.directive
    }

    /// Its position in the list (0-based).
    pub fn index(&self) -> usize {
        self.index
    }
}

impl fmt::Display for DirectiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid directive `{}` (directive {} of the list): {}",
            self.directive,
            self.index + 1,
            self.reason
        )
    }
}

impl std::error::Error for DirectiveError {}

/// Parses the whole list; the first bad directive is the error.
pub(crate) fn parse(text: &str) -> Result<Vec<(Option<String>, LevelFilter)>, DirectiveError> {
    let mut out = Vec::new();
    for (index, raw) in text.split(',').enumerate() {
        let d = raw.trim();
        if d.is_empty() {
            continue;
        }
        let err = |reason: String| DirectiveError {
            directive: d.to_owned(),
            index,
            reason,
        };
        if d.contains('/') {
            return Err(err(
                "regex filters (`/...`) are not supported: give logger names and levels only"
                    .into(),
            ));
        }
        let (name, level) = match d.split_once('=') {
            Some((n, l)) => {
                let level = l.parse::<LevelFilter>().map_err(|e| err(e.to_string()))?;
                (Some(n.trim()), level)
            }
            None => match d.parse::<LevelFilter>() {
                Ok(level) => (None, level),
                Err(_) => (Some(d), LevelFilter::Trace),
            },
        };
        let name = match name {
            Some(n) => {
                let norm = name::normalize(n).map_err(|e| err(e.to_string()))?;
                if name::is_relative(&norm) {
                    return Err(err("directives take absolute logger names".into()));
                }
                name::check_depth(n, &norm).map_err(|e| err(e.to_string()))?;
                if norm.is_empty() {
                    None
                } else {
                    Some(norm.into_owned())
                }
            }
            None => None,
        };
        out.push((name, level));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_parse_and_reject() {
        let d = parse("warn, a::b=debug ,c").unwrap();
        assert_eq!(
            d,
            vec![
                (None, LevelFilter::Warn),
                (Some("a.b".into()), LevelFilter::Debug),
                (Some("c".into()), LevelFilter::Trace)
            ]
        );
        let e = parse("info,x=nope").unwrap_err();
        assert_eq!(e.directive(), "x=nope");
        assert_eq!(e.index(), 1);
        assert!(e.to_string().contains("directive 2"), "{e}");
        assert!(parse("a..b=info").is_err());
        assert!(parse("x/foo").is_err());
    }
}
