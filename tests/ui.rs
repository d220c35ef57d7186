//! Compile-time behaviour of the macros, checked with trybuild: every `ui-tests/fail/*.rs` must
//! fail to compile with exactly the errors in the `.stderr` beside it, and every
//! `ui-tests/pass/*.rs` must compile (warning-free where it denies warnings) and run.
//!
//! The `.stderr` files are generated, never written by hand. After changing a message, or to
//! move to a new toolchain:
//!
//! ```text
//! TRYBUILD=overwrite cargo test -p scoped-logger --all-features --test ui
//! git diff ui-tests/      # review every changed line
//! ```
//!
//! and update the version in the `rustversion` gate below to the toolchain that generated them.
//! The fail cases are ignored on other toolchains, because rustc's wording and notes change
//! between releases and would fail CI for no fault of ours.

#[rustversion::attr(
    not(stable(1.95)),
    ignore = "the .stderr files were generated with rustc 1.95; see the module docs to refresh"
)]
#[test]
fn fail() {
    trybuild::TestCases::new().compile_fail("ui-tests/fail/*.rs");
}

#[test]
fn pass() {
    trybuild::TestCases::new().pass("ui-tests/pass/*.rs");
}
