//! Issue 30's figures for `init()`'s handler behind the operator's directives: what an enabled
//! record through it costs, and what a disabled one costs, counted with callgrind (instructions
//! do not depend on the shared machine's load). Each run logs `n` records; two runs with
//! different `n` give the cost of one (the difference over the extra records). Both the caller
//! and stderr's writer thread are counted unless callgrind is told `--separate-threads=yes`
//! (then `<out>-01` is the caller's thread alone: the figure, since the writer thread's spinning
//! depends on scheduling). The queue holds every record, so the caller never waits or drops.
//!
//! ```text
//! cargo bench -p scoped-logger-benches --bench operator --no-run
//! for c in init_record plain_root_record init_disabled init_gate_closed; do for n in 20000 40000; do
//!   OPERATOR_BENCH_COUNT=$c:$n valgrind --tool=callgrind --separate-threads=yes \
//!     --callgrind-out-file=cg.out target/release/deps/operator-<hash> 2>/dev/null
//!   grep '^summary' cg.out-01; done; done
//! ```
//!
//! * `init_record`: `info!` outside any scope, through `init()`'s stderr handler (`info`).
//! * `plain_root_record`: the same with a bare `StderrHandler` on the root, as `init()` set it
//!   up before the handler followed the directives.
//! * `init_disabled`: a `debug!` under `init()` at `info`, while a DEBUG scope is live on
//!   another thread (the gate is open, the logger says no).
//! * `init_gate_closed`: the same with no DEBUG scope anywhere (the macro's first check).

use std::hint::black_box;

use scoped_logger::handler::queue::QueueOptions;
use scoped_logger::{InitBuilder, LevelFilter, Registry, StderrHandler, debug, info};

fn main() {
    let Ok(spec) = std::env::var("OPERATOR_BENCH_COUNT") else {
        eprintln!("set OPERATOR_BENCH_COUNT=case:n (see the file's header)");
        return;
    };
    let (case, n) = spec.split_once(':').expect("case:count");
    let n: u64 = n.parse().expect("a count");
    let guard = match case {
        "init_record" | "init_disabled" | "init_gate_closed" => Some(
            InitBuilder::new()
                .no_env()
                .default_filters("info")
                .queue(
                    QueueOptions::default()
                        .capacity(1 << 20)
                        .capacity_bytes(1 << 30),
                )
                .init()
                .unwrap(),
        ),
        "plain_root_record" => {
            Registry::global().configure("info").unwrap();
            Registry::global().root().add_handler(
                StderrHandler::new().queue(
                    QueueOptions::default()
                        .capacity(1 << 20)
                        .capacity_bytes(1 << 30),
                ),
            );
            None
        }
        other => panic!("unknown case {other}"),
    };
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
    let verbose = case != "init_gate_closed";
    let hold = std::thread::spawn(move || {
        let reg = Registry::new();
        let _s = verbose.then(|| {
            reg.scope("verbose.elsewhere")
                .level(LevelFilter::Debug)
                .enter()
                .unwrap()
        });
        ready_tx.send(()).unwrap();
        let _ = rx.recv();
    });
    ready_rx.recv().unwrap();
    for _ in 0..n {
        if case != "init_record" && case != "plain_root_record" {
            debug!("step {}", black_box(1));
        } else {
            info!("request {} done in {} ms", black_box(7u64), black_box(42));
        }
    }
    drop(tx);
    hold.join().unwrap();
    match guard {
        Some(g) => drop(g),
        None => {
            Registry::global().shutdown(std::time::Duration::from_secs(5));
        }
    }
}
