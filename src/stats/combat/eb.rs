//! The empirical Bayes step of ComBat: per-batch priors over features, the parametric
//! fixed-point solution (`it_sol` in sva and neuroCombat) and the non-parametric
//! likelihood-weighted average over the other features (`int_eprior`).
//!
//! The arithmetic follows neuroCombat 0.2.12 so its results are reproduced to rounding:
//! sample variances with ddof = 1, the inverse-gamma prior moments
//! a = (2 s² + m²) / s², b = (m s² + m³) / s², and the iteration's stopping rule
//! max(|g_new - g_old| / g_old, |d_new - d_old| / d_old) < 1e-4 taken over all features at
//! once (the ratio is signed, as in sva and neuroCombat, so features whose estimate is negative
//! never hold the iteration back; kept for compatibility). Unlike neuroCombat, the
//! non-parametric likelihoods are combined in log space, so batches of hundreds of subjects
//! do not under- or overflow to NaN.

pub use crate::stats::mean_var;

/// The priors of one batch, from its per-feature location and scale estimates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Priors {
    pub gamma_bar: f64,
    pub t2: f64,
    /// Inverse-gamma shape and scale of the variance prior (absent for mean-only ComBat).
    pub a: Option<f64>,
    pub b: Option<f64>,
}

/// Priors of one batch: gamma ~ N(gamma_bar, t2), delta ~ InvGamma(a, b) by the method of
/// moments over features.
pub fn priors(gamma_hat: &[f64], delta_hat: &[f64], mean_only: bool) -> Priors {
    let (gamma_bar, t2) = mean_var(gamma_hat);
    let (a, b) = if mean_only {
        (None, None)
    } else {
        let (m, s2) = mean_var(delta_hat);
        (
            Some((2.0 * s2 + m * m) / s2),
            Some((m * s2 + m * m * m) / s2),
        )
    };
    Priors {
        gamma_bar,
        t2,
        a,
        b,
    }
}

/// The largest element as numpy's `max` gives it: NaN if any element is NaN.
fn numpy_max(values: impl Iterator<Item = f64>) -> f64 {
    let mut best = f64::NEG_INFINITY;
    for v in values {
        if v.is_nan() {
            return f64::NAN;
        }
        best = best.max(v);
    }
    best
}

/// The parametric EB estimates of one batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Adjustment {
    pub gamma_star: Vec<f64>,
    pub delta_star: Vec<f64>,
    pub iterations: usize,
    pub converged: bool,
}

/// At most this many fixed-point iterations (neuroCombat has no limit).
pub const MAX_ITERATIONS: usize = 10_000;

/// One batch's standardized data, summarised per feature: Σ (x - g)² = ss + n (mean - g)²
/// is all the EB step needs of it.
#[derive(Debug, Clone, Copy)]
pub struct Moments<'a> {
    /// Subjects in the batch.
    pub n: f64,
    pub mean: &'a [f64],
    /// Sum of squared deviations from the mean.
    pub ss: &'a [f64],
}

impl Moments<'_> {
    /// Σ (x - g)² of feature f.
    fn sum2(&self, f: usize, g: f64) -> f64 {
        self.ss[f] + self.n * (self.mean[f] - g).powi(2)
    }
}

/// The parametric EB fixed point for one batch.
pub fn parametric(data: &Moments, gamma_hat: &[f64], delta_hat: &[f64], p: &Priors) -> Adjustment {
    let (a, b) = (p.a.unwrap_or(f64::NAN), p.b.unwrap_or(f64::NAN));
    let features = gamma_hat.len();
    let n = data.n;
    let mut g_old = gamma_hat.to_vec();
    let mut d_old = delta_hat.to_vec();
    let mut g_new = vec![0.0; features];
    let mut d_new = vec![0.0; features];
    let mut iterations = 0;
    loop {
        for f in 0..features {
            g_new[f] = (p.t2 * n * gamma_hat[f] + d_old[f] * p.gamma_bar) / (p.t2 * n + d_old[f]);
            d_new[f] = (0.5 * data.sum2(f, g_new[f]) + b) / (n / 2.0 + a - 1.0);
        }
        let change_g = numpy_max((0..features).map(|f| (g_new[f] - g_old[f]).abs() / g_old[f]));
        let change_d = numpy_max((0..features).map(|f| (d_new[f] - d_old[f]).abs() / d_old[f]));
        // Python's max(x, y) keeps x unless y > x, so a NaN x ends the loop.
        let change = if change_d > change_g {
            change_d
        } else {
            change_g
        };
        std::mem::swap(&mut g_old, &mut g_new);
        std::mem::swap(&mut d_old, &mut d_new);
        iterations += 1;
        // `while change > conv` in Python: a NaN change ends the loop too.
        let converged = change <= 1e-4 || change.is_nan();
        if converged || iterations >= MAX_ITERATIONS {
            return Adjustment {
                gamma_star: g_old,
                delta_star: d_old,
                iterations,
                converged,
            };
        }
    }
}

/// Mean-only parametric EB: the posterior mean with n = 1 and delta = 1, as sva and
/// neuroCombat compute it.
pub fn mean_only_posterior(gamma_hat: &[f64], p: &Priors) -> Vec<f64> {
    gamma_hat
        .iter()
        .map(|g| (p.t2 * g + p.gamma_bar) / (p.t2 + 1.0))
        .collect()
}

/// Non-parametric EB for one batch: each feature's gamma* and delta* are the averages of the
/// other features' estimates weighted by the likelihood of this feature's data under them,
/// L_j = (2π d_j)^(-n/2) exp(-Σ (x - g_j)² / (2 d_j)). Computed in log space, O(features²) per
/// batch.
pub fn nonparametric(data: &Moments, gamma_hat: &[f64], delta_hat: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let features = gamma_hat.len();
    let n = data.n;
    let log_norm: Vec<f64> = delta_hat
        .iter()
        .map(|d| -(n / 2.0) * (2.0 * std::f64::consts::PI * d).ln())
        .collect();
    let mut gamma_star = vec![0.0; features];
    let mut delta_star = vec![0.0; features];
    let mut log_lh = vec![0.0; features];
    for i in 0..features {
        let mut top = f64::NEG_INFINITY;
        for j in 0..features {
            if j == i {
                continue;
            }
            log_lh[j] = log_norm[j] - data.sum2(i, gamma_hat[j]) / (2.0 * delta_hat[j]);
            top = top.max(log_lh[j]);
        }
        let (mut w_sum, mut g_sum, mut d_sum) = (0.0, 0.0, 0.0);
        for j in 0..features {
            if j == i {
                continue;
            }
            let w = (log_lh[j] - top).exp();
            w_sum += w;
            g_sum += w * gamma_hat[j];
            d_sum += w * delta_hat[j];
        }
        gamma_star[i] = g_sum / w_sum;
        delta_star[i] = d_sum / w_sum;
    }
    (gamma_star, delta_star)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonparametric_stays_finite_on_large_batches() {
        // 600 subjects: neuroCombat's linear-space likelihoods underflow here.
        let rows: Vec<Vec<f64>> = (0..5)
            .map(|f| {
                (0..600)
                    .map(|i| ((i * 7 + f * 13) % 17) as f64 / 5.0 - 1.6 + f as f64 * 0.1)
                    .collect()
            })
            .collect();
        let g: Vec<f64> = rows.iter().map(|r| mean_var(r).0).collect();
        let d: Vec<f64> = rows.iter().map(|r| mean_var(r).1).collect();
        let ss: Vec<f64> = d.iter().map(|v| v * 599.0).collect();
        let m = Moments {
            n: 600.0,
            mean: &g,
            ss: &ss,
        };
        let (gs, ds) = nonparametric(&m, &g, &d);
        assert!(gs.iter().chain(&ds).all(|v| v.is_finite()));
        // Each estimate is a weighted average of the other features' estimates.
        for i in 0..5 {
            let others: Vec<f64> = (0..5).filter(|j| *j != i).map(|j| g[j]).collect();
            let lo = others.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = others.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert!(gs[i] >= lo - 1e-12 && gs[i] <= hi + 1e-12);
        }
    }
}
