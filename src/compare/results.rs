//! The comparison's results, typed: one [`OutcomeResults`] per outcome (AUCs, ROC bands,
//! paired tests, thresholds, calibration, decision curves, reclassification, agreement, and
//! what the model chose), and the run's [`Results`] (results.json) and [`Manifest`]
//! (manifest.json). The CSV tables, the report and results.json are all drawn from these.

use serde::Serialize;

use super::spec::CompareProtocol;
use super::tscore::TScoreSpec;
use crate::output::{Input, ProtocolFile, Tool};

/// results.json.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub protocol: String,
    pub patients: usize,
    /// `declared split (test rows)` or `nested cross-validation (all rows)`.
    pub evaluation: String,
    pub evaluated_patients: usize,
    pub t_scores: Vec<TScoreSpec>,
    pub outcomes: Vec<OutcomeResults>,
}

/// Every statistic of one outcome.
#[derive(Debug, Clone, Serialize)]
pub struct OutcomeResults {
    pub outcome: String,
    pub patients: usize,
    pub events: usize,
    pub warnings: Vec<String>,
    /// What a fitted model chose (null for a given score or no model).
    pub model: Option<ModelInfo>,
    pub auc: Vec<AucRow>,
    pub roc_bands: Vec<BandRow>,
    pub paired: Vec<PairedRow>,
    pub thresholds: Vec<ThresholdRow>,
    pub calibration: Vec<CalibrationRow>,
    pub decision_curve: Vec<CurvePoint>,
    pub reclassification: Vec<ReclassificationRow>,
    pub agreement: Vec<AgreementRow>,
}

/// A fitted model: how it was judged and what it chose per fold.
#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    /// `nested cross-validation` or `declared split`.
    pub evaluation: String,
    pub candidate_features: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outer_folds: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_patients: Option<usize>,
    pub inner_folds: usize,
    pub chosen_c: Vec<f64>,
    pub thresholds: Vec<f64>,
    pub selected_per_fold: Vec<Vec<String>>,
    /// Per site (with `model.site`): the model's AUC there, out of fold and held out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<SiteAuc>,
    /// With leave-one-site-out: the AUC of every patient's held-out-site prediction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leave_one_site_out_auc: Option<f64>,
    /// With a site column: how many candidate features differ across sites, before and
    /// after the harmonization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_effect: Option<SiteEffect>,
}

/// The candidate features that differ across sites (Kruskal-Wallis over the sites, Benjamini-
/// Hochberg q < 0.05), on the evaluated patients.
#[derive(Debug, Clone, Serialize)]
pub struct SiteEffect {
    /// The site column.
    pub column: String,
    /// Candidate features the test could judge.
    pub features: usize,
    /// Of those, the ones differing as measured.
    pub differing_before: usize,
    /// Of those, the ones differing as the model's harmonization left them (each patient's
    /// values as harmonized in the fold that held it out); null without harmonization.
    pub differing_after: Option<usize>,
}

/// The fitted model on one site's patients.
#[derive(Debug, Clone, Serialize)]
pub struct SiteAuc {
    pub site: String,
    pub patients: usize,
    pub events: usize,
    /// AUC of the model's evaluated predictions of the site's patients (out of fold, or of
    /// the declared split's test rows); null when the site has one class only.
    pub auc: Option<f64>,
    /// AUC of the predictions of the model fitted on the other sites (leave-one-site-out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_out_auc: Option<f64>,
    /// The site's mean distance from all evaluated patients on the candidate features
    /// (mean |site mean - mean| / SD over features), as measured.
    pub shift_before: Option<f64>,
    /// The same on the features as harmonized (null without harmonization).
    pub shift_after: Option<f64>,
}

/// A predictor's AUC with its DeLong variance and 95% CI.
#[derive(Debug, Clone, Serialize)]
pub struct AucRow {
    pub predictor: String,
    pub auc: f64,
    pub variance: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// One point of a predictor's pointwise 95% sensitivity band.
#[derive(Debug, Clone, Serialize)]
pub struct BandRow {
    pub predictor: String,
    pub specificity: f64,
    pub sensitivity_low: f64,
    pub sensitivity_high: f64,
}

/// A paired DeLong test of two predictors.
#[derive(Debug, Clone, Serialize)]
pub struct PairedRow {
    pub predictor_a: String,
    pub predictor_b: String,
    pub auc_a: f64,
    pub auc_b: f64,
    pub difference: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub z: f64,
    pub p: f64,
}

/// A proportion with its Wilson 95% CI.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// Where a predictor was cut: a declared value, or the model's own choice.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Threshold {
    Value(f64),
    Described(String),
}

/// A predictor's confusion matrix and rates at one threshold (null where undefined).
#[derive(Debug, Clone, Serialize)]
pub struct ThresholdRow {
    pub predictor: String,
    pub threshold: Threshold,
    pub tp: usize,
    pub fp: usize,
    pub tn: usize,
    #[serde(rename = "fn")]
    pub fn_: usize,
    pub sensitivity: Option<Estimate>,
    pub specificity: Option<Estimate>,
    pub ppv: Option<Estimate>,
    pub npv: Option<Estimate>,
}

/// A probability's calibration, or why there is none.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationRow {
    pub predictor: String,
    #[serde(flatten)]
    pub fit: CalibrationFit,
}

/// The calibration fit's numbers, or a note.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum CalibrationFit {
    Fitted {
        brier: f64,
        slope: f64,
        slope_se: f64,
        intercept: f64,
        intercept_se: f64,
    },
    Note {
        note: String,
    },
}

/// One point of a decision curve.
#[derive(Debug, Clone, Serialize)]
pub struct CurvePoint {
    pub strategy: String,
    pub threshold: f64,
    pub net_benefit: f64,
}

/// One reclassification measure of the model against a reference.
#[derive(Debug, Clone, Serialize)]
pub struct ReclassificationRow {
    pub model: String,
    pub reference: String,
    pub measure: String,
    pub value: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// Agreement of the model's classification with a reference's, or why there is none.
#[derive(Debug, Clone, Serialize)]
pub struct AgreementRow {
    pub model: String,
    pub reference: String,
    pub threshold: f64,
    #[serde(flatten)]
    pub agreement: Agreement,
}

/// Cohen's kappa with the 2x2 table, or a note.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Agreement {
    Kappa {
        kappa: f64,
        both_negative: usize,
        model_only: usize,
        reference_only: usize,
        both_positive: usize,
    },
    Note {
        note: String,
    },
}

/// manifest.json of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub tool: Tool,
    pub protocol: ProtocolFile,
    pub inputs: Vec<Input>,
    pub seed: u64,
    pub settings: CompareProtocol,
    pub seconds: f64,
}
