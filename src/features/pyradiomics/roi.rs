//! The prepared region of interest every feature family works on: the image cropped to the
//! ROI's bounding box (f64 intensities, shape (z, y, x)), the ROI mask on the same grid, and the
//! voxel spacing.

use ndarray::Array3;

/// An image region and its ROI mask, cropped to the ROI's bounding box.
#[derive(Debug, Clone)]
pub struct Roi {
    /// Intensities, shape (z, y, x).
    pub image: Array3<f64>,
    /// ROI membership, same shape.
    pub mask: Array3<bool>,
    /// Voxel spacing (x, y, z) in mm.
    pub spacing: [f64; 3],
}

impl Roi {
    /// The array shape (z, y, x) as a size triple.
    pub fn size_zyx(&self) -> [usize; 3] {
        let (z, y, x) = self.image.dim();
        [z, y, x]
    }

    /// Spacing in array order (z, y, x).
    pub fn spacing_zyx(&self) -> [f64; 3] {
        [self.spacing[2], self.spacing[1], self.spacing[0]]
    }

    /// Number of ROI voxels.
    pub fn voxel_count(&self) -> usize {
        self.mask.iter().filter(|m| **m).count()
    }
}
