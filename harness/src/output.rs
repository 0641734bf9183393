//! Checking where a run will write before it runs, so a bad `--out` or `--junit` path
//! fails in a second instead of after every case has run.

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};

use crate::error::{HarnessError, OutputProblem};

fn bad(option: &str, path: &Path, problem: OutputProblem) -> HarnessError {
    HarnessError::Output {
        option: option.to_string(),
        path: path.to_path_buf(),
        problem,
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
        let problem = if file == dir {
            OutputProblem::IsFile
        } else {
            OutputProblem::FileInTheWay(file)
        };
        return Err(bad(option, dir, problem));
    }
    fs::create_dir_all(dir).map_err(|e| bad(option, dir, OutputProblem::CreateIt(e)))?;
    let probe = dir.join(format!(".wsconform-write-check-{}", std::process::id()));
    fs::write(&probe, b"").map_err(|e| bad(option, dir, OutputProblem::WriteInto(e)))?;
    // Best effort: the probe is ours and empty.
    let _ = fs::remove_file(&probe);
    Ok(())
}

/// Makes sure `file` can be written: its directory exists (created if missing) and the
/// file itself can be opened for writing. A file that did not exist is not left behind.
pub fn check_file(option: &str, file: &Path) -> Result<(), HarnessError> {
    if file.is_dir() {
        return Err(bad(option, file, OutputProblem::IsDirectory));
    }
    if let Some(blocker) = file.parent().and_then(file_in_the_way) {
        return Err(bad(option, file, OutputProblem::FileInTheWay(blocker)));
    }
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|source| {
            bad(
                option,
                file,
                OutputProblem::CreateParent {
                    dir: parent.to_path_buf(),
                    source,
                },
            )
        })?;
    }
    let existed = file.exists();
    OpenOptions::new()
        .append(true)
        .create(true)
        .open(file)
        .map_err(|e| bad(option, file, OutputProblem::Write(e)))?;
    if !existed {
        let _ = fs::remove_file(file);
    }
    Ok(())
}
