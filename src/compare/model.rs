//! The radiomic model of a comparison: a given score column, or a LASSO-logistic model fitted
//! here on the candidate features (optionally only those an audit rated robust). A fitted
//! model is judged only on patients it was not fitted on: out-of-fold predictions of nested
//! cross-validation, or the test rows of a declared split; scaling, penalty choice, feature
//! selection and the classification threshold all come from training rows only.

use std::path::Path;

use super::results::{ModelInfo, SiteAuc, SiteEffect};

use super::spec::{CompareProtocol, Direction, Model, ModelHarmonization, Reference, Validation};
use super::{Evaluation, Predictor};
use crate::error::{Error, Result};
use crate::stats::batch_tests::{benjamini_hochberg, kruskal_wallis};
use crate::stats::combat::design::sorted_levels;
use crate::stats::combat::in_folds::FoldCombat;
use crate::stats::combat::nested::BatchFactor;
use crate::stats::combat::{CombatOptions, Covariate};
use crate::stats::cv::{CvOptions, FoldStep, fit_and_predict, nested_cv_with};
use crate::stats::roc::auc;
use crate::table::Table;
use crate::yaml::resolve;

/// A stability.csv `robust` cell: `true`, or `yes` as audits wrote it before booleans became true/false.
fn is_true(cell: &str) -> bool {
    cell == "true" || cell == "yes"
}

/// Features robust on every axis of an audit's stability.csv.
fn robust_features(path: &Path) -> Result<Vec<String>> {
    let t = Table::read(path)?;
    let features = t.required_text("feature")?;
    let robust = t.required_text("robust")?;
    let mut verdict: Vec<(String, bool)> = Vec::new();
    for (f, r) in features.into_iter().zip(robust) {
        match verdict.iter_mut().find(|(g, _)| *g == f) {
            Some(entry) => entry.1 &= is_true(&r),
            None => verdict.push((f, is_true(&r))),
        }
    }
    Ok(verdict
        .into_iter()
        .filter(|(_, ok)| *ok)
        .map(|(f, _)| f)
        .collect())
}

/// The candidate feature columns: listed, by prefix, then filtered by the audit's verdict.
fn candidates(m: &Model, table: &Table, base: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = m.features.clone();
    if let Some(prefix) = &m.feature_prefix {
        names.extend(
            table
                .headers()
                .iter()
                .filter(|h| h.starts_with(prefix.as_str()))
                .cloned(),
        );
    }
    if let Some(st) = &m.stability {
        let robust = robust_features(&resolve(base, st))?;
        names.retain(|n| robust.contains(n));
    }
    if names.is_empty() {
        return Err(Error::input(
            base,
            "model: no candidate features (after the stability filter)",
        ));
    }
    Ok(names)
}

/// The model's predictor on the evaluated rows, what it chose (for results.json), and a
/// warning when events per candidate feature fall below the declared minimum.
pub fn model_predictor(
    p: &CompareProtocol,
    m: &Model,
    base: &Path,
    table: &Table,
    y: &[f64],
    evaluation: &Evaluation,
    warnings: &mut Vec<String>,
) -> Result<(Predictor, Option<ModelInfo>)> {
    let fits_features = !(m.features.is_empty() && m.feature_prefix.is_none());
    match (&m.score, fits_features) {
        (Some(score), false) => {
            let given = Reference {
                name: m.name.clone(),
                column: score.clone(),
                direction: m.direction,
                scale: m.scale,
                thresholds: m.thresholds.clone(),
            };
            let pr = Predictor::from_column(table, &given)?.subset(&evaluation.rows);
            return Ok((pr, None));
        }
        (None, true) => {}
        _ => {
            return Err(Error::input(
                base,
                "model: give either score or features/feature_prefix",
            ));
        }
    }
    let names = candidates(m, table, base)?;
    let cols: Vec<Vec<f64>> = names
        .iter()
        .map(|n| table.numbers(n))
        .collect::<Result<_>>()?;
    let x: Vec<Vec<f64>> = (0..y.len())
        .map(|i| cols.iter().map(|c| c[i]).collect())
        .collect();
    let training: Vec<f64> = match &evaluation.train {
        Some(train) => train.iter().map(|&i| y[i]).collect(),
        None => y.to_vec(),
    };
    let events = training.iter().filter(|&&v| v == 1.0).count();
    let minority = events.min(training.len() - events);
    let epv = minority as f64 / names.len() as f64;
    if epv < p.min_events_per_variable {
        warnings.push(format!(
            "{epv:.1} events per candidate feature ({minority} events, {} features) is below the declared minimum of {}: the model may be overfitted",
            names.len(),
            p.min_events_per_variable
        ));
    }
    let options = CvOptions {
        outer_folds: m.folds,
        inner_folds: m.inner_folds,
        seed: p.seed,
        ..CvOptions::default()
    };
    let model_error = |e: String| Error::input(&table.path, format!("model: {e}"));
    let harmonization = m
        .harmonization
        .as_ref()
        .map(|h| InFolds::read(h, table, &p.id, names.clone()))
        .transpose()?;
    if let Some(h) = &harmonization {
        let training = evaluation.train.as_deref().unwrap_or(&evaluation.rows);
        for (column, batch) in h.columns.iter().zip(&h.batches) {
            check_confounding(column, batch, y, training, table, warnings)?;
        }
    }
    let combat_options = CombatOptions {
        smooth: m
            .harmonization
            .as_ref()
            .and_then(|h| h.smooth.clone())
            .into_iter()
            .collect(),
        ..CombatOptions::default()
    };
    let factors = harmonization.as_ref().map(InFolds::factors);
    let combat = harmonization
        .as_ref()
        .zip(factors.as_deref())
        .map(|(h, factors)| h.combat(factors, &combat_options));
    let step = combat.as_ref().map(|c| {
        move |x: &[Vec<f64>], train: &[usize], test: &[usize], fold: &str| {
            c.harmonize(x, train, test, fold)
        }
    });
    let harmonized_by = m
        .harmonization
        .as_ref()
        .map_or(String::new(), |h| format!(", {}", h.describe()));
    let (predictions, positive, info, harmonized) = match &evaluation.train {
        None => {
            let step = step.as_ref().map(|s| s as &FoldStep);
            let cv = nested_cv_with(&x, y, &options, step).map_err(model_error)?;
            let info = ModelInfo {
                evaluation: format!("nested cross-validation{harmonized_by}"),
                candidate_features: names.clone(),
                outer_folds: Some(m.folds),
                training_patients: None,
                inner_folds: m.inner_folds,
                chosen_c: cv.chosen_c.clone(),
                thresholds: cv.thresholds.clone(),
                selected_per_fold: cv
                    .selected
                    .iter()
                    .map(|s| s.iter().map(|&j| names[j].clone()).collect())
                    .collect(),
                sites: Vec::new(),
                leave_one_site_out_auc: None,
                site_effect: None,
            };
            (cv.predictions, cv.positive, info, cv.held_out_x)
        }
        Some(train) => {
            let prepared = match &step {
                Some(step) => Some(
                    step(&x, train, &evaluation.rows, "the declared split").map_err(model_error)?,
                ),
                None => None,
            };
            let x = prepared.as_deref().unwrap_or(&x);
            let fold = fit_and_predict(x, y, train, &evaluation.rows, &options, "split")
                .map_err(model_error)?;
            let info = ModelInfo {
                evaluation: format!("declared split{harmonized_by}"),
                candidate_features: names.clone(),
                outer_folds: None,
                training_patients: Some(train.len()),
                inner_folds: m.inner_folds,
                chosen_c: vec![fold.c],
                thresholds: vec![fold.threshold],
                selected_per_fold: vec![fold.selected.iter().map(|&j| names[j].clone()).collect()],
                sites: Vec::new(),
                leave_one_site_out_auc: None,
                site_effect: None,
            };
            (fold.predictions, fold.positive, info, prepared)
        }
    };
    let mut info = info;
    let fitted = Fitted {
        x: &x,
        harmonized: harmonized.as_deref(),
        y,
        options: &options,
        predictions: &predictions,
    };
    (info.sites, info.leave_one_site_out_auc, info.site_effect) =
        site_results(m, table, evaluation, &fitted, warnings)?;
    let pr = Predictor {
        name: m.name.clone(),
        values: predictions.clone(),
        direction: Direction::Higher,
        thresholds: Vec::new(),
        probability: Some(predictions),
        classification: Some(positive),
    };
    Ok((pr, Some(info)))
}

/// What ComBat inside the folds reads of the cohort: each patient's id, batches and covariates.
struct InFolds {
    names: Vec<String>,
    subjects: Vec<String>,
    /// The batch columns' names and each patient's level in each.
    columns: Vec<String>,
    batches: Vec<Vec<String>>,
    order: Option<Vec<String>>,
    covariates: Vec<Covariate>,
}

impl InFolds {
    /// The columns `h` names, read from the cohort; `names` are the candidate features.
    fn read(h: &ModelHarmonization, table: &Table, id: &str, names: Vec<String>) -> Result<Self> {
        let mut covariates = Vec::new();
        for c in &h.covariates {
            covariates.push(if h.categorical.contains(c) {
                Covariate::Categorical {
                    name: c.clone(),
                    values: table.required_text(c)?,
                }
            } else {
                Covariate::Continuous {
                    name: c.clone(),
                    values: table.numbers(c)?,
                }
            });
        }
        if let Some(c) = h.categorical.iter().find(|c| !h.covariates.contains(c)) {
            return Err(Error::input(
                &table.path,
                format!("model.harmonization.categorical: {c} is not among its covariates"),
            ));
        }
        if let Some(s) = h.smooth.as_ref().filter(|s| !h.covariates.contains(s)) {
            covariates.push(Covariate::Continuous {
                name: s.clone(),
                values: table.numbers(s)?,
            });
        }
        let columns = h.batch_columns();
        Ok(InFolds {
            names,
            subjects: table.required_text(id)?,
            batches: columns
                .iter()
                .map(|c| table.required_text(c))
                .collect::<Result<_>>()?,
            columns,
            order: h.order.clone(),
            covariates,
        })
    }

    /// The batch columns as nested ComBat takes them.
    fn factors(&self) -> Vec<BatchFactor<'_>> {
        self.columns
            .iter()
            .zip(&self.batches)
            .map(|(name, levels)| BatchFactor { name, levels })
            .collect()
    }

    fn combat<'a>(
        &'a self,
        factors: &'a [BatchFactor<'a>],
        options: &'a CombatOptions,
    ) -> FoldCombat<'a> {
        FoldCombat {
            feature_names: &self.names,
            subjects: &self.subjects,
            batches: factors,
            order: self.order.as_deref(),
            covariates: &self.covariates,
            options,
        }
    }
}

/// A fitted model's inputs and evaluated predictions (in the evaluated rows' order).
struct Fitted<'a> {
    x: &'a [Vec<f64>],
    /// With harmonization: each evaluated patient's features as harmonized when predicted.
    harmonized: Option<&'a [Vec<f64>]>,
    y: &'a [f64],
    options: &'a CvOptions,
    predictions: &'a [f64],
}

/// Each candidate feature's mean and SD over the evaluated patients, from which a site's
/// shift is measured (the same for every site, so computed once).
struct FeatureScale<'a> {
    x: &'a [Vec<f64>],
    mean: Vec<f64>,
    sd: Vec<f64>,
}

impl<'a> FeatureScale<'a> {
    fn new(x: &'a [Vec<f64>], rows: &[usize]) -> FeatureScale<'a> {
        let features = rows.first().map_or(0, |&i| x[i].len());
        let mean: Vec<f64> = (0..features)
            .map(|j| rows.iter().map(|&i| x[i][j]).sum::<f64>() / rows.len() as f64)
            .collect();
        let sd = (0..features)
            .map(|j| {
                let ss: f64 = rows.iter().map(|&i| (x[i][j] - mean[j]).powi(2)).sum();
                (ss / (rows.len().max(2) - 1) as f64).sqrt()
            })
            .collect();
        FeatureScale { x, mean, sd }
    }

    /// How far the patients `members` sit from all evaluated patients on the candidate
    /// features: the mean over features of |their mean - mean| / SD (features with an SD of
    /// 0 left out). Site differences mix the scanner's effect with the site's case mix.
    fn shift(&self, members: &[usize]) -> Option<f64> {
        let shifts: Vec<f64> = (0..self.mean.len())
            .filter_map(|j| {
                let m = members.iter().map(|&i| self.x[i][j]).sum::<f64>() / members.len() as f64;
                let shift = (m - self.mean[j]).abs() / self.sd[j];
                (self.sd[j] > 0.0 && shift.is_finite()).then_some(shift)
            })
            .collect();
        (!shifts.is_empty()).then(|| shifts.iter().sum::<f64>() / shifts.len() as f64)
    }
}

/// The candidate features whose values differ across sites (Kruskal-Wallis, Benjamini-
/// Hochberg q < 0.05), of those testable, on the evaluated rows.
fn differing_by_site(
    x: &[Vec<f64>],
    rows: &[usize],
    site: &[String],
    levels: &[String],
) -> (usize, usize) {
    let features = rows.first().map_or(0, |&i| x[i].len());
    let p: Vec<f64> = (0..features)
        .map(|j| {
            let groups: Vec<Vec<f64>> = levels
                .iter()
                .map(|l| {
                    rows.iter()
                        .filter(|&&i| site[i] == *l)
                        .map(|&i| x[i][j])
                        .collect()
                })
                .collect();
            kruskal_wallis(&groups).map_or(f64::NAN, |(_, p)| p)
        })
        .collect();
    let q = benjamini_hochberg(&p);
    (
        q.iter().filter(|&&q| q < 0.05).count(),
        q.iter().filter(|q| !q.is_nan()).count(),
    )
}

/// Sites with fewer events (or non-events) than this get a warning: their AUC is imprecise.
const FEW_SITE_EVENTS: usize = 5;

/// With a site column (`model.site`, else the harmonization's batch): the model's AUC per
/// site and, with `validation: leave_one_site_out`, each site held out in turn (the model
/// fitted on the other sites, penalty by inner cross-validation) and the AUC of all
/// held-out predictions. A held-out site cannot be harmonized by ComBat fitted without it:
/// that combination is refused rather than guessed.
fn site_results(
    m: &Model,
    table: &Table,
    evaluation: &Evaluation,
    fitted: &Fitted,
    warnings: &mut Vec<String>,
) -> Result<(Vec<SiteAuc>, Option<f64>, Option<SiteEffect>)> {
    let refuse = |why: String| {
        Err(Error::input(
            &table.path,
            format!("model.validation: {why}"),
        ))
    };
    let loso = m.validation == Some(Validation::LeaveOneSiteOut);
    // By default the harmonization's batch column, when it has one.
    let batch = m.harmonization.as_ref().map(|h| h.batch_columns());
    let column = m.site.as_ref().or(batch
        .as_ref()
        .filter(|b| b.len() == 1)
        .and_then(|b| b.first()));
    let Some(column) = column else {
        if loso {
            return refuse("leave_one_site_out needs model.site, the site column".into());
        }
        return Ok((Vec::new(), None, None));
    };
    if loso && evaluation.train.is_some() {
        return refuse(
            "leave_one_site_out evaluates on every patient: it does not go with a declared split"
                .into(),
        );
    }
    if loso && m.harmonization.is_some() {
        return refuse(format!(
            "leave_one_site_out with model.harmonization: ComBat fitted without the held-out \
             site cannot place it, and radaudit does not guess; drop the harmonization, or \
             keep the features an audit rated robust (model.stability), which need none \
             (site column {column})"
        ));
    }
    let site = table.required_text(column)?;
    let rows = &evaluation.rows;
    let (x, y) = (fitted.x, fitted.y);
    let evaluated: Vec<String> = rows.iter().map(|&i| site[i].clone()).collect();
    let levels = sorted_levels(&evaluated);
    if loso && levels.len() < 2 {
        return refuse(format!(
            "leave_one_site_out needs at least 2 sites; column {column} holds one"
        ));
    }
    let labels: Vec<bool> = rows.iter().map(|&i| y[i] == 1.0).collect();
    let auc_of = |scores: &[f64], labels: &[bool]| auc(scores, labels).ok().map(|a| a.auc);
    let mut held_out = vec![f64::NAN; rows.len()];
    let mut out = Vec::with_capacity(levels.len());
    let scale_before = FeatureScale::new(x, rows);
    let scale_after = fitted.harmonized.map(|h| FeatureScale::new(h, rows));
    for level in &levels {
        let members: Vec<usize> = (0..rows.len())
            .filter(|&k| evaluated[k] == *level)
            .collect();
        let own: Vec<bool> = members.iter().map(|&k| labels[k]).collect();
        let events = own.iter().filter(|&&b| b).count();
        if events.min(own.len() - events) < FEW_SITE_EVENTS {
            warnings.push(format!(
                "site {level}: {events} events and {} non-events; its AUC is imprecise",
                own.len() - events
            ));
        }
        let scores: Vec<f64> = members.iter().map(|&k| fitted.predictions[k]).collect();
        let held_out_auc = if loso {
            let test: Vec<usize> = members.iter().map(|&k| rows[k]).collect();
            let train: Vec<usize> = rows
                .iter()
                .copied()
                .filter(|&i| site[i] != *level)
                .collect();
            let stream = format!("site {level} held out");
            let fold = fit_and_predict(x, y, &train, &test, fitted.options, &stream)
                .map_err(|e| Error::input(&table.path, format!("model, {stream}: {e}")))?;
            for (&k, p) in members.iter().zip(&fold.predictions) {
                held_out[k] = *p;
            }
            auc_of(&fold.predictions, &own)
        } else {
            None
        };
        let member_rows: Vec<usize> = members.iter().map(|&k| rows[k]).collect();
        out.push(SiteAuc {
            site: level.clone(),
            patients: members.len(),
            events,
            auc: auc_of(&scores, &own),
            held_out_auc,
            shift_before: scale_before.shift(&member_rows),
            shift_after: scale_after.as_ref().and_then(|s| s.shift(&member_rows)),
        });
    }
    let pooled = if loso {
        auc_of(&held_out, &labels)
    } else {
        None
    };
    let (differing_before, testable) = differing_by_site(x, rows, &site, &levels);
    let effect = SiteEffect {
        column: column.clone(),
        features: testable,
        differing_before,
        differing_after: fitted
            .harmonized
            .map(|h| differing_by_site(h, rows, &site, &levels).0),
    };
    Ok((out, pooled, Some(effect)))
}

/// Refuses a batch column confounded with the outcome: when every batch (site) of the
/// training rows holds one class only, ComBat by it would remove the outcome's own signal.
/// A few one-class batches are a warning (their location is the outcome's as much as the
/// scanner's).
fn check_confounding(
    column: &str,
    batch: &[String],
    y: &[f64],
    rows: &[usize],
    table: &Table,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let levels = sorted_levels(&rows.iter().map(|&i| batch[i].clone()).collect::<Vec<_>>());
    let one_class: Vec<String> = levels
        .iter()
        .filter_map(|level| {
            let classes: Vec<f64> = rows
                .iter()
                .filter(|&&i| batch[i] == *level)
                .map(|&i| y[i])
                .collect();
            let events = classes.iter().filter(|&&v| v == 1.0).count();
            match events {
                0 => Some(format!("{level} (non-events only)")),
                e if e == classes.len() => Some(format!("{level} (events only)")),
                _ => None,
            }
        })
        .collect();
    if one_class.is_empty() {
        return Ok(());
    }
    if one_class.len() == levels.len() {
        return Err(Error::input(
            &table.path,
            format!(
                "model.harmonization: the batch column {column} is confounded with the \
                 outcome: every batch holds one class ({}); ComBat by it would remove the \
                 outcome's signal",
                one_class.join(", ")
            ),
        ));
    }
    warnings.push(format!(
        "harmonization by {column}: {} hold one class of the outcome, so ComBat removes part of \
         the outcome's signal with their batch effect",
        one_class.join(", ")
    ));
    Ok(())
}
