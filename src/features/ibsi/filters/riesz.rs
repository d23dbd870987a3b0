//! The Riesz transform of order l = (l1, l2, l3) (axes i, j, k) as IBSI 2 applies it to a
//! filter's response (section 2.9; Unser & Van De Ville 2010): in the Fourier domain, the
//! multiplier (-i)^|l| sqrt(|l|! / (l1! l2! l3!)) prod_a (omega_a / |omega|)^l_a (0 at
//! omega = 0), the real part kept. The response is extended by `pad` voxels per axis with the
//! boundary condition before the transform, so that the wrap-around of the discrete transform
//! falls on the extension.

use std::f64::consts::PI;

use ndarray::Array3;
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

use super::convolve::Boundary;
use crate::volume::fourier::transform_axes;

/// The transform of `response` (array order k, j, i); `order` along i, j, k; `pad` along the
/// array axes.
pub fn apply(
    response: &Array3<f64>,
    order: [usize; 3],
    pad: [usize; 3],
    boundary: Boundary,
) -> Array3<f64> {
    let (nk, nj, ni) = response.dim();
    let inner = [nk, nj, ni];
    let shape = [0, 1, 2].map(|a| inner[a] + 2 * pad[a]);
    let at = |a: usize, p: usize| boundary.index(p as isize - pad[a] as isize, inner[a]);
    let mut data = vec![Complex::new(0.0, 0.0); shape[0] * shape[1] * shape[2]];
    for k in 0..shape[0] {
        let Some(sk) = at(0, k) else { continue };
        for j in 0..shape[1] {
            let Some(sj) = at(1, j) else { continue };
            for i in 0..shape[2] {
                if let Some(si) = at(2, i) {
                    data[(k * shape[1] + j) * shape[2] + i] =
                        Complex::new(response[(sk, sj, si)], 0.0);
                }
            }
        }
    }
    let mut planner = FftPlanner::new();
    transform_axes(&mut data, shape, &[0, 1, 2], &mut planner, false);
    // Angular frequency of bin b of n, signed as the DFT orders them.
    let omega = |b: usize, n: usize| {
        let b = if b <= n / 2 {
            b as f64
        } else {
            b as f64 - n as f64
        };
        2.0 * PI * b / n as f64
    };
    let multiplier = Multiplier::new(order);
    for k in 0..shape[0] {
        let wk = omega(k, shape[0]);
        for j in 0..shape[1] {
            let wj = omega(j, shape[1]);
            for i in 0..shape[2] {
                let wi = omega(i, shape[2]);
                data[(k * shape[1] + j) * shape[2] + i] *= multiplier.at([wi, wj, wk]);
            }
        }
    }
    transform_axes(&mut data, shape, &[0, 1, 2], &mut planner, true);
    let scale = 1.0 / data.len() as f64;
    Array3::from_shape_fn((nk, nj, ni), |(k, j, i)| {
        data[((k + pad[0]) * shape[1] + j + pad[1]) * shape[2] + i + pad[2]].re * scale
    })
}

/// The Riesz multiplier of one order: (-i)^|l| sqrt(|l|! / (l1! l2! l3!)) prod (w_a / |w|)^l_a.
pub struct Multiplier {
    order: [usize; 3],
    total: usize,
    /// (-i)^|l| times the square root.
    factor: Complex<f64>,
}

impl Multiplier {
    /// The multiplier of `order` (along i, j, k).
    pub fn new(order: [usize; 3]) -> Multiplier {
        let total: usize = order.iter().sum();
        let factorial = |n: usize| (1..=n).map(|v| v as f64).product::<f64>();
        let coefficient =
            (factorial(total) / order.iter().map(|&l| factorial(l)).product::<f64>()).sqrt();
        let phase = [
            Complex::new(1.0, 0.0),
            Complex::new(0.0, -1.0),
            Complex::new(-1.0, 0.0),
            Complex::new(0.0, 1.0),
        ][total % 4];
        Multiplier {
            order,
            total,
            factor: phase * coefficient,
        }
    }

    /// Its value at frequency `w` (along i, j, k; any unit): 0 at the origin unless |l| = 0.
    pub fn at(&self, w: [f64; 3]) -> Complex<f64> {
        let norm = (w[0] * w[0] + w[1] * w[1] + w[2] * w[2]).sqrt();
        if norm == 0.0 {
            return if self.total == 0 {
                Complex::new(1.0, 0.0)
            } else {
                Complex::new(0.0, 0.0)
            };
        }
        let product = (0..3)
            .map(|a| (w[a] / norm).powi(self.order[a] as i32))
            .product::<f64>();
        self.factor * product
    }
}
