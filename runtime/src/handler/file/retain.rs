//! Which rotated files a path keeps: with compression, the newest `backups` of its compressed
//! backups and of the sources still waiting for gzip, counted together (the one being compressed
//! is the only extra), and with `max_age` none last modified earlier, waiting or not.
//!
//! Callers hold [`BACKLOG`](super::compress::BACKLOG), so a count is never taken while the
//! compression thread moves a file. Writers never delete the file being compressed (only the
//! compression thread, once done, counts its source, and drops it when newer files fill the
//! count). Each source that goes before it was compressed is said through the path's reporter:
//! that is compression falling behind, never done silently.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::open::{parent_of, remove_if_present};
use super::rule::{PENDING, parse_timed_suffix};
use crate::handler::report::ErrorReporter;

/// The files beside `base` named `<base name>.<suffix>`: (suffix, path).
pub(crate) fn siblings(base: &Path) -> io::Result<Vec<(String, PathBuf)>> {
    let mut found = Vec::new();
    let Some(name) = base.file_name().and_then(|n| n.to_str()) else {
        return Ok(found);
    };
    let prefix = format!("{name}.");
    for entry in fs::read_dir(parent_of(base))? {
        let entry = entry?;
        if let Some(suffix) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
        {
            found.push((suffix.to_owned(), entry.path()));
        }
    }
    Ok(found)
}

/// A rotated file's place in age order (oldest first) and whether it is compressed; `None` when
/// the suffix names no rotated file of a compressed path.
///
/// Size rotation: every `.i.gz` is older than every `pending-<time>` (sources are compressed in
/// order), and among them the highest `i` is the oldest. Time rotation: the label, then the index.
fn age_key(suffix: &str, timed: bool) -> Option<((String, u64), bool)> {
    let (bare, compressed) = match suffix.strip_suffix(".gz") {
        Some(bare) => (bare, true),
        None => (suffix, false),
    };
    if timed {
        let (label, k) = parse_timed_suffix(bare)?;
        return Some(((label.to_owned(), u64::from(k)), compressed));
    }
    if compressed {
        let i: u64 = bare.parse().ok().filter(|&i| i > 0)?;
        Some(((String::new(), u64::MAX - i), true))
    } else if bare.starts_with(PENDING) && !bare.ends_with(".gz.tmp") {
        // Sorts after the empty string of the `.gz` ones; the name holds the time, zero-padded.
        Some(((bare.to_owned(), 0), false))
    } else {
        None
    }
}

/// Deletes the oldest rotated files of the compressed path `base` until at most `backups`
/// remain (one fewer when `making_room` for a file about to be rotated), not counting
/// `compressing` (never touched). A source deleted before it was compressed is reported, once
/// each.
pub(crate) fn keep_newest(
    base: &Path,
    backups: usize,
    making_room: bool,
    timed: bool,
    compressing: Option<&Path>,
    errors: &ErrorReporter,
) -> io::Result<()> {
    // A source and its `.gz` (both present in the instant between the copy's rename and the
    // source's removal, or after a crash there) are one backup.
    let mut rotated: BTreeMap<(String, u64), (Vec<PathBuf>, bool)> = BTreeMap::new();
    for (suffix, path) in siblings(base)? {
        if Some(path.as_path()) == compressing {
            continue;
        }
        if let Some((key, compressed)) = age_key(&suffix, timed) {
            let entry = rotated.entry(key).or_default();
            entry.0.push(path);
            entry.1 |= compressed;
        }
    }
    let keep = backups.saturating_sub(usize::from(making_room));
    let excess = rotated.len().saturating_sub(keep);
    for (paths, compressed) in rotated.into_values().take(excess) {
        for path in &paths {
            remove_if_present(path)?;
        }
        if !compressed {
            let why =
                format!("only the newest {backups} rotated files are kept, compressed or not");
            report_unsaved(errors, &paths[0], &why);
        }
    }
    Ok(())
}

/// Deletes the backups of `base` (numbered, time-labelled, compressed or not; with `compress`,
/// also the sources waiting for it, but never `compressing`) last modified more than `age`
/// before `now`. A waiting source deleted so is reported.
pub(crate) fn prune_aged(
    base: &Path,
    age: Duration,
    now: SystemTime,
    compress: bool,
    compressing: Option<&Path>,
    errors: &ErrorReporter,
) -> io::Result<()> {
    let Some(cutoff) = now.checked_sub(age) else {
        return Ok(());
    };
    for (suffix, path) in siblings(base)? {
        let bare = suffix.strip_suffix(".gz").unwrap_or(&suffix);
        let numbered = !bare.is_empty() && bare.bytes().all(|b| b.is_ascii_digit());
        let waiting = compress
            && bare.len() == suffix.len()
            && (bare.starts_with(PENDING) && !bare.ends_with(".tmp")
                || parse_timed_suffix(bare).is_some());
        let backup = numbered || waiting || parse_timed_suffix(bare).is_some();
        if backup
            && Some(path.as_path()) != compressing
            && let Ok(modified) = fs::metadata(&path).and_then(|m| m.modified())
            && modified < cutoff
        {
            remove_if_present(&path)?;
            if waiting && !with_gz(&path).exists() {
                report_unsaved(errors, &path, "it was older than max_age");
            }
        }
    }
    Ok(())
}

fn with_gz(path: &Path) -> PathBuf {
    super::compress::with_suffix(path, ".gz")
}

#[cold]
fn report_unsaved(errors: &ErrorReporter, source: &Path, why: &str) {
    errors.report(
        "keeping up with rotation",
        io::Error::other(format!(
            "deleted {} before it was compressed ({why}): the compression thread fell behind \
             the rotations",
            source.display()
        )),
    );
}
