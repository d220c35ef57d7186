//! A service's logging set-up: `init()` for stderr, `RUST_LOG`, the bridges and the last words
//! at exit; a configuration file for levels and handlers, applied again whenever it changes.
//!
//! ```text
//! cargo run --example config_watch --features config              # edit the file it names; Ctrl-C ends
//! cargo run --example config_watch --features config -- --check   # edits the file itself, sees each change, exits
//! ```

use std::path::Path;
use std::time::{Duration, Instant};

use scoped_logger::{Level, LevelFilter, config};

fn settings(db_level: &str, log: &Path) -> String {
    format!(
        r#"# Levels and handlers of the example; saved changes apply within a second.
[loggers.root]
level = "info"

[loggers."app.db"]
level = "{db_level}"
handlers = ["db_file"]

[handlers.db_file]
kind = "file"
path = {log:?}
"#
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let check = std::env::args().any(|a| a == "--check");
    let dir =
        std::env::temp_dir().join(format!("scoped-logger-config-watch-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("logging.toml");
    let log = dir.join("db.log");
    std::fs::write(&file, settings("warn", &log))?;

    let _guard = scoped_logger::init()?;
    let interval = if check {
        Duration::from_millis(50)
    } else {
        Duration::from_secs(1)
    };
    let watch = config::watch(&file, interval)?;
    let db = scoped_logger::logger("app.db");

    if !check {
        println!(
            "edit {} (try level = \"debug\" for app.db); Ctrl-C ends",
            file.display()
        );
        for i in 0.. {
            db.log(Level::Debug, format_args!("query {i} took 3 ms"));
            scoped_logger::root().log(Level::Info, format_args!("tick {i}"));
            std::thread::sleep(Duration::from_secs(1)); // pacing the demo, not waiting for the watch
        }
        return Ok(());
    }

    // --check: each change is made to the file, and seen applied by the watching thread.
    let wait_for = |what: &str, done: &dyn Fn() -> bool| {
        let start = Instant::now();
        while !done() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out waiting for {what}"
            );
            std::thread::yield_now();
        }
        println!("seen: {what} ({} ms)", start.elapsed().as_millis());
    };
    assert_eq!(db.level(), Some(LevelFilter::Warn));
    db.log(Level::Debug, format_args!("not written: app.db is at warn"));

    std::fs::write(&file, settings("debug", &log))?;
    wait_for("app.db at debug", &|| {
        db.level() == Some(LevelFilter::Debug)
    });
    db.log(Level::Debug, format_args!("query 1 took 3 ms"));
    let written = std::fs::read_to_string(&log)?;
    assert!(written.contains("query 1 took 3 ms"), "{written}");
    assert!(!written.contains("not written"), "{written}");

    std::fs::write(&file, settings("loud", &log))?;
    wait_for("the bad file reported", &|| watch.last_error().is_some());
    assert_eq!(
        db.level(),
        Some(LevelFilter::Debug),
        "the last good file stays in force"
    );

    std::fs::write(&file, settings("info", &log))?;
    wait_for("app.db at info", &|| db.level() == Some(LevelFilter::Info));
    assert_eq!(watch.reloads(), 2);
    println!("config_watch --check: every change applied, the bad file kept out");
    drop(watch);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
