//! The robustness audit, radaudit's main job: read a protocol, run every case through every
//! perturbation in parallel (resumable), compute each feature's stability per axis before and
//! after ComBat, judge it by the acceptance rule, and write the run folder's tables: features
//! (CSV, Parquet), stability.csv, harmonized_stability.csv, errors.csv, summary.json and
//! manifest.json. The finished audit ([`Audited`]) is returned typed; `radaudit audit`
//! renders report.html from it.

pub(crate) mod execute;
pub(crate) mod harmonized;
pub mod journal;
pub(crate) mod manifest;
pub mod outputs;
pub mod plan;
pub(crate) mod preview;
pub mod protocol;
pub mod shard;
pub(crate) mod stability;
pub(crate) mod verdict;

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::error::{Error, Result};
use crate::output::write_json;
use execute::{Executed, Failure};
use harmonized::HarmonizedRow;
use journal::{Header, Journal};
use manifest::Manifest;
use plan::Plan;
use protocol::Loaded;
use verdict::{Summary, Verdict};

/// What `radaudit audit` was asked to do.
#[derive(Debug, Clone)]
pub(crate) struct AuditArgs {
    pub protocol: PathBuf,
    pub out: Option<PathBuf>,
    pub resume: bool,
    pub threads: Option<usize>,
    /// Run only this shard (`I/N`) and write shards/I.parquet and shards/I.json.
    pub shard: Option<shard::ShardSpec>,
    /// Overrides the protocol's `stability.acceptance.max_failed_cases`.
    pub max_failed_cases: Option<usize>,
}

/// A finished audit: what was written to the run folder, typed, for the report and the
/// terminal.
pub(crate) struct Audited {
    pub loaded: Loaded,
    pub plan: Plan,
    pub verdict: Verdict,
    pub stability: Vec<stability::Row>,
    pub harmonized: Option<Vec<HarmonizedRow>>,
    pub summary: Summary,
    pub manifest: Manifest,
    pub failures: Vec<Failure>,
    /// Image panels of a few cases (when the report is written).
    pub previews: Vec<preview::CasePreview>,
    pub run_dir: PathBuf,
    /// A few lines for the terminal.
    pub text: String,
}

/// How [`run`] ended: a whole audit, or one shard of it (whose lines for the terminal are
/// given).
pub(crate) enum Finished {
    Audit(Box<Audited>),
    Shard(String),
}

/// The default run folder: `runs/<protocol file stem>`.
pub(crate) fn default_run_dir(protocol: &Path) -> PathBuf {
    let stem = protocol
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "audit".into());
    PathBuf::from("runs").join(stem)
}

/// `radaudit audit --plan`: the job count and the layout of `shards` shards.
pub(crate) fn plan_text(protocol_path: &Path, shards: usize) -> Result<String> {
    let loaded = protocol::load(protocol_path)?;
    let plan = Plan::new(&loaded)?;
    Ok(shard::describe(&loaded, &plan, shards))
}

/// Runs the audit.
pub(crate) fn run(args: &AuditArgs) -> Result<Finished> {
    let started = Instant::now();
    let mut loaded = protocol::load(&args.protocol)?;
    if let Some(n) = args.max_failed_cases {
        loaded.protocol.stability.acceptance.max_failed_cases = n;
    }
    let plan = Plan::new(&loaded)?;
    let run_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_run_dir(&args.protocol));
    std::fs::create_dir_all(&run_dir).map_err(|e| Error::output(&run_dir, e.to_string()))?;
    let (threads, pool) = thread_pool(args.threads)?;
    if let Some(spec) = args.shard {
        return shard::run_shard(&shard::ShardRun {
            protocol: &args.protocol,
            loaded: &loaded,
            plan: &plan,
            run_dir: &run_dir,
            spec,
            resume: args.resume,
            threads,
            pool: &pool,
        })
        .map(Finished::Shard);
    }
    // A killed earlier run may have left temporary files here; this run writes every table anew.
    crate::output::remove_stale_partials(&run_dir, |_| true)?;
    let (journal, done) = open_journal(&run_dir, &loaded, args.resume)?;
    let executed = pool.install(|| execute::execute(&plan, &loaded, journal, done, threads))?;
    finish(
        loaded,
        plan,
        executed,
        &run_dir,
        &pool,
        threads,
        started.elapsed().as_secs_f64(),
    )
    .map(|a| Finished::Audit(Box::new(a)))
}

/// The worker count (default: all cores) and a pool of that many threads.
fn thread_pool(threads: Option<usize>) -> Result<(usize, rayon::ThreadPool)> {
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Internal(format!("thread pool: {e}")))?;
    Ok((threads, pool))
}

/// The journal of `dir` for this protocol: a new one, or (resuming) the cases it holds.
fn open_journal(
    dir: &Path,
    loaded: &Loaded,
    resume: bool,
) -> Result<(Journal, Vec<journal::CaseRecord>)> {
    let header = Header {
        journal: 1,
        protocol_sha256: outputs::sha256_bytes(loaded.text.as_bytes()),
        tool_version: env!("CARGO_PKG_VERSION").into(),
    };
    if resume {
        Journal::resume(dir, &header)
    } else {
        Ok((Journal::create(dir, &header)?, Vec::new()))
    }
}

/// Everything after the features: stability, ComBat, the verdict, and the run folder's
/// tables, summary and manifest. A single run and a merge of shards both end here, so they
/// write the same bytes.
fn finish(
    loaded_owned: Loaded,
    plan_owned: Plan,
    executed: Executed,
    run_dir: &Path,
    pool: &rayon::ThreadPool,
    threads: usize,
    run_seconds: f64,
) -> Result<Audited> {
    let (loaded, plan) = (&loaded_owned, &plan_owned);
    let stats_started = Instant::now();
    let jobs: Vec<Vec<plan::Job>> = plan.cases.iter().map(|c| plan.jobs(c)).collect();
    let complete: Vec<usize> = (0..plan.cases.len())
        .filter(|&c| executed.records[c].is_some())
        .collect();
    outputs::write_errors(&run_dir.join("errors.csv"), &executed.failures)?;
    if complete.len() < 2 {
        return Err(Error::Usage(format!(
            "only {} of {} cases completed; stability needs at least 2 (see {})",
            complete.len(),
            plan.cases.len(),
            run_dir.join("errors.csv").display()
        )));
    }
    let features = loaded.features.feature_names();
    // values[case][job][feature] over the complete cases.
    let values: Vec<Vec<Vec<f64>>> = complete
        .iter()
        .filter_map(|&c| executed.records[c].as_ref().map(|r| r.numbers()))
        .collect();
    let rule = &loaded.protocol.stability.acceptance;
    let axis_jobs = plan.axis_jobs();
    let stability_rows =
        pool.install(|| stability::assess_all(&features, &values, &axis_jobs, rule));
    let mut notes = Vec::new();
    let harmonized_rows = loaded.protocol.harmonization.as_ref().and_then(|h| {
        let input = harmonized::AxisInput {
            plan,
            jobs: &jobs,
            complete: &complete,
            features: &features,
            values: &values,
            axis_jobs: &axis_jobs,
        };
        harmonized::across_axis(h, &input, rule, &mut notes)
    });
    let previews = if loaded.protocol.outputs.report {
        preview::previews(
            loaded,
            plan,
            &jobs,
            (&complete, &values),
            &features,
            &stability_rows,
            &mut notes,
        )
    } else {
        Vec::new()
    };
    let failed_cases: Vec<&str> = (0..plan.cases.len())
        .filter(|&c| executed.records[c].is_none())
        .map(|c| plan.cases[c].id.as_str())
        .collect();
    let verdict = verdict::judge(
        loaded,
        &axis_jobs,
        &stability_rows,
        harmonized_rows.as_deref(),
        &failed_cases,
    );
    let stats_seconds = stats_started.elapsed().as_secs_f64();

    let outputs_started = Instant::now();
    let long = outputs::long_rows(&executed.records, &jobs);
    outputs::write_features_csv(&run_dir.join("features.csv"), &plan.axes, &long)?;
    if loaded.protocol.outputs.parquet {
        outputs::write_features_parquet(&run_dir.join("features.parquet"), &plan.axes, &long)?;
    }
    outputs::write_stability(&run_dir.join("stability.csv"), &stability_rows)?;
    if let Some(rows) = &harmonized_rows {
        outputs::write_harmonized(&run_dir.join("harmonized_stability.csv"), rows)?;
    }
    let summary = verdict.summary(loaded, plan, &executed, &failed_cases, &notes);
    write_json(&run_dir.join("summary.json"), &summary)?;
    let timings = manifest::Timings {
        run_seconds,
        statistics_seconds: stats_seconds,
        outputs_seconds: outputs_started.elapsed().as_secs_f64(),
    };
    let manifest = manifest::manifest(loaded, plan, &executed, threads, timings)?;
    write_json(&run_dir.join("manifest.json"), &manifest)?;
    let text = format!(
        "{}: {}\ncases completed {} / {}; jobs computed {}, resumed {} (of {}); outputs in {}\n{}",
        if verdict.passed { "PASS" } else { "FAIL" },
        loaded.protocol.name,
        complete.len(),
        plan.cases.len(),
        executed.computed_jobs,
        summary.jobs.resumed,
        summary.jobs.total,
        run_dir.display(),
        verdict.lines()
    );
    Ok(Audited {
        loaded: loaded_owned,
        plan: plan_owned,
        verdict,
        stability: stability_rows,
        harmonized: harmonized_rows,
        summary,
        manifest,
        failures: executed.failures,
        previews,
        run_dir: run_dir.to_path_buf(),
        text,
    })
}
