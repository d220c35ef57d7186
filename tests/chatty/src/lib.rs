//! A stand-in for a third-party library: it knows nothing of scoped-logger and logs through the
//! `log` and `tracing` facades, as most crates do.

/// Logs one `log::info!` record with a key-value and returns its argument doubled.
pub fn work_with_log(n: u64) -> u64 {
    log::info!(n = n; "chatty working on {n}");
    log::debug!("chatty detail");
    n * 2
}

/// Logs one `tracing::info!` event inside a span.
pub fn work_with_tracing(n: u64) -> u64 {
    let span = tracing::info_span!("chatty_span");
    let _entered = span.enter();
    tracing::info!(n, "chatty traced {}", n);
    n * 2
}
