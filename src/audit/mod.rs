//! The robustness audit, radaudit's main job: read a protocol, run every case through every
//! perturbation in parallel (resumable), compute each feature's stability per axis before and
//! after ComBat, judge it by the acceptance rule, and write the run folder: features
//! (CSV, Parquet), stability.csv, harmonized_stability.csv, errors.csv, summary.json,
//! manifest.json and report.html.

pub mod execute;
pub mod harmonized;
pub mod journal;
pub mod outputs;
pub mod plan;
pub mod shard;
pub mod stability;
pub mod verdict;

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde_json::json;

use crate::error::{Error, Result};
use crate::output::{write_bytes, write_json};
use crate::protocol::{self, Loaded};
use journal::{Header, Journal};
use plan::{Plan, Source};

/// What `radaudit audit` was asked to do.
#[derive(Debug, Clone)]
pub struct AuditArgs {
    pub protocol: PathBuf,
    pub out: Option<PathBuf>,
    pub resume: bool,
    pub threads: Option<usize>,
    /// Run only this shard (`I/N`) and write shards/I.parquet and shards/I.json.
    pub shard: Option<shard::ShardSpec>,
}

/// How the audit ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub passed: bool,
    pub run_dir: PathBuf,
    /// A few lines for the terminal.
    pub summary: String,
}

/// The default run folder: `runs/<protocol file stem>`.
pub fn default_run_dir(protocol: &Path) -> PathBuf {
    let stem = protocol
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "audit".into());
    PathBuf::from("runs").join(stem)
}

/// `radaudit audit --plan`: the job count and the layout of `shards` shards.
pub fn plan_text(protocol_path: &Path, shards: usize) -> Result<String> {
    let loaded = protocol::load(protocol_path)?;
    let plan = Plan::new(&loaded)?;
    Ok(shard::describe(&loaded, &plan, shards))
}

/// Runs the audit.
pub fn run(args: &AuditArgs) -> Result<Outcome> {
    let started = Instant::now();
    let loaded = protocol::load(&args.protocol)?;
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
        });
    }
    let (journal, done) = open_journal(&run_dir, &loaded, args.resume)?;
    let executed = pool.install(|| execute::execute(&plan, &loaded, journal, done, threads))?;
    finish(
        &loaded,
        &plan,
        &executed,
        &run_dir,
        &pool,
        threads,
        started.elapsed().as_secs_f64(),
    )
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
/// tables, summary, manifest and report. A single run and a merge of shards both end here,
/// so they write the same bytes.
fn finish(
    loaded: &Loaded,
    plan: &Plan,
    executed: &execute::Executed,
    run_dir: &Path,
    pool: &rayon::ThreadPool,
    threads: usize,
    run_seconds: f64,
) -> Result<Outcome> {
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
    let stability_rows: Vec<stability::Row> = pool.install(|| {
        (0..features.len())
            .into_par_iter()
            .map(|f| {
                axis_jobs
                    .iter()
                    .map(|(axis, idx)| {
                        let ratings: Vec<Vec<f64>> = values
                            .iter()
                            .map(|case| {
                                std::iter::once(0)
                                    .chain(idx.iter().copied())
                                    .map(|j| case[j][f])
                                    .collect()
                            })
                            .collect();
                        stability::assess(&features[f], axis, &ratings, rule)
                    })
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
            .into_iter()
            .flatten()
            .collect()
    });
    let mut notes = Vec::new();
    let harmonized_rows = match &loaded.protocol.harmonization {
        Some(h) => {
            let (_, idx) = axis_jobs
                .iter()
                .find(|(a, _)| *a == h.axis)
                .cloned()
                .unwrap_or_default();
            let mut batches = vec!["baseline".to_string()];
            batches.extend(idx.iter().map(|&j| {
                jobs[complete[0]][j]
                    .levels
                    .iter()
                    .find(|l| !l.is_empty())
                    .cloned()
                    .unwrap_or_default()
            }));
            let raters: Vec<Vec<Vec<f64>>> = values
                .iter()
                .map(|case| {
                    std::iter::once(0)
                        .chain(idx.iter().copied())
                        .map(|j| case[j].clone())
                        .collect()
                })
                .collect();
            let case_ids: Vec<String> =
                complete.iter().map(|&c| plan.cases[c].id.clone()).collect();
            let covariates: Vec<(String, Vec<f64>)> = h
                .covariates
                .iter()
                .map(|name| {
                    (
                        name.clone(),
                        complete
                            .iter()
                            .map(|&c| {
                                plan.cases[c]
                                    .covariates
                                    .get(name)
                                    .copied()
                                    .unwrap_or(f64::NAN)
                            })
                            .collect(),
                    )
                })
                .collect();
            let input = harmonized::Input {
                axis: &h.axis,
                features: &features,
                cases: &case_ids,
                values: &raters,
                batches: &batches,
                covariates: &covariates,
                eb: h.eb,
            };
            match harmonized::harmonize(&input, rule, &mut notes) {
                Ok(rows) => Some(rows),
                Err(e) => {
                    notes.push(format!("ComBat across {} was not possible: {e}", h.axis));
                    None
                }
            }
        }
        None => None,
    };
    let verdict = verdict::judge(
        loaded,
        &axis_jobs,
        &stability_rows,
        harmonized_rows.as_deref(),
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
    let summary = verdict.summary_json(loaded, plan, executed, &notes);
    write_json(&run_dir.join("summary.json"), &summary)?;
    let timings = json!({
        "run_seconds": run_seconds,
        "statistics_seconds": stats_seconds,
        "outputs_seconds": outputs_started.elapsed().as_secs_f64(),
    });
    let manifest = manifest(loaded, plan, executed, threads, timings)?;
    write_json(&run_dir.join("manifest.json"), &manifest)?;
    if loaded.protocol.outputs.report {
        let html = crate::report::audit::render(&crate::report::audit::ReportInput {
            loaded,
            plan,
            verdict: &verdict,
            stability: &stability_rows,
            harmonized: harmonized_rows.as_deref(),
            summary: &summary,
            manifest: &manifest,
            failures: &executed.failures,
        })?;
        write_bytes(&run_dir.join("report.html"), html.as_bytes())?;
    }
    let text = format!(
        "{}: {} ({} of {} cases, {} jobs computed, {} resumed); outputs in {}\n{}",
        if verdict.passed { "PASS" } else { "FAIL" },
        loaded.protocol.name,
        complete.len(),
        plan.cases.len(),
        executed.computed_jobs,
        executed.resumed,
        run_dir.display(),
        verdict.lines()
    );
    Ok(Outcome {
        passed: verdict.passed,
        run_dir: run_dir.to_path_buf(),
        summary: text,
    })
}

/// manifest.json: tool, protocol and its SHA-256, inputs and theirs, seed, settings, timings.
fn manifest(
    loaded: &Loaded,
    plan: &Plan,
    executed: &execute::Executed,
    threads: usize,
    timings: serde_json::Value,
) -> Result<serde_json::Value> {
    let p = &loaded.protocol;
    let mut inputs = Vec::new();
    // An input that cannot be read (a case that failed to load) is listed without a digest.
    let mut add = |role: &str, path: &Path| {
        let digest = outputs::sha256(path).ok();
        inputs.push(json!({"role": role, "path": path.display().to_string(), "sha256": digest}));
    };
    if let Some(csv) = &p.cases.csv {
        add("cases", &protocol::resolve(&loaded.path, csv));
    }
    if let Some(f) = &p.features.params_file {
        add("params", &protocol::resolve(&loaded.path, f));
    }
    if let Some(spec) = p
        .cases
        .synthetic_vertebra
        .as_ref()
        .and_then(|c| c.spec.as_ref())
    {
        add("phantom", &protocol::resolve(&loaded.path, spec));
    }
    for c in &plan.cases {
        if let Source::Files { image, mask, .. } = &c.source {
            add(&format!("image {}", c.id), image);
            add(&format!("mask {}", c.id), mask);
        }
    }
    Ok(json!({
        "tool": {"name": "radaudit", "version": env!("CARGO_PKG_VERSION")},
        "protocol": {
            "path": loaded.path.display().to_string(),
            "sha256": outputs::sha256_bytes(loaded.text.as_bytes()),
        },
        "inputs": inputs,
        "seed": p.seed,
        "settings": {
            "protocol": serde_json::to_value(p).unwrap_or_default(),
            "baseline_chain": protocol::baseline_chain(p)?,
            "kv_table": serde_json::to_value(&loaded.kv_table).unwrap_or_default(),
            "features": loaded.features.feature_names().len(),
            "phantom": loaded.phantom.as_ref().map(|s| serde_json::to_value(s).unwrap_or_default()),
            "threads": threads,
        },
        "run": {
            "cases": plan.cases.len(),
            "jobs_per_case": plan.jobs_per_case(),
            "computed_jobs": executed.computed_jobs,
            "resumed_cases": executed.resumed,
            "failures": executed.failures.len(),
        },
        "timings": timings,
    }))
}
