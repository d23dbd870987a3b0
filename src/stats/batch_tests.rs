//! Tests for a batch (site, scanner) effect in one feature: the Kruskal-Wallis test across all
//! batches, two-sample Kolmogorov-Smirnov tests between every pair of batches, and the
//! Benjamini-Hochberg false discovery rate adjustment across features.

use statrs::distribution::{ChiSquared, ContinuousCDF};

/// Kruskal-Wallis H (with the tie correction) and its chi-square p value on k - 1 df.
pub fn kruskal_wallis(groups: &[Vec<f64>]) -> Result<(f64, f64), String> {
    let k = groups.len();
    if k < 2 {
        return Err(format!("Kruskal-Wallis needs at least 2 groups, got {k}"));
    }
    if let Some((i, _)) = groups.iter().enumerate().find(|(_, g)| g.is_empty()) {
        return Err(format!("group {i} is empty"));
    }
    let mut all: Vec<(f64, usize)> = groups
        .iter()
        .enumerate()
        .flat_map(|(g, v)| v.iter().map(move |x| (*x, g)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = all.len() as f64;
    let mut rank_sums = vec![0.0; k];
    let mut ties = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        for item in &all[i..=j] {
            rank_sums[item.1] += rank;
        }
        i = j + 1;
    }
    let h: f64 = 12.0 / (n * (n + 1.0))
        * groups
            .iter()
            .zip(&rank_sums)
            .map(|(g, r)| r * r / g.len() as f64)
            .sum::<f64>()
        - 3.0 * (n + 1.0);
    let correction = 1.0 - ties / (n * n * n - n);
    if correction == 0.0 {
        return Err("all values are equal: Kruskal-Wallis is undefined".into());
    }
    let h = h / correction;
    if !h.is_finite() {
        return Err("Kruskal-Wallis H is not finite (non-finite values?)".into());
    }
    // Rounding can leave H a hair below zero when the groups are identical.
    let p = if h <= 0.0 {
        1.0
    } else {
        ChiSquared::new((k - 1) as f64).map_or(f64::NAN, |c| c.sf(h))
    };
    Ok((h, p))
}

/// Two-sample Kolmogorov-Smirnov statistic D and its asymptotic p value
/// Q(√(n m / (n + m)) · D), Q the Kolmogorov distribution's survival function.
pub fn kolmogorov_smirnov(a: &[f64], b: &[f64]) -> Result<(f64, f64), String> {
    let mut x = a.to_vec();
    let mut y = b.to_vec();
    x.sort_by(f64::total_cmp);
    y.sort_by(f64::total_cmp);
    kolmogorov_smirnov_sorted(&x, &y)
}

/// `kolmogorov_smirnov` of two samples already sorted ascending.
pub fn kolmogorov_smirnov_sorted(x: &[f64], y: &[f64]) -> Result<(f64, f64), String> {
    if x.is_empty() || y.is_empty() {
        return Err("Kolmogorov-Smirnov needs two non-empty samples".into());
    }
    let (n, m) = (x.len() as f64, y.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < x.len() && j < y.len() {
        let v = x[i].min(y[j]);
        while i < x.len() && x[i] == v {
            i += 1;
        }
        while j < y.len() && y[j] == v {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    let en = (n * m / (n + m)).sqrt();
    Ok((d, kolmogorov_sf(en * d)))
}

/// The Kolmogorov distribution's survival function 2 Σ (-1)^(k-1) exp(-2 k² x²).
fn kolmogorov_sf(x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    if x < 0.2 {
        // The alternating series converges slowly here and the value is 1 to 1e-15.
        return 1.0;
    }
    let mut sum = 0.0;
    for k in 1..=100 {
        let kf = k as f64;
        let term = (-2.0 * kf * kf * x * x).exp();
        sum += if k % 2 == 1 { term } else { -term };
        if term < 1e-17 {
            break;
        }
    }
    (2.0 * sum).clamp(0.0, 1.0)
}

/// Benjamini-Hochberg adjusted p values (q values), in the input order. NaN stays NaN and is
/// not counted.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let m = order.len() as f64;
    let mut q = vec![f64::NAN; p.len()];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m / (rank + 1) as f64);
        q[i] = running.min(1.0);
    }
    q
}

/// Batch-effect tests of one feature.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchEffect {
    /// Kruskal-Wallis H across batches.
    pub kruskal_h: f64,
    /// Its p value.
    pub kruskal_p: f64,
    /// The smallest pairwise KS p value (Bonferroni-adjusted over the pairs).
    pub ks_min_p: f64,
    /// The largest pairwise KS statistic.
    pub ks_max_d: f64,
}

/// Kruskal-Wallis across batches and pairwise KS between them, for one feature.
pub fn batch_effect(groups: &[Vec<f64>]) -> Result<BatchEffect, String> {
    let (h, p) = kruskal_wallis(groups)?;
    let sorted: Vec<Vec<f64>> = groups
        .iter()
        .map(|g| {
            let mut g = g.clone();
            g.sort_by(f64::total_cmp);
            g
        })
        .collect();
    let mut min_p = 1.0f64;
    let mut max_d = 0.0f64;
    let mut pairs = 0usize;
    for a in 0..sorted.len() {
        for b in a + 1..sorted.len() {
            let (d, pk) = kolmogorov_smirnov_sorted(&sorted[a], &sorted[b])?;
            min_p = min_p.min(pk);
            max_d = max_d.max(d);
            pairs += 1;
        }
    }
    Ok(BatchEffect {
        kruskal_h: h,
        kruskal_p: p,
        ks_min_p: (min_p * pairs as f64).min(1.0),
        ks_max_d: max_d,
    })
}
