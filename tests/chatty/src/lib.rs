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

/// Logs one `tracing::info!` event inside two nested spans with fields (`who` in both).
pub fn work_in_spans(n: u64) {
    let outer = tracing::info_span!("request", id = n, who = "outer");
    let _outer = outer.enter();
    let inner = tracing::info_span!("step", who = "inner");
    let _inner = inner.enter();
    tracing::info!(k = 1, "in spans");
}

/// Logs a `tracing::debug!` whose field counts how often it is formatted.
pub fn tracing_debug_counted(counter: &std::sync::atomic::AtomicUsize) {
    struct Count<'a>(&'a std::sync::atomic::AtomicUsize);
    impl std::fmt::Display for Count<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            f.write_str("counted")
        }
    }
    tracing::debug!(value = %Count(counter), "chatty debug detail");
}
