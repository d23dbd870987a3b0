//! The library's error type and the exit codes the CLI maps it to.
//!
//! Every error names what it is about (a file, a field, a row) and what was expected, in one
//! line, so a user can act on it without a backtrace. Exit codes: 2 for bad input or usage, 3
//! for an internal error (1 and 0 are outcomes, not errors; see `commands::Outcome`).

use std::path::{Path, PathBuf};

/// Everything that can go wrong in radaudit's library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder the user gave cannot be used as asked.
    #[error("{}: {problem}", path.display())]
    Input {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// Two inputs that must agree do not (e.g. image and mask grids).
    #[error("{0}")]
    Mismatch(String),
    /// An argument or option is not usable.
    #[error("{0}")]
    Usage(String),
    /// An output could not be written.
    #[error("cannot write {}: {problem}", path.display())]
    Output {
        /// The file or folder.
        path: PathBuf,
        /// Why it could not be written.
        problem: String,
    },
    /// A bug: something the code should have prevented.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The library's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// The first line of a parser's message (serde-saphyr adds a source excerpt below it; an
/// error stays one line).
pub fn first_line(e: &impl std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or("").to_string()
}

impl Error {
    /// An input file problem.
    pub fn input(path: impl AsRef<Path>, problem: impl Into<String>) -> Self {
        Error::Input {
            path: path.as_ref().to_path_buf(),
            problem: problem.into(),
        }
    }

    /// An output file problem.
    pub fn output(path: impl AsRef<Path>, problem: impl Into<String>) -> Self {
        Error::Output {
            path: path.as_ref().to_path_buf(),
            problem: problem.into(),
        }
    }

    /// The process exit code for this error: 2 bad input or usage, 3 internal.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Internal(_) => 3,
            _ => 2,
        }
    }
}
