//! `init_for_tests` under a real `cargo test`: the fixture crate `tests/capture` (one passing and
//! one failing test, both logging) is copied under the target directory and tested there, and
//! what the harness printed is read back. A passing test's records are hidden, a failing test's
//! (and those of a thread it spawned) are shown in its section, `--nocapture` shows them all, and
//! a bad `RUST_LOG` directive is reported once whichever test comes first.
//!
//! The fixture builds into its own target directory under this workspace's (`CARGO_TARGET_TMPDIR`):
//! the first run compiles the library once (default features off), later runs reuse it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ESC: char = '\x1b';

/// Copies the fixture to the target directory, pointing its dependency at this workspace and
/// starting from this workspace's lock file (the same versions, nothing to download).
fn fixture() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("capture-fixture");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = std::fs::read_to_string(root.join("tests/capture/Cargo.toml")).unwrap();
    let root_path = root.display().to_string().replace('\\', "/");
    let manifest = manifest.replace(
        r#"path = "../..""#,
        &format!("path = {:?}", root_path.as_str()),
    );
    assert!(manifest.contains(&root_path), "the path was not replaced");
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(
        root.join("tests/capture/src/lib.rs"),
        dir.join("src/lib.rs"),
    )
    .unwrap();
    // Copied every time: the workspace's lock may have moved since the last run.
    if let Ok(lock) = std::fs::read(root.join("Cargo.lock")) {
        std::fs::write(dir.join("Cargo.lock"), lock).unwrap();
    }
    dir
}

fn cargo_test(dir: &Path, harness_args: &[&str]) -> (Output, String) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .current_dir(dir)
        .args(["test", "--lib", "--"])
        .args(["--test-threads=1"])
        .args(harness_args)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("CARGO_TERM_COLOR", "never")
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LOG", "info,x=loud")
        .env_remove("RUST_LOG_STYLE")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("RUST_TEST_NOCAPTURE")
        .output()
        .unwrap();
    let all = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, all)
}

/// The text of the harness's section for `test` (from `---- test stdout ----` to the next blank
/// line before `failures:` or the next section).
fn section<'a>(all: &'a str, test: &str) -> &'a str {
    let head = format!("---- tests::{test} stdout ----");
    let start = all
        .find(&head)
        .unwrap_or_else(|| panic!("no section for {test}:\n{all}"));
    let rest = &all[start + head.len()..];
    let end = rest
        .find("\n---- ")
        .or_else(|| rest.find("\nfailures:"))
        .unwrap_or(rest.len());
    &rest[..end]
}

fn lines_with<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(marker)).collect()
}

#[test]
fn the_harness_shows_a_failing_tests_records_and_hides_a_passing_ones() {
    let dir = fixture();

    let (out, all) = cargo_test(&dir, &[]);
    assert!(!out.status.success(), "b_fails must fail:\n{all}");
    assert!(all.contains("test tests::a_passes ... ok"), "{all}");
    assert!(all.contains("test tests::b_fails ... FAILED"), "{all}");
    assert!(
        !all.contains("PASS-MARKER"),
        "a passing test's records show:\n{all}"
    );
    let failed = section(&all, "b_fails");
    let own = lines_with(failed, "FAIL-MARKER");
    assert_eq!(own.len(), 1, "{all}");
    assert!(
        own[0].contains(" INFO capture_fixture.tests: FAIL-MARKER from a failing test attempt=3"),
        "{}",
        own[0]
    );
    assert_eq!(lines_with(failed, "SPAWNED-MARKER").len(), 1, "{all}");
    assert!(!all.contains("DEBUG-MARKER"), "below the level:\n{all}");
    assert!(!all.contains(ESC), "not a terminal: no styles\n{all}");
    // Reported once, outside every test's capture, though the first test passed.
    let reports = lines_with(&all, "RUST_LOG: ignored invalid directive `x=loud`");
    assert_eq!(reports.len(), 1, "{all}");
    assert!(!failed.contains("x=loud"), "{all}");

    // Live with --nocapture: both tests' records, each once.
    let (out, all) = cargo_test(&dir, &["--nocapture"]);
    assert!(!out.status.success());
    assert_eq!(lines_with(&all, "PASS-MARKER").len(), 2, "{all}");
    assert_eq!(lines_with(&all, "FAIL-MARKER").len(), 1, "{all}");
    assert_eq!(lines_with(&all, "SPAWNED-MARKER").len(), 1, "{all}");
}
