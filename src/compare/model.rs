//! The radiomic model of a comparison: a given score column, or a LASSO-logistic model fitted
//! here on the candidate features (optionally only those an audit rated robust). A fitted
//! model is judged only on patients it was not fitted on: out-of-fold predictions of nested
//! cross-validation, or the test rows of a declared split; scaling, penalty choice, feature
//! selection and the classification threshold all come from training rows only.

use std::path::Path;

use super::results::ModelInfo;

use super::spec::{CompareProtocol, Direction, Model, Reference};
use super::{Evaluation, Predictor};
use crate::error::{Error, Result};
use crate::stats::cv::{CvOptions, fit_and_predict, nested_cv};
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
    let (predictions, positive, info) = match &evaluation.train {
        None => {
            let cv = nested_cv(&x, y, &options).map_err(model_error)?;
            let info = ModelInfo {
                evaluation: "nested cross-validation".into(),
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
            };
            (cv.predictions, cv.positive, info)
        }
        Some(train) => {
            let fold = fit_and_predict(&x, y, train, &evaluation.rows, &options, "split")
                .map_err(model_error)?;
            let info = ModelInfo {
                evaluation: "declared split".into(),
                candidate_features: names.clone(),
                outer_folds: None,
                training_patients: Some(train.len()),
                inner_folds: m.inner_folds,
                chosen_c: vec![fold.c],
                thresholds: vec![fold.threshold],
                selected_per_fold: vec![fold.selected.iter().map(|&j| names[j].clone()).collect()],
            };
            (fold.predictions, fold.positive, info)
        }
    };
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
