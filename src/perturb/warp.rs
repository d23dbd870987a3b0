//! Resampling a voxel array under a spatial map on its own grid (translation, rotation), and
//! the partial-volume rule for masks: a mask's indicator is interpolated linearly and kept
//! where it reaches 0.5 (IBSI's mask interpolation threshold).
//!
//! Maps work in millimetres in the grid's index frame (x = i * spacing_x, ...); points that
//! fall outside the grid take the nearest edge voxel's value (image) or lie outside (mask).

use ndarray::Array3;
use rayon::prelude::*;

use crate::volume::resample::{bspline_at, bspline_coefficients, linear_at};

/// How image values are interpolated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interp {
    Linear,
    BSpline,
}

impl Interp {
    /// Parses `linear` or `bspline`.
    pub fn parse(text: &str) -> Option<Interp> {
        match text {
            "linear" => Some(Interp::Linear),
            "bspline" => Some(Interp::BSpline),
            _ => None,
        }
    }
}

/// Resamples `data` (z, y, x) so that the output voxel at point p (mm, index frame) takes the
/// input's value at `map(p)`. Slices run in parallel; each output voxel is independent.
pub fn warp(
    data: &Array3<f64>,
    spacing: [f64; 3],
    interp: Interp,
    map: &(dyn Fn([f64; 3]) -> [f64; 3] + Sync),
) -> Array3<f64> {
    let coef = (interp == Interp::BSpline).then(|| bspline_coefficients(data));
    let source = coef.as_ref().unwrap_or(data);
    let (nz, ny, nx) = data.dim();
    let len = [nx, ny, nz];
    let mut out = Array3::<f64>::zeros((nz, ny, nx));
    plane_chunks(&mut out).for_each(|(k, plane)| {
        for j in 0..ny {
            for i in 0..nx {
                let p = [i as f64, j as f64, k as f64];
                let q = map([0, 1, 2].map(|a| p[a] * spacing[a]));
                let idx = [0, 1, 2].map(|a| (q[a] / spacing[a]).clamp(0.0, (len[a] - 1) as f64));
                plane[j * nx + i] = match interp {
                    Interp::Linear => linear_at(source, idx),
                    Interp::BSpline => bspline_at(source, idx),
                };
            }
        }
    });
    out
}

/// Warps a binary mask: points outside the grid are outside the mask, and a voxel is inside
/// where the linearly interpolated indicator is at least 0.5.
pub fn warp_mask(
    inside: &Array3<bool>,
    spacing: [f64; 3],
    map: &(dyn Fn([f64; 3]) -> [f64; 3] + Sync),
) -> Array3<bool> {
    let (nz, ny, nx) = inside.dim();
    let len = [nx, ny, nz];
    // Pad by one voxel of background so the clamped lookup sees "outside" beyond the edge.
    let padded = Array3::from_shape_fn((nz + 2, ny + 2, nx + 2), |(k, j, i)| {
        let inner = k >= 1 && j >= 1 && i >= 1 && k <= nz && j <= ny && i <= nx;
        f64::from(u8::from(inner && inside[(k - 1, j - 1, i - 1)]))
    });
    let mut out = Array3::from_elem((nz, ny, nx), false);
    plane_chunks(&mut out).for_each(|(k, plane)| {
        for j in 0..ny {
            for i in 0..nx {
                let p = [i as f64, j as f64, k as f64];
                let q = map([0, 1, 2].map(|a| p[a] * spacing[a]));
                let idx =
                    [0, 1, 2].map(|a| (q[a] / spacing[a] + 1.0).clamp(0.0, (len[a] + 1) as f64));
                plane[j * nx + i] = linear_at(&padded, idx) >= 0.5;
            }
        }
    });
    out
}

/// The z-planes of a standard-layout array as parallel mutable slices with their index.
fn plane_chunks<T: Send>(
    a: &mut Array3<T>,
) -> impl IndexedParallelIterator<Item = (usize, &mut [T])> {
    let (_, ny, nx) = a.dim();
    let plane = (ny * nx).max(1);
    // Arrays made here are always in standard layout; an empty slice covers the other case.
    a.as_slice_mut()
        .unwrap_or(&mut [])
        .par_chunks_mut(plane)
        .enumerate()
}
