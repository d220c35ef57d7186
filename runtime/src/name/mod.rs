//! Logger names: parsing, normalization (`::` becomes `.`), validation and relative resolution.
//!
//! Every name that enters the tree goes through [`normalize`]; nothing else may build a tree key.
//! Validation never panics: bad input is a [`NameError`] that says which character or segment is wrong.

use std::borrow::Cow;

pub(crate) mod error;

pub use error::NameErrorKind;
// At the crate root: the error of everyday calls (`Registry::try_logger`).
pub(crate) use error::NameError;

/// The most segments a logger name may have. Every ancestor of a name is an entry of the tree,
/// so a name costs one entry per segment: the limit keeps a runaway name (a relative name
/// resolved in a loop, say) from costing a quadratic amount of work. Name templates never hit
/// it: an interpolated value is one segment.
pub const MAX_SEGMENTS: usize = 256;

/// Refuses a normalized absolute `full` name (given as `given`) that is deeper than
/// [`MAX_SEGMENTS`].
pub(crate) fn check_depth(given: &str, full: &str) -> Result<(), NameError> {
    // Each segment takes at least one byte and each separator one: a short name cannot be deep.
    if full.len() < 2 * MAX_SEGMENTS {
        return Ok(());
    }
    let mut segments = 1;
    for b in full.bytes() {
        if b == b'.' {
            segments += 1;
        }
    }
    if segments > MAX_SEGMENTS {
        return Err(NameError {
            name: given.to_owned(),
            kind: NameErrorKind::TooDeep { segments },
        });
    }
    Ok(())
}

/// Folds the segments past [`MAX_SEGMENTS`] into the last one (`.` becomes `_`), for callers
/// that must not fail (the attribute).
pub(crate) fn clamp_depth(full: &mut String) {
    let mut seen = 0;
    let cut = full.bytes().position(|b| {
        seen += usize::from(b == b'.');
        seen == MAX_SEGMENTS
    });
    if let Some(at) = cut {
        let tail: String = full[at..]
            .chars()
            .map(|c| if c == '.' { '_' } else { c })
            .collect();
        full.truncate(at);
        full.push_str(&tail);
    }
}

/// Normalizes an absolute or relative name: `::` becomes `.`, `"root"` becomes `""`.
///
/// A leading `.` is kept (the name is relative); the caller resolves it with [`resolve`].
pub fn normalize(name: &str) -> Result<Cow<'_, str>, NameError> {
    if name.is_empty() || name == "root" {
        return Ok(Cow::Borrowed(""));
    }
    // Most names are printable ASCII without `:`: checked in one pass over the bytes. Anything
    // else (and every invalid name) takes the path below, which says what is wrong.
    let bytes = name.as_bytes();
    if bytes.iter().all(|&b| b.is_ascii_graphic() && b != b':') {
        let body = bytes.strip_prefix(b".").unwrap_or(bytes);
        if body.first().is_some_and(|&b| b != b'.')
            && body.last() != Some(&b'.')
            && !body.windows(2).any(|w| w == b"..")
        {
            return Ok(Cow::Borrowed(name));
        }
    }
    normalize_checked(name)
}

/// `normalize` without the fast path: every rule, and the error that names the broken one.
fn normalize_checked(name: &str) -> Result<Cow<'_, str>, NameError> {
    if name.is_empty() || name == "root" {
        return Ok(Cow::Borrowed(""));
    }
    let err = |kind| NameError {
        name: name.to_owned(),
        kind,
    };
    for (at, ch) in name.char_indices() {
        if ch.is_whitespace() || ch.is_control() {
            return Err(err(NameErrorKind::BadChar { ch, at }));
        }
    }
    let norm: Cow<'_, str> = if name.contains("::") {
        Cow::Owned(name.replace("::", "."))
    } else {
        Cow::Borrowed(name)
    };
    // A relative name may start with one dot; otherwise every segment must be non-empty.
    let body = norm.strip_prefix('.').unwrap_or(&norm);
    let offset = norm.len() - body.len();
    if body.is_empty() {
        return Err(err(NameErrorKind::EmptySegment { at: 1 }));
    }
    let mut pos = 0;
    for seg in body.split('.') {
        if seg.is_empty() {
            // Map the position back to the original text (only `::` shifts offsets).
            let at = original_offset(name, offset + pos);
            return Err(err(NameErrorKind::EmptySegment { at }));
        }
        pos += seg.len() + 1;
    }
    Ok(norm)
}

fn original_offset(original: &str, normalized_at: usize) -> usize {
    // Each `::` before the position took two bytes in the original and one after normalizing.
    let mut orig = 0;
    let mut norm = 0;
    let bytes = original.as_bytes();
    while norm < normalized_at && orig < bytes.len() {
        if bytes[orig] == b':' && bytes.get(orig + 1) == Some(&b':') {
            orig += 2;
        } else {
            orig += 1;
        }
        norm += 1;
    }
    orig
}

/// Whether a normalized name is relative (starts with `.`).
pub fn is_relative(name: &str) -> bool {
    name.starts_with('.')
}

/// Resolves a normalized name against `base` (a normalized absolute name, `""` for the root).
pub fn resolve<'a>(base: &str, name: &'a str) -> Cow<'a, str> {
    match name.strip_prefix('.') {
        Some(rel) if base.is_empty() => Cow::Borrowed(rel),
        Some(rel) => Cow::Owned(format!("{base}.{rel}")),
        None => Cow::Borrowed(name),
    }
}

/// The parent name in the tree (`"a.b"` gives `Some("a")`, `"a"` gives `Some("")`, the root `None`).
pub fn parent_of(name: &str) -> Option<&str> {
    if name.is_empty() {
        return None;
    }
    Some(name.rfind('.').map_or("", |i| &name[..i]))
}

/// Appends `value` to `out` so that it is one valid name segment, whatever `value` holds.
///
/// This is how name templates (`"jobs.{id}"`) interpolate arguments: whitespace, control
/// characters, `.` and `:` each become `_`, and an empty value becomes `_`. So `"a b"` gives
/// `a_b`, `"x.y"` gives `x_y` (a value never adds levels to the tree), and `""` gives `_`.
///
/// ```
/// let mut s = String::from("jobs.");
/// scoped_logger::name::push_sanitized(&mut s, "night run\n2");
/// assert_eq!(s, "jobs.night_run_2");
/// ```
pub fn push_sanitized(out: &mut String, value: &str) {
    if value.is_empty() {
        out.push('_');
        return;
    }
    // Most values (ids, words) need no cleaning: copied at once.
    if value
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'.' && b != b':')
    {
        out.push_str(value);
        return;
    }
    out.extend(value.chars().map(|c| {
        if c.is_whitespace() || c.is_control() || c == '.' || c == ':' {
            '_'
        } else {
            c
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_paths_and_root() {
        assert_eq!(normalize("my_app::jobs").unwrap(), "my_app.jobs");
        assert_eq!(normalize("root").unwrap(), "");
        assert_eq!(normalize("").unwrap(), "");
        assert_eq!(normalize(".db").unwrap(), ".db");
        assert_eq!(normalize("a.b.c").unwrap(), "a.b.c");
    }

    #[test]
    fn rejects_bad_names_with_position() {
        let e = normalize("a..b").unwrap_err();
        assert_eq!(e.kind(), &NameErrorKind::EmptySegment { at: 2 });
        let e = normalize("a.").unwrap_err();
        assert_eq!(e.kind(), &NameErrorKind::EmptySegment { at: 2 });
        let e = normalize("x::::y").unwrap_err();
        assert_eq!(e.kind(), &NameErrorKind::EmptySegment { at: 3 });
        let e = normalize("jobs 42").unwrap_err();
        assert_eq!(e.kind(), &NameErrorKind::BadChar { ch: ' ', at: 4 });
        assert!(e.to_string().contains("' '"), "{e}");
        assert!(normalize(".").is_err());
        assert!(normalize("..a").is_err());
        assert!(normalize("a\tb").is_err());
    }

    /// The ASCII fast path accepts exactly what the full check accepts, and gives the same name.
    #[test]
    fn fast_path_agrees_with_the_full_check() {
        let alphabet = ['a', '.', ':', ' ', '\u{e9}', '\n'];
        let mut names = vec![String::new()];
        for _ in 0..5 {
            let longer: Vec<String> = names
                .iter()
                .flat_map(|n| alphabet.iter().map(move |c| format!("{n}{c}")))
                .collect();
            names.extend(longer);
        }
        names.sort();
        names.dedup();
        assert!(names.len() > 9_000);
        for n in &names {
            assert_eq!(normalize(n), normalize_checked(n), "{n:?}");
        }
    }

    #[test]
    fn resolves_relative() {
        assert_eq!(resolve("jobs.42", ".db"), "jobs.42.db");
        assert_eq!(resolve("", ".db"), "db");
        assert_eq!(resolve("x", "abs"), "abs");
        assert_eq!(parent_of("a.b.c"), Some("a.b"));
        assert_eq!(parent_of("a"), Some(""));
        assert_eq!(parent_of(""), None);
    }

    #[test]
    fn depth_is_limited_and_clamped() {
        let deep = vec!["a"; MAX_SEGMENTS + 1].join(".");
        let e = check_depth(&deep, &deep).unwrap_err();
        assert_eq!(
            e.kind(),
            &NameErrorKind::TooDeep {
                segments: MAX_SEGMENTS + 1
            }
        );
        assert!(check_depth("x", &vec!["a"; MAX_SEGMENTS].join(".")).is_ok());
        let mut clamped = deep.clone();
        clamp_depth(&mut clamped);
        assert_eq!(clamped.split('.').count(), MAX_SEGMENTS);
        assert!(clamped.ends_with("a_a"), "{clamped}");
        assert!(check_depth(&clamped, &clamped).is_ok());
    }

    #[test]
    fn sanitizes_values() {
        let mut s = String::new();
        push_sanitized(&mut s, "");
        push_sanitized(&mut s, "a.b:c d\u{7}");
        assert_eq!(s, "_a_b_c_d_");
        assert!(normalize(&format!("jobs.{s}")).is_ok());
    }
}
