//! `radaudit merge`: joins the shards of a sharded audit and finishes it as a single run would.

use std::path::PathBuf;

use super::Outcome;
use crate::error::Result;

/// Join the shards of a sharded audit (shards/I.parquet and I.json in RUN_DIR) after
/// checking that every one is present, complete and made from the same protocol and tool
/// version; then compute and write exactly what a single run writes.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The run folder the shards wrote into.
    run_dir: PathBuf,
    /// Worker threads for the statistics (1 to 1024).
    #[arg(long, value_parser = super::thread_count)]
    threads: Option<usize>,
    /// The most cases that may fail for the audit to pass (a whole number from 0); overrides
    /// the protocol's stability.acceptance.max_failed_cases (default 0).
    #[arg(long, allow_negative_numbers = true)]
    max_failed_cases: Option<usize>,
}

/// Runs `radaudit merge`.
pub fn run(a: Args) -> Result<Outcome> {
    let audited = crate::audit::shard::merge(&a.run_dir, a.threads, a.max_failed_cases)?;
    super::audit::finish(&audited)
}
