//! No silent skips: a test whose dependency is missing fails under `CI=true` (CI
//! installs or provides it, so its absence is a defect) and is skipped elsewhere with
//! a note saying what was skipped.

use std::io::Write;

/// A test dependency that is not there: with `CI=true` the test fails naming what to
/// install or enable; elsewhere the test goes on to skip, with a note on stderr.
pub fn missing_dependency(what: &str, install: &str) {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(!ci, "{what} missing under CI=true: {install}");
    // Straight to stderr: the test harness captures eprintln!, and a skip must be seen.
    let _ = writeln!(
        std::io::stderr(),
        "note: SKIPPED, {what} missing ({install})"
    );
}
