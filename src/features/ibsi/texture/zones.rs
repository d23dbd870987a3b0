//! IBSI 1 grey level size zone matrix (3.8) and grey level distance zone matrix (3.9). A zone
//! is a connected set of voxels of one grey level (26-connected in 3-D, 8-connected in a slice).
//! A zone's distance is the smallest distance to the ROI edge of its voxels, on the
//! morphological mask's 6-connected (4 in a slice) distance map, where the grid edge counts as
//! outside and edge voxels are at distance 1.

use std::collections::VecDeque;

use ndarray::Array3;

use super::matrix::{Sparse, run_like};
use super::{Aggregated, Levels, slice_family, slice_range};
use crate::features::ibsi::settings::Dimension;
use crate::features::value::feature_values;

feature_values! {
    /// GLSZM feature names (IBSI tags without `szm_` and the aggregation).
    pub const SZM_NAMES;
    /// One value per GLSZM feature.
    pub struct SzmValues {
        sze,
        lze,
        lgze,
        hgze,
        szlge,
        szhge,
        lzlge,
        lzhge,
        glnu,
        glnu_norm,
        zsnu,
        zsnu_norm,
        z_perc,
        gl_var,
        zs_var,
        zs_entr,
    }
}

feature_values! {
    /// GLDZM feature names (IBSI tags without `dzm_` and the aggregation).
    pub const DZM_NAMES;
    /// One value per GLDZM feature.
    pub struct DzmValues {
        sde,
        lde,
        lgze,
        hgze,
        sdlge,
        sdhge,
        ldlge,
        ldhge,
        glnu,
        glnu_norm,
        zdnu,
        zdnu_norm,
        z_perc,
        gl_var,
        zd_var,
        zd_entr,
    }
}

/// Neighbour offsets: all 26 (3-D) or the 8 in-plane ones.
fn neighbours(plane: bool, faces_only: bool) -> Vec<[isize; 3]> {
    let mut out = Vec::new();
    for dz in -1..=1isize {
        for dy in -1..=1isize {
            for dx in -1..=1isize {
                let o = [dz, dy, dx];
                let steps = o.iter().filter(|d| **d != 0).count();
                if steps == 0 || (plane && dz != 0) || (faces_only && steps != 1) {
                    continue;
                }
                out.push(o);
            }
        }
    }
    out
}

fn step(p: [usize; 3], o: [isize; 3], dim: [usize; 3]) -> Option<[usize; 3]> {
    let q = [0, 1, 2].map(|d| p[d] as isize + o[d]);
    (0..3)
        .all(|d| q[d] >= 0 && q[d] < dim[d] as isize)
        .then(|| q.map(|v| v as usize))
}

/// Distance of each mask voxel of slice `z` (or the volume) to the mask's edge.
fn distance_map(morph: &Array3<bool>, z: Option<usize>) -> Array3<u32> {
    let (nz, ny, nx) = morph.dim();
    let dim = [nz, ny, nx];
    let faces = neighbours(z.is_some(), true);
    let mut dist = Array3::<u32>::zeros(morph.dim());
    let mut queue = VecDeque::new();
    let zs = slice_range(z, nz);
    for z in zs.clone() {
        for y in 0..ny {
            for x in 0..nx {
                if !morph[(z, y, x)] {
                    continue;
                }
                let edge = faces.iter().any(|&o| match step([z, y, x], o, dim) {
                    Some(q) => !morph[(q[0], q[1], q[2])],
                    None => true,
                });
                if edge {
                    dist[(z, y, x)] = 1;
                    queue.push_back([z, y, x]);
                }
            }
        }
    }
    while let Some(p) = queue.pop_front() {
        let d = dist[(p[0], p[1], p[2])];
        for &o in &faces {
            if let Some(q) = step(p, o, dim) {
                let q3 = (q[0], q[1], q[2]);
                if morph[q3] && dist[q3] == 0 {
                    dist[q3] = d + 1;
                    queue.push_back(q);
                }
            }
        }
    }
    dist
}

/// The size-zone and distance-zone matrices of slice `z` (or the volume).
fn matrices(levels: &Levels, morph: &Array3<bool>, z: Option<usize>) -> (Sparse, Sparse) {
    let dim = levels.dim;
    let dist = distance_map(morph, z);
    let links = neighbours(z.is_some(), false);
    let mut seen = Array3::<bool>::from_elem(levels.levels.dim(), false);
    let (mut szm, mut dzm) = (Sparse::default(), Sparse::default());
    let mut stack = Vec::new();
    for (start, l) in levels.voxels(z) {
        let s3 = (start[0], start[1], start[2]);
        if seen[s3] {
            continue;
        }
        seen[s3] = true;
        stack.push(start);
        let (mut size, mut nearest) = (0u32, u32::MAX);
        while let Some(p) = stack.pop() {
            size += 1;
            nearest = nearest.min(dist[(p[0], p[1], p[2])].max(1));
            for &o in &links {
                if let Some(q) = step(p, o, dim) {
                    let q3 = (q[0], q[1], q[2]);
                    if !seen[q3] && levels.levels[q3] == l {
                        seen[q3] = true;
                        stack.push(q);
                    }
                }
            }
        }
        szm.add(l, size, 1.0);
        dzm.add(l, nearest, 1.0);
        szm.voxels += size as f64;
        dzm.voxels += size as f64;
    }
    (szm, dzm)
}

/// GLSZM and GLDZM features per dimensionality, as (family, suffix, values).
pub fn families(
    levels: &Levels,
    morph: &Array3<bool>,
    dims: &[Dimension],
) -> (Aggregated, Aggregated) {
    let slices = || -> Vec<(Sparse, Sparse)> {
        levels
            .occupied_slices()
            .into_iter()
            .map(|z| matrices(levels, morph, Some(z)))
            .collect()
    };
    let per_slice = if dims.iter().any(|d| *d != Dimension::D3) {
        slices()
    } else {
        Vec::new()
    };
    let volume = if dims.contains(&Dimension::D3) {
        Some(matrices(levels, morph, None))
    } else {
        None
    };
    let szm = slice_family(
        dims,
        || per_slice.iter().map(|p| p.0.clone()).collect(),
        || volume.as_ref().map(|v| v.0.clone()).unwrap_or_default(),
        szm_features,
    );
    let dzm = slice_family(
        dims,
        || per_slice.iter().map(|p| p.1.clone()).collect(),
        || volume.as_ref().map(|v| v.1.clone()).unwrap_or_default(),
        dzm_features,
    );
    (szm, dzm)
}

/// The GLSZM features of one matrix, in `SZM_NAMES` order.
fn szm_features(m: &Sparse) -> Vec<f64> {
    let r = run_like(m);
    SzmValues {
        sze: r.small_j,
        lze: r.large_j,
        lgze: r.low_i,
        hgze: r.high_i,
        szlge: r.small_j_low_i,
        szhge: r.small_j_high_i,
        lzlge: r.large_j_low_i,
        lzhge: r.large_j_high_i,
        glnu: r.i_nonuniformity,
        glnu_norm: r.i_nonuniformity_norm,
        zsnu: r.j_nonuniformity,
        zsnu_norm: r.j_nonuniformity_norm,
        z_perc: r.percentage,
        gl_var: r.i_variance,
        zs_var: r.j_variance,
        zs_entr: r.entropy,
    }
    .to_vec()
}

/// The GLDZM features of one matrix, in `DZM_NAMES` order.
fn dzm_features(m: &Sparse) -> Vec<f64> {
    let r = run_like(m);
    DzmValues {
        sde: r.small_j,
        lde: r.large_j,
        lgze: r.low_i,
        hgze: r.high_i,
        sdlge: r.small_j_low_i,
        sdhge: r.small_j_high_i,
        ldlge: r.large_j_low_i,
        ldhge: r.large_j_high_i,
        glnu: r.i_nonuniformity,
        glnu_norm: r.i_nonuniformity_norm,
        zdnu: r.j_nonuniformity,
        zdnu_norm: r.j_nonuniformity_norm,
        z_perc: r.percentage,
        gl_var: r.i_variance,
        zd_var: r.j_variance,
        zd_entr: r.entropy,
    }
    .to_vec()
}
