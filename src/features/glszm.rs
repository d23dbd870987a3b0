//! Grey Level Size Zone Matrix features, PyRadiomics `glszm` (16 features; IBSI "grey level
//! size zone based features", 3D KOBO).
//!
//! P(i, j) counts zones: connected groups of ROI voxels sharing grey level i, of j voxels.
//! Voxels connect through the same neighbourhood as the other families: 26-connectivity in 3-D,
//! 8 in 2-D mode. Example: in the row [1 1 2 1] there are zones (1, size 2), (2, 1), (1, 1).

use std::collections::BTreeMap;

use super::discretise::Discretised;
use super::roi::Roi;
use super::texture::{Lattice, TextureSettings, entropy};

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

/// A sparse (grey level x size) count matrix with its marginals, as GLSZM and GLDM use it:
/// only non-zero cells are stored, so a matrix with one huge zone costs nothing extra.
pub(crate) struct SizeMatrix {
    /// (present-level index, size or dependence count j >= 1) -> count.
    cells: BTreeMap<(usize, usize), f64>,
    ivec: Vec<f64>,
    pub pg: Vec<f64>,
    /// Count per size (j -> count).
    pub ps: BTreeMap<usize, f64>,
    /// Total count (zones or voxels), 1 when empty (as PyRadiomics).
    pub nz: f64,
}

impl SizeMatrix {
    pub fn new(cells: BTreeMap<(usize, usize), f64>, gray_levels: &[u32]) -> Self {
        let mut pg = vec![0f64; gray_levels.len()];
        let mut ps = BTreeMap::new();
        for (&(g, j), &v) in &cells {
            pg[g] += v;
            *ps.entry(j).or_insert(0.0) += v;
        }
        let total: f64 = pg.iter().sum();
        SizeMatrix {
            cells,
            ivec: gray_levels.iter().map(|&l| l as f64).collect(),
            pg,
            ps,
            nz: if total == 0.0 { 1.0 } else { total },
        }
    }

    /// Σ f(P(i,j), i, j) / Nz over non-zero cells.
    pub fn sum_p(&self, f: impl Fn(f64, f64, f64) -> f64) -> f64 {
        self.cells
            .iter()
            .map(|(&(g, j), &v)| f(v, self.ivec[g], j as f64))
            .sum::<f64>()
            / self.nz
    }

    /// Grey level non-uniformity Σ pg² / Nz.
    pub fn gln(&self) -> f64 {
        self.pg.iter().map(|v| v * v).sum::<f64>() / self.nz
    }

    /// Size (dependence) non-uniformity Σ ps² / Nz.
    pub fn sn(&self) -> f64 {
        self.ps.values().map(|v| v * v).sum::<f64>() / self.nz
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
        let u: f64 = self.ps.iter().map(|(&j, v)| v / self.nz * j as f64).sum();
        self.ps
            .iter()
            .map(|(&j, v)| v / self.nz * (j as f64 - u).powi(2))
            .sum()
    }

    pub fn entropy(&self) -> f64 {
        entropy(self.cells.values().map(|v| v / self.nz))
    }

    /// Σ ps·j: the voxels covered (GLSZM's Np), 1 when empty.
    pub fn covered(&self) -> f64 {
        let v: f64 = self.ps.iter().map(|(&j, v)| v * j as f64).sum();
        if v == 0.0 { 1.0 } else { v }
    }
}

/// The 16 GLSZM features, in PyRadiomics' (alphabetical) order.
pub fn features(
    roi: &Roi,
    disc: &Discretised,
    lattice: &Lattice,
    s: &TextureSettings,
) -> Vec<(&'static str, f64)> {
    let m = SizeMatrix::new(zones(roi, lattice, s), &disc.gray_levels);
    vec![
        ("GrayLevelNonUniformity", m.gln()),
        ("GrayLevelNonUniformityNormalized", m.gln() / m.nz),
        ("GrayLevelVariance", m.gl_variance()),
        ("HighGrayLevelZoneEmphasis", m.sum_p(|v, i, _| v * i * i)),
        ("LargeAreaEmphasis", m.sum_p(|v, _, j| v * j * j)),
        (
            "LargeAreaHighGrayLevelEmphasis",
            m.sum_p(|v, i, j| v * i * i * j * j),
        ),
        (
            "LargeAreaLowGrayLevelEmphasis",
            m.sum_p(|v, i, j| v * j * j / (i * i)),
        ),
        ("LowGrayLevelZoneEmphasis", m.sum_p(|v, i, _| v / (i * i))),
        ("SizeZoneNonUniformity", m.sn()),
        ("SizeZoneNonUniformityNormalized", m.sn() / m.nz),
        ("SmallAreaEmphasis", m.sum_p(|v, _, j| v / (j * j))),
        (
            "SmallAreaHighGrayLevelEmphasis",
            m.sum_p(|v, i, j| v * i * i / (j * j)),
        ),
        (
            "SmallAreaLowGrayLevelEmphasis",
            m.sum_p(|v, i, j| v / (i * i * j * j)),
        ),
        ("ZoneEntropy", m.entropy()),
        ("ZonePercentage", m.nz / m.covered()),
        ("ZoneVariance", m.size_variance()),
    ]
}
