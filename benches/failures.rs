//! What `err` costs a function that returns `Ok`: the same scoped function with and without the
//! option (the body runs in a closure whose `Result` is looked at). The bound: at most
//! 5 ns more. `summary` is shown for reference: it already looked at the return value.

mod common;

use std::hint::black_box;
use std::io;
use std::sync::LazyLock;

use criterion::Criterion;
use scoped_logger::{Registry, scoped_logger};

static REG: LazyLock<Registry> = LazyLock::new(Registry::new);

#[inline(never)]
#[scoped_logger("bench.f", registry = &REG)]
fn plain(x: u64) -> io::Result<u64> {
    Ok(black_box(x))
}

#[inline(never)]
#[scoped_logger("bench.f", registry = &REG, err)]
fn with_err(x: u64) -> io::Result<u64> {
    Ok(black_box(x))
}

#[inline(never)]
#[scoped_logger("bench.err_warn", registry = &REG, err = "warn", level = "error")]
fn with_err_warn(x: u64) -> io::Result<u64> {
    Ok(black_box(x))
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("err_on_ok");
    g.bench_function("plain", |b| b.iter(|| plain(black_box(1))));
    g.bench_function("err", |b| b.iter(|| with_err(black_box(1))));
    g.bench_function("err_warn", |b| b.iter(|| with_err_warn(black_box(1))));
    g.finish();
}

fn main() {
    let mut c = common::criterion();
    bench(&mut c);
    c.final_summary();
    if common::measuring() {
        common::print_ratios("err_on_ok", "plain", &["err", "err_warn"]);
        if let (Some(a), Some(b)) = (
            common::median_ns("err_on_ok", "plain"),
            common::median_ns("err_on_ok", "err"),
        ) {
            println!("\nerr - plain: {:+.1} ns", b - a);
        }
    }
}
