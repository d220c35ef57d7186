//! Skipping a test whose real peer (a collector, a daemon) cannot run on this machine: it says
//! so where it is seen, and never under CI, where the peer's install step must have worked.
#![allow(unused_macros)] // each test crate uses what it needs

/// `peer_or_skip!(Peer::start(), "rotel", ".ci/rotel.sh")`: the started peer, or, when `start`
/// says why it cannot run, a printed `SKIPPED: ...` and a return from the test; under
/// `CI=true` a failure instead, so a green run never hides a broken install step.
macro_rules! peer_or_skip {
    ($start:expr, $peer:literal, $install:literal) => {
        match $start {
            Ok(peer) => peer,
            Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!(
                    concat!(
                        $peer,
                        " not available under CI (",
                        $install,
                        " installs it): {}"
                    ),
                    why
                )
            }
            Err(why) => {
                // Straight to the stderr handle: libtest captures `println!` of passing tests,
                // and a skip must be seen.
                use std::io::Write as _;
                let _ = writeln!(
                    std::io::stderr(),
                    concat!("SKIPPED: ", $peer, " not available: {}"),
                    why
                );
                return;
            }
        }
    };
}
