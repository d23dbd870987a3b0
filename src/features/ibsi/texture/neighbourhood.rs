//! IBSI 1 neighbourhood grey tone difference matrix (3.10) and neighbouring grey level
//! dependence matrix (3.11), both over the Chebyshev-distance-1 neighbourhood (26 voxels in
//! 3-D, 8 in a slice) restricted to the intensity mask.
//!
//! NGTDM: a voxel counts when at least one neighbour is in the ROI; s_i sums |i - mean of its
//! neighbours|. NGLDM (coarseness 0): a voxel's dependence is 1 plus its neighbours of equal
//! grey level.

use super::matrix::{Sparse, run_like};
use super::{Aggregated, Levels, slice_family};
use crate::features::ibsi::settings::Dimension;
use crate::features::value::feature_values;

feature_values! {
    /// NGTDM feature names (IBSI tags without `ngt_` and the aggregation).
    pub const NGTDM_NAMES;
    /// One value per NGTDM feature.
    pub struct NgtdmValues {
        coarseness,
        contrast,
        busyness,
        complexity,
        strength,
    }
}

feature_values! {
    /// NGLDM feature names (IBSI tags without `ngl_` and the aggregation).
    pub const NGLDM_NAMES;
    /// One value per NGLDM feature.
    pub struct NgldmValues {
        lde,
        hde,
        lgce,
        hgce,
        ldlge,
        ldhge,
        hdlge,
        hdhge,
        glnu,
        glnu_norm,
        dcnu,
        dcnu_norm,
        dc_perc,
        gl_var,
        dc_var,
        dc_entr,
        dc_energy,
    }
}

fn offsets(plane: bool) -> Vec<[isize; 3]> {
    let mut out = Vec::new();
    for dz in -1..=1isize {
        for dy in -1..=1isize {
            for dx in -1..=1isize {
                if (dz, dy, dx) != (0, 0, 0) && !(plane && dz != 0) {
                    out.push([dz, dy, dx]);
                }
            }
        }
    }
    out
}

/// The NGTDM (as (i, 1) = n_i and (i, 2) = s_i) and the NGLDM of slice `z` (or the volume).
fn matrices(levels: &Levels, z: Option<usize>) -> (Sparse, Sparse) {
    let around = offsets(z.is_some());
    let (mut ngtdm, mut ngldm) = (Sparse::default(), Sparse::default());
    for (p, l) in levels.voxels(z) {
        let (mut sum, mut count, mut equal) = (0.0, 0.0, 0u32);
        for &o in &around {
            let m = levels.at(p, o);
            if m > 0 {
                sum += m as f64;
                count += 1.0;
                if m == l {
                    equal += 1;
                }
            }
        }
        ngldm.add(l, 1 + equal, 1.0);
        ngldm.voxels += 1.0;
        if count > 0.0 {
            ngtdm.add(l, 1, 1.0);
            ngtdm.add(l, 2, (l as f64 - sum / count).abs());
            ngtdm.voxels += 1.0;
        }
    }
    (ngtdm, ngldm)
}

/// The five NGTDM features from n_i (column 1) and s_i (column 2).
fn ngtdm_features(m: &Sparse) -> Vec<f64> {
    let mut rows: Vec<(f64, f64, f64)> = Vec::new(); // (i, n_i, s_i)
    for (&(i, j), &v) in &m.cells {
        if rows.last().is_none_or(|r| r.0 != i as f64) {
            rows.push((i as f64, 0.0, 0.0));
        }
        let r = rows.last_mut().expect("pushed above");
        if j == 1 {
            r.1 += v;
        } else {
            r.2 += v;
        }
    }
    let n: f64 = rows.iter().map(|r| r.1).sum();
    if n == 0.0 {
        return NgtdmValues::nan().to_vec();
    }
    let rows: Vec<(f64, f64, f64)> = rows
        .into_iter()
        .filter(|r| r.1 > 0.0)
        .map(|(i, ni, s)| (i, ni / n, s))
        .collect();
    let ngp = rows.len() as f64;
    let s_total: f64 = rows.iter().map(|r| r.2).sum();
    let ps: f64 = rows.iter().map(|r| r.1 * r.2).sum();
    let (mut pairs_contrast, mut busy_den, mut complexity, mut strength_num) = (0.0, 0.0, 0.0, 0.0);
    for &(i, pi, si) in &rows {
        for &(j, pj, sj) in &rows {
            pairs_contrast += pi * pj * (i - j).powi(2);
            busy_den += (i * pi - j * pj).abs();
            complexity += (i - j).abs() * (pi * si + pj * sj) / (pi + pj);
            strength_num += (pi + pj) * (i - j).powi(2);
        }
    }
    let coarseness = if ps == 0.0 { 1e6 } else { 1.0 / ps };
    let contrast = if ngp > 1.0 {
        pairs_contrast / (ngp * (ngp - 1.0)) * s_total / n
    } else {
        0.0
    };
    let busyness = if busy_den == 0.0 { 0.0 } else { ps / busy_den };
    let strength = if s_total == 0.0 {
        0.0
    } else {
        strength_num / s_total
    };
    NgtdmValues {
        coarseness,
        contrast,
        busyness,
        complexity: complexity / n,
        strength,
    }
    .to_vec()
}

/// NGTDM and NGLDM features per dimensionality, as (suffix, values).
pub fn families(levels: &Levels, dims: &[Dimension]) -> (Aggregated, Aggregated) {
    let per_slice: Vec<(Sparse, Sparse)> = if dims.iter().any(|d| *d != Dimension::D3) {
        levels
            .occupied_slices()
            .into_iter()
            .map(|z| matrices(levels, Some(z)))
            .collect()
    } else {
        Vec::new()
    };
    let volume = dims
        .contains(&Dimension::D3)
        .then(|| matrices(levels, None));
    let ngtdm = slice_family(
        dims,
        || per_slice.iter().map(|p| p.0.clone()).collect(),
        || volume.as_ref().map(|v| v.0.clone()).unwrap_or_default(),
        ngtdm_features,
    );
    let ngldm = slice_family(
        dims,
        || per_slice.iter().map(|p| p.1.clone()).collect(),
        || volume.as_ref().map(|v| v.1.clone()).unwrap_or_default(),
        ngldm_features,
    );
    (ngtdm, ngldm)
}

/// The NGLDM features of one matrix, in `NGLDM_NAMES` order.
fn ngldm_features(m: &Sparse) -> Vec<f64> {
    let r = run_like(m);
    NgldmValues {
        lde: r.small_j,
        hde: r.large_j,
        lgce: r.low_i,
        hgce: r.high_i,
        ldlge: r.small_j_low_i,
        ldhge: r.small_j_high_i,
        hdlge: r.large_j_low_i,
        hdhge: r.large_j_high_i,
        glnu: r.i_nonuniformity,
        glnu_norm: r.i_nonuniformity_norm,
        dcnu: r.j_nonuniformity,
        dcnu_norm: r.j_nonuniformity_norm,
        dc_perc: r.percentage,
        gl_var: r.i_variance,
        dc_var: r.j_variance,
        dc_entr: r.entropy,
        dc_energy: r.energy,
    }
    .to_vec()
}
