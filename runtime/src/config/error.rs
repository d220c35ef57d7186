//! The error a configuration reports: the file, line, column and key it is about, and what was
//! wrong. Only describes; it never decides whether something is an error.

use std::fmt;
use std::path::PathBuf;

/// A configuration error: where (file, line, column, key) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFileError(pub(super) Box<ErrorDetail>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ErrorDetail {
    pub(super) path: Option<PathBuf>,
    pub(super) line: Option<usize>,
    pub(super) column: Option<usize>,
    pub(super) key: Option<String>,
    pub(super) message: String,
}

impl ConfigFileError {
    /// The line (1-based), when known.
    pub fn line(&self) -> Option<usize> {
        self.0.line
    }
    /// The key the error is about, when known (`handlers.db`, `loggers.jobs.level`).
    pub fn key(&self) -> Option<&str> {
        self.0.key.as_deref()
    }
    /// What was wrong.
    pub fn message(&self) -> &str {
        &self.0.message
    }
}

impl fmt::Display for ConfigFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.0;
        match &d.path {
            Some(p) => write!(f, "{}", p.display())?,
            None => f.write_str("<config>")?,
        }
        if let Some(l) = d.line {
            write!(f, ":{l}")?;
            if let Some(c) = d.column {
                write!(f, ":{c}")?;
            }
        }
        if let Some(k) = &d.key {
            write!(f, ": `{k}`")?;
        }
        write!(f, ": {}", d.message)
    }
}

impl std::error::Error for ConfigFileError {}

pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}
