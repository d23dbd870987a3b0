//! The run folder's tables and files: features (CSV and Parquet, long format), stability,
//! harmonized stability, errors, and SHA-256 digests for the manifest. Every file is written
//! atomically; tables are in plan order, so the same protocol gives the same bytes.

use std::io::Read;
use std::path::Path;

use polars::prelude::{Column, DataFrame, ParquetCompression, ParquetWriter};
use sha2::{Digest, Sha256};

use super::execute::Failure;
use super::harmonized::{self, HarmonizedRow};
use super::journal::CaseRecord;
use super::plan::Job;
use super::stability::{self, Row};
use crate::error::{Error, Result};
use crate::extract::csv_field;
use crate::output::{write_atomically, write_bytes};

/// The long feature table's rows: case, job id, axis levels, feature, value.
pub struct LongRow<'a> {
    pub case: &'a str,
    pub job: &'a str,
    pub levels: &'a [String],
    pub feature: &'a str,
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

/// features.parquet (the same table; `value` as f64).
pub fn write_features_parquet(path: &Path, axes: &[String], rows: &[LongRow]) -> Result<()> {
    let text = |f: &dyn Fn(&LongRow) -> String| rows.iter().map(f).collect::<Vec<String>>();
    let mut columns = vec![
        Column::new("case".into(), text(&|r| r.case.to_string())),
        Column::new("perturbation".into(), text(&|r| r.job.to_string())),
    ];
    for (a, name) in axes.iter().enumerate() {
        columns.push(Column::new(
            name.as_str().into(),
            text(&|r| r.levels[a].clone()),
        ));
    }
    columns.push(Column::new(
        "feature".into(),
        text(&|r| r.feature.to_string()),
    ));
    columns.push(Column::new(
        "value".into(),
        rows.iter().map(|r| r.value).collect::<Vec<f64>>(),
    ));
    let mut df = DataFrame::new(rows.len(), columns)
        .map_err(|e| Error::Internal(format!("feature table: {e}")))?;
    write_atomically(path, |tmp| {
        let file = std::fs::File::create(tmp).map_err(|e| Error::output(path, e.to_string()))?;
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(&mut df)
            .map(|_| ())
            .map_err(|e| Error::output(path, e.to_string()))
    })
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
