//! Voxel size and slice thickness.
//!
//! Spacing: the image is resampled onto a grid with the new spacing that keeps the grid's
//! centre (IBSI's grid alignment: n' = ceil(n s / s'), centres aligned), by cubic B-spline or
//! trilinear interpolation; the ROI by nearest neighbour or by partial volume (its indicator
//! interpolated linearly and kept at >= 0.5).
//!
//! Slice thickness: each new slice is the average of the old slices under a rectangular slice
//! profile of the new thickness centred on it, every old slice weighted by its overlap (old
//! slices are contiguous slabs of their spacing). New slices are `step` apart (the thickness
//! by default) on a grid with the same centre. The ROI is averaged the same way and kept at
//! >= 0.5.

use ndarray::{Array3, Axis};

use super::Case;
use super::warp::Interp;
use crate::volume::Geometry;
use crate::volume::resample::{Interpolator, resample};

/// How the ROI follows a resampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaskRule {
    Nearest,
    PartialVolume,
}

/// The grid with `spacing` that covers `g` and shares its centre.
pub fn centred_grid(g: &Geometry, spacing: [f64; 3]) -> Geometry {
    let mut size = [0usize; 3];
    let mut shift = [0.0; 3];
    for a in 0..3 {
        let extent = g.size[a] as f64 * g.spacing[a];
        // A hair below the exact ratio so that 2 mm over 1 mm slices gives n/2, not n/2 + 1.
        size[a] = ((extent / spacing[a]) - 1e-9).ceil().max(1.0) as usize;
        let old_half = (g.size[a] - 1) as f64 * g.spacing[a] / 2.0;
        let new_half = (size[a] - 1) as f64 * spacing[a] / 2.0;
        shift[a] = (old_half - new_half) / g.spacing[a];
    }
    Geometry {
        size,
        spacing,
        origin: g.index_to_point(shift),
        direction: g.direction,
    }
}

/// Refuses a new spacing whose grid over the image's extent would exceed the voxel budget.
fn check_budget(g: &Geometry, spacing: [f64; 3]) -> Result<(), String> {
    let extent = [0, 1, 2].map(|a| g.size[a] as f64 * g.spacing[a]);
    match crate::limits::over_budget(crate::limits::grid_voxels(extent, spacing), "voxels") {
        None => Ok(()),
        Some(why) => Err(format!("the new grid over the image would hold {why}")),
    }
}

/// Resamples the case onto the centred grid with `spacing`.
pub fn resample_spacing(
    case: &mut Case,
    spacing: [f64; 3],
    interp: Interp,
    rule: MaskRule,
) -> Result<(), String> {
    check_budget(&case.image.geometry, spacing)?;
    let input = case.image.geometry.clone();
    let output = centred_grid(&input, spacing);
    let image = case.image.voxels.mapv(f64::from);
    let interpolator = match interp {
        Interp::Linear => Interpolator::Linear,
        Interp::BSpline => Interpolator::BSpline,
    };
    let values = resample(&image, &input, &output, interpolator);
    let indicator = case.roi.mapv(|v| f64::from(u8::from(v)));
    let roi = match rule {
        MaskRule::Nearest => {
            resample(&indicator, &input, &output, Interpolator::Nearest).mapv(|v| v >= 0.5)
        }
        MaskRule::PartialVolume => {
            resample(&indicator, &input, &output, Interpolator::Linear).mapv(|v| v >= 0.5)
        }
    };
    case.image.voxels = values.mapv(|v| v as f32);
    case.image.geometry = output;
    case.roi = roi;
    Ok(())
}

/// The weights of old slices (spacing `old`, `n` of them) under a box of `width` centred at
/// old-index position `centre`: (slice, overlap in mm).
fn slab_weights(centre: f64, width: f64, old: f64, n: usize) -> Vec<(usize, f64)> {
    let lo = centre * old - width / 2.0;
    let hi = centre * old + width / 2.0;
    (0..n)
        .filter_map(|k| {
            let a = (k as f64 - 0.5) * old;
            let b = (k as f64 + 0.5) * old;
            let overlap = hi.min(b) - lo.max(a);
            (overlap > 1e-12).then_some((k, overlap))
        })
        .collect()
}

/// Averages slices under a rectangular profile of `thickness` mm, new slices `step` mm apart.
pub fn thicken_slices(case: &mut Case, thickness: f64, step: f64) -> Result<(), String> {
    let g = case.image.geometry.clone();
    let n = g.size[2];
    let mut spacing = g.spacing;
    spacing[2] = step;
    check_budget(&g, spacing)?;
    let output = centred_grid(&g, spacing);
    let first = g.point_to_index(output.origin)[2];
    let ratio = step / g.spacing[2];
    let (_, ny, nx) = case.image.voxels.dim();
    let m = output.size[2];
    let mut image = Array3::<f32>::zeros((m, ny, nx));
    let mut roi = Array3::from_elem((m, ny, nx), false);
    for k in 0..m {
        let weights = slab_weights(first + k as f64 * ratio, thickness, g.spacing[2], n);
        let total: f64 = weights.iter().map(|w| w.1).sum();
        let mut acc = Array3::<f64>::zeros((1, ny, nx));
        let mut inside = Array3::<f64>::zeros((1, ny, nx));
        for &(s, w) in &weights {
            let src = case.image.voxels.index_axis(Axis(0), s);
            let msk = case.roi.index_axis(Axis(0), s);
            for ((a, b), (v, r)) in acc
                .iter_mut()
                .zip(inside.iter_mut())
                .zip(src.iter().zip(msk))
            {
                *a += w * f64::from(*v);
                *b += w * f64::from(u8::from(*r));
            }
        }
        for ((dst, r), (a, b)) in image
            .index_axis_mut(Axis(0), k)
            .iter_mut()
            .zip(roi.index_axis_mut(Axis(0), k).iter_mut())
            .zip(acc.iter().zip(&inside))
        {
            *dst = (a / total) as f32;
            *r = b / total >= 0.5;
        }
    }
    case.image.voxels = image;
    case.image.geometry = output;
    case.roi = roi;
    Ok(())
}
