//! The one escaping writer behind every text output (the text line, syslog): whatever a message,
//! key or value holds, what it writes can neither end the line nor control a terminal, so one
//! record is one line for every reader. It runs on every record, so it scans bytes, eight at a
//! time, and copies clean runs whole; it must never allocate.
//!
//! What is escaped, and how, is public: the [`format`](super) module's docs hold the table.
//!
//! Where a place needs more characters escaped (a quoted value's `"`, an RFC 5424 PARAM-VALUE's
//! `"` and `]`, a key's space and `=`), [`Extra`] adds them; the base set above always applies.

/// ASCII characters that one kind of field escapes on top of the base set, and how.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Extra {
    bytes: &'static [u8],
    hex: bool,
    /// The bytes to look at closer: the base set's, its lead bytes and `bytes`.
    table: &'static [bool; 256],
}

/// The byte table of [`Extra::table`]: C0, DEL, `\`, the lead bytes 0xC2 (C1) and 0xE2 (the
/// separators and bidi controls), and `extra`.
pub(crate) const fn table(extra: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b += 1;
    }
    t[0x7f] = true;
    t[b'\\' as usize] = true;
    t[0xc2] = true;
    t[0xe2] = true;
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
}

impl Extra {
    /// Backslash-escapes `bytes` on top of the base set (a place's own rule, such as syslog's
    /// PARAM-VALUE, defines its set where it is used).
    #[cfg(any(test, feature = "syslog"))]
    pub(crate) const fn backslashed(bytes: &'static [u8], table: &'static [bool; 256]) -> Extra {
        Extra {
            bytes,
            hex: false,
            table,
        }
    }

    /// Nothing more: a message, a logger name, an unquoted value.
    pub(crate) const NONE: Extra = Extra {
        bytes: &[],
        hex: false,
        table: &table(&[]),
    };
    /// Inside `"..."`: `"` is written `\"`.
    pub(crate) const QUOTED: Extra = Extra {
        bytes: b"\"",
        hex: false,
        table: &table(b"\""),
    };
    /// A `key=value` key, which has no quotes to hide in: space, `=` and `"` are written `\x20`,
    /// `\x3d` and `\x22`, so `a b=c` cannot be read as the key `b`.
    pub(crate) const KEY: Extra = Extra {
        bytes: b" =\"",
        hex: true,
        table: &table(b" =\""),
    };
}

/// Appends `s` to `out` with the base set escaped (see the [module docs](self)).
#[inline]
pub(crate) fn push_escaped(out: &mut Vec<u8>, s: &str) {
    push_escaped_with(out, s, Extra::NONE);
}

/// Appends `s` to `out` with the base set and `extra` escaped. `s` is text, or the bytes of text
/// (a scope's fields are kept as bytes, and read back without checking them again).
#[inline]
pub(crate) fn push_escaped_with(out: &mut Vec<u8>, s: &(impl AsRef<[u8]> + ?Sized), extra: Extra) {
    let bytes = s.as_ref();
    let first = suspect(bytes, 0, extra);
    if first == bytes.len() {
        // The common case: nothing to escape, one copy.
        out.extend_from_slice(bytes);
    } else {
        escape_bytes(out, bytes, first, extra);
    }
}

/// Escapes in place what was appended to `out` since `start` (text formatted straight into the
/// buffer, such as a message or a `Display` value): when nothing needs it, as is the rule, this is
/// one scan and no copy.
///
/// `out[start..]` is meant to be UTF-8 (as anything formatted is); other bytes are never a
/// reason to panic, but a C1 character or a separator cut by `start` is not recognised.
pub(crate) fn escape_from(out: &mut Vec<u8>, start: usize, extra: Extra) {
    let Some(appended) = out.get(start..) else {
        return;
    };
    let first = suspect(appended, 0, extra);
    if first == appended.len() {
        return;
    }
    // Flagged bytes are ASCII or lead bytes: `start + first` is a character boundary.
    let tail = out.split_off(start + first);
    escape_bytes(out, &tail, 0, extra);
}

/// Whether [`push_escaped_with`] would write `s` unchanged.
pub(crate) fn is_clean(s: &(impl AsRef<[u8]> + ?Sized), extra: Extra) -> bool {
    let bytes = s.as_ref();
    let mut i = suspect(bytes, 0, extra);
    while i < bytes.len() {
        if escape_at(bytes, i, extra).is_some() {
            return false;
        }
        i = suspect(bytes, i + 1, extra);
    }
    true
}

/// The slow path: `bytes[first]` is suspect; copies clean runs whole and escapes the rest.
#[cold]
fn escape_bytes(out: &mut Vec<u8>, bytes: &[u8], first: usize, extra: Extra) {
    out.reserve(bytes.len() + 8);
    let mut i = first;
    let mut copied = 0;
    while i < bytes.len() {
        match escape_at(bytes, i, extra) {
            Some((width, esc)) => {
                out.extend_from_slice(&bytes[copied..i]);
                esc.write(out);
                i += width;
                copied = i;
            }
            None => i += 1,
        }
        i = suspect(bytes, i, extra);
    }
    out.extend_from_slice(&bytes[copied..]);
}

/// One escape: `\` and one character, `\xHH` or `\u{H...}`.
#[derive(Clone, Copy)]
enum Escape {
    Char(u8),
    Hex(u8),
    Unicode(u32),
}

impl Escape {
    fn write(self, out: &mut Vec<u8>) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        match self {
            Escape::Char(c) => out.extend_from_slice(&[b'\\', c]),
            Escape::Hex(b) => out.extend_from_slice(&[
                b'\\',
                b'x',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]),
            Escape::Unicode(cp) => {
                out.extend_from_slice(b"\\u{");
                let digits = (32 - cp.leading_zeros()).div_ceil(4).max(1);
                for k in (0..digits).rev() {
                    out.push(HEX[((cp >> (4 * k)) & 0xf) as usize]);
                }
                out.push(b'}');
            }
        }
    }
}

/// The escape for the character starting at `bytes[i]`, with its width in bytes, if it needs one.
#[inline]
fn escape_at(bytes: &[u8], i: usize, extra: Extra) -> Option<(usize, Escape)> {
    let b = bytes[i];
    let esc = match b {
        b'\n' => Escape::Char(b'n'),
        b'\r' => Escape::Char(b'r'),
        b'\t' => Escape::Char(b't'),
        b'\\' => Escape::Char(b'\\'),
        0x00..=0x1f | 0x7f => Escape::Hex(b),
        // C1: U+0080-U+009F is C2 80 to C2 9F.
        0xc2 => match bytes.get(i + 1) {
            Some(&c @ 0x80..=0x9f) => return Some((2, Escape::Unicode(u32::from(c)))),
            _ => return None,
        },
        // U+200E/F, U+2028-U+202E (E2 80 ..), U+2066-U+2069 (E2 81 A6 to A9).
        0xe2 => {
            let (b1, b2) = (*bytes.get(i + 1)?, *bytes.get(i + 2)?);
            let hit = match b1 {
                0x80 => matches!(b2, 0x8e | 0x8f | 0xa8..=0xae),
                0x81 => matches!(b2, 0xa6..=0xa9),
                _ => false,
            };
            if !hit {
                return None;
            }
            let cp = 0x2000 | (u32::from(b1 & 0x3f) << 6) | u32::from(b2 & 0x3f);
            return Some((3, Escape::Unicode(cp)));
        }
        _ if extra.bytes.contains(&b) => {
            if extra.hex {
                Escape::Hex(b)
            } else {
                Escape::Char(b)
            }
        }
        _ => return None,
    };
    Some((1, esc))
}

/// The index of the first byte at or after `from` that may start something to escape (the
/// base set's bytes, the lead bytes 0xC2 and 0xE2, `extra`), or `bytes.len()`.
///
/// Eight bytes at a time: a word with none of them is skipped with a few arithmetic operations
/// instead of eight table look-ups. A flagged word is then checked byte by byte, so the word test
/// only needs to be right about "none".
#[inline]
fn suspect(bytes: &[u8], from: usize, extra: Extra) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Nonzero when some byte of `w` is zero (exact about whether; not about which).
    let has_zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGHS;
    let splat = |b: u8| u64::from_ne_bytes([b; 8]);

    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let w = u64::from_ne_bytes(chunk.try_into().expect("eight bytes"));
        // Bytes below 0x20: the same trick as `has_zero`, against 0x20 instead of 0.
        let mut hit = w.wrapping_sub(splat(0x20)) & !w & HIGHS;
        hit |= has_zero(w ^ splat(0x7f))
            | has_zero(w ^ splat(b'\\'))
            | has_zero(w ^ splat(0xc2))
            | has_zero(w ^ splat(0xe2));
        for &e in extra.bytes {
            hit |= has_zero(w ^ splat(e));
        }
        if hit != 0 {
            break;
        }
        i += 8;
    }
    // The word's bytes (or the last few): one table look-up each.
    let rest = bytes.get(i..).unwrap_or_default();
    match rest.iter().position(|&b| extra.table[usize::from(b)]) {
        Some(k) => i + k,
        None => bytes.len(),
    }
}

#[cfg(test)]
mod tests {
    /// Syslog's PARAM-VALUE rule, as `handler/syslog/format.rs` defines it.
    const SD_VALUE: super::Extra = super::Extra::backslashed(b"\"]", &super::table(b"\"]"));

    use super::{Extra, is_clean, push_escaped, push_escaped_with};

    #[test]
    fn a_line_break_an_escape_sequence_and_bidi_controls_are_written_as_escapes() {
        let mut out = Vec::new();
        push_escaped(&mut out, "ok\r\x1b[2K \\n \u{2028}\u{202e} déjà");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r"ok\r\x1b[2K \\n \u{2028}\u{202e} déjà"
        );
    }

    fn esc(s: &str) -> String {
        let mut out = Vec::new();
        push_escaped(&mut out, s);
        String::from_utf8(out).expect("escaping keeps UTF-8")
    }

    #[test]
    fn clean_text_is_copied_as_it_is() {
        for s in [
            "",
            "a",
            "plain ascii message of some length",
            "déjà vu £5 — “quoted” €",
        ] {
            assert_eq!(esc(s), s);
            assert!(is_clean(s, Extra::NONE), "{s:?}");
        }
    }

    #[test]
    fn each_class_has_its_escape() {
        let cases = [
            ("\n", r"\n"),
            ("\r", r"\r"),
            ("\t", r"\t"),
            ("\\", r"\\"),
            ("\\n", r"\\n"),
            ("\0", r"\x00"),
            ("\x1b[2K", r"\x1b[2K"),
            ("\x0b", r"\x0b"),
            ("\x0c", r"\x0c"),
            ("\x1c\x1d\x1e\x1f", r"\x1c\x1d\x1e\x1f"),
            ("\x7f", r"\x7f"),
            ("\u{80}", r"\u{80}"),
            ("\u{85}", r"\u{85}"),
            ("\u{9b}", r"\u{9b}"),
            ("\u{9f}", r"\u{9f}"),
            ("\u{2028}", r"\u{2028}"),
            ("\u{2029}", r"\u{2029}"),
            ("\u{200e}\u{200f}", r"\u{200e}\u{200f}"),
            (
                "\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}",
                r"\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}",
            ),
            (
                "\u{2066}\u{2067}\u{2068}\u{2069}",
                r"\u{2066}\u{2067}\u{2068}\u{2069}",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(esc(input), want, "{input:?}");
            assert!(!is_clean(input, Extra::NONE), "{input:?}");
        }
    }

    #[test]
    fn neighbours_of_the_escaped_ranges_pass() {
        // Same lead bytes (C2, E2) or next to an escaped code point, but harmless.
        for s in [
            "\u{a0}", "\u{bf}", "\u{200d}", "\u{2010}", "\u{2027}", "\u{202f}", "\u{2065}",
            "\u{206a}", "\u{20ac}", "\u{2603}", "\u{7e}", "\u{100}",
        ] {
            assert_eq!(esc(s), s, "{s:?}");
        }
    }

    #[test]
    fn escapes_are_found_at_every_offset_around_the_word_scan() {
        // Each payload at every position of a 0..24-byte prefix and suffix: the word loop, the
        // byte tail and the boundary between them all see it.
        for payload in ["\n", "\\", "\u{85}", "\u{2028}", "\x7f", "\u{2069}"] {
            let want = esc(payload);
            for pre in 0..24 {
                for post in [0, 1, 7, 8, 9] {
                    let s = format!("{}{payload}{}", "a".repeat(pre), "b".repeat(post));
                    let got = esc(&s);
                    assert_eq!(
                        got,
                        format!("{}{want}{}", "a".repeat(pre), "b".repeat(post)),
                        "{s:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_output_has_no_control_character_and_no_line_boundary() {
        // Every code point up to U+2FFF, one by one and all together.
        let all: String = (0..0x3000u32).filter_map(char::from_u32).collect();
        let out = esc(&all);
        for c in out.chars() {
            let bad = c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}')
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c);
            assert!(!bad, "{c:?} passed through");
        }
        assert_eq!(out.lines().count(), 1);
    }

    #[test]
    fn extras_add_to_the_base_set() {
        let mut out = Vec::new();
        push_escaped_with(&mut out, "say \"hi\"\n", Extra::QUOTED);
        assert_eq!(out, br#"say \"hi\"\n"#);
        out.clear();
        push_escaped_with(&mut out, "a b=\"c\"", Extra::KEY);
        assert_eq!(out, br"a\x20b\x3d\x22c\x22");
        out.clear();
        push_escaped_with(&mut out, "x]\"\\\n", SD_VALUE);
        assert_eq!(out, br#"x\]\"\\\n"#);
        assert!(is_clean("a=b c", Extra::NONE));
        assert!(!is_clean("a=b", Extra::KEY));
    }

    #[test]
    fn what_was_formatted_into_the_buffer_is_escaped_in_place() {
        use std::io::Write as _;
        let mut out = b"kept\n|".to_vec();
        let start = out.len();
        let (b, q) = ("b\nc", "q");
        write!(out, "{b}|{q:?}|{}", 1).unwrap();
        super::escape_from(&mut out, start, SD_VALUE);
        assert_eq!(out, b"kept\n|b\\nc|\\\"q\\\"|1");
        // Nothing appended, or a start past the end: nothing to do, no panic.
        let len = out.len();
        super::escape_from(&mut out, len, Extra::NONE);
        super::escape_from(&mut out, len + 5, Extra::NONE);
        assert_eq!(out.len(), len);
    }
}
