//! What escaping costs on every record: one typical record formatted by `TextFormat` into a reused
//! buffer, with a plain ASCII message and with one that needs escapes, next to a copy of the
//! text format as it was before the escaping writer (`old_main`, which escaped `\n` in the
//! message only and quoted values with `Debug`), in the same run. Then the writer alone on a few
//! kinds of text, as a record's whole message.
//!
//! `cargo bench -p scoped-logger-benches --bench escape -- --quick`

mod common;

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use criterion::BenchmarkId;

use scoped_logger::format::{Format, TextFormat};
use scoped_logger::kv::Value;
use scoped_logger::{Level, Record};

/// The text format as it was on `main` before the escaping writer, copied here (with the
/// crate-private helpers it used) only to be measured against. Not used for output.
mod old_main {
    use std::fmt::Write as _;
    use std::io::Write as _;

    use scoped_logger::Record;
    use scoped_logger::format::Format;
    use scoped_logger::kv::Value;

    pub struct OldTextFormat;

    impl Format for OldTextFormat {
        fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) {
            scoped_logger::format::write_time(record.time(), out);
            out.push(b' ');
            out.extend_from_slice(record.level().as_str().as_bytes());
            out.push(b' ');
            let name = if record.logger().is_empty() {
                "root"
            } else {
                record.logger()
            };
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            let start = out.len();
            write_args(out, *record.args());
            if out[start..].contains(&b'\n') {
                let msg = String::from_utf8_lossy(&out[start..]).replace('\n', "\\n");
                out.truncate(start);
                out.extend_from_slice(msg.as_bytes());
            }
            let mut scratch = String::new();
            for (key, value) in record.key_values() {
                out.push(b' ');
                out.extend_from_slice(key.as_bytes());
                out.push(b'=');
                scratch.clear();
                let _ = write!(scratch, "{value}");
                let plain = !scratch.is_empty()
                    && !scratch
                        .chars()
                        .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '=');
                if plain && !matches!(value, Value::Str(s) if s.is_empty()) {
                    out.extend_from_slice(scratch.as_bytes());
                } else {
                    let _ = write!(out, "{scratch:?}");
                }
            }
            out.push(b'\n');
        }
    }

    fn write_args(out: &mut Vec<u8>, args: std::fmt::Arguments<'_>) {
        struct Bytes<'a>(&'a mut Vec<u8>);
        impl std::fmt::Write for Bytes<'_> {
            fn write_str(&mut self, s: &str) -> std::fmt::Result {
                self.0.extend_from_slice(s.as_bytes());
                Ok(())
            }
        }
        match args.as_str() {
            Some(s) => out.extend_from_slice(s.as_bytes()),
            None => {
                let _ = std::fmt::write(&mut Bytes(out), args);
            }
        }
    }
}

/// Formats one record like the ones the peers bench logs: a formatted message and three
/// key-values, one of them a string.
fn format_one(format: &dyn Format, msg: &str, user: &str, out: &mut Vec<u8>) {
    let kvs = [
        ("job", Value::U64(black_box(42))),
        ("user", Value::Str(user)),
        ("ok", Value::Bool(true)),
    ];
    out.clear();
    format.format(
        &Record::builder(
            Level::Info,
            "jobs.42",
            format_args!("request {} {}", black_box(7), msg),
        )
        .key_values(&kvs)
        .time(UNIX_EPOCH + Duration::from_millis(1_795_892_638_123))
        .build(),
        out,
    );
    black_box(&out);
}

fn main() {
    let mut c = common::criterion();

    const PLAIN: (&str, &str) = ("done in 17 ms for the billing export", "ann");
    const HOSTILE: (&str, &str) = (
        "done\r2026-01-01T00:00:00.000Z ERROR admin: \x1b[2Kfake",
        "ann\nroot",
    );
    let mut out = Vec::with_capacity(256);
    {
        let mut g = c.benchmark_group("text_format");
        let formats: [(&str, &dyn Format); 2] = [
            ("ours", &TextFormat),
            ("old_main", &old_main::OldTextFormat),
        ];
        for (name, format) in formats {
            for (kind, (msg, user)) in [("ascii", PLAIN), ("escapes", HOSTILE)] {
                g.bench_function(BenchmarkId::new(kind, name), |b| {
                    b.iter(|| format_one(format, msg, user, &mut out))
                });
            }
        }
        g.finish();
    }
    {
        // The escaping writer is private: it is measured on a record whose whole message is the
        // text, so the figure includes the few fixed bytes of the line around it.
        let mut g = c.benchmark_group("message_64");
        let texts = [
            (
                "ascii_64",
                "GET /api/v1/jobs/42/status?verbose=true from 10.0.0.7 in 17 ms ok",
            ),
            (
                "french_typographic_64",
                "« Déjà vu » — l’export s’est terminé en 17 ms, à l’heure prévue",
            ),
            (
                "one_newline_64",
                "GET /api/v1/jobs/42/status?verbose=true\nfrom 10.0.0.7 in 17 ms ok",
            ),
        ];
        for (name, text) in texts {
            g.bench_function(name, |b| {
                b.iter(|| {
                    out.clear();
                    TextFormat.format(
                        &Record::builder(Level::Info, "jobs", format_args!("{}", black_box(text)))
                            .time(UNIX_EPOCH)
                            .build(),
                        &mut out,
                    );
                    black_box(&out);
                })
            });
        }
        g.finish();
    }

    c.final_summary();
    if common::measuring() {
        common::print_ratios("text_format", "ascii/ours", &["ascii/old_main"]);
        common::print_ratios("text_format", "escapes/ours", &["escapes/old_main"]);
    }
}
