//! The comparison protocol (YAML, unknown keys refused with their path): the cohort table,
//! its id and outcome columns, the radiomic model (a score column, or features to fit a
//! LASSO-logistic model on by nested cross-validation), the clinical references (DXA T-score,
//! FRAX, L1 attenuation, ...) with their declared thresholds, and the reclassification cut
//! points.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Which way a predictor points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Higher values mean the outcome (FRAX, a model's probability).
    #[default]
    Higher,
    /// Lower values mean the outcome (T-score, L1 attenuation).
    Lower,
}

/// What a predictor's values are, which fixes their valid range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Any number.
    #[default]
    Score,
    /// A DXA T-score: -10 to 10.
    Tscore,
    /// A probability in percent (FRAX): 0 to 100.
    Percent,
    /// A probability: 0 to 1.
    Probability,
    /// CT attenuation in HU: -1024 to 3071.
    Hu,
}

impl Scale {
    /// The valid range.
    pub fn range(self) -> (f64, f64) {
        match self {
            Scale::Score => (f64::NEG_INFINITY, f64::INFINITY),
            Scale::Tscore => (-10.0, 10.0),
            Scale::Percent => (0.0, 100.0),
            Scale::Probability => (0.0, 1.0),
            Scale::Hu => (-1024.0, 3071.0),
        }
    }

    /// The factor that turns a value into a probability, for the scales that are one.
    pub fn to_probability(self) -> Option<f64> {
        match self {
            Scale::Percent => Some(0.01),
            Scale::Probability => Some(1.0),
            _ => None,
        }
    }
}

/// One reference predictor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub name: String,
    pub column: String,
    #[serde(default)]
    pub direction: Direction,
    #[serde(default)]
    pub scale: Scale,
    /// Declared thresholds (a subject is positive at value >= t, or <= t for `lower`).
    #[serde(default)]
    pub thresholds: Vec<f64>,
}

/// The radiomic model: a score column, or features to fit on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    #[serde(default = "model_name")]
    pub name: String,
    /// A column holding the model's score (given, not fitted).
    #[serde(default)]
    pub score: Option<String>,
    #[serde(default)]
    pub direction: Direction,
    #[serde(default)]
    pub scale: Scale,
    /// Thresholds for a given score.
    #[serde(default)]
    pub thresholds: Vec<f64>,
    /// Feature columns to fit a LASSO-logistic model on.
    #[serde(default)]
    pub features: Vec<String>,
    /// Or every column whose name starts with this.
    #[serde(default)]
    pub feature_prefix: Option<String>,
    /// An audit's stability.csv: keep only the features robust on every axis.
    #[serde(default)]
    pub stability: Option<PathBuf>,
    #[serde(default = "five")]
    pub folds: usize,
    #[serde(default = "five")]
    pub inner_folds: usize,
}

fn model_name() -> String {
    "radiomics".into()
}

fn five() -> usize {
    5
}

/// Reclassification (NRI, IDI) settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reclassification {
    /// Risk cut points (probabilities) for the categorical NRI.
    #[serde(default)]
    pub cut_points: Vec<f64>,
    #[serde(default = "thousand")]
    pub bootstrap: usize,
}

fn thousand() -> usize {
    1000
}

impl Default for Reclassification {
    fn default() -> Self {
        Reclassification {
            cut_points: Vec::new(),
            bootstrap: 1000,
        }
    }
}

/// A whole comparison protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareProtocol {
    #[serde(default)]
    pub name: String,
    #[serde(default = "one")]
    pub seed: u64,
    /// The cohort CSV, one row per patient ...
    #[serde(default)]
    pub cohort: Option<PathBuf>,
    /// ... or the built-in synthetic cohort, built into the output folder.
    #[serde(default)]
    pub synthetic: Option<Synthetic>,
    pub id: String,
    /// The 0/1 outcome column.
    pub outcome: String,
    #[serde(default)]
    pub model: Option<Model>,
    #[serde(default)]
    pub references: Vec<Reference>,
    #[serde(default)]
    pub reclassification: Reclassification,
    /// Events per candidate feature below which the report warns of overfitting.
    #[serde(default = "ten")]
    pub min_events_per_variable: f64,
}

/// The synthetic cohort (`phantom::cohort`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Synthetic {
    pub patients: usize,
}

fn one() -> u64 {
    1
}

fn ten() -> f64 {
    10.0
}
