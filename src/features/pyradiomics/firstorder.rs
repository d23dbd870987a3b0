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

/// The order statistics of the ROI's intensities at some ranks: each rank's value as a sort
/// would place it. Discretisation is monotonic (a higher value never gets a lower level), so
/// the value of rank r is among the voxels of the level where the levels' running count
/// passes r, at rank r minus the count below that level. One pass moves the voxels of the
/// levels the ranks fall in to their own buckets (without a branch: the others go to a sink
/// that does not advance), then each rank is selected within its bucket.
struct OrderStatistics {
    ranks: Vec<usize>,
    values: Vec<f64>,
}

impl OrderStatistics {
    /// `counts[l]`: the ROI voxels at level l (`disc.levels`, 0 outside the ROI).
    fn new(roi: &Roi, disc: &Discretised, counts: &[usize], wanted: &[usize]) -> OrderStatistics {
        let mut ranks = wanted.to_vec();
        ranks.sort_unstable();
        ranks.dedup();
        // below[l]: the ROI voxels at levels under l; the rank's level is the last one whose
        // count below is at most the rank.
        let below: Vec<usize> = counts
            .iter()
            .scan(0, |sum, &c| {
                let before = *sum;
                *sum += c;
                Some(before)
            })
            .collect();
        let level_of = |r: usize| below.partition_point(|&b| b <= r) - 1;
        // Per level its bucket; bucket 0 is the sink, which does not advance. Per bucket,
        // where it writes next.
        let mut bucket = vec![0usize; counts.len()];
        let mut next = vec![0usize];
        let mut size = 1;
        for &r in &ranks {
            let l = level_of(r);
            if bucket[l] == 0 {
                bucket[l] = next.len();
                next.push(size);
                size += counts[l];
            }
        }
        let mut values = vec![0.0; size];
        for (v, l) in roi.image.iter().zip(disc.levels.iter()) {
            let b = bucket[*l as usize];
            values[next[b]] = *v;
            next[b] += usize::from(b != 0);
        }
        let values = ranks
            .iter()
            .map(|&r| {
                let l = level_of(r);
                let end = next[bucket[l]];
                let group = &mut values[end - counts[l]..end];
                *group.select_nth_unstable_by(r - below[l], f64::total_cmp).1
            })
            .collect();
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
    // The ROI's values in voxel order, compacted without a branch (each value is written, and
    // the end moves past it only inside the ROI).
    let mut x = vec![0.0; roi.image.len() + 1];
    let mut end = 0;
    for (v, m) in roi.image.iter().zip(roi.mask.iter()) {
        x[end] = *v;
        end += usize::from(*m);
    }
    x.truncate(end);
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
    // Levels are 0 outside the ROI (and at least 1 inside): count all, then drop level 0.
    let mut counts = vec![0usize; disc.ng as usize + 1];
    for l in disc.levels.iter() {
        counts[*l as usize] += 1;
    }
    counts[0] = 0;
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
    let order = OrderStatistics::new(roi, disc, &counts, &ranks);
    let (p10, p90) = (order.percentile(count, 10.0), order.percentile(count, 90.0));
    // The values from p10 to p90 in the ROI's voxel order, as numpy's boolean indexing
    // leaves them, summed without a branch: the others add +0, which changes no sum but a
    // -0 one (and a zero mean gives the same deviations either sign).
    let within = |v: f64| u64::from(v >= p10 && v <= p90).wrapping_neg();
    let (robust_sum, robust_count) = x.iter().fold((0.0, 0usize), |(sum, n), v| {
        let keep = std::hint::black_box(within(*v));
        (
            sum + f64::from_bits(v.to_bits() & keep),
            n + (keep & 1) as usize,
        )
    });
    let robust_mean = robust_sum / robust_count as f64;
    let robust_mad = x
        .iter()
        .map(|v| {
            let keep = std::hint::black_box(within(*v));
            f64::from_bits((v - robust_mean).abs().to_bits() & keep)
        })
        .sum::<f64>()
        / robust_count as f64;
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
