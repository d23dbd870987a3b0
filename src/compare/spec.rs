//! The comparison protocol (YAML, unknown keys refused with their path): the cohort table,
//! its id and outcome columns, the radiomic model (a score column, or features to fit a
//! LASSO-logistic model on by nested cross-validation), the clinical references (DXA T-score,
//! FRAX, L1 attenuation, ...) with their declared thresholds, T-scores to derive from areal
//! BMD, an optional declared train/test split, and the reclassification cut points.

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
    /// ComBat of the candidate features, fitted inside each training fold.
    #[serde(default)]
    pub harmonization: Option<ModelHarmonization>,
    /// The cohort's site column: the model's AUC per site (and the site held out in turn
    /// with `validation: leave_one_site_out`). Default: the harmonization's batch column.
    #[serde(default)]
    pub site: Option<String>,
    /// A validation beside nested cross-validation.
    #[serde(default)]
    pub validation: Option<Validation>,
}

/// A validation of a fitted model beside nested cross-validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Validation {
    /// Each site held out in turn: the model fitted (penalty chosen by inner cross-validation)
    /// on the other sites predicts it.
    LeaveOneSiteOut,
}

/// ComBat of a fitted model's features by a batch column (site, scanner), fitted on each
/// training fold's patients and applied to its held-out ones (never on the whole cohort).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelHarmonization {
    /// The batch column of the cohort, or several for `method: nested`.
    pub batch: Outcomes,
    /// Covariates to preserve (continuous unless also listed in `categorical`).
    #[serde(default)]
    pub covariates: Vec<String>,
    /// Categorical covariates.
    #[serde(default)]
    pub categorical: Vec<String>,
    /// `method: gam`: the continuous covariate with a smooth effect (e.g. age).
    #[serde(default)]
    pub smooth: Option<String>,
    /// `method: nested`: the order of the batch columns (default: OPNested's, per fold).
    #[serde(default)]
    pub order: Option<Vec<String>>,
    /// `combat` (neuroCombat's parametric empirical Bayes), `nested` (one ComBat per batch
    /// column, Horng et al. 2022) or `gam` (ComBat with a smooth covariate, neuroHarmonize's).
    #[serde(default)]
    pub method: HarmonizationMethod,
}

impl ModelHarmonization {
    /// The batch columns.
    pub fn batch_columns(&self) -> Vec<String> {
        self.batch.names()
    }

    /// Checks the method's fields go together; the error names the field.
    pub fn check(&self) -> Result<(), String> {
        let columns = self.batch_columns();
        if columns.is_empty() {
            return Err("model.harmonization.batch names no column".into());
        }
        let many = columns.len() > 1;
        match self.method {
            HarmonizationMethod::Nested if !many => {
                return Err(format!(
                    "model.harmonization.method: nested needs several batch columns; batch names one ({})",
                    columns[0]
                ));
            }
            HarmonizationMethod::Combat | HarmonizationMethod::Gam if many => {
                return Err(format!(
                    "model.harmonization.batch: {} columns ({}) need method: nested",
                    columns.len(),
                    columns.join(", ")
                ));
            }
            _ => {}
        }
        match (self.method, &self.smooth) {
            (HarmonizationMethod::Gam, None) => {
                return Err("model.harmonization.method: gam needs smooth, the covariate with a smooth effect (e.g. age)".into());
            }
            (HarmonizationMethod::Combat | HarmonizationMethod::Nested, Some(s)) => {
                return Err(format!(
                    "model.harmonization.smooth: {s} is fitted as a smooth curve by method: gam only"
                ));
            }
            (_, Some(s)) if self.categorical.contains(s) => {
                return Err(format!(
                    "model.harmonization.smooth: {s} is categorical; a smooth effect needs a numeric covariate"
                ));
            }
            _ => {}
        }
        if self.order.is_some() && self.method != HarmonizationMethod::Nested {
            return Err(
                "model.harmonization.order orders the batch columns of method: nested".into(),
            );
        }
        Ok(())
    }

    /// How the model's features were harmonized, for results.json and the report.
    pub fn describe(&self) -> String {
        let columns = self.batch_columns().join(", ");
        match self.method {
            HarmonizationMethod::Combat => {
                format!("features harmonized by ComBat over {columns} inside each training fold")
            }
            HarmonizationMethod::Nested => format!(
                "features harmonized by nested ComBat over {columns} ({}) inside each training fold",
                match &self.order {
                    Some(o) => format!("in the order {}", o.join(" then ")),
                    None => "each fold in its OPNested order".into(),
                }
            ),
            HarmonizationMethod::Gam => format!(
                "features harmonized by ComBat-GAM over {columns} with a smooth {} effect inside each training fold",
                self.smooth.as_deref().unwrap_or("?")
            ),
        }
    }
}

/// How the model's features are harmonized.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HarmonizationMethod {
    /// ComBat with parametric empirical Bayes.
    #[default]
    Combat,
    /// Nested ComBat over several batch columns.
    Nested,
    /// ComBat with a smooth covariate (ComBat-GAM).
    Gam,
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
    /// The 0/1 outcome column, or several (each analysed on its own).
    pub outcome: Outcomes,
    /// A declared train/test split (else the model is judged by nested cross-validation).
    #[serde(default)]
    pub split: Option<Split>,
    /// T-score columns to derive from areal BMD, sex and site before anything else.
    #[serde(default)]
    pub t_scores: Vec<super::tscore::TScoreSpec>,
    #[serde(default)]
    pub model: Option<Model>,
    #[serde(default)]
    pub references: Vec<Reference>,
    #[serde(default)]
    pub reclassification: Reclassification,
    /// Events per candidate feature below which the report warns of overfitting.
    #[serde(default = "ten")]
    pub min_events_per_variable: f64,
    /// Stratified bootstrap replicates for the ROC curves' pointwise sensitivity bands (0: none).
    #[serde(default = "five_hundred")]
    pub roc_bootstrap: usize,
}

/// One column or several (outcomes; a harmonization's batch columns).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Outcomes {
    One(String),
    Many(Vec<String>),
}

impl Outcomes {
    /// The outcome columns in the declared order.
    pub fn names(&self) -> Vec<String> {
        match self {
            Outcomes::One(name) => vec![name.clone()],
            Outcomes::Many(names) => names.clone(),
        }
    }
}

/// A declared train/test split: the model is fitted on the `train` rows (penalty by inner
/// cross-validation there) and every predictor is judged on the `test` rows only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Split {
    /// The column that names each patient's set.
    pub column: String,
    #[serde(default = "train_label")]
    pub train: String,
    #[serde(default = "test_label")]
    pub test: String,
}

fn train_label() -> String {
    "train".into()
}

fn test_label() -> String {
    "test".into()
}

fn five_hundred() -> usize {
    500
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

/// The common case from command-line flags: a cohort, its id and outcome columns, a model
/// score or features, and the usual references with their declared thresholds (T <= -2.5,
/// FRAX MOF >= 20%, FRAX hip >= 3%, L1 <= 110 and <= 160 HU per Pickhardt et al. 2013).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Flags {
    pub cohort: Option<PathBuf>,
    pub id: String,
    pub outcomes: Vec<String>,
    pub score: Option<String>,
    pub feature_prefix: Option<String>,
    pub t_score: Option<String>,
    pub frax_mof: Option<String>,
    pub frax_hip: Option<String>,
    pub l1_hu: Option<String>,
    pub seed: u64,
}

impl CompareProtocol {
    /// Checks every number against its stated range; the error names the field.
    pub fn check_ranges(&self) -> Result<(), String> {
        // Resamples beyond 1e5 change no printed digit and would run for hours.
        const MAX_RESAMPLES: usize = 100_000;
        if self.roc_bootstrap > MAX_RESAMPLES {
            return Err(format!(
                "roc_bootstrap: 0 to {MAX_RESAMPLES} resamples, got {}",
                self.roc_bootstrap
            ));
        }
        let r = &self.reclassification;
        if r.bootstrap > MAX_RESAMPLES {
            return Err(format!(
                "reclassification.bootstrap: 0 to {MAX_RESAMPLES} resamples, got {}",
                r.bootstrap
            ));
        }
        if let Some(bad) = r.cut_points.iter().find(|c| !(**c > 0.0 && **c < 1.0)) {
            return Err(format!(
                "reclassification.cut_points: risks strictly between 0 and 1, got {bad}"
            ));
        }
        if r.cut_points.windows(2).any(|w| w[0] >= w[1]) {
            return Err("reclassification.cut_points: must increase".into());
        }
        if let Some(m) = &self.model {
            for (name, folds) in [
                ("model.folds", m.folds),
                ("model.inner_folds", m.inner_folds),
            ] {
                if !(2..=100).contains(&folds) {
                    return Err(format!("{name}: 2 to 100 folds, got {folds}"));
                }
            }
            if let Some(t) = m.thresholds.iter().find(|t| !t.is_finite()) {
                return Err(format!("model.thresholds: finite numbers, got {t}"));
            }
            if let Some(h) = &m.harmonization {
                h.check()?;
            }
        }
        for (k, reference) in self.references.iter().enumerate() {
            if let Some(t) = reference.thresholds.iter().find(|t| !t.is_finite()) {
                return Err(format!(
                    "references[{k}].thresholds ({}): finite numbers, got {t}",
                    reference.name
                ));
            }
        }
        if !(self.min_events_per_variable.is_finite() && self.min_events_per_variable >= 0.0) {
            return Err(format!(
                "min_events_per_variable: a number >= 0, got {}",
                self.min_events_per_variable
            ));
        }
        Ok(())
    }

    /// The protocol the flags describe.
    pub fn from_flags(f: &Flags) -> crate::error::Result<CompareProtocol> {
        let usage = |m: &str| crate::error::Error::Usage(m.to_string());
        let cohort = f
            .cohort
            .clone()
            .ok_or_else(|| usage("give a protocol file, or --cohort with --outcome"))?;
        let outcome = match f.outcomes.as_slice() {
            [] => return Err(usage("--cohort needs --outcome COLUMN (repeatable)")),
            [one] => Outcomes::One(one.clone()),
            many => Outcomes::Many(many.to_vec()),
        };
        // `COL` (higher means the outcome) or `COL:lower`, as `radaudit roc` reads scores.
        let score = match f.score.as_deref().map(crate::stats::roc::parse_score) {
            None => None,
            Some(parsed) => Some(parsed.map_err(|e| usage(&format!("--{e}")))?),
        };
        let direction = match &score {
            Some(s) if s.lower_is_positive => Direction::Lower,
            _ => Direction::Higher,
        };
        let score = score.map(|s| s.column);
        let model = match (&score, &f.feature_prefix) {
            (Some(_), Some(_)) => return Err(usage("give --score or --feature-prefix, not both")),
            (None, None) => None,
            (score, prefix) => Some(Model {
                name: model_name(),
                score: score.clone(),
                direction,
                scale: Scale::Score,
                thresholds: Vec::new(),
                features: Vec::new(),
                feature_prefix: prefix.clone(),
                stability: None,
                folds: five(),
                inner_folds: five(),
                harmonization: None,
                site: None,
                validation: None,
            }),
        };
        let reference =
            |name: &str, column: &Option<String>, direction, scale, thresholds: &[f64]| {
                column.as_ref().map(|c| Reference {
                    name: name.into(),
                    column: c.clone(),
                    direction,
                    scale,
                    thresholds: thresholds.to_vec(),
                })
            };
        let references = [
            reference(
                "DXA T-score",
                &f.t_score,
                Direction::Lower,
                Scale::Tscore,
                &[-2.5],
            ),
            reference(
                "FRAX MOF",
                &f.frax_mof,
                Direction::Higher,
                Scale::Percent,
                &[20.0],
            ),
            reference(
                "FRAX hip",
                &f.frax_hip,
                Direction::Higher,
                Scale::Percent,
                &[3.0],
            ),
            reference(
                "L1 HU",
                &f.l1_hu,
                Direction::Lower,
                Scale::Hu,
                &[110.0, 160.0],
            ),
        ]
        .into_iter()
        .flatten()
        .collect();
        Ok(CompareProtocol {
            name: format!("{} (from flags)", cohort.display()),
            seed: f.seed,
            cohort: Some(cohort),
            synthetic: None,
            id: f.id.clone(),
            outcome,
            split: None,
            t_scores: Vec::new(),
            model,
            references,
            reclassification: Reclassification {
                cut_points: vec![0.2],
                bootstrap: thousand(),
            },
            min_events_per_variable: ten(),
            roc_bootstrap: five_hundred(),
        })
    }
}
