//! ComBat's first step for each feature, arranged for speed: the OLS fit of the design, the
//! pooled variance and the per-batch moments of the standardized data, which is all the
//! empirical Bayes step needs.
//!
//! Subjects are reordered once so each batch is a contiguous slice (results are returned in
//! input order). X'y is formed from batch sums and covariate products instead of a dense
//! (X'X)^-1 X' product, because the batch columns are indicators; the numbers agree with
//! neuroCombat's `inv(X'X) X' y` to rounding (1e-13 on the golden runs).

use std::ops::Range;

use nalgebra::{DMatrix, DVector};

use super::FeatureHandling;

/// A feature's residual SD counts as zero below this fraction of its largest magnitude
/// (rounding noise of the least-squares fit).
const ZERO_RESIDUAL: f64 = 1e-10;

/// The subjects in batch-contiguous order, with what every feature's fit shares.
pub struct Layout {
    /// `order[k]`: the input index of the subject at sorted position k.
    pub order: Vec<usize>,
    /// Each batch's slice of sorted positions.
    pub ranges: Vec<Range<usize>>,
    /// The covariate design columns, in sorted order.
    pub covariate_columns: Vec<Vec<f64>>,
    pub reference: Option<usize>,
    /// (X'X)^-1 of the full design (without a smooth term).
    inverse: DMatrix<f64>,
    /// With a smooth term: (X'X + 2α S)^-1 per weight α tried, and how α is chosen.
    penalised: Option<Penalised>,
    /// (B'B)^-1 of the batch columns.
    batch_inverse: DMatrix<f64>,
    /// n_b / n, for the grand mean without a reference batch.
    weights: Vec<f64>,
}

/// A smooth term's penalty: its columns start at `offset` in the design, `matrix` is S.
pub struct Penalty {
    pub offset: usize,
    pub matrix: Vec<Vec<f64>>,
    pub choice: PenaltyChoice,
}

/// How the penalty weight α of each feature is chosen.
pub enum PenaltyChoice {
    /// By generalised cross-validation among these weights.
    Gcv(Vec<f64>),
    /// Given, one per feature.
    PerFeature(Vec<f64>),
}

/// The penalised fits a layout can make: per weight, the inverse and the trace of the hat
/// matrix (the fit's effective degrees of freedom).
struct Penalised {
    alphas: Vec<f64>,
    inverses: Vec<DMatrix<f64>>,
    traces: Vec<f64>,
    /// With given weights, each feature's index into `alphas`; else GCV over all.
    per_feature: Option<Vec<usize>>,
}

impl Penalised {
    fn new(gram: &DMatrix<f64>, penalty: Penalty) -> Result<Penalised, String> {
        let (alphas, per_feature) = match penalty.choice {
            PenaltyChoice::Gcv(grid) => (grid, None),
            PenaltyChoice::PerFeature(given) => {
                let mut distinct = given.clone();
                distinct.sort_by(f64::total_cmp);
                distinct.dedup();
                let index = given
                    .iter()
                    .map(|a| distinct.iter().position(|d| d == a).unwrap_or(0))
                    .collect();
                (distinct, Some(index))
            }
        };
        let mut inverses = Vec::with_capacity(alphas.len());
        let mut traces = Vec::with_capacity(alphas.len());
        for &alpha in &alphas {
            let mut a = gram.clone();
            for (i, row) in penalty.matrix.iter().enumerate() {
                for (j, v) in row.iter().enumerate() {
                    a[(penalty.offset + i, penalty.offset + j)] += 2.0 * alpha * v;
                }
            }
            let inverse = a.try_inverse().ok_or_else(|| {
                format!("the penalised design cannot be inverted at penalty weight {alpha}")
            })?;
            traces.push((&inverse * gram).trace());
            inverses.push(inverse);
        }
        Ok(Penalised {
            alphas,
            inverses,
            traces,
            per_feature,
        })
    }
}

impl Layout {
    /// `design`: subjects x columns (batch columns first), `batch_index` per subject; with a
    /// smooth term, its penalty.
    pub fn new(
        design: &DMatrix<f64>,
        batch_index: &[usize],
        nb: usize,
        reference: Option<usize>,
        penalty: Option<Penalty>,
    ) -> Result<Layout, String> {
        let n = batch_index.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| batch_index[i]);
        let mut ranges = Vec::with_capacity(nb);
        let mut start = 0;
        for b in 0..nb {
            let count = batch_index.iter().filter(|&&x| x == b).count();
            ranges.push(start..start + count);
            start += count;
        }
        let covariate_columns = (nb..design.ncols())
            .map(|c| order.iter().map(|&i| design[(i, c)]).collect())
            .collect();
        let gram = design.transpose() * design;
        let penalised = penalty.map(|p| Penalised::new(&gram, p)).transpose()?;
        // With a smooth term the unpenalised Gram matrix may be singular; it is not used.
        let inverse = match penalised {
            Some(_) => DMatrix::zeros(0, 0),
            None => gram
                .try_inverse()
                .ok_or_else(|| "the design matrix cannot be inverted".to_string())?,
        };
        let batch_design = design.columns(0, nb).into_owned();
        let batch_inverse = (batch_design.transpose() * &batch_design)
            .try_inverse()
            .ok_or_else(|| "the batch design cannot be inverted".to_string())?;
        let weights = ranges.iter().map(|r| r.len() as f64 / n as f64).collect();
        Ok(Layout {
            order,
            ranges,
            covariate_columns,
            reference,
            inverse,
            penalised,
            batch_inverse,
            weights,
        })
    }

    /// The batch part of a subject's fitted value in batch `b`.
    fn batch_fit(&self, beta: &[f64], b: usize) -> f64 {
        match self.reference {
            Some(r) if r != b => beta[r] + beta[b],
            _ => beta[b],
        }
    }

    /// The residual sum of squares of the fit `beta` over every subject (sorted `y`).
    fn residual_ss(&self, y: &[f64], beta: &[f64]) -> f64 {
        let mod_mean = self.covariate_effect(beta);
        self.ranges
            .iter()
            .enumerate()
            .map(|(b, r)| {
                squared_deviations(&y[r.clone()], &mod_mean[r.clone()], self.batch_fit(beta, b))
            })
            .sum()
    }

    /// The coefficients for X'y (`xty`) of feature `feature` (sorted values `y`), and the
    /// smooth term's penalty weight if there is one: the given weight, or the grid's weight
    /// with the lowest GCV score n·RSS / (n - tr H)² (the first on a tie).
    fn coefficients(
        &self,
        xty: DVector<f64>,
        y: &[f64],
        feature: usize,
    ) -> (Vec<f64>, Option<f64>) {
        let Some(p) = &self.penalised else {
            return ((&self.inverse * xty).iter().copied().collect(), None);
        };
        let solve = |k: usize| -> Vec<f64> { (&p.inverses[k] * &xty).iter().copied().collect() };
        if let Some(index) = &p.per_feature {
            let k = index[feature];
            return (solve(k), Some(p.alphas[k]));
        }
        let n = y.len() as f64;
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for k in 0..p.alphas.len() {
            let beta = solve(k);
            let rss = self.residual_ss(y, &beta);
            let score = n * rss / ((n - p.traces[k]) * (n - p.traces[k]));
            if best.as_ref().is_none_or(|(s, _, _)| score < *s) {
                best = Some((score, k, beta));
            }
        }
        let (_, k, beta) = best.expect("the grid is not empty");
        (beta, Some(p.alphas[k]))
    }

    pub fn batches(&self) -> usize {
        self.ranges.len()
    }

    /// A feature's values in sorted order.
    pub fn gather(&self, y: &[f64]) -> Vec<f64> {
        self.order.iter().map(|&i| y[i]).collect()
    }

    /// The covariate part x β of each subject (sorted order).
    pub fn covariate_effect(&self, beta: &[f64]) -> Vec<f64> {
        let nb = self.batches();
        let mut out = vec![0.0; self.order.len()];
        for (column, b) in self.covariate_columns.iter().zip(&beta[nb..]) {
            for (o, x) in out.iter_mut().zip(column) {
                *o += x * b;
            }
        }
        out
    }
}

/// One feature after standardization.
#[derive(Debug, Clone)]
pub struct Standardized {
    pub beta: Vec<f64>,
    pub stand_mean: f64,
    pub var_pooled: f64,
    pub handling: FeatureHandling,
    /// Per batch: the mean and the sum of squared deviations of the standardized values.
    pub batch_mean: Vec<f64>,
    pub batch_ss: Vec<f64>,
    /// gamma_hat per batch (least squares on the batch columns).
    pub gamma_hat: Vec<f64>,
    /// Whether the values' sum is finite (false: some value is NaN or infinite, or huge).
    pub finite_sum: bool,
    /// The smooth term's penalty weight, if there is one.
    pub alpha: Option<f64>,
}

/// Sums with eight independent accumulators: the per-feature passes are bound by the latency
/// of a single running sum otherwise (and the rounding is closer to numpy's pairwise sum).
fn lanes<F: Fn(usize) -> f64>(len: usize, term: F) -> f64 {
    let mut acc = [0.0f64; 8];
    let full = len / 8 * 8;
    let mut k = 0;
    while k < full {
        for (l, a) in acc.iter_mut().enumerate() {
            *a += term(k + l);
        }
        k += 8;
    }
    let mut tail = 0.0;
    for k in full..len {
        tail += term(k);
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

fn sum(x: &[f64]) -> f64 {
    lanes(x.len(), |k| x[k])
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    let b = &b[..a.len()];
    lanes(a.len(), |k| a[k] * b[k])
}

/// Σ (x - m - c)².
fn squared_deviations(x: &[f64], m: &[f64], c: f64) -> f64 {
    let m = &m[..x.len()];
    lanes(x.len(), |k| {
        let d = x[k] - m[k] - c;
        d * d
    })
}

/// Σ (x - c)².
fn squared_deviations_from(x: &[f64], c: f64) -> f64 {
    lanes(x.len(), |k| {
        let d = x[k] - c;
        d * d
    })
}

/// The smallest and largest value, over four lanes (a single running min is latency-bound).
fn min_max(x: &[f64]) -> (f64, f64) {
    let mut lo = [f64::INFINITY; 4];
    let mut hi = [f64::NEG_INFINITY; 4];
    let chunks = x.chunks_exact(4);
    let rest = chunks.remainder();
    for c in chunks {
        for l in 0..4 {
            lo[l] = lo[l].min(c[l]);
            hi[l] = hi[l].max(c[l]);
        }
    }
    for v in rest {
        lo[0] = lo[0].min(*v);
        hi[0] = hi[0].max(*v);
    }
    (
        lo[0].min(lo[1]).min(lo[2].min(lo[3])),
        hi[0].max(hi[1]).max(hi[2].max(hi[3])),
    )
}

/// Fits feature number `feature` (`y` in input order).
pub fn standardize(layout: &Layout, y_input: &[f64], feature: usize) -> Standardized {
    let nb = layout.batches();
    let y = layout.gather(y_input);
    // X'y: batch sums (the reference column, if any, sums everyone), then covariate products.
    let sums: Vec<f64> = layout.ranges.iter().map(|r| sum(&y[r.clone()])).collect();
    let total: f64 = sums.iter().sum();
    let mut xty: Vec<f64> = (0..nb)
        .map(|b| {
            if Some(b) == layout.reference {
                total
            } else {
                sums[b]
            }
        })
        .collect();
    xty.extend(layout.covariate_columns.iter().map(|c| dot(c, &y)));
    let (beta, alpha) = layout.coefficients(DVector::from_vec(xty), &y, feature);
    let stand_mean = match layout.reference {
        Some(r) => beta[r],
        None => layout.weights.iter().zip(&beta).map(|(w, b)| w * b).sum(),
    };
    let mod_mean = layout.covariate_effect(&beta);
    let batch_fit = |b: usize| layout.batch_fit(&beta, b);
    let pooled: Vec<usize> = match layout.reference {
        Some(r) => vec![r],
        None => (0..nb).collect(),
    };
    let mut ss = 0.0;
    let mut count = 0;
    for &b in &pooled {
        let r = layout.ranges[b].clone();
        count += r.len();
        ss += squared_deviations(&y[r.clone()], &mod_mean[r], batch_fit(b));
    }
    let var_pooled = ss / count as f64;

    let (lo, hi) = min_max(&y);
    let handling = if lo == hi {
        FeatureHandling::Constant
    } else if var_pooled.sqrt() <= ZERO_RESIDUAL * lo.abs().max(hi.abs()) {
        FeatureHandling::NoResidual
    } else {
        FeatureHandling::Harmonized
    };
    if handling != FeatureHandling::Harmonized {
        // Enters the priors as neuroCombat enters an exactly constant feature: standardized
        // values all 0 (gamma_hat 0, delta_hat 0 -> 1). A constant has no covariate effect;
        // its fitted one is rounding noise.
        let mut beta = beta;
        if handling == FeatureHandling::Constant {
            beta[nb..].iter_mut().for_each(|b| *b = 0.0);
        }
        return Standardized {
            beta,
            stand_mean,
            var_pooled: 1.0,
            handling,
            batch_mean: vec![0.0; nb],
            batch_ss: vec![0.0; nb],
            gamma_hat: vec![0.0; nb],
            finite_sum: total.is_finite(),
            alpha,
        };
    }
    let sd = var_pooled.sqrt();
    let inv_sd = 1.0 / sd;
    let s: Vec<f64> = y
        .iter()
        .zip(&mod_mean)
        .map(|(y, m)| (y - stand_mean - m) * inv_sd)
        .collect();
    let mut batch_mean = Vec::with_capacity(nb);
    let mut batch_ss = Vec::with_capacity(nb);
    let mut batch_sum = Vec::with_capacity(nb);
    for r in &layout.ranges {
        let slice = &s[r.clone()];
        let total = sum(slice);
        let mean = total / slice.len() as f64;
        batch_sum.push(total);
        batch_mean.push(mean);
        batch_ss.push(squared_deviations_from(slice, mean));
    }
    // gamma_hat = (B'B)^-1 B's; B's holds batch sums (the reference column sums everyone).
    let s_total: f64 = batch_sum.iter().sum();
    let bts: Vec<f64> = (0..nb)
        .map(|b| {
            if Some(b) == layout.reference {
                s_total
            } else {
                batch_sum[b]
            }
        })
        .collect();
    let gamma_hat: Vec<f64> = (&layout.batch_inverse * DVector::from_vec(bts))
        .iter()
        .copied()
        .collect();
    Standardized {
        beta,
        stand_mean,
        var_pooled,
        handling,
        batch_mean,
        batch_ss,
        gamma_hat,
        finite_sum: total.is_finite(),
        alpha,
    }
}
