//! Separable wavelets as IBSI 2 defines them (section 2.7): undecimated (à trous), one 1-D
//! decomposition filter per axis, low pass (L) or high pass (H) by the sub-band's letters (axes
//! i, j, k in turn), PyWavelets' filter banks (any discrete wavelet it knows: haar, dbN, symN,
//! coifN, biorN.M, ...). Level l applies the sub-band's filters, upsampled by 2^(l-1), to the
//! LLL (LL in 2-D) response of level l - 1. Tap t of an n-tap filter sits at offset
//! (t - n/2) 2^(l-1), the alignment of the IBSI 2 reference maps. Rotation invariance averages
//! over the image turned through every right angle (24 in 3-D, 4 in 2-D): turned, filtered,
//! turned back.

use ndarray::{Array3, Axis};

use super::convolve::{self, Boundary};
use super::laws::rotations;

/// The response of `voxels` to sub-band `band` (one letter per entry of `axes`, array axes in
/// kernel order) of the wavelet with filters `(low, high)` at `level` (>= 1).
fn band_response(
    voxels: &Array3<f64>,
    filters: (&[f64], &[f64]),
    band: &[bool],
    level: usize,
    axes: &[usize],
    boundary: Boundary,
) -> Array3<f64> {
    let mut out = voxels.clone();
    for l in 1..=level {
        let step = 1usize << (l - 1);
        for (slot, &axis) in axes.iter().enumerate() {
            let high = l == level && band[slot];
            let taps = if high { filters.1 } else { filters.0 };
            let mut upsampled = vec![0.0; (taps.len() - 1) * step + 1];
            for (t, v) in taps.iter().enumerate() {
                upsampled[t * step] = *v;
            }
            out = convolve::along_centred(&out, axis, &upsampled, taps.len() / 2 * step, boundary);
        }
    }
    out
}

/// The sub-band's response, averaged over the image's right-angle rotations when `invariant`.
pub fn apply(
    voxels: &Array3<f64>,
    filters: (&[f64], &[f64]),
    band: &[bool],
    level: usize,
    invariant: bool,
    axes: &[usize],
    boundary: Boundary,
) -> Array3<f64> {
    if !invariant {
        return band_response(voxels, filters, band, level, axes, boundary);
    }
    let turns = rotations(axes.len());
    let mut sum = Array3::<f64>::zeros(voxels.raw_dim());
    for turn in &turns {
        // New array axis of kernel slot a is the old axis of slot turn[a].0; axes not in
        // `axes` (k in 2-D) stay.
        let mut order = [0, 1, 2];
        for (slot, &axis) in axes.iter().enumerate() {
            order[axis] = axes[turn[slot].0];
        }
        let mut turned = voxels.view().permuted_axes(order);
        for (slot, &(_, flip)) in turn.iter().enumerate() {
            if flip {
                turned.invert_axis(Axis(axes[slot]));
            }
        }
        let mut response = band_response(&turned.to_owned(), filters, band, level, axes, boundary);
        for (slot, &(_, flip)) in turn.iter().enumerate() {
            if flip {
                response.invert_axis(Axis(axes[slot]));
            }
        }
        let mut back = [0, 1, 2];
        for (new, &old) in order.iter().enumerate() {
            back[old] = new;
        }
        sum += &response.permuted_axes(back);
    }
    sum.mapv_inplace(|v| v / turns.len() as f64);
    sum
}
