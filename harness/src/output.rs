//! Checking where a run will write before it runs, so a bad `--out` or `--junit` path
//! fails in a second instead of after every case has run.

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};

use crate::error::HarnessError;

/// `why` is a predicate of the path ("is a directory…") or, for anything else, the
/// sentence after a colon.
fn bad(option: &str, path: &Path, why: String) -> HarnessError {
    let why = if why.starts_with("is ") {
        format!(" {why}")
    } else {
        format!(": {why}")
    };
    HarnessError::Output {
        option: option.to_string(),
        path: path.to_path_buf(),
        why,
    }
}

/// The first existing ancestor of `path` (itself included) that is not a directory.
fn file_in_the_way(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .filter(|p| !p.as_os_str().is_empty())
        .find(|p| p.exists() && !p.is_dir())
        .map(Path::to_path_buf)
}

/// Makes sure `dir` is (or can be made) a directory we can write into, creating it.
pub fn check_dir(option: &str, dir: &Path) -> Result<(), HarnessError> {
    if let Some(file) = file_in_the_way(dir) {
        let why = if file == dir {
            "is a file, not a directory".to_string()
        } else {
            format!("{} is a file, not a directory", file.display())
        };
        return Err(bad(option, dir, why));
    }
    fs::create_dir_all(dir).map_err(|e| bad(option, dir, format!("cannot create it: {e}")))?;
    let probe = dir.join(format!(".wsconform-write-check-{}", std::process::id()));
    fs::write(&probe, b"").map_err(|e| bad(option, dir, format!("cannot write into it: {e}")))?;
    // Best effort: the probe is ours and empty.
    let _ = fs::remove_file(&probe);
    Ok(())
}

/// Makes sure `file` can be written: its directory exists (created if missing) and the
/// file itself can be opened for writing. A file that did not exist is not left behind.
pub fn check_file(option: &str, file: &Path) -> Result<(), HarnessError> {
    if file.is_dir() {
        return Err(bad(option, file, "is a directory, not a file".into()));
    }
    if let Some(blocker) = file.parent().and_then(file_in_the_way) {
        return Err(bad(
            option,
            file,
            format!("{} is a file, not a directory", blocker.display()),
        ));
    }
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| {
            bad(
                option,
                file,
                format!("cannot create {}: {e}", parent.display()),
            )
        })?;
    }
    let existed = file.exists();
    OpenOptions::new()
        .append(true)
        .create(true)
        .open(file)
        .map_err(|e| bad(option, file, format!("cannot write it: {e}")))?;
    if !existed {
        let _ = fs::remove_file(file);
    }
    Ok(())
}
