//! A texture matrix as counts at (grey level i, second index j) plus the voxel count it was
//! built from, and the sixteen features GLRLM, GLSZM, GLDZM and NGLDM share (IBSI 1 defines
//! them alike: small/large j emphasis, low/high grey-level emphasis and their four products,
//! grey-level and j non-uniformity with their normalised forms, percentage, grey-level and j
//! variance, entropy; NGLDM adds energy), as the named fields of [`RunLike`].

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

/// The seventeen shared features, by what they weigh: j is the run length, zone size, distance
/// or dependence count, i the grey level. Each family names them its own way (GLRLM's `sre` is
/// `small_j`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunLike {
    pub small_j: f64,
    pub large_j: f64,
    pub low_i: f64,
    pub high_i: f64,
    pub small_j_low_i: f64,
    pub small_j_high_i: f64,
    pub large_j_low_i: f64,
    pub large_j_high_i: f64,
    pub i_nonuniformity: f64,
    pub i_nonuniformity_norm: f64,
    pub j_nonuniformity: f64,
    pub j_nonuniformity_norm: f64,
    pub percentage: f64,
    pub i_variance: f64,
    pub j_variance: f64,
    pub entropy: f64,
    pub energy: f64,
}

/// The shared features of a matrix (every one NaN for an empty matrix).
pub fn run_like(m: &Sparse) -> RunLike {
    let n_s: f64 = m.cells.values().sum();
    let mut r = RunLike {
        small_j: 0.0,
        large_j: 0.0,
        low_i: 0.0,
        high_i: 0.0,
        small_j_low_i: 0.0,
        small_j_high_i: 0.0,
        large_j_low_i: 0.0,
        large_j_high_i: 0.0,
        i_nonuniformity: 0.0,
        i_nonuniformity_norm: 0.0,
        j_nonuniformity: 0.0,
        j_nonuniformity_norm: 0.0,
        percentage: 0.0,
        i_variance: 0.0,
        j_variance: 0.0,
        entropy: 0.0,
        energy: 0.0,
    };
    if n_s == 0.0 {
        return RunLike {
            small_j: f64::NAN,
            large_j: f64::NAN,
            low_i: f64::NAN,
            high_i: f64::NAN,
            small_j_low_i: f64::NAN,
            small_j_high_i: f64::NAN,
            large_j_low_i: f64::NAN,
            large_j_high_i: f64::NAN,
            i_nonuniformity: f64::NAN,
            i_nonuniformity_norm: f64::NAN,
            j_nonuniformity: f64::NAN,
            j_nonuniformity_norm: f64::NAN,
            percentage: f64::NAN,
            i_variance: f64::NAN,
            j_variance: f64::NAN,
            entropy: f64::NAN,
            energy: f64::NAN,
        };
    }
    let mut rows: BTreeMap<u32, f64> = BTreeMap::new();
    let mut cols: BTreeMap<u32, f64> = BTreeMap::new();
    let (mut mu_i, mut mu_j) = (0.0, 0.0);
    for (&(i, j), &c) in &m.cells {
        let p = c / n_s;
        let (fi, fj) = (i as f64, j as f64);
        let (i2, j2) = (fi * fi, fj * fj);
        r.small_j += p / j2;
        r.large_j += p * j2;
        r.low_i += p / i2;
        r.high_i += p * i2;
        r.small_j_low_i += p / (i2 * j2);
        r.small_j_high_i += p * i2 / j2;
        r.large_j_low_i += p * j2 / i2;
        r.large_j_high_i += p * i2 * j2;
        r.entropy -= p * p.log2();
        r.energy += p * p;
        *rows.entry(i).or_insert(0.0) += c;
        *cols.entry(j).or_insert(0.0) += c;
        mu_i += fi * p;
        mu_j += fj * p;
    }
    let glnu: f64 = rows.values().map(|r| r * r).sum();
    let jnu: f64 = cols.values().map(|c| c * c).sum();
    r.i_nonuniformity = glnu / n_s;
    r.i_nonuniformity_norm = glnu / (n_s * n_s);
    r.j_nonuniformity = jnu / n_s;
    r.j_nonuniformity_norm = jnu / (n_s * n_s);
    r.percentage = n_s / m.voxels;
    for (&(i, j), &c) in &m.cells {
        let p = c / n_s;
        r.i_variance += (i as f64 - mu_i).powi(2) * p;
        r.j_variance += (j as f64 - mu_j).powi(2) * p;
    }
    r
}
