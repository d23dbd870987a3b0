//! A texture matrix as counts at (grey level i, second index j) plus the voxel count it was
//! built from, and the sixteen features GLRLM, GLSZM, GLDZM and NGLDM share (IBSI 1 defines
//! them alike: small/large j emphasis, low/high grey-level emphasis and their four products,
//! grey-level and j non-uniformity with their normalised forms, percentage, grey-level and j
//! variance, entropy; NGLDM adds energy).

use std::collections::BTreeMap;

/// Counts at (i, j), with the number of voxels behind them (for the percentage features).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sparse {
    pub cells: BTreeMap<(u32, u32), f64>,
    pub voxels: f64,
}

impl Sparse {
    pub fn add(&mut self, i: u32, j: u32, count: f64) {
        *self.cells.entry((i, j)).or_insert(0.0) += count;
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The merged matrix: counts and voxels summed.
    pub fn sum(parts: &[Sparse]) -> Sparse {
        let mut out = Sparse::default();
        for p in parts {
            for (&(i, j), &c) in &p.cells {
                out.add(i, j, c);
            }
            out.voxels += p.voxels;
        }
        out
    }

    /// From a dense i-major array of counts (levels 1..=ng, j 1..=width).
    pub fn from_dense(counts: &[f64], width: usize, voxels: f64) -> Sparse {
        let mut out = Sparse {
            voxels,
            ..Sparse::default()
        };
        for (k, &c) in counts.iter().enumerate() {
            if c != 0.0 {
                out.add((k / width) as u32 + 1, (k % width) as u32 + 1, c);
            }
        }
        out
    }
}

/// The sixteen shared features (seventeen with `energy`), in IBSI's order.
pub fn run_like_features(m: &Sparse, energy: bool) -> Vec<f64> {
    let n_s: f64 = m.cells.values().sum();
    let mut out = vec![0.0; if energy { 17 } else { 16 }];
    if n_s == 0.0 {
        return vec![f64::NAN; out.len()];
    }
    let mut rows: BTreeMap<u32, f64> = BTreeMap::new();
    let mut cols: BTreeMap<u32, f64> = BTreeMap::new();
    let (mut mu_i, mut mu_j) = (0.0, 0.0);
    for (&(i, j), &c) in &m.cells {
        let p = c / n_s;
        let (fi, fj) = (i as f64, j as f64);
        let (i2, j2) = (fi * fi, fj * fj);
        out[0] += p / j2;
        out[1] += p * j2;
        out[2] += p / i2;
        out[3] += p * i2;
        out[4] += p / (i2 * j2);
        out[5] += p * i2 / j2;
        out[6] += p * j2 / i2;
        out[7] += p * i2 * j2;
        out[15] -= p * p.log2();
        if energy {
            out[16] += p * p;
        }
        *rows.entry(i).or_insert(0.0) += c;
        *cols.entry(j).or_insert(0.0) += c;
        mu_i += fi * p;
        mu_j += fj * p;
    }
    let glnu: f64 = rows.values().map(|r| r * r).sum();
    let jnu: f64 = cols.values().map(|c| c * c).sum();
    out[8] = glnu / n_s;
    out[9] = glnu / (n_s * n_s);
    out[10] = jnu / n_s;
    out[11] = jnu / (n_s * n_s);
    out[12] = n_s / m.voxels;
    for (&(i, j), &c) in &m.cells {
        let p = c / n_s;
        out[13] += (i as f64 - mu_i).powi(2) * p;
        out[14] += (j as f64 - mu_j).powi(2) * p;
    }
    out
}
