//! Writes the shards of a large audit as synthetic tables, for timing `radaudit merge`
//! (issue 11: 100 shards of a 1000-case audit in under 5 s). The protocol is the default one
//! with COUNT cases; every feature value is drawn at random (per case a level, per job a small
//! perturbation), so no phantom is built. Then run: `radaudit merge RUN_DIR`.
//!
//! Usage: merge_timing RUN_DIR [CASES] [SHARDS]    (from the project folder)

use std::path::PathBuf;

use radaudit::audit::journal::CaseRecord;
use radaudit::audit::outputs;
use radaudit::audit::plan::Plan;
use radaudit::audit::shard::{ShardManifest, cases_of, shards_dir};
use radaudit::perturb::random;
use rand::RngExt;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let run_dir = PathBuf::from(&args[1]);
    let cases: usize = args.get(2).map_or(1000, |a| a.parse().unwrap());
    let shards: usize = args.get(3).map_or(100, |a| a.parse().unwrap());
    let text = std::fs::read_to_string("protocols/vertebra-ct.yaml")
        .unwrap()
        .replace("count: 24 ", &format!("count: {cases} "));
    std::fs::create_dir_all(&run_dir).unwrap();
    let protocol = std::path::absolute(run_dir.join("protocol.yaml")).unwrap();
    std::fs::write(&protocol, &text).unwrap();
    let loaded = radaudit::audit::protocol::load(&protocol).unwrap();
    let plan = Plan::new(&loaded).unwrap();
    let features = loaded.features.feature_names();
    let dir = shards_dir(&run_dir);
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..shards {
        let range = cases_of(plan.cases.len(), i, shards);
        let sub = plan.with_cases(range.clone());
        let jobs: Vec<_> = sub.cases.iter().map(|c| sub.jobs(c)).collect();
        let records: Vec<Option<CaseRecord>> = sub
            .cases
            .iter()
            .zip(&jobs)
            .map(|(c, js)| {
                let mut rng = random::stream(1, &c.id, "merge timing");
                let level: Vec<f64> = features
                    .iter()
                    .map(|_| rng.random::<f64>() * 100.0)
                    .collect();
                Some(CaseRecord {
                    case: c.id.clone(),
                    jobs: js.iter().map(|j| j.id.clone()).collect(),
                    features: features.clone(),
                    values: js
                        .iter()
                        .map(|_| {
                            level
                                .iter()
                                .map(|v| radaudit::table::format_number(v + rng.random::<f64>()))
                                .collect()
                        })
                        .collect(),
                })
            })
            .collect();
        let long = outputs::long_rows(&records, &jobs);
        let parquet = dir.join(format!("{i}.parquet"));
        outputs::write_features_parquet(&parquet, &sub.axes, &long).unwrap();
        let manifest = ShardManifest {
            shard: i,
            of: shards,
            protocol_path: protocol.clone(),
            protocol_sha256: outputs::sha256_bytes(loaded.text.as_bytes()),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            cases: sub.cases.iter().map(|c| c.id.clone()).collect(),
            failures: Vec::new(),
            computed_jobs: range.len() * plan.jobs_per_case(),
            resumed_cases: 0,
            rows: long.len(),
            parquet_sha256: outputs::sha256(&parquet).unwrap(),
            seconds: 0.0,
        };
        std::fs::write(
            dir.join(format!("{i}.json")),
            serde_json::to_string_pretty(&manifest).unwrap(),
        )
        .unwrap();
    }
    println!(
        "wrote {shards} shards of {cases} cases x {} jobs x {} features into {}",
        plan.jobs_per_case(),
        features.len(),
        dir.display()
    );
}
