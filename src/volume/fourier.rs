//! Discrete Fourier transforms of a 3-D array's lines (rustfft), the building block of the
//! Fourier-domain filters: CT noise and blur (`perturb::spectral`) and IBSI 2's Gabor and Riesz
//! filters (`features::ibsi::filters`).

use rustfft::Fft;
use rustfft::num_complex::Complex;

/// Transforms every line of `data` along an axis of length `n` with `stride` between
/// elements; lines are gathered into a scratch buffer so the FFT always runs contiguously.
pub fn transform_lines(
    data: &mut [Complex<f64>],
    shape: [usize; 3],
    axis: usize,
    fft: &dyn Fft<f64>,
) {
    // shape is (z, y, x) with x contiguous; axis 2 = x, 1 = y, 0 = z.
    let strides = [shape[1] * shape[2], shape[2], 1];
    let n = shape[axis];
    if axis == 2 {
        fft.process(data);
        return;
    }
    let mut line = vec![Complex::new(0.0, 0.0); n];
    let others: Vec<usize> = (0..3).filter(|&a| a != axis).collect();
    for a in 0..shape[others[0]] {
        for b in 0..shape[others[1]] {
            let base = a * strides[others[0]] + b * strides[others[1]];
            for (t, v) in line.iter_mut().enumerate() {
                *v = data[base + t * strides[axis]];
            }
            fft.process(&mut line);
            for (t, v) in line.iter().enumerate() {
                data[base + t * strides[axis]] = *v;
            }
        }
    }
}

/// The DFT of `data` (row-major, `shape` as z, y, x) along each of `axes` in turn, forward or
/// inverse (unscaled): a 3-D transform with axes 0, 1, 2, a per-slice 2-D one with 1, 2.
pub fn transform_axes(
    data: &mut [Complex<f64>],
    shape: [usize; 3],
    axes: &[usize],
    planner: &mut rustfft::FftPlanner<f64>,
    inverse: bool,
) {
    for &axis in axes {
        let n = shape[axis];
        let fft = if inverse {
            planner.plan_fft_inverse(n)
        } else {
            planner.plan_fft_forward(n)
        };
        transform_lines(data, shape, axis, &*fft);
    }
}
