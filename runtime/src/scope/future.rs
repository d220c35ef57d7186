//! Scoped futures: a scope made current during each `poll`, on whichever thread polls, and
//! never across an `.await` of the caller's (tracing's `Instrumented::poll`).

use std::future::{Future, poll_fn};
use std::pin::pin;

use super::ScopedLogger;
use crate::tree::{FrameContext, FrameGuard};

/// Runs `fut` with `ctx` current during each of its polls, on whichever thread polls it.
pub(crate) async fn poll_with<F: Future>(ctx: FrameContext, fut: F) -> F::Output {
    let mut fut = pin!(fut);
    poll_fn(|cx| {
        let _frame = FrameGuard::push(ctx.clone());
        fut.as_mut().poll(cx)
    })
    .await
}

/// Makes `scope` current during every poll of `fut` and ends it when `fut` completes or is dropped.
///
/// ```
/// use scoped_logger::{Registry, FutureExt as _};
/// let reg = Registry::new();
/// let scope = reg.scope("tasks.1").open().unwrap();
/// let fut = async { scoped_logger::current().name().to_owned() }.in_scope(scope);
/// assert_eq!(reg.node_count(), 2);
/// let name = futures_lite_block_on(fut);
/// assert_eq!(name, "tasks.1");
/// assert_eq!(reg.node_count(), 0);
/// # fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     use std::task::{Context, Poll, Waker};
/// #     let mut f = std::pin::pin!(f);
/// #     let mut cx = Context::from_waker(Waker::noop());
/// #     loop { if let Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
/// # }
/// ```
/// A future dropped before it completes ends its scope as `cancelled` (in the summary, and for
/// a stuck task's last report).
pub async fn in_scope<F: Future>(fut: F, scope: ScopedLogger) -> F::Output {
    scope.expect_completion();
    let out = poll_with(scope.context(), fut).await;
    scope.completed();
    drop(scope);
    out
}

/// `fut.in_scope(scope)`: see [`in_scope`].
pub trait FutureExt: Future + Sized {
    /// Makes `scope` current during every poll of this future and ends it when the future
    /// completes or is dropped.
    fn in_scope(self, scope: ScopedLogger) -> impl Future<Output = Self::Output> {
        in_scope(self, scope)
    }

    /// Runs this future in the scope current now, with its fields (for `tokio::spawn`): it
    /// joins the scope, so the task's handlers stay open until this future completes or is
    /// dropped; see [`Context`](crate::Context).
    ///
    /// ```
    /// use scoped_logger::{FutureExt as _, LevelFilter, MemoryHandler, Registry, info};
    /// let reg = Registry::new();
    /// let mem = MemoryHandler::new();
    /// let job = reg.scope("jobs.3").level(LevelFilter::Info).field("job", 3).enter().unwrap();
    /// job.add_handler(mem.clone());
    /// let child = async { info!("in the child") }.in_current_scope();
    /// drop(job);
    /// assert_eq!(reg.node_count(), 2, "the child holds `jobs.3` (and so `jobs`)");
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
    /// # }
    /// block_on(child);
    /// assert_eq!(mem.records()[0].value("job").unwrap().to_string(), "3");
    /// assert_eq!(reg.node_count(), 0);
    /// ```
    fn in_current_scope(self) -> impl Future<Output = Self::Output> {
        crate::scope::context::Context::current().in_context(self)
    }
}

impl<F: Future> FutureExt for F {}
