//! Fresh directories for the tests that write files, under Cargo's temporary
//! directory for integration tests.

use std::path::{Path, PathBuf};

/// A fresh, empty directory `name` in the folder `group`: what an earlier run left
/// there is removed first.
pub fn fresh(group: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(group)
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
