//! The one table of level names the macros know: the five `Level`s in their order (as
//! `scoped_log!` spells them), and what `level = "..."` strings also accept, as
//! `LevelFilter::from_str` does at run time.

/// The five levels, most severe first: the name a macro call writes and the variant it names.
pub(crate) const LEVELS: [(&str, &str); 5] = [
    ("error", "Error"),
    ("warn", "Warn"),
    ("info", "Info"),
    ("debug", "Debug"),
    ("trace", "Trace"),
];

/// Names a level string also accepts (case-insensitive there), beyond [`LEVELS`].
const FILTER_EXTRAS: [(&str, &str); 3] =
    [("off", "Off"), ("critical", "Error"), ("warning", "Warn")];

/// The `LevelFilter` variant a level string names (case-insensitive, with the aliases).
pub(crate) fn filter_variant(text: &str) -> Option<&'static str> {
    LEVELS
        .iter()
        .chain(FILTER_EXTRAS.iter())
        .find(|(name, _)| text.eq_ignore_ascii_case(name))
        .map(|(_, variant)| *variant)
}
