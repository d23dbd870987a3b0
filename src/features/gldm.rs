//! Grey Level Dependence Matrix features, PyRadiomics `gldm` (14 features; IBSI's
//! "neighbouring grey level dependence" family with coarseness `gldm_a`, 3D KOBO).
//!
//! For every ROI voxel, its dependence is the number of in-ROI neighbours (both directions of
//! every angle at the given distances) whose grey level differs by at most `gldm_a`; P(i, j)
//! counts voxels of level i with j - 1 dependent neighbours (j starts at 1, as in IBSI).

use super::discretise::Discretised;
use super::glszm::SizeMatrix;
use super::roi::Roi;
use super::texture::{TextureSettings, for_each_roi_voxel, level_index, neighbour};

/// The 14 GLDM features, in PyRadiomics' (alphabetical) order.
pub fn features(roi: &Roi, disc: &Discretised, s: &TextureSettings) -> Vec<(&'static str, f64)> {
    let index = level_index(&disc.gray_levels);
    let offsets = s.offsets(roi.size_zyx(), &s.distances, true);
    let dim = roi.mask.dim();
    let levels = disc.levels.as_slice().unwrap_or(&[]);
    let mask = roi.mask.as_slice().unwrap_or(&[]);
    let n = disc.gray_levels.len();
    let nj = offsets.len() + 1;
    let mut p = vec![0f64; n * nj];
    for_each_roi_voxel(&roi.mask, |i, z, y, x| {
        let gi = levels[i] as f64;
        let dependent = offsets
            .iter()
            .filter_map(|o| neighbour(dim, z, y, x, o))
            .filter(|&j| mask[j] && (gi - levels[j] as f64).abs() <= s.gldm_alpha)
            .count();
        p[index[levels[i] as usize] * nj + dependent] += 1.0;
    });
    let m = SizeMatrix::new(&p, n, nj, &disc.gray_levels);
    vec![
        ("DependenceEntropy", m.entropy()),
        ("DependenceNonUniformity", m.sn()),
        ("DependenceNonUniformityNormalized", m.sn() / m.nz),
        ("DependenceVariance", m.size_variance()),
        ("GrayLevelNonUniformity", m.gln()),
        ("GrayLevelVariance", m.gl_variance()),
        ("HighGrayLevelEmphasis", m.sum_p(|v, i, _| v * i * i)),
        ("LargeDependenceEmphasis", m.sum_p(|v, _, j| v * j * j)),
        (
            "LargeDependenceHighGrayLevelEmphasis",
            m.sum_p(|v, i, j| v * j * j * i * i),
        ),
        (
            "LargeDependenceLowGrayLevelEmphasis",
            m.sum_p(|v, i, j| v * j * j / (i * i)),
        ),
        ("LowGrayLevelEmphasis", m.sum_p(|v, i, _| v / (i * i))),
        ("SmallDependenceEmphasis", m.sum_p(|v, _, j| v / (j * j))),
        (
            "SmallDependenceHighGrayLevelEmphasis",
            m.sum_p(|v, i, j| v * i * i / (j * j)),
        ),
        (
            "SmallDependenceLowGrayLevelEmphasis",
            m.sum_p(|v, i, j| v / (i * i * j * j)),
        ),
    ]
}
