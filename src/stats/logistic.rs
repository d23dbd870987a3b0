//! L1-penalised (LASSO) logistic regression, the model most radiomics papers fit, with the
//! objective scikit-learn's `LogisticRegression(penalty="l1", C=C)` minimises:
//!
//!   sum_i [log(1 + exp(eta_i)) - y_i eta_i] + (1/C) sum_j |w_j|,   eta = b + X w,
//!
//! the intercept b unpenalised. Solved by proximal Newton steps (Friedman, Hastie and
//! Tibshirani, J Stat Softw 2010: a weighted least-squares approximation at the current fit,
//! minimised by cyclic coordinate descent with soft thresholding), each step damped until the
//! objective decreases, to a tolerance far below what the tests ask of it.
//!
//! Standardisation (`Scaler`) is kept apart so a caller can fit it on training folds only.

/// A fitted model: intercept and coefficients on the (standardised) features it was given.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// The intercept.
    pub intercept: f64,
    /// One coefficient per feature, in input order.
    pub coef: Vec<f64>,
    /// Coordinate-descent sweeps run.
    pub iterations: usize,
    /// Whether the fit met its tolerance.
    pub converged: bool,
}

impl Fit {
    /// The predicted probability for one row of features.
    pub fn probability(&self, x: &[f64]) -> f64 {
        sigmoid(self.intercept + x.iter().zip(&self.coef).map(|(a, b)| a * b).sum::<f64>())
    }
}

fn sigmoid(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

/// log(1 + exp(t)) without overflow.
fn softplus(t: f64) -> f64 {
    if t > 0.0 {
        t + (-t).exp().ln_1p()
    } else {
        t.exp().ln_1p()
    }
}

fn objective(x: &[Vec<f64>], y: &[f64], b: f64, w: &[f64], lambda: f64) -> f64 {
    let loss: f64 = x
        .iter()
        .zip(y)
        .map(|(row, &yi)| {
            let eta = b + row.iter().zip(w).map(|(a, c)| a * c).sum::<f64>();
            softplus(eta) - yi * eta
        })
        .sum();
    loss + lambda * w.iter().map(|v| v.abs()).sum::<f64>()
}

fn soft_threshold(z: f64, g: f64) -> f64 {
    if z > g {
        z - g
    } else if z < -g {
        z + g
    } else {
        0.0
    }
}

/// Coordinate descent stops when no coefficient moves by more than this in a full sweep.
const CD_TOLERANCE: f64 = 1e-13;
/// A cap on coordinate-descent sweeps per Newton step.
const MAX_SWEEPS: usize = 10_000;
/// Sweeps over the active features between an exact active-set step and the next full sweep.
const ACTIVE_SWEEPS: usize = 20;

/// On the active features A (non-zero in `nw`) with their signs s fixed, the weighted
/// least-squares problem with the L1 term is a quadratic, minimised by the normal equations
/// [sum W, W'X_A; X_A'W, X_A'W X_A] [b; w_A] = [W'z; X_A'W z - lambda s]. Moves (nb, nw) to that
/// minimiser when it keeps every sign, else along the segment to the first sign change (that
/// coefficient becomes 0). The objective cannot rise along the segment (a convex quadratic,
/// decreasing towards its minimiser). Returns the active set, or None when the system is
/// singular (nothing moved).
fn active_set_step(
    cols: &[Vec<f64>],
    weight: &[f64],
    z: &[f64],
    lambda: f64,
    nb: &mut f64,
    nw: &mut [f64],
) -> Option<Vec<usize>> {
    let active: Vec<usize> = (0..nw.len()).filter(|&j| nw[j] != 0.0).collect();
    let k = active.len() + 1;
    let column = |m: usize| -> Option<&Vec<f64>> { (m > 0).then(|| &cols[active[m - 1]]) };
    let value = |m: usize, i: usize| column(m).map_or(1.0, |c| c[i]);
    let mut a = nalgebra::DMatrix::<f64>::zeros(k, k);
    let mut rhs = nalgebra::DVector::<f64>::zeros(k);
    for r in 0..k {
        for c in r..k {
            let v: f64 = (0..weight.len())
                .map(|i| weight[i] * value(r, i) * value(c, i))
                .sum();
            a[(r, c)] = v;
            a[(c, r)] = v;
        }
        rhs[r] = (0..weight.len())
            .map(|i| weight[i] * value(r, i) * z[i])
            .sum::<f64>()
            - if r > 0 {
                lambda * nw[active[r - 1]].signum()
            } else {
                0.0
            };
    }
    let solution = a.cholesky()?.solve(&rhs);
    if solution.iter().any(|v| !v.is_finite()) {
        return None;
    }
    // The inner objective, to compare the candidate moves.
    let inner = |b: f64, w: &[f64]| -> f64 {
        let fit: f64 = (0..weight.len())
            .map(|i| {
                let e = z[i] - b - active.iter().map(|&j| cols[j][i] * w[j]).sum::<f64>();
                weight[i] * e * e
            })
            .sum();
        0.5 * fit + lambda * active.iter().map(|&j| w[j].abs()).sum::<f64>()
    };
    // First try the minimiser with every coefficient whose sign it flips set to 0 (it often
    // drops many spurious features at once); keep it only if the objective falls.
    let mut projected = nw.to_vec();
    for (m, &j) in active.iter().enumerate() {
        let to = solution[m + 1];
        projected[j] = if to * nw[j] > 0.0 { to } else { 0.0 };
    }
    if inner(solution[0], &projected) < inner(*nb, nw) {
        *nb = solution[0];
        nw.copy_from_slice(&projected);
        return Some(active);
    }
    // Else the largest step fraction along the segment that keeps every sign.
    let mut fraction = 1.0f64;
    let mut zeroed = None;
    for (m, &j) in active.iter().enumerate() {
        let (from, to) = (nw[j], solution[m + 1]);
        if to * from <= 0.0 {
            let f = from / (from - to);
            if f < fraction {
                fraction = f;
                zeroed = Some(j);
            }
        }
    }
    *nb += fraction * (solution[0] - *nb);
    for (m, &j) in active.iter().enumerate() {
        nw[j] += fraction * (solution[m + 1] - nw[j]);
    }
    if let Some(j) = zeroed {
        nw[j] = 0.0;
    }
    Some(active)
}

/// The weighted least-squares problem of one Newton step, for coordinate descent:
/// minimise sum_i weight_i (z_i - b - x_i w)^2 / 2 + lambda |w|.
struct Quadratic<'a> {
    cols: &'a [Vec<f64>],
    weight: &'a [f64],
    /// sum_i weight_i x_ij^2 per feature.
    col_scale: Vec<f64>,
    weight_sum: f64,
    lambda: f64,
}

impl Quadratic<'_> {
    /// One cyclic sweep (intercept, then the features `only` or all), keeping `residual` =
    /// z - b - X w up to date; returns the largest move.
    fn sweep(
        &self,
        residual: &mut [f64],
        nb: &mut f64,
        nw: &mut [f64],
        only: Option<&[usize]>,
    ) -> f64 {
        let shift = self
            .weight
            .iter()
            .zip(residual.iter())
            .map(|(wt, r)| wt * r)
            .sum::<f64>()
            / self.weight_sum;
        *nb += shift;
        residual.iter_mut().for_each(|r| *r -= shift);
        let mut largest = shift.abs();
        let all: Vec<usize>;
        let features = match only {
            Some(list) => list,
            None => {
                all = (0..self.cols.len()).collect();
                &all
            }
        };
        for &j in features {
            if self.col_scale[j] == 0.0 {
                continue;
            }
            let col = &self.cols[j];
            let rho: f64 = col
                .iter()
                .zip(self.weight)
                .zip(residual.iter())
                .map(|((v, wt), r)| wt * v * r)
                .sum::<f64>()
                + self.col_scale[j] * nw[j];
            let updated = soft_threshold(rho, self.lambda) / self.col_scale[j];
            let delta = updated - nw[j];
            if delta != 0.0 {
                residual
                    .iter_mut()
                    .zip(col)
                    .for_each(|(r, v)| *r -= delta * v);
                nw[j] = updated;
                largest = largest.max(delta.abs());
            }
        }
        largest
    }
}

/// Fits the model to rows `x` (n x p) and 0/1 outcomes `y` with inverse penalty `c`.
pub fn fit_l1(x: &[Vec<f64>], y: &[f64], c: f64) -> Result<Fit, String> {
    fit_l1_from(x, y, c, None)
}

/// [`fit_l1`] started from `start` (a fit at a nearby C: a warm start along a path of C
/// values, which converges to the same optimum in far fewer steps).
pub fn fit_l1_from(x: &[Vec<f64>], y: &[f64], c: f64, start: Option<&Fit>) -> Result<Fit, String> {
    let n = x.len();
    let p = x.first().map_or(0, Vec::len);
    if n == 0 || y.len() != n || x.iter().any(|r| r.len() != p) {
        return Err("the feature rows and outcomes do not match".into());
    }
    if !(c.is_finite() && c > 0.0) {
        return Err(format!("C must be a positive number, got {c}"));
    }
    let lambda = 1.0 / c;
    let events = y.iter().filter(|&&v| v == 1.0).count();
    if events == 0 || events == n || y.iter().any(|&v| v != 0.0 && v != 1.0) {
        return Err("the outcome must be 0/1 with both classes present".into());
    }
    // Columns, for coordinate descent's column sweeps.
    let cols: Vec<Vec<f64>> = (0..p).map(|j| x.iter().map(|r| r[j]).collect()).collect();
    let mean = events as f64 / n as f64;
    let (mut b, mut w) = match start {
        Some(f) if f.coef.len() == p => (f.intercept, f.coef.clone()),
        _ => ((mean / (1.0 - mean)).ln(), vec![0.0; p]),
    };
    let mut current = objective(x, y, b, &w, lambda);
    let mut eta: Vec<f64> = x
        .iter()
        .map(|r| b + r.iter().zip(&w).map(|(a, c)| a * c).sum::<f64>())
        .collect();
    let mut converged = false;
    let mut iterations = 0;
    let (mut weight, mut residual) = (vec![0.0; n], vec![0.0; n]);
    for outer in 0..500 {
        iterations = outer + 1;
        // Quadratic approximation at (b, w): weights, and the working residual z - eta.
        for i in 0..n {
            let pi = sigmoid(eta[i]);
            weight[i] = (pi * (1.0 - pi)).max(1e-10);
            residual[i] = (y[i] - pi) / weight[i];
        }
        // Coordinate descent on sum_i weight_i (z_i - b' - x_i w')^2 / 2 + lambda |w'|.
        let (mut nb, mut nw) = (b, w.clone());
        let problem = Quadratic {
            cols: &cols,
            weight: &weight,
            col_scale: cols
                .iter()
                .map(|c| c.iter().zip(&weight).map(|(v, wt)| wt * v * v).sum())
                .collect(),
            weight_sum: weight.iter().sum(),
            lambda,
        };
        // The working response z = eta + residual, fixed for this Newton step.
        let z: Vec<f64> = eta.iter().zip(&residual).map(|(e, r)| e + r).collect();
        // Sweeps over every coordinate alternate with sweeps over the active (non-zero) ones
        // until those settle (glmnet's active-set strategy); done when a full sweep moves
        // nothing by more than the tolerance.
        let mut sweeps = 0;
        loop {
            let largest = problem.sweep(&mut residual, &mut nb, &mut nw, None);
            sweeps += 1;
            if largest < CD_TOLERANCE || sweeps >= MAX_SWEEPS {
                break;
            }
            let active: Vec<usize> = (0..p).filter(|&j| nw[j] != 0.0).collect();
            for _ in 0..ACTIVE_SWEEPS {
                let moved = problem.sweep(&mut residual, &mut nb, &mut nw, Some(&active));
                sweeps += 1;
                if moved < CD_TOLERANCE {
                    break;
                }
            }
            // Coordinate descent crawls on strongly correlated features: jump to the exact
            // minimiser on the current active set and signs (or as far towards it as the
            // signs allow); the next full sweep checks the inactive features.
            if let Some(active) = active_set_step(&cols, &weight, &z, lambda, &mut nb, &mut nw) {
                for i in 0..n {
                    residual[i] =
                        z[i] - nb - active.iter().map(|&j| cols[j][i] * nw[j]).sum::<f64>();
                }
            }
        }
        // Damped step: halve until the objective does not rise.
        let (db, dw): (f64, Vec<f64>) = (nb - b, nw.iter().zip(&w).map(|(a, c)| a - c).collect());
        let mut t = 1.0;
        let (mut cb, mut cw) = (nb, nw);
        let mut value = objective(x, y, cb, &cw, lambda);
        while value > current + 1e-12 * current.abs().max(1.0) && t > 1e-10 {
            t /= 2.0;
            cb = b + t * db;
            cw = w.iter().zip(&dw).map(|(a, d)| a + t * d).collect();
            value = objective(x, y, cb, &cw, lambda);
        }
        let change = (cb - b).abs().max(
            cw.iter()
                .zip(&w)
                .map(|(a, c)| (a - c).abs())
                .fold(0.0, f64::max),
        );
        b = cb;
        w = cw;
        current = value;
        for i in 0..n {
            eta[i] = b;
        }
        for (j, col) in cols.iter().enumerate() {
            if w[j] != 0.0 {
                eta.iter_mut().zip(col).for_each(|(e, v)| *e += w[j] * v);
            }
        }
        if change < 1e-11 {
            converged = true;
            break;
        }
    }
    Ok(Fit {
        intercept: b,
        coef: w,
        iterations,
        converged,
    })
}

/// Standardisation as scikit-learn's StandardScaler: mean and population SD (ddof 0) of each
/// column, fitted on one set of rows (a training fold) and applied to any.
#[derive(Debug, Clone, PartialEq)]
pub struct Scaler {
    /// Each column's mean.
    pub mean: Vec<f64>,
    /// Each column's population SD (1 where it is 0).
    pub sd: Vec<f64>,
}

impl Scaler {
    /// Fits the scaler on rows `x`.
    pub fn fit(x: &[Vec<f64>]) -> Scaler {
        let n = x.len().max(1) as f64;
        let p = x.first().map_or(0, Vec::len);
        let mean: Vec<f64> = (0..p)
            .map(|j| x.iter().map(|r| r[j]).sum::<f64>() / n)
            .collect();
        let sd = (0..p)
            .map(|j| {
                let v = x.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n;
                // A constant column is left centred, unscaled (as StandardScaler does).
                if v > 0.0 { v.sqrt() } else { 1.0 }
            })
            .collect();
        Scaler { mean, sd }
    }

    /// Standardises rows `x` with the fitted means and SDs.
    pub fn transform(&self, x: &[Vec<f64>]) -> Vec<Vec<f64>> {
        x.iter()
            .map(|r| {
                r.iter()
                    .enumerate()
                    .map(|(j, v)| (v - self.mean[j]) / self.sd[j])
                    .collect()
            })
            .collect()
    }
}
