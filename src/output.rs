//! Writing output files safely: everything is written under a temporary name in the target's
//! folder and renamed into place only when complete, so a killed run never leaves a half file
//! and an existing file is replaced atomically.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The temporary sibling of `path`: same folder (so the rename is atomic), a hidden name, and
/// the same file name suffix (some writers pick the format from it, e.g. `.nii.gz`).
fn partial_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{PARTIAL_PREFIX}{}-{name}", std::process::id()))
}

/// The name prefix of every temporary file radaudit writes (see [`partial_path`]).
const PARTIAL_PREFIX: &str = ".radaudit-partial-";

/// Removes the temporary files a killed radaudit left in `dir`: those named
/// `.radaudit-partial-<pid>-<target>` whose `<target>` `wanted` accepts and whose process is
/// not running on this machine (checked through `/proc` where it exists; elsewhere only this
/// process's own files are kept). A killed process leaves them because its rename never
/// came; nothing else removes them. Returns how many were removed.
pub fn remove_stale_partials(dir: &Path, wanted: impl Fn(&str) -> bool) -> Result<usize> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(0); // no folder yet: nothing left over
    };
    let proc_fs = Path::new("/proc/self").exists();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((pid, target)) = name
            .strip_prefix(PARTIAL_PREFIX)
            .and_then(|rest| rest.split_once('-'))
        else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        let running = pid == std::process::id()
            || (proc_fs && Path::new("/proc").join(pid.to_string()).exists());
        if running || !wanted(target) || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        fs::remove_file(entry.path()).map_err(|e| {
            Error::output(
                entry.path(),
                format!("cannot remove a stale temporary file: {e}"),
            )
        })?;
        removed += 1;
    }
    Ok(removed)
}

/// Runs `write` on a temporary path next to `path`, then renames it to `path`. On failure the
/// temporary file is removed and `path` is left as it was.
pub fn write_atomically<F>(path: &Path, write: F) -> Result<()>
where
    F: FnOnce(&Path) -> Result<()>,
{
    if path.file_name().is_none() {
        return Err(Error::output(path, "not a file name"));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(Error::output(
            path,
            format!("folder {} does not exist", dir.display()),
        ));
    }
    let tmp = partial_path(path);
    let result = write(&tmp).and_then(|()| {
        fs::rename(&tmp, path).map_err(|e| Error::output(path, format!("rename failed: {e}")))
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Writes `bytes` to `path` atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically(path, |tmp| {
        let mut f = fs::File::create(tmp).map_err(|e| Error::output(path, e.to_string()))?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::output(path, e.to_string()))
    })
}

/// Writes `value` as pretty JSON with a final newline, atomically. Object keys are sorted at
/// every level (through `serde_json::Value`, whose maps are ordered), whatever the field order
/// of the type: every JSON file radaudit writes is laid out the same way.
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    let text = sorted_json(value)?;
    write_bytes(path, format!("{text}\n").as_bytes())
}

/// `value` as pretty JSON with its object keys sorted (see [`write_json`]).
pub fn sorted_json(value: &impl serde::Serialize) -> Result<String> {
    let value = serde_json::to_value(value).map_err(|e| Error::Internal(e.to_string()))?;
    serde_json::to_string_pretty(&value).map_err(|e| Error::Internal(e.to_string()))
}

/// The program that wrote a file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Tool {
    /// This radaudit.
    pub fn this() -> Tool {
        Tool {
            name: "radaudit".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// A protocol file as a manifest names it: its path (absent when the settings came from flags)
/// and the SHA-256 of its text.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProtocolFile {
    pub path: Option<String>,
    pub sha256: String,
}

/// One input file of a run, by role; its digest is absent when it could not be read (a case
/// that failed).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Input {
    pub role: String,
    pub path: String,
    pub sha256: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_partial() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        write_bytes(&target, b"old").unwrap();
        let err = write_atomically(&target, |tmp| {
            fs::write(tmp, b"half").unwrap();
            Err(Error::output(tmp, "disk full"))
        });
        assert!(err.is_err());
        assert_eq!(fs::read(&target).unwrap(), b"old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn stale_partials_of_dead_processes_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mine = partial_path(&dir.path().join("a.csv"));
        // pid 4294967295 cannot be running (Linux caps pids at 2^22).
        let dead = dir.path().join(".radaudit-partial-4294967295-b.csv");
        let other = dir.path().join(".radaudit-partial-4294967295-c.json");
        let user = dir.path().join("d.csv");
        for p in [&mine, &dead, &other, &user] {
            fs::write(p, b"x").unwrap();
        }
        let removed = remove_stale_partials(dir.path(), |t| t.ends_with(".csv")).unwrap();
        assert_eq!(removed, 1);
        assert!(mine.exists() && !dead.exists() && other.exists() && user.exists());
        assert_eq!(
            remove_stale_partials(&dir.path().join("none"), |_| true).unwrap(),
            0
        );
    }
}
