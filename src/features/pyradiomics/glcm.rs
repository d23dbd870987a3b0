//! Grey Level Co-occurrence Matrix features, PyRadiomics `glcm` (24 features; IBSI "grey level
//! co-occurrence based features", 3D averaged ITBB when angles are averaged, 3D merged IAZD with
//! `weightingNorm`).
//!
//! P(i, j | δ) counts ROI voxel pairs with grey levels i and j at offset δ (both voxels in the
//! ROI). Example: levels [1 2; 2 2] in one slice, δ = (0, 0, 1): pairs (1,2) and (2,2), so
//! P(1,2) = P(2,2) = 1; the symmetric matrix adds the transpose. Each angle's matrix is
//! normalised to sum 1, every feature is computed per angle and averaged over the angles that
//! have pairs (numpy.nanmean). Grey levels are the discretised level values (levels absent from
//! the ROI are dropped, but `Ng`, the highest level, still normalises Idmn and Idn).

use std::ops::Range;

use nalgebra::{DMatrix, SymmetricTridiagonal};

use super::discretise::Discretised;
use super::roi::Roi;
use super::texture::{Lattice, TextureSettings, entropy, nanmean};
use crate::features::value::feature_values;

/// One normalised co-occurrence matrix over the present grey levels.
struct Glcm {
    p: Vec<f64>,
}

/// Per-angle co-occurrence matrices, after symmetrisation, weighting and removal of empty angles.
fn matrices(roi: &Roi, disc: &Discretised, lattice: &Lattice, s: &TextureSettings) -> Vec<Glcm> {
    let n = disc.gray_levels.len();
    let angles = s.offsets(roi.size_zyx(), &s.distances, false);
    let offsets = lattice.flat_offsets(&angles);
    // Integer counting: repeated increments of one cell chain through memory, and integer adds
    // are shorter links than float adds. One flat tally, angle by angle, with a column 0 per
    // row for neighbours outside the ROI, so the loop has no branch.
    let width = n + 1;
    let block = n * width;
    let mut tally = vec![0u32; angles.len() * block];
    for &i in &lattice.roi {
        let row = (lattice.cells[i] - 1) as usize * width;
        for (angle, &o) in offsets.iter().enumerate() {
            tally[angle * block + row + lattice.at(i, o) as usize] += 1;
        }
    }
    let mut counts: Vec<Vec<f64>> = tally
        .chunks_exact(block)
        .map(|t| {
            t.chunks_exact(width)
                .flat_map(|row| row[1..].iter().map(|&v| f64::from(v)))
                .collect()
        })
        .collect();
    if s.symmetrical_glcm {
        for p in counts.iter_mut() {
            let t: Vec<f64> = (0..n * n).map(|k| p[(k % n) * n + k / n]).collect();
            p.iter_mut().zip(t).for_each(|(v, tv)| *v += tv);
        }
    }
    if let Some(norm) = s.weighting {
        let spacing = roi.spacing_zyx();
        let mut merged = vec![0f64; n * n];
        for (p, o) in counts.iter().zip(&angles) {
            let d = norm.distance(o, spacing);
            let w = if norm == super::texture::WeightingNorm::NoWeighting {
                1.0
            } else {
                (-d * d).exp()
            };
            merged.iter_mut().zip(p).for_each(|(m, v)| *m += v * w);
        }
        counts = vec![merged];
    }
    let sums: Vec<f64> = counts.iter().map(|p| p.iter().sum()).collect();
    if counts.len() > 1 {
        let keep: Vec<bool> = sums.iter().map(|&t| t != 0.0).collect();
        let mut k = keep.iter();
        counts.retain(|_| *k.next().unwrap_or(&false));
    }
    counts
        .into_iter()
        .map(|mut p| {
            let total: f64 = p.iter().sum();
            let total = if total == 0.0 { f64::NAN } else { total };
            p.iter_mut().for_each(|v| *v /= total);
            Glcm { p }
        })
        .collect()
}

/// The square root of the second-largest eigenvalue of
/// Q(i, j) = Σk p(i,k) p(j,k) / (px(i) py(k) + eps), as PyRadiomics computes MCC.
///
/// Q is a diagonal similarity away from a symmetric matrix: with D = diag(px),
/// S = D^½ Q D^-½ has S(i,j) = Σk p(i,k) p(j,k) / (√(px(i) px(j)) py(k)) but for the tiny
/// eps term, and the same eigenvalues as Q. The eigenvalues of the symmetric part (S + Sᵀ)/2
/// differ from S's only to second order in that asymmetry, so a symmetric eigensolver (which
/// always converges, unlike a general Schur iteration on Q's clustered eigenvalues) gives
/// PyRadiomics' numpy.linalg.eigvals values. Levels without pairs in this angle have zero rows
/// in Q: eigenvalue 0, set aside.
fn mcc(p: &[f64], px: &[f64], py: &[f64], n: usize) -> f64 {
    if n < 2 {
        return 1.0;
    }
    let active: Vec<usize> = (0..n).filter(|&i| px[i] > 0.0).collect();
    let m = active.len();
    let w = DMatrix::<f64>::from_fn(m, n, |r, k| {
        let i = active[r];
        p[i * n + k] / (px[i] * py[k] + f64::EPSILON)
    });
    let pt = DMatrix::<f64>::from_fn(n, m, |k, c| p[active[c] * n + k]);
    let q = w * pt;
    let root: Vec<f64> = active.iter().map(|&i| px[i].sqrt()).collect();
    let sym = DMatrix::<f64>::from_fn(m, m, |a, b| {
        let s_ab = q[(a, b)] * root[a] / root[b];
        let s_ba = q[(b, a)] * root[b] / root[a];
        0.5 * (s_ab + s_ba)
    });
    // Only the two largest are needed: bisection on the tridiagonal form (Sturm counts)
    // rather than every eigenvalue by QR iterations.
    let tridiagonal = SymmetricTridiagonal::new(sym);
    let (diagonal, off) = (tridiagonal.diagonal(), tridiagonal.off_diagonal());
    let (diagonal, off) = (diagonal.as_slice(), off.as_slice());
    // The second largest of these and the n - m zeros: when it is >= 0 (Q's eigenvalues
    // are, but for rounding), it is the second largest of all, and the largest (which is 1
    // but for eps) need not be found.
    if let [second] = largest_eigenvalues(diagonal, off, 1..2)[..]
        && second >= 0.0
    {
        return second.sqrt();
    }
    let mut eig: Vec<f64> = vec![0.0; n - m];
    eig.extend(largest_eigenvalues(diagonal, off, 0..2));
    eig.sort_by(f64::total_cmp);
    eig[eig.len() - 2].sqrt()
}

/// The largest eigenvalues of ranks `ranks` (0 the largest; ranks past the matrix's size are
/// left out) of the symmetric tridiagonal
/// matrix with `diagonal` and `off` diagonal, by bisection on Sturm sequence counts
/// (Barth, Martin & Wilkinson, Numer. Math. 9, 1967), each to the last bit the interval can
/// resolve.
fn largest_eigenvalues(diagonal: &[f64], off: &[f64], ranks: Range<usize>) -> Vec<f64> {
    let n = diagonal.len();
    let coupling: Vec<f64> = off.iter().map(|o| o * o).collect();
    // How many eigenvalues are below x.
    let below = |x: f64| {
        let mut fewer = 0;
        let mut q = 1.0;
        for i in 0..n {
            q = diagonal[i] - x - if i == 0 { 0.0 } else { coupling[i - 1] / q };
            if q == 0.0 {
                q = -f64::MIN_POSITIVE;
            }
            if q < 0.0 {
                fewer += 1;
            }
        }
        fewer
    };
    // Gershgorin's discs hold every eigenvalue.
    let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
    for i in 0..n {
        let radius =
            if i > 0 { off[i - 1].abs() } else { 0.0 } + if i + 1 < n { off[i].abs() } else { 0.0 };
        low = low.min(diagonal[i] - radius);
        high = high.max(diagonal[i] + radius);
    }
    if !(low.is_finite() && high.is_finite()) {
        return vec![f64::NAN; ranks.end.min(n).saturating_sub(ranks.start)];
    }
    (ranks.start.min(n)..ranks.end.min(n))
        .map(|k| {
            // The eigenvalue with n - 1 - k others below it.
            let (mut lo, mut hi) = (low, high);
            // Halving a finite interval reaches adjacent floats within 2100 steps.
            for _ in 0..2100 {
                let mid = 0.5 * (lo + hi);
                if mid <= lo || mid >= hi {
                    return hi;
                }
                if below(mid) > n - 1 - k {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            hi
        })
        .collect()
}

feature_values! {
    /// GLCM feature names, alphabetical (PyRadiomics' order).
    pub const NAMES;
    /// One value per GLCM feature.
    pub struct Values {
        Autocorrelation,
        ClusterProminence,
        ClusterShade,
        ClusterTendency,
        Contrast,
        Correlation,
        DifferenceAverage,
        DifferenceEntropy,
        DifferenceVariance,
        Id,
        Idm,
        Idmn,
        Idn,
        Imc1,
        Imc2,
        InverseVariance,
        JointAverage,
        JointEnergy,
        JointEntropy,
        MCC,
        MaximumProbability,
        SumAverage,
        SumEntropy,
        SumSquares,
    }
}

/// The GLCM features, in `NAMES` order.
pub fn features(roi: &Roi, disc: &Discretised, lattice: &Lattice, s: &TextureSettings) -> Vec<f64> {
    let levels: Vec<f64> = disc.gray_levels.iter().map(|&l| l as f64).collect();
    let n = levels.len();
    let ng = disc.ng as usize;
    let eps = f64::EPSILON;
    let mats = matrices(roi, disc, lattice, s);
    let mut per_angle: Vec<Vec<f64>> = Vec::with_capacity(mats.len());
    let mut ux_all = Vec::with_capacity(mats.len());
    for m in &mats {
        let p = &m.p;
        let at = |i: usize, j: usize| p[i * n + j];
        let px: Vec<f64> = (0..n).map(|i| (0..n).map(|j| at(i, j)).sum()).collect();
        let py: Vec<f64> = (0..n).map(|j| (0..n).map(|i| at(i, j)).sum()).collect();
        let (mut ux, mut uy) = (0.0, 0.0);
        let mut sum_plus = vec![0f64; 2 * ng + 1]; // index k = i + j
        let mut diff = vec![0f64; ng.max(1)]; // index k = |i - j|
        for i in 0..n {
            for j in 0..n {
                let v = at(i, j);
                ux += levels[i] * v;
                uy += levels[j] * v;
                sum_plus[(levels[i] + levels[j]) as usize] += v;
                diff[(levels[i] - levels[j]).abs() as usize] += v;
            }
        }
        ux_all.push(ux);
        let hxy = entropy(p.iter().copied());
        let (mut autocorr, mut prom, mut shade, mut tend, mut contrast) = (0.0, 0.0, 0.0, 0.0, 0.0);
        let (mut varx, mut vary, mut cov, mut energy, mut maxp, mut sumsq) =
            (0.0, 0.0, 0.0, 0.0, 0.0f64, 0.0);
        let (mut hxy1, mut hxy2) = (0.0, 0.0);
        for i in 0..n {
            for j in 0..n {
                let v = at(i, j);
                let (gi, gj) = (levels[i], levels[j]);
                autocorr += v * gi * gj;
                let c = gi + gj - ux - uy;
                prom += v * c.powi(4);
                shade += v * c.powi(3);
                tend += v * c.powi(2);
                contrast += v * (gi - gj).abs().powi(2);
                varx += v * (gi - ux).powi(2);
                vary += v * (gj - uy).powi(2);
                cov += v * (gi - ux) * (gj - uy);
                energy += v * v;
                maxp = maxp.max(v);
                sumsq += v * (gi - ux).powi(2);
                let pxy = px[i] * py[j];
                hxy1 -= v * (pxy + eps).log2();
                hxy2 -= pxy * (pxy + eps).log2();
            }
        }
        let (sigx, sigy) = (varx.powf(0.5), vary.powf(0.5));
        let correlation = if sigx * sigy == 0.0 {
            1.0
        } else {
            cov / (sigx * sigy + eps)
        };
        let diff_avg: f64 = diff.iter().enumerate().map(|(k, v)| k as f64 * v).sum();
        let diff_var: f64 = diff
            .iter()
            .enumerate()
            .map(|(k, v)| v * (k as f64 - diff_avg).powi(2))
            .sum();
        let idm: f64 = diff
            .iter()
            .enumerate()
            .map(|(k, v)| v / (1.0 + (k as f64).powi(2)))
            .sum();
        let id: f64 = diff
            .iter()
            .enumerate()
            .map(|(k, v)| v / (1.0 + k as f64))
            .sum();
        let ngf = ng as f64;
        let idmn: f64 = diff
            .iter()
            .enumerate()
            .map(|(k, v)| v / (1.0 + (k as f64).powi(2) / ngf.powi(2)))
            .sum();
        let idn: f64 = diff
            .iter()
            .enumerate()
            .map(|(k, v)| v / (1.0 + k as f64 / ngf))
            .sum();
        let inv_var: f64 = diff
            .iter()
            .enumerate()
            .skip(1)
            .map(|(k, v)| v / (k as f64).powi(2))
            .sum();
        let sum_avg: f64 = sum_plus
            .iter()
            .enumerate()
            .skip(2)
            .map(|(k, v)| k as f64 * v)
            .sum();
        let sum_entropy = entropy(sum_plus.iter().skip(2).copied());
        let diff_entropy = entropy(diff.iter().copied());
        let hx = entropy(px.iter().copied());
        let hy = entropy(py.iter().copied());
        let div = hx.max(hy);
        let imc1 = if div != 0.0 { (hxy - hxy1) / div } else { 0.0 };
        let imc2 = if hxy2 == hxy {
            0.0
        } else {
            (1.0 - std::f64::consts::E.powf(-2.0 * (hxy2 - hxy))).powf(0.5)
        };
        let values = Values {
            Autocorrelation: autocorr,
            ClusterProminence: prom,
            ClusterShade: shade,
            ClusterTendency: tend,
            Contrast: contrast,
            Correlation: correlation,
            DifferenceAverage: diff_avg,
            DifferenceEntropy: diff_entropy,
            DifferenceVariance: diff_var,
            Id: id,
            Idm: idm,
            Idmn: idmn,
            Idn: idn,
            Imc1: imc1,
            Imc2: imc2,
            InverseVariance: inv_var,
            // The plain mean of ux over angles, set below.
            JointAverage: f64::NAN,
            JointEnergy: energy,
            JointEntropy: hxy,
            MCC: mcc(p, &px, &py, n),
            MaximumProbability: maxp,
            SumAverage: sum_avg,
            SumEntropy: sum_entropy,
            SumSquares: sumsq,
        };
        per_angle.push(values.to_vec());
    }
    let means: Vec<f64> = (0..NAMES.len())
        .map(|k| nanmean(&per_angle.iter().map(|a| a[k]).collect::<Vec<_>>()))
        .collect();
    let mut out = Values::from_slice(&means);
    // JointAverage is numpy's plain mean of ux over angles (NaN propagates).
    out.JointAverage = ux_all.iter().sum::<f64>() / ux_all.len() as f64;
    out.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two largest eigenvalues by bisection equal those of a full symmetric
    /// eigendecomposition (nalgebra's QR iterations), on matrices with clustered, repeated
    /// and negative eigenvalues, sizes 1 to 40.
    #[test]
    fn bisection_finds_the_two_largest_eigenvalues() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        for n in [1, 2, 3, 5, 8, 13, 21, 40] {
            for repeated in [false, true] {
                let a = DMatrix::<f64>::from_fn(n, n, |_, _| next());
                // A A^T is positive semi-definite like MCC's matrix; the identity block
                // repeats an eigenvalue.
                let mut m = &a * a.transpose();
                if repeated {
                    m = DMatrix::identity(n, n) * 2.0 - DMatrix::from_fn(n, n, |_, _| 1e-3);
                }
                let mut all: Vec<f64> = m.clone().symmetric_eigenvalues().iter().copied().collect();
                all.sort_by(|x, y| y.total_cmp(x));
                let t = SymmetricTridiagonal::new(m);
                let two =
                    largest_eigenvalues(t.diagonal().as_slice(), t.off_diagonal().as_slice(), 0..2);
                assert_eq!(two.len(), n.min(2));
                let scale = all[0].abs().max(1.0);
                for (b, q) in two.iter().zip(&all) {
                    assert!((b - q).abs() <= 1e-13 * scale, "n {n}: {b} vs {q}");
                }
            }
        }
        assert!(largest_eigenvalues(&[f64::NAN], &[], 0..2)[0].is_nan());
        assert!(largest_eigenvalues(&[], &[], 0..2).is_empty());
    }
}
