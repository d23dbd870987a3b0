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
//!
//! PyWavelets computes in the image's precision: float32 for a float32 image (with its own
//! float32 filters, which for some families differ from the double ones rounded), double
//! otherwise; each output is a sum from zero in that precision, in
//! PyWavelets' term order (ascending filter index, except where the periodic extension wraps
//! past the end of the line). Both are reproduced, so the results are PyWavelets' to the bit.

use ndarray::{Array3, Axis, Zip, s};

use super::wavelet_banks::{BANKS, Bank};
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

/// The precision a transform runs in: f32 or f64.
trait Real: Copy + std::ops::Add<Output = Self> + std::ops::Mul<Output = Self> + Send + Sync {
    const ZERO: Self;
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
    /// The low and high pass filters PyWavelets uses in this precision.
    fn filters(bank: &Bank) -> (Vec<Self>, Vec<Self>);
}

impl Real for f32 {
    const ZERO: f32 = 0.0;
    fn from_f64(v: f64) -> f32 {
        v as f32
    }
    fn filters(bank: &Bank) -> (Vec<f32>, Vec<f32>) {
        (bank.3.to_vec(), bank.4.to_vec())
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Real for f64 {
    const ZERO: f64 = 0.0;
    fn from_f64(v: f64) -> f64 {
        v
    }
    fn filters(bank: &Bank) -> (Vec<f64>, Vec<f64>) {
        (bank.1.to_vec(), bank.2.to_vec())
    }
    fn to_f64(self) -> f64 {
        self
    }
}

/// A working array and, per array axis, the padded coordinate of its index 0, or `None` when
/// it holds the whole (periodic) axis.
struct Block<T> {
    values: Array3<T>,
    start: [Option<isize>; 3],
}

/// The order PyWavelets adds the F terms of output `c` of a periodic line of length `n` in:
/// ascending filter index, unless i = c + F/2 reaches past the line's end, when the wrapped
/// terms come first (filter index i - n down to 0), then the rest ascending.
fn term_order(n: usize, f: usize, c: usize) -> Vec<usize> {
    let i = c + f / 2;
    if i < n {
        (0..f).collect()
    } else {
        (0..=i - n).rev().chain(i - n + 1..f).collect()
    }
}

/// One level-1 stationary transform pass along `axis` with filter `h`. On a whole axis the
/// extension is periodic (out[c] = sum_j h[j] x[(c + F/2 - j) mod N]); on a window of it,
/// only the outputs whose inputs all lie in the window are kept (F - 1 fewer), with the same
/// sums in the same order.
fn filter_axis<T: Real>(data: &Block<T>, axis: usize, h: &[T], period: usize) -> Block<T> {
    let n = data.values.len_of(Axis(axis));
    let f = h.len();
    let half = f / 2;
    let (out_len, start) = match data.start[axis] {
        None => (n, None),
        Some(s) => (n + 1 - f, Some(s + half as isize - 1)),
    };
    // Per output: the terms (filter index, input index in this array) in PyWavelets' order.
    let terms: Vec<Vec<(usize, usize)>> = (0..out_len)
        .map(|o| {
            let c = match start {
                None => o,
                Some(s) => (s + o as isize).rem_euclid(period as isize) as usize,
            };
            term_order(period, f, c)
                .into_iter()
                .map(|j| {
                    let k = match start {
                        None => (o + half + n * (j / n + 1) - j) % n,
                        // Output o sits at window index o + F/2 - 1 of the input.
                        Some(_) => o + f - 1 - j,
                    };
                    (j, k)
                })
                .collect()
        })
        .collect();
    let mut shape = [
        data.values.dim().0,
        data.values.dim().1,
        data.values.dim().2,
    ];
    shape[axis] = out_len;
    let mut out = Array3::<T>::from_elem(shape, T::ZERO);
    let mut line = vec![T::ZERO; n];
    Zip::from(out.lanes_mut(Axis(axis)))
        .and(data.values.lanes(Axis(axis)))
        .for_each(|mut o, x| {
            for (l, v) in line.iter_mut().zip(x.iter()) {
                *l = *v;
            }
            for (o, terms) in o.iter_mut().zip(&terms) {
                let mut sum = T::ZERO;
                for &(j, k) in terms {
                    sum = sum + h[j] * line[k];
                }
                *o = sum;
            }
        });
    Block {
        values: out,
        start: {
            let mut s = data.start;
            s[axis] = start;
            s
        },
    }
}

/// The part of `block` on the box (`lo`, `hi` per array axis, padded coordinates), as f64.
fn crop<T: Real>(block: &Block<T>, lo: [usize; 3], hi: [usize; 3]) -> Array3<f64> {
    let at = |a: usize| {
        let s = block.start[a].unwrap_or(0);
        (lo[a] as isize - s) as usize..=(hi[a] as isize - s) as usize
    };
    block
        .values
        .slice(s![at(0), at(1), at(2)])
        .mapv(Real::to_f64)
}

/// Runs the transform and hands each image, cropped to the box `lo..=hi` (x, y, z), to `emit`:
/// per level the detail images, then the approximation. Along each axis only the window the
/// box depends on is computed (the whole axis, periodically, when that window would wrap onto
/// itself). Depth first over the axes, so at most one partial result per axis is held.
/// With `single`, in float32 as PyWavelets does for a float32 image.
pub fn decompose<E>(
    image: &Array3<f64>,
    s: &FilterSettings,
    force2d: Option<usize>,
    lo: [usize; 3],
    hi: [usize; 3],
    single: bool,
    emit: &mut Emit<E>,
) -> Result<(), E> {
    if single {
        decompose_in::<f32, E>(image, s, force2d, lo, hi, emit)
    } else {
        decompose_in::<f64, E>(image, s, force2d, lo, hi, emit)
    }
}

/// [`decompose`] in precision `T`.
fn decompose_in<T: Real, E>(
    image: &Array3<f64>,
    s: &FilterSettings,
    force2d: Option<usize>,
    lo: [usize; 3],
    hi: [usize; 3],
    emit: &mut Emit<E>,
) -> Result<(), E> {
    let Some(bank) = BANKS.iter().find(|b| b.0 == s.wavelet) else {
        return Ok(()); // refused when the parameter file is read
    };
    let (low_pass, high_pass) = T::filters(bank);
    let axes = axes(force2d);
    let size = [image.dim().0, image.dim().1, image.dim().2];
    // Odd axes are extended by one wrapped voxel (numpy.pad 'wrap'), all three as PyRadiomics.
    let padded = size.map(|n| n + n % 2);
    let (box_lo, box_hi) = ([lo[2], lo[1], lo[0]], [hi[2], hi[1], hi[0]]);
    let f = low_pass.len();
    let passes = (s.start_level + s.level) as isize;
    let mut start = [None; 3];
    let mut ranges: Vec<Vec<usize>> = Vec::new();
    for a in 0..3 {
        let transformed = axes.contains(&a);
        let (below, above) = if transformed {
            (passes * (f as isize / 2 - 1), passes * (f as isize / 2))
        } else {
            (0, 0)
        };
        let first = box_lo[a] as isize - below;
        let last = box_hi[a] as isize + above;
        if transformed && last - first + 1 >= padded[a] as isize {
            ranges.push((0..padded[a]).map(|c| c % size[a]).collect());
        } else {
            start[a] = Some(first);
            ranges.push(
                (first..=last)
                    .map(|c| (c.rem_euclid(padded[a] as isize) as usize) % size[a])
                    .collect(),
            );
        }
    }
    let values = Array3::from_shape_fn(
        (ranges[0].len(), ranges[1].len(), ranges[2].len()),
        |(k, j, i)| T::from_f64(image[(ranges[0][k], ranges[1][j], ranges[2][i])]),
    );
    let mut data = Block { values, start };
    for _ in 0..s.start_level {
        for &a in &axes {
            data = filter_axis(&data, a, &low_pass, padded[a]);
        }
    }
    let names = wavelet_names(s.level, force2d);
    let per_level = (1usize << axes.len()) - 1;
    for level in 0..s.level {
        let mut approximation = None;
        // The partial result after the first `depth` axes, and its band bits so far.
        let mut stack: Vec<(Block<T>, usize, usize)> = vec![(data, 0, 0)];
        while let Some((partial, depth, bits)) = stack.pop() {
            if depth == axes.len() {
                if bits == 0 {
                    approximation = Some(partial);
                } else {
                    // Bands arrive in order 1, 2, ... (high pass pushed first, popped last).
                    emit(
                        &names[level * per_level + bits - 1],
                        crop(&partial, box_lo, box_hi),
                    )?;
                }
                continue;
            }
            let a = axes[depth];
            let high = filter_axis(&partial, a, &high_pass, padded[a]);
            let low = filter_axis(&partial, a, &low_pass, padded[a]);
            drop(partial);
            stack.push((high, depth + 1, bits << 1 | 1));
            stack.push((low, depth + 1, bits << 1));
        }
        data = approximation.unwrap_or(Block {
            values: Array3::from_elem((0, 0, 0), T::ZERO),
            start: [None; 3],
        });
    }
    emit(&names[names.len() - 1], crop(&data, box_lo, box_hi))
}
