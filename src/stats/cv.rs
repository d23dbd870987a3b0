//! Cross-validated LASSO-logistic models without leakage: stratified outer folds; in each
//! outer training set the penalty C is chosen by an inner stratified cross-validation (mean
//! held-out log-loss; ties go to the smaller C, the sparser model), standardisation is fitted
//! on the training rows only (inner and outer), and the outer held-out rows get predictions
//! from a model that never saw them. Folds come from a seeded ChaCha8 stream.

use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::logistic::{Fit, Scaler, fit_l1, fit_l1_from};
use crate::perturb::random;

/// Settings of a nested cross-validation.
#[derive(Debug, Clone, PartialEq)]
pub struct CvOptions {
    /// Outer folds (held-out predictions).
    pub outer_folds: usize,
    /// Inner folds (the penalty's choice).
    pub inner_folds: usize,
    /// Candidate C values (inverse penalties).
    pub c_grid: Vec<f64>,
    /// Seed of the fold assignment.
    pub seed: u64,
}

impl Default for CvOptions {
    /// 5 x 5 folds, C from 10^-3 to 10 in 16 log-spaced steps. On standardised features C = 10
    /// is already nearly unpenalised for cohorts of a few hundred; beyond it the fits on
    /// strongly correlated radiomic features are slow to converge and never chosen.
    fn default() -> Self {
        CvOptions {
            outer_folds: 5,
            inner_folds: 5,
            c_grid: (0..16)
                .map(|i| 10f64.powf(-3.0 + 4.0 * i as f64 / 15.0))
                .collect(),
            seed: 1,
        }
    }
}

/// Out-of-fold predictions and what each outer fold chose.
#[derive(Debug, Clone, PartialEq)]
pub struct CvResult {
    /// One held-out probability per subject.
    pub predictions: Vec<f64>,
    /// Each subject's outer fold.
    pub fold_of: Vec<usize>,
    /// The C chosen in each outer fold.
    pub chosen_c: Vec<f64>,
    /// The features with a non-zero coefficient in each outer fold's model.
    pub selected: Vec<Vec<usize>>,
    /// Each outer fold's threshold, chosen on its training rows (Youden's J of the fold
    /// model's in-sample probabilities), and each subject's class by its fold's threshold.
    pub thresholds: Vec<f64>,
    /// Each subject's class by its fold's threshold.
    pub positive: Vec<bool>,
    /// With a fold step: each subject's features as its outer fold's step prepared them when
    /// it was held out (what the fold's model predicted it from).
    pub held_out_x: Option<Vec<Vec<f64>>>,
}

/// The probability threshold (positive at p >= t) with the largest Youden's J
/// (sensitivity + specificity - 1) on `p` and 0/1 `y`; the lowest such threshold on ties.
pub fn youden_threshold(p: &[f64], y: &[f64]) -> f64 {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    let events = y.iter().filter(|&&v| v == 1.0).count() as f64;
    let non_events = y.len() as f64 - events;
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut best = (f64::NEG_INFINITY, f64::INFINITY);
    let mut k = 0;
    while k < order.len() {
        let t = p[order[k]];
        while k < order.len() && p[order[k]] == t {
            if y[order[k]] == 1.0 {
                tp += 1.0
            } else {
                fp += 1.0
            }
            k += 1;
        }
        let j = tp / events + (1.0 - fp / non_events) - 1.0;
        if j > best.0 {
            best = (j, t);
        }
    }
    best.1
}

/// Stratified fold labels: each class shuffled, then dealt round-robin to `k` folds.
pub fn stratified_folds(y: &[f64], k: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut fold = vec![0; y.len()];
    let mut next = 0;
    for class in [0.0, 1.0] {
        let mut members: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        members.shuffle(rng);
        for m in members {
            fold[m] = next % k;
            next += 1;
        }
    }
    fold
}

fn rows(x: &[Vec<f64>], idx: &[usize]) -> Vec<Vec<f64>> {
    idx.iter().map(|&i| x[i].clone()).collect()
}

/// Standardises on `train` only, fits, and returns the model and the scaler.
pub fn fit_standardised(
    x: &[Vec<f64>],
    y: &[f64],
    train: &[usize],
    c: f64,
) -> Result<(Fit, Scaler), String> {
    let xt = rows(x, train);
    let scaler = Scaler::fit(&xt);
    let yt: Vec<f64> = train.iter().map(|&i| y[i]).collect();
    Ok((fit_l1(&scaler.transform(&xt), &yt, c)?, scaler))
}

fn predict(fit: &Fit, scaler: &Scaler, x: &[Vec<f64>], idx: &[usize]) -> Vec<f64> {
    scaler
        .transform(&rows(x, idx))
        .iter()
        .map(|r| fit.probability(r))
        .collect()
}

/// Chooses C on the rows `train` by inner cross-validation (the smallest C with the lowest
/// held-out log loss). Within each inner fold the grid is fitted from the smallest C up, each
/// fit warm-started from the previous one.
pub fn choose_c(
    x: &[Vec<f64>],
    y: &[f64],
    train: &[usize],
    options: &CvOptions,
    rng: &mut ChaCha8Rng,
) -> Result<f64, String> {
    let grid = &options.c_grid;
    let yt: Vec<f64> = train.iter().map(|&i| y[i]).collect();
    let folds = stratified_folds(&yt, options.inner_folds, rng);
    let mut ascending: Vec<usize> = (0..grid.len()).collect();
    ascending.sort_by(|&a, &b| grid[a].total_cmp(&grid[b]));
    let mut loss = vec![0.0; grid.len()];
    for f in 0..options.inner_folds {
        let inner_train: Vec<usize> = (0..train.len())
            .filter(|&i| folds[i] != f)
            .map(|i| train[i])
            .collect();
        let held: Vec<usize> = (0..train.len())
            .filter(|&i| folds[i] == f)
            .map(|i| train[i])
            .collect();
        if held.is_empty() {
            continue;
        }
        let xt = rows(x, &inner_train);
        let scaler = Scaler::fit(&xt);
        let xs = scaler.transform(&xt);
        let ys: Vec<f64> = inner_train.iter().map(|&i| y[i]).collect();
        let xh = scaler.transform(&rows(x, &held));
        let mut previous: Option<Fit> = None;
        for &k in &ascending {
            let fit = fit_l1_from(&xs, &ys, grid[k], previous.as_ref())?;
            for (row, &i) in xh.iter().zip(&held) {
                let p = fit.probability(row).clamp(1e-15, 1.0 - 1e-15);
                loss[k] -= if y[i] == 1.0 { p.ln() } else { (1.0 - p).ln() };
            }
            previous = Some(fit);
        }
    }
    let mut best = (f64::INFINITY, grid[0]);
    for (&c, &l) in grid.iter().zip(&loss) {
        // Strictly better only (beyond rounding): ties keep the earlier (smaller) C.
        if best.0.is_infinite() || l < best.0 - 1e-12 * best.0.abs() {
            best = (l, c);
        }
    }
    Ok(best.1)
}

/// One model fitted on `train` (C by inner cross-validation, threshold by Youden's J on its
/// own training rows) and its predictions for `test`.
pub struct FoldFit {
    /// The C chosen by inner cross-validation.
    pub c: f64,
    /// The threshold chosen on the training rows (Youden's J).
    pub threshold: f64,
    /// The features with a non-zero coefficient.
    pub selected: Vec<usize>,
    /// Probabilities and classes of the `test` rows, in their order.
    pub predictions: Vec<f64>,
    /// The classes of the `test` rows.
    pub positive: Vec<bool>,
}

/// Fits on `train` and predicts `test`; `stream` names the inner folds' random stream.
pub fn fit_and_predict(
    x: &[Vec<f64>],
    y: &[f64],
    train: &[usize],
    test: &[usize],
    options: &CvOptions,
    stream: &str,
) -> Result<FoldFit, String> {
    let mut inner_rng = random::stream(options.seed, "cv", stream);
    let c = choose_c(x, y, train, options, &mut inner_rng)?;
    let (fit, scaler) = fit_standardised(x, y, train, c)?;
    let in_sample = predict(&fit, &scaler, x, train);
    let yt: Vec<f64> = train.iter().map(|&i| y[i]).collect();
    let threshold = youden_threshold(&in_sample, &yt);
    let predictions = predict(&fit, &scaler, x, test);
    Ok(FoldFit {
        c,
        threshold,
        selected: fit
            .coef
            .iter()
            .enumerate()
            .filter(|(_, w)| **w != 0.0)
            .map(|(j, _)| j)
            .collect(),
        positive: predictions.iter().map(|&p| p >= threshold).collect(),
        predictions,
    })
}

/// A step fitted on each outer fold's training rows and applied to its held-out rows before
/// the model sees them (e.g. ComBat, [`crate::stats::combat::in_folds`]): given the matrix,
/// the training rows, the held-out rows and the fold's name, the matrix to fit and predict
/// on. The inner folds that choose C see the outer training rows as it prepared them.
pub type FoldStep<'a> =
    dyn Fn(&[Vec<f64>], &[usize], &[usize], &str) -> Result<Vec<Vec<f64>>, String> + 'a;

/// Nested cross-validation of LASSO-logistic on `x` (n x p) and 0/1 `y`.
pub fn nested_cv(x: &[Vec<f64>], y: &[f64], options: &CvOptions) -> Result<CvResult, String> {
    nested_cv_with(x, y, options, None)
}

/// [`nested_cv`] with `step` fitted and applied inside each outer fold.
pub fn nested_cv_with(
    x: &[Vec<f64>],
    y: &[f64],
    options: &CvOptions,
    step: Option<&FoldStep>,
) -> Result<CvResult, String> {
    let n = y.len();
    if options.outer_folds < 2 || options.inner_folds < 2 || options.c_grid.is_empty() {
        return Err(
            "nested cross-validation needs at least 2 outer and 2 inner folds and a C grid".into(),
        );
    }
    let events = y.iter().filter(|&&v| v == 1.0).count();
    if events < options.outer_folds || n - events < options.outer_folds {
        return Err(format!(
            "{events} events and {} non-events: each class needs at least one per outer fold ({})",
            n - events,
            options.outer_folds
        ));
    }
    let mut rng = random::stream(options.seed, "cv", "outer folds");
    let fold_of = stratified_folds(y, options.outer_folds, &mut rng);
    let mut predictions = vec![f64::NAN; n];
    let mut chosen_c = Vec::new();
    let mut selected = Vec::new();
    let mut thresholds = Vec::new();
    let mut positive = vec![false; n];
    let mut held_out_x = step.map(|_| vec![Vec::new(); n]);
    for f in 0..options.outer_folds {
        let train: Vec<usize> = (0..n).filter(|&i| fold_of[i] != f).collect();
        let test: Vec<usize> = (0..n).filter(|&i| fold_of[i] == f).collect();
        let prepared = match step {
            Some(step) => Some(step(x, &train, &test, &format!("outer fold {}", f + 1))?),
            None => None,
        };
        let x = prepared.as_deref().unwrap_or(x);
        if let Some(held) = held_out_x.as_mut() {
            for &i in &test {
                held[i] = x[i].clone();
            }
        }
        let fold = fit_and_predict(x, y, &train, &test, options, &format!("inner folds {f}"))?;
        for ((p, &i), pos) in fold.predictions.iter().zip(&test).zip(&fold.positive) {
            predictions[i] = *p;
            positive[i] = *pos;
        }
        thresholds.push(fold.threshold);
        chosen_c.push(fold.c);
        selected.push(fold.selected);
    }
    Ok(CvResult {
        predictions,
        fold_of,
        chosen_c,
        selected,
        thresholds,
        positive,
        held_out_x,
    })
}
