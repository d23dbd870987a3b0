//! Grey Level Run Length Matrix features, PyRadiomics `glrlm` (16 features; IBSI "grey level
//! run length based features", 3D averaged when angles are averaged).
//!
//! P(i, j | θ) counts runs of j consecutive ROI voxels of grey level i along direction θ; a run
//! ends at a level change or where the line leaves the ROI. Example: the row [1 1 2] along x
//! gives P(1, 2) = 1 and P(2, 1) = 1. As PyRadiomics does, a direction along which no line meets
//! two ROI voxels is dropped, and features are averaged over the remaining directions (or the
//! matrices are merged with `weightingNorm`, weighted by the offset's length in mm).

use super::discretise::Discretised;
use super::roi::Roi;
use super::texture::{TextureSettings, entropy, level_index, nanmean};

/// Run-length matrices (levels x run lengths) per direction, with their run counts.
fn matrices(roi: &Roi, disc: &Discretised, s: &TextureSettings) -> (Vec<Vec<f64>>, usize) {
    let n = disc.gray_levels.len();
    let index = level_index(&disc.gray_levels);
    let (dz, dy, dx) = roi.mask.dim();
    let size = [dz, dy, dx];
    let nr = dz.max(dy).max(dx);
    let angles = s.offsets(size, &[1], false);
    let levels = disc.levels.as_slice().unwrap_or(&[]);
    let mask = roi.mask.as_slice().unwrap_or(&[]);
    let inside = |p: [isize; 3]| (0..3).all(|k| p[k] >= 0 && (p[k] as usize) < size[k]);
    let mut out = Vec::with_capacity(angles.len());
    for o in &angles {
        let o = [o[0] as isize, o[1] as isize, o[2] as isize];
        let mut p_run = vec![0f64; n * nr];
        let mut multi = false;
        for z in 0..dz {
            for y in 0..dy {
                for x in 0..dx {
                    let start = [z as isize, y as isize, x as isize];
                    // A line starts where stepping back leaves the box.
                    if inside([start[0] - o[0], start[1] - o[1], start[2] - o[2]]) {
                        continue;
                    }
                    let (mut gl, mut run, mut elements) = (usize::MAX, 0usize, 0usize);
                    let mut pos = start;
                    while inside(pos) {
                        let i = (pos[0] as usize * dy + pos[1] as usize) * dx + pos[2] as usize;
                        if mask[i] {
                            elements += 1;
                            let g = index[levels[i] as usize];
                            if gl == usize::MAX {
                                gl = g;
                                run = 0;
                            } else if g == gl {
                                run += 1;
                            } else {
                                p_run[gl * nr + run] += 1.0;
                                gl = g;
                                run = 0;
                            }
                        } else if gl != usize::MAX {
                            p_run[gl * nr + run] += 1.0;
                            gl = usize::MAX;
                            run = 0;
                        }
                        pos = [pos[0] + o[0], pos[1] + o[1], pos[2] + o[2]];
                    }
                    if gl != usize::MAX {
                        p_run[gl * nr + run] += 1.0;
                    }
                    multi |= elements > 1;
                }
            }
        }
        if !multi {
            p_run.iter_mut().for_each(|v| *v = 0.0);
        }
        out.push(p_run);
    }
    if let Some(norm) = s.weighting {
        let spacing = roi.spacing_zyx();
        let mut merged = vec![0f64; n * nr];
        for (p, o) in out.iter().zip(&angles) {
            let w = norm.distance(o, spacing);
            merged.iter_mut().zip(p).for_each(|(m, v)| *m += v * w);
        }
        out = vec![merged];
    }
    (out, nr)
}

/// The 16 GLRLM features, in PyRadiomics' (alphabetical) order.
pub fn features(roi: &Roi, disc: &Discretised, s: &TextureSettings) -> Vec<(&'static str, f64)> {
    let (mut mats, nr) = matrices(roi, disc, s);
    let n = disc.gray_levels.len();
    if mats.len() > 1 {
        mats.retain(|p| p.iter().sum::<f64>() != 0.0);
    }
    let ivec: Vec<f64> = disc.gray_levels.iter().map(|&l| l as f64).collect();
    let mut rows: Vec<[f64; 16]> = Vec::new();
    for p in &mats {
        let total: f64 = p.iter().sum();
        let runs = if total == 0.0 { f64::NAN } else { total };
        let pg: Vec<f64> = (0..n)
            .map(|i| p[i * nr..(i + 1) * nr].iter().sum())
            .collect();
        let pr: Vec<f64> = (0..nr)
            .map(|j| (0..n).map(|i| p[i * nr + j]).sum())
            .collect();
        let j = |k: usize| (k + 1) as f64;
        let sum_r = |f: &dyn Fn(usize, f64) -> f64| {
            pr.iter().enumerate().map(|(k, &v)| f(k, v)).sum::<f64>()
        };
        let sum_g = |f: &dyn Fn(usize, f64) -> f64| {
            pg.iter().enumerate().map(|(k, &v)| f(k, v)).sum::<f64>()
        };
        let sum_p = |f: &dyn Fn(f64, f64, f64) -> f64| {
            let mut acc = 0.0;
            for gi in 0..n {
                for rj in 0..nr {
                    let v = p[gi * nr + rj];
                    if v != 0.0 {
                        acc += f(v, ivec[gi], j(rj));
                    }
                }
            }
            acc
        };
        let np_: f64 = sum_r(&|k, v| v * j(k));
        let pgn: Vec<f64> = pg.iter().map(|v| v / runs).collect();
        let u_i: f64 = pgn.iter().zip(&ivec).map(|(p, i)| p * i).sum();
        let glv: f64 = pgn
            .iter()
            .zip(&ivec)
            .map(|(p, i)| p * (i - u_i).powi(2))
            .sum();
        let prn: Vec<f64> = pr.iter().map(|v| v / runs).collect();
        let u_j: f64 = prn.iter().enumerate().map(|(k, p)| p * j(k)).sum();
        let rv: f64 = prn
            .iter()
            .enumerate()
            .map(|(k, p)| p * (j(k) - u_j).powi(2))
            .sum();
        let re = entropy(p.iter().map(|v| v / runs));
        rows.push([
            sum_g(&|_, v| v * v) / runs,
            sum_g(&|_, v| v * v) / runs.powi(2),
            glv,
            sum_g(&|k, v| v * ivec[k].powi(2)) / runs,
            sum_r(&|k, v| v * j(k).powi(2)) / runs,
            sum_p(&|v, i, j| v * (j.powi(2) * i.powi(2))) / runs,
            sum_p(&|v, i, j| v * j.powi(2) / i.powi(2)) / runs,
            sum_g(&|k, v| v / ivec[k].powi(2)) / runs,
            re,
            sum_r(&|_, v| v * v) / runs,
            sum_r(&|_, v| v * v) / runs.powi(2),
            runs / np_,
            rv,
            sum_r(&|k, v| v / j(k).powi(2)) / runs,
            sum_p(&|v, i, j| v * i.powi(2) / j.powi(2)) / runs,
            sum_p(&|v, i, j| v / (i.powi(2) * j.powi(2))) / runs,
        ]);
    }
    const NAMES: [&str; 16] = [
        "GrayLevelNonUniformity",
        "GrayLevelNonUniformityNormalized",
        "GrayLevelVariance",
        "HighGrayLevelRunEmphasis",
        "LongRunEmphasis",
        "LongRunHighGrayLevelEmphasis",
        "LongRunLowGrayLevelEmphasis",
        "LowGrayLevelRunEmphasis",
        "RunEntropy",
        "RunLengthNonUniformity",
        "RunLengthNonUniformityNormalized",
        "RunPercentage",
        "RunVariance",
        "ShortRunEmphasis",
        "ShortRunHighGrayLevelEmphasis",
        "ShortRunLowGrayLevelEmphasis",
    ];
    NAMES
        .iter()
        .enumerate()
        .map(|(k, name)| {
            (
                *name,
                nanmean(&rows.iter().map(|r| r[k]).collect::<Vec<_>>()),
            )
        })
        .collect()
}
