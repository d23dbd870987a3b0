//! `radaudit audit`: the robustness audit of a protocol (or one shard of it, or its plan),
//! then the report.

use std::path::PathBuf;

use super::{Outcome, print_stdout};
use crate::audit::{self, AuditArgs, Audited, Finished};
use crate::error::{Error, Result};
use crate::output::write_bytes;

/// Run a robustness audit: perturb every case along the protocol's axes, recompute the
/// features, measure each feature's stability per axis (ICC, CCC, CoV) before and after
/// ComBat, and write the run folder (features.csv/.parquet, stability.csv,
/// harmonized_stability.csv, errors.csv, summary.json, manifest.json, report.html).
/// Exit code 1 when the protocol's acceptance rule fails, 0 when it holds.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The protocol (YAML), e.g. protocols/vertebra-ct.yaml.
    protocol: PathBuf,
    /// The run folder [default: runs/<protocol file name without .yaml>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Continue an interrupted run in the same folder, skipping finished cases.
    #[arg(long)]
    resume: bool,
    /// Worker threads (default: all cores). 1 to 1024. Results do not depend on it.
    #[arg(long, value_parser = super::thread_count)]
    threads: Option<usize>,
    /// Print the job count and the shard layout (for --shards N) to stdout and stop; runs
    /// nothing, so it takes none of the flags that shape a run.
    #[arg(long, conflicts_with_all = ["out", "resume", "threads", "shard", "max_failed_cases"])]
    plan: bool,
    /// Shards for --plan, 1 to 100000 [default: 1].
    #[arg(long, requires = "plan", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    shards: Option<u32>,
    /// Run only shard I of N (e.g. 0/4): writes shards/I.parquet and shards/I.json into
    /// the run folder; `radaudit merge` joins them.
    #[arg(long)]
    shard: Option<audit::shard::ShardSpec>,
    /// The most cases that may fail (listed in errors.csv) for the audit to pass, a whole
    /// number from 0; overrides the protocol's stability.acceptance.max_failed_cases
    /// (default 0).
    #[arg(long, allow_negative_numbers = true)]
    max_failed_cases: Option<usize>,
}

/// Runs `radaudit audit`.
pub fn run(a: Args) -> Result<Outcome> {
    if a.plan {
        print_stdout(&audit::plan_text(
            &a.protocol,
            a.shards.unwrap_or(1) as usize,
        )?)?;
        return Ok(Outcome::Done);
    }
    let finished = audit::run(&AuditArgs {
        protocol: a.protocol,
        out: a.out,
        resume: a.resume,
        threads: a.threads,
        shard: a.shard,
        max_failed_cases: a.max_failed_cases,
    })?;
    match finished {
        Finished::Shard(text) => {
            eprint!("{text}");
            Ok(Outcome::Done)
        }
        Finished::Audit(audited) => finish(&audited),
    }
}

/// Writes report.html (unless the protocol turns it off), prints the verdict, and says how
/// the audit ended. A single run and a merge of shards both end here.
pub(super) fn finish(a: &Audited) -> Result<Outcome> {
    write_report(a)?;
    eprint!("{}", a.text);
    Ok(Outcome::checked(a.verdict.passed))
}

/// Writes report.html into the run folder unless the protocol turns it off; its path.
fn write_report(a: &Audited) -> Result<Option<PathBuf>> {
    if !a.loaded.protocol.outputs.report {
        return Ok(None);
    }
    let html = crate::report::audit::render(a)?;
    let path = a.run_dir.join("report.html");
    write_bytes(&path, html.as_bytes())?;
    Ok(Some(path))
}

/// A whole audit run for a library caller (the Python package): where it was written.
#[derive(Debug, Clone)]
pub struct Ran {
    /// The run folder (summary.json, stability.csv, ...).
    pub run_dir: PathBuf,
    /// report.html, unless the protocol turns the report off.
    pub report: Option<PathBuf>,
    /// Whether the protocol's acceptance rule held.
    pub passed: bool,
    /// The lines `radaudit audit` prints at the end.
    pub text: String,
}

/// Runs the audit of `protocol` into `out` (default: runs/<protocol file stem>) on `threads`
/// threads (default: all cores; 1 to 1024), as `radaudit audit` does, printing nothing.
pub fn audit_protocol(
    protocol: &std::path::Path,
    out: Option<PathBuf>,
    threads: Option<usize>,
) -> Result<Ran> {
    if let Some(n) = threads {
        super::thread_count(&n.to_string()).map_err(Error::Usage)?;
    }
    let finished = audit::run(&AuditArgs {
        protocol: protocol.to_path_buf(),
        out,
        resume: false,
        threads,
        shard: None,
        max_failed_cases: None,
    })?;
    let Finished::Audit(a) = finished else {
        return Err(Error::Internal(
            "an audit without a shard ended as a shard".into(),
        ));
    };
    Ok(Ran {
        report: write_report(&a)?,
        run_dir: a.run_dir.clone(),
        passed: a.verdict.passed,
        text: a.text.clone(),
    })
}
