//! Out-of-field padding in CT images: the value scanners write outside the reconstruction
//! circle or the scanned volume (GE and Siemens store -2048 or -3024 HU, often declared as
//! DICOM PixelPaddingValue). It is no tissue: statistics leave it out, perturbations must not
//! smear it into the body, and calibration ignores it.
//!
//! The rule (documented in the README): the image's lowest value is padding when it lies
//! below -1024.5 HU (below the HU scale's floor, where no tissue or air can be) and at least
//! 0.1% of the voxels hold exactly it. Noise in air reaches below -1024 too, but spread over
//! many values, each held by few voxels; a PixelPaddingValue becomes one value after the
//! rescale. Images in other units (MR, PET) rarely go below -1024.5 at all.

use ndarray::{Array3, Axis};

use super::Geometry;

/// Below this (HU) no tissue or air can be: CT's scale ends at -1024.
pub const BELOW_AIR_HU: f32 = -1024.5;

/// The smallest share of the voxels that a padding value holds.
pub const MIN_SHARE: f64 = 0.001;

/// The padding of an image: its value and how many voxels hold it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Padding {
    /// The value (HU) outside the field of view.
    pub value: f32,
    /// Voxels holding it.
    pub voxels: usize,
}

/// The image's padding, if the module's rule finds one.
pub fn detect(voxels: &Array3<f32>) -> Option<Padding> {
    let lowest = voxels
        .iter()
        .copied()
        .filter(|v| !v.is_nan())
        .fold(f32::INFINITY, f32::min);
    // NaN is filtered out: an image of NaN only has lowest = infinity.
    if lowest >= BELOW_AIR_HU || lowest == f32::NEG_INFINITY {
        return None;
    }
    let count = voxels.iter().filter(|&&v| v == lowest).count();
    (count as f64 >= MIN_SHARE * voxels.len() as f64 && count >= 2).then_some(Padding {
        value: lowest,
        voxels: count,
    })
}

/// Where `value` is, and the image with those voxels set to the nearest voxel of the field
/// along x, then along y, then along z (the field's edge extended outward, so a filter that
/// reaches past it sees tissue, not padding); -1024 HU where a whole slice is padding.
pub fn fill(voxels: &mut Array3<f32>, value: f32) -> Array3<bool> {
    let padded = voxels.mapv(|v| v == value);
    let mut known = padded.mapv(|p| !p);
    for axis in [2, 1, 0] {
        for (mut line, mut line_known) in voxels
            .lanes_mut(Axis(axis))
            .into_iter()
            .zip(known.lanes_mut(Axis(axis)))
        {
            let n = line.len();
            let Some(first) = (0..n).find(|&i| line_known[i]) else {
                continue;
            };
            // Before the first known voxel: its value; after each known voxel: the nearer of
            // it and the next known one.
            let mut previous = first;
            for i in 0..n {
                if line_known[i] {
                    previous = i;
                    continue;
                }
                let next = (i + 1..n).find(|&j| line_known[j]);
                let source = match next {
                    Some(j) if i < first || j - i < i - previous => j,
                    _ => previous,
                };
                line[i] = line[source];
            }
            for k in line_known.iter_mut() {
                *k = true;
            }
        }
    }
    for (v, k) in voxels.iter_mut().zip(&known) {
        if !k {
            *v = -1024.0;
        }
    }
    padded
}

/// Puts `value` back where `padded` (on the grid `before`) says, on an image now on the grid
/// `after` (the same grid, or one a perturbation resampled to): each voxel takes the flag of
/// the nearest voxel of the old grid.
pub fn restore(
    voxels: &mut Array3<f32>,
    after: &Geometry,
    padded: &Array3<bool>,
    before: &Geometry,
    value: f32,
) {
    if after == before && voxels.dim() == padded.dim() {
        for (v, p) in voxels.iter_mut().zip(padded) {
            if *p {
                *v = value;
            }
        }
        return;
    }
    let (nz, ny, nx) = padded.dim();
    for ((k, j, i), v) in voxels.indexed_iter_mut() {
        let point = after.index_to_point([i as f64, j as f64, k as f64]);
        let old = before.point_to_index(point).map(|c| c.round());
        let inside = |c: f64, n: usize| c >= 0.0 && c < n as f64;
        if inside(old[0], nx)
            && inside(old[1], ny)
            && inside(old[2], nz)
            && padded[(old[2] as usize, old[1] as usize, old[0] as usize)]
        {
            *v = value;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lowest_value_below_air_held_by_many_voxels_is_padding() {
        let mut image = Array3::from_shape_fn((2, 20, 20), |(_, y, x)| {
            if (x as f64 - 9.5).hypot(y as f64 - 9.5) > 9.0 {
                -3024.0
            } else {
                40.0
            }
        });
        let p = detect(&image).unwrap();
        assert_eq!(p.value, -3024.0);
        assert_eq!(p.voxels, image.iter().filter(|v| **v == -3024.0).count());
        // Clipped at -1024 (air): no padding.
        image.mapv_inplace(|v| v.max(-1024.0));
        assert!(detect(&image).is_none());
        // Noise in air below -1024: each value held by one voxel, not padding.
        let noisy = Array3::from_shape_fn((4, 30, 30), |(z, y, x)| {
            -1000.0 - ((z * 900 + y * 30 + x) as f32) * 0.05
        });
        assert!(detect(&noisy).is_none());
    }

    #[test]
    fn filling_extends_the_field_and_restoring_puts_padding_back() {
        let mut image = Array3::from_shape_fn((1, 3, 6), |(_, y, x)| match (y, x) {
            (0, _) => -2048.0,
            (_, 0) | (_, 5) => -2048.0,
            _ => (10 * y + x) as f32,
        });
        let original = image.clone();
        let padded = fill(&mut image, -2048.0);
        // Along x: row 1 is 11 12 13 14 extended to 11 11 12 13 14 14; row 0 (all padding)
        // then takes row 1 along y.
        assert_eq!(
            image.slice(ndarray::s![0, 0, ..]).to_vec(),
            vec![11.0, 11.0, 12.0, 13.0, 14.0, 14.0]
        );
        assert_eq!(image[(0, 2, 5)], 24.0);
        assert!(image.iter().all(|v| *v >= 11.0));
        let g = Geometry::new(
            [6, 3, 1],
            [1.0; 3],
            [0.0; 3],
            crate::volume::geometry::IDENTITY,
        )
        .unwrap();
        restore(&mut image, &g, &padded, &g, -2048.0);
        assert_eq!(image, original);
    }
}
