//! ComBat harmonization of features across batches (sites, scanners): Johnson, Li & Rabinovic
//! (2007), as Fortin's neuroCombat 0.2.12 computes it, which is what radiomics studies use.
//!
//! For feature f and subject i of batch j, with covariates x_i:
//! y = α + x_i β + γ_j + δ_j ε. The fit standardizes each feature by the OLS fit of the
//! design (batch one-hot + covariates), estimates per-batch location γ and scale δ on the
//! standardized scale, shrinks them by empirical Bayes (parametric, non-parametric, none or
//! mean-only) and removes them: y* = (s - γ*) / √δ* · √σ² + α + x_i β.
//!
//! Where neuroCombat is wrong, this module does what is right (see `../shared/reference/stats/
//! PROVENANCE.md`), and the tests check it:
//! * a feature that is constant (or fully explained by batch and covariates, residual variance
//!   zero to rounding) keeps its values (constant) or gets α + x β (explained); neuroCombat
//!   sets its variance to the median of a boolean array and spreads it per batch. It still
//!   enters the priors as neuroCombat enters it (γ̂ = 0, δ̂ = 1), so every other feature's
//!   result is neuroCombat's;
//! * a feature constant inside one batch keeps one value there: its δ* is set to 1 (the scale
//!   is not estimable), where neuroCombat divides by a near-zero δ and splits identical inputs
//!   by covariate;
//! * non-parametric EB works in log space, so large batches give finite output (neuroCombat
//!   returns all NaN from about 500 subjects per batch);
//! * a reference batch that is not among the batches is an error (neuroCombat silently drops
//!   it), as are batches of one subject, a single batch and a singular design;
//! * continuous covariates stay in f64 (neuroCombat casts them to f32);
//! * applying a saved model uses the new subjects' own covariates (neuroCombat's
//!   `neuroCombatFromTraining` uses the training mean of the covariate effects).

pub mod design;
pub(crate) mod eb;
pub mod in_folds;
pub mod model;
pub mod nested;
pub mod smooth;
pub(crate) mod standardize;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use design::{Covariate, CovariateEncoding};
pub use model::CombatModel;
pub use smooth::SmoothPenalty;

use design::{
    check_full_rank, covariate_columns, design_matrix, encodings_with_smooth, level_index,
    level_indices, sorted_levels,
};
use standardize::{Layout, Standardized, standardize};

/// Which ComBat to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CombatOptions {
    /// Empirical Bayes shrinkage of the batch estimates (false: plain location/scale).
    pub eb: bool,
    /// Parametric priors (false: non-parametric).
    pub parametric: bool,
    /// Adjust the batch means only, not the variances.
    pub mean_only: bool,
    /// The batch the others are aligned to; it is left unchanged.
    pub ref_batch: Option<String>,
    /// Continuous covariates whose effect is a smooth curve (ComBat-GAM), at most one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub smooth: Vec<String>,
    /// How the smooth term's penalty weight is chosen.
    #[serde(default, skip_serializing_if = "is_gcv")]
    pub smooth_penalty: SmoothPenalty,
}

fn is_gcv(p: &SmoothPenalty) -> bool {
    *p == SmoothPenalty::Gcv
}

impl Default for CombatOptions {
    fn default() -> Self {
        CombatOptions {
            eb: true,
            parametric: true,
            mean_only: false,
            ref_batch: None,
            smooth: Vec::new(),
            smooth_penalty: SmoothPenalty::Gcv,
        }
    }
}

/// Features of the subjects to harmonize: `values[f][i]` is feature f of subject i.
#[derive(Debug, Clone, Copy)]
pub struct CombatData<'a> {
    /// Feature names, for messages and the model.
    pub feature_names: &'a [String],
    /// `values[f][i]`: feature f of subject i.
    pub values: &'a [Vec<f64>],
    /// Subject identifiers, for messages.
    pub subjects: &'a [String],
    /// Each subject's batch.
    pub batch: &'a [String],
    /// Covariates to preserve.
    pub covariates: &'a [Covariate],
}

/// How a feature was handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureHandling {
    /// Harmonized by the ComBat model.
    Harmonized,
    /// The same value for every subject: left unchanged.
    Constant,
    /// No variation beyond batch and covariates: set to α + x β.
    NoResidual,
}

/// Everything the fit estimated, batches in sorted order, features in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct CombatEstimates {
    /// The design's column names.
    pub design_columns: Vec<String>,
    /// Per feature, the standardisation mean.
    pub stand_mean: Vec<f64>,
    /// Per feature, the pooled residual variance.
    pub var_pooled: Vec<f64>,
    /// `gamma_hat[b][f]`: the additive batch effect as estimated.
    pub gamma_hat: Vec<Vec<f64>>,
    /// `delta_hat[b][f]`: the multiplicative batch effect as estimated.
    pub delta_hat: Vec<Vec<f64>>,
    /// Each batch's empirical Bayes priors (none without EB).
    pub priors: Vec<Option<eb::Priors>>,
    /// `gamma_star[b][f]`: the additive batch effect after empirical Bayes.
    pub gamma_star: Vec<Vec<f64>>,
    /// `delta_star[b][f]`: the multiplicative batch effect after empirical Bayes.
    pub delta_star: Vec<Vec<f64>>,
    /// Fixed-point iterations per batch (parametric EB only).
    pub iterations: Vec<usize>,
}

/// The result of fitting ComBat.
#[derive(Debug, Clone)]
pub struct CombatFit {
    /// `harmonized[f][i]`, same layout as the input.
    pub harmonized: Vec<Vec<f64>>,
    /// The fitted model, to harmonize new subjects with.
    pub model: CombatModel,
    /// Everything the fit estimated.
    pub estimates: CombatEstimates,
    /// Edge cases met and how they were handled, one line each.
    pub notes: Vec<String>,
}

/// Batch levels (sorted as neuroCombat sorts them) and each subject's level index.
fn batch_levels(batch: &[String]) -> (Vec<String>, Vec<usize>) {
    let levels = sorted_levels(batch);
    let index = level_indices(&levels, batch)
        .into_iter()
        .map(|i| i.unwrap_or(0))
        .collect();
    (levels, index)
}

/// Checks the data and returns the batch levels and each subject's level.
fn validate(
    data: &CombatData,
    options: &CombatOptions,
) -> Result<(Vec<String>, Vec<usize>), String> {
    let n = data.batch.len();
    if data.values.is_empty() {
        return Err("there are no features to harmonize".into());
    }
    if data.values.len() != data.feature_names.len() {
        return Err("feature names and values differ in number".into());
    }
    for (f, row) in data.values.iter().enumerate() {
        if row.len() != n {
            return Err(format!(
                "feature {} has {} values for {n} subjects",
                data.feature_names[f],
                row.len()
            ));
        }
    }
    if options.eb && data.values.len() < 2 {
        return Err("empirical Bayes ComBat pools over features and needs at least 2; use no-EB ComBat for one".into());
    }
    let (levels, index) = batch_levels(data.batch);
    if levels.len() < 2 {
        return Err(format!(
            "ComBat needs at least 2 batches; every subject is in batch {:?}",
            levels.first().map_or("", String::as_str)
        ));
    }
    let mut counts = vec![0usize; levels.len()];
    for &b in &index {
        counts[b] += 1;
    }
    if let Some(b) = counts.iter().position(|c| *c < 2) {
        let member = (0..n).find(|&i| index[i] == b).unwrap_or(0);
        return Err(format!(
            "batch {:?} has only one subject ({}); ComBat needs at least 2 per batch to estimate \
             its variance: merge it with a similar batch or leave it out",
            levels[b],
            data.subjects.get(member).map_or("?", String::as_str)
        ));
    }
    if let Some(r) = &options.ref_batch
        && level_index(&levels, r).is_none()
    {
        return Err(format!(
            "the reference batch {r:?} is not among the batches ({})",
            levels.join(", ")
        ));
    }
    Ok((levels, index))
}

/// Fits ComBat to the data and harmonizes it.
pub fn fit(data: &CombatData, options: &CombatOptions) -> Result<CombatFit, String> {
    let (batches, batch_index) = validate(data, options)?;
    let n = data.batch.len();
    let features = data.values.len();
    let nb = batches.len();
    let reference = options
        .ref_batch
        .as_ref()
        .and_then(|r| level_index(&batches, r));

    let covariate_encodings = encodings_with_smooth(data.covariates, &options.smooth)?;
    let (cov_rows, cov_names) = covariate_columns(&covariate_encodings, data.covariates, n)?;
    let (x, design_columns) =
        design_matrix(&batch_index, &batches, reference, &cov_rows, &cov_names);
    let penalty = smooth_penalty(&covariate_encodings, nb, data.values.len(), options)?;
    if penalty.is_some() {
        // The rank is checked with the smooth term as a straight line: a spline's own columns
        // may be collinear on few distinct values, which the penalty resolves, but a term
        // confounded with batch is not.
        let linear = design::encodings(data.covariates);
        let (rows, names) = covariate_columns(&linear, data.covariates, n)?;
        let (x, columns) = design_matrix(&batch_index, &batches, reference, &rows, &names);
        check_full_rank(&x, &columns)?;
    } else {
        check_full_rank(&x, &design_columns)?;
    }
    let layout = Layout::new(&x, &batch_index, nb, reference, penalty)?;
    let counts: Vec<usize> = layout.ranges.iter().map(|r| r.len()).collect();

    let fits: Vec<Standardized> = (0..data.values.len())
        .into_par_iter()
        .map(|f| standardize(&layout, &data.values[f], f))
        .collect();
    // Non-finite input shows as a non-finite sum (checked here rather than value by value).
    for (f, st) in fits.iter().enumerate() {
        if !st.finite_sum
            && let Some(i) = data.values[f].iter().position(|v| !v.is_finite())
        {
            return Err(format!(
                "feature {}, subject {}: the value {} is not a finite number",
                data.feature_names[f],
                data.subjects.get(i).map_or("?", String::as_str),
                data.values[f][i]
            ));
        }
    }

    // Per batch, over features: location and scale estimates.
    let gamma_hat: Vec<Vec<f64>> = (0..nb)
        .map(|b| fits.iter().map(|f| f.gamma_hat[b]).collect())
        .collect();
    let delta_hat: Vec<Vec<f64>> = (0..nb)
        .map(|b| {
            fits.iter()
                .map(|f| {
                    let v = f.batch_ss[b] / (counts[b] as f64 - 1.0);
                    // neuroCombat replaces an exactly zero variance by 1.
                    if options.mean_only || v == 0.0 {
                        1.0
                    } else {
                        v
                    }
                })
                .collect()
        })
        .collect();
    let batch_mean: Vec<Vec<f64>> = (0..nb)
        .map(|b| fits.iter().map(|f| f.batch_mean[b]).collect())
        .collect();
    let batch_ss: Vec<Vec<f64>> = (0..nb)
        .map(|b| fits.iter().map(|f| f.batch_ss[b]).collect())
        .collect();

    let mut notes = Vec::new();
    let shrunk = shrink(
        options,
        &batches,
        reference,
        &counts,
        Estimates {
            gamma_hat: &gamma_hat,
            delta_hat: &delta_hat,
            batch_mean: &batch_mean,
            batch_ss: &batch_ss,
        },
        &mut notes,
    )?;
    let (priors, iterations, gamma_star) = (shrunk.priors, shrunk.iterations, shrunk.gamma_star);
    let mut delta_star = shrunk.delta_star;
    keep_constant_batches(
        data,
        &layout,
        &fits,
        &batches,
        reference,
        &mut delta_star,
        &mut notes,
    );
    handling_notes(data, &fits, &mut notes);
    smooth_note(options, &fits, &mut notes);

    let model = CombatModel {
        format: model::MODEL_FORMAT.to_string(),
        version: model::MODEL_VERSION,
        options: options.clone(),
        features: data.feature_names.to_vec(),
        batches: batches.clone(),
        batch_sizes: counts,
        covariates: covariate_encodings,
        design_columns: design_columns.clone(),
        covariate_betas: fits.iter().map(|st| st.beta[nb..].to_vec()).collect(),
        stand_mean: fits.iter().map(|st| st.stand_mean).collect(),
        var_pooled: fits.iter().map(|st| st.var_pooled).collect(),
        gamma_star: gamma_star.clone(),
        delta_star: delta_star.clone(),
        handling: fits.iter().map(|st| st.handling).collect(),
        smooth_alpha: fits.iter().filter_map(|st| st.alpha).collect(),
    };
    let harmonized: Vec<Vec<f64>> = (0..features)
        .into_par_iter()
        .map(|f| {
            let mut out = vec![0.0; n];
            model.adjust_into(f, &layout, &data.values[f], &mut out);
            out
        })
        .collect();
    if let Some((f, _)) = harmonized
        .iter()
        .enumerate()
        .find(|(_, r)| !r.iter().fold(true, |all, v| all & v.is_finite()))
    {
        return Err(format!(
            "harmonizing feature {} gave a non-finite value; its batch variances are degenerate",
            data.feature_names[f]
        ));
    }
    Ok(CombatFit {
        harmonized,
        estimates: CombatEstimates {
            design_columns,
            stand_mean: model.stand_mean.clone(),
            var_pooled: model.var_pooled.clone(),
            gamma_hat,
            delta_hat,
            priors,
            gamma_star,
            delta_star,
            iterations,
        },
        model,
        notes,
    })
}

/// The penalty of the smooth term, if there is one: its block of the design's columns, its
/// matrix and the weights to try.
fn smooth_penalty(
    encodings: &[CovariateEncoding],
    nb: usize,
    features: usize,
    options: &CombatOptions,
) -> Result<Option<standardize::Penalty>, String> {
    let mut offset = nb;
    for encoding in encodings {
        if let CovariateEncoding::Smooth { knots, .. } = encoding {
            let choice = match &options.smooth_penalty {
                SmoothPenalty::Gcv => standardize::PenaltyChoice::Gcv(smooth::alpha_grid()),
                SmoothPenalty::Fixed(a) => {
                    smooth::check_alpha(*a)?;
                    standardize::PenaltyChoice::PerFeature(vec![*a; features])
                }
                SmoothPenalty::PerFeature(alphas) => {
                    if alphas.len() != features {
                        return Err(format!(
                            "{} smooth penalty weights were given for {features} features",
                            alphas.len()
                        ));
                    }
                    alphas.iter().try_for_each(|a| smooth::check_alpha(*a))?;
                    standardize::PenaltyChoice::PerFeature(alphas.clone())
                }
            };
            let matrix = smooth::penalty(knots);
            if matrix.iter().flatten().any(|v| !v.is_finite()) {
                return Err(format!(
                    "smooth covariate {:?} spans {:e} to {:e}, too narrow a range for its curve's \
                     penalty (it overflows); rescale it (e.g. to years or mm) or enter it as linear",
                    encoding.name(),
                    knots[0],
                    knots[knots.len() - 1]
                ));
            }
            return Ok(Some(standardize::Penalty {
                offset,
                matrix,
                choice,
            }));
        }
        offset += encoding.width();
    }
    if !options.smooth.is_empty() {
        return Err("no smooth covariate was found among the covariates".into());
    }
    Ok(None)
}

/// The per-batch location and scale estimates, over features, that empirical Bayes shrinks.
struct Estimates<'a> {
    gamma_hat: &'a [Vec<f64>],
    delta_hat: &'a [Vec<f64>],
    batch_mean: &'a [Vec<f64>],
    batch_ss: &'a [Vec<f64>],
}

/// The batch effects after empirical Bayes (or as estimated, without it), with each batch's
/// priors and iteration count; the reference batch's effects are 0 and 1.
struct Shrunk {
    priors: Vec<Option<eb::Priors>>,
    iterations: Vec<usize>,
    gamma_star: Vec<Vec<f64>>,
    delta_star: Vec<Vec<f64>>,
}

/// Empirical Bayes per batch (parametric, non-parametric or mean-only, as `options` say).
fn shrink(
    options: &CombatOptions,
    batches: &[String],
    reference: Option<usize>,
    counts: &[usize],
    e: Estimates,
    notes: &mut Vec<String>,
) -> Result<Shrunk, String> {
    let (gamma_hat, delta_hat, batch_mean, batch_ss) =
        (e.gamma_hat, e.delta_hat, e.batch_mean, e.batch_ss);
    let nb = batches.len();
    let features = gamma_hat.first().map_or(0, Vec::len);
    let mut priors = vec![None; nb];
    let mut iterations = vec![0; nb];
    let (mut gamma_star, mut delta_star) = (gamma_hat.to_vec(), delta_hat.to_vec());
    if options.eb {
        for b in 0..nb {
            let pr = eb::priors(&gamma_hat[b], &delta_hat[b], options.mean_only);
            let moments = eb::Moments {
                n: counts[b] as f64,
                mean: &batch_mean[b],
                ss: &batch_ss[b],
            };
            let (g, d, its, converged) = if !options.parametric {
                let (g, d) = eb::nonparametric(&moments, &gamma_hat[b], &delta_hat[b]);
                (g, d, 0, true)
            } else if options.mean_only {
                (
                    eb::mean_only_posterior(&gamma_hat[b], &pr),
                    vec![1.0; features],
                    0,
                    true,
                )
            } else {
                let a = eb::parametric(&moments, &gamma_hat[b], &delta_hat[b], &pr);
                (a.gamma_star, a.delta_star, a.iterations, a.converged)
            };
            if Some(b) != reference {
                let finite = pr.gamma_bar.is_finite()
                    && pr.t2.is_finite()
                    && pr.t2 > 0.0
                    && pr.a.is_none_or(f64::is_finite)
                    && pr.b.is_none_or(f64::is_finite);
                if !finite && options.parametric {
                    return Err(format!(
                        "the empirical Bayes priors of batch {:?} are undefined (the features' batch estimates \
                         do not vary); run ComBat without empirical Bayes",
                        batches[b]
                    ));
                }
                if !converged {
                    notes.push(format!(
                        "batch {:?}: the parametric EB iteration stopped after {its} iterations without converging",
                        batches[b]
                    ));
                }
            }
            priors[b] = Some(pr);
            gamma_star[b] = g;
            delta_star[b] = d;
            iterations[b] = its;
        }
    }
    if let Some(r) = reference {
        gamma_star[r] = vec![0.0; features];
        delta_star[r] = vec![1.0; features];
    }

    Ok(Shrunk {
        priors,
        iterations,
        gamma_star,
        delta_star,
    })
}

/// A feature constant inside a batch keeps one value there: its scale is not estimable, so
/// only its location is adjusted (delta* = 1), with a note.
fn keep_constant_batches(
    data: &CombatData,
    layout: &Layout,
    fits: &[Standardized],
    batches: &[String],
    reference: Option<usize>,
    delta_star: &mut [Vec<f64>],
    notes: &mut Vec<String>,
) {
    let (nb, features) = (batches.len(), fits.len());
    for b in 0..nb {
        if Some(b) == reference {
            continue;
        }
        let first = layout.order[layout.ranges[b].start];
        for f in 0..features {
            let y = &data.values[f];
            let value = y[first];
            if fits[f].handling == FeatureHandling::Harmonized
                && layout.order[layout.ranges[b].clone()]
                    .iter()
                    .all(|&i| y[i] == value)
                && delta_star[b][f] != 1.0
            {
                delta_star[b][f] = 1.0;
                notes.push(format!(
                    "feature {} is constant ({value}) in batch {:?}: only its location was adjusted there",
                    data.feature_names[f], batches[b]
                ));
            }
        }
    }
}

/// With a smooth term, a note of how its curve was fitted and the penalty weights it got.
fn smooth_note(options: &CombatOptions, fits: &[Standardized], notes: &mut Vec<String>) {
    let Some(name) = options.smooth.first() else {
        return;
    };
    let mut counts: Vec<(f64, usize)> = Vec::new();
    for alpha in fits.iter().filter_map(|f| f.alpha) {
        match counts.iter_mut().find(|(a, _)| *a == alpha) {
            Some((_, c)) => *c += 1,
            None => counts.push((alpha, 1)),
        }
    }
    counts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let how = match options.smooth_penalty {
        SmoothPenalty::Gcv => "chosen by generalised cross-validation",
        _ => "as given",
    };
    let list: Vec<String> = counts
        .iter()
        .map(|(a, c)| format!("{} ({c})", crate::table::format_number(*a)))
        .collect();
    notes.push(format!(
        "{name} entered as a smooth curve (penalised cubic B-spline, {} degrees of freedom, as \
         ComBat-GAM); penalty weights {how}, with the number of features: {}",
        smooth::SPLINE_DF,
        list.join(", ")
    ));
}

/// A note for each feature left unchanged or set to its fitted value.
fn handling_notes(data: &CombatData, fits: &[Standardized], notes: &mut Vec<String>) {
    for (f, st) in fits.iter().enumerate() {
        match st.handling {
            FeatureHandling::Constant => notes.push(format!(
                "feature {} has the same value for every subject: left unchanged",
                data.feature_names[f]
            )),
            FeatureHandling::NoResidual => notes.push(format!(
                "feature {} does not vary beyond batch and covariates: set to its batch-free fitted value",
                data.feature_names[f]
            )),
            FeatureHandling::Harmonized => {}
        }
    }
}
