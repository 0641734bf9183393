//! Atomic file writes: a reader (or an interrupted run) never sees half a file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::ReportError;

/// Writes `contents` to `path` through a temporary file in the same directory and a rename,
/// so `path` holds either its old contents or the complete new ones.
pub(crate) fn write_atomic(path: &Path, contents: &[u8], durable: bool) -> Result<(), ReportError> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let werr = |p: &PathBuf| {
        let p = p.clone();
        move |source| ReportError::Write { path: p, source }
    };
    let result = (|| {
        let mut f = fs::File::create(&tmp).map_err(werr(&tmp))?;
        f.write_all(contents).map_err(werr(&tmp))?;
        if durable {
            f.sync_all().map_err(werr(&tmp))?;
        }
        drop(f);
        fs::rename(&tmp, path).map_err(werr(&path.to_path_buf()))
    })();
    if result.is_err() {
        // Best effort: the temporary file is ours and useless once the write failed.
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Reads a whole file as UTF-8.
pub(crate) fn read_to_string(path: &Path) -> Result<String, ReportError> {
    fs::read_to_string(path).map_err(|source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    })
}
