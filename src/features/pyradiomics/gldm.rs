//! Grey Level Dependence Matrix features, PyRadiomics `gldm` (14 features; IBSI's
//! "neighbouring grey level dependence" family with coarseness `gldm_a`, 3D KOBO).
//!
//! For every ROI voxel, its dependence is the number of in-ROI neighbours (both directions of
//! every angle at the given distances) whose grey level differs by at most `gldm_a`; P(i, j)
//! counts voxels of level i with j - 1 dependent neighbours (j starts at 1, as in IBSI).

use super::discretise::Discretised;
use super::neighbourhood::Neighbourhood;
use super::size_matrix::SizeMatrix;
use super::texture::Lattice;
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
pub fn features(disc: &Discretised, lattice: &Lattice, hood: &Neighbourhood) -> Vec<f64> {
    let n = lattice.level_values.len();
    // Integer counting (see glcm.rs: integer adds are shorter links in a chain of
    // increments to one cell). A voxel has at most 26 neighbours per distance.
    let width = hood.dependent.iter().max().map_or(1, |&d| d as usize + 1);
    let mut counts = vec![0u32; n * width];
    for (&i, &dep) in lattice.roi.iter().zip(&hood.dependent) {
        let gi = (lattice.cells[i] - 1) as usize;
        counts[gi * width + dep as usize] += 1;
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
