//! Smooth (nonlinear) covariate effects for ComBat, as ComBat-GAM (Pomponio et al., NeuroImage
//! 2020; neuroHarmonize 2.5) fits them: a covariate such as age enters the design as a cubic
//! B-spline basis of 10 degrees of freedom (knots at the quantiles of its values, boundary knots
//! at its range, the first basis function dropped because the batch columns carry the
//! intercept), and its coefficients are penalised by the integrated squared second derivative
//! of the curve. For a Gaussian response that fit is penalised least squares,
//! β = (X'X + 2α S)⁻¹ X'y, the factor 2 being statsmodels' (GLMGam's PIRLS doubles the penalty).
//!
//! The penalty weight α is chosen per feature from neuroHarmonize's grid, 10^(0.7 k) for
//! k = 0..10. neuroHarmonize chooses it by 5-fold cross-validation on folds shuffled by a fresh,
//! OS-seeded generator (statsmodels 0.15), so its result changes from run to run; radaudit
//! chooses by generalised cross-validation (Craven & Wahba 1979) on the same grid, which needs
//! no folds and gives the same result every run. A fixed weight, or one per feature (to
//! reproduce a neuroHarmonize run), can be given instead.

use serde::{Deserialize, Serialize};

/// Basis functions of a smooth term (neuroHarmonize's `df`), the dropped constant included.
pub const SPLINE_DF: usize = 10;
/// The splines' degree (cubic).
pub const SPLINE_DEGREE: usize = 3;
/// Design columns a smooth term takes: the basis without its first function.
pub const SMOOTH_WIDTH: usize = SPLINE_DF - 1;

/// How each feature's penalty weight α is chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SmoothPenalty {
    /// Generalised cross-validation over the grid 10^(0.7 k), k = 0..10 (deterministic).
    #[default]
    Gcv,
    /// One weight for every feature.
    Fixed(f64),
    /// One weight per feature, in feature order (e.g. the weights a neuroHarmonize run chose).
    PerFeature(Vec<f64>),
}

/// neuroHarmonize's grid of penalty weights: `np.logspace(0, 7, 11)`.
pub fn alpha_grid() -> Vec<f64> {
    // As np.linspace forms its points: k times the step 7/10.
    (0..11)
        .map(|k| 10f64.powf(k as f64 * (7.0 / 10.0)))
        .collect()
}

/// The largest penalty weight accepted (beyond it the curve is a straight line to rounding).
pub const MAX_ALPHA: f64 = 1e12;

/// Checks a user-given penalty weight.
pub fn check_alpha(alpha: f64) -> Result<(), String> {
    if alpha.is_finite() && alpha > 0.0 && alpha <= MAX_ALPHA {
        Ok(())
    } else {
        Err(format!(
            "the smooth penalty weight must be a number in (0, {MAX_ALPHA:e}]; got {alpha}"
        ))
    }
}

/// numpy's default (linear) percentile of sorted values at probability `p` in [0, 1].
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let position = p * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    let t = position - below as f64;
    let (a, b) = (sorted[below], sorted[above]);
    // numpy's _lerp: from the nearer end, so t = 1 gives b exactly.
    if t >= 0.5 {
        b - (b - a) * (1.0 - t)
    } else {
        a + (b - a) * t
    }
}

/// The full knot sequence for the values `x` (as statsmodels' `get_knots_bsplines` with
/// quantile spacing): each boundary knot `degree + 1` times, interior knots at the quantiles
/// k / (df - degree) of the values. Needs finite values, at least `SPLINE_DF` of them
/// distinct, and a range that is a finite number.
pub fn knots(name: &str, x: &[f64]) -> Result<Vec<f64>, String> {
    if let Some(v) = x.iter().find(|v| !v.is_finite()) {
        return Err(format!(
            "smooth covariate {name:?} has the value {v}, which is not a finite number"
        ));
    }
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut distinct = sorted.clone();
    distinct.dedup();
    // As mgcv requires: no more basis functions than distinct values (else the curve is not
    // identified and the penalised system is singular).
    if distinct.len() < SPLINE_DF {
        return Err(format!(
            "smooth covariate {name:?} has {} distinct values; a curve of {SPLINE_DF} degrees of \
             freedom needs at least {SPLINE_DF}: enter it as a linear covariate",
            distinct.len()
        ));
    }
    let (lo, hi) = (sorted[0], sorted[sorted.len() - 1]);
    if !(hi - lo).is_finite() {
        return Err(format!(
            "smooth covariate {name:?} spans {lo:e} to {hi:e}, a range beyond floating point"
        ));
    }
    let order = SPLINE_DEGREE + 1;
    let inner = SPLINE_DF - order;
    let mut all = vec![lo; order];
    // np.linspace(0, 1, inner + 2)[1:-1], then np.percentile(x, 100 p) (which divides by 100).
    let step = 1.0 / (inner + 1) as f64;
    all.extend((1..=inner).map(|k| quantile(&sorted, (100.0 * (k as f64 * step)) / 100.0)));
    all.extend(std::iter::repeat_n(hi, order));
    all.sort_by(f64::total_cmp);
    Ok(all)
}

/// The knot interval holding `x`: the `l` with t[l] <= x < t[l+1], the last non-empty one at
/// the right boundary (as FITPACK's splev).
fn interval(t: &[f64], x: f64) -> usize {
    let k = SPLINE_DEGREE;
    let last = t.len() - k - 2;
    let mut l = k;
    while l < last && x >= t[l + 1] {
        l += 1;
    }
    l
}

/// Values (deriv 0) or derivatives of every B-spline of degree `SPLINE_DEGREE` on knots `t`
/// at `x`, all `t.len() - degree - 1` of them.
fn basis_all(t: &[f64], x: f64, deriv: usize) -> Vec<f64> {
    let l = interval(t, x);
    // Degree 0: the indicator of the interval; then Cox-de Boor up to degree - deriv.
    let mut b = vec![0.0; t.len() - 1];
    b[l] = 1.0;
    let ratio = |num: f64, den: f64| if den > 0.0 { num / den } else { 0.0 };
    for p in 1..=SPLINE_DEGREE - deriv {
        let next: Vec<f64> = (0..t.len() - p - 1)
            .map(|i| {
                ratio(x - t[i], t[i + p] - t[i]) * b[i]
                    + ratio(t[i + p + 1] - x, t[i + p + 1] - t[i + 1]) * b[i + 1]
            })
            .collect();
        b = next;
    }
    // Each derivative: B'_{i,p} = p (B_{i,p-1} / (t_{i+p} - t_i) - B_{i+1,p-1} / (t_{i+p+1} - t_{i+1})).
    for p in SPLINE_DEGREE - deriv + 1..=SPLINE_DEGREE {
        let next: Vec<f64> = (0..t.len() - p - 1)
            .map(|i| {
                p as f64 * (ratio(b[i], t[i + p] - t[i]) - ratio(b[i + 1], t[i + p + 1] - t[i + 1]))
            })
            .collect();
        b = next;
    }
    b
}

/// The smooth term's design columns at `x`: the basis without its first function.
pub fn basis_row(t: &[f64], x: f64) -> Vec<f64> {
    basis_all(t, x, 0)[1..].to_vec()
}

/// Whether `x` lies where the basis is defined, between the boundary knots.
pub fn in_range(t: &[f64], x: f64) -> bool {
    matches!((t.first(), t.last()), (Some(&lo), Some(&hi)) if x >= lo && x <= hi)
}

/// The penalty matrix S = ∫ B''_i B''_j over the knots' range, for the basis without its first
/// function, as statsmodels' `get_covder2` computes it: Simpson's rule on the distinct knots
/// with 3 points inserted in each interval (exact for simple knots: B'' is piecewise linear).
pub fn penalty(t: &[f64]) -> Vec<Vec<f64>> {
    let mut distinct = t.to_vec();
    distinct.dedup();
    let mut points = Vec::new();
    for w in distinct.windows(2) {
        points.extend((0..4).map(|k| w[0] + (w[1] - w[0]) * (k as f64 / 4.0)));
    }
    points.extend(distinct.last().copied());
    let d2: Vec<Vec<f64>> = points
        .iter()
        .map(|&x| basis_all(t, x, 2)[1..].to_vec())
        .collect();
    let m = SMOOTH_WIDTH;
    let mut s = vec![vec![0.0; m]; m];
    // scipy.integrate.simpson on possibly uneven spacing, over pairs of intervals.
    for k in (0..points.len().saturating_sub(2)).step_by(2) {
        let (h0, h1) = (points[k + 1] - points[k], points[k + 2] - points[k + 1]);
        let (w0, w1, w2) = (
            (h0 + h1) / 6.0 * (2.0 - h1 / h0),
            (h0 + h1) / 6.0 * ((h0 + h1) * (h0 + h1) / (h0 * h1)),
            (h0 + h1) / 6.0 * (2.0 - h0 / h1),
        );
        for (i, row) in s.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v += w0 * d2[k][i] * d2[k][j]
                    + w1 * d2[k + 1][i] * d2[k + 1][j]
                    + w2 * d2[k + 2][i] * d2[k + 2][j];
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_basis_is_a_partition_of_unity_with_its_first_function() {
        let x: Vec<f64> = (0..40).map(|i| 40.0 + (i * i) as f64 * 0.03).collect();
        let t = knots("age", &x).unwrap();
        assert_eq!(t.len(), SPLINE_DF + SPLINE_DEGREE + 1);
        for &v in &[t[0], 45.3, 50.0, *t.last().unwrap()] {
            let all = basis_all(&t, v, 0);
            assert!(
                (all.iter().sum::<f64>() - 1.0).abs() < 1e-14,
                "{v}: {all:?}"
            );
        }
        // Second derivatives of a partition of unity sum to zero.
        let d2 = basis_all(&t, 47.7, 2);
        assert!(d2.iter().sum::<f64>().abs() < 1e-12);
    }

    #[test]
    fn degenerate_smooth_values_are_refused() {
        assert!(
            knots("age", &[50.0, 50.0, 50.0])
                .unwrap_err()
                .contains("1 distinct")
        );
        let nine: Vec<f64> = (0..30).map(|i| (i % 9) as f64).collect();
        assert!(
            knots("age", &nine)
                .unwrap_err()
                .contains("9 distinct values")
        );
        assert!(
            knots("age", &[50.0, f64::NAN])
                .unwrap_err()
                .contains("not a finite")
        );
        assert!(check_alpha(0.0).is_err() && check_alpha(f64::NAN).is_err());
        assert!(check_alpha(1e13).is_err() && check_alpha(125.0).is_ok());
    }
}
