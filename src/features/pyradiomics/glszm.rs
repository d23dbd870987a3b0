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
///
/// Zones are labelled in one pass in array order (two-pass connected-component labelling):
/// each ROI voxel takes the label of its earlier neighbours of the same level (half the
/// neighbourhood; the other half looks back at it when they come), a new label when it has
/// none, and labels that meet are recorded as one zone. Each neighbour pair is compared once.
fn zones(roi: &Roi, lattice: &Lattice, s: &TextureSettings) -> BTreeMap<(usize, usize), f64> {
    let earlier: Vec<usize> = lattice
        .flat_offsets(&s.offsets(roi.size_zyx(), &[1], true))
        .into_iter()
        .filter(|&o| o < 0)
        .map(|o| o.unsigned_abs())
        .collect();
    let cells = &lattice.cells;
    // Per cell, its provisional label (ROI cells only); per label, the label it was merged
    // into (itself for a zone's final label) and its level.
    let mut label = vec![0u32; cells.len()];
    let mut merged: Vec<u32> = Vec::new();
    let mut level: Vec<u16> = Vec::new();
    // The labels of one voxel's same-level earlier neighbours, gathered without a branch per
    // neighbour (whether a neighbour shares the level falls either way at random).
    let mut same = vec![0u32; earlier.len()];
    for &p in &lattice.roi {
        let c = cells[p];
        let mut found = 0;
        for &o in &earlier {
            let q = p - o;
            same[found] = label[q];
            found += usize::from(cells[q] == c);
        }
        let mine = match same[..found].split_first() {
            None => {
                let new = merged.len() as u32;
                merged.push(new);
                level.push(c);
                new
            }
            Some((&first, rest)) => rest.iter().fold(first, |mine, &theirs| {
                if theirs == mine {
                    mine
                } else {
                    join(&mut merged, mine, theirs)
                }
            }),
        };
        label[p] = mine;
    }
    // A label's parent is always a smaller label (a join keeps the smaller root), so one pass
    // in order points every label at its root, and the voxels count without a search.
    for l in 0..merged.len() {
        merged[l] = merged[merged[l] as usize];
    }
    let mut size = vec![0usize; merged.len()];
    for &p in &lattice.roi {
        size[merged[label[p] as usize] as usize] += 1;
    }
    // Count zones per (level, size): most zones are small, so sizes up to SMALL are tallied
    // in a dense table (no sort of thousands of zones), the rare larger ones in the map.
    const SMALL: usize = 64;
    let levels = lattice.level_values.len();
    let mut small = vec![0u32; levels * SMALL];
    let mut out = BTreeMap::new();
    for l in (0..merged.len()).filter(|&l| merged[l] as usize == l) {
        let (g, n) = (level[l] as usize - 1, size[l]);
        if n < SMALL {
            small[g * SMALL + n] += 1;
        } else {
            *out.entry((g, n)).or_insert(0.0) += 1.0;
        }
    }
    for (k, &count) in small.iter().enumerate() {
        if count > 0 {
            out.insert((k / SMALL, k % SMALL), f64::from(count));
        }
    }
    out
}

/// The final label of `l`, halving the path on the way.
fn root(merged: &mut [u32], mut l: u32) -> usize {
    while merged[l as usize] != l {
        let grand = merged[merged[l as usize] as usize];
        merged[l as usize] = grand;
        l = grand;
    }
    l as usize
}

/// Records that labels `a` and `b` are one zone; returns its label (the smaller root).
fn join(merged: &mut [u32], a: u32, b: u32) -> u32 {
    let (ra, rb) = (root(merged, a), root(merged, b));
    let (keep, other) = if ra < rb { (ra, rb) } else { (rb, ra) };
    merged[other] = keep as u32;
    keep as u32
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
