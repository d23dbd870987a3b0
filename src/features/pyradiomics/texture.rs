//! What the texture families share: their settings (distances, 2-D mode, angle weighting), the
//! walk over ROI voxels and their in-ROI neighbours, and the NaN-ignoring mean over angles.

use ndarray::Array3;

use super::angles::{Offset, offsets};

/// How per-angle matrices are merged before the features (PyRadiomics `weightingNorm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightingNorm {
    /// exp(-‖d‖∞²) for GLCM, ‖d‖∞ for GLRLM, d the offset in mm.
    Infinity,
    Euclidean,
    Manhattan,
    /// Sum the angles with weight 1.
    NoWeighting,
}

impl WeightingNorm {
    /// The distance of an offset (z, y, x) in mm under this norm (1 for `NoWeighting`).
    pub fn distance(self, offset: &Offset, spacing_zyx: [f64; 3]) -> f64 {
        let d: Vec<f64> = (0..3)
            .map(|k| offset[k].unsigned_abs() as f64 * spacing_zyx[k])
            .collect();
        match self {
            WeightingNorm::Infinity => d.iter().copied().fold(f64::MIN, f64::max),
            WeightingNorm::Euclidean => d.iter().map(|v| v * v).sum::<f64>().sqrt(),
            WeightingNorm::Manhattan => d.iter().sum(),
            WeightingNorm::NoWeighting => 1.0,
        }
    }
}

/// Settings every texture family reads.
#[derive(Debug, Clone, PartialEq)]
pub struct TextureSettings {
    /// Neighbour distances (Chebyshev), PyRadiomics `distances`.
    pub distances: Vec<usize>,
    /// In 2-D mode, the array axis (0 = z) not to move along (`force2D` + `force2Ddimension`).
    pub plane_axis: Option<usize>,
    /// Angle merging (`weightingNorm`); `None` averages features over angles.
    pub weighting: Option<WeightingNorm>,
    /// GLCM counts both directions (`symmetricalGLCM`).
    pub symmetrical_glcm: bool,
    /// GLDM dependence threshold (`gldm_a`).
    pub gldm_alpha: f64,
}

impl Default for TextureSettings {
    fn default() -> Self {
        TextureSettings {
            distances: vec![1],
            plane_axis: None,
            weighting: None,
            symmetrical_glcm: true,
            gldm_alpha: 0.0,
        }
    }
}

impl TextureSettings {
    /// The neighbour offsets for an ROI box of `size` (z, y, x).
    pub fn offsets(
        &self,
        size: [usize; 3],
        distances: &[usize],
        bidirectional: bool,
    ) -> Vec<Offset> {
        offsets(size, distances, bidirectional, self.plane_axis)
    }
}

/// The ROI on a zero-padded flat grid, for neighbour walks without bounds checks: each cell
/// holds 0 outside the ROI (or in the padding), else 1 + the index of its grey level among the
/// present levels. A neighbour at offset o of cell i is cell i + o (flat), as long as the
/// padding is at least the offset's largest component.
pub struct Lattice {
    /// Padded dimensions (z, y, x).
    pub dims: [usize; 3],
    /// Padding on every side, in voxels.
    pub pad: usize,
    /// 0 outside the ROI, else 1 + present-level index.
    pub cells: Vec<u16>,
    /// Flat indices of the ROI cells, in array order.
    pub roi: Vec<usize>,
    /// The value of each present grey level (index -> level).
    pub level_values: Vec<f64>,
}

impl Lattice {
    /// Builds the lattice of a discretised ROI with `pad` voxels of padding.
    pub fn new(
        roi_mask: &Array3<bool>,
        levels: &Array3<u32>,
        gray_levels: &[u32],
        pad: usize,
    ) -> Self {
        let (nz, ny, nx) = roi_mask.dim();
        let dims = [nz + 2 * pad, ny + 2 * pad, nx + 2 * pad];
        let index = level_index(gray_levels);
        let mut cells = vec![0u16; dims[0] * dims[1] * dims[2]];
        let mut roi = Vec::new();
        // Row by row (the mask's and the levels' rows side by side), in array order.
        let planes = roi_mask.outer_iter().zip(levels.outer_iter());
        for (z, (mask_plane, level_plane)) in planes.enumerate() {
            let rows = mask_plane.outer_iter().zip(level_plane.outer_iter());
            for (y, (mask_row, level_row)) in rows.enumerate() {
                let base = ((z + pad) * dims[1] + y + pad) * dims[2] + pad;
                for (x, (&m, &l)) in mask_row.iter().zip(level_row.iter()).enumerate() {
                    if m {
                        cells[base + x] = index[l as usize] as u16 + 1;
                        roi.push(base + x);
                    }
                }
            }
        }
        Lattice {
            dims,
            pad,
            cells,
            roi,
            level_values: gray_levels.iter().map(|&l| l as f64).collect(),
        }
    }

    /// Flat offsets of neighbour offsets (dz, dy, dx).
    pub fn flat_offsets(&self, offsets: &[Offset]) -> Vec<isize> {
        let (sy, sz) = (
            self.dims[2] as isize,
            (self.dims[1] * self.dims[2]) as isize,
        );
        offsets
            .iter()
            .map(|o| o[0] as isize * sz + o[1] as isize * sy + o[2] as isize)
            .collect()
    }

    /// The cell at flat index `i` moved by `offset`.
    #[inline]
    pub fn at(&self, i: usize, offset: isize) -> u16 {
        self.cells[(i as isize + offset) as usize]
    }
}

/// The mean of the non-NaN values (NaN when there is none), as `numpy.nanmean`.
pub fn nanmean(values: &[f64]) -> f64 {
    let (sum, n) = values
        .iter()
        .filter(|v| !v.is_nan())
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

/// A lookup from grey level to its index among the present levels.
pub fn level_index(gray_levels: &[u32]) -> Vec<usize> {
    let max = gray_levels.last().copied().unwrap_or(0) as usize;
    let mut index = vec![usize::MAX; max + 1];
    for (k, &l) in gray_levels.iter().enumerate() {
        index[l as usize] = k;
    }
    index
}

/// -p·log2(p + eps) summed, PyRadiomics' entropy with numpy's machine epsilon.
pub fn entropy(p: impl IntoIterator<Item = f64>) -> f64 {
    -p.into_iter()
        .map(|v| v * (v + f64::EPSILON).log2())
        .sum::<f64>()
}
