//! Separable wavelets as IBSI 2 defines them (section 2.7): undecimated (à trous), one 1-D
//! decomposition filter per axis, low pass (L) or high pass (H) by the sub-band's letters (axes
//! i, j, k in turn), PyWavelets' filter banks (any discrete wavelet it knows: haar, dbN, symN,
//! coifN, biorN.M, ...). Level l applies the sub-band's filters, upsampled by 2^(l-1), to the
//! LLL (LL in 2-D) response of level l - 1. Tap t of an n-tap filter sits at offset
//! (t - n/2) 2^(l-1), the alignment of the IBSI 2 reference maps. Rotation invariance averages
//! over the image turned through every right angle (24 in 3-D, 4 in 2-D): turned, filtered,
//! turned back.
//!
//! That average is computed without turning the image when the turns' kernels allow it. A turn
//! conjugates the separable filter: the sub-band's letters move to other axes and the 1-D
//! operator P of an axis becomes F P F where the axis is flipped (F: reversal; the boundary
//! conditions are symmetric, so F P F is the reversed filter with the same boundary). In 3-D
//! every sub-band repeats a letter, and the 24 turns give every placement of the letters on
//! the axes with each of the 8 flip patterns equally often; in 2-D the same holds for LL and
//! HH. The average is then the mean over the letters' placements of the separable filter with
//! (P + F P F) / 2 on each axis: 3 placements of 3 axes instead of 24 turns. Only 2-D LH and
//! HL (4 turns) are turned.

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
    // Each axis's cascade; levels run in turn, all axes at each level.
    let kernels: Vec<Vec<(Vec<f64>, usize)>> = band
        .iter()
        .map(|&high| cascade_kernels(filters, high, level))
        .collect();
    let mut out = voxels.clone();
    for l in 0..level {
        for (slot, &axis) in axes.iter().enumerate() {
            let (taps, centre) = &kernels[slot][l];
            out = convolve::along_centred(&out, axis, taps, *centre, boundary);
        }
    }
    out
}

/// The 1-D filters of one axis's cascade: level 1 .. level - 1 low passes, then the letter's
/// filter at `level`, each upsampled by 2^(l-1), with the tap at offset 0.
fn cascade_kernels(filters: (&[f64], &[f64]), high: bool, level: usize) -> Vec<(Vec<f64>, usize)> {
    (1..=level)
        .map(|l| {
            let step = 1usize << (l - 1);
            let taps = if l == level && high {
                filters.1
            } else {
                filters.0
            };
            let mut upsampled = vec![0.0; (taps.len() - 1) * step + 1];
            for (t, v) in taps.iter().enumerate() {
                upsampled[t * step] = *v;
            }
            (upsampled, taps.len() / 2 * step)
        })
        .collect()
}

/// F P F for a kernel of P: the taps reversed, the centre mirrored.
fn reversed((taps, centre): &(Vec<f64>, usize)) -> (Vec<f64>, usize) {
    (
        taps.iter().rev().copied().collect(),
        taps.len() - 1 - centre,
    )
}

/// The mean of a kernel and its reversal, on their common offsets: (P + F P F) / 2 for a
/// single convolution (the boundary extends the same line for both).
fn symmetrised(kernel: &(Vec<f64>, usize)) -> (Vec<f64>, usize) {
    let (taps, centre) = kernel;
    let (back, back_centre) = reversed(kernel);
    let reach = (*centre).max(taps.len() - 1 - centre);
    let mut out = vec![0.0; 2 * reach + 1];
    for (t, v) in taps.iter().enumerate() {
        out[reach + t - centre] += 0.5 * v;
    }
    for (t, v) in back.iter().enumerate() {
        out[reach + t - back_centre] += 0.5 * v;
    }
    (out, reach)
}

/// The 1-D operator of one axis, P (the cascade of `cascade_kernels`), averaged with its
/// mirror image F P F: (P x + F P F x) / 2 along `axis`. One convolution at level 1 (the
/// kernels add), two cascades above (each convolution re-reads the boundary).
fn mirrored_average(
    volume: &Array3<f64>,
    filters: (&[f64], &[f64]),
    high: bool,
    level: usize,
    axis: usize,
    boundary: Boundary,
) -> Array3<f64> {
    let kernels = cascade_kernels(filters, high, level);
    if level == 1 {
        let (taps, centre) = symmetrised(&kernels[0]);
        return convolve::along_centred(volume, axis, &taps, centre, boundary);
    }
    let cascade = |kernels: &[(Vec<f64>, usize)]| {
        let mut out = convolve::along_centred(volume, axis, &kernels[0].0, kernels[0].1, boundary);
        for (taps, centre) in &kernels[1..] {
            out = convolve::along_centred(&out, axis, taps, *centre, boundary);
        }
        out
    };
    let mut out = cascade(&kernels);
    let back: Vec<(Vec<f64>, usize)> = kernels.iter().map(reversed).collect();
    let mirrored = cascade(&back);
    ndarray::Zip::from(&mut out)
        .and(&mirrored)
        .for_each(|o, &m| *o = 0.5 * (*o + m));
    out
}

/// The rotation average by placements of the letters (see the module's note), or None when
/// the sub-band needs the turns (2-D LH, HL). The placements share their work axis by axis:
/// after each axis, one partial sum per count of H letters placed so far.
fn placement_average(
    voxels: &Array3<f64>,
    filters: (&[f64], &[f64]),
    band: &[bool],
    level: usize,
    axes: &[usize],
    boundary: Boundary,
) -> Option<Array3<f64>> {
    let highs = band.iter().filter(|h| **h).count();
    let n = axes.len();
    if n == 2 && highs == 1 {
        return None;
    }
    let placements = (0..1usize << n)
        .filter(|bits| bits.count_ones() as usize == highs)
        .count();
    // partial[h]: the sum over placements on the axes done so far with h letters H.
    let mut partial: Vec<Option<Array3<f64>>> = vec![None; highs + 1];
    partial[0] = Some(voxels.clone());
    for (done, &axis) in axes.iter().enumerate() {
        let left = n - done - 1;
        let mut next: Vec<Option<Array3<f64>>> = vec![None; highs + 1];
        for (h, slot) in next.iter_mut().enumerate() {
            // Still reachable: the remaining axes can supply the missing H letters.
            if h + left < highs {
                continue;
            }
            let low = partial[h]
                .as_ref()
                .map(|p| mirrored_average(p, filters, false, level, axis, boundary));
            let high = h
                .checked_sub(1)
                .and_then(|g| partial[g].as_ref())
                .map(|p| mirrored_average(p, filters, true, level, axis, boundary));
            *slot = match (low, high) {
                (Some(mut a), Some(b)) => {
                    a += &b;
                    Some(a)
                }
                (a, b) => a.or(b),
            };
        }
        partial = next;
    }
    let mut sum = partial[highs]
        .take()
        .expect("every placement ends with its H letters");
    sum.mapv_inplace(|v| v / placements as f64);
    Some(sum)
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
    if let Some(average) = placement_average(voxels, filters, band, level, axes, boundary) {
        return average;
    }
    turned_average(voxels, filters, band, level, axes, boundary)
}

/// The rotation average by turning the image through every right angle.
fn turned_average(
    voxels: &Array3<f64>,
    filters: (&[f64], &[f64]),
    band: &[bool],
    level: usize,
    axes: &[usize],
    boundary: Boundary,
) -> Array3<f64> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The placement average equals the average over the 24 (or 4) turned images, for every
    /// 3-D sub-band and the 2-D LL and HH, at levels 1 and 2, with each boundary condition.
    #[test]
    fn placements_average_as_the_turns_do() {
        let filters = crate::features::pyradiomics::filters::wavelet_filters("db3").unwrap();
        let mut state = 7u64;
        let volume = Array3::from_shape_fn((9, 11, 10), |_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        });
        let bands3: Vec<Vec<bool>> = (0..8)
            .map(|b| (0..3).map(|a| b >> a & 1 == 1).collect())
            .collect();
        let cases = bands3.iter().map(|b| (b.clone(), vec![2, 1, 0])).chain([
            (vec![false, false], vec![2, 1]),
            (vec![true, true], vec![2, 1]),
        ]);
        for (band, axes) in cases {
            for level in [1, 2] {
                for boundary in [
                    Boundary::Mirror,
                    Boundary::Zero,
                    Boundary::Nearest,
                    Boundary::Periodic,
                ] {
                    let fast =
                        placement_average(&volume, filters, &band, level, &axes, boundary).unwrap();
                    let slow = turned_average(&volume, filters, &band, level, &axes, boundary);
                    let worst = fast
                        .iter()
                        .zip(slow.iter())
                        .map(|(a, b)| (a - b).abs())
                        .fold(0.0, f64::max);
                    assert!(
                        worst < 1e-12,
                        "{band:?} level {level} {boundary:?}: {worst}"
                    );
                }
            }
        }
        assert!(
            placement_average(
                &volume,
                filters,
                &[false, true],
                1,
                &[2, 1],
                Boundary::Mirror
            )
            .is_none()
        );
    }
}
