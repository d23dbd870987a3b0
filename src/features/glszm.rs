//! Grey Level Size Zone Matrix features, PyRadiomics `glszm` (16 features; IBSI "grey level
//! size zone based features", 3D KOBO).
//!
//! P(i, j) counts zones: connected groups of ROI voxels sharing grey level i, of j voxels.
//! Voxels connect through the same neighbourhood as the other families: 26-connectivity in 3-D,
//! 8 in 2-D mode. Example: in the row [1 1 2 1] there are zones (1, size 2), (2, 1), (1, 1).

use super::discretise::Discretised;
use super::roi::Roi;
use super::texture::{TextureSettings, entropy, for_each_roi_voxel, level_index, neighbour};

/// Zones as (present-level index, size).
fn zones(roi: &Roi, disc: &Discretised, s: &TextureSettings) -> Vec<(usize, usize)> {
    let index = level_index(&disc.gray_levels);
    let offsets = s.offsets(roi.size_zyx(), &[1], true);
    let dim = roi.mask.dim();
    let levels = disc.levels.as_slice().unwrap_or(&[]);
    let mut open: Vec<bool> = roi.mask.as_slice().unwrap_or(&[]).to_vec();
    let mut stack = Vec::new();
    let mut out = Vec::new();
    for_each_roi_voxel(&roi.mask, |i, _, _, _| {
        if !open[i] {
            return;
        }
        let gl = levels[i];
        open[i] = false;
        stack.push(i);
        let mut size = 0;
        while let Some(k) = stack.pop() {
            size += 1;
            let (z, y, x) = (k / (dim.1 * dim.2), (k / dim.2) % dim.1, k % dim.2);
            for o in &offsets {
                if let Some(j) = neighbour(dim, z, y, x, o) {
                    if open[j] && levels[j] == gl {
                        open[j] = false;
                        stack.push(j);
                    }
                }
            }
        }
        out.push((index[gl as usize], size));
    });
    out
}

/// The 16 GLSZM features, in PyRadiomics' (alphabetical) order.
pub fn features(roi: &Roi, disc: &Discretised, s: &TextureSettings) -> Vec<(&'static str, f64)> {
    let zones = zones(roi, disc, s);
    let n = disc.gray_levels.len();
    let max_size = zones.iter().map(|z| z.1).max().unwrap_or(1);
    let mut p = vec![0f64; n * max_size];
    for &(g, size) in &zones {
        p[g * max_size + size - 1] += 1.0;
    }
    size_matrix_features(&p, n, max_size, &disc.gray_levels)
        .into_iter()
        .zip(NAMES)
        .map(|(v, name)| (name, v))
        .collect()
}

const NAMES: [&str; 16] = [
    "GrayLevelNonUniformity",
    "GrayLevelNonUniformityNormalized",
    "GrayLevelVariance",
    "HighGrayLevelZoneEmphasis",
    "LargeAreaEmphasis",
    "LargeAreaHighGrayLevelEmphasis",
    "LargeAreaLowGrayLevelEmphasis",
    "LowGrayLevelZoneEmphasis",
    "SizeZoneNonUniformity",
    "SizeZoneNonUniformityNormalized",
    "SmallAreaEmphasis",
    "SmallAreaHighGrayLevelEmphasis",
    "SmallAreaLowGrayLevelEmphasis",
    "ZoneEntropy",
    "ZonePercentage",
    "ZoneVariance",
];

/// Features of a (grey level x size) count matrix, shared in form by GLSZM and GLDM: the
/// emphases, non-uniformities, variances and entropy, plus the zone percentage for GLSZM.
/// Returned in GLSZM's name order.
fn size_matrix_features(p: &[f64], n: usize, nj: usize, gray_levels: &[u32]) -> [f64; 16] {
    let m = SizeMatrix::new(p, n, nj, gray_levels);
    let np_ = {
        let v: f64 = m.ps.iter().enumerate().map(|(k, v)| v * m.j(k)).sum();
        if v == 0.0 { 1.0 } else { v }
    };
    [
        m.gln(),
        m.gln() / m.nz,
        m.gl_variance(),
        m.sum_p(|v, i, _| v * i * i),
        m.sum_p(|v, _, j| v * j * j),
        m.sum_p(|v, i, j| v * i * i * j * j),
        m.sum_p(|v, i, j| v * j * j / (i * i)),
        m.sum_p(|v, i, _| v / (i * i)),
        m.sn(),
        m.sn() / m.nz,
        m.sum_p(|v, _, j| v / (j * j)),
        m.sum_p(|v, i, j| v * i * i / (j * j)),
        m.sum_p(|v, i, j| v / (i * i * j * j)),
        m.entropy(),
        m.nz / np_,
        m.size_variance(),
    ]
}

/// A (grey level x size) count matrix with its marginals, as GLSZM and GLDM use it.
pub(crate) struct SizeMatrix<'a> {
    p: &'a [f64],
    n: usize,
    nj: usize,
    ivec: Vec<f64>,
    pub pg: Vec<f64>,
    pub ps: Vec<f64>,
    /// Total count (zones or voxels), 1 when empty (as PyRadiomics).
    pub nz: f64,
}

impl<'a> SizeMatrix<'a> {
    pub fn new(p: &'a [f64], n: usize, nj: usize, gray_levels: &[u32]) -> Self {
        let pg: Vec<f64> = (0..n)
            .map(|i| p[i * nj..(i + 1) * nj].iter().sum())
            .collect();
        let ps: Vec<f64> = (0..nj)
            .map(|k| (0..n).map(|i| p[i * nj + k]).sum())
            .collect();
        let total: f64 = ps.iter().sum();
        SizeMatrix {
            p,
            n,
            nj,
            ivec: gray_levels.iter().map(|&l| l as f64).collect(),
            pg,
            ps,
            nz: if total == 0.0 { 1.0 } else { total },
        }
    }

    /// The size (or dependence count) of column k.
    pub fn j(&self, k: usize) -> f64 {
        (k + 1) as f64
    }

    /// Σ f(P(i,j), i, j) / Nz over non-zero cells.
    pub fn sum_p(&self, f: impl Fn(f64, f64, f64) -> f64) -> f64 {
        let mut acc = 0.0;
        for gi in 0..self.n {
            for k in 0..self.nj {
                let v = self.p[gi * self.nj + k];
                if v != 0.0 {
                    acc += f(v, self.ivec[gi], self.j(k));
                }
            }
        }
        acc / self.nz
    }

    /// Grey level non-uniformity Σ pg² / Nz.
    pub fn gln(&self) -> f64 {
        self.pg.iter().map(|v| v * v).sum::<f64>() / self.nz
    }

    /// Size (dependence) non-uniformity Σ ps² / Nz.
    pub fn sn(&self) -> f64 {
        self.ps.iter().map(|v| v * v).sum::<f64>() / self.nz
    }

    pub fn gl_variance(&self) -> f64 {
        let p: Vec<f64> = self.pg.iter().map(|v| v / self.nz).collect();
        let u: f64 = p.iter().zip(&self.ivec).map(|(p, i)| p * i).sum();
        p.iter()
            .zip(&self.ivec)
            .map(|(p, i)| p * (i - u).powi(2))
            .sum()
    }

    pub fn size_variance(&self) -> f64 {
        let p: Vec<f64> = self.ps.iter().map(|v| v / self.nz).collect();
        let u: f64 = p.iter().enumerate().map(|(k, p)| p * self.j(k)).sum();
        p.iter()
            .enumerate()
            .map(|(k, p)| p * (self.j(k) - u).powi(2))
            .sum()
    }

    pub fn entropy(&self) -> f64 {
        entropy(self.p.iter().map(|v| v / self.nz))
    }
}
