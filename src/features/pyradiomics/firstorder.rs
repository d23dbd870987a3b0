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

/// numpy's linear-interpolation percentile of sorted values (`numpy.percentile`, method
/// "linear", with numpy's lerp that counts from the upper neighbour when t >= 0.5).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let q = q / 100.0;
    // numpy's virtual index n·q + (α + q(1 - α - β)) - 1 with α = β = 1.
    let virtual_index = (n as f64 * q + (1.0 - q) - 1.0).clamp(0.0, (n - 1) as f64);
    let lo = virtual_index.floor();
    let t = virtual_index - lo;
    let lo = lo as usize;
    let hi = (lo + 1).min(n - 1);
    let (a, b) = (sorted[lo], sorted[hi]);
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// numpy's median of sorted values: the middle one, or the mean of the middle two.
fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
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
    let mean = x.iter().sum::<f64>() / n;
    let energy: f64 = x.iter().map(|v| (v + voxel_array_shift).powi(2)).sum();
    let voxel_volume: f64 = roi.spacing.iter().product();
    let moment = |k: i32| x.iter().map(|v| (v - mean).powi(k)).sum::<f64>() / n;
    let (m2, m3, m4) = (moment(2), moment(3), moment(4));
    let m2_safe = if m2 == 0.0 { 1.0 } else { m2 };
    let mad = x.iter().map(|v| (v - mean).abs()).sum::<f64>() / n;

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

    x.sort_unstable_by(f64::total_cmp);
    let (p10, p90) = (percentile(&x, 10.0), percentile(&x, 90.0));
    let robust: Vec<f64> = x
        .iter()
        .copied()
        .filter(|v| *v >= p10 && *v <= p90)
        .collect();
    let robust_mean = robust.iter().sum::<f64>() / robust.len() as f64;
    let robust_mad =
        robust.iter().map(|v| (v - robust_mean).abs()).sum::<f64>() / robust.len() as f64;
    let (min, max) = (x[0], x[x.len() - 1]);
    Values {
        P10: p10,
        P90: p90,
        Energy: energy,
        Entropy: entropy,
        InterquartileRange: percentile(&x, 75.0) - percentile(&x, 25.0),
        Kurtosis: m4 / m2_safe.powf(2.0),
        Maximum: max,
        MeanAbsoluteDeviation: mad,
        Mean: mean,
        Median: median(&x),
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
