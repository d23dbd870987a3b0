//! Medical volumes in memory: an image (`Volume`, f32 voxels) or a label map (`Mask`) on a
//! grid (`Geometry`, LPS space as ITK defines it), and their reading and writing (`io`).
//!
//! Voxels are held as an ndarray of shape (z, y, x), x fastest, which is the order of the
//! voxel block in NIfTI, NRRD and DICOM files, so reading is a straight copy. Index triples in
//! the API are always ITK-ordered (i, j, k) = (x, y, z).

pub mod builtin;
pub mod fourier;
pub mod geometry;
pub(crate) mod info;
pub mod io;
pub mod labels;
pub mod mask;
pub mod padding;
pub mod pixel;
pub(crate) mod resample;
pub mod slice;

pub use geometry::{Geometry, GeometryTolerance};
pub use mask::{BoundingBox, Mask, crop_to_label, label_bounding_box};
pub use pixel::PixelType;

use ndarray::Array3;

/// An image: f32 voxels on a grid, with the sample type it was stored as.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    /// The grid.
    pub geometry: Geometry,
    /// Voxels, shape (z, y, x).
    pub voxels: Array3<f32>,
    /// The sample type in the file it came from (CT integers are exact in f32).
    pub stored_type: PixelType,
}

impl Volume {
    /// A volume from voxels in file order (x fastest). Fails if the count does not match.
    pub fn from_vec(
        geometry: Geometry,
        voxels: Vec<f32>,
        stored_type: PixelType,
    ) -> Result<Self, String> {
        let n = voxels.len();
        let voxels = Array3::from_shape_vec(geometry.shape_zyx(), voxels).map_err(|_| {
            format!(
                "{} voxels do not fill a {} x {} x {} grid",
                n, geometry.size[0], geometry.size[1], geometry.size[2]
            )
        })?;
        Ok(Volume {
            geometry,
            voxels,
            stored_type,
        })
    }

    /// The voxel at ITK index (i, j, k), or `None` outside the grid.
    pub fn get(&self, [i, j, k]: [usize; 3]) -> Option<f32> {
        self.voxels.get((k, j, i)).copied()
    }

    /// Voxels in file order (x fastest).
    pub fn as_slice(&self) -> &[f32] {
        // from_vec and every constructor build standard-layout arrays.
        self.voxels.as_slice().unwrap_or(&[])
    }
}
