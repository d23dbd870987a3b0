//! manifest.json of an audit run folder: the tool, the protocol and its SHA-256, every input
//! and its SHA-256, the seed, the settings in force, what ran and how long it took. The
//! report prints this same value.

use std::path::Path;

use serde::Serialize;

use super::execute::Executed;
use super::outputs;
use super::plan::{Plan, Source};
use super::protocol::{Loaded, Protocol, baseline_chain};
use crate::error::Result;
use crate::output::{Input, ProtocolFile, Tool};
use crate::perturb::kvp::KvFactors;
use crate::phantom::vertebra::VertebraSpec;
use crate::yaml::resolve;

/// manifest.json.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub tool: Tool,
    pub protocol: ProtocolFile,
    pub inputs: Vec<Input>,
    pub seed: u64,
    pub settings: Settings,
    pub run: RunCounts,
    pub timings: Timings,
}

/// The settings in force.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub protocol: Protocol,
    pub baseline_chain: String,
    pub kv_table: Vec<KvFactors>,
    /// How many features each job computes.
    pub features: usize,
    pub phantom: Option<VertebraSpec>,
    pub threads: usize,
}

/// What ran.
#[derive(Debug, Clone, Serialize)]
pub struct RunCounts {
    pub cases: usize,
    pub jobs_per_case: usize,
    pub computed_jobs: usize,
    pub resumed_cases: usize,
    pub failures: usize,
}

/// Seconds spent running the jobs, on the statistics, and writing the outputs.
#[derive(Debug, Clone, Serialize)]
pub struct Timings {
    pub run_seconds: f64,
    pub statistics_seconds: f64,
    pub outputs_seconds: f64,
}

/// The manifest of a run.
pub fn manifest(
    loaded: &Loaded,
    plan: &Plan,
    executed: &Executed,
    threads: usize,
    timings: Timings,
) -> Result<Manifest> {
    let p = &loaded.protocol;
    let mut inputs = Vec::new();
    let mut add = |role: &str, path: &Path| {
        inputs.push(Input {
            role: role.into(),
            path: path.display().to_string(),
            sha256: outputs::sha256(path).ok(),
        });
    };
    if let Some(csv) = &p.cases.csv {
        add("cases", &resolve(&loaded.path, csv));
    }
    if let Some(f) = &p.features.params_file {
        add("params", &resolve(&loaded.path, f));
    }
    if let Some(spec) = p
        .cases
        .synthetic_vertebra
        .as_ref()
        .and_then(|c| c.spec.as_ref())
    {
        add("phantom", &resolve(&loaded.path, spec));
    }
    for c in &plan.cases {
        if let Source::Files { image, mask, .. } = &c.source {
            add(&format!("image {}", c.id), image);
            add(&format!("mask {}", c.id), mask);
        }
    }
    Ok(Manifest {
        tool: Tool::this(),
        protocol: ProtocolFile {
            path: Some(loaded.path.display().to_string()),
            sha256: outputs::sha256_bytes(loaded.text.as_bytes()),
        },
        inputs,
        seed: p.seed,
        settings: Settings {
            protocol: p.clone(),
            baseline_chain: baseline_chain(p)?,
            kv_table: loaded.kv_table.clone(),
            features: loaded.features.feature_names().len(),
            phantom: loaded.phantom.clone(),
            threads,
        },
        run: RunCounts {
            cases: plan.cases.len(),
            jobs_per_case: plan.jobs_per_case(),
            computed_jobs: executed.computed_jobs,
            resumed_cases: executed.resumed,
            failures: executed.failures.len(),
        },
        timings,
    })
}
