//! Grey Level Size Zone Matrix features, PyRadiomics `glszm` (16 features; IBSI "grey level
//! size zone based features", 3D KOBO).
//!
//! P(i, j) counts zones: connected groups of ROI voxels sharing grey level i, of j voxels.
//! Voxels connect through the same neighbourhood as the other families: 26-connectivity in 3-D,
//! 8 in 2-D mode. Example: in the row [1 1 2 1] there are zones (1, size 2), (2, 1), (1, 1).

use std::collections::BTreeMap;

use super::discretise::Discretised;
use super::roi::Roi;
use super::size_matrix::SizeMatrix;
use super::texture::{Lattice, TextureSettings};
use crate::features::value::feature_values;

/// Zone counts keyed by (present-level index, zone size).
fn zones(roi: &Roi, lattice: &Lattice, s: &TextureSettings) -> BTreeMap<(usize, usize), f64> {
    let offsets = lattice.flat_offsets(&s.offsets(roi.size_zyx(), &[1], true));
    let mut open = lattice.cells.clone();
    let mut stack = Vec::new();
    let mut found: Vec<(usize, usize)> = Vec::new();
    for &i in &lattice.roi {
        let level = open[i];
        if level == 0 {
            continue;
        }
        open[i] = 0;
        stack.push(i);
        let mut size = 0;
        while let Some(k) = stack.pop() {
            size += 1;
            for &o in &offsets {
                let j = (k as isize + o) as usize;
                if open[j] == level {
                    open[j] = 0;
                    stack.push(j);
                }
            }
        }
        found.push((level as usize - 1, size));
    }
    found.sort_unstable();
    let mut out = BTreeMap::new();
    for chunk in found.chunk_by(|a, b| a == b) {
        out.insert(chunk[0], chunk.len() as f64);
    }
    out
}

feature_values! {
    /// GLSZM feature names, alphabetical (PyRadiomics' order).
    pub const NAMES;
    /// One value per GLSZM feature.
    pub struct Values {
        GrayLevelNonUniformity,
        GrayLevelNonUniformityNormalized,
        GrayLevelVariance,
        HighGrayLevelZoneEmphasis,
        LargeAreaEmphasis,
        LargeAreaHighGrayLevelEmphasis,
        LargeAreaLowGrayLevelEmphasis,
        LowGrayLevelZoneEmphasis,
        SizeZoneNonUniformity,
        SizeZoneNonUniformityNormalized,
        SmallAreaEmphasis,
        SmallAreaHighGrayLevelEmphasis,
        SmallAreaLowGrayLevelEmphasis,
        ZoneEntropy,
        ZonePercentage,
        ZoneVariance,
    }
}

/// The GLSZM features, in `NAMES` order.
pub fn features(roi: &Roi, disc: &Discretised, lattice: &Lattice, s: &TextureSettings) -> Vec<f64> {
    let m = SizeMatrix::new(zones(roi, lattice, s), &disc.gray_levels).summary();
    Values {
        GrayLevelNonUniformity: m.gln,
        GrayLevelNonUniformityNormalized: m.glnn,
        GrayLevelVariance: m.gl_variance,
        HighGrayLevelZoneEmphasis: m.high,
        LargeAreaEmphasis: m.large,
        LargeAreaHighGrayLevelEmphasis: m.large_high,
        LargeAreaLowGrayLevelEmphasis: m.large_low,
        LowGrayLevelZoneEmphasis: m.low,
        SizeZoneNonUniformity: m.sn,
        SizeZoneNonUniformityNormalized: m.snn,
        SmallAreaEmphasis: m.small,
        SmallAreaHighGrayLevelEmphasis: m.small_high,
        SmallAreaLowGrayLevelEmphasis: m.small_low,
        ZoneEntropy: m.entropy,
        ZonePercentage: m.percentage,
        ZoneVariance: m.size_variance,
    }
    .to_vec()
}
