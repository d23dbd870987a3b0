//! IBSI 1 grey level run length matrix (3.7) and its 16 features.

use super::matrix::{Sparse, run_like_features};
use super::{Aggregated, Levels, directional_family};
use crate::features::ibsi::settings::Dimension;

pub const NAMES: [&str; 16] = [
    "sre",
    "lre",
    "lgre",
    "hgre",
    "srlge",
    "srhge",
    "lrlge",
    "lrhge",
    "glnu",
    "glnu_norm",
    "rlnu",
    "rlnu_norm",
    "r_perc",
    "gl_var",
    "rl_var",
    "rl_entr",
];

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
    directional_family(
        levels,
        dims,
        |o, z| matrix(levels, o, z),
        |m| run_like_features(m, false),
    )
}
