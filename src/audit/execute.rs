//! Running the plan: cases in parallel (a chunk of as many cases as threads at a time, so
//! only that many volumes are in memory), each case's jobs in parallel within it; every
//! finished case goes to the journal at once; a failing case is recorded and the rest go on.

use std::collections::HashMap;
use std::sync::Mutex;

use rayon::prelude::*;

use super::journal::{CaseRecord, Journal};
use super::plan::{CaseInfo, Job, Plan, Source};
use crate::audit::protocol::Loaded;
use crate::error::{Error, Result};
use crate::features::FeatureSet;
use crate::features::pyradiomics::prepare::PrepareError;
use crate::perturb::Case;
use crate::phantom::vertebra::{self, VertebraSpec};
use crate::progress::Progress;
use crate::volume::io::{ReadOptions, read_volume};

/// A case that could not be completed: which job (or `load`) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub case: String,
    pub job: String,
    pub message: String,
}

/// What the run produced: each case's record (None if it failed), the failures, and how
/// many cases came from the journal.
pub struct Executed {
    pub records: Vec<Option<CaseRecord>>,
    pub failures: Vec<Failure>,
    pub resumed: usize,
    pub computed_jobs: usize,
}

/// Loads a case: reads (and crops) a user's image and ROI, or builds a synthetic vertebra.
pub fn load_case(info: &CaseInfo, loaded: &Loaded) -> Result<Case> {
    match &info.source {
        Source::Files { image, mask, label } => {
            let read = ReadOptions::default();
            let volume = read_volume(image, &read)?;
            let m = crate::features::mask_for(&volume, image, mask, &read, *label)?;
            let case = Case::new(volume, &m, *label).map_err(|e| match e {
                Error::Usage(p) => Error::input(mask, p),
                other => other,
            })?;
            Ok(case.cropped(loaded.protocol.crop_margin_mm))
        }
        Source::Vertebra { vbmd, scale } => {
            let base = loaded.phantom.clone().unwrap_or_default();
            let spec = VertebraSpec {
                vbmd: *vbmd,
                scanner: "none".into(),
                kvp: 120.0,
                body: [0, 1, 2].map(|a| base.body[a] * scale[a]),
                ..base
            };
            let v = vertebra::build(&spec, loaded.protocol.seed, &info.id)?;
            Case::new(v.image, &v.trabecular, 1)
        }
    }
}

/// Runs one job: perturbs a copy of the case and extracts the features.
pub fn run_job(
    case: &Case,
    info: &CaseInfo,
    job: &Job,
    seed: u64,
    features: &FeatureSet,
) -> Result<Vec<f64>> {
    let mut case = case.clone();
    job.chain.apply(&mut case, seed, &info.id)?;
    let values = features
        .compute(&case.image, &case.mask(1), 1)
        .map_err(|e| match e {
            PrepareError::Image(p) | PrepareError::Roi(p) => Error::Usage(p),
        })?;
    Ok(values.into_iter().map(|v| v.value).collect())
}

/// Runs `f`, turning a panic into an internal error naming `what`: the last guard, so that a
/// bug met by one job becomes that job's row in errors.csv rather than the end of the audit
/// (each class of bad input has its own validation before this).
pub fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        Err(Error::Internal(format!(
            "{what} failed unexpectedly: {message}"
        )))
    })
}

/// Runs every case not in `done`, appending each finished case to `journal`. A journal that
/// cannot be appended to stops the run (its resume would otherwise lose finished cases).
pub fn execute(
    plan: &Plan,
    loaded: &Loaded,
    journal: Journal,
    done: Vec<CaseRecord>,
    threads: usize,
) -> Result<Executed> {
    let features = loaded.features.feature_names();
    let mut finished: HashMap<String, CaseRecord> = HashMap::new();
    for r in done {
        let expected: Vec<String> = plan
            .cases
            .iter()
            .find(|c| c.id == r.case)
            .map(|c| plan.jobs(c).into_iter().map(|j| j.id).collect())
            .unwrap_or_default();
        // A record that no longer fits the plan is recomputed.
        if r.jobs == expected && r.features == features {
            finished.insert(r.case.clone(), r);
        }
    }
    let resumed = finished.len();
    let per_case = plan.jobs_per_case();
    let total = (plan.cases.len() * per_case) as u64;
    let progress = Progress::new("audit", total, "jobs");
    progress.set_done((resumed * per_case) as u64);
    let journal = Mutex::new(journal);
    let journal_failed: Mutex<Option<Error>> = Mutex::new(None);
    let failures = Mutex::new(Vec::new());
    let seed = loaded.protocol.seed;
    let mut records: Vec<Option<CaseRecord>> = Vec::with_capacity(plan.cases.len());
    let mut computed_jobs = 0usize;
    let pending: Vec<&CaseInfo> = plan
        .cases
        .iter()
        .filter(|c| !finished.contains_key(&c.id))
        .collect();
    let mut results: HashMap<String, Option<CaseRecord>> = HashMap::new();
    for chunk in pending.chunks(threads.max(1)) {
        let chunk_results: Vec<(String, Option<CaseRecord>, usize)> = chunk
            .par_iter()
            .map(|info| {
                let jobs = plan.jobs(info);
                let fail = |job: &str, e: &Error| {
                    if let Ok(mut f) = failures.lock() {
                        f.push(Failure {
                            case: info.id.clone(),
                            job: job.into(),
                            message: e.to_string(),
                        });
                    }
                };
                let case = match guarded("loading the case", || load_case(info, loaded)) {
                    Ok(c) => c,
                    Err(e) => {
                        fail("load", &e);
                        progress.inc(jobs.len() as u64);
                        return (info.id.clone(), None, 0);
                    }
                };
                let outcomes: Vec<Result<Vec<f64>>> = jobs
                    .par_iter()
                    .map(|job| {
                        let r = guarded("the job", || {
                            run_job(&case, info, job, seed, &loaded.features)
                        });
                        progress.inc(1);
                        r
                    })
                    .collect();
                let mut values = Vec::with_capacity(jobs.len());
                let mut ok = true;
                for (job, outcome) in jobs.iter().zip(outcomes) {
                    match outcome {
                        Ok(v) if v.len() == features.len() => values.push(v),
                        Ok(v) => {
                            fail(
                                &job.id,
                                &Error::Internal(format!(
                                    "{} values for {} features",
                                    v.len(),
                                    features.len()
                                )),
                            );
                            ok = false;
                        }
                        Err(e) => {
                            fail(&job.id, &e);
                            ok = false;
                        }
                    }
                }
                if !ok {
                    return (info.id.clone(), None, jobs.len());
                }
                let record = CaseRecord {
                    case: info.id.clone(),
                    jobs: jobs.iter().map(|j| j.id.clone()).collect(),
                    features: features.clone(),
                    values: values
                        .iter()
                        .map(|row| {
                            row.iter()
                                .map(|v| crate::table::format_number(*v))
                                .collect()
                        })
                        .collect(),
                };
                let appended = journal
                    .lock()
                    .map_err(|_| Error::Internal("journal lock".into()))
                    .and_then(|mut j| j.append(&record));
                if let Err(e) = appended
                    && let Ok(mut first) = journal_failed.lock()
                {
                    first.get_or_insert(e);
                }
                (info.id.clone(), Some(record), jobs.len())
            })
            .collect();
        for (id, record, jobs) in chunk_results {
            computed_jobs += jobs;
            results.insert(id, record);
        }
        if let Some(e) = journal_failed.lock().ok().and_then(|mut f| f.take()) {
            progress.finish();
            return Err(e);
        }
    }
    progress.finish();
    for c in &plan.cases {
        records.push(match finished.remove(&c.id) {
            Some(r) => Some(r),
            None => results.remove(&c.id).flatten(),
        });
    }
    let mut failures = failures
        .into_inner()
        .map_err(|_| Error::Internal("failure list lock".into()))?;
    // Report failures in plan order, whatever order the threads met them in.
    let order: HashMap<&str, usize> = plan
        .cases
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    failures.sort_by_key(|f| {
        (
            order.get(f.case.as_str()).copied().unwrap_or(usize::MAX),
            f.job.clone(),
        )
    });
    Ok(Executed {
        records,
        failures,
        resumed,
        computed_jobs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_the_jobs_error() {
        let quiet = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let e = guarded::<()>("the job", || panic!("index out of bounds")).unwrap_err();
        std::panic::set_hook(quiet);
        assert!(
            e.to_string()
                .contains("the job failed unexpectedly: index out of bounds"),
            "{e}"
        );
        assert_eq!(guarded("the job", || Ok(3)).unwrap(), 3);
    }
}
