//! Exact Euclidean distance transforms on anisotropic grids (Felzenszwalb and Huttenlocher,
//! "Distance transforms of sampled functions", Theory of Computing 2012): one lower-envelope
//! pass of parabolas per axis, O(voxels) in total.

use ndarray::{Array3, Axis};

/// The squared distance (mm^2) from every voxel centre to the nearest voxel of `set`;
/// infinite when `set` is empty.
pub fn squared_distance_to(set: &Array3<bool>, spacing: [f64; 3]) -> Array3<f64> {
    let mut d = set.mapv(|v| if v { 0.0 } else { f64::INFINITY });
    // Axis 0 is z (spacing[2]), 1 is y, 2 is x.
    for (axis, s) in [(2usize, spacing[0]), (1, spacing[1]), (0, spacing[2])] {
        let n = d.shape()[axis];
        let w = s * s;
        let mut f = vec![0.0; n];
        let mut out = vec![0.0; n];
        let mut hull = vec![0usize; n];
        let mut bounds = vec![0.0; n + 1];
        for mut lane in d.lanes_mut(Axis(axis)) {
            for (dst, v) in f.iter_mut().zip(lane.iter()) {
                *dst = *v;
            }
            if lower_envelope(&f, w, &mut hull, &mut bounds, &mut out) {
                for (dst, v) in lane.iter_mut().zip(&out) {
                    *dst = *v;
                }
            }
        }
    }
    d
}

/// out[q] = min_p f[p] + w (q - p)^2 over finite f[p]. Returns false (leaving `out` alone)
/// when every f[p] is infinite.
fn lower_envelope(
    f: &[f64],
    w: f64,
    hull: &mut [usize],
    bounds: &mut [f64],
    out: &mut [f64],
) -> bool {
    let n = f.len();
    let mut k: usize = 0;
    let mut started = false;
    for q in 0..n {
        if !f[q].is_finite() {
            continue;
        }
        if !started {
            hull[0] = q;
            bounds[0] = f64::NEG_INFINITY;
            bounds[1] = f64::INFINITY;
            started = true;
            continue;
        }
        loop {
            let v = hull[k];
            let s = ((f[q] + w * (q * q) as f64) - (f[v] + w * (v * v) as f64))
                / (2.0 * w * (q as f64 - v as f64));
            if s <= bounds[k] && k > 0 {
                k -= 1;
                continue;
            }
            if s <= bounds[k] {
                // k == 0 and the new parabola dominates from -infinity on.
                hull[0] = q;
                bounds[1] = f64::INFINITY;
                break;
            }
            k += 1;
            hull[k] = q;
            bounds[k] = s;
            bounds[k + 1] = f64::INFINITY;
            break;
        }
    }
    if !started {
        return false;
    }
    let mut k = 0;
    for (q, o) in out.iter_mut().enumerate() {
        while bounds[k + 1] < q as f64 {
            k += 1;
        }
        let v = hull[k];
        let dq = q as f64 - v as f64;
        *o = f[v] + w * dq * dq;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_brute_force_on_an_anisotropic_grid() {
        let set = Array3::from_shape_fn((5, 6, 7), |(k, j, i)| (i * 3 + j * 5 + k * 7) % 17 == 0);
        let spacing = [0.7, 1.1, 2.5];
        let d = squared_distance_to(&set, spacing);
        for ((k, j, i), v) in d.indexed_iter() {
            let mut best = f64::INFINITY;
            for ((kk, jj, ii), &s) in set.indexed_iter() {
                if s {
                    let dx = (i as f64 - ii as f64) * spacing[0];
                    let dy = (j as f64 - jj as f64) * spacing[1];
                    let dz = (k as f64 - kk as f64) * spacing[2];
                    best = best.min(dx * dx + dy * dy + dz * dz);
                }
            }
            assert!((v - best).abs() < 1e-9, "({i},{j},{k}): {v} vs {best}");
        }
        let none = squared_distance_to(&Array3::from_elem((2, 2, 2), false), spacing);
        assert!(none.iter().all(|v| v.is_infinite()));
    }
}
