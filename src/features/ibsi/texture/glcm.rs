//! IBSI 1 grey level co-occurrence matrix (3.6): symmetric, Chebyshev distance 1, and its 25
//! features.

use super::matrix::Sparse;
use super::{Aggregated, Levels, directional_family};
use crate::features::ibsi::settings::Dimension;
use crate::features::value::feature_values;

feature_values! {
    /// GLCM feature names (IBSI tags without `cm_` and the aggregation).
    pub const NAMES;
    /// One value per GLCM feature.
    pub struct Values {
        joint_max,
        joint_avg,
        joint_var,
        joint_entr,
        diff_avg,
        diff_var,
        diff_entr,
        sum_avg,
        sum_var,
        sum_entr,
        energy,
        contrast,
        dissimilarity,
        inv_diff,
        inv_diff_norm,
        inv_diff_mom,
        inv_diff_mom_norm,
        inv_var,
        corr,
        auto_corr,
        clust_tend,
        clust_shade,
        clust_prom,
        info_corr1,
        info_corr2,
    }
}

/// The symmetric co-occurrence counts along `o` over slice `z` (or the volume when `None`).
/// Counted in a dense array up to this many cells (32 MB), else straight into the sparse
/// matrix: 1e5 grey levels would make a dense one of 80 GB.
const DENSE_CELLS: usize = 1 << 22;

fn matrix(levels: &Levels, o: [isize; 3], z: Option<usize>, ng: usize) -> Sparse {
    let pairs = levels.voxels(z).filter_map(|(p, a)| {
        let b = levels.at(p, o);
        (b != 0).then_some((a as usize - 1, b as usize - 1))
    });
    if ng.saturating_mul(ng) > DENSE_CELLS {
        let mut sparse = Sparse::default();
        for (a, b) in pairs {
            sparse.add(a as u32 + 1, b as u32 + 1, 1.0);
            sparse.add(b as u32 + 1, a as u32 + 1, 1.0);
        }
        return sparse;
    }
    let mut dense = vec![0.0; ng * ng];
    for (a, b) in pairs {
        dense[a * ng + b] += 1.0;
        dense[b * ng + a] += 1.0;
    }
    Sparse::from_dense(&dense, ng, 0.0)
}

fn entropy(p: impl Iterator<Item = f64>) -> f64 {
    -p.filter(|&p| p > 0.0).map(|p| p * p.log2()).sum::<f64>()
}

/// The 25 features of a co-occurrence matrix with `ng` grey levels.
pub fn features(m: &Sparse, ng: usize) -> Vec<f64> {
    let total: f64 = m.cells.values().sum();
    if total == 0.0 {
        return Values::nan().to_vec();
    }
    let cells: Vec<(f64, f64, f64)> = m
        .cells
        .iter()
        .map(|(&(i, j), &c)| (i as f64, j as f64, c / total))
        .collect();
    let mut row = vec![0.0; ng + 1];
    let mut col = vec![0.0; ng + 1];
    let mut diff = vec![0.0; ng];
    let mut sum = vec![0.0; 2 * ng + 1];
    for &(i, j, p) in &cells {
        row[i as usize] += p;
        col[j as usize] += p;
        diff[(i - j).abs() as usize] += p;
        sum[(i + j) as usize] += p;
    }
    let over =
        |f: &dyn Fn(f64, f64, f64) -> f64| cells.iter().map(|&(i, j, p)| f(i, j, p)).sum::<f64>();
    let joint_max = cells.iter().map(|c| c.2).fold(0.0, f64::max);
    let mu = over(&|i, _, p| i * p);
    let joint_var = over(&|i, _, p| (i - mu).powi(2) * p);
    let hxy = entropy(cells.iter().map(|c| c.2));
    let diff_avg: f64 = diff.iter().enumerate().map(|(k, p)| k as f64 * p).sum();
    let diff_var: f64 = diff
        .iter()
        .enumerate()
        .map(|(k, p)| (k as f64 - diff_avg).powi(2) * p)
        .sum();
    let sum_avg: f64 = sum.iter().enumerate().map(|(k, p)| k as f64 * p).sum();
    let sum_var: f64 = sum
        .iter()
        .enumerate()
        .map(|(k, p)| (k as f64 - sum_avg).powi(2) * p)
        .sum();
    let ngf = ng as f64;
    let mu_i: f64 = row.iter().enumerate().map(|(k, p)| k as f64 * p).sum();
    let mu_j: f64 = col.iter().enumerate().map(|(k, p)| k as f64 * p).sum();
    let sd_i = row
        .iter()
        .enumerate()
        .map(|(k, p)| (k as f64 - mu_i).powi(2) * p)
        .sum::<f64>()
        .sqrt();
    let sd_j = col
        .iter()
        .enumerate()
        .map(|(k, p)| (k as f64 - mu_j).powi(2) * p)
        .sum::<f64>()
        .sqrt();
    let corr = if sd_i * sd_j == 0.0 {
        1.0
    } else {
        over(&|i, j, p| (i - mu_i) * (j - mu_j) * p) / (sd_i * sd_j)
    };
    let hx = entropy(row.iter().copied());
    let hy = entropy(col.iter().copied());
    let hxy1 = over(&|i, j, p| -p * (row[i as usize] * col[j as usize]).log2());
    // -sum_ij pi pj log2(pi pj) splits into hx sum_j pj + hy sum_i pi: linear in the grey
    // levels instead of their square (1e5 levels would be 1e10 terms).
    let hxy2 = hx * col.iter().sum::<f64>() + hy * row.iter().sum::<f64>();
    let info1 = if hx.max(hy) == 0.0 {
        0.0
    } else {
        (hxy - hxy1) / hx.max(hy)
    };
    let info2 = (1.0 - (-2.0 * (hxy2 - hxy)).exp()).max(0.0).sqrt();
    Values {
        joint_max,
        joint_avg: mu,
        joint_var,
        joint_entr: hxy,
        diff_avg,
        diff_var,
        diff_entr: entropy(diff.iter().copied()),
        sum_avg,
        sum_var,
        sum_entr: entropy(sum.iter().copied()),
        energy: over(&|_, _, p| p * p),
        contrast: over(&|i, j, p| (i - j).powi(2) * p),
        dissimilarity: over(&|i, j, p| (i - j).abs() * p),
        inv_diff: over(&|i, j, p| p / (1.0 + (i - j).abs())),
        inv_diff_norm: over(&|i, j, p| p / (1.0 + (i - j).abs() / ngf)),
        inv_diff_mom: over(&|i, j, p| p / (1.0 + (i - j).powi(2))),
        inv_diff_mom_norm: over(&|i, j, p| p / (1.0 + (i - j).powi(2) / (ngf * ngf))),
        inv_var: over(&|i, j, p| if i == j { 0.0 } else { p / (i - j).powi(2) }),
        corr,
        auto_corr: over(&|i, j, p| i * j * p),
        clust_tend: over(&|i, j, p| (i + j - mu_i - mu_j).powi(2) * p),
        clust_shade: over(&|i, j, p| (i + j - mu_i - mu_j).powi(3) * p),
        clust_prom: over(&|i, j, p| (i + j - mu_i - mu_j).powi(4) * p),
        info_corr1: info1,
        info_corr2: info2,
    }
    .to_vec()
}

/// GLCM features per aggregation, as (suffix, values in `NAMES` order).
pub fn family(levels: &Levels, ng: u32, dims: &[Dimension]) -> Aggregated {
    let ng = ng as usize;
    directional_family(
        levels,
        dims,
        |o, z| matrix(levels, o, z, ng),
        |m| features(m, ng),
    )
}
