//! PyRadiomics' `Wavelet` image type: for each kept level, the 2^n - 1 detail images of a
//! one-level stationary (undecimated) wavelet transform along the n image axes (all three, or
//! the two in-plane ones with `force2D`), and finally the last level's approximation.
//!
//! As PyRadiomics 3.1 calls PyWavelets (`_swt3`): the image is first extended by one voxel,
//! wrapping around, along every axis of odd length; each level is PyWavelets' `swtn` of level 1
//! applied to the previous level's approximation (so the filters are never dilated), with
//! periodic extension; the result is cropped back. Along an axis of length N, with a filter h
//! of even length F, PyWavelets' level-1 transform is out[i] = sum_j h[j] x[(i + F/2 - j) mod N].
//! Sub-band names read the axes x, y, z: `LLH` is low pass along x and y, high pass along z.

use ndarray::{Array3, Axis, Zip, s};

use super::wavelet_banks::BANKS;
use super::{Emit, FilterSettings};

/// The numpy axes (0 = z, 1 = y, 2 = x) the transform runs along, in PyRadiomics' order.
fn axes(force2d: Option<usize>) -> Vec<usize> {
    [2, 1, 0]
        .into_iter()
        .filter(|a| Some(*a) != force2d)
        .collect()
}

/// The image names the Wavelet type yields for `level` kept levels, in yield order.
pub fn wavelet_names(level: usize, force2d: Option<usize>) -> Vec<String> {
    let n = axes(force2d).len();
    let prefix = |idx: usize| {
        if idx == 1 {
            "wavelet-".to_string()
        } else {
            format!("wavelet{idx}-")
        }
    };
    let mut names = Vec::new();
    for idx in 1..=level {
        for band in 1..(1usize << n) {
            names.push(format!("{}{}", prefix(idx), band_name(band, n)));
        }
    }
    names.push(format!("{}{}", prefix(level), "L".repeat(n)));
    names
}

/// The name of sub-band `band` (bit k from the top set: high pass along the k-th axis).
fn band_name(band: usize, n: usize) -> String {
    (0..n)
        .map(|k| {
            if band >> (n - 1 - k) & 1 == 1 {
                'H'
            } else {
                'L'
            }
        })
        .collect()
}

/// One-level periodic stationary transform along `axis` with filter `h`.
fn filter_axis(data: &Array3<f64>, axis: usize, h: &[f64]) -> Array3<f64> {
    let mut out = Array3::<f64>::zeros(data.raw_dim());
    let n = data.len_of(Axis(axis));
    let half = h.len() / 2;
    let mut line = vec![0.0; n];
    Zip::from(out.lanes_mut(Axis(axis)))
        .and(data.lanes(Axis(axis)))
        .for_each(|mut o, x| {
            for (l, v) in line.iter_mut().zip(x.iter()) {
                *l = *v;
            }
            for (i, o) in o.iter_mut().enumerate() {
                let mut sum = 0.0;
                for (j, c) in h.iter().enumerate() {
                    // (i + F/2 - j) mod N, for any filter longer than the line too.
                    let k = (i + half + n * (j / n + 1) - j) % n;
                    sum += c * line[k];
                }
                *o = sum;
            }
        });
    out
}

/// Extends every odd-length axis by one voxel, wrapping around (numpy.pad 'wrap').
fn pad_odd(image: &Array3<f64>) -> Array3<f64> {
    let (z, y, x) = image.dim();
    let padded = [z + z % 2, y + y % 2, x + x % 2];
    Array3::from_shape_fn((padded[0], padded[1], padded[2]), |(k, j, i)| {
        image[(k % z, j % y, i % x)]
    })
}

/// Crops a padded result back to the original size.
fn crop(padded: &Array3<f64>, size: (usize, usize, usize)) -> Array3<f64> {
    padded.slice(s![..size.0, ..size.1, ..size.2]).to_owned()
}

/// Runs the transform and hands each image to `emit`: per level the detail images, then the
/// approximation. Depth first over the axes, so at most one partial result per axis is held.
pub fn decompose<E>(
    image: &Array3<f64>,
    s: &FilterSettings,
    force2d: Option<usize>,
    emit: &mut Emit<E>,
) -> Result<(), E> {
    let Some((_, lo, hi)) = BANKS.iter().find(|(n, _, _)| *n == s.wavelet) else {
        return Ok(()); // refused when the parameter file is read
    };
    let axes = axes(force2d);
    let size = image.dim();
    let mut data = pad_odd(image);
    for _ in 0..s.start_level {
        for &a in &axes {
            data = filter_axis(&data, a, lo);
        }
    }
    let names = wavelet_names(s.level, force2d);
    let per_level = (1usize << axes.len()) - 1;
    for level in 0..s.level {
        let mut approximation = None;
        let mut emitted = 0;
        // bands[k]: the partial result after the first k axes, and its band bits so far.
        let mut stack: Vec<(Array3<f64>, usize, usize)> = vec![(data, 0, 0)];
        while let Some((partial, depth, bits)) = stack.pop() {
            if depth == axes.len() {
                if bits == 0 {
                    approximation = Some(partial);
                } else {
                    // Bands arrive in order 1, 2, ... (high pass pushed first, popped last).
                    emitted += 1;
                    emit(&names[level * per_level + bits - 1], crop(&partial, size))?;
                }
                continue;
            }
            let high = filter_axis(&partial, axes[depth], hi);
            let low = filter_axis(&partial, axes[depth], lo);
            drop(partial);
            stack.push((high, depth + 1, bits << 1 | 1));
            stack.push((low, depth + 1, bits << 1));
        }
        debug_assert_eq!(emitted, per_level);
        data = approximation.unwrap_or_else(|| Array3::zeros((0, 0, 0)));
    }
    emit(&names[names.len() - 1], crop(&data, size))
}
