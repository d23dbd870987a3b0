//! Gabor filters as IBSI 2 defines them (section 2.6): in a plane with axes x and y (mm),
//! G(x, y) = exp(-(x'^2 + gamma^2 y'^2) / (2 sigma^2)) exp(2 pi i x' / lambda), with
//! x' = x cos(theta) + y sin(theta) and y' = -x sin(theta) + y cos(theta); the response is the
//! modulus of the complex convolution. In the i-j plane x is i and y is j (theta turns from i
//! towards j, as in the reference maps). Rotation invariance pools over theta = k delta
//! (k = 0 .. 2 pi / delta); `orthogonal` averages the responses in the i-j, i-k and j-k
//! planes. The kernel reaches 4 sigma (4 sigma / gamma across the wave when gamma < 1).
//!
//! Each slice is extended by the kernel's reach with the boundary condition and convolved in
//! the Fourier domain (rustfft); the circular convolution over the extended slice equals the
//! linear one on the slice itself, since the wrap-around only touches the extension.

use std::f64::consts::PI;
use std::sync::Arc;

use ndarray::{Array2, Array3, Axis};
use rayon::prelude::*;
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

use super::Pooling;
use super::convolve::Boundary;
use crate::volume::fourier::transform_lines;

/// A Gabor filter's parameters (lengths in mm).
#[derive(Debug, Clone, PartialEq)]
pub struct Gabor {
    /// The Gaussian envelope's scale along the wave.
    pub sigma_mm: f64,
    /// The wavelength.
    pub lambda_mm: f64,
    /// The envelope's aspect ratio (across / along the wave is 1 / gamma).
    pub gamma: f64,
    /// The orientations (radians) pooled; one for a single orientation.
    pub thetas: Vec<f64>,
    /// How the orientations' responses are pooled.
    pub pooling: Pooling,
    /// Average over the three orthogonal planes (else the i-j plane only).
    pub orthogonal: bool,
}

/// A 2-D complex array's forward or inverse FFT, rows then columns.
struct Fft2 {
    rows: Arc<dyn Fft<f64>>,
    cols: Arc<dyn Fft<f64>>,
    shape: (usize, usize),
}

impl Fft2 {
    fn new(planner: &mut FftPlanner<f64>, shape: (usize, usize), inverse: bool) -> Fft2 {
        let mut plan = |n| {
            if inverse {
                planner.plan_fft_inverse(n)
            } else {
                planner.plan_fft_forward(n)
            }
        };
        Fft2 {
            rows: plan(shape.1),
            cols: plan(shape.0),
            shape,
        }
    }

    fn run(&self, data: &mut [Complex<f64>]) {
        let shape = [1, self.shape.0, self.shape.1];
        transform_lines(data, shape, 2, &*self.rows);
        transform_lines(data, shape, 1, &*self.cols);
    }
}

impl Gabor {
    /// The kernel's reach (voxels) along a plane axis of `spacing` mm.
    fn reach(&self, spacing: f64) -> usize {
        (4.0 * self.sigma_mm * (1.0 / self.gamma).max(1.0) / spacing).ceil() as usize
    }

    /// The kernel at offset (dx, dy) mm for orientation theta.
    fn kernel(&self, dx: f64, dy: f64, theta: f64) -> Complex<f64> {
        let (s, c) = theta.sin_cos();
        let xr = dx * c + dy * s;
        let yr = -dx * s + dy * c;
        let envelope = (-(xr * xr + self.gamma * self.gamma * yr * yr)
            / (2.0 * self.sigma_mm * self.sigma_mm))
            .exp();
        Complex::from_polar(envelope, 2.0 * PI * xr / self.lambda_mm)
    }

    /// The pooled response of every slice of `voxels` in the plane of array axes `x` and `y`
    /// (spacings `sx`, `sy` mm).
    fn plane(
        &self,
        voxels: &Array3<f64>,
        x: usize,
        y: usize,
        sx: f64,
        sy: f64,
        boundary: Boundary,
    ) -> Array3<f64> {
        let rest = 3 - x - y;
        let (rx, ry) = (self.reach(sx), self.reach(sy));
        let (nx, ny) = (voxels.len_of(Axis(x)), voxels.len_of(Axis(y)));
        let shape = (ny + 2 * ry, nx + 2 * rx);
        let mut planner = FftPlanner::new();
        let forward = Fft2::new(&mut planner, shape, false);
        let inverse = Fft2::new(&mut planner, shape, true);
        // Each orientation's kernel, wrapped around (0, 0) and transformed.
        let kernels: Vec<Vec<Complex<f64>>> = self
            .thetas
            .iter()
            .map(|&theta| {
                let mut k = vec![Complex::new(0.0, 0.0); shape.0 * shape.1];
                for dy in -(ry as isize)..=ry as isize {
                    for dx in -(rx as isize)..=rx as isize {
                        let (r, c) = (
                            dy.rem_euclid(shape.0 as isize) as usize,
                            dx.rem_euclid(shape.1 as isize) as usize,
                        );
                        k[r * shape.1 + c] = self.kernel(dx as f64 * sx, dy as f64 * sy, theta);
                    }
                }
                forward.run(&mut k);
                k
            })
            .collect();
        let scale = 1.0 / (shape.0 * shape.1) as f64;
        let slices: Vec<Array2<f64>> = (0..voxels.len_of(Axis(rest)))
            .into_par_iter()
            .map(|s| {
                let slice = voxels.index_axis(Axis(rest), s);
                // The slice's own axes: after removing `rest`, x and y keep their order.
                let (ax, ay) = (
                    if x > rest { x - 1 } else { x },
                    if y > rest { y - 1 } else { y },
                );
                let at = |i: usize, j: usize| {
                    let mut index = [0usize; 2];
                    index[ax] = i;
                    index[ay] = j;
                    slice[index]
                };
                let mut data = vec![Complex::new(0.0, 0.0); shape.0 * shape.1];
                for r in 0..shape.0 {
                    let Some(j) = boundary.index(r as isize - ry as isize, ny) else {
                        continue;
                    };
                    for c in 0..shape.1 {
                        if let Some(i) = boundary.index(c as isize - rx as isize, nx) {
                            data[r * shape.1 + c] = Complex::new(at(i, j), 0.0);
                        }
                    }
                }
                forward.run(&mut data);
                let mut pooled = Array2::<f64>::zeros((ny, nx));
                let mut product = vec![Complex::new(0.0, 0.0); data.len()];
                for (t, k) in kernels.iter().enumerate() {
                    for ((p, d), kv) in product.iter_mut().zip(&data).zip(k) {
                        *p = d * kv;
                    }
                    inverse.run(&mut product);
                    for j in 0..ny {
                        for i in 0..nx {
                            let v = (product[(j + ry) * shape.1 + i + rx] * scale).norm();
                            let p = &mut pooled[(j, i)];
                            *p = match (t, self.pooling) {
                                (0, _) => v,
                                (_, Pooling::Max) => p.max(v),
                                (_, Pooling::Min) => p.min(v),
                                (_, Pooling::Average) => *p + v,
                            };
                        }
                    }
                }
                if self.pooling == Pooling::Average {
                    pooled.mapv_inplace(|v| v / kernels.len() as f64);
                }
                pooled
            })
            .collect();
        let mut out = Array3::<f64>::zeros(voxels.raw_dim());
        for (s, pooled) in slices.iter().enumerate() {
            let mut target = out.index_axis_mut(Axis(rest), s);
            let (ax, ay) = (
                if x > rest { x - 1 } else { x },
                if y > rest { y - 1 } else { y },
            );
            for ((j, i), v) in pooled.indexed_iter() {
                let mut index = [0usize; 2];
                index[ax] = i;
                index[ay] = j;
                target[index] = *v;
            }
        }
        out
    }

    /// The response map of `voxels` (array order k, j, i) with `spacing` (mm along i, j, k).
    pub fn apply(
        &self,
        voxels: &Array3<f64>,
        spacing: [f64; 3],
        boundary: Boundary,
    ) -> Array3<f64> {
        // (x axis, y axis) per plane, array axes: i = 2, j = 1, k = 0.
        let planes: &[(usize, usize)] = if self.orthogonal {
            &[(2, 1), (2, 0), (1, 0)]
        } else {
            &[(2, 1)]
        };
        let mut sum = Array3::<f64>::zeros(voxels.raw_dim());
        for &(x, y) in planes {
            sum += &self.plane(voxels, x, y, spacing[2 - x], spacing[2 - y], boundary);
        }
        sum.mapv_inplace(|v| v / planes.len() as f64);
        sum
    }
}
