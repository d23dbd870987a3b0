//! Laws kernels as IBSI 2 defines them (section 2.5; Laws 1980; Suzuki & Shibata 2009): 1-D
//! kernels normalised to unit L2 norm, one per axis; rotation invariance pools the responses
//! of the kernel turned through every right angle (24 rotations in 3-D, 4 in 2-D); the energy
//! map is the mean absolute response over a (2 delta + 1)-voxel window per axis, with the
//! filter's boundary condition.

use ndarray::{Array3, Zip};

use super::Pooling;
use super::convolve::{self, Boundary};

/// Laws' 1-D kernels (unnormalised), as in Laws (1980) and the IBSI 2 manual's table.
const KERNELS: [(&str, &[f64]); 8] = [
    ("L3", &[1.0, 2.0, 1.0]),
    ("E3", &[-1.0, 0.0, 1.0]),
    ("S3", &[-1.0, 2.0, -1.0]),
    ("L5", &[1.0, 4.0, 6.0, 4.0, 1.0]),
    ("E5", &[-1.0, -2.0, 0.0, 2.0, 1.0]),
    ("S5", &[-1.0, 0.0, 2.0, 0.0, -1.0]),
    ("W5", &[-1.0, 2.0, 0.0, -2.0, 1.0]),
    ("R5", &[1.0, -4.0, 6.0, -4.0, 1.0]),
];

/// The 1-D kernels of a name such as `E5L5S5`, in axis order i, j, k.
pub fn parse_kernel(text: &str) -> Result<Vec<&'static [f64]>, String> {
    let upper = text.to_ascii_uppercase();
    if !upper.len().is_multiple_of(2) || upper.is_empty() || !upper.is_ascii() {
        return Err(format!(
            "`{text}`: 1-D kernel names of two characters (L3 E3 S3 L5 E5 S5 W5 R5)"
        ));
    }
    (0..upper.len() / 2)
        .map(|k| {
            let name = &upper[2 * k..2 * k + 2];
            KERNELS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, taps)| *taps)
                .ok_or_else(|| format!("`{name}` in `{text}`: use L3 E3 S3 L5 E5 S5 W5 R5"))
        })
        .collect()
}

/// A kernel scaled to unit L2 norm.
fn normalised(taps: &[f64]) -> Vec<f64> {
    let norm = taps.iter().map(|t| t * t).sum::<f64>().sqrt();
    taps.iter().map(|t| t / norm).collect()
}

/// The proper rotations by right angles of `n` axes (n = 2 or 3) as signed permutations:
/// (source axis, flipped) for each axis, determinant +1.
pub(super) fn rotations(n: usize) -> Vec<Vec<(usize, bool)>> {
    let permutations: Vec<Vec<usize>> = if n == 2 {
        vec![vec![0, 1], vec![1, 0]]
    } else {
        vec![
            vec![0, 1, 2],
            vec![0, 2, 1],
            vec![1, 0, 2],
            vec![1, 2, 0],
            vec![2, 0, 1],
            vec![2, 1, 0],
        ]
    };
    let mut out = Vec::new();
    for p in &permutations {
        // The permutation's parity: count inversions.
        let inversions = (0..n)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .filter(|&(a, b)| p[a] > p[b])
            .count();
        for signs in 0..1usize << n {
            let flips = (0..n).filter(|a| signs >> a & 1 == 1).count();
            if (inversions + flips) % 2 == 0 {
                out.push((0..n).map(|a| (p[a], signs >> a & 1 == 1)).collect());
            }
        }
    }
    out
}

/// The response of `voxels` to the kernel (one 1-D kernel per entry of `axes`, array axes in
/// kernel order), pooled over rotations when `invariant`, then the energy map when asked.
pub fn apply(
    voxels: &Array3<f64>,
    kernel: &[&[f64]],
    invariant: Option<Pooling>,
    energy: Option<usize>,
    axes: &[usize],
    boundary: Boundary,
) -> Array3<f64> {
    let taps: Vec<Vec<f64>> = kernel.iter().map(|k| normalised(k)).collect();
    // Laws kernels are symmetric or antisymmetric, so a turned kernel is, up to its sign, the
    // kernel with its 1-D kernels moved to other axes: each distinct arrangement is convolved
    // once (3 in 3-D for L5E5E5 instead of 24 turns).
    let mirrored = |t: &[f64]| -> Option<f64> {
        let reversed: Vec<f64> = t.iter().rev().copied().collect();
        if reversed == t {
            Some(1.0)
        } else if reversed.iter().zip(t).all(|(r, v)| *r == -v) {
            Some(-1.0)
        } else {
            None
        }
    };
    let respond = |turn: &[(usize, bool)]| -> (Vec<Vec<u64>>, f64, Vec<Vec<f64>>) {
        let mut sign = 1.0;
        let turned: Vec<Vec<f64>> = turn
            .iter()
            .map(|&(source, flip)| {
                let mut t = taps[source].clone();
                if flip {
                    match mirrored(&t) {
                        Some(s) => sign *= s,
                        None => t.reverse(),
                    }
                }
                t
            })
            .collect();
        let key = turned
            .iter()
            .map(|t| t.iter().map(|v| v.to_bits()).collect())
            .collect();
        (key, sign, turned)
    };
    let convolve = |turned: &[Vec<f64>]| {
        let mut separable: [Option<&[f64]>; 3] = [None; 3];
        for (slot, &axis) in axes.iter().enumerate() {
            separable[axis] = Some(&turned[slot]);
        }
        convolve::separable(voxels, separable, boundary)
    };
    let identity: Vec<(usize, bool)> = (0..axes.len()).map(|a| (a, false)).collect();
    let mut response = match invariant {
        None => convolve(&respond(&identity).2),
        Some(pooling) => {
            let turns = rotations(axes.len());
            let mut done: Vec<(Vec<Vec<u64>>, Array3<f64>)> = Vec::new();
            let mut pooled: Option<Array3<f64>> = None;
            for turn in &turns {
                let (key, sign, turned) = respond(turn);
                let at = match done.iter().position(|(k, _)| *k == key) {
                    Some(at) => at,
                    None => {
                        done.push((key, convolve(&turned)));
                        done.len() - 1
                    }
                };
                let r = &done[at].1;
                match &mut pooled {
                    None => pooled = Some(r.mapv(|v| sign * v)),
                    Some(p) => Zip::from(p).and(r).for_each(|p, &v| {
                        let v = sign * v;
                        *p = match pooling {
                            Pooling::Max => p.max(v),
                            Pooling::Min => p.min(v),
                            Pooling::Average => *p + v,
                        }
                    }),
                }
            }
            let mut pooled = pooled.expect("at least one turn");
            if pooling == Pooling::Average {
                pooled.mapv_inplace(|v| v / turns.len() as f64);
            }
            pooled
        }
    };
    if let Some(delta) = energy {
        response.mapv_inplace(f64::abs);
        let window = vec![1.0 / (2 * delta + 1) as f64; 2 * delta + 1];
        let mut separable: [Option<&[f64]>; 3] = [None; 3];
        for &axis in axes {
            separable[axis] = Some(&window);
        }
        response = convolve::separable(&response, separable, boundary);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_24_rotations_in_3d_and_4_in_2d() {
        let three = rotations(3);
        assert_eq!(three.len(), 24);
        let mut unique = three.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 24);
        assert_eq!(rotations(2).len(), 4);
    }
}
