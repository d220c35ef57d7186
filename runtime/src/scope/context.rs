//! [`Context`]: the current scope and its fields, carried into work a task hands off (a spawned
//! future, a blocking closure, a thread, a pool's job), like tracing's `in_current_span`.
//!
//! A carried context joins the scope's live period as one more scope of it, so the task's
//! handlers stay open until the last piece of the task has ended, not only its first. It is
//! made current in the child only while the child runs (each poll, or the closure's call).

use std::future::Future;
use std::sync::Arc;

use super::ScopedLogger;
use super::future::poll_with;
use crate::kv::Value;
use crate::tree::{FrameContext, FrameGuard, Logger};

/// The scope current when it was taken, with its fields, to run other work in.
///
/// What the child does to the scope: it joins it. The scope's entry, handlers and flight
/// recorder stay live while any clone of the context (or a future or closure holding one) is
/// alive, so the child's records reach the task's file even after the parent returned; the
/// task's summary is written when the last piece ends, and says `err`/`panic` if any piece
/// failed. A context taken outside any scope carries nothing, and running in it changes nothing.
///
/// ```
/// use scoped_logger::{Context, LevelFilter, MemoryHandler, Registry, info};
/// let reg = Registry::new();
/// let mem = MemoryHandler::new();
/// let job = reg.scope("jobs.7").level(LevelFilter::Info).field("job", 7).enter().unwrap();
/// job.add_handler(mem.clone());
/// let ctx = Context::current();
/// let worker = std::thread::spawn(move || ctx.run(|| info!("from a worker thread")));
/// drop(job); // the parent ends first: the worker still holds the scope
/// worker.join().unwrap();
/// let r = &mem.records()[0];
/// assert_eq!(r.logger, "jobs.7");
/// assert_eq!(r.value("job").unwrap().to_string(), "7");
/// assert_eq!(reg.node_count(), 0); // the last piece closed it
/// ```
#[derive(Clone, Default)]
pub struct Context {
    inner: Option<Arc<Carried>>,
}

struct Carried {
    frame: FrameContext,
    /// The period joined while the context lives (`None` for a scope that was already over).
    _hold: Option<ScopedLogger>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Context");
        if let Some(c) = &self.inner {
            d.field("scope", &c.frame.logger.name())
                .field("fields", &c.frame.fields);
        }
        d.finish()
    }
}

impl Context {
    /// The scope current on this thread (with its fields), joined so that it stays live while
    /// the context does; an empty context when no scope is current.
    pub fn current() -> Context {
        match crate::tree::current_context() {
            None => Context::default(),
            Some(frame) => {
                let hold = ScopedLogger::join(&frame);
                Context {
                    inner: Some(Arc::new(Carried { frame, _hold: hold })),
                }
            }
        }
    }

    /// The scope's logger, if the context has one.
    pub fn logger(&self) -> Option<&Logger> {
        self.inner.as_ref().map(|c| &c.frame.logger)
    }

    /// The fields records carry in this context, in order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, Value<'_>)> {
        self.inner
            .iter()
            .flat_map(|c| c.frame.fields.iter().flat_map(|f| f.iter()))
    }

    /// Runs `f` with this context's scope current on this thread.
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        let _frame = self
            .inner
            .as_ref()
            .map(|c| FrameGuard::push(c.frame.clone()));
        f()
    }

    /// A closure that runs `f` in this context, for `spawn_blocking`, `thread::spawn` or a
    /// pool: `tokio::task::spawn_blocking(Context::current().wrap(move || work()))`. The scope
    /// stays joined until the closure has run (or is dropped unrun).
    pub fn wrap<R>(self, f: impl FnOnce() -> R) -> impl FnOnce() -> R {
        move || self.run(f)
    }

    /// A future that polls `fut` with this context's scope current, and lets the scope go
    /// when it completes or is dropped; see also
    /// [`FutureExt::in_current_scope`](crate::FutureExt::in_current_scope).
    pub async fn in_context<F: Future>(self, fut: F) -> F::Output {
        match self.inner.as_ref() {
            Some(c) => poll_with(c.frame.clone(), fut).await,
            None => fut.await,
        }
    }
}
