//! Helpers for the audit tests: a reduced protocol on small phantoms, and reading the run
//! folder's CSV tables.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Writes a reduced protocol (small phantoms, two axes, ComBat across scanner) into `dir`.
pub fn reduced_protocol(dir: &Path, count: usize, name: &str) -> PathBuf {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/small_vertebra.yaml");
    let text = format!(
        r#"name: "{name}"
seed: 5
cases:
  synthetic_vertebra:
    count: {count}
    vbmd: [60, 240]
    spec: {spec}
features:
  params:
    setting:
      binWidth: 25
perturbations:
  - axis: scanner
    levels: ["scanner:smooth", "scanner:sharp"]
  - axis: segmentation
    levels: ["volume:fraction=0.9"]
stability:
  acceptance:
    metric: icc1_ci_low
    threshold: 0.75
    required_features: [original_firstorder_Mean]
harmonization:
  axis: scanner
  covariates: [vbmd]
"#,
        spec = spec.display()
    );
    let path = dir.join("reduced.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A CSV file as its header and rows of cells.
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// Rows of a CSV keyed by the values of two columns.
pub fn index_by(
    path: &Path,
    a: &str,
    b: &str,
) -> HashMap<(String, String), HashMap<String, String>> {
    let (header, rows) = read_csv(path);
    let ia = header.iter().position(|h| h == a).unwrap();
    let ib = header.iter().position(|h| h == b).unwrap();
    rows.into_iter()
        .map(|r| {
            let key = (r[ia].clone(), r[ib].clone());
            (key, header.iter().cloned().zip(r).collect())
        })
        .collect()
}
