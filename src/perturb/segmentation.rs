//! Segmentation perturbations: erosion and dilation (by a distance, or to a volume fraction),
//! translation of the image under a fixed ROI, and rotation of image and ROI about z.
//!
//! Erosion by r mm keeps the ROI voxels farther than r from every background voxel; dilation
//! adds the voxels within r of the ROI (exact Euclidean distances, anisotropic spacing).
//! A volume fraction f grows or shrinks the ROI by signed distance until it holds
//! round(f * V) voxels; voxels at equal distance are ranked by the ROI indicator smoothed
//! with a Gaussian of one voxel (more "inside" first), then by position, so the target is met
//! exactly and the boundary stays smooth.

use ndarray::Array3;

use super::Case;
use super::distance::squared_distance_to;
use super::scanner::{convolve_axis, gaussian_kernel};
use super::warp::{Interp, warp, warp_mask};

/// Erodes the ROI by `mm`. Err when nothing is left.
pub fn erode(case: &mut Case, mm: f64) -> Result<(), String> {
    let outside = case.roi.mapv(|v| !v);
    let d2 = squared_distance_to(&outside, case.image.geometry.spacing);
    let r2 = mm * mm;
    let eroded = ndarray::Zip::from(&case.roi)
        .and(&d2)
        .map_collect(|&inside, &d| inside && d > r2 + 1e-9);
    if !eroded.iter().any(|&v| v) {
        return Err(format!("an erosion of {mm} mm leaves the ROI empty"));
    }
    case.roi = eroded;
    Ok(())
}

/// Dilates the ROI by `mm` (within the grid).
pub fn dilate(case: &mut Case, mm: f64) {
    let d2 = squared_distance_to(&case.roi, case.image.geometry.spacing);
    let r2 = mm * mm;
    case.roi = d2.mapv(|d| d <= r2 + 1e-9);
}

/// The ROI indicator smoothed by a Gaussian of one voxel along each axis.
fn smoothed_indicator(roi: &Array3<bool>) -> Array3<f64> {
    let mut s = roi.mapv(|v| f64::from(u8::from(v)));
    let kernel = gaussian_kernel(1.0);
    for axis in 0..3 {
        if s.shape()[axis] > 1 {
            convolve_axis(&mut s, axis, &kernel);
        }
    }
    s
}

/// Shrinks or grows the ROI to `fraction` of its volume.
pub fn scale_volume(case: &mut Case, fraction: f64) -> Result<(), String> {
    let spacing = case.image.geometry.spacing;
    let volume = case.roi.iter().filter(|&&v| v).count();
    let target = (fraction * volume as f64).round() as usize;
    if target == 0 {
        return Err(format!(
            "a volume fraction of {fraction} leaves the ROI empty"
        ));
    }
    if target > case.roi.len() {
        return Err(format!(
            "a volume fraction of {fraction} needs {target} voxels, more than the grid's {}",
            case.roi.len()
        ));
    }
    let outside = case.roi.mapv(|v| !v);
    let to_background = squared_distance_to(&outside, spacing);
    let to_roi = squared_distance_to(&case.roi, spacing);
    let smooth = smoothed_indicator(&case.roi);
    // Signed distance: positive inside (to the background), negative outside (to the ROI).
    let mut order: Vec<(f64, f64, usize)> = case
        .roi
        .iter()
        .zip(to_background.iter().zip(&to_roi))
        .zip(&smooth)
        .enumerate()
        .map(|(n, ((&inside, (&db, &dr)), &sm))| {
            let signed = if inside { db.sqrt() } else { -dr.sqrt() };
            (signed, sm, n)
        })
        .collect();
    order.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(b.1.total_cmp(&a.1))
            .then(a.2.cmp(&b.2))
    });
    let mut roi = Array3::from_elem(case.roi.dim(), false);
    let flat = roi.as_slice_mut().ok_or("mask not contiguous")?;
    for &(_, _, n) in order.iter().take(target) {
        flat[n] = true;
    }
    case.roi = roi;
    Ok(())
}

/// The ROI's centroid in mm, in the grid's index frame.
pub fn centroid_mm(roi: &Array3<bool>, spacing: [f64; 3]) -> Option<[f64; 3]> {
    let mut sum = [0.0; 3];
    let mut n = 0usize;
    for ((k, j, i), &v) in roi.indexed_iter() {
        if v {
            sum[0] += i as f64;
            sum[1] += j as f64;
            sum[2] += k as f64;
            n += 1;
        }
    }
    (n > 0).then(|| [0, 1, 2].map(|a| sum[a] / n as f64 * spacing[a]))
}

/// Moves the image content by `shift` voxels (fractions allowed) under the fixed ROI.
pub fn translate(case: &mut Case, shift: [f64; 3], interp: Interp) {
    let spacing = case.image.geometry.spacing;
    let mm = [0, 1, 2].map(|a| shift[a] * spacing[a]);
    let image = case.image.voxels.mapv(f64::from);
    let moved = warp(&image, spacing, interp, &|p| {
        [p[0] - mm[0], p[1] - mm[1], p[2] - mm[2]]
    });
    case.image.voxels = moved.mapv(|v| v as f32);
}

/// Where a rotation about z turns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationCentre {
    /// The ROI's centroid (the ROI stays in place and turns).
    Roi,
    /// The grid's centre.
    Grid,
}

/// Rotates image and ROI by `degrees` about the z axis through `centre` (counter-clockwise
/// from +x towards +y in the index frame).
pub fn rotate(
    case: &mut Case,
    degrees: f64,
    centre: RotationCentre,
    interp: Interp,
) -> Result<(), String> {
    let g = &case.image.geometry;
    let spacing = g.spacing;
    let c = match centre {
        RotationCentre::Roi => centroid_mm(&case.roi, spacing).ok_or("the ROI is empty")?,
        RotationCentre::Grid => [0, 1, 2].map(|a| (g.size[a] - 1) as f64 * spacing[a] / 2.0),
    };
    let (sin, cos) = degrees.to_radians().sin_cos();
    // The output point p shows the input at R(-theta)(p - c) + c.
    let map = move |p: [f64; 3]| {
        let (x, y) = (p[0] - c[0], p[1] - c[1]);
        [c[0] + cos * x + sin * y, c[1] - sin * x + cos * y, p[2]]
    };
    let image = case.image.voxels.mapv(f64::from);
    case.image.voxels = warp(&image, spacing, interp, &map).mapv(|v| v as f32);
    let roi = warp_mask(&case.roi, spacing, &map);
    if !roi.iter().any(|&v| v) {
        return Err(format!(
            "a rotation of {degrees} degrees turns the ROI out of the grid"
        ));
    }
    case.roi = roi;
    Ok(())
}
