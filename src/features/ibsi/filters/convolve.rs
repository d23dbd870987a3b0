//! Separable convolution of a volume along one array axis with IBSI 2's boundary conditions:
//! the line is extended past its ends as the condition says, then convolved (a true
//! convolution: out[n] = sum_m h[m] x[n - m], the kernel's taps indexed from -r to r).

use ndarray::{Array3, ArrayViewMut1, Axis, Zip};

/// How a filter sees beyond the image's edge (IBSI 2, section 2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundary {
    /// Zeros.
    Zero,
    /// The edge voxel repeated.
    Nearest,
    /// The image repeated (wrap).
    Periodic,
    /// The image reflected, the edge voxel repeated (`c b a | a b c`).
    Mirror,
}

impl Boundary {
    /// The condition of a name: zero (or constant), nearest, periodic (or wrap), mirror.
    pub fn from_name(name: &str) -> Option<Boundary> {
        match name {
            "zero" | "constant" => Some(Boundary::Zero),
            "nearest" => Some(Boundary::Nearest),
            "periodic" | "wrap" => Some(Boundary::Periodic),
            "mirror" | "symmetric" => Some(Boundary::Mirror),
            _ => None,
        }
    }

    /// The name of the condition.
    pub fn name(self) -> &'static str {
        match self {
            Boundary::Zero => "zero",
            Boundary::Nearest => "nearest",
            Boundary::Periodic => "periodic",
            Boundary::Mirror => "mirror",
        }
    }

    /// The index into a line of `n` samples that position `p` reads, or None for a zero.
    pub fn index(self, p: isize, n: usize) -> Option<usize> {
        let n = n as isize;
        if (0..n).contains(&p) {
            return Some(p as usize);
        }
        match self {
            Boundary::Zero => None,
            Boundary::Nearest => Some(p.clamp(0, n - 1) as usize),
            Boundary::Periodic => Some(p.rem_euclid(n) as usize),
            Boundary::Mirror => {
                // Period 2n: 0..n forwards, n..2n backwards (the edge repeated).
                let q = p.rem_euclid(2 * n);
                Some(if q < n { q } else { 2 * n - 1 - q } as usize)
            }
        }
    }
}

/// Convolves every line of `volume` along array axis `axis` with `kernel` (taps for offsets
/// -r..=r, r = len / 2; an even-length kernel has one more tap on the negative side).
pub fn along(volume: &Array3<f64>, axis: usize, kernel: &[f64], boundary: Boundary) -> Array3<f64> {
    along_centred(volume, axis, kernel, kernel.len() / 2, boundary)
}

/// As [`along`], tap `t` of the kernel at offset `t - centre`.
pub fn along_centred(
    volume: &Array3<f64>,
    axis: usize,
    kernel: &[f64],
    centre: usize,
    boundary: Boundary,
) -> Array3<f64> {
    let mut out = Array3::<f64>::zeros(volume.raw_dim());
    let n = volume.len_of(Axis(axis));
    // Extended line: positions -reach .. n + reach, where reach covers the kernel on both
    // sides; out[i] = sum over non-zero taps of h[t] x[i - (t - centre)] (dilated wavelet
    // filters are half zeros).
    let reach = kernel.len();
    let taps: Vec<(usize, f64)> = kernel
        .iter()
        .enumerate()
        .filter(|(_, h)| **h != 0.0)
        .map(|(t, &h)| (reach + centre - t, h))
        .collect();
    // Lanes are independent: in parallel, each summing its taps in the same order.
    Zip::from(out.lanes_mut(Axis(axis)))
        .and(volume.lanes(Axis(axis)))
        .par_for_each(|mut o: ArrayViewMut1<f64>, line| {
            // The line itself, then the boundary's samples on both sides.
            let mut extended = vec![0.0; n + 2 * reach];
            for (e, v) in extended[reach..reach + n].iter_mut().zip(line.iter()) {
                *e = *v;
            }
            for k in (0..reach).chain(reach + n..n + 2 * reach) {
                extended[k] = boundary
                    .index(k as isize - reach as isize, n)
                    .map_or(0.0, |i| line[i]);
            }
            for (i, v) in o.iter_mut().enumerate() {
                let mut sum = 0.0;
                for &(shift, h) in &taps {
                    sum += h * extended[i + shift];
                }
                *v = sum;
            }
        });
    out
}

/// Convolves with a separable kernel: `kernels[a]` along array axis `a` (None: not along it).
pub fn separable(
    volume: &Array3<f64>,
    kernels: [Option<&[f64]>; 3],
    boundary: Boundary,
) -> Array3<f64> {
    let mut out = volume.clone();
    for (axis, kernel) in kernels.iter().enumerate() {
        if let Some(k) = kernel {
            out = along(&out, axis, k, boundary);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_extend_a_line_as_ibsi_2_says() {
        let n = 3;
        let read = |b: Boundary| -> Vec<Option<usize>> { (-4..7).map(|p| b.index(p, n)).collect() };
        assert_eq!(
            read(Boundary::Mirror),
            [2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0].map(Some)
        );
        assert_eq!(
            read(Boundary::Periodic),
            [2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0].map(Some)
        );
        assert_eq!(
            read(Boundary::Nearest),
            [0, 0, 0, 0, 0, 1, 2, 2, 2, 2, 2].map(Some)
        );
        assert_eq!(read(Boundary::Zero)[3..6], [None, Some(0), Some(1)]);
    }

    #[test]
    fn convolving_an_impulse_lays_the_kernel_out_with_increasing_index() {
        let mut v = Array3::<f64>::zeros((1, 1, 9));
        v[(0, 0, 4)] = 1.0;
        let out = along(&v, 2, &[-1.0, -2.0, 0.0, 2.0, 1.0], Boundary::Zero);
        assert_eq!(
            out.iter().copied().collect::<Vec<_>>(),
            [0.0, 0.0, -1.0, -2.0, 0.0, 2.0, 1.0, 0.0, 0.0]
        );
    }
}
