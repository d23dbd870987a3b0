//! The `extract` job: PyRadiomics-compatible (or, with `--convention ibsi`, IBSI) features for one image and mask, or for a batch
//! of cases in parallel, written as CSV (`feature,value`, or `case,feature,value`), JSON, or
//! (batches) a wide table of one row per case with the cases CSV's other columns and the
//! scanner facts of DICOM series, ready for `harmonize --batch manufacturer,kernel`.
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
use crate::volume::io::dicom::{self, Acquisition};
use crate::volume::labels::{LabelRef, LabelTable};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    /// Batches only: one row per case.
    Wide,
}

/// One case of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFiles {
    pub id: String,
    pub image: PathBuf,
    pub mask: PathBuf,
    /// The ROI label: a number, or a name resolved against the mask (or a label table).
    pub label: Option<LabelRef>,
    /// The cases CSV's other columns (site, age ...), name and value, in its order.
    pub extra: Vec<(String, String)>,
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
        // One case's wide table is its feature row (the command refuses it for one case).
        Format::Csv | Format::Wide => {
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
    let extra_columns: Vec<(usize, String)> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| !["case", "image", "mask", "label"].contains(h))
        .map(|(i, h)| (i, h.to_string()))
        .collect();
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
            extra: extra_columns
                .iter()
                .map(|(i, name)| (name.clone(), record.get(*i).unwrap_or("").to_string()))
                .collect(),
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

/// One case's features, or why it failed.
type CaseResult = std::result::Result<Vec<FeatureValue>, String>;

/// The wide table of a batch: one row per extracted case, with `case`, the cases CSV's other
/// columns, the DICOM scanner facts some case has (a column the cases CSV already has is
/// kept as the CSV gives it), then the features in the first case's order.
fn render_wide(
    cases: &[CaseFiles],
    results: &[CaseResult],
    acquisitions: &[Option<Acquisition>],
) -> String {
    let extra: Vec<&str> = cases
        .first()
        .map(|c| c.extra.iter().map(|(n, _)| n.as_str()).collect())
        .unwrap_or_default();
    let facts: Vec<&str> = Acquisition::COLUMNS
        .iter()
        .copied()
        .filter(|name| !extra.contains(name) && *name != "case")
        .filter(|name| {
            acquisitions
                .iter()
                .flatten()
                .any(|a| a.text(name).is_some())
        })
        .collect();
    let mut names: Vec<&str> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for v in results.iter().flatten().flatten() {
        if seen.insert(v.name.as_str()) {
            names.push(&v.name);
        }
    }
    let header: Vec<String> = std::iter::once("case")
        .chain(extra.iter().copied())
        .chain(facts.iter().copied())
        .chain(names.iter().copied())
        .map(csv_field)
        .collect();
    let mut out = header.join(",") + "\n";
    for ((case, result), acquisition) in cases.iter().zip(results).zip(acquisitions) {
        let Ok(values) = result else { continue };
        let by_name: std::collections::HashMap<&str, f64> =
            values.iter().map(|v| (v.name.as_str(), v.value)).collect();
        let mut row = vec![csv_field(&case.id)];
        row.extend(case.extra.iter().map(|(_, v)| csv_field(v)));
        row.extend(facts.iter().map(|name| {
            acquisition
                .as_ref()
                .and_then(|a| a.text(name))
                .map_or(String::new(), |t| csv_field(&t))
        }));
        row.extend(
            names
                .iter()
                .map(|n| by_name.get(n).map_or(String::new(), |v| format_value(*v))),
        );
        out += &(row.join(",") + "\n");
    }
    out
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
    let (results, acquisitions): (Vec<CaseResult>, Vec<Option<Acquisition>>) = cases
        .par_iter()
        .map(|c| {
            let r = features
                .label_for(c.label.as_ref(), &c.mask, table)
                .and_then(|label| extract_files(&c.image, &c.mask, features, label, read))
                .map(|(v, _)| v)
                .map_err(|e| e.to_string());
            // A DICOM series' scanner facts (headers only) for the wide table.
            let acquisition = (format == Format::Wide && r.is_ok() && c.image.is_dir())
                .then(|| dicom::acquisition(&c.image, read.series.as_deref()).ok())
                .flatten();
            progress.inc(1);
            (r, acquisition)
        })
        .unzip();
    progress.finish();
    let failed: Vec<(String, String)> = cases
        .iter()
        .zip(&results)
        .filter_map(|(case, r)| r.as_ref().err().map(|m| (case.id.clone(), m.clone())))
        .collect();
    let extracted = || {
        cases
            .iter()
            .zip(&results)
            .filter_map(|(case, r)| r.as_ref().ok().map(|values| (case, values)))
    };
    let body = match format {
        Format::Csv => {
            let mut csv = String::from("case,feature,value\n");
            for (case, values) in extracted() {
                for v in values {
                    csv.push_str(&format!(
                        "{},{},{}\n",
                        csv_field(&case.id),
                        v.name,
                        format_value(v.value)
                    ));
                }
            }
            csv
        }
        Format::Json => {
            let json: Map<String, Value> = extracted()
                .map(|(case, values)| {
                    let obj: Map<String, Value> = values
                        .iter()
                        .map(|v| (v.name.clone(), json_number(v.value)))
                        .collect();
                    (case.id.clone(), Value::Object(obj))
                })
                .collect();
            serde_json::to_string_pretty(&Value::Object(json)).unwrap_or_default() + "\n"
        }
        Format::Wide => render_wide(cases, &results, &acquisitions),
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
