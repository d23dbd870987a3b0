//! First-order (intensity) features, PyRadiomics `firstorder` (18 features; IBSI "intensity
//! statistics" and "intensity histogram" families).
//!
//! Let X be the intensities of the Np ROI voxels and p(i) the fraction of voxels in grey level
//! i after discretisation. PyRadiomics departs from IBSI in three documented places, kept here:
//! Energy, TotalEnergy and RootMeanSquared add `voxelArrayShift` to every intensity; Kurtosis is
//! m4/m2² (not excess kurtosis, IBSI IPH6 = this - 3); percentiles use numpy's linear
//! interpolation.

use super::discretise::Discretised;
use super::roi::Roi;
use crate::features::value::feature_values;

/// numpy's linear-interpolation percentile q of n values (`numpy.percentile`, method
/// "linear"): the ranks of the two neighbours (as a sort would place them) and the weight of
/// the upper one.
fn percentile_ranks(n: usize, q: f64) -> (usize, usize, f64) {
    let q = q / 100.0;
    // numpy's virtual index n·q + (α + q(1 - α - β)) - 1 with α = β = 1.
    let virtual_index = (n as f64 * q + (1.0 - q) - 1.0).clamp(0.0, (n - 1) as f64);
    let lo = virtual_index.floor();
    let t = virtual_index - lo;
    let lo = lo as usize;
    (lo, (lo + 1).min(n - 1), t)
}

/// numpy's lerp between neighbours a and b, which counts from b when t >= 0.5.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// The order statistics of `x` at `ranks`: each rank's value as a sort would place it, found
/// by successive selections (linear each) instead of a sort. `x` is reordered.
struct OrderStatistics {
    ranks: Vec<usize>,
    values: Vec<f64>,
}

impl OrderStatistics {
    fn new(x: &mut [f64], wanted: &[usize]) -> OrderStatistics {
        let mut ranks = wanted.to_vec();
        ranks.sort_unstable();
        ranks.dedup();
        let mut values = Vec::with_capacity(ranks.len());
        let (mut start, last) = (0, x.len().saturating_sub(1));
        for &r in &ranks {
            let rest = &mut x[start..];
            // Each selection leaves the larger values after it, so the next rank up is the
            // smallest of them and the last rank the largest: a scan, cheaper than a selection.
            let v = if r == start {
                let i = (0..rest.len())
                    .min_by(|&a, &b| rest[a].total_cmp(&rest[b]))
                    .unwrap_or(0);
                rest.swap(0, i);
                rest[0]
            } else if r == last {
                rest.iter()
                    .copied()
                    .max_by(f64::total_cmp)
                    .unwrap_or(f64::NAN)
            } else {
                *rest.select_nth_unstable_by(r - start, f64::total_cmp).1
            };
            values.push(v);
            start = r + 1;
        }
        OrderStatistics { ranks, values }
    }

    fn at(&self, rank: usize) -> f64 {
        self.ranks
            .binary_search(&rank)
            .map_or(f64::NAN, |k| self.values[k])
    }

    /// numpy's percentile q of the n values.
    fn percentile(&self, n: usize, q: f64) -> f64 {
        let (lo, hi, t) = percentile_ranks(n, q);
        lerp(self.at(lo), self.at(hi), t)
    }

    /// numpy's median: the middle value, or the mean of the middle two.
    fn median(&self, n: usize) -> f64 {
        if n % 2 == 1 {
            self.at(n / 2)
        } else {
            (self.at(n / 2 - 1) + self.at(n / 2)) / 2.0
        }
    }
}

feature_values! {
    /// First-order feature names, alphabetical (PyRadiomics' order).
    pub const NAMES;
    /// One value per first-order feature.
    pub struct Values {
        P10 = "10Percentile",
        P90 = "90Percentile",
        Energy,
        Entropy,
        InterquartileRange,
        Kurtosis,
        Maximum,
        MeanAbsoluteDeviation,
        Mean,
        Median,
        Minimum,
        Range,
        RobustMeanAbsoluteDeviation,
        RootMeanSquared,
        Skewness,
        TotalEnergy,
        Uniformity,
        Variance,
    }
}

/// The first-order features, in `NAMES` order.
pub fn features(roi: &Roi, disc: &Discretised, voxel_array_shift: f64) -> Vec<f64> {
    let mut x: Vec<f64> = roi
        .image
        .iter()
        .zip(roi.mask.iter())
        .filter(|(_, m)| **m)
        .map(|(v, _)| *v)
        .collect();
    let n = x.len() as f64;
    // Sums that do not depend on each other share a pass: each is still added in voxel
    // order (the same bits as one pass each), and the CPU overlaps their chains of adds.
    let (sum, energy) = x.iter().fold((0.0, 0.0), |(s, e), v| {
        (s + v, e + (v + voxel_array_shift).powi(2))
    });
    let mean = sum / n;
    let voxel_volume: f64 = roi.spacing.iter().product();
    let (s2, s3, s4, s_abs) = x.iter().fold((0.0, 0.0, 0.0, 0.0), |(a, b, c, d), v| {
        let dev = v - mean;
        (
            a + dev.powi(2),
            b + dev.powi(3),
            c + dev.powi(4),
            d + dev.abs(),
        )
    });
    let (m2, m3, m4) = (s2 / n, s3 / n, s4 / n);
    let m2_safe = if m2 == 0.0 { 1.0 } else { m2 };
    let mad = s_abs / n;

    // p(i): the share of ROI voxels in each present grey level.
    let mut counts = vec![0usize; disc.ng as usize + 1];
    for (l, m) in disc.levels.iter().zip(roi.mask.iter()) {
        if *m {
            counts[*l as usize] += 1;
        }
    }
    let p: Vec<f64> = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| c as f64 / n)
        .collect();
    let entropy = -p
        .iter()
        .map(|pi| pi * (pi + f64::EPSILON).log2())
        .sum::<f64>();
    let uniformity: f64 = p.iter().map(|pi| pi * pi).sum();

    let count = x.len();
    let mut ranks = vec![0, count - 1, count / 2, count.saturating_sub(2) / 2];
    for q in [10.0, 25.0, 75.0, 90.0] {
        let (lo, hi, _) = percentile_ranks(count, q);
        ranks.extend([lo, hi]);
    }
    let order = OrderStatistics::new(&mut x, &ranks);
    let (p10, p90) = (order.percentile(count, 10.0), order.percentile(count, 90.0));
    // In the ROI's voxel order, as numpy's boolean indexing leaves them.
    let robust: Vec<f64> = roi
        .image
        .iter()
        .zip(roi.mask.iter())
        .filter(|(v, m)| **m && **v >= p10 && **v <= p90)
        .map(|(v, _)| *v)
        .collect();
    let robust_mean = robust.iter().sum::<f64>() / robust.len() as f64;
    let robust_mad =
        robust.iter().map(|v| (v - robust_mean).abs()).sum::<f64>() / robust.len() as f64;
    let (min, max) = (order.at(0), order.at(count - 1));
    Values {
        P10: p10,
        P90: p90,
        Energy: energy,
        Entropy: entropy,
        InterquartileRange: order.percentile(count, 75.0) - order.percentile(count, 25.0),
        Kurtosis: m4 / m2_safe.powf(2.0),
        Maximum: max,
        MeanAbsoluteDeviation: mad,
        Mean: mean,
        Median: order.median(count),
        Minimum: min,
        Range: max - min,
        RobustMeanAbsoluteDeviation: robust_mad,
        RootMeanSquared: (energy / n).sqrt(),
        Skewness: m3 / m2_safe.powf(1.5),
        TotalEnergy: energy * voxel_volume,
        Uniformity: uniformity,
        // numpy: nanstd(x) ** 2.
        Variance: m2.sqrt().powf(2.0),
    }
    .to_vec()
}
