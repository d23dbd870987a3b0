//! The `extract` job: PyRadiomics-compatible (or, with `--convention ibsi`, IBSI) features for one image and mask, or for a batch
//! of cases in parallel, written as CSV (`feature,value`, or `case,feature,value`) or JSON.
//!
//! In batch mode a failing case is recorded with its message in an errors file and the others
//! complete; outputs are written atomically once every case has finished.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::features::{FeatureSet, FeatureValue, extract_files};
use crate::output::write_bytes;
use crate::progress::Progress;
use crate::table::csv_field;
use crate::volume::io::ReadOptions;
use crate::volume::labels::{LabelRef, LabelTable};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

/// One case of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFiles {
    pub id: String,
    pub image: PathBuf,
    pub mask: PathBuf,
    /// The ROI label: a number, or a name resolved against the mask (or a label table).
    pub label: Option<LabelRef>,
}

/// A number as radaudit writes it (see `table::format_number`).
pub fn format_value(v: f64) -> String {
    crate::table::format_number(v)
}

fn json_number(v: f64) -> Value {
    serde_json::Number::from_f64(v)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// The single-case output: CSV `feature,value` or a JSON object.
pub fn render_case(values: &[FeatureValue], format: Format) -> String {
    match format {
        Format::Csv => {
            let mut out = String::from("feature,value\n");
            for v in values {
                out.push_str(&format!("{},{}\n", v.name, format_value(v.value)));
            }
            out
        }
        Format::Json => {
            let map: Map<String, Value> = values
                .iter()
                .map(|v| (v.name.clone(), json_number(v.value)))
                .collect();
            let mut s = serde_json::to_string_pretty(&Value::Object(map)).unwrap_or_default();
            s.push('\n');
            s
        }
    }
}

/// Reads a cases CSV (`case,image,mask[,label]`). Relative paths are taken from the CSV's
/// folder. Errors name the row and column.
pub fn read_cases(path: &Path) -> Result<Vec<CaseFiles>> {
    let (mut reader, headers) = crate::table::open_csv(path, false)?;
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(ci), Some(ii), Some(mi)) = (col("case"), col("image"), col("mask")) else {
        return Err(Error::input(
            path,
            format!(
                "the header must have columns case, image and mask (and optionally label); found {}",
                headers.iter().collect::<Vec<_>>().join(", ")
            ),
        ));
    };
    let li = col("label");
    let base = path.parent().unwrap_or(Path::new("."));
    let resolve = |p: &str| {
        let p = Path::new(p);
        if p.is_absolute()
            || p.to_string_lossy()
                .starts_with(crate::volume::io::BUILTIN_PREFIX)
        {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    };
    let mut cases = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (row, record) in reader.records().enumerate() {
        let line = row + 2;
        let record = record.map_err(|e| Error::input(path, format!("row {line}: {e}")))?;
        let field = |i: usize, name: &str| -> Result<String> {
            match record.get(i) {
                Some(v) if !v.is_empty() => Ok(v.to_string()),
                _ => Err(Error::input(
                    path,
                    format!("row {line}: column {name} is empty"),
                )),
            }
        };
        let id = field(ci, "case")?;
        if !seen.insert(id.clone()) {
            return Err(Error::input(
                path,
                format!("row {line}: case {id:?} appears twice"),
            ));
        }
        let label = match li.and_then(|i| record.get(i)).filter(|v| !v.is_empty()) {
            None => None,
            Some(v) => Some(
                LabelRef::parse(v)
                    .map_err(|why| Error::input(path, format!("row {line}: {why}")))?,
            ),
        };
        cases.push(CaseFiles {
            id,
            image: resolve(&field(ii, "image")?),
            mask: resolve(&field(mi, "mask")?),
            label,
        });
    }
    if cases.is_empty() {
        return Err(Error::input(
            path,
            "no cases (the file has a header but no rows)",
        ));
    }
    Ok(cases)
}

/// What a batch produced.
pub struct BatchSummary {
    pub succeeded: usize,
    pub failed: Vec<(String, String)>,
    pub errors_path: Option<PathBuf>,
}

/// The errors file next to `out`: `<out stem>.errors.csv`.
pub fn errors_path(out: &Path) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    out.with_file_name(format!("{stem}.errors.csv"))
}

/// Runs every case (in parallel, with a progress bar on a terminal) and writes the long
/// table to `out` and failures to the errors file.
pub fn run_batch(
    cases: &[CaseFiles],
    features: &FeatureSet,
    table: Option<&LabelTable>,
    read: &ReadOptions,
    out: &Path,
    format: Format,
) -> Result<BatchSummary> {
    let progress = Progress::new("extract", cases.len() as u64, "cases");
    let results: Vec<std::result::Result<Vec<FeatureValue>, String>> = cases
        .par_iter()
        .map(|c| {
            let r = features
                .label_for(c.label.as_ref(), &c.mask, table)
                .and_then(|label| extract_files(&c.image, &c.mask, features, label, read))
                .map(|(v, _)| v)
                .map_err(|e| e.to_string());
            progress.inc(1);
            r
        })
        .collect();
    progress.finish();
    let mut failed = Vec::new();
    let mut csv = String::from("case,feature,value\n");
    let mut json = Map::new();
    for (case, result) in cases.iter().zip(results) {
        match result {
            Ok(values) => {
                for v in &values {
                    csv.push_str(&format!(
                        "{},{},{}\n",
                        csv_field(&case.id),
                        v.name,
                        format_value(v.value)
                    ));
                }
                let obj: Map<String, Value> = values
                    .iter()
                    .map(|v| (v.name.clone(), json_number(v.value)))
                    .collect();
                json.insert(case.id.clone(), Value::Object(obj));
            }
            Err(message) => failed.push((case.id.clone(), message)),
        }
    }
    let body = match format {
        Format::Csv => csv,
        Format::Json => {
            serde_json::to_string_pretty(&Value::Object(json)).unwrap_or_default() + "\n"
        }
    };
    write_bytes(out, body.as_bytes())?;
    let errors = errors_path(out);
    let errors_path = if failed.is_empty() {
        None
    } else {
        let mut text = String::from("case,error\n");
        for (id, msg) in &failed {
            text.push_str(&format!("{},{}\n", csv_field(id), csv_field(msg)));
        }
        write_bytes(&errors, text.as_bytes())?;
        Some(errors)
    };
    Ok(BatchSummary {
        succeeded: cases.len() - failed.len(),
        failed,
        errors_path,
    })
}
