//! The program's name as the system loggers show it (syslog's APP-NAME, journald's
//! `SYSLOG_IDENTIFIER`): the file name it was started as. Never fails: empty when unknown.

use std::path::Path;

/// The file name of `argv[0]`, else of the running executable, else empty.
pub(crate) fn program_name() -> String {
    let from_args = std::env::args_os().next().and_then(|a| {
        Path::new(&a)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
    });
    from_args
        .or_else(|| {
            std::env::current_exe()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        })
        .unwrap_or_default()
}
