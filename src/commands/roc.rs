//! `radaudit roc`: AUC with DeLong variance and 95% CI per score, and the paired DeLong test
//! between every pair of scores, from a table with a binary label column.
//!
//! A score written `name:lower` means lower values indicate the positive class (it is
//! negated). Rows with an empty label or score are left out (reported); a label with other
//! than two classes, or only one, is an error.

use std::path::PathBuf;

use super::Outcome;
use crate::error::{Error, Result};
use crate::output::write_bytes;
use crate::stats::roc::{ScoreSpec, auc, paired_test, parse_score};
use crate::table::{Table, format_number, is_missing, to_csv};

/// ROC analysis: AUC, DeLong variance and 95% CI per score, and paired DeLong tests
/// between scores, written to DIR/auc.csv and DIR/delong_paired.csv.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The CSV table.
    #[arg(long)]
    pub input: PathBuf,
    /// The label column (0/1 or false/true; 1 = positive).
    #[arg(long)]
    pub label: String,
    /// Score columns, comma-separated; `name:lower` when lower values mean positive.
    #[arg(
        long = "score",
        value_name = "SCORE",
        value_delimiter = ',',
        required = true
    )]
    pub scores: Vec<String>,
    /// The output folder (created if missing); `--out-dir` is the old spelling.
    #[arg(long = "out", visible_alias = "out-dir", value_name = "DIR")]
    pub out_dir: PathBuf,
}

/// Runs `radaudit roc`.
pub fn run(a: Args) -> Result<Outcome> {
    let summary = analyse(&a)?;
    eprint!("{}", summary.describe(&a.out_dir));
    Ok(Outcome::Done)
}

/// What the command did.
#[derive(Debug, Clone)]
pub(crate) struct RocSummary {
    pub subjects: usize,
    pub positives: usize,
    pub left_out: usize,
    pub aucs: Vec<(String, f64, f64, f64)>,
}

impl RocSummary {
    /// A few lines for the terminal.
    pub fn describe(&self, out_dir: &std::path::Path) -> String {
        let mut text = format!(
            "wrote {}/auc.csv and delong_paired.csv ({} subjects, {} positive",
            out_dir.display(),
            self.subjects,
            self.positives
        );
        if self.left_out > 0 {
            text += &format!(
                "; {} rows with an empty label or score left out",
                self.left_out
            );
        }
        text += ")\n";
        for (name, auc, lo, hi) in &self.aucs {
            text += &format!("{name}: AUC {auc:.4} (95% CI {lo:.4}-{hi:.4})\n");
        }
        text
    }
}

/// Maps the label cells to classes: 0/1, or false/true (any case).
fn label_class(cell: &str) -> Option<bool> {
    match cell.to_ascii_lowercase().as_str() {
        "1" | "1.0" | "true" => Some(true),
        "0" | "0.0" | "false" => Some(false),
        _ => None,
    }
}

/// Reads the table, computes the AUCs and paired tests, and writes both tables.
pub(crate) fn analyse(args: &Args) -> Result<RocSummary> {
    let table = Table::read(&args.input)?;
    let path = &table.path;
    let specs: Vec<ScoreSpec> = args
        .scores
        .iter()
        .map(|s| parse_score(s).map_err(Error::Usage))
        .collect::<Result<_>>()?;
    if specs.is_empty() {
        return Err(Error::Usage("give at least one score column".into()));
    }
    let labels_text = table.text(&args.label)?;
    let scores: Vec<Vec<Option<f64>>> = specs
        .iter()
        .map(|s| table.optional_numbers(&s.column))
        .collect::<Result<_>>()?;
    let mut labels = Vec::new();
    let mut kept: Vec<Vec<f64>> = vec![Vec::new(); specs.len()];
    let mut left_out = 0;
    for (k, cell) in labels_text.iter().enumerate() {
        if is_missing(cell) || scores.iter().any(|s| s[k].is_none()) {
            left_out += 1;
            continue;
        }
        let class = label_class(cell).ok_or_else(|| {
            Error::input(
                path,
                format!(
                    "row {}, column {}: the label {cell:?} is not 0/1 or false/true",
                    k + 2,
                    args.label
                ),
            )
        })?;
        labels.push(class);
        for (s, column) in kept.iter_mut().zip(&scores) {
            s.push(column[k].unwrap_or(0.0));
        }
    }
    let positives = labels.iter().filter(|l| **l).count();
    if positives == 0 || positives == labels.len() {
        return Err(Error::input(
            path,
            format!(
                "column {}: the label has one class only ({} of {} subjects positive); ROC needs both",
                args.label,
                positives,
                labels.len()
            ),
        ));
    }
    for (s, spec) in kept.iter_mut().zip(&specs) {
        if spec.lower_is_positive {
            s.iter_mut().for_each(|v| *v = -*v);
        }
    }
    let name = |s: &ScoreSpec| {
        if s.lower_is_positive {
            format!("{}:lower", s.column)
        } else {
            s.column.clone()
        }
    };
    let mut auc_rows = Vec::new();
    let mut aucs = Vec::new();
    for (s, spec) in kept.iter().zip(&specs) {
        let a = auc(s, &labels)
            .map_err(|e| Error::input(path, format!("score {}: {e}", spec.column)))?;
        auc_rows.push(vec![
            name(spec),
            format_number(a.auc),
            format_number(a.variance),
            format_number(a.ci_low),
            format_number(a.ci_high),
        ]);
        aucs.push((name(spec), a.auc, a.ci_low, a.ci_high));
    }
    let mut pair_rows = Vec::new();
    for i in 0..specs.len() {
        for j in i + 1..specs.len() {
            let t = paired_test(&kept[i], &kept[j], &labels).map_err(|e| Error::input(path, e))?;
            pair_rows.push(vec![
                name(&specs[i]),
                name(&specs[j]),
                format_number(t.z),
                format_number(t.p_two_sided),
            ]);
        }
    }
    std::fs::create_dir_all(&args.out_dir)
        .map_err(|e| Error::output(&args.out_dir, format!("cannot create the folder: {e}")))?;
    write_bytes(
        &args.out_dir.join("auc.csv"),
        to_csv(
            &["predictor", "auc", "variance", "ci_low", "ci_high"],
            &auc_rows,
        )
        .as_bytes(),
    )?;
    write_bytes(
        &args.out_dir.join("delong_paired.csv"),
        to_csv(&["predictor_a", "predictor_b", "z", "p"], &pair_rows).as_bytes(),
    )?;
    Ok(RocSummary {
        subjects: labels.len(),
        positives,
        left_out,
        aucs,
    })
}
