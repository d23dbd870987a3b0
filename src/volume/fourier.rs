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

/// The real part of the inverse DFT of DFT(`volume`) x H, where H(k, j, i) is `response` at
/// DFT bins (k, j, i), the DFT taken along i and j, and along k too when `three_d` (else slice
/// by slice). For a real volume that real part equals the inverse transform with the
/// Hermitian part of H, (H(b) + conj H(-b)) / 2, whose result is real; so the work runs on
/// real-input transforms (half the bins along i) and in parallel over lines, each line summed
/// in a fixed order whatever the thread count.
pub fn filter_real(
    volume: &ndarray::Array3<f64>,
    three_d: bool,
    response: &(dyn Fn(usize, usize, usize) -> Complex<f64> + Sync),
) -> ndarray::Array3<f64> {
    use rayon::prelude::*;
    let (nk, nj, ni) = volume.dim();
    let half = ni / 2 + 1;
    let mut real_planner = realfft::RealFftPlanner::<f64>::new();
    let r2c = real_planner.plan_fft_forward(ni);
    let c2r = real_planner.plan_fft_inverse(ni);
    let mut planner = rustfft::FftPlanner::<f64>::new();
    let (fj, ij) = (planner.plan_fft_forward(nj), planner.plan_fft_inverse(nj));
    let (fk, ik) = (planner.plan_fft_forward(nk), planner.plan_fft_inverse(nk));
    let input = volume.as_standard_layout();
    let input = input.as_slice().expect("standard layout");
    let mut spectrum = vec![Complex::new(0.0, 0.0); nk * nj * half];
    // Along i: real to complex, line by line.
    spectrum
        .par_chunks_mut(half)
        .zip(input.par_chunks(ni))
        .for_each(|(out, line)| {
            let mut line = line.to_vec();
            r2c.process(&mut line, out).expect("lengths match the plan");
        });
    // The Hermitian part of H at bins (k, j, i) with i < half.
    let mirror = |b: usize, n: usize| (n - b) % n;
    let hermitian = |k: usize, j: usize, i: usize| {
        let (mk, mj, mi) = (
            if three_d { mirror(k, nk) } else { k },
            mirror(j, nj),
            mirror(i, ni),
        );
        (response(k, j, i) + response(mk, mj, mi).conj()) * 0.5
    };
    // Along j, slice by slice; in 2-D the response is applied there.
    spectrum
        .par_chunks_mut(nj * half)
        .enumerate()
        .for_each(|(k, slab)| {
            transform_lines(slab, [1, nj, half], 1, &*fj);
            if !three_d {
                for j in 0..nj {
                    for i in 0..half {
                        slab[j * half + i] *= hermitian(k, j, i);
                    }
                }
                transform_lines(slab, [1, nj, half], 1, &*ij);
            }
        });
    if three_d {
        // Along k, in blocks of BLOCK neighbouring columns (contiguous within each k): each
        // block's pieces of every k row are borrowed together, its columns gathered,
        // transformed, multiplied, transformed back and written back in place.
        const BLOCK: usize = 32;
        let columns = nj * half;
        let mut per_block: Vec<Vec<&mut [Complex<f64>]>> = (0..columns.div_ceil(BLOCK))
            .map(|_| Vec::with_capacity(nk))
            .collect();
        for row in spectrum.chunks_mut(columns) {
            for (b, piece) in row.chunks_mut(BLOCK).enumerate() {
                per_block[b].push(piece);
            }
        }
        per_block
            .into_par_iter()
            .enumerate()
            .for_each(|(b, mut pieces)| {
                let width = pieces.first().map_or(0, |p| p.len());
                let mut line = vec![Complex::new(0.0, 0.0); nk];
                for c in 0..width {
                    let column = b * BLOCK + c;
                    let (j, i) = (column / half, column % half);
                    for (k, v) in line.iter_mut().enumerate() {
                        *v = pieces[k][c];
                    }
                    fk.process(&mut line);
                    for (k, v) in line.iter_mut().enumerate() {
                        *v *= hermitian(k, j, i);
                    }
                    ik.process(&mut line);
                    for (k, v) in line.iter().enumerate() {
                        pieces[k][c] = *v;
                    }
                }
            });
        spectrum
            .par_chunks_mut(nj * half)
            .for_each(|slab| transform_lines(slab, [1, nj, half], 1, &*ij));
    }
    // Along i: complex to real; the zero (and, for even lengths, the last) bin of a real
    // line's spectrum is real, up to rounding.
    let scale = 1.0 / (ni * nj * if three_d { nk } else { 1 }) as f64;
    let mut out = vec![0.0; nk * nj * ni];
    out.par_chunks_mut(ni)
        .zip(spectrum.par_chunks_mut(half))
        .for_each(|(line, bins)| {
            bins[0].im = 0.0;
            if ni % 2 == 0 {
                bins[half - 1].im = 0.0;
            }
            c2r.process(bins, line).expect("lengths match the plan");
            for v in line.iter_mut() {
                *v *= scale;
            }
        });
    ndarray::Array3::from_shape_vec((nk, nj, ni), out).expect("the volume's shape")
}
