//! The front ends of every subcommand, one file each: its clap `Args` (flags, defaults and
//! help, which `--help` and the README are drawn from) and a `run` that checks what only the
//! command line can get wrong, calls the jobs below, renders reports through `report`, prints
//! a short summary to standard error and returns how it ended. This is the only layer that
//! calls `report`; main.rs only dispatches here and turns the [`Outcome`] or the error into
//! the exit code.

pub mod audit;
pub mod calibrate;
pub mod claims;
pub mod compare;
pub mod convert;
pub mod extract;
pub mod filter;
pub mod harmonize;
pub mod ibsi_check;
pub mod icc;
pub mod info;
pub mod k8s;
pub mod merge;
pub mod perturb;
pub mod phantom;
pub mod roc;
mod scheduler;
pub mod slurm;

/// How a command ended without an error (an error is exit code 2 or 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It did what was asked (exit code 0).
    Done,
    /// It ran and a check it was asked to make failed: an audit's acceptance rule, a
    /// calibration limit, an impossible claim, an IBSI row outside tolerance (exit code 1).
    ChecksFailed,
    /// A batch ran, but some of its cases failed and are listed in an errors file (exit code 2).
    CasesFailed,
}

impl Outcome {
    /// `Done` when the checks passed, else `ChecksFailed`.
    pub fn checked(passed: bool) -> Outcome {
        if passed {
            Outcome::Done
        } else {
            Outcome::ChecksFailed
        }
    }
}

/// Writes to standard output; a closed pipe (`radaudit info X | head`) ends quietly instead
/// of panicking as `println!` would.
pub fn print_stdout(text: &str) -> crate::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(crate::Error::Usage(format!(
            "cannot write to standard output: {e}"
        ))),
        _ => Ok(()),
    }
}

/// A clap parser for a flag's number: finite and within `lo..=hi`, its stated range.
pub(crate) fn number_in(
    lo: f64,
    hi: f64,
) -> impl Fn(&str) -> std::result::Result<f64, String> + Clone + Send + Sync + 'static {
    move |text| {
        let v: f64 = text
            .trim()
            .parse()
            .map_err(|_| format!("`{text}` is not a number"))?;
        if v.is_finite() && (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            Err(format!("must be a number from {lo} to {hi}, got {text}"))
        }
    }
}

/// A clap parser for `--threads`: a whole number from 1 to 1024 (more threads than any
/// machine's cores only cost memory; 100,000 would exhaust it).
pub(crate) fn thread_count(text: &str) -> std::result::Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!(
            "a whole number of threads from 1 to 1024, got {text}"
        )),
    }
}
