//! Tests whose output `tests/capture.rs` reads back from `cargo test`. They run one at a time in
//! name order (`--test-threads=1`), so `b_fails` logs after `a_passes` has ended: a test's end
//! must close nothing the next one uses.

#[cfg(test)]
mod tests {
    #[test]
    fn a_passes() {
        scoped_logger::init_for_tests();
        scoped_logger::init_for_tests(); // a no-op
        scoped_logger::info!("PASS-MARKER from a passing test");
        std::thread::spawn(|| scoped_logger::warn!("PASS-MARKER from a thread it spawned"))
            .join()
            .unwrap();
        assert!(matches!(
            scoped_logger::init(),
            Err(scoped_logger::InitError::AlreadyInitialized)
        ));
    }

    #[test]
    fn b_fails() {
        scoped_logger::init_for_tests();
        scoped_logger::info!(attempt = 3; "FAIL-MARKER from a failing test");
        std::thread::spawn(|| scoped_logger::warn!("SPAWNED-MARKER from a thread it spawned"))
            .join()
            .unwrap();
        scoped_logger::debug!("DEBUG-MARKER below the level");
        panic!("the fixture fails on purpose");
    }
}
