//! The `radaudit` command line: declares the subcommands, dispatches each to its front end in
//! `radaudit::commands`, and maps how it ended to the exit code, in one place: 0 success,
//! 1 the job ran and a check it was asked to make failed (an audit's acceptance rule, a
//! calibration limit, an impossible claim, an IBSI row), 2 bad input or usage (also a batch
//! with failed cases), 3 internal error.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use radaudit::commands::{self, Outcome};

/// Audits radiomic features for reproducibility and harmonization.
#[derive(Parser)]
#[command(name = "radaudit", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands; each one's help is its `Args` type's doc comment.
#[derive(Subcommand)]
enum Command {
    Info(commands::info::Args),
    Convert(commands::convert::Args),
    Extract(commands::extract::Args),
    Icc(commands::icc::Args),
    Harmonize(commands::harmonize::Args),
    Audit(commands::audit::Args),
    Merge(commands::merge::Args),
    Slurm(commands::slurm::Args),
    K8s(commands::k8s::Args),
    Compare(commands::compare::Args),
    Claims(commands::claims::Args),
    IbsiCheck(commands::ibsi_check::Args),
    Calibrate(commands::calibrate::Args),
    Perturb(commands::perturb::Args),
    Filter(commands::filter::Args),
    Phantom(commands::phantom::Args),
    Roc(commands::roc::Args),
}

fn run(command: Command) -> radaudit::Result<Outcome> {
    match command {
        Command::Info(a) => commands::info::run(a),
        Command::Convert(a) => commands::convert::run(a),
        Command::Extract(a) => commands::extract::run(a),
        Command::Icc(a) => commands::icc::run(a),
        Command::Harmonize(a) => commands::harmonize::run(a),
        Command::Audit(a) => commands::audit::run(a),
        Command::Merge(a) => commands::merge::run(a),
        Command::Slurm(a) => commands::slurm::run(a),
        Command::K8s(a) => commands::k8s::run(a),
        Command::Compare(a) => commands::compare::run(a),
        Command::Claims(a) => commands::claims::run(a),
        Command::IbsiCheck(a) => commands::ibsi_check::run(a),
        Command::Calibrate(a) => commands::calibrate::run(a),
        Command::Perturb(a) => commands::perturb::run(a),
        Command::Filter(a) => commands::filter::run(a),
        Command::Phantom(a) => commands::phantom::run(a),
        Command::Roc(a) => commands::roc::run(a),
    }
}

/// Keeps freed memory in the process (glibc): buffers up to 8 MB come from the heap, not from
/// a fresh mapping each, and the heap is trimmed only when 32 MB are free at its top. A
/// filter or a texture matrix then reuses pages already touched instead of faulting in new
/// zeroed ones, which cost 4% of a vertebra extraction with every image type. Peak memory
/// stays as it was (lung2 with every image type: 321 MB either way); larger blocks (whole CT
/// volumes) are mapped as before.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory() {
    // glibc's <malloc.h>: M_TRIM_THRESHOLD and M_MMAP_THRESHOLD.
    const M_TRIM_THRESHOLD: i32 = -1;
    const M_MMAP_THRESHOLD: i32 = -3;
    unsafe extern "C" {
        fn mallopt(param: i32, value: i32) -> i32;
    }
    // SAFETY: mallopt only sets allocator parameters; it is called before any thread starts,
    // and a refused value (return 0) leaves glibc's defaults, which are correct too.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 8 << 20);
        mallopt(M_TRIM_THRESHOLD, 32 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory() {}

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = Cli::parse();
    let code = match run(cli.command) {
        Ok(Outcome::Done) => 0,
        Ok(Outcome::ChecksFailed) => 1,
        Ok(Outcome::CasesFailed) => 2,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    };
    ExitCode::from(code as u8)
}
