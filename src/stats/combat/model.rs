//! A fitted ComBat model: what is needed to harmonize further subjects of the batches it was
//! fitted on (saved as JSON), and the per-value adjustment both the fit and `apply` use.

use serde::{Deserialize, Serialize};

use super::design::{Covariate, CovariateEncoding, covariate_columns, level_index};
use super::standardize::Layout;
use super::{CombatOptions, FeatureHandling};

/// The `format` field of a saved model.
pub const MODEL_FORMAT: &str = "radaudit-combat-model";
/// The version of the saved model's layout.
pub const MODEL_VERSION: u32 = 1;

/// A fitted ComBat model. Batches are in sorted order; `gamma_star[b][f]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CombatModel {
    /// The file format's name (`radaudit-combat-model`).
    pub format: String,
    /// The format's version.
    pub version: u32,
    /// The options it was fitted with.
    pub options: CombatOptions,
    /// Feature names, in input order.
    pub features: Vec<String>,
    /// Batch names, sorted.
    pub batches: Vec<String>,
    /// Subjects per batch at the fit.
    pub batch_sizes: Vec<usize>,
    /// How each covariate was encoded.
    pub covariates: Vec<CovariateEncoding>,
    /// The design's column names.
    pub design_columns: Vec<String>,
    /// Per feature, the coefficients of the covariate columns of the design.
    pub covariate_betas: Vec<Vec<f64>>,
    /// Per feature, the pooled mean of the reference (or the batch-weighted grand mean).
    pub stand_mean: Vec<f64>,
    /// Per feature, the pooled residual variance.
    pub var_pooled: Vec<f64>,
    /// `gamma_star[b][f]`: the additive batch effect after empirical Bayes.
    pub gamma_star: Vec<Vec<f64>>,
    /// `delta_star[b][f]`: the multiplicative batch effect after empirical Bayes.
    pub delta_star: Vec<Vec<f64>>,
    /// How each feature was handled.
    pub handling: Vec<FeatureHandling>,
    /// Per feature, the smooth term's penalty weight (empty without a smooth covariate).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub smooth_alpha: Vec<f64>,
}

/// ComBat's adjustment of one value: (s - γ*) / √δ* · sd + mean with s = (y - mean) / sd,
/// mean = stand_mean + mod_mean, written with the reciprocal 1/sd and the scale sd/√δ* so the
/// per-batch constants can be hoisted out of loops.
#[inline]
fn harmonize_value(
    y: f64,
    stand_mean: f64,
    mod_mean: f64,
    inv_sd: f64,
    gamma: f64,
    scale: f64,
) -> f64 {
    ((y - stand_mean - mod_mean) * inv_sd - gamma) * scale + (stand_mean + mod_mean)
}

/// New subjects to harmonize with a saved model; `values[f]` follows the model's feature order.
#[derive(Debug, Clone, Copy)]
pub struct NewSubjects<'a> {
    /// `values[f][i]`: feature f of subject i.
    pub values: &'a [Vec<f64>],
    /// Subject identifiers, for messages.
    pub subjects: &'a [String],
    /// Each subject's batch (one the model knows).
    pub batch: &'a [String],
    /// Each subject's covariates, as at the fit.
    pub covariates: &'a [Covariate],
}

impl CombatModel {
    /// The reference batch's index, if the model has one.
    fn reference(&self) -> Option<usize> {
        self.options
            .ref_batch
            .as_ref()
            .and_then(|r| level_index(&self.batches, r))
    }

    /// Harmonizes one value: feature `f` of a subject in batch `b` whose covariate part of the
    /// mean is `mod_mean`.
    pub fn adjust(&self, f: usize, b: usize, y: f64, mod_mean: f64) -> f64 {
        if self.reference() == Some(b) {
            return y;
        }
        let mean = self.stand_mean[f] + mod_mean;
        match self.handling[f] {
            FeatureHandling::Constant => y,
            FeatureHandling::NoResidual => mean,
            FeatureHandling::Harmonized => {
                let sd = self.var_pooled[f].sqrt();
                let (gamma, delta) = (self.gamma_star[b][f], self.delta_star[b][f]);
                if delta == 1.0 {
                    // Location only: shift exactly, so equal inputs stay equal.
                    return y - gamma * sd;
                }
                let (inv_sd, scale) = (1.0 / sd, sd / delta.sqrt());
                harmonize_value(y, self.stand_mean[f], mod_mean, inv_sd, gamma, scale)
            }
        }
    }

    /// Harmonizes feature `f` of the fitted subjects into `out` (input order), in one pass
    /// per batch with the per-batch constants taken out of the loop; the same arithmetic as
    /// `adjust`.
    pub fn adjust_into(&self, f: usize, layout: &Layout, y: &[f64], out: &mut [f64]) {
        let beta = &self.covariate_betas[f];
        let columns = &layout.covariate_columns;
        let mod_mean = |k: usize| -> f64 { columns.iter().zip(beta).map(|(c, b)| c[k] * b).sum() };
        let reference = self.reference();
        for (b, range) in layout.ranges.iter().enumerate() {
            let (gamma, delta) = (self.gamma_star[b][f], self.delta_star[b][f]);
            if reference == Some(b)
                || self.handling[f] != FeatureHandling::Harmonized
                || delta == 1.0
            {
                for k in range.clone() {
                    let i = layout.order[k];
                    out[i] = self.adjust(f, b, y[i], mod_mean(k));
                }
                continue;
            }
            // (s - γ) / √δ · sd + mean with s = (y - mean) / sd, as products of reciprocals;
            // the batch's covariate effects first, in a vectorisable pass.
            let (sd, sm) = (self.var_pooled[f].sqrt(), self.stand_mean[f]);
            let (inv_sd, scale) = (1.0 / sd, sd / delta.sqrt());
            let mut m = vec![0.0; range.len()];
            for (c, b) in columns.iter().zip(beta) {
                for (m, x) in m.iter_mut().zip(&c[range.clone()]) {
                    *m += x * b;
                }
            }
            for (k, m) in range.clone().zip(m) {
                let i = layout.order[k];
                out[i] = harmonize_value(y[i], sm, m, inv_sd, gamma, scale);
            }
        }
    }

    /// Checks the model's parts agree in size (a hand-edited or truncated file).
    pub fn check(&self) -> Result<(), String> {
        if self.format != MODEL_FORMAT {
            return Err(format!(
                "format is {:?}, expected {MODEL_FORMAT:?}",
                self.format
            ));
        }
        if self.version != MODEL_VERSION {
            return Err(format!(
                "version {} is not supported (this radaudit reads {MODEL_VERSION})",
                self.version
            ));
        }
        let (nf, nb) = (self.features.len(), self.batches.len());
        let width: usize = self.covariates.iter().map(CovariateEncoding::width).sum();
        let ok = self.batch_sizes.len() == nb
            && self.covariate_betas.len() == nf
            && self.covariate_betas.iter().all(|b| b.len() == width)
            && self.stand_mean.len() == nf
            && self.var_pooled.len() == nf
            && self.handling.len() == nf
            && (self.smooth_alpha.is_empty() || self.smooth_alpha.len() == nf)
            && self.gamma_star.len() == nb
            && self.delta_star.len() == nb
            && self
                .gamma_star
                .iter()
                .chain(&self.delta_star)
                .all(|r| r.len() == nf);
        if !ok {
            return Err("its parts disagree in size (features, batches or covariates)".into());
        }
        let numbers = self
            .covariate_betas
            .iter()
            .flatten()
            .chain(&self.stand_mean)
            .chain(&self.var_pooled)
            .chain(self.gamma_star.iter().flatten())
            .chain(self.delta_star.iter().flatten());
        if numbers.into_iter().any(|v| !v.is_finite()) {
            return Err("it holds a value that is not a finite number".into());
        }
        Ok(())
    }

    /// The covariate part x β of every feature for these subjects (`[f][i]`), so batch-effect
    /// tests can look at values with preserved biology taken out.
    pub fn covariate_effects(
        &self,
        covariates: &[Covariate],
        n: usize,
    ) -> Result<Vec<Vec<f64>>, String> {
        let (rows, _) = covariate_columns(&self.covariates, covariates, n)?;
        Ok(self
            .covariate_betas
            .iter()
            .map(|beta| {
                rows.iter()
                    .map(|r| r.iter().zip(beta).map(|(a, b)| a * b).sum())
                    .collect()
            })
            .collect())
    }

    /// Harmonizes new subjects of known batches. An unseen batch or categorical level is an
    /// error naming it.
    pub fn apply(&self, new: &NewSubjects) -> Result<Vec<Vec<f64>>, String> {
        let n = new.batch.len();
        if new.values.len() != self.features.len() {
            return Err(format!(
                "{} features given, the model has {}",
                new.values.len(),
                self.features.len()
            ));
        }
        let batch_index: Vec<usize> = new
            .batch
            .iter()
            .map(|b| {
                level_index(&self.batches, b).ok_or_else(|| {
                    format!(
                        "batch {b:?} was not in the data the model was fitted on (its batches: {})",
                        self.batches.join(", ")
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        let (rows, _) = covariate_columns(&self.covariates, new.covariates, n)?;
        let mut out = Vec::with_capacity(self.features.len());
        for (f, y) in new.values.iter().enumerate() {
            if y.len() != n {
                return Err(format!(
                    "feature {} has {} values for {n} subjects",
                    self.features[f],
                    y.len()
                ));
            }
            if let Some(i) = y.iter().position(|v| !v.is_finite()) {
                return Err(format!(
                    "feature {}, subject {}: the value {} is not a finite number",
                    self.features[f],
                    new.subjects.get(i).map_or("?", String::as_str),
                    y[i]
                ));
            }
            out.push(
                (0..n)
                    .map(|i| {
                        let mod_mean: f64 = rows[i]
                            .iter()
                            .zip(&self.covariate_betas[f])
                            .map(|(a, b)| a * b)
                            .sum();
                        self.adjust(f, batch_index[i], y[i], mod_mean)
                    })
                    .collect(),
            );
        }
        Ok(out)
    }
}
