//! IBSI 1 grey level run length matrix (3.7) and its 16 features.

use super::matrix::{Sparse, run_like};
use super::{Aggregated, Levels, directional_family};
use crate::features::ibsi::settings::Dimension;
use crate::features::value::feature_values;

feature_values! {
    /// GLRLM feature names (IBSI tags without `rlm_` and the aggregation).
    pub const NAMES;
    /// One value per GLRLM feature.
    pub struct Values {
        sre,
        lre,
        lgre,
        hgre,
        srlge,
        srhge,
        lrlge,
        lrhge,
        glnu,
        glnu_norm,
        rlnu,
        rlnu_norm,
        r_perc,
        gl_var,
        rl_var,
        rl_entr,
    }
}

/// Runs along `o` in slice `z` (or the volume): a run starts at a voxel whose predecessor
/// along `o` has another level or is outside the mask. Voxels: the mask's voxel count.
fn matrix(levels: &Levels, o: [isize; 3], z: Option<usize>) -> Sparse {
    let mut m = Sparse::default();
    let back = o.map(|d| -d);
    for (p, l) in levels.voxels(z) {
        m.voxels += 1.0;
        if levels.at(p, back) == l {
            continue;
        }
        let mut length = 1;
        let mut step = o;
        while levels.at(p, step) == l {
            length += 1;
            step = [0, 1, 2].map(|d| step[d] + o[d]);
        }
        m.add(l, length, 1.0);
    }
    m
}

/// GLRLM features per aggregation, as (suffix, values in `NAMES` order).
pub fn family(levels: &Levels, dims: &[Dimension]) -> Aggregated {
    directional_family(levels, dims, |o, z| matrix(levels, o, z), features)
}

/// The GLRLM features of one matrix, in `NAMES` order.
fn features(m: &Sparse) -> Vec<f64> {
    let r = run_like(m);
    Values {
        sre: r.small_j,
        lre: r.large_j,
        lgre: r.low_i,
        hgre: r.high_i,
        srlge: r.small_j_low_i,
        srhge: r.small_j_high_i,
        lrlge: r.large_j_low_i,
        lrhge: r.large_j_high_i,
        glnu: r.i_nonuniformity,
        glnu_norm: r.i_nonuniformity_norm,
        rlnu: r.j_nonuniformity,
        rlnu_norm: r.j_nonuniformity_norm,
        r_perc: r.percentage,
        gl_var: r.i_variance,
        rl_var: r.j_variance,
        rl_entr: r.entropy,
    }
    .to_vec()
}
