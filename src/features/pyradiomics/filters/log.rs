//! PyRadiomics' `LoG` image type: SimpleITK's LaplacianRecursiveGaussianImageFilter with
//! NormalizeAcrossScale on, per sigma (mm).
//!
//! The Laplacian is the sum over the axes of the second derivative along that axis, each
//! computed as a recursive (IIR) second-derivative-of-Gaussian pass along the axis followed by
//! recursive Gaussian smoothing passes along the other two axes (in x, y, z order), divided by
//! the squared spacing. The recursive filter is Deriche's fourth-order approximation (R.
//! Deriche, "Recursively implementing the Gaussian and its derivatives", INRIA RR-1893, 1993;
//! its constants below), normalised as ITK's RecursiveGaussianImageFilter normalises it (unit
//! response to a constant for the Gaussian, to x^2/2 for the second derivative, times sigma^2
//! across scales), with the border value held constant beyond both ends of a line. As in ITK,
//! each pass computes in double precision and stores float32, and the Laplacian is accumulated
//! in float32; the result is float32.
//!
//! PyRadiomics' rules for small images: no LoG image at all when an axis has fewer than 4
//! voxels; a sigma is skipped unless every axis has at least ceil(sigma / spacing) + 1 voxels.

use ndarray::{Array3, Axis, Zip};
use rayon::prelude::*;

/// Deriche's constants for the Gaussian (index 0) and its second derivative (index 2): the
/// amplitudes a, b, frequencies w and decays l of the two exponential-cosine terms.
const A1: [f64; 3] = [1.3530, -0.6724, -1.3563];
const B1: [f64; 3] = [1.8151, -3.4327, 5.2318];
const W1: f64 = 0.6681;
const L1: f64 = -1.3932;
const A2: [f64; 3] = [-0.3531, 0.6724, 0.3446];
const B2: [f64; 3] = [0.0902, 0.6100, -2.2355];
const W2: f64 = 2.0787;
const L2: f64 = -1.3732;

/// Which kernel a recursive pass approximates.
#[derive(Clone, Copy, PartialEq)]
enum Order {
    Gaussian,
    SecondDerivative,
}

/// The coefficients of one recursive pass: causal input (n), recursion (d), anti-causal input
/// (m), and the border terms of the causal (bn) and anti-causal (bm) recursions.
struct Pass {
    n: [f64; 4],
    d: [f64; 4],
    m: [f64; 4],
    bn: [f64; 4],
    bm: [f64; 4],
}

/// The numerator coefficients of the causal filter for one kernel (a1, b1, a2, b2), and their
/// sum and first and second moments (used to normalise).
fn numerator(sigma_voxels: f64, a1: f64, b1: f64, a2: f64, b2: f64) -> ([f64; 4], [f64; 3]) {
    let (s1, c1) = (W1 / sigma_voxels).sin_cos();
    let (s2, c2) = (W2 / sigma_voxels).sin_cos();
    let e1 = (L1 / sigma_voxels).exp();
    let e2 = (L2 / sigma_voxels).exp();
    let n0 = a1 + a2;
    let mut n1 = e2 * (b2 * s2 - (a2 + 2.0 * a1) * c2);
    n1 += e1 * (b1 * s1 - (a1 + 2.0 * a2) * c1);
    let mut n2 = (a1 + a2) * c2 * c1;
    n2 -= b1 * c2 * s1 + b2 * c1 * s2;
    n2 *= 2.0 * e1 * e2;
    n2 += a2 * e1 * e1 + a1 * e2 * e2;
    let mut n3 = e2 * e1 * e1 * (b2 * s2 - a2 * c2);
    n3 += e1 * e2 * e2 * (b1 * s1 - a1 * c1);
    let sum = n0 + n1 + n2 + n3;
    let first = n1 + 2.0 * n2 + 3.0 * n3;
    let second = n1 + 4.0 * n2 + 9.0 * n3;
    ([n0, n1, n2, n3], [sum, first, second])
}

/// The recursion (denominator) coefficients, and their sum and moments.
fn denominator(sigma_voxels: f64) -> ([f64; 4], [f64; 3]) {
    let c1 = (W1 / sigma_voxels).cos();
    let c2 = (W2 / sigma_voxels).cos();
    let e1 = (L1 / sigma_voxels).exp();
    let e2 = (L2 / sigma_voxels).exp();
    let d4 = e1 * e1 * e2 * e2;
    let mut d3 = -2.0 * c1 * e1 * e2 * e2;
    d3 += -2.0 * c2 * e2 * e1 * e1;
    let mut d2 = 4.0 * c2 * c1 * e1 * e2;
    d2 += e1 * e1 + e2 * e2;
    let d1 = -2.0 * (e2 * c2 + e1 * c1);
    let sum = 1.0 + d1 + d2 + d3 + d4;
    let first = d1 + 2.0 * d2 + 3.0 * d3 + 4.0 * d4;
    let second = d1 + 4.0 * d2 + 9.0 * d3 + 16.0 * d4;
    ([d1, d2, d3, d4], [sum, first, second])
}

impl Pass {
    /// The pass for `order` with `sigma` mm on an axis of `spacing` mm, normalised across
    /// scales (the second derivative times sigma^2).
    fn new(order: Order, sigma: f64, spacing: f64) -> Pass {
        let sigma_voxels = sigma / spacing;
        let (d, [sd, dd, ed]) = denominator(sigma_voxels);
        let n = match order {
            Order::Gaussian => {
                let (n, [sn, _, _]) = numerator(sigma_voxels, A1[0], B1[0], A2[0], B2[0]);
                // Unit gain: the response to a constant is 1.
                let alpha = 2.0 * sn / sd - n[0];
                n.map(|v| v * (1.0 / alpha))
            }
            Order::SecondDerivative => {
                let (g, [sg, dg, eg]) = numerator(sigma_voxels, A1[0], B1[0], A2[0], B2[0]);
                let (h, [sh, dh, eh]) = numerator(sigma_voxels, A1[2], B1[2], A2[2], B2[2]);
                // Add enough Gaussian to make the response to a constant zero ...
                let beta = -(2.0 * sh - sd * h[0]) / (2.0 * sg - sd * g[0]);
                let n = [0, 1, 2, 3].map(|k| h[k] + beta * g[k]);
                let (sn, dn, en) = (sh + beta * sg, dh + beta * dg, eh + beta * eg);
                // ... and scale the response to x^2 / 2 to one.
                let mut alpha =
                    en * sd * sd - ed * sn * sd - 2.0 * dn * dd * sd + 2.0 * dd * dd * sn;
                alpha /= sd * sd * sd;
                let across_scales = sigma * sigma;
                n.map(|v| v * (across_scales / alpha))
            }
        };
        // Both kernels are symmetric: the anti-causal half mirrors the causal one.
        let m = [
            n[1] - d[0] * n[0],
            n[2] - d[1] * n[0],
            n[3] - d[2] * n[0],
            -d[3] * n[0],
        ];
        let sn = n[0] + n[1] + n[2] + n[3];
        let sm = m[0] + m[1] + m[2] + m[3];
        let sd = 1.0 + d[0] + d[1] + d[2] + d[3];
        Pass {
            bn: d.map(|v| v * sn / sd),
            bm: d.map(|v| v * sm / sd),
            n,
            d,
            m,
        }
    }

    /// Filters `width` interleaved lines of `len` (at least 4) values at once, value k of line
    /// w at `k * width + w`: the causal recursion into `y`, the anti-causal one into `z`, the
    /// border values held constant beyond the ends; the response is y + z, which the caller
    /// adds where it keeps it. Every line gets exactly the operations of a single line.
    fn lines(&self, x: &[f64], y: &mut [f64], z: &mut [f64], len: usize, width: usize) {
        let (n, d, m, bn, bm) = (&self.n, &self.d, &self.m, &self.bn, &self.bm);
        // Sums are written left to right, as the reference implementation adds them.
        let dot = |a: [f64; 4], b: &[f64; 4]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
        let e = len - 1;
        for w in 0..width {
            let at = |k: usize| k * width + w;
            let first = x[at(0)];
            let (x1, x2, x3) = (x[at(1)], x[at(2)], x[at(3)]);
            let y0 = dot([first; 4], n) - dot([first; 4], bn);
            let y1 = dot([x1, first, first, first], n)
                - dot([y0, first, first, first], &[d[0], bn[1], bn[2], bn[3]]);
            let y2 = dot([x2, x1, first, first], n)
                - dot([y1, y0, first, first], &[d[0], d[1], bn[2], bn[3]]);
            let y3 =
                dot([x3, x2, x1, first], n) - dot([y2, y1, y0, first], &[d[0], d[1], d[2], bn[3]]);
            y[at(0)] = y0;
            y[at(1)] = y1;
            y[at(2)] = y2;
            y[at(3)] = y3;
            let last = x[at(e)];
            let (xe1, xe2) = (x[at(e - 1)], x[at(e - 2)]);
            let z0 = dot([last; 4], m) - dot([last; 4], bm);
            let z1 = dot([last, last, last, last], m)
                - dot([z0, last, last, last], &[d[0], bm[1], bm[2], bm[3]]);
            let z2 = dot([xe1, last, last, last], m)
                - dot([z1, z0, last, last], &[d[0], d[1], bm[2], bm[3]]);
            let z3 = dot([xe2, xe1, last, last], m)
                - dot([z2, z1, z0, last], &[d[0], d[1], d[2], bm[3]]);
            z[at(e)] = z0;
            z[at(e - 1)] = z1;
            z[at(e - 2)] = z2;
            z[at(e - 3)] = z3;
        }
        // The recursions proper, all lines side by side: rows of `width` values, so the inner
        // loop runs along memory (and vectorises).
        fn row(a: &[f64], k: usize, width: usize) -> &[f64] {
            &a[k * width..(k + 1) * width]
        }
        for i in 4..len {
            let (done, rest) = y.split_at_mut(i * width);
            let (y1, y2, y3, y4) = (
                row(done, i - 1, width),
                row(done, i - 2, width),
                row(done, i - 3, width),
                row(done, i - 4, width),
            );
            let (x0, x1, x2, x3) = (
                row(x, i, width),
                row(x, i - 1, width),
                row(x, i - 2, width),
                row(x, i - 3, width),
            );
            for (w, out) in rest[..width].iter_mut().enumerate() {
                let v = dot([x0[w], x1[w], x2[w], x3[w]], n);
                *out = v - dot([y1[w], y2[w], y3[w], y4[w]], d);
            }
        }
        for i in (1..=len - 4).rev() {
            let (before, done) = z.split_at_mut(i * width);
            let target = &mut before[(i - 1) * width..];
            let (z0, z1, z2, z3) = (
                row(done, 0, width),
                row(done, 1, width),
                row(done, 2, width),
                row(done, 3, width),
            );
            let (x0, x1, x2, x3) = (
                row(x, i, width),
                row(x, i + 1, width),
                row(x, i + 2, width),
                row(x, i + 3, width),
            );
            for (w, out) in target.iter_mut().enumerate() {
                let v = dot([x0[w], x1[w], x2[w], x3[w]], m);
                *out = v - dot([z0[w], z1[w], z2[w], z3[w]], d);
            }
        }
    }
}

/// One pass along array `axis` over every line of `image`, keeping only the outputs at
/// `keep` along that axis, each stored as float32. Slabs of lines run in parallel; every line
/// gets the same operations whatever the thread count.
fn run_pass(
    image: &Array3<f64>,
    axis: usize,
    pass: &Pass,
    keep: std::ops::RangeInclusive<usize>,
) -> Array3<f64> {
    let len = image.len_of(Axis(axis));
    let mut shape = [image.dim().0, image.dim().1, image.dim().2];
    shape[axis] = keep.end() - keep.start() + 1;
    let mut out = Array3::<f64>::zeros(shape);
    // A slab: for the x axis one z slice, its rows filtered one at a time (contiguous);
    // otherwise the x lines of one slab side by side (their values contiguous in memory), the
    // pass axis first.
    let slab_axis = if axis == 0 { 1 } else { 0 };
    let slabs: Vec<(ndarray::ArrayView2<f64>, ndarray::ArrayViewMut2<f64>)> = image
        .axis_iter(Axis(slab_axis))
        .zip(out.axis_iter_mut(Axis(slab_axis)))
        .collect();
    // Rows of a z slice are filtered 32 at a time, interleaved, so that their independent
    // recursions overlap (and the per-step slicing is shared by more values: 32 measured 4%
    // faster than 8 on a vertebra's LoG).
    const ROWS: usize = 32;
    // For the y and z axes a slab's lines are its x lines, side by side.
    let width_max = if axis == 2 {
        ROWS
    } else {
        image.len_of(Axis(2))
    };
    // One set of line buffers per worker, not per slab: every value is written before it is
    // read, so they need no clearing between slabs.
    let buffers = || {
        (
            vec![0.0; len * width_max],
            vec![0.0; len * width_max],
            vec![0.0; len * width_max],
        )
    };
    slabs
        .into_par_iter()
        .for_each_init(buffers, |(x, y, z), (source, mut target)| {
            let groups: Vec<(usize, usize)> = if axis == 2 {
                let rows = source.dim().0;
                (0..rows)
                    .step_by(ROWS)
                    .map(|r| (r, (r + ROWS).min(rows)))
                    .collect()
            } else {
                vec![(0, 0)]
            };
            for (first, last) in groups {
                let width = if axis == 2 { last - first } else { width_max };
                if axis == 2 {
                    // Transpose rows first..last into (len, width).
                    for (w, row) in source.outer_iter().skip(first).take(width).enumerate() {
                        for (i, v) in row.iter().enumerate() {
                            x[i * width + w] = *v;
                        }
                    }
                } else {
                    for (slot, v) in x.iter_mut().zip(source.iter()) {
                        *slot = *v;
                    }
                }
                pass.lines(x, y, z, len, width);
                let kept = keep.end() - keep.start() + 1;
                if axis == 2 {
                    for (w, mut row) in target.outer_iter_mut().skip(first).take(width).enumerate()
                    {
                        for (k, v) in row.iter_mut().enumerate().take(kept) {
                            let at = (keep.start() + k) * width + w;
                            *v = (y[at] + z[at]) as f32 as f64;
                        }
                    }
                } else {
                    for (k, mut row) in target.outer_iter_mut().enumerate() {
                        let i = keep.start() + k;
                        let (y, z) = (&y[i * width..][..width], &z[i * width..][..width]);
                        for ((v, y), z) in row.iter_mut().zip(y).zip(z) {
                            *v = (y + z) as f32 as f64;
                        }
                    }
                }
            }
        });
    out
}

/// Whether PyRadiomics computes LoG at `sigma` on an image of `size` (z, y, x) voxels with
/// `spacing` (x, y, z); the reason when it does not.
pub fn skipped(sigma: f64, size: [usize; 3], spacing: [f64; 3]) -> Option<String> {
    let size_xyz = [size[2], size[1], size[0]];
    if size_xyz.iter().any(|n| *n < 4) {
        return Some(format!(
            "the image ({} x {} x {} voxels) is too small for a LoG filter (4 voxels per axis at least)",
            size_xyz[0], size_xyz[1], size_xyz[2]
        ));
    }
    let fits = (0..3).all(|a| size_xyz[a] as f64 >= (sigma / spacing[a]).ceil() + 1.0);
    (!fits).then(|| {
        format!(
            "sigma {sigma} mm is too large for the image ({} x {} x {} voxels of {} x {} x {} mm)",
            size_xyz[0], size_xyz[1], size_xyz[2], spacing[0], spacing[1], spacing[2]
        )
    })
}

/// How far beyond the box a pass along an axis of `sigma_voxels` reads the image. A line's
/// recursions start from its end values held constant; started at a cropped end instead,
/// they differ by a term that decays with the slowest pole, of modulus exp(L2 / sigma)
/// (|L2| = 1.3732 the smaller of Deriche's decays) per voxel. 33 sigma on, that is below
/// exp(-45) = 2.9e-20 of the image's largest value, far below the float32 each pass stores
/// (6e-8 of the value): the response on the box is that of the whole image.
fn reach(sigma_voxels: f64) -> usize {
    // Capped so that a huge sigma cannot overflow: the image's size caps it again.
    (33.0 * sigma_voxels).ceil().min(1e9) as usize + 8
}

/// The Laplacian of Gaussian of `image` (z, y, x) at `sigma` mm, normalised across scales, on
/// the box `lo..=hi` (x, y, z, inclusive) only, computed on the box plus [`reach`] along each
/// axis (clipped to the image).
pub fn laplacian_of_gaussian(
    image: &Array3<f64>,
    spacing: [f64; 3],
    sigma: f64,
    lo: [usize; 3],
    hi: [usize; 3],
) -> Array3<f64> {
    let dims = [image.dim().2, image.dim().1, image.dim().0];
    let margin = spacing.map(|sp| reach(sigma / sp));
    let from = [0, 1, 2].map(|a| lo[a].saturating_sub(margin[a]));
    let to = [0, 1, 2].map(|a| hi[a].saturating_add(margin[a]).min(dims[a] - 1));
    let zyx = |p: [usize; 3]| [p[2], p[1], p[0]];
    let crop = super::region(image, zyx(from), zyx(to));
    let shift = |p: [usize; 3]| [0, 1, 2].map(|a| p[a] - from[a]);
    on_whole_lines(&crop, spacing, sigma, shift(lo), shift(hi))
}

/// The Laplacian of Gaussian of `image` (z, y, x) at `sigma` mm, normalised across scales, on
/// the box `lo..=hi` (x, y, z, inclusive) only: each axis' term filters whole lines along its
/// first axis, then only the lines through the box along the next ones.
fn on_whole_lines(
    image: &Array3<f64>,
    spacing: [f64; 3],
    sigma: f64,
    lo: [usize; 3],
    hi: [usize; 3],
) -> Array3<f64> {
    // ITK axis (x, y, z) to array axis (z, y, x).
    let axis_of = |itk: usize| 2 - itk;
    let box_shape = (hi[2] - lo[2] + 1, hi[1] - lo[1] + 1, hi[0] - lo[0] + 1);
    let mut sum = Array3::<f64>::zeros(box_shape);
    for direction in 0..3 {
        let mut term = run_pass(
            image,
            axis_of(direction),
            &Pass::new(Order::SecondDerivative, sigma, spacing[direction]),
            lo[direction]..=hi[direction],
        );
        for other in (0..3).filter(|o| *o != direction) {
            term = run_pass(
                &term,
                axis_of(other),
                &Pass::new(Order::Gaussian, sigma, spacing[other]),
                lo[other]..=hi[other],
            );
        }
        let scale = 1.0 / (spacing[direction] * spacing[direction]);
        Zip::from(&mut sum).and(&term).for_each(|s, t| {
            *s = (*s + *t * scale) as f32 as f64;
        });
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The response on a small box, computed on the box plus its reach, is the whole image's
    /// to the float32 it is stored in, for a sigma whose reach crops the image and one that
    /// does not, on an image with large steps far from the box.
    #[test]
    fn the_cropped_response_is_the_whole_images() {
        let image = Array3::from_shape_fn((40, 150, 160), |(z, y, x)| {
            let steps = if (x / 30 + y / 25 + z / 7) % 2 == 0 {
                3000.0
            } else {
                -1024.0
            };
            steps + ((z * 37 + y * 11 + x * 7) % 23) as f64
        });
        let (lo, hi) = ([70, 60, 18], [85, 80, 24]);
        for (sigma, spacing, cropped) in [
            (0.5, [0.7, 0.7, 2.5], true),
            (1.0, [0.7, 0.8, 2.0], true),
            (3.0, [0.7, 0.7, 1.0], false),
        ] {
            let margin = spacing.map(|sp| reach(sigma / sp));
            assert_eq!(margin[0] < 70, cropped, "{sigma} {margin:?}");
            let fast = laplacian_of_gaussian(&image, spacing, sigma, lo, hi);
            let whole = on_whole_lines(&image, spacing, sigma, lo, hi);
            assert_eq!(fast.dim(), whole.dim());
            let largest = whole.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            assert!(largest > 1.0);
            for (a, b) in fast.iter().zip(&whole) {
                // Equal, or (a stored value on a float32 rounding edge) one float32 apart.
                assert!(
                    a == b || (a - b).abs() <= b.abs() * 1.2e-7,
                    "{sigma}: {a} {b}"
                );
            }
        }
    }
}
