//! Statistics for reproducibility and model comparison: reliability (`icc`), agreement
//! (`agreement`: Lin's CCC, CV, within-subject SD), ComBat harmonization (`combat`),
//! batch-effect tests (`batch_tests`, and the k-sample Anderson-Darling test in
//! `anderson_darling`), ROC with DeLong (`roc`), calibration
//! (`calibration`) and decision curves (`dca`). Each matches a trusted peer (pingouin,
//! neuroCombat, pROC, dcurves, scipy) where that peer is right; departures are documented in
//! the module.

pub mod agreement;
pub mod anderson_darling;
pub mod batch_tests;
pub mod calibration;
pub mod combat;
pub mod cv;
pub mod dca;
pub mod icc;
pub mod logistic;
pub(crate) mod proportion;
pub(crate) mod reclassification;
pub mod roc;
pub mod roc_band;

/// Mean and sample variance (ddof = 1), two-pass as numpy computes them.
pub fn mean_var(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

/// The p-quantile (0..=1) of sorted, non-empty values, by linear interpolation between order
/// statistics (numpy's default percentile, R's type 7).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let h = p * (sorted.len() - 1) as f64;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}
