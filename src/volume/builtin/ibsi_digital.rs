//! The IBSI 1 digital phantom (Zwanenburg et al., "The Image Biomarker Standardization
//! Initiative", Radiology 2020; data set theibsi/data_sets, CC BY 4.0): a 5x4x4 grid of 2 mm
//! voxels with grey levels 1-9 and a 74-voxel ROI, the smallest published test of every
//! feature definition. Its grid here is the one ITK reads from the published NIfTI file
//! (origin 0, identity direction in LPS).

use ndarray::Array3;

use crate::volume::geometry::IDENTITY;
use crate::volume::{Geometry, Mask, PixelType, Volume};

/// Grey levels by slice z, row y, column x (the published phantom).
const IMAGE: [[[u8; 5]; 4]; 4] = [
    [
        [1, 4, 4, 1, 1],
        [1, 4, 6, 1, 1],
        [4, 1, 6, 4, 1],
        [4, 4, 6, 4, 1],
    ],
    [
        [1, 4, 4, 1, 1],
        [1, 1, 6, 1, 1],
        [1, 1, 3, 1, 1],
        [4, 4, 6, 1, 1],
    ],
    [
        [1, 4, 4, 1, 1],
        [1, 1, 1, 1, 1],
        [1, 1, 9, 1, 1],
        [1, 1, 6, 1, 1],
    ],
    [
        [1, 4, 4, 1, 1],
        [1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1],
        [1, 1, 6, 1, 1],
    ],
];

/// ROI membership by slice z, row y, column x.
const MASK: [[[u8; 5]; 4]; 4] = [
    [
        [1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1],
    ],
    [
        [1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1],
        [0, 1, 1, 1, 1],
        [1, 1, 1, 1, 1],
    ],
    [
        [1, 1, 1, 0, 0],
        [1, 1, 1, 1, 1],
        [1, 1, 0, 1, 1],
        [1, 1, 1, 1, 1],
    ],
    [
        [1, 1, 1, 0, 0],
        [1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1],
    ],
];

fn grid() -> Geometry {
    Geometry {
        size: [5, 4, 4],
        spacing: [2.0; 3],
        origin: [0.0; 3],
        direction: IDENTITY,
    }
}

/// The phantom's image (stored as int16, as published).
pub fn digital_phantom_image() -> Volume {
    Volume {
        geometry: grid(),
        voxels: Array3::from_shape_fn((4, 4, 5), |(z, y, x)| f32::from(IMAGE[z][y][x])),
        stored_type: PixelType::I16,
    }
}

/// The phantom's ROI mask (label 1).
pub fn digital_phantom_mask() -> Mask {
    Mask {
        geometry: grid(),
        labels: Array3::from_shape_fn((4, 4, 5), |(z, y, x)| u16::from(MASK[z][y][x])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_roi_facts_hold() {
        // IBSI 1 manual: 74 ROI voxels; grey levels 1 (50), 3 (1), 4 (16), 6 (7).
        let (image, mask) = (digital_phantom_image(), digital_phantom_mask());
        assert_eq!(mask.count(1), 74);
        let mut hist = [0usize; 10];
        for (v, l) in image.voxels.iter().zip(mask.labels.iter()) {
            if *l == 1 {
                hist[*v as usize] += 1;
            }
        }
        assert_eq!(hist, [0, 50, 0, 1, 16, 0, 7, 0, 0, 0]);
    }
}
