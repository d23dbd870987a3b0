//! Interpolation on the IBSI grid: the new grid has `ceil(n · old / new)` voxels per axis and is
//! centred on the old grid's centre (IBSI 1, section 2.4), not aligned on the first voxel as
//! PyRadiomics/ITK do. Positions beyond the old grid take the border value (extrapolation by the
//! nearest voxel). Linear and cubic B-spline interpolation are tensor products, so they are
//! applied one axis at a time.

use ndarray::{Array3, Axis, Zip};

use super::settings::Interpolator;

/// Number of voxels on the new grid for `n` voxels of spacing `old` resampled to `new`.
pub fn new_size(n: usize, old: f64, new: f64) -> usize {
    // The tolerance keeps an exact multiple (e.g. 100 x 2 mm to 4 mm) from gaining a voxel
    // through rounding in the division.
    ((n as f64 * old / new) - 1e-6).ceil().max(1.0) as usize
}

/// Position, in old voxel indices, of new voxel `k` (grids share their centre).
pub fn position(k: usize, n_old: usize, n_new: usize, old: f64, new: f64) -> f64 {
    (n_old as f64 - 1.0) / 2.0 + (k as f64 - (n_new as f64 - 1.0) / 2.0) * new / old
}

/// Interpolates `a` along `axis` at `positions` (old indices along that axis).
pub fn along_axis(
    a: &Array3<f64>,
    axis: usize,
    positions: &[f64],
    kind: Interpolator,
) -> Array3<f64> {
    let mut shape = [a.dim().0, a.dim().1, a.dim().2];
    let n = shape[axis];
    shape[axis] = positions.len();
    let mut out = Array3::<f64>::zeros((shape[0], shape[1], shape[2]));
    // Every line reads the same positions: their samples and weights are worked out once.
    let weights: Vec<[(usize, f64); 4]> = positions
        .iter()
        .map(|&p| match kind {
            Interpolator::Linear => linear_weights(n, p),
            Interpolator::Cubic => cubic_weights(n, p),
        })
        .collect();
    Zip::from(a.lanes(Axis(axis)))
        .and(out.lanes_mut(Axis(axis)))
        .par_for_each(|src, mut dst| {
            let mut line: Vec<f64> = src.to_vec();
            if kind == Interpolator::Cubic {
                bspline_coefficients(&mut line);
            }
            for (d, w) in dst.iter_mut().zip(&weights) {
                *d = match kind {
                    // One or two samples, as `linear` reads them.
                    Interpolator::Linear if w[1].1 == 0.0 => line[w[0].0],
                    Interpolator::Linear => line[w[0].0] * w[0].1 + line[w[1].0] * w[1].1,
                    Interpolator::Cubic => w.iter().map(|&(k, v)| line[k] * v).sum(),
                };
            }
        });
    out
}

/// The samples and weights linear interpolation reads at `p` on a line of `n`: the second
/// weight is 0 where one sample is read alone.
fn linear_weights(n: usize, p: f64) -> [(usize, f64); 4] {
    let p = clamp_position(p, n);
    let i = (p.floor() as usize).min(n - 1);
    let t = p - i as f64;
    if i + 1 >= n || t == 0.0 {
        [(i, 1.0), (i, 0.0), (i, 0.0), (i, 0.0)]
    } else {
        [(i, 1.0 - t), (i + 1, t), (i, 0.0), (i, 0.0)]
    }
}

/// The four B-spline coefficients (mirrored indices) and weights the cubic reads at `p`.
fn cubic_weights(n: usize, p: f64) -> [(usize, f64); 4] {
    let p = clamp_position(p, n);
    let i = p.floor() as isize;
    [-1, 0, 1, 2].map(|d| {
        let k = i + d;
        (mirror(k, n), bspline3(p - k as f64))
    })
}

fn clamp_position(p: f64, n: usize) -> f64 {
    p.clamp(0.0, (n - 1) as f64)
}

#[cfg(test)]
fn linear(line: &[f64], p: f64) -> f64 {
    linear_weights(line.len(), p)
        .iter()
        .map(|&(k, w)| line[k] * w)
        .sum()
}

/// Mirror-symmetric index into a line of `n` samples.
fn mirror(k: isize, n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    let period = 2 * (n as isize - 1);
    let mut k = k.rem_euclid(period);
    if k >= n as isize {
        k = period - k;
    }
    k as usize
}

/// The cubic B-spline basis at distance `t` from a knot.
fn bspline3(t: f64) -> f64 {
    let t = t.abs();
    if t < 1.0 {
        2.0 / 3.0 - t * t + t * t * t / 2.0
    } else if t < 2.0 {
        let u = 2.0 - t;
        u * u * u / 6.0
    } else {
        0.0
    }
}

#[cfg(test)]
fn cubic(coefficients: &[f64], p: f64) -> f64 {
    cubic_weights(coefficients.len(), p)
        .iter()
        .map(|&(k, w)| coefficients[k] * w)
        .sum()
}

/// In-place cubic B-spline prefilter with mirror boundaries (Unser, IEEE Signal Processing
/// Magazine 1999: one causal and one anti-causal recursion with pole √3 - 2).
fn bspline_coefficients(s: &mut [f64]) {
    let n = s.len();
    if n < 2 {
        return;
    }
    let z = 3f64.sqrt() - 2.0;
    for v in s.iter_mut() {
        *v *= 6.0;
    }
    // Causal initialisation: the mirrored sum, truncated where z^k is below 1e-16.
    let horizon = ((1e-16f64).ln() / z.abs().ln()).ceil() as usize;
    let mut sum = 0.0;
    let mut zk = 1.0;
    for k in 0..horizon.min(2 * n) {
        sum += zk * s[mirror(k as isize, n)];
        zk *= z;
    }
    s[0] = sum;
    for k in 1..n {
        s[k] += z * s[k - 1];
    }
    s[n - 1] = z / (z * z - 1.0) * (s[n - 1] + z * s[n - 2]);
    for k in (0..n - 1).rev() {
        s[k] = z * (s[k + 1] - s[k]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_share_their_centre_and_round_the_size_up() {
        // IBSI 1 figure 2.2-style example: 5 voxels of 1 mm to 2 mm gives 3 voxels at -1, 1, 3.
        assert_eq!(new_size(5, 1.0, 2.0), 3);
        let p: Vec<f64> = (0..3).map(|k| position(k, 5, 3, 1.0, 2.0)).collect();
        assert_eq!(p, vec![0.0, 2.0, 4.0]);
        assert_eq!(new_size(4, 2.0, 2.0), 4);
        assert_eq!(new_size(204, 0.977, 2.0), 100);
    }

    #[test]
    fn the_cubic_spline_interpolates_the_samples_and_reproduces_a_cubic() {
        let samples: Vec<f64> = (0..12).map(|i| (i as f64 * 0.7).sin()).collect();
        let mut c = samples.clone();
        bspline_coefficients(&mut c);
        for (i, s) in samples.iter().enumerate() {
            assert!((cubic(&c, i as f64) - s).abs() < 1e-12, "sample {i}");
        }
        // Linear interpolation is exact on a line.
        let line: Vec<f64> = (0..6).map(|i| 3.0 * i as f64 - 1.0).collect();
        assert!((linear(&line, 2.25) - 5.75).abs() < 1e-12);
        assert_eq!(linear(&line, -3.0), -1.0);
    }
}
