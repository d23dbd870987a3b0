//! Neighbouring Grey Tone Difference Matrix features, PyRadiomics `ngtdm` (5 features; IBSI
//! "neighbourhood grey tone difference based features", 3D).
//!
//! For every ROI voxel of level i, s(i) accumulates |i - mean level of its in-ROI neighbours|
//! (both directions of every angle at the given distances; a voxel without neighbours adds 0
//! but still counts in n(i)). p(i) = n(i) / Nvp over the present levels.

use super::discretise::Discretised;
use super::neighbourhood::Neighbourhood;
use super::texture::Lattice;
use crate::features::value::feature_values;

feature_values! {
    /// NGTDM feature names, alphabetical (PyRadiomics' order).
    pub const NAMES;
    /// One value per NGTDM feature.
    pub struct Values {
        Busyness,
        Coarseness,
        Complexity,
        Contrast,
        Strength,
    }
}

/// The NGTDM features, in `NAMES` order.
pub fn features(disc: &Discretised, lattice: &Lattice, hood: &Neighbourhood) -> Vec<f64> {
    let values = &lattice.level_values;
    let n = disc.gray_levels.len();
    let mut count = vec![0f64; n];
    let mut s_i = vec![0f64; n];
    let voxels = lattice.roi.iter().zip(&hood.count).zip(&hood.level_sum);
    for ((&i, &k), &sum) in voxels {
        let g = (lattice.cells[i] - 1) as usize;
        // The level sum is exact in integers and converts to the f64 a float sum would give.
        let diff = if k == 0 {
            0.0
        } else {
            (values[g] - sum as f64 / f64::from(k)).abs()
        };
        count[g] += 1.0;
        s_i[g] += diff;
    }
    let nvp: f64 = count.iter().sum();
    let p: Vec<f64> = count.iter().map(|c| c / nvp).collect();
    let iv: Vec<f64> = disc.gray_levels.iter().map(|&l| l as f64).collect();
    let ngp = count.iter().filter(|&&c| c > 0.0).count() as f64;
    let sum_s: f64 = s_i.iter().sum();
    let ps: f64 = p.iter().zip(&s_i).map(|(p, s)| p * s).sum();
    let (mut contrast_sum, mut abs_diff, mut complexity, mut strength) = (0.0, 0.0, 0.0, 0.0);
    for a in 0..n {
        for b in 0..n {
            let d = iv[a] - iv[b];
            contrast_sum += p[a] * p[b] * d * d;
            abs_diff += (iv[a] * p[a] - iv[b] * p[b]).abs();
            let divisor = p[a] + p[b];
            let divisor = if divisor == 0.0 { 1.0 } else { divisor };
            complexity += d.abs() * (p[a] * s_i[a] + p[b] * s_i[b]) / divisor;
            strength += (p[a] + p[b]) * d * d;
        }
    }
    let div = ngp * (ngp - 1.0);
    Values {
        Busyness: if abs_diff != 0.0 { ps / abs_diff } else { 0.0 },
        Coarseness: if ps != 0.0 { 1.0 / ps } else { 1e6 },
        Complexity: complexity / nvp,
        Contrast: if div != 0.0 {
            contrast_sum * sum_s / nvp / div
        } else {
            0.0
        },
        Strength: if sum_s != 0.0 { strength / sum_s } else { 0.0 },
    }
    .to_vec()
}
