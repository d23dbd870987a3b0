//! IBSI 1 texture families and their aggregation (section 3.6 onwards). Grey levels are the
//! discretised values 1..Ng (0 = outside the intensity mask), never re-indexed.
//!
//! GLCM and GLRLM have one matrix per slice and in-plane direction (2-D) or per 3-D direction,
//! aggregated six ways: 2D averaged (features per slice and direction, mean), 2D slice-merged
//! (directions summed per slice), 2.5D direction-merged (slices summed per direction), 2.5D
//! merged (everything summed), 3D averaged (features per direction) and 3D merged. GLSZM,
//! GLDZM, NGTDM and NGLDM have one matrix per slice (2D, features averaged), the slices summed
//! (2.5D), or one 3-D matrix.

pub mod glcm;
pub mod glrlm;
pub mod matrix;
pub mod neighbourhood;
pub mod zones;

use ndarray::Array3;

use self::matrix::Sparse;
use super::settings::Dimension;

/// A family's features per aggregation: (tag suffix, values in the family's name order).
pub type Aggregated = Vec<(&'static str, Vec<f64>)>;

/// Offsets (dz, dy, dx) of the four in-plane directions.
pub const DIRECTIONS_2D: [[isize; 3]; 4] = [[0, 0, 1], [0, 1, 1], [0, 1, 0], [0, 1, -1]];

/// The 13 3-D directions (one of each opposite pair).
pub fn directions_3d() -> Vec<[isize; 3]> {
    let mut out = Vec::new();
    for dz in -1..=1isize {
        for dy in -1..=1isize {
            for dx in -1..=1isize {
                let first = [dz, dy, dx].into_iter().find(|&d| d != 0);
                if first == Some(1) {
                    out.push([dz, dy, dx]);
                }
            }
        }
    }
    out
}

/// Grey levels on a grid, 0 outside the intensity mask.
pub struct Levels<'a> {
    pub levels: &'a Array3<u32>,
    pub dim: [usize; 3],
}

impl<'a> Levels<'a> {
    pub fn new(levels: &'a Array3<u32>) -> Self {
        let (z, y, x) = levels.dim();
        Levels {
            levels,
            dim: [z, y, x],
        }
    }

    /// The level at `p + o`, 0 outside the grid or the mask.
    pub fn at(&self, p: [usize; 3], o: [isize; 3]) -> u32 {
        let q = [0, 1, 2].map(|d| p[d] as isize + o[d]);
        if (0..3).any(|d| q[d] < 0 || q[d] >= self.dim[d] as isize) {
            0
        } else {
            self.levels[(q[0] as usize, q[1] as usize, q[2] as usize)]
        }
    }

    /// The mask's voxels (position, level) in slice `z`, or in the volume for `None`.
    pub fn voxels(&self, z: Option<usize>) -> impl Iterator<Item = ([usize; 3], u32)> + '_ {
        let [nz, ny, nx] = self.dim;
        slice_range(z, nz).flat_map(move |z| {
            (0..ny).flat_map(move |y| {
                (0..nx).filter_map(move |x| {
                    let l = self.levels[(z, y, x)];
                    (l > 0).then_some(([z, y, x], l))
                })
            })
        })
    }

    /// Slices (z) holding at least one voxel of the mask.
    pub fn occupied_slices(&self) -> Vec<usize> {
        (0..self.dim[0])
            .filter(|&z| {
                self.levels
                    .index_axis(ndarray::Axis(0), z)
                    .iter()
                    .any(|&l| l > 0)
            })
            .collect()
    }
}

/// The slice indices a matrix covers: slice `z`, or all `nz` slices (the volume).
pub fn slice_range(z: Option<usize>, nz: usize) -> std::ops::Range<usize> {
    match z {
        Some(z) => z..z + 1,
        None => 0..nz,
    }
}

/// Mean of the finite values per feature (NaN when there are none, e.g. a one-voxel ROI,
/// whose matrices are all empty).
pub fn mean(values: &[Vec<f64>], width: usize) -> Vec<f64> {
    (0..width)
        .map(|k| {
            let finite: Vec<f64> = values
                .iter()
                .map(|v| v[k])
                .filter(|v| v.is_finite())
                .collect();
            if finite.is_empty() {
                f64::NAN
            } else {
                finite.iter().sum::<f64>() / finite.len() as f64
            }
        })
        .collect()
}

/// Features of the per-slice matrices for a family aggregated per slice (2D: features per
/// slice, averaged; 2.5D: slices summed; 3D: the volume's matrix), as (suffix, values).
pub fn slice_family(
    dims: &[Dimension],
    slices: impl Fn() -> Vec<Sparse>,
    volume: impl Fn() -> Sparse,
    features: impl Fn(&Sparse) -> Vec<f64>,
) -> Aggregated {
    let mut out = Vec::new();
    let width = features(&Sparse::default()).len();
    let wants_slices = dims.contains(&Dimension::D2) || dims.contains(&Dimension::D25);
    let per_slice = if wants_slices { slices() } else { Vec::new() };
    for d in dims {
        match d {
            Dimension::D2 => {
                let values: Vec<Vec<f64>> = per_slice
                    .iter()
                    .filter(|m| !m.is_empty())
                    .map(&features)
                    .collect();
                out.push(("2D", mean(&values, width)));
            }
            Dimension::D25 => out.push(("2_5D", features(&Sparse::sum(&per_slice)))),
            Dimension::D3 => out.push(("3D", features(&volume()))),
        }
    }
    out
}

/// The six GLCM/GLRLM aggregations, as (suffix, values). `matrix(direction, slice)` builds the
/// matrix of one direction in one slice (or, for `None`, the volume).
pub fn directional_family(
    levels: &Levels,
    dims: &[Dimension],
    matrix: impl Fn([isize; 3], Option<usize>) -> Sparse,
    features: impl Fn(&Sparse) -> Vec<f64>,
) -> Aggregated {
    let slice_direction = || -> Vec<Vec<Sparse>> {
        levels
            .occupied_slices()
            .into_iter()
            .map(|z| DIRECTIONS_2D.iter().map(|&o| matrix(o, Some(z))).collect())
            .collect()
    };
    let volume_direction = || -> Vec<Sparse> {
        directions_3d()
            .into_iter()
            .map(|o| matrix(o, None))
            .collect()
    };
    let mut out = Vec::new();
    let width = features(&Sparse::default()).len();
    let wants_slices = dims.contains(&Dimension::D2) || dims.contains(&Dimension::D25);
    // per_slice[slice][direction]
    let per_slice = if wants_slices {
        slice_direction()
    } else {
        Vec::new()
    };
    let nonempty = |ms: &[Sparse]| -> Vec<Vec<f64>> {
        ms.iter().filter(|m| !m.is_empty()).map(&features).collect()
    };
    for d in dims {
        match d {
            Dimension::D2 => {
                let all: Vec<Sparse> = per_slice.iter().flatten().cloned().collect();
                out.push(("2D_avg", mean(&nonempty(&all), width)));
                let merged: Vec<Sparse> = per_slice.iter().map(|s| Sparse::sum(s)).collect();
                out.push(("2D_comb", mean(&nonempty(&merged), width)));
            }
            Dimension::D25 => {
                let n_dir = per_slice.first().map(Vec::len).unwrap_or(0);
                let by_direction: Vec<Sparse> = (0..n_dir)
                    .map(|k| {
                        Sparse::sum(&per_slice.iter().map(|s| s[k].clone()).collect::<Vec<_>>())
                    })
                    .collect();
                out.push(("2_5D_avg", mean(&nonempty(&by_direction), width)));
                out.push(("2_5D_comb", features(&Sparse::sum(&by_direction))));
            }
            Dimension::D3 => {
                let per_direction = volume_direction();
                out.push(("3D_avg", mean(&nonempty(&per_direction), width)));
                out.push(("3D_comb", features(&Sparse::sum(&per_direction))));
            }
        }
    }
    out
}
