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

    /// Filters one line (at least 4 values): causal plus anti-causal recursion, the border
    /// values held constant beyond the ends.
    fn line(&self, x: &[f64], out: &mut [f64], scratch: &mut [f64]) {
        let (n, d, m, bn, bm) = (&self.n, &self.d, &self.m, &self.bn, &self.bm);
        let len = x.len();
        // Sums are written left to right, as the reference implementation adds them.
        let dot = |a: [f64; 4], b: &[f64; 4]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
        let y = out;
        let first = x[0];
        y[0] = dot([first; 4], n);
        y[1] = dot([x[1], first, first, first], n);
        y[2] = dot([x[2], x[1], first, first], n);
        y[3] = dot([x[3], x[2], x[1], first], n);
        y[0] -= dot([first; 4], bn);
        y[1] -= dot([y[0], first, first, first], &[d[0], bn[1], bn[2], bn[3]]);
        y[2] -= dot([y[1], y[0], first, first], &[d[0], d[1], bn[2], bn[3]]);
        y[3] -= dot([y[2], y[1], y[0], first], &[d[0], d[1], d[2], bn[3]]);
        for i in 4..len {
            y[i] = dot([x[i], x[i - 1], x[i - 2], x[i - 3]], n);
            y[i] -= dot([y[i - 1], y[i - 2], y[i - 3], y[i - 4]], d);
        }
        let z = scratch;
        let last = x[len - 1];
        let e = len - 1;
        z[e] = dot([last; 4], m);
        z[e - 1] = dot([x[e], last, last, last], m);
        z[e - 2] = dot([x[e - 1], x[e], last, last], m);
        z[e - 3] = dot([x[e - 2], x[e - 1], x[e], last], m);
        z[e] -= dot([last; 4], bm);
        z[e - 1] -= dot([z[e], last, last, last], &[d[0], bm[1], bm[2], bm[3]]);
        z[e - 2] -= dot([z[e - 1], z[e], last, last], &[d[0], d[1], bm[2], bm[3]]);
        z[e - 3] -= dot([z[e - 2], z[e - 1], z[e], last], &[d[0], d[1], d[2], bm[3]]);
        for i in (1..=len - 4).rev() {
            z[i - 1] = dot([x[i], x[i + 1], x[i + 2], x[i + 3]], m);
            z[i - 1] -= dot([z[i], z[i + 1], z[i + 2], z[i + 3]], d);
        }
        for (y, z) in y.iter_mut().zip(z.iter()) {
            *y += *z;
        }
    }
}

/// One pass along array `axis`, in place, each value stored as float32.
fn run_pass(image: &mut Array3<f64>, axis: usize, pass: &Pass) {
    let len = image.len_of(Axis(axis));
    let (mut x, mut out, mut scratch) = (vec![0.0; len], vec![0.0; len], vec![0.0; len]);
    Zip::from(image.lanes_mut(Axis(axis))).for_each(|mut lane| {
        for (v, l) in x.iter_mut().zip(lane.iter()) {
            *v = *l;
        }
        pass.line(&x, &mut out, &mut scratch);
        for (l, v) in lane.iter_mut().zip(&out) {
            *l = *v as f32 as f64;
        }
    });
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

/// The Laplacian of Gaussian of `image` (z, y, x) at `sigma` mm, normalised across scales.
pub fn laplacian_of_gaussian(image: &Array3<f64>, spacing: [f64; 3], sigma: f64) -> Array3<f64> {
    let mut sum = Array3::<f64>::zeros(image.raw_dim());
    // Axes in ITK order x, y, z: array axes 2, 1, 0.
    for direction in 0..3 {
        let axis_of = |itk: usize| 2 - itk;
        let mut term = image.clone();
        run_pass(
            &mut term,
            axis_of(direction),
            &Pass::new(Order::SecondDerivative, sigma, spacing[direction]),
        );
        for other in (0..3).filter(|o| *o != direction) {
            run_pass(
                &mut term,
                axis_of(other),
                &Pass::new(Order::Gaussian, sigma, spacing[other]),
            );
        }
        let scale = 1.0 / (spacing[direction] * spacing[direction]);
        Zip::from(&mut sum).and(&term).for_each(|s, t| {
            *s = (*s + *t * scale) as f32 as f64;
        });
    }
    sum
}
