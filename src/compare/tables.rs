//! The comparison's CSV tables, one row per outcome and predictor (or pair, threshold, ...),
//! flattened from the per-outcome results; the first column names the outcome.

use std::path::Path;

use serde_json::Value;

use super::results::OutcomeResults;
use crate::error::Result;
use crate::output::write_bytes;
use crate::table::format_number;

/// Writes DIR/{auc,roc_bands,paired,thresholds,calibration,dca,reclassification,agreement}.csv
/// from the per-outcome results.
pub fn write_tables(dir: &Path, outcomes: &[OutcomeResults]) -> Result<()> {
    // The rows as their JSON form (results.json's), whose keys name the columns.
    let outcomes =
        serde_json::to_value(outcomes).map_err(|e| crate::error::Error::Internal(e.to_string()))?;
    let outcomes = outcomes.as_array().cloned().unwrap_or_default();
    let cell = |v: &Value| match v {
        Value::Number(n) => n.as_f64().map(format_number).unwrap_or_default(),
        Value::String(s) => crate::table::csv_field(s),
        Value::Null => String::new(),
        other => crate::table::csv_field(&other.to_string()),
    };
    let table = |file: &str, key: &str, columns: &[&str]| -> Result<()> {
        // A nested cell's column is written name_part (the `__` only tells nesting apart).
        let header: Vec<String> = columns.iter().map(|c| c.replace("__", "_")).collect();
        let mut out = format!("outcome,{}\n", header.join(","));
        for (r, row) in outcomes.iter().flat_map(|r| {
            r[key]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |row| (r, row))
        }) {
            let cells: Vec<String> = columns
                .iter()
                .map(|c| {
                    // Nested {value, ci_low, ci_high} cells are flattened as name, name_ci_low, ...
                    let (base, part) = c
                        .rsplit_once("__")
                        .map_or((*c, None), |(b, s)| (b, Some(s)));
                    match part {
                        Some(s) => cell(&row[base][s]),
                        None if row[base].is_object() => cell(&row[base]["value"]),
                        None => cell(&row[base]),
                    }
                })
                .collect();
            out += &format!("{},{}\n", cell(&r["outcome"]), cells.join(","));
        }
        write_bytes(&dir.join(file), out.as_bytes())
    };
    table(
        "auc.csv",
        "auc",
        &["predictor", "auc", "variance", "ci_low", "ci_high"],
    )?;
    table(
        "roc_bands.csv",
        "roc_bands",
        &[
            "predictor",
            "specificity",
            "sensitivity_low",
            "sensitivity_high",
        ],
    )?;
    table(
        "paired.csv",
        "paired",
        &[
            "predictor_a",
            "predictor_b",
            "auc_a",
            "auc_b",
            "difference",
            "ci_low",
            "ci_high",
            "z",
            "p",
        ],
    )?;
    table(
        "thresholds.csv",
        "thresholds",
        &[
            "predictor",
            "threshold",
            "tp",
            "fp",
            "tn",
            "fn",
            "sensitivity",
            "sensitivity__ci_low",
            "sensitivity__ci_high",
            "specificity",
            "specificity__ci_low",
            "specificity__ci_high",
            "ppv",
            "ppv__ci_low",
            "ppv__ci_high",
            "npv",
            "npv__ci_low",
            "npv__ci_high",
        ],
    )?;
    table(
        "calibration.csv",
        "calibration",
        &[
            "predictor",
            "brier",
            "slope",
            "slope_se",
            "intercept",
            "intercept_se",
            "note",
        ],
    )?;
    table(
        "dca.csv",
        "decision_curve",
        &["strategy", "threshold", "net_benefit"],
    )?;
    table(
        "reclassification.csv",
        "reclassification",
        &[
            "model",
            "reference",
            "measure",
            "value",
            "ci_low",
            "ci_high",
        ],
    )?;
    table(
        "agreement.csv",
        "agreement",
        &[
            "model",
            "reference",
            "threshold",
            "kappa",
            "both_negative",
            "model_only",
            "reference_only",
            "both_positive",
            "note",
        ],
    )?;
    Ok(())
}
