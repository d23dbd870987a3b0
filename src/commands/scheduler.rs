//! What the `slurm` and `k8s` commands share: absolute paths and words quoted for the shell
//! of a node or a pod.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// `p` as an absolute path (the jobs run elsewhere).
pub(crate) fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).map_err(|e| Error::input(p, e.to_string()))
}

/// Quotes a word for a POSIX shell.
pub(crate) fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A word for a POSIX shell: as it is when it holds only characters the shell takes
/// literally, else quoted.
pub(crate) fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@".contains(&b));
    if plain { s.to_string() } else { quote(s) }
}

/// A path quoted for a POSIX shell.
pub(crate) fn path_text(p: &Path) -> String {
    quote(&p.display().to_string())
}
