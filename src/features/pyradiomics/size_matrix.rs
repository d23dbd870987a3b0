//! A sparse (grey level x size) count matrix and the summaries GLSZM, GLDM and GLRLM share:
//! emphases, non-uniformities, variances and entropy. In GLSZM the second index is the zone
//! size, in GLRLM the run length, in GLDM the dependence count + 1.

use std::collections::BTreeMap;

use super::texture::entropy;

/// A sparse (grey level x size) count matrix with its marginals, as GLSZM and GLDM use it:
/// only non-zero cells are stored, so a matrix with one huge zone costs nothing extra. Cells
/// and sizes are kept in key order in flat lists, which the sums below read many times.
pub struct SizeMatrix {
    /// (present-level index, size or dependence count j >= 1) and count, by key.
    cells: Vec<((usize, usize), f64)>,
    ivec: Vec<f64>,
    pub pg: Vec<f64>,
    /// Count per size (j, count), by j, for the sizes that occur.
    pub ps: Vec<(usize, f64)>,
    /// Total count (zones or voxels), 1 when empty (as PyRadiomics).
    pub nz: f64,
}

impl SizeMatrix {
    /// From a dense gray level x size matrix (row-major, `width` sizes per gray level index,
    /// size j stored at column j - 1); zero cells are dropped.
    pub fn from_dense(counts: &[f64], width: usize, gray_levels: &[u32]) -> Self {
        let cells = counts
            .iter()
            .enumerate()
            .filter(|(_, v)| **v != 0.0)
            .map(|(k, v)| ((k / width, k % width + 1), *v))
            .collect();
        SizeMatrix::in_order(cells, gray_levels)
    }

    pub fn new(cells: BTreeMap<(usize, usize), f64>, gray_levels: &[u32]) -> Self {
        SizeMatrix::in_order(cells.into_iter().collect(), gray_levels)
    }

    /// From non-zero (positive) cells in key order.
    fn in_order(cells: Vec<((usize, usize), f64)>, gray_levels: &[u32]) -> Self {
        let mut pg = vec![0f64; gray_levels.len()];
        // Sparse by size too (a zone of a million voxels is one entry), then a flat list.
        let mut per_size = BTreeMap::new();
        for &((g, j), v) in &cells {
            pg[g] += v;
            *per_size.entry(j).or_insert(0.0) += v;
        }
        let ps = per_size.into_iter().collect();
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
            .map(|&((g, j), v)| f(v, self.ivec[g], j as f64))
            .sum::<f64>()
            / self.nz
    }

    /// Grey level non-uniformity Σ pg² / Nz.
    pub fn gln(&self) -> f64 {
        self.pg.iter().map(|v| v * v).sum::<f64>() / self.nz
    }

    /// Size (dependence) non-uniformity Σ ps² / Nz.
    pub fn sn(&self) -> f64 {
        self.ps.iter().map(|(_, v)| v * v).sum::<f64>() / self.nz
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
        let u: f64 = self.ps.iter().map(|&(j, v)| v / self.nz * j as f64).sum();
        self.ps
            .iter()
            .map(|&(j, v)| v / self.nz * (j as f64 - u).powi(2))
            .sum()
    }

    pub fn entropy(&self) -> f64 {
        entropy(self.cells.iter().map(|(_, v)| v / self.nz))
    }

    /// Σ ps·j: the voxels covered (GLSZM's Np), 1 when empty.
    pub fn covered(&self) -> f64 {
        let v: f64 = self.ps.iter().map(|&(j, v)| v * j as f64).sum();
        if v == 0.0 { 1.0 } else { v }
    }
}

/// The summaries every size-type matrix has (PyRadiomics' formulas, Nz the total count).
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// Σ pg² / Nz
    pub gln: f64,
    /// Σ pg² / Nz²
    pub glnn: f64,
    pub gl_variance: f64,
    /// Σ P i² / Nz
    pub high: f64,
    /// Σ P j² / Nz
    pub large: f64,
    /// Σ P i² j² / Nz
    pub large_high: f64,
    /// Σ P j² / i² / Nz
    pub large_low: f64,
    /// Σ P / i² / Nz
    pub low: f64,
    /// Σ ps² / Nz
    pub sn: f64,
    /// Σ ps² / Nz²
    pub snn: f64,
    /// Σ P / j² / Nz
    pub small: f64,
    /// Σ P i² / j² / Nz
    pub small_high: f64,
    /// Σ P / (i² j²) / Nz
    pub small_low: f64,
    pub entropy: f64,
    /// Nz / Σ ps j
    pub percentage: f64,
    pub size_variance: f64,
}

impl SizeMatrix {
    /// Every summary at once.
    pub fn summary(&self) -> Summary {
        Summary {
            gln: self.gln(),
            glnn: self.gln() / self.nz,
            gl_variance: self.gl_variance(),
            high: self.sum_p(|v, i, _| v * i * i),
            large: self.sum_p(|v, _, j| v * j * j),
            large_high: self.sum_p(|v, i, j| v * (j * j * i * i)),
            large_low: self.sum_p(|v, i, j| v * j * j / (i * i)),
            low: self.sum_p(|v, i, _| v / (i * i)),
            sn: self.sn(),
            snn: self.sn() / self.nz,
            small: self.sum_p(|v, _, j| v / (j * j)),
            small_high: self.sum_p(|v, i, j| v * i * i / (j * j)),
            small_low: self.sum_p(|v, i, j| v / (i * i * j * j)),
            entropy: self.entropy(),
            percentage: self.nz / self.covered(),
            size_variance: self.size_variance(),
        }
    }
}
