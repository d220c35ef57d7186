//! What the shaped and styled text lines cost next to the default one, for one typical record
//! (a formatted message and three key-values) formatted into a reused buffer:
//!
//! - `text_styled` against `text_plain`: the level coloured and the time dimmed (the bound: at
//!   most 10% more);
//! - `pattern_same_fields` against `text_plain`: `PatternFormat` with the default line's pattern,
//!   so the same bytes (the bound: at most 15% more);
//! - for information, the builder with every field on, in UTC and in local time.
//!
//! `cargo bench -p scoped-logger-benches --bench format -- --quick`
//!
//! Instructions per record, independent of the load (the difference of two runs over 100,000
//! more records):
//!
//! ```text
//! for f in text_plain text_styled pattern_same_fields; do for n in 100000 200000; do
//!   FORMAT_BENCH_COUNT=$f:$n valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/deps/format-<hash> 2>&1 | grep 'refs:'; done; done
//! ```

mod common;

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use scoped_logger::format::{Format, PatternFormat, Styled, TextFormat};
use scoped_logger::kv::Value;
use scoped_logger::{Level, Record};

fn format_one(format: &dyn Format, out: &mut Vec<u8>) {
    let kvs = [
        ("job", Value::U64(black_box(42))),
        ("user", Value::Str("ann")),
        ("ok", Value::Bool(true)),
    ];
    out.clear();
    format.format(
        &Record::builder(
            Level::Info,
            "jobs.42",
            format_args!("done in {} ms for the billing export", black_box(17)),
        )
        .key_values(&kvs)
        .thread_name(Some("worker-3"))
        .source(
            Some("billing::export"),
            Some("src/billing/export.rs"),
            Some(118),
        )
        .time(UNIX_EPOCH + Duration::from_millis(1_795_892_638_123))
        .build(),
        out,
    );
    black_box(&out);
}

fn main() {
    let mut c = common::criterion();
    let same = PatternFormat::new("{time} {level} {logger}: {message}{kv}").unwrap();
    let every = |local| {
        TextFormat::builder()
            .local_time(local)
            .thread_name(true)
            .module(true)
            .location(true)
            .pid(true)
            .build()
    };
    let formats: [(&str, Box<dyn Format>); 6] = [
        ("text_plain", Box::new(TextFormat)),
        ("text_styled", Box::new(Styled(TextFormat))),
        ("pattern_same_fields", Box::new(same.clone())),
        ("pattern_same_fields_styled", Box::new(Styled(same))),
        ("builder_every_field_utc", Box::new(every(false))),
        ("builder_every_field_local", Box::new(every(true))),
    ];
    let mut out = Vec::with_capacity(256);
    // `FORMAT_BENCH_COUNT=name:n` formats `n` records with one format and exits, for counting
    // instructions under callgrind (two counts, the difference over the extra records: the
    // figure does not depend on the machine's load, which wall times here do).
    if let Ok(spec) = std::env::var("FORMAT_BENCH_COUNT") {
        let (name, n) = spec.split_once(':').expect("name:count");
        let n: u64 = n.parse().expect("a count");
        let (_, format) = formats
            .iter()
            .find(|(f, _)| *f == name)
            .expect("a format name");
        for _ in 0..n {
            format_one(&**format, &mut out);
        }
        return;
    }
    {
        let mut g = c.benchmark_group("format_line");
        for (name, format) in &formats {
            g.bench_function(*name, |b| b.iter(|| format_one(&**format, &mut out)));
        }
        g.finish();
    }
    c.final_summary();
    if common::measuring() {
        common::print_ratios(
            "format_line",
            "text_plain",
            &[
                "text_styled",
                "pattern_same_fields",
                "pattern_same_fields_styled",
                "builder_every_field_utc",
                "builder_every_field_local",
            ],
        );
    }
}
