//! Label maps (`Mask`): integer labels on a grid, their voxel counts and bounding boxes, the
//! image-mask geometry check, and cropping an image and mask to a label's bounding box.

use std::collections::BTreeMap;

use ndarray::{Array3, s};

use super::{Geometry, GeometryTolerance, PixelType, Volume};
use crate::error::{Error, Result};

/// A label map: 0 is background, every other value a label.
#[derive(Debug, Clone, PartialEq)]
pub struct Mask {
    /// The grid.
    pub geometry: Geometry,
    /// Labels, shape (z, y, x).
    pub labels: Array3<u16>,
}

/// An inclusive box of voxel indices (i, j, k).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundingBox {
    /// The lowest index on each axis.
    pub min: [usize; 3],
    /// The highest index on each axis.
    pub max: [usize; 3],
}

impl BoundingBox {
    /// Voxels along each axis.
    pub fn size(&self) -> [usize; 3] {
        [0, 1, 2].map(|a| self.max[a] - self.min[a] + 1)
    }
}

impl Mask {
    /// A mask from an image whose voxels are label values. Every voxel must hold a
    /// non-negative integer up to 65535; the error names the first voxel that does not.
    pub fn from_volume(volume: Volume) -> std::result::Result<Mask, String> {
        let mut labels = Array3::<u16>::zeros(volume.voxels.dim());
        for (((k, j, i), &v), dst) in volume.voxels.indexed_iter().zip(labels.iter_mut()) {
            if !(v.fract() == 0.0 && (0.0..=u16::MAX as f32).contains(&v)) {
                return Err(format!(
                    "voxel ({i}, {j}, {k}) holds {v}: a mask must hold non-negative integer \
                     labels up to 65535"
                ));
            }
            *dst = v as u16;
        }
        Ok(Mask {
            geometry: volume.geometry,
            labels,
        })
    }

    /// A mask from labels in file order (x fastest). Fails if the count does not match.
    pub fn from_vec(geometry: Geometry, labels: Vec<u16>) -> std::result::Result<Mask, String> {
        let n = labels.len();
        let labels = Array3::from_shape_vec(geometry.shape_zyx(), labels)
            .map_err(|_| format!("{n} labels do not fill the mask's grid"))?;
        Ok(Mask { geometry, labels })
    }

    /// The mask as an image of label values, stored as the narrowest unsigned type.
    pub fn to_volume(&self) -> Volume {
        let max = self.labels.iter().copied().max().unwrap_or(0);
        Volume {
            geometry: self.geometry.clone(),
            voxels: self.labels.mapv(f32::from),
            stored_type: if max <= u8::MAX as u16 {
                PixelType::U8
            } else {
                PixelType::U16
            },
        }
    }

    /// Voxel count per non-zero label, in label order.
    pub fn label_counts(&self) -> BTreeMap<u16, usize> {
        let mut counts = vec![0usize; u16::MAX as usize + 1];
        // Masks are mostly background: skip all-zero rows with a vectorisable OR.
        for row in self.labels.rows() {
            let row = row.as_slice().unwrap_or(&[]);
            if row.iter().fold(0u16, |a, &b| a | b) == 0 {
                continue;
            }
            for &l in row {
                counts[l as usize] += 1;
            }
        }
        counts
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, n)| **n > 0)
            .map(|(l, n)| (l as u16, *n))
            .collect()
    }

    /// The voxel count of one label.
    pub fn count(&self, label: u16) -> usize {
        self.labels.iter().filter(|&&l| l == label).count()
    }

    /// The smallest box holding every voxel of `label`, or `None` if it has none.
    pub fn bounding_box(&self, label: u16) -> Option<BoundingBox> {
        label_bounding_box(&self.labels, label).map(|(min, max)| BoundingBox { min, max })
    }

    /// Checks that this mask lies on the image's grid within `tol`.
    pub fn check_matches(&self, image: &Volume, tol: GeometryTolerance) -> Result<()> {
        image
            .geometry
            .check_same(&self.geometry, tol)
            .map_err(|why| Error::Mismatch(format!("mask and image grids differ: {why}")))
    }
}

/// How far (in voxels) a mapped mask voxel may fall from an image voxel's centre for the two
/// grids to count as one lattice (float32 headers round positions to about 1e-5 mm).
const LATTICE_TOLERANCE: f64 = 1e-3;

impl Mask {
    /// This mask on `image`'s grid when it can be put there without resampling: itself when
    /// the grids agree within `tol`; re-indexed, losslessly, when its grid holds the same voxel
    /// lattice with axes flipped or permuted (TotalSegmentator writes its label maps flipped in
    /// y), with a notice saying so. Otherwise itself, for the caller's grid check to refuse.
    pub fn onto_grid_of(self, image: &Volume, tol: GeometryTolerance) -> (Mask, Option<String>) {
        if self.check_matches(image, tol).is_ok() {
            return (self, None);
        }
        match self.reindexed_onto(&image.geometry) {
            Some((mask, how)) => (
                mask,
                Some(format!(
                    "the mask's grid holds the image's voxel lattice with {how}: re-indexed onto \
                     the image grid (no resampling)"
                )),
            ),
            None => (self, None),
        }
    }

    /// The mask re-indexed onto `target` when each of its index axes steps by exactly one
    /// voxel along some axis of `target` (a signed permutation) and every labelled voxel lands
    /// on it; with a description of the flips and permutation.
    fn reindexed_onto(&self, target: &Geometry) -> Option<(Mask, String)> {
        let start = target.point_to_index(self.geometry.origin);
        let mut axis_of = [(0usize, 1isize); 3];
        for a in 0..3 {
            let mut unit = [0.0; 3];
            unit[a] = 1.0;
            let end = target.point_to_index(self.geometry.index_to_point(unit));
            let step: Vec<f64> = (0..3).map(|b| end[b] - start[b]).collect();
            let b = (0..3).max_by(|&x, &y| step[x].abs().total_cmp(&step[y].abs()))?;
            let clean = (0..3).all(|c| {
                let want = if c == b { step[b].signum() } else { 0.0 };
                (step[c] - want).abs() <= LATTICE_TOLERANCE
            });
            if !clean {
                return None;
            }
            axis_of[a] = (b, if step[b] > 0.0 { 1 } else { -1 });
        }
        let mut used = [false; 3];
        for (b, _) in axis_of {
            if std::mem::replace(&mut used[b], true) {
                return None;
            }
        }
        let offset: Vec<isize> = start.iter().map(|v| v.round() as isize).collect();
        if start
            .iter()
            .zip(&offset)
            .any(|(v, o)| (v - *o as f64).abs() > LATTICE_TOLERANCE)
        {
            return None;
        }
        let [nx, ny, nz] = target.size;
        let mut labels = Array3::<u16>::zeros((nz, ny, nx));
        for ((k, j, i), &l) in self.labels.indexed_iter() {
            if l == 0 {
                continue;
            }
            let mut at = offset.clone();
            for (a, index) in [i, j, k].into_iter().enumerate() {
                let (b, sign) = axis_of[a];
                at[b] += sign * index as isize;
            }
            if (0..3).any(|b| at[b] < 0 || at[b] as usize >= target.size[b]) {
                return None; // a labelled voxel outside the image
            }
            labels[(at[2] as usize, at[1] as usize, at[0] as usize)] = l;
        }
        let names = ["x", "y", "z"];
        let mut parts: Vec<String> = Vec::new();
        for (a, (b, sign)) in axis_of.iter().enumerate() {
            if *b != a {
                parts.push(format!("its {} along the image's {}", names[a], names[*b]));
            }
            if *sign < 0 {
                parts.push(format!("{} flipped", names[*b]));
            }
        }
        let how = if parts.is_empty() {
            "another origin or extent".to_string()
        } else {
            parts.join(", ")
        };
        Some((
            Mask {
                geometry: target.clone(),
                labels,
            },
            how,
        ))
    }
}

/// The inclusive bounding box (x, y, z) of `label` in a (z, y, x) label array, scanning row by
/// row (a row's first and last hit bound x; any hit bounds y and z).
pub fn label_bounding_box(labels: &Array3<u16>, label: u16) -> Option<([usize; 3], [usize; 3])> {
    let (nz, ny, _) = labels.dim();
    let mut lo = [usize::MAX; 3];
    let mut hi = [0usize; 3];
    for z in 0..nz {
        for y in 0..ny {
            let row = labels.slice(s![z, y, ..]);
            if row.iter().fold(0u16, |a, &b| a | b) == 0 {
                continue;
            }
            let Some(first) = row.iter().position(|&l| l == label) else {
                continue;
            };
            let last = row.iter().rposition(|&l| l == label).unwrap_or(first);
            lo = [lo[0].min(first), lo[1].min(y), lo[2].min(z)];
            hi = [hi[0].max(last), hi[1].max(y), hi[2].max(z)];
        }
    }
    (lo[0] != usize::MAX).then_some((lo, hi))
}

/// Crops an image and its mask to the bounding box of `label`, widened by `pad` voxels on each
/// side (clipped at the image border, as PyRadiomics' `cropToTumorMask` does). The cropped grids
/// keep the physical position of every voxel. Fails when the label has no voxel.
pub fn crop_to_label(
    image: &Volume,
    mask: &Mask,
    label: u16,
    pad: [usize; 3],
) -> Result<(Volume, Mask)> {
    mask.check_matches(image, GeometryTolerance::default())?;
    let bb = mask.bounding_box(label).ok_or_else(|| {
        Error::Mismatch(format!(
            "label {label} has no voxel in the mask (empty ROI)"
        ))
    })?;
    let size = image.geometry.size;
    let lo = [0, 1, 2].map(|a| bb.min[a].saturating_sub(pad[a]));
    let hi = [0, 1, 2].map(|a| (bb.max[a] + pad[a]).min(size[a] - 1));
    let extent = [0, 1, 2].map(|a| hi[a] - lo[a] + 1);
    let window = s![lo[2]..=hi[2], lo[1]..=hi[1], lo[0]..=hi[0]];
    let grid = image.geometry.sub_grid(lo, extent);
    Ok((
        Volume {
            geometry: grid.clone(),
            voxels: image.voxels.slice(window).to_owned(),
            stored_type: image.stored_type,
        },
        Mask {
            geometry: grid,
            labels: mask.labels.slice(window).to_owned(),
        },
    ))
}

#[cfg(test)]
mod tests {

    /// A mask written with x and y swapped and z flipped is the image's lattice: re-indexed,
    /// every label lands where its physical point is; half a voxel off, it is not.
    #[test]
    fn a_permuted_and_flipped_grid_is_reindexed_and_a_shifted_one_is_not() {
        let image_grid = Geometry::new(
            [4, 3, 2],
            [1.0, 2.0, 3.0],
            [0.0; 3],
            [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        )
        .unwrap();
        let image = Volume {
            geometry: image_grid.clone(),
            voxels: Array3::zeros((2, 3, 4)),
            stored_type: PixelType::F32,
        };
        // Mask index axes: i along the image's y, j along x, k along -z from the last slice.
        let mask_grid = Geometry::new(
            [3, 4, 2],
            [2.0, 1.0, 3.0],
            [0.0, 0.0, 3.0],
            [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]],
        )
        .unwrap();
        let mut labels = Array3::<u16>::zeros((2, 4, 3));
        labels[(0, 3, 1)] = 7; // mask (i, j, k) = (1, 3, 0)
        let mask = Mask {
            geometry: mask_grid.clone(),
            labels,
        };
        let point = mask_grid.index_to_point([1.0, 3.0, 0.0]);
        let (moved, notice) = mask.onto_grid_of(&image, GeometryTolerance::default());
        let notice = notice.expect("re-indexed");
        assert!(
            notice.contains("z flipped") && notice.contains("along the image's"),
            "{notice}"
        );
        let at = image_grid.point_to_index(point).map(|v| v.round() as usize);
        assert_eq!(moved.labels[(at[2], at[1], at[0])], 7);
        assert_eq!(moved.label_counts().values().sum::<usize>(), 1);
        // Half a voxel off along x: no lattice, left for the grid check to refuse.
        let mut shifted = mask_grid;
        shifted.origin[0] += 0.5;
        let mask = Mask {
            geometry: shifted,
            labels: Array3::zeros((2, 4, 3)),
        };
        let (kept, notice) = mask
            .clone()
            .onto_grid_of(&image, GeometryTolerance::default());
        assert!(notice.is_none() && kept == mask);
    }

    use super::*;
    use crate::volume::geometry::IDENTITY;

    fn grid() -> Geometry {
        Geometry::new([6, 5, 4], [1.0, 2.0, 3.0], [10.0, 20.0, 30.0], IDENTITY).unwrap()
    }

    fn mask_with_voxels(voxels: &[[usize; 3]]) -> Mask {
        let g = grid();
        let mut labels = Array3::zeros(g.shape_zyx());
        for &[i, j, k] in voxels {
            labels[(k, j, i)] = 3;
        }
        Mask {
            geometry: g,
            labels,
        }
    }

    #[test]
    fn crop_keeps_physical_positions_and_clips_padding_at_the_border() {
        let mask = mask_with_voxels(&[[1, 2, 1], [3, 2, 2]]);
        let g = mask.geometry.clone();
        let values: Vec<f32> = (0..g.voxel_count()).map(|v| v as f32).collect();
        let image = Volume::from_vec(g.clone(), values, PixelType::F32).unwrap();
        let (ci, cm) = crop_to_label(&image, &mask, 3, [2, 1, 0]).unwrap();
        // x: 1..3 padded by 2 -> 0..5 (clipped at 0); y: 2..2 padded by 1 -> 1..3; z: 1..2.
        assert_eq!(ci.geometry.size, [6, 3, 2]);
        assert_eq!(ci.geometry.origin, g.index_to_point([0.0, 1.0, 1.0]));
        assert_eq!(cm.count(3), 2);
        // The voxel at cropped (3, 1, 1) is the original (3, 2, 2).
        assert_eq!(ci.get([3, 1, 1]), image.get([3, 2, 2]));
        assert_eq!(cm.labels[(1, 1, 3)], 3);
    }

    #[test]
    fn empty_label_and_bad_label_values_are_refused() {
        let mask = mask_with_voxels(&[[0, 0, 0]]);
        let image = mask.to_volume();
        let err = crop_to_label(&image, &mask, 7, [0; 3])
            .unwrap_err()
            .to_string();
        assert!(err.contains("label 7 has no voxel"), "{err}");
        let mut v = image.clone();
        v.voxels[(0, 1, 2)] = 0.5;
        let err = Mask::from_volume(v).unwrap_err();
        assert!(err.contains("voxel (2, 1, 0) holds 0.5"), "{err}");
    }
}
