//! env_logger-style directives (`warn,jobs=debug,jobs.db=off`), the error that names a bad one,
//! and the set of named directives in force: the operator's word, which levels set in code
//! never override. The set is replaced whole (one pointer swap), never edited in place.

use std::collections::HashMap;
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

/// One parsed directive: the logger (`None` for the root) and its level.
pub(crate) type Directive = (Option<String>, LevelFilter);

/// Where a named directive came from: each source replaces only its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// `Registry::configure` (and so `RUST_LOG` through `init`).
    Configure,
    /// A configuration file's `[loggers.NAME] level`.
    #[cfg(feature = "config")]
    File,
}

/// The named directives in force (the bare level is the root's own level, kept on the root).
#[derive(Default, Debug)]
pub(crate) struct DirectiveSet {
    named: HashMap<Box<str>, (LevelFilter, Origin)>,
}

impl DirectiveSet {
    /// Whether no directive names a logger: then nothing below the root is looked up.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.named.is_empty()
    }

    /// The directive naming `name` itself, if any (`name` normalized).
    pub(crate) fn exact(&self, name: &str) -> Option<LevelFilter> {
        self.named.get(name).map(|(l, _)| *l)
    }

    /// The directive naming `name` or its nearest ancestor (`name` normalized, `""` the root,
    /// which no named directive covers).
    pub(crate) fn covering(&self, name: &str) -> Option<LevelFilter> {
        if self.named.is_empty() {
            return None;
        }
        let mut cur = name;
        while !cur.is_empty() {
            if let Some((l, _)) = self.named.get(cur) {
                return Some(*l);
            }
            cur = name::parent_of(cur).unwrap_or("");
        }
        None
    }

    /// Every level named, for the gate's count.
    pub(crate) fn levels(&self) -> impl Iterator<Item = LevelFilter> + '_ {
        self.named.values().map(|(l, _)| *l)
    }

    /// This set with `origin`'s directives replaced by `with` (a name another source also gives
    /// is the later one's).
    pub(crate) fn replacing(
        &self,
        origin: Origin,
        with: impl IntoIterator<Item = (String, LevelFilter)>,
    ) -> DirectiveSet {
        let mut named: HashMap<Box<str>, (LevelFilter, Origin)> = self
            .named
            .iter()
            .filter(|(_, (_, o))| *o != origin)
            .map(|(n, v)| (n.clone(), *v))
            .collect();
        for (n, l) in with {
            named.insert(n.into_boxed_str(), (l, origin));
        }
        DirectiveSet { named }
    }
}

/// Parses the whole list; the first bad directive is the error.
pub(crate) fn parse(text: &str) -> Result<Vec<Directive>, DirectiveError> {
    let mut out = Vec::new();
    for (index, raw) in text.split(',').enumerate() {
        if let Some(d) = parse_one(raw, index) {
            out.push(d?);
        }
    }
    Ok(out)
}

/// Parses what it can, as env_logger does with `RUST_LOG`: the good directives, written back as
/// a list [`parse`] accepts, and an error for each bad one.
pub(crate) fn parse_lenient(text: &str) -> (String, Vec<DirectiveError>) {
    let mut good = String::new();
    let mut bad = Vec::new();
    for (index, raw) in text.split(',').enumerate() {
        match parse_one(raw, index) {
            Some(Ok(_)) => {
                if !good.is_empty() {
                    good.push(',');
                }
                good.push_str(raw.trim());
            }
            Some(Err(e)) => bad.push(e),
            None => {}
        }
    }
    (good, bad)
}

/// One directive of the list (`None` for an empty one). `name=` with no level means `trace`,
/// as a bare name does (env_logger's reading).
fn parse_one(raw: &str, index: usize) -> Option<Result<Directive, DirectiveError>> {
    let d = raw.trim();
    if d.is_empty() {
        return None;
    }
    let err = |reason: String| DirectiveError {
        directive: d.to_owned(),
        index,
        reason,
    };
    Some((|| {
        if d.contains('/') {
            return Err(err(
                "regex filters (`/...`) are not supported: give logger names and levels only"
                    .into(),
            ));
        }
        let (name, level) = match d.split_once('=') {
            Some((n, l)) if l.trim().is_empty() => {
                if n.trim().is_empty() {
                    return Err(err("neither a logger name nor a level".into()));
                }
                (Some(n.trim()), LevelFilter::Trace)
            }
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
        Ok((name, level))
    })())
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
        assert!(parse("=").is_err());
    }

    #[test]
    fn an_empty_level_means_trace_as_in_env_logger() {
        assert_eq!(
            parse("jobs=, db = ").unwrap(),
            vec![
                (Some("jobs".into()), LevelFilter::Trace),
                (Some("db".into()), LevelFilter::Trace)
            ]
        );
    }

    #[test]
    fn lenient_parsing_keeps_the_good_directives_and_names_each_bad_one() {
        let (good, bad) = parse_lenient(" info, jobs=loud ,db=debug,a..b,x=");
        assert_eq!(good, "info,db=debug,x=");
        assert_eq!(parse(&good).unwrap().len(), 3);
        let named: Vec<(&str, usize)> = bad.iter().map(|e| (e.directive(), e.index())).collect();
        assert_eq!(named, [("jobs=loud", 1), ("a..b", 3)]);
        assert!(
            parse("info,jobs=loud,db=debug").is_err(),
            "parse stays all-or-nothing"
        );
    }
}
