//! The claims file (YAML): per study, its sample and the numbers it reports per data set.
//! Reported numbers keep the precision they were printed with: a value may be written as a
//! number (`0.764`) or, to keep trailing zeros or a percent sign or a bound, as text (`"0.80"`,
//! `"89%"`, `"<0.001"`). Counts are checked here (not by the YAML types) so that an error names
//! the study and the field.

use serde::{Deserialize, Serialize};

/// A reported number with the precision it was printed with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Written {
    Number(f64),
    Text(String),
}

/// A reported number read: its value (a percentage as a proportion), and the interval of true
/// values that print as it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reported {
    pub value: f64,
    pub low: f64,
    pub high: f64,
    /// Decimals as printed (of the percentage, for a percentage).
    pub decimals: u32,
    pub percent: bool,
}

impl Reported {
    /// Reads `written`; `proportion` turns "89%" into 0.89 (else a percent sign is refused).
    pub fn read(written: &Written, proportion: bool) -> Result<Reported, String> {
        let text = match written {
            Written::Number(v) => format!("{v}"),
            Written::Text(t) => t.trim().to_string(),
        };
        let (bound, rest) = if let Some(r) = text.strip_prefix('<') {
            (Some(false), r.trim_start_matches('=').trim())
        } else if let Some(r) = text.strip_prefix('>') {
            (Some(true), r.trim_start_matches('=').trim())
        } else {
            (None, text.as_str())
        };
        let (number, percent) = match rest.strip_suffix('%') {
            Some(n) => (n.trim(), true),
            None => (rest, false),
        };
        if percent && !proportion {
            return Err(format!(
                "{text:?}: a percent sign where a plain number is expected"
            ));
        }
        let value: f64 = number
            .parse()
            .map_err(|_| format!("{text:?} is not a number"))?;
        if !value.is_finite() {
            return Err(format!("{text:?} is not a finite number"));
        }
        let decimals = number.split_once('.').map_or(0, |(_, d)| {
            d.trim_end_matches(|c: char| !c.is_ascii_digit()).len()
        }) as u32;
        let scale = if percent { 0.01 } else { 1.0 };
        let half = 0.5 * 10f64.powi(-(decimals as i32)) * scale;
        let v = value * scale;
        let (low, high) = match bound {
            None => (v - half, v + half),
            Some(false) => (f64::NEG_INFINITY, v),
            Some(true) => (v, f64::INFINITY),
        };
        Ok(Reported {
            value: v,
            low,
            high,
            decimals,
            percent,
        })
    }

    /// Whether `x` prints as this number (rounded half up or down, with a little slack for
    /// binary fractions).
    pub fn admits(&self, x: f64) -> bool {
        x >= self.low - 1e-12 && x <= self.high + 1e-12
    }

    /// Whether `x` prints as this number when the printer truncates instead of rounding.
    pub fn admits_truncated(&self, x: f64) -> bool {
        let width = self.high - self.low;
        let start = self.value;
        width.is_finite() && x >= start - 1e-12 && x < start + width - 1e-12
    }
}

/// A proportion: a value ("89%", 0.89), a count ([66, 74]), or both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Proportion {
    Value(Written),
    Full {
        #[serde(default)]
        value: Option<Written>,
        #[serde(default)]
        count: Option<[i64; 2]>,
        #[serde(default)]
        ci: Option<[Written; 2]>,
        /// Where the publication gives it (section, table), shown in the report.
        #[serde(default)]
        source: Option<String>,
    },
}

impl Proportion {
    /// Where the publication gives it, if said.
    pub fn source(&self) -> Option<&str> {
        match self {
            Proportion::Full { source, .. } => source.as_deref(),
            Proportion::Value(_) => None,
        }
    }
}

/// A reported AUC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auc {
    pub value: Written,
    #[serde(default)]
    pub ci: Option<[Written; 2]>,
    /// The CI method if the study states it (delong, hanley-mcneil, bootstrap, ...).
    #[serde(default)]
    pub method: Option<String>,
    /// The p-value of the AUC against 0.5, if reported (`"<0.05"`).
    #[serde(default)]
    pub p: Option<Written>,
    /// Where the publication gives it (section, table), shown in the report.
    #[serde(default)]
    pub source: Option<String>,
    /// The same AUC as given elsewhere in the publication (another table, the abstract).
    #[serde(default)]
    pub also_reported: Vec<AlsoReported>,
}

/// A value reported a second time, elsewhere in the same publication.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlsoReported {
    pub value: Written,
    #[serde(default)]
    pub source: Option<String>,
}

/// A subgroup of a set's negatives (e.g. osteopenia and normal BMD among the patients
/// without osteoporosis), with the false positives it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NegativeGroup {
    pub name: String,
    pub total: i64,
    #[serde(default)]
    pub false_positives: Option<i64>,
    #[serde(default)]
    pub false_positive_rate: Option<Proportion>,
    #[serde(default)]
    pub source: Option<String>,
}

/// A reported ICC with its design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Icc {
    pub value: Written,
    #[serde(default)]
    pub ci: Option<[Written; 2]>,
    pub subjects: i64,
    pub raters: i64,
    /// icc1 (one-way), icc2 (two-way random, absolute agreement), icc3 (two-way mixed,
    /// consistency); single measures.
    #[serde(default = "icc2")]
    pub model: String,
}

fn icc2() -> String {
    "icc2".into()
}

/// A reported p-value with its test statistic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PValue {
    /// What was tested (for the report).
    #[serde(default)]
    pub label: Option<String>,
    pub p: Written,
    /// z, t, chi2 or f.
    pub test: String,
    pub statistic: Written,
    #[serde(default)]
    pub df: Option<f64>,
    #[serde(default)]
    pub df2: Option<f64>,
    /// Two-sided (default) for z and t; chi2 and F are upper-tail.
    #[serde(default)]
    pub one_sided: bool,
}

/// One data set of a study (training, validation, external, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSet {
    pub name: String,
    #[serde(default)]
    pub total: Option<i64>,
    #[serde(default)]
    pub positives: Option<i64>,
    #[serde(default)]
    pub negatives: Option<i64>,
    #[serde(default)]
    pub auc: Vec<Auc>,
    #[serde(default)]
    pub sensitivity: Option<Proportion>,
    #[serde(default)]
    pub specificity: Option<Proportion>,
    #[serde(default)]
    pub accuracy: Option<Proportion>,
    #[serde(default)]
    pub ppv: Option<Proportion>,
    #[serde(default)]
    pub npv: Option<Proportion>,
    /// False positives among the negatives (1 - specificity).
    #[serde(default)]
    pub false_positive_rate: Option<Proportion>,
    /// The number of false positives, when reported as a count.
    #[serde(default)]
    pub false_positives: Option<i64>,
    /// The negatives as subgroups (their totals add up to the negatives).
    #[serde(default)]
    pub negative_groups: Vec<NegativeGroup>,
    #[serde(default)]
    pub icc: Vec<Icc>,
    #[serde(default)]
    pub p_values: Vec<PValue>,
    /// Features the model was selected from, and kept (for events per feature).
    #[serde(default)]
    pub candidate_features: Option<i64>,
    #[serde(default)]
    pub selected_features: Option<i64>,
    /// A free-text note, shown in the report.
    #[serde(default)]
    pub note: Option<String>,
    /// Where the publication gives the set's numbers (section, table), shown in the report.
    #[serde(default)]
    pub source: Option<String>,
}

/// One study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Study {
    pub study: String,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub total: Option<i64>,
    #[serde(default)]
    pub positives: Option<i64>,
    #[serde(default)]
    pub negatives: Option<i64>,
    /// Names of the sets that split the study's sample between them (their totals, and their
    /// positives where given, must add up to the study's).
    #[serde(default)]
    pub partition: Vec<String>,
    /// What the partition adds up to, when not the study's total (e.g. the patients with the
    /// condition that were split into training and validation).
    #[serde(default)]
    pub partition_of: Option<i64>,
    #[serde(default)]
    pub sets: Vec<DataSet>,
}

/// A claims file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimsFile {
    #[serde(default)]
    pub name: String,
    pub studies: Vec<Study>,
}
