//! IBSI 1 intensity families on the intensity mask: local intensity peaks (3.2), intensity
//! statistics (3.3, raw intensities), intensity histogram (3.4, discretised grey levels) and the
//! intensity-volume histogram (3.5).

use std::f64::consts::PI;

use ndarray::Array3;

use super::prepare::{Region, masked};
use crate::features::value::feature_values;

feature_values! {
    /// Local intensity tags.
    pub const LOCAL_TAGS;
    /// The two local intensity peaks.
    pub struct Local {
        loc_peak_loc,
        loc_peak_glob,
    }
}

feature_values! {
    /// Intensity statistics tags.
    pub const STAT_TAGS;
    /// One value per intensity statistic.
    pub struct Statistics {
        stat_mean,
        stat_var,
        stat_skew,
        stat_kurt,
        stat_median,
        stat_min,
        stat_p10,
        stat_p90,
        stat_max,
        stat_iqr,
        stat_range,
        stat_mad,
        stat_rmad,
        stat_medad,
        stat_cov,
        stat_qcod,
        stat_energy,
        stat_rms,
    }
}

feature_values! {
    /// Intensity histogram tags.
    pub const HIST_TAGS;
    /// One value per intensity-histogram feature.
    pub struct Histogram {
        ih_mean,
        ih_var,
        ih_skew,
        ih_kurt,
        ih_median,
        ih_min,
        ih_p10,
        ih_p90,
        ih_max,
        ih_mode,
        ih_iqr,
        ih_range,
        ih_mad,
        ih_rmad,
        ih_medad,
        ih_cov,
        ih_qcod,
        ih_entropy,
        ih_uniformity,
        ih_max_grad,
        ih_max_grad_g,
        ih_min_grad,
        ih_min_grad_g,
    }
}

feature_values! {
    /// Intensity-volume histogram tags.
    pub const IVH_TAGS;
    /// One value per intensity-volume histogram feature.
    pub struct VolumeHistogram {
        ivh_v10,
        ivh_v90,
        ivh_i10,
        ivh_i90,
        ivh_diff_v10_v90,
        ivh_diff_i10_i90,
    }
}

/// Radius (mm) of the 1 cm³ sphere of the local intensity peaks.
fn peak_radius() -> f64 {
    (3.0 * 1000.0 / (4.0 * PI)).cbrt()
}

/// The most sphere-row sums the local intensity peaks may take (ROI voxels times the rows of
/// the sphere across the run axis): a 10^6-voxel ROI at 0.5 mm takes 5e8; a spacing typed in
/// the wrong unit would take hours.
const MAX_PEAK_WORK: f64 = 4e9;

/// Local and global intensity peak: the mean intensity of every image voxel whose centre lies
/// in the 1 cm³ sphere around a voxel (inside the ROI or not). The local peak is the largest
/// such mean over the voxels of maximal intensity, the global peak over all ROI voxels.
///
/// The sphere is summed as rows along the axis of finest spacing (the one it spans most
/// voxels of), each row a difference of prefix sums: ROI voxels x rows instead of ROI voxels
/// x sphere voxels. Beyond [`MAX_PEAK_WORK`] the ROI's grid is refused.
pub fn local_peaks(region: &Region) -> Result<Vec<f64>, String> {
    let r = peak_radius();
    // Axes in (z, y, x) order; the run axis goes last.
    let spacing = [region.spacing[2], region.spacing[1], region.spacing[0]];
    let run = (0..3)
        .min_by(|&a, &b| spacing[a].total_cmp(&spacing[b]))
        .unwrap_or(2);
    let perm: [usize; 3] = match run {
        0 => [1, 2, 0],
        1 => [0, 2, 1],
        _ => [0, 1, 2],
    };
    let sp = perm.map(|a| spacing[a]);
    let reach = sp.map(|s| (r / s).floor() as isize);
    // Each (d0, d1) row of the sphere and its half-width along the run axis.
    let mut rows: Vec<(isize, isize, isize)> = Vec::new();
    for d0 in -reach[0]..=reach[0] {
        for d1 in -reach[1]..=reach[1] {
            // The same test per voxel as a direct sum over the sphere would make.
            let within = |d2: isize| {
                (d0 as f64 * sp[0]).powi(2)
                    + (d1 as f64 * sp[1]).powi(2)
                    + (d2 as f64 * sp[2]).powi(2)
                    <= r * r
            };
            if !within(0) {
                continue;
            }
            let left = r * r - (d0 as f64 * sp[0]).powi(2) - (d1 as f64 * sp[1]).powi(2);
            let mut w = ((left.max(0.0).sqrt() / sp[2]).floor() as isize).min(reach[2]);
            while w > 0 && !within(w) {
                w -= 1;
            }
            while w < reach[2] && within(w + 1) {
                w += 1;
            }
            rows.push((d0, d1, w));
        }
    }
    let roi_voxels = region.intensity.iter().filter(|m| **m).count();
    let work = roi_voxels as f64 * rows.len() as f64;
    if work > MAX_PEAK_WORK {
        return Err(format!(
            "local intensity peaks: {roi_voxels} ROI voxels x {} rows of the 1 cm3 sphere at \
             spacing {:?} mm are {work:.3e} sums (at most {MAX_PEAK_WORK:e}); use a coarser \
             interpolation spacing",
            rows.len(),
            region.spacing
        ));
    }
    let image = region.image.view().permuted_axes(perm);
    let inside = region.intensity.view().permuted_axes(perm);
    let (n0, n1, n2) = image.dim();
    // prefix[(i, j, k)]: the sum of the first k voxels of row (i, j).
    let mut prefix = Array3::<f64>::zeros((n0, n1, n2 + 1));
    for i in 0..n0 {
        for j in 0..n1 {
            let mut acc = 0.0;
            for k in 0..n2 {
                acc += image[(i, j, k)];
                prefix[(i, j, k + 1)] = acc;
            }
        }
    }
    let sphere_mean = |i: usize, j: usize, k: usize| -> f64 {
        let (mut sum, mut n) = (0.0, 0usize);
        for &(d0, d1, w) in &rows {
            let (a, b) = (i as isize + d0, j as isize + d1);
            if a < 0 || b < 0 || a as usize >= n0 || b as usize >= n1 {
                continue;
            }
            let lo = (k as isize - w).max(0) as usize;
            let hi = ((k as isize + w) as usize).min(n2 - 1);
            sum += prefix[(a as usize, b as usize, hi + 1)] - prefix[(a as usize, b as usize, lo)];
            n += hi + 1 - lo;
        }
        sum / n as f64
    };
    let max = region
        .image
        .iter()
        .zip(region.intensity.iter())
        .filter(|(_, m)| **m)
        .map(|(v, _)| *v)
        .fold(f64::NEG_INFINITY, f64::max);
    let (mut local, mut global) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for ((i, j, k), &is_in) in inside.indexed_iter() {
        if is_in {
            let m = sphere_mean(i, j, k);
            global = global.max(m);
            if image[(i, j, k)] == max {
                local = local.max(m);
            }
        }
    }
    Ok(Local {
        loc_peak_loc: local,
        loc_peak_glob: global,
    }
    .to_vec())
}

/// Linear-interpolated quantile of sorted values (the usual "type 7" definition).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The statistics IBSI's intensity statistics and histogram share.
struct Shared {
    mean: f64,
    var: f64,
    skew: f64,
    kurt: f64,
    median: f64,
    min: f64,
    p10: f64,
    p90: f64,
    max: f64,
    iqr: f64,
    range: f64,
    mad: f64,
    rmad: f64,
    medad: f64,
    cov: f64,
    qcod: f64,
}

/// The shared statistics of `values` (sorted in place).
fn shared_statistics(values: &mut [f64]) -> Shared {
    values.sort_by(f64::total_cmp);
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let moment = |k: i32| values.iter().map(|v| (v - mean).powi(k)).sum::<f64>() / n;
    let (m2, m3, m4) = (moment(2), moment(3), moment(4));
    let (skew, kurt) = if m2 == 0.0 {
        (0.0, 0.0)
    } else {
        (m3 / m2.powf(1.5), m4 / (m2 * m2) - 3.0)
    };
    let median = quantile(values, 0.5);
    let (p10, p25, p75, p90) = (
        quantile(values, 0.10),
        quantile(values, 0.25),
        quantile(values, 0.75),
        quantile(values, 0.90),
    );
    let (min, max) = (values[0], values[values.len() - 1]);
    let mad = values.iter().map(|v| (v - mean).abs()).sum::<f64>() / n;
    let robust: Vec<f64> = values
        .iter()
        .copied()
        .filter(|v| *v >= p10 && *v <= p90)
        .collect();
    let robust_mean = robust.iter().sum::<f64>() / robust.len() as f64;
    let rmad = robust.iter().map(|v| (v - robust_mean).abs()).sum::<f64>() / robust.len() as f64;
    let medad = values.iter().map(|v| (v - median).abs()).sum::<f64>() / n;
    Shared {
        mean,
        var: m2,
        skew,
        kurt,
        median,
        min,
        p10,
        p90,
        max,
        iqr: p75 - p25,
        range: max - min,
        mad,
        rmad,
        medad,
        cov: m2.sqrt() / mean,
        qcod: (p75 - p25) / (p75 + p25),
    }
}

/// Intensity statistics in `STAT_TAGS` order.
pub fn statistics(image: &Array3<f64>, mask: &Array3<bool>) -> Vec<f64> {
    let mut values = masked(image, mask);
    let energy: f64 = values.iter().map(|v| v * v).sum();
    let n = values.len() as f64;
    let s = shared_statistics(&mut values);
    Statistics {
        stat_mean: s.mean,
        stat_var: s.var,
        stat_skew: s.skew,
        stat_kurt: s.kurt,
        stat_median: s.median,
        stat_min: s.min,
        stat_p10: s.p10,
        stat_p90: s.p90,
        stat_max: s.max,
        stat_iqr: s.iqr,
        stat_range: s.range,
        stat_mad: s.mad,
        stat_rmad: s.rmad,
        stat_medad: s.medad,
        stat_cov: s.cov,
        stat_qcod: s.qcod,
        stat_energy: energy,
        stat_rms: (energy / n).sqrt(),
    }
    .to_vec()
}

/// Intensity-histogram features in `HIST_TAGS` order from grey levels 1..=ng.
pub fn histogram(levels: &Array3<u32>, mask: &Array3<bool>, ng: u32) -> Vec<f64> {
    let mut values: Vec<f64> = masked(levels, mask).into_iter().map(f64::from).collect();
    let n = values.len() as f64;
    let ng = ng.max(values.iter().fold(0.0f64, |a, b| a.max(*b)) as u32) as usize;
    let mut counts = vec![0.0f64; ng + 1];
    for v in &values {
        counts[*v as usize] += 1.0;
    }
    let s = shared_statistics(&mut values);
    let mode = (1..=ng)
        .max_by(|a, b| counts[*a].total_cmp(&counts[*b]).then(b.cmp(a)))
        .unwrap_or(1) as f64;
    let p: Vec<f64> = counts.iter().map(|c| c / n).collect();
    let entropy = -p
        .iter()
        .filter(|&&p| p > 0.0)
        .map(|p| p * p.log2())
        .sum::<f64>();
    let uniformity = p.iter().map(|p| p * p).sum::<f64>();
    // Histogram gradient: one-sided at the first and last level, central between.
    let grad = |i: usize| -> f64 {
        if ng == 1 {
            0.0
        } else if i == 1 {
            counts[2] - counts[1]
        } else if i == ng {
            counts[ng] - counts[ng - 1]
        } else {
            (counts[i + 1] - counts[i - 1]) / 2.0
        }
    };
    let (mut max_g, mut max_i, mut min_g, mut min_i) = (f64::NEG_INFINITY, 0, f64::INFINITY, 0);
    for i in 1..=ng {
        let g = grad(i);
        if g > max_g {
            max_g = g;
            max_i = i;
        }
        if g < min_g {
            min_g = g;
            min_i = i;
        }
    }
    Histogram {
        ih_mean: s.mean,
        ih_var: s.var,
        ih_skew: s.skew,
        ih_kurt: s.kurt,
        ih_median: s.median,
        ih_min: s.min,
        ih_p10: s.p10,
        ih_p90: s.p90,
        ih_max: s.max,
        ih_mode: mode,
        ih_iqr: s.iqr,
        ih_range: s.range,
        ih_mad: s.mad,
        ih_rmad: s.rmad,
        ih_medad: s.medad,
        ih_cov: s.cov,
        ih_qcod: s.qcod,
        ih_entropy: entropy,
        ih_uniformity: uniformity,
        ih_max_grad: max_g,
        ih_max_grad_g: max_i as f64,
        ih_min_grad: min_g,
        ih_min_grad_g: min_i as f64,
    }
    .to_vec()
}

/// The intensity axis of the intensity-volume histogram: the intensity of each voxel, the
/// candidate intensities (ascending), and the range that maps intensities to fractions 0..1.
pub struct IvhAxis {
    pub values: Vec<f64>,
    pub levels: Vec<f64>,
    pub range: (f64, f64),
}

/// Intensity-volume histogram features in `IVH_TAGS` order.
pub fn volume_histogram(axis: &IvhAxis) -> Vec<f64> {
    let mut sorted = axis.values.clone();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    // ν_i: fraction of the volume with intensity ≥ i.
    let nu: Vec<f64> = axis
        .levels
        .iter()
        .map(|&i| (sorted.len() - sorted.partition_point(|v| *v < i)) as f64 / n)
        .collect();
    let (lo, hi) = axis.range;
    let gamma = |i: f64| if hi > lo { (i - lo) / (hi - lo) } else { 0.0 };
    let v_at = |x: f64| {
        axis.levels
            .iter()
            .zip(&nu)
            .find(|(i, _)| gamma(**i) >= x - 1e-12)
            .map(|(_, v)| *v)
            .unwrap_or(0.0)
    };
    let i_at = |x: f64| {
        axis.levels
            .iter()
            .zip(&nu)
            .find(|(_, v)| **v <= x)
            .map(|(i, _)| *i)
            .unwrap_or(axis.levels[axis.levels.len() - 1] + 1.0)
    };
    let (v10, v90, i10, i90) = (v_at(0.1), v_at(0.9), i_at(0.1), i_at(0.9));
    VolumeHistogram {
        ivh_v10: v10,
        ivh_v90: v90,
        ivh_i10: i10,
        ivh_i90: i90,
        ivh_diff_v10_v90: v10 - v90,
        ivh_diff_i10_i90: i10 - i90,
    }
    .to_vec()
}
