//! The run folder's tables and files: features (CSV and Parquet, long format), stability,
//! harmonized stability, errors, and SHA-256 digests for the manifest. Every file is written
//! atomically; tables are in plan order, so the same protocol gives the same bytes.

use std::io::Read;
use std::path::Path;

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use sha2::{Digest, Sha256};

use super::execute::Failure;
use super::harmonized::{self, HarmonizedRow};
use super::journal::CaseRecord;
use super::plan::Job;
use super::stability::{self, Row};
use crate::error::{Error, Result};
use crate::output::{write_atomically, write_bytes};
use crate::table::csv_field;

/// The long feature table's rows: case, job id, axis levels, feature, value.
pub struct LongRow<'a> {
    /// The case id.
    pub case: &'a str,
    /// The job id.
    pub job: &'a str,
    /// The job's level of each axis (empty where none).
    pub levels: &'a [String],
    /// The feature name.
    pub feature: &'a str,
    /// Its value.
    pub value: f64,
}

/// Every (case, job, feature) of the finished cases, in plan order.
pub fn long_rows<'a>(records: &'a [Option<CaseRecord>], jobs: &'a [Vec<Job>]) -> Vec<LongRow<'a>> {
    let mut rows = Vec::new();
    for (c, record) in records.iter().enumerate() {
        let Some(r) = record else { continue };
        for (j, job) in jobs[c].iter().enumerate() {
            for (f, feature) in r.features.iter().enumerate() {
                let value = r.values[j][f].parse::<f64>().unwrap_or(f64::NAN);
                rows.push(LongRow {
                    case: &r.case,
                    job: &job.id,
                    levels: &job.levels,
                    feature,
                    value,
                });
            }
        }
    }
    rows
}

/// features.csv.
pub fn write_features_csv(path: &Path, axes: &[String], rows: &[LongRow]) -> Result<()> {
    let mut out = String::from("case,perturbation");
    for a in axes {
        out.push(',');
        out.push_str(&csv_field(a));
    }
    out.push_str(",feature,value\n");
    let mut buffer = ryu::Buffer::new();
    for r in rows {
        out.push_str(&csv_field(r.case));
        out.push(',');
        out.push_str(&csv_field(r.job));
        for l in r.levels {
            out.push(',');
            out.push_str(&csv_field(l));
        }
        out.push(',');
        out.push_str(&csv_field(r.feature));
        out.push(',');
        out.push_str(crate::table::write_number(&mut buffer, r.value));
        out.push('\n');
    }
    write_bytes(path, out.as_bytes())
}

/// features.parquet: the same table, every column a UTF-8 string but `value` (f64),
/// Snappy-compressed.
pub fn write_features_parquet(path: &Path, axes: &[String], rows: &[LongRow]) -> Result<()> {
    let text = |f: &dyn for<'r> Fn(&'r LongRow<'r>) -> &'r str| -> ArrayRef {
        Arc::new(rows.iter().map(|r| Some(f(r))).collect::<StringArray>())
    };
    let mut names = vec!["case".to_string(), "perturbation".to_string()];
    let mut columns = vec![text(&|r| r.case), text(&|r| r.job)];
    for (a, name) in axes.iter().enumerate() {
        names.push(name.clone());
        columns.push(text(&|r| r.levels[a].as_str()));
    }
    names.push("feature".into());
    columns.push(text(&|r| r.feature));
    names.push("value".into());
    columns.push(Arc::new(Float64Array::from_iter_values(
        rows.iter().map(|r| r.value),
    )));
    let schema = Arc::new(Schema::new(
        names
            .iter()
            .zip(&columns)
            .map(|(n, c)| Field::new(n, c.data_type().clone(), false))
            .collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_new(schema.clone(), columns)
        .map_err(|e| Error::Internal(format!("feature table: {e}")))?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    write_atomically(path, |tmp| {
        let failed = |e: parquet::errors::ParquetError| Error::output(path, e.to_string());
        let file = std::fs::File::create(tmp).map_err(|e| Error::output(path, e.to_string()))?;
        let mut writer = ArrowWriter::try_new(file, schema, Some(properties)).map_err(failed)?;
        writer.write(&batch).map_err(failed)?;
        writer.close().map(|_| ()).map_err(failed)
    })
}

/// The `case` and `value` columns of a features.parquet file (a shard's or a run's), row by
/// row.
pub fn read_features_parquet(path: &Path) -> Result<(Vec<String>, Vec<f64>)> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let bad = |e: &dyn std::fmt::Display| {
        Error::input(path, format!("cannot read the feature table: {e}"))
    };
    let file = std::fs::File::open(path).map_err(|e| Error::input(path, e.to_string()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| bad(&e))?;
    let (mut cases, mut values) = (Vec::new(), Vec::new());
    for batch in reader {
        let batch = batch.map_err(|e| bad(&e))?;
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .ok_or_else(|| bad(&format!("no column {name}")))
        };
        let case = column("case")?
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| bad(&"column case is not text"))?;
        let value = column("value")?
            .as_any()
            .downcast_ref::<Float64Array>()
            .ok_or_else(|| bad(&"column value is not a 64-bit float"))?;
        cases.extend(case.iter().map(|c| c.unwrap_or_default().to_string()));
        values.extend(value.iter().map(|v| v.unwrap_or(f64::NAN)));
    }
    Ok((cases, values))
}

/// stability.csv.
pub fn write_stability(path: &Path, rows: &[Row]) -> Result<()> {
    let mut out = format!("{}\n", stability::HEADER);
    for r in rows {
        out.push_str(&stability::csv_line(r));
        out.push('\n');
    }
    write_bytes(path, out.as_bytes())
}

/// harmonized_stability.csv.
pub fn write_harmonized(path: &Path, rows: &[HarmonizedRow]) -> Result<()> {
    let mut out = format!("{}\n", harmonized::header());
    for r in rows {
        out.push_str(&harmonized::csv_line(r));
        out.push('\n');
    }
    write_bytes(path, out.as_bytes())
}

/// errors.csv (a header only when nothing failed).
pub fn write_errors(path: &Path, failures: &[Failure]) -> Result<()> {
    let mut out = String::from("case,perturbation,error\n");
    for f in failures {
        out.push_str(&format!(
            "{},{},{}\n",
            csv_field(&f.case),
            csv_field(&f.job),
            csv_field(&f.message)
        ));
    }
    write_bytes(path, out.as_bytes())
}

/// The SHA-256 of a file, or of a folder's files (each file's digest, in name order).
pub fn sha256(path: &Path) -> Result<String> {
    let mut hasher = Sha256::new();
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| Error::input(path, e.to_string()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        entries.sort();
        for e in entries {
            hasher.update(sha256(&e)?.as_bytes());
        }
    } else {
        let mut file = std::fs::File::open(path).map_err(|e| Error::input(path, e.to_string()))?;
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let n = file
                .read(&mut buffer)
                .map_err(|e| Error::input(path, e.to_string()))?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
        }
    }
    Ok(hex(&hasher.finalize()))
}

/// The SHA-256 of bytes.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
