//! One record, one append, and never half of one: a write cut short (the disk filled up
//! mid-record) is taken back to the record boundary, or, when that cannot be done safely, the
//! next record starts with a newline so it is never glued to the fragment.
//!
//! Used by the file handlers; it must never leave a fragment unterminated without saying so.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Seek, Write};

/// Appends `line` (one whole record ending in a newline) to `file`, opened with `O_APPEND`.
///
/// `torn` says a fragment of an earlier record is still at the end of the file: this record then
/// starts with a newline (in the same write). On a short write followed by an error, the
/// fragment is cut off again with `set_len` when the file still ends with it (no other writer
/// appended since); otherwise `torn` is set. The error is returned either way, for the caller
/// to report and count.
pub(crate) fn append_record(file: &mut File, line: &[u8], torn: &mut bool) -> io::Result<()> {
    let buf: Cow<'_, [u8]> = if *torn {
        Cow::Owned([b"\n", line].concat())
    } else {
        Cow::Borrowed(line)
    };
    let mut written = 0;
    let err = loop {
        if written == buf.len() {
            *torn = false;
            return Ok(());
        }
        match file.write(&buf[written..]) {
            Ok(0) => break io::Error::from(io::ErrorKind::WriteZero),
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break e,
        }
    };
    if written > 0 && !take_back(file, written as u64) {
        *torn = true;
    }
    Err(err)
}

/// Cuts the last `written` bytes off the file if they are still its end. `false` when that
/// could not be done (someone appended after them, or a call failed).
#[cold]
fn take_back(file: &mut File, written: u64) -> bool {
    // After an append, the descriptor's position is the end of what it wrote.
    let Ok(end) = file.stream_position() else {
        return false;
    };
    match file.metadata() {
        Ok(meta) if meta.len() == end && end >= written => file.set_len(end - written).is_ok(),
        _ => false,
    }
}
