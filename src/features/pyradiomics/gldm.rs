//! Grey Level Dependence Matrix features, PyRadiomics `gldm` (14 features; IBSI's
//! "neighbouring grey level dependence" family with coarseness `gldm_a`, 3D KOBO).
//!
//! For every ROI voxel, its dependence is the number of in-ROI neighbours (both directions of
//! every angle at the given distances) whose grey level differs by at most `gldm_a`; P(i, j)
//! counts voxels of level i with j - 1 dependent neighbours (j starts at 1, as in IBSI).

use super::discretise::Discretised;
use super::roi::Roi;
use super::size_matrix::SizeMatrix;
use super::texture::{Lattice, TextureSettings};
use crate::features::value::feature_values;

feature_values! {
    /// GLDM feature names, alphabetical (PyRadiomics' order).
    pub const NAMES;
    /// One value per GLDM feature.
    pub struct Values {
        DependenceEntropy,
        DependenceNonUniformity,
        DependenceNonUniformityNormalized,
        DependenceVariance,
        GrayLevelNonUniformity,
        GrayLevelVariance,
        HighGrayLevelEmphasis,
        LargeDependenceEmphasis,
        LargeDependenceHighGrayLevelEmphasis,
        LargeDependenceLowGrayLevelEmphasis,
        LowGrayLevelEmphasis,
        SmallDependenceEmphasis,
        SmallDependenceHighGrayLevelEmphasis,
        SmallDependenceLowGrayLevelEmphasis,
    }
}

/// The GLDM features, in `NAMES` order.
pub fn features(roi: &Roi, disc: &Discretised, lattice: &Lattice, s: &TextureSettings) -> Vec<f64> {
    let offsets = lattice.flat_offsets(&s.offsets(roi.size_zyx(), &s.distances, true));
    let values = &lattice.level_values;
    let n = values.len();
    // Levels whose values lie within alpha of each other depend on each other.
    let dependent: Vec<bool> = (0..n * n)
        .map(|k| (values[k / n] - values[k % n]).abs() <= s.gldm_alpha)
        .collect();
    // Integer counting (see glcm.rs: integer adds are shorter links in a chain of
    // increments to one cell).
    let mut counts = vec![0u32; n * (offsets.len() + 1)];
    let width = offsets.len() + 1;
    for &i in &lattice.roi {
        let gi = (lattice.cells[i] - 1) as usize;
        let row = &dependent[gi * n..(gi + 1) * n];
        let dep = offsets
            .iter()
            .map(|&o| lattice.at(i, o))
            .filter(|&c| c != 0 && row[c as usize - 1])
            .count();
        counts[gi * width + dep] += 1;
    }
    let counts: Vec<f64> = counts.into_iter().map(f64::from).collect();
    let m = SizeMatrix::from_dense(&counts, width, &disc.gray_levels).summary();
    Values {
        DependenceEntropy: m.entropy,
        DependenceNonUniformity: m.sn,
        DependenceNonUniformityNormalized: m.snn,
        DependenceVariance: m.size_variance,
        GrayLevelNonUniformity: m.gln,
        GrayLevelVariance: m.gl_variance,
        HighGrayLevelEmphasis: m.high,
        LargeDependenceEmphasis: m.large,
        LargeDependenceHighGrayLevelEmphasis: m.large_high,
        LargeDependenceLowGrayLevelEmphasis: m.large_low,
        LowGrayLevelEmphasis: m.low,
        SmallDependenceEmphasis: m.small,
        SmallDependenceHighGrayLevelEmphasis: m.small_high,
        SmallDependenceLowGrayLevelEmphasis: m.small_low,
    }
    .to_vec()
}
