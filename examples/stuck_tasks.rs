//! A small job runner where one job is slow and one is stuck: the slow one's DEBUG trail is
//! replayed when it ends (`outcome=slow`), the stuck one is reported while it still runs (with
//! its trail so far and the thread it is on), and `live_scopes()` shows what runs and since when.
//!
//! ```text
//! cargo run --example stuck_tasks
//! ```

use std::time::Duration;

use scoped_logger::scope::FlightRecorder;
use scoped_logger::{LevelFilter, Registry, StreamHandler, debug, info, timing::LiveScope};

fn job(reg: &Registry, id: u64, work: Duration) {
    let _task = reg
        .scope(&format!("jobs.{id}"))
        .level(LevelFilter::Info)
        .field("job", id)
        .flight_recorder(FlightRecorder::new(LevelFilter::Debug))
        .summary(id.is_multiple_of(4) || work > Duration::from_millis(50))
        .slow(Duration::from_millis(100))
        .stuck(Duration::from_millis(400))
        .enter()
        .expect("a valid name");
    let work_ms = work.as_millis() as u64;
    debug!(work_ms; "fetched the input");
    std::thread::sleep(work);
    debug!("computed");
    info!("done");
}

fn main() {
    let reg = Registry::new();
    reg.root()
        .add_handler(StreamHandler::new(std::io::stdout()));
    reg.root().set_level(LevelFilter::Info);

    std::thread::scope(|s| {
        let reg = &reg;
        // Job 100 hangs for a while: reported stuck while it runs.
        std::thread::Builder::new()
            .name("worker-b".into())
            .spawn_scoped(s, move || job(reg, 100, Duration::from_millis(1200)))
            .expect("a thread");
        for id in 0..12 {
            // Job 5 is slow: replayed when it ends.
            let work = if id == 5 { 250 } else { 5 };
            job(reg, id, Duration::from_millis(work));
        }
        std::thread::sleep(Duration::from_millis(600));
        let live: Vec<LiveScope> = reg.live_scopes();
        println!("--- live timed scopes, oldest first ---");
        for l in &live {
            println!(
                "{} for {:?} on {} (stuck: {})",
                l.name, l.age, l.thread, l.stuck
            );
        }
        println!("---");
    });
    println!(
        "replays held back by the budget: {}",
        reg.stats().replays_suppressed
    );
}
