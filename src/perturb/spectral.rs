//! Filtering real fields in the Fourier domain (rustfft): axial slices one by one (CT noise
//! texture is an in-plane property) or a whole volume (the vertebra phantom's lattice).
//!
//! Transfer functions take frequencies in cycles per mm, signed, as the discrete Fourier
//! transform orders them; boundaries are periodic, which suits stationary random fields.

use ndarray::{Array3, ArrayViewMut2};
use rayon::prelude::*;
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

use crate::volume::fourier::transform_lines;

/// The signed frequency (cycles/mm) of DFT bin `k` of `n` samples `spacing` mm apart.
pub fn frequency(k: usize, n: usize, spacing: f64) -> f64 {
    let k = if k <= n / 2 {
        k as f64
    } else {
        k as f64 - n as f64
    };
    k / (n as f64 * spacing)
}

/// The FFTs of one length, forward and inverse.
struct Plans {
    forward: Arc<dyn Fft<f64>>,
    inverse: Arc<dyn Fft<f64>>,
}

impl Plans {
    fn new(planner: &mut FftPlanner<f64>, n: usize) -> Self {
        Plans {
            forward: planner.plan_fft_forward(n),
            inverse: planner.plan_fft_inverse(n),
        }
    }
}

/// Filters one 2-D slice (y, x) in place by the real `transfer(fx, fy)`.
fn filter_slice(
    mut slice: ArrayViewMut2<f64>,
    spacing: [f64; 2],
    plans: &[Plans; 2],
    transfer: &(dyn Fn(f64, f64) -> f64 + Sync),
) {
    let (ny, nx) = slice.dim();
    let shape = [1, ny, nx];
    let mut data: Vec<Complex<f64>> = slice.iter().map(|&v| Complex::new(v, 0.0)).collect();
    transform_lines(&mut data, shape, 2, &*plans[0].forward);
    transform_lines(&mut data, shape, 1, &*plans[1].forward);
    for j in 0..ny {
        let fy = frequency(j, ny, spacing[1]);
        for i in 0..nx {
            data[j * nx + i] *= transfer(frequency(i, nx, spacing[0]), fy);
        }
    }
    transform_lines(&mut data, shape, 1, &*plans[1].inverse);
    transform_lines(&mut data, shape, 2, &*plans[0].inverse);
    let scale = 1.0 / (nx * ny) as f64;
    for (dst, v) in slice.iter_mut().zip(&data) {
        *dst = v.re * scale;
    }
}

/// Filters every axial slice of `field` (z, y, x) by `transfer(fx, fy)`; slices run in
/// parallel, each independent, so the result does not depend on the thread count.
pub fn filter_axial_slices(
    field: &mut Array3<f64>,
    spacing_xy: [f64; 2],
    transfer: &(dyn Fn(f64, f64) -> f64 + Sync),
) {
    let (_, ny, nx) = field.dim();
    let mut planner = FftPlanner::new();
    let plans = [Plans::new(&mut planner, nx), Plans::new(&mut planner, ny)];
    let Some(voxels) = field.as_slice_mut() else {
        return; // every volume here is built in standard layout
    };
    voxels.par_chunks_mut(nx * ny).for_each(|slice| {
        if let Ok(view) = ArrayViewMut2::from_shape((ny, nx), slice) {
            filter_slice(view, spacing_xy, &plans, transfer);
        }
    });
}

/// Filters a whole volume (z, y, x) by `transfer(fx, fy, fz)`.
pub fn filter_volume(
    field: &mut Array3<f64>,
    spacing: [f64; 3],
    transfer: &(dyn Fn(f64, f64, f64) -> f64 + Sync),
) {
    let (nz, ny, nx) = field.dim();
    let shape = [nz, ny, nx];
    let mut planner = FftPlanner::new();
    let plans = [
        Plans::new(&mut planner, nx),
        Plans::new(&mut planner, ny),
        Plans::new(&mut planner, nz),
    ];
    let mut data: Vec<Complex<f64>> = field.iter().map(|&v| Complex::new(v, 0.0)).collect();
    for (axis, plan) in [(2, 0), (1, 1), (0, 2)] {
        transform_lines(&mut data, shape, axis, &*plans[plan].forward);
    }
    let fx: Vec<f64> = (0..nx).map(|i| frequency(i, nx, spacing[0])).collect();
    let fy: Vec<f64> = (0..ny).map(|j| frequency(j, ny, spacing[1])).collect();
    data.par_chunks_mut(nx * ny)
        .enumerate()
        .for_each(|(k, plane)| {
            let fz = frequency(k, nz, spacing[2]);
            for (j, row) in plane.chunks_mut(nx).enumerate() {
                for (i, v) in row.iter_mut().enumerate() {
                    *v *= transfer(fx[i], fy[j], fz);
                }
            }
        });
    for (axis, plan) in [(0, 2), (1, 1), (2, 0)] {
        transform_lines(&mut data, shape, axis, &*plans[plan].inverse);
    }
    let scale = 1.0 / (nx * ny * nz) as f64;
    for (dst, v) in field.iter_mut().zip(&data) {
        *dst = v.re * scale;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_through_filter_returns_the_field_and_a_low_pass_keeps_the_mean() {
        let field = Array3::from_shape_fn((3, 6, 10), |(k, j, i)| {
            ((i * 7 + j * 3 + k * 5) % 11) as f64 - 4.0
        });
        let mut same = field.clone();
        filter_axial_slices(&mut same, [0.5, 0.7], &|_, _| 1.0);
        let mut same3 = field.clone();
        filter_volume(&mut same3, [0.5, 0.7, 2.0], &|_, _, _| 1.0);
        for ((a, b), c) in field.iter().zip(&same).zip(&same3) {
            assert!((a - b).abs() < 1e-12 && (a - c).abs() < 1e-12);
        }
        let mut dc = field.clone();
        filter_axial_slices(&mut dc, [0.5, 0.7], &|fx, fy| {
            f64::from(fx == 0.0 && fy == 0.0)
        });
        for k in 0..3 {
            let mean = field.index_axis(ndarray::Axis(0), k).mean().unwrap();
            assert!(
                dc.index_axis(ndarray::Axis(0), k)
                    .iter()
                    .all(|v| (v - mean).abs() < 1e-12)
            );
        }
        assert_eq!(frequency(3, 6, 0.5), 1.0);
        assert_eq!(frequency(4, 6, 0.5), -2.0 / 3.0);
    }
}
