//! Scale-out: a shard `I/N` runs a fixed block of the plan's cases (contiguous in plan order,
//! so by stable case ids and never by timing; all of a case's perturbations stay together,
//! baseline included) and writes `shards/I.parquet` (its long feature rows) and then
//! `shards/I.json` (its manifest: protocol and tool version, cases, failures, and the Parquet
//! file's SHA-256). Both are written atomically and the manifest last, so a killed shard
//! leaves nothing `merge` takes for complete. `merge` checks every shard (present, same
//! protocol and tool version, intact), rebuilds the case records in plan order and ends in
//! the same code as a single run, so the tables are byte-identical.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::execute::{self, Executed, Failure};
use super::journal::CaseRecord;
use super::plan::Plan;
use super::{Audited, finish, open_journal, outputs, thread_pool};
use crate::audit::protocol::{self, Loaded};
use crate::error::{Error, Result};
use crate::output::write_json;

/// Shard I of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSpec {
    /// I, from 0.
    pub index: usize,
    /// N, the shard count.
    pub count: usize,
}

/// The most shards a run may have (Kubernetes' limit on an Indexed Job's completions).
pub const MAX_SHARDS: usize = 100_000;

impl FromStr for ShardSpec {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<ShardSpec, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?}: give the shard as I/N, e.g. 0/4"))?;
        let index: usize = i
            .trim()
            .parse()
            .map_err(|_| format!("{s:?}: I is not a number"))?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("{s:?}: N is not a number"))?;
        if count == 0 || count > MAX_SHARDS || index >= count {
            return Err(format!("{s:?}: N must be 1 to {MAX_SHARDS} and I 0 to N-1"));
        }
        Ok(ShardSpec { index, count })
    }
}

/// The plan's cases of shard `index` of `count`: a contiguous block, sizes differing by at
/// most one.
pub fn cases_of(cases: usize, index: usize, count: usize) -> Range<usize> {
    index * cases / count..(index + 1) * cases / count
}

/// `radaudit audit --plan`: the job count and the shard layout.
pub(crate) fn describe(loaded: &Loaded, plan: &Plan, shards: usize) -> String {
    let per_case = plan.jobs_per_case();
    let mut text = format!(
        "{}: {} cases x {} jobs per case = {} jobs ({} features each)\n",
        loaded.protocol.name,
        plan.cases.len(),
        per_case,
        plan.cases.len() * per_case,
        loaded.features.feature_names().len()
    );
    let shards = shards.max(1);
    text += &format!("{shards} shard(s), by case in plan order:\n");
    for i in 0..shards {
        let r = cases_of(plan.cases.len(), i, shards);
        let ids = |k: usize| plan.cases.get(k).map_or("-", |c| c.id.as_str());
        text += &format!(
            "  shard {i}/{shards}: {} cases ({} to {}), {} jobs\n",
            r.len(),
            ids(r.start),
            if r.is_empty() { "-" } else { ids(r.end - 1) },
            r.len() * per_case
        );
    }
    text
}

/// A shard's manifest, `shards/I.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardManifest {
    /// This shard's index I.
    pub shard: usize,
    /// The shard count N.
    pub of: usize,
    /// The protocol the shard ran (absolute).
    pub protocol_path: PathBuf,
    /// The SHA-256 of the protocol's text.
    pub protocol_sha256: String,
    /// The radaudit version that ran it.
    pub tool_version: String,
    /// Its cases, in plan order.
    pub cases: Vec<String>,
    /// Its failures as (case, job, message).
    pub failures: Vec<(String, String, String)>,
    /// Jobs computed by this shard's runs.
    pub computed_jobs: usize,
    /// Cases taken from its journal on a resume.
    pub resumed_cases: usize,
    /// Rows of its Parquet table.
    pub rows: usize,
    /// The SHA-256 of its Parquet table (a cut or changed table is refused).
    pub parquet_sha256: String,
    /// Seconds the shard took.
    pub seconds: f64,
}

/// The shards folder of a run folder.
pub fn shards_dir(run_dir: &Path) -> PathBuf {
    run_dir.join("shards")
}

/// What one shard needs to run.
pub(crate) struct ShardRun<'a> {
    pub protocol: &'a Path,
    pub loaded: &'a Loaded,
    pub plan: &'a Plan,
    pub run_dir: &'a Path,
    pub spec: ShardSpec,
    pub resume: bool,
    pub threads: usize,
    pub pool: &'a rayon::ThreadPool,
}

/// Runs one shard: its cases only (resumable through its own journal), then its Parquet file
/// and manifest.
pub(crate) fn run_shard(s: &ShardRun) -> Result<String> {
    let started = Instant::now();
    let ShardSpec { index, count } = s.spec;
    let range = cases_of(s.plan.cases.len(), index, count);
    let sub = s.plan.with_cases(range.clone());
    let dir = shards_dir(s.run_dir);
    let work = dir.join(format!("{index}.work"));
    std::fs::create_dir_all(&work).map_err(|e| Error::output(&work, e.to_string()))?;
    // Only this shard's own leftovers: other shards may be writing beside it (on other nodes).
    let own = [format!("{index}.parquet"), format!("{index}.json")];
    crate::output::remove_stale_partials(&dir, |t| own.iter().any(|o| o == t))?;
    let (journal, done) = open_journal(&work, s.loaded, s.resume)?;
    let executed = s
        .pool
        .install(|| execute::execute(&sub, s.loaded, journal, done, s.threads))?;
    let jobs: Vec<_> = sub.cases.iter().map(|c| sub.jobs(c)).collect();
    let long = outputs::long_rows(&executed.records, &jobs);
    let parquet = dir.join(format!("{index}.parquet"));
    outputs::write_features_parquet(&parquet, &sub.axes, &long)?;
    let manifest = ShardManifest {
        shard: index,
        of: count,
        protocol_path: std::path::absolute(s.protocol).unwrap_or_else(|_| s.protocol.to_path_buf()),
        protocol_sha256: outputs::sha256_bytes(s.loaded.text.as_bytes()),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        cases: sub.cases.iter().map(|c| c.id.clone()).collect(),
        failures: executed
            .failures
            .iter()
            .map(|f| (f.case.clone(), f.job.clone(), f.message.clone()))
            .collect(),
        computed_jobs: executed.computed_jobs,
        resumed_cases: executed.resumed,
        rows: long.len(),
        parquet_sha256: outputs::sha256(&parquet)?,
        seconds: started.elapsed().as_secs_f64(),
    };
    write_json(&dir.join(format!("{index}.json")), &manifest)?;
    // The journal only serves to resume this shard; complete, it is not needed any more.
    std::fs::remove_dir_all(&work).map_err(|e| Error::output(&work, e.to_string()))?;
    Ok(format!(
        "shard {index}/{count}: {} cases, {} jobs computed, {} failures; wrote {}\n",
        range.len(),
        executed.computed_jobs,
        executed.failures.len(),
        parquet.display()
    ))
}

/// The shards whose manifests are missing from a run folder of `count` shards.
pub(crate) fn missing_shards(run_dir: &Path, count: usize) -> Vec<usize> {
    (0..count)
        .filter(|i| !shards_dir(run_dir).join(format!("{i}.json")).is_file())
        .collect()
}

/// Reads one shard's Parquet rows back into case records (plan order within the shard).
fn read_shard(
    path: &Path,
    plan: &Plan,
    features: &[String],
    cases: Range<usize>,
) -> Result<Vec<Option<CaseRecord>>> {
    let (case_col, value_col) = outputs::read_features_parquet(path)?;
    let mut records = Vec::new();
    let mut row = 0usize;
    for c in cases {
        let info = &plan.cases[c];
        let jobs = plan.jobs(info);
        // A case is in the table with all its rows, or not at all (it failed).
        if case_col.get(row).map(String::as_str) != Some(info.id.as_str()) {
            records.push(None);
            continue;
        }
        let mut values = Vec::with_capacity(jobs.len());
        for _ in &jobs {
            let mut v = Vec::with_capacity(features.len());
            for _ in features {
                if case_col.get(row).map(String::as_str) != Some(info.id.as_str()) {
                    return Err(Error::input(
                        path,
                        format!("case {} is incomplete", info.id),
                    ));
                }
                v.push(crate::table::format_number(
                    value_col.get(row).copied().unwrap_or(f64::NAN),
                ));
                row += 1;
            }
            values.push(v);
        }
        records.push(Some(CaseRecord {
            case: info.id.clone(),
            jobs: jobs.iter().map(|j| j.id.clone()).collect(),
            features: features.to_vec(),
            values,
        }));
    }
    if row != case_col.len() {
        return Err(Error::input(path, "rows beyond the shard's cases"));
    }
    Ok(records)
}

/// `radaudit merge RUN_DIR`: checks and joins the shards, then computes and writes everything
/// a single run would.
/// `max_failed_cases` overrides the protocol's `stability.acceptance.max_failed_cases`.
pub(crate) fn merge(
    run_dir: &Path,
    threads: Option<usize>,
    max_failed_cases: Option<usize>,
) -> Result<Audited> {
    let started = Instant::now();
    // A killed earlier merge may have left temporary files; the merge writes every table anew.
    crate::output::remove_stale_partials(run_dir, |_| true)?;
    let dir = shards_dir(run_dir);
    let mut manifests: Vec<(PathBuf, ShardManifest)> = Vec::new();
    let entries =
        std::fs::read_dir(&dir).map_err(|e| Error::input(&dir, format!("no shards here: {e}")))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "json") {
            let text =
                std::fs::read_to_string(&path).map_err(|e| Error::input(&path, e.to_string()))?;
            let m: ShardManifest = serde_json::from_str(&text)
                .map_err(|e| Error::input(&path, format!("not a shard manifest: {e}")))?;
            manifests.push((path, m));
        }
    }
    let Some((_, first)) = manifests.first().cloned() else {
        return Err(Error::input(&dir, "no shard manifests (shards/I.json)"));
    };
    let count = first.of;
    let missing = missing_shards(run_dir, count);
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|i| format!("{i}/{count}")).collect();
        return Err(Error::input(
            &dir,
            format!(
                "missing shard(s) {} of {count}: rerun them (radaudit slurm ... --only-missing, or radaudit audit ... --shard I/N)",
                names.join(", ")
            ),
        ));
    }
    let mut loaded = protocol::load(&first.protocol_path)?;
    if let Some(n) = max_failed_cases {
        loaded.protocol.stability.acceptance.max_failed_cases = n;
    }
    let sha = outputs::sha256_bytes(loaded.text.as_bytes());
    manifests.sort_by_key(|(_, m)| m.shard);
    for (path, m) in &manifests {
        let name = format!("shard {}/{}", m.shard, m.of);
        if m.of != count {
            return Err(Error::input(
                path,
                format!("{name} belongs to a run of {} shards, not {count}", m.of),
            ));
        }
        if m.protocol_sha256 != sha {
            return Err(Error::input(
                path,
                format!(
                    "{name} was made from another protocol (SHA-256 {} is not {sha})",
                    m.protocol_sha256
                ),
            ));
        }
        if m.tool_version != env!("CARGO_PKG_VERSION") {
            return Err(Error::input(
                path,
                format!(
                    "{name} was made by radaudit {}, this is {}",
                    m.tool_version,
                    env!("CARGO_PKG_VERSION")
                ),
            ));
        }
        let parquet = dir.join(format!("{}.parquet", m.shard));
        let digest = outputs::sha256(&parquet)
            .map_err(|_| Error::input(&parquet, format!("{name}: its table is missing")))?;
        if digest != m.parquet_sha256 {
            return Err(Error::input(
                &parquet,
                format!("{name}: the table does not match its manifest (changed or cut short)"),
            ));
        }
    }
    let plan = Plan::new(&loaded)?;
    let features = loaded.features.feature_names();
    let mut records = Vec::with_capacity(plan.cases.len());
    let mut failures = Vec::new();
    let (mut computed_jobs, mut resumed) = (0, 0);
    let progress = crate::progress::Progress::new("merge", count as u64, "shards read");
    for (path, m) in &manifests {
        let range = cases_of(plan.cases.len(), m.shard, count);
        let expected: Vec<&str> = plan.cases[range.clone()]
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        if m.cases
            .iter()
            .map(String::as_str)
            .ne(expected.iter().copied())
        {
            return Err(Error::input(
                path,
                format!(
                    "shard {}/{count} holds other cases than the plan gives it",
                    m.shard
                ),
            ));
        }
        records.extend(read_shard(
            &dir.join(format!("{}.parquet", m.shard)),
            &plan,
            &features,
            range,
        )?);
        failures.extend(m.failures.iter().map(|(case, job, message)| Failure {
            case: case.clone(),
            job: job.clone(),
            message: message.clone(),
        }));
        computed_jobs += m.computed_jobs;
        resumed += m.resumed_cases;
        progress.inc(1);
    }
    progress.finish();
    let executed = Executed {
        records,
        failures,
        resumed,
        computed_jobs,
    };
    let (threads, pool) = thread_pool(threads)?;
    let run_seconds: f64 = manifests.iter().map(|(_, m)| m.seconds).fold(0.0, f64::max);
    let mut audited = finish(loaded, plan, executed, run_dir, &pool, threads, run_seconds)?;
    audited.text = format!(
        "merged {count} shards in {:.2} s\n{}",
        started.elapsed().as_secs_f64(),
        audited.text
    );
    Ok(audited)
}
