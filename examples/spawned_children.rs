//! A task that hands work to `tokio::spawn`, `spawn_blocking` and a thread: each child runs in
//! the task's scope, with its fields, and the task's file is closed when the last child ends,
//! not when the task's own future returns. Prints the task's file.
//!
//! ```text
//! cargo run --example spawned_children
//! ```

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};

use scoped_logger::{
    Context, FileHandler, FutureExt as _, LevelFilter, Registry, format::JsonFormat, info, warn,
};

/// Shut until `open`: the children wait on it, so that they really outlive the job.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn wait(&self) {
        let (open, cv) = &*self.0;
        let mut open = open.lock().expect("gate");
        while !*open {
            open = cv.wait(open).expect("gate");
        }
    }
    fn open(&self) {
        *self.0.0.lock().expect("gate") = true;
        self.0.1.notify_all();
    }
}

/// The job: its own scope `jobs.<id>` with fields and a file; three children outlive it.
async fn job(
    id: u64,
    dir: &Path,
    gate: &Gate,
) -> std::io::Result<Vec<tokio::task::JoinHandle<()>>> {
    let file = dir.join(format!("job-{id}.log"));
    let scope = Registry::global()
        .scope(&format!("jobs.{id}"))
        .level(LevelFilter::Info)
        .field("job", id)
        .field("attempt", 1)
        .handler(move || FileHandler::create(file))
        .open()
        .map_err(std::io::Error::other)?;
    async move {
        info!(step = "fetch"; "started");
        // A child future: joins the scope, so the file stays open until it is done.
        let g = gate.clone();
        let upload = tokio::spawn(
            async move {
                let _ = tokio::task::spawn_blocking(move || g.wait()).await;
                info!(bytes = 4096; "uploaded in a spawned task");
            }
            .in_current_scope(),
        );
        // Blocking work on tokio's pool.
        let g = gate.clone();
        let checksum = tokio::task::spawn_blocking(Context::current().wrap(move || {
            g.wait();
            let sum = id.wrapping_mul(31);
            info!(sum; "checksummed off the runtime")
        }));
        // A plain thread.
        let ctx = Context::current();
        let g = gate.clone();
        let audit = tokio::task::spawn_blocking(move || {
            std::thread::spawn(move || {
                g.wait();
                ctx.run(|| warn!("audited on a plain thread"))
            })
            .join()
            .expect("the audit thread");
        });
        info!("returns before its children end");
        Ok(vec![upload, checksum, audit])
    }
    .in_scope(scope)
    .await
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::io::Result<()> {
    let dir = std::env::temp_dir().join(format!("scoped-logger-children-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let root = Registry::global().root();
    let json = dir.join("all.jsonl");
    root.add_handler(FileHandler::create(&json)?.format(JsonFormat));

    let gate = Gate::default();
    let children = job(7, &dir, &gate).await?;
    let held = Registry::global().node_count();
    println!(
        "job 7 returned; its {} children hold its scope: node_count {held}",
        children.len(),
    );
    assert_eq!(held, 2, "`jobs.7` and its placeholder `jobs`");
    gate.open();
    for c in children {
        c.await.expect("a child task");
    }
    println!(
        "children done: node_count {}\n",
        Registry::global().node_count()
    );

    let text = std::fs::read_to_string(dir.join("job-7.log"))?;
    println!("--- job-7.log (the task's own file, text) ---\n{text}");
    assert_eq!(
        text.lines().count(),
        5,
        "every record of the task and its children"
    );
    assert!(text.lines().all(|l| l.contains("job=7 attempt=1")));
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .contains("returns before its children end")
    );
    Registry::global().shutdown(std::time::Duration::from_secs(2));
    let first = std::fs::read_to_string(&json)?;
    println!(
        "--- all.jsonl (the root's JSON lines), first record ---\n{}",
        first.lines().next().unwrap_or_default()
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
