//! `radaudit icc`: the six ICC forms per feature from a long table (one rating per row).
//!
//! Subjects lacking a rating from any rater (absent row or empty/NA value) are dropped from
//! that feature, as pingouin does, and the count is reported. A feature whose ratings do not
//! vary gets rows with empty numbers and the class `undefined (no variation)`, so one constant
//! feature does not stop a run over hundreds; everything else wrong with the table is an error
//! naming the row and column.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::Outcome;
use crate::error::{Error, Result};
use crate::output::write_bytes;
use crate::stats::icc::{Icc, icc, koo_li_class};
use crate::table::{format_number, is_missing, open_csv, to_csv};

/// Intraclass correlation (pingouin's six forms, F test, 95% CI, Koo & Li class) per
/// feature, from a long table with one rating per row. Subjects missing a rating are
/// dropped from that feature and counted.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The long CSV table.
    #[arg(long)]
    pub input: PathBuf,
    /// The subject (target) column.
    #[arg(long)]
    pub subject: String,
    /// The rater (or repeat, or perturbation) column.
    #[arg(long)]
    pub rater: String,
    /// The value column.
    #[arg(long)]
    pub value: String,
    /// The feature column (without it the table is one feature).
    #[arg(long)]
    pub feature: Option<String>,
    /// Output CSV: feature,type,icc,f,df1,df2,p,ci_low,ci_high,class.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Gives each distinct string a dense index in order of first appearance.
#[derive(Debug, Default)]
struct Interner {
    index: std::collections::HashMap<String, usize>,
    names: Vec<String>,
}

impl Interner {
    fn id(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len();
        self.index.insert(name.to_string(), i);
        self.names.push(name.to_string());
        i
    }
}

/// One feature's ratings: `ratings[subject][rater]`, `None` where missing.
struct FeatureRatings {
    name: String,
    subjects: Interner,
    raters: Interner,
    ratings: Vec<Vec<Option<f64>>>,
    /// The file row of each rating, to name duplicates.
    rows: Vec<Vec<usize>>,
}

/// How one feature came out.
#[derive(Debug, Clone)]
pub(crate) struct FeatureIcc {
    pub feature: String,
    pub subjects_used: usize,
    pub dropped: Vec<String>,
    /// The six ICCs, or why there are none.
    pub result: std::result::Result<[Icc; 6], String>,
}

/// What the command did, for the summary it prints.
#[derive(Debug, Clone)]
pub(crate) struct IccSummary {
    pub features: Vec<FeatureIcc>,
}

impl IccSummary {
    /// A few lines for the terminal: what was written, what was dropped or undefined.
    pub fn describe(&self, out: &Path) -> String {
        let mut text = format!(
            "wrote {} ({} features x 6 ICC forms)\n",
            out.display(),
            self.features.len()
        );
        for f in &self.features {
            if !f.dropped.is_empty() {
                let shown: Vec<&str> = f.dropped.iter().take(5).map(String::as_str).collect();
                let more = if f.dropped.len() > 5 { ", ..." } else { "" };
                text += &format!(
                    "feature {}: dropped {} subject(s) with missing ratings ({}{more}); {} used\n",
                    f.feature,
                    f.dropped.len(),
                    shown.join(", "),
                    f.subjects_used
                );
            }
            if let Err(why) = &f.result {
                text += &format!("feature {}: ICC undefined: {why}\n", f.feature);
            }
        }
        text
    }
}

fn column(headers: &csv::StringRecord, name: &str, path: &Path) -> Result<usize> {
    headers.iter().position(|h| h == name).ok_or_else(|| {
        let all: Vec<String> = headers.iter().map(str::to_string).collect();
        Error::input(
            path,
            format!(
                "no column {name:?}; {}",
                crate::table::columns_hint(&all, name)
            ),
        )
    })
}

/// Reads the long table into per-feature rating grids (streaming: 6 million rows are fine).
fn read_long(args: &Args) -> Result<Vec<FeatureRatings>> {
    let path = &args.input;
    let (mut reader, headers) = open_csv(path, false)?;
    let cs = column(&headers, &args.subject, path)?;
    let cr = column(&headers, &args.rater, path)?;
    let cv = column(&headers, &args.value, path)?;
    let cf = args
        .feature
        .as_deref()
        .map(|f| column(&headers, f, path))
        .transpose()?;
    let mut features = Interner::default();
    let mut grids: Vec<FeatureRatings> = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    loop {
        line += 1;
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(Error::input(path, format!("row {line}: {e}"))),
        }
        let name = cf.map_or(args.value.as_str(), |c| &record[c]);
        let f = features.id(name);
        if f == grids.len() {
            grids.push(FeatureRatings {
                name: name.to_string(),
                subjects: Interner::default(),
                raters: Interner::default(),
                ratings: Vec::new(),
                rows: Vec::new(),
            });
        }
        let g = &mut grids[f];
        let (subject, rater) = (&record[cs], &record[cr]);
        for (cell, col) in [(subject, &args.subject), (rater, &args.rater)] {
            if cell.is_empty() {
                return Err(Error::input(
                    path,
                    format!("row {line}, column {col}: the cell is empty"),
                ));
            }
        }
        let s = g.subjects.id(subject);
        let r = g.raters.id(rater);
        if s == g.ratings.len() {
            g.ratings.push(Vec::new());
            g.rows.push(Vec::new());
        }
        if g.ratings[s].len() <= r {
            g.ratings[s].resize(r + 1, None);
            g.rows[s].resize(r + 1, 0);
        }
        if g.rows[s][r] != 0 {
            return Err(Error::input(
                path,
                format!(
                    "rows {} and {line} both rate subject {subject:?} by rater {rater:?} for feature {name:?}",
                    g.rows[s][r]
                ),
            ));
        }
        let cell = &record[cv];
        let value = if is_missing(cell) {
            None
        } else {
            match cell.parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    return Err(Error::input(
                        path,
                        format!(
                            "row {line}, column {}: {cell:?} is not a number",
                            args.value
                        ),
                    ));
                }
            }
        };
        g.ratings[s][r] = value;
        g.rows[s][r] = line;
    }
    if grids.is_empty() {
        return Err(Error::input(path, "no data rows (only a header)"));
    }
    Ok(grids)
}

fn analyse(g: &FeatureRatings) -> FeatureIcc {
    let k = g.raters.names.len();
    let mut complete = Vec::new();
    let mut dropped = Vec::new();
    for (s, row) in g.ratings.iter().enumerate() {
        if row.len() == k && row.iter().all(Option::is_some) {
            complete.push(row.iter().map(|v| v.unwrap_or(0.0)).collect::<Vec<f64>>());
        } else {
            dropped.push(g.subjects.names[s].clone());
        }
    }
    let result = if complete.len() < 2 || k < 2 {
        Err(format!(
            "needs at least 2 subjects rated by all of at least 2 raters; has {} complete subjects and {k} raters",
            complete.len()
        ))
    } else {
        icc(&complete)
    };
    FeatureIcc {
        feature: g.name.clone(),
        subjects_used: complete.len(),
        dropped,
        result,
    }
}

/// Runs the command: reads, computes in parallel (results in input order), writes ICC.csv.
pub(crate) fn compute(args: &Args) -> Result<IccSummary> {
    let grids = read_long(args)?;
    let features: Vec<FeatureIcc> = grids.par_iter().map(analyse).collect();
    let mut rows = Vec::new();
    for f in &features {
        match &f.result {
            Ok(all) => {
                for r in all {
                    rows.push(vec![
                        f.feature.clone(),
                        r.kind.name().to_string(),
                        format_number(r.icc),
                        format_number(r.f),
                        format_number(r.df1),
                        format_number(r.df2),
                        format_number(r.p),
                        format_number(r.ci_low),
                        format_number(r.ci_high),
                        koo_li_class(r.ci_low, r.ci_high),
                    ]);
                }
            }
            Err(why) => {
                for kind in crate::stats::icc::IccType::ALL {
                    let mut row = vec![f.feature.clone(), kind.name().to_string()];
                    row.extend(std::iter::repeat_n(String::new(), 7));
                    row.push(format!("undefined: {why}"));
                    rows.push(row);
                }
            }
        }
    }
    let headers = [
        "feature", "type", "icc", "f", "df1", "df2", "p", "ci_low", "ci_high", "class",
    ];
    write_bytes(&args.out, to_csv(&headers, &rows).as_bytes())?;
    Ok(IccSummary { features })
}

/// Runs `radaudit icc`.
pub fn run(a: Args) -> Result<Outcome> {
    let summary = compute(&a)?;
    eprint!("{}", summary.describe(&a.out));
    Ok(Outcome::Done)
}
