//! IBSI image processing, in the standard's order: intensity rounding, interpolation of image
//! and ROI to the new grid (the ROI linearly, kept where it reaches the partial-volume
//! threshold), rounding of the interpolated intensities, range and outlier re-segmentation,
//! and discretisation. The result keeps the neighbourhood of the ROI (for the local intensity
//! peaks, whose 1 cm³ spheres reach beyond the ROI) and the two IBSI masks: the morphological
//! mask (before re-segmentation) and the intensity mask (after).

use ndarray::{Array3, s};

use super::interpolate::{along_axis, new_size, position};
use super::settings::{Discretisation, IbsiSettings, Interpolator};
use crate::features::value::PrepareError;
use crate::volume::{Mask, Volume, label_bounding_box};

/// Neighbourhood kept around the ROI (mm): the local intensity sphere's radius (6.2 mm)
/// twice over, so that every sphere centred in the ROI lies inside it.
const MARGIN_MM: f64 = 14.0;

/// The ROI and its neighbourhood after IBSI image processing.
#[derive(Debug, Clone)]
pub struct Region {
    /// Intensities, (z, y, x).
    pub image: Array3<f64>,
    /// The morphological mask (interpolated ROI).
    pub morph: Array3<bool>,
    /// The intensity mask (morphological mask after re-segmentation).
    pub intensity: Array3<bool>,
    /// Voxel spacing (x, y, z) in mm.
    pub spacing: [f64; 3],
}

/// Interpolates (if asked), rounds and re-segments; errors say what went wrong.
pub fn prepare(image: &Volume, mask: &Mask, s: &IbsiSettings) -> Result<Region, PrepareError> {
    let labels = &mask.labels;
    let (lo, hi) = label_bounding_box(labels, s.label).ok_or_else(|| {
        PrepareError::Roi(format!(
            "label {} has no voxel in the mask (empty ROI)",
            s.label
        ))
    })?;
    let size = image.geometry.size;
    let old_spacing = image.geometry.spacing;
    let mut new_spacing = old_spacing;
    // Crop to the ROI's neighbourhood (x, y, z) first: what the local intensity peak reads,
    // or the filter's reach when that is further.
    let target = [0, 1, 2].map(|a| {
        s.interpolation
            .as_ref()
            .and_then(|i| i.spacing[a])
            .unwrap_or(old_spacing[a])
    });
    let reach_mm = s.filter.as_ref().map_or([0.0; 3], |f| {
        let r = f.reach(target);
        [0, 1, 2].map(|a| r[a] as f64 * target[a])
    });
    let margin =
        [0, 1, 2].map(|a| (MARGIN_MM.max(reach_mm[a]) / old_spacing[a]).ceil() as usize + 3);
    let c_lo = [0, 1, 2].map(|a| lo[a].saturating_sub(margin[a]));
    let c_hi = [0, 1, 2].map(|a| (hi[a] + margin[a]).min(size[a] - 1));
    let window = s![c_lo[2]..=c_hi[2], c_lo[1]..=c_hi[1], c_lo[0]..=c_hi[0]];
    let round = |v: f64| if s.round_intensities { v.round() } else { v };
    let mut values: Array3<f64> = image.voxels.slice(window).mapv(|v| round(v as f64));
    // Interpolation and the local intensity peaks read the ROI's neighbourhood too.
    let non_finite = values.iter().filter(|v| !v.is_finite()).count();
    if non_finite > 0 {
        return Err(PrepareError::Image(format!(
            "the image holds {non_finite} NaN or infinite value(s) in or near the ROI (label {}); features need finite intensities",
            s.label
        )));
    }
    // The ROI is interpolated on its own bounding box widened by 2 voxels (x, y, z; relative
    // to the crop), then laid into the crop's grid: linear interpolation reads 0 beyond it, so
    // the result is the same, and a filter that reads the whole image (Simoncelli) does not
    // make the ROI's interpolation run over the whole image too.
    let r_lo = [0, 1, 2].map(|a| (lo[a] - c_lo[a]).saturating_sub(2));
    let r_hi = [0, 1, 2].map(|a| (hi[a] - c_lo[a] + 2).min(c_hi[a] - c_lo[a]));
    let mut roi: Array3<f64> = labels
        .slice(window)
        .slice(s![r_lo[2]..=r_hi[2], r_lo[1]..=r_hi[1], r_lo[0]..=r_hi[0]])
        .mapv(|l| if l == s.label { 1.0 } else { 0.0 });
    // Where the ROI's box starts in the (interpolated) crop, array order.
    let mut roi_at = [r_lo[2], r_lo[1], r_lo[0]];
    let mut threshold = 0.5;
    if let Some(interp) = &s.interpolation {
        threshold = interp.roi_threshold;
        // The new grid around the ROI must fit in memory (a spacing typed in the wrong unit
        // would ask for billions of voxels).
        let voxels: f64 = (0..3)
            .map(|a| {
                let extent = (c_hi[a] - c_lo[a] + 1) as f64 * old_spacing[a];
                interp.spacing[a].map_or((c_hi[a] - c_lo[a] + 1) as f64, |n| extent / n)
            })
            .product();
        if let Some(why) = crate::limits::over_budget(voxels, "voxels around the ROI") {
            return Err(PrepareError::Roi(format!(
                "interpolation.spacing: the new grid would hold {why}"
            )));
        }
        // Array axes are (z, y, x); settings are (x, y, z).
        for (axis_xyz, new) in interp.spacing.iter().enumerate() {
            let Some(new) = *new else { continue };
            let old = old_spacing[axis_xyz];
            let n_old = size[axis_xyz];
            let n_new = new_size(n_old, old, new);
            // Keep the new voxels whose positions have the cropped neighbourhood around them
            // (two voxels of support for the spline), unless the crop is the image border.
            let lo_ok = c_lo[axis_xyz] as f64 + if c_lo[axis_xyz] > 0 { 2.0 } else { -1e9 };
            let hi_ok = c_hi[axis_xyz] as f64
                - if c_hi[axis_xyz] < n_old - 1 {
                    2.0
                } else {
                    -1e9
                };
            let positions: Vec<f64> = (0..n_new)
                .map(|k| position(k, n_old, n_new, old, new))
                .filter(|p| *p >= lo_ok && *p <= hi_ok)
                .map(|p| p - c_lo[axis_xyz] as f64)
                .collect();
            if positions.is_empty() {
                return Err(PrepareError::Roi(
                    "the interpolated grid holds no voxel of the ROI".into(),
                ));
            }
            let axis = 2 - axis_xyz;
            values = along_axis(&values, axis, &positions, interp.image);
            // The new voxels whose linear interpolation reads only the ROI's box (or its
            // clamped border, where the box is the crop's edge); the others read zeros.
            let (box_lo, box_hi) = (r_lo[axis_xyz] as f64, r_hi[axis_xyz] as f64);
            let crop_hi = (c_hi[axis_xyz] - c_lo[axis_xyz]) as f64;
            let inside =
                |p: f64| (p >= box_lo || box_lo == 0.0) && (p <= box_hi || box_hi == crop_hi);
            let first = positions.iter().position(|&p| inside(p)).unwrap_or(0);
            let in_box: Vec<f64> = positions
                .iter()
                .filter(|&&p| inside(p))
                .map(|p| p - box_lo)
                .collect();
            roi = along_axis(&roi, axis, &in_box, Interpolator::Linear);
            roi_at[axis] = first;
            new_spacing[axis_xyz] = new;
        }
        values.mapv_inplace(round);
    }
    let mut whole = Array3::<f64>::zeros(values.raw_dim());
    let (nk, nj, ni) = roi.dim();
    whole
        .slice_mut(s![
            roi_at[0]..roi_at[0] + nk,
            roi_at[1]..roi_at[1] + nj,
            roi_at[2]..roi_at[2] + ni
        ])
        .assign(&roi);
    let roi = whole;
    // A partial-volume fraction that should be exactly the threshold must not drop out
    // through rounding in the interpolation weights.
    let morph = roi.mapv(|f| f >= threshold - 1e-9);
    if !morph.iter().any(|&m| m) {
        return Err(PrepareError::Roi(format!(
            "no voxel of label {} reaches the partial-volume threshold {threshold} after interpolation",
            s.label
        )));
    }
    let intensity = resegment(&values, &morph, s);
    if !intensity.iter().any(|&m| m) {
        return Err(PrepareError::Roi(
            "no ROI voxel is left after re-segmentation (empty ROI)".into(),
        ));
    }
    // IBSI 2: the intensity mask above is the unfiltered image's; the features read the
    // response.
    if let Some(filter) = &s.filter {
        values = filter
            .apply(&values, new_spacing)
            .map_err(|e| PrepareError::Image(format!("filter: {e}")))?;
    }
    Ok(Region {
        image: values,
        morph,
        intensity,
        spacing: new_spacing,
    })
}

/// The values of `image` where `mask` is set, in array order.
pub fn masked<T: Copy>(image: &Array3<T>, mask: &Array3<bool>) -> Vec<T> {
    image
        .iter()
        .zip(mask.iter())
        .filter(|(_, m)| **m)
        .map(|(v, _)| *v)
        .collect()
}

/// The intensity mask: the morphological mask within the range, then within mean ± k SD of
/// what the range kept.
fn resegment(values: &Array3<f64>, morph: &Array3<bool>, s: &IbsiSettings) -> Array3<bool> {
    let mut keep = morph.clone();
    if let Some([lo, hi]) = s.resegment_range {
        ndarray::Zip::from(&mut keep)
            .and(values)
            .for_each(|k, &v| *k = *k && v >= lo && v <= hi);
    }
    if let Some(k) = s.outlier_sigma {
        let kept = masked(values, &keep);
        // IBSI: the mean and population SD of the ROI intensities.
        let n = kept.len() as f64;
        let mean = kept.iter().sum::<f64>() / n;
        let sd = (kept.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        ndarray::Zip::from(&mut keep)
            .and(values)
            .for_each(|m, &v| *m = *m && v >= mean - k * sd && v <= mean + k * sd);
    }
    keep
}

/// The region cropped to the morphological mask's bounding box: what morphology and texture
/// work on.
pub struct Roi {
    pub image: Array3<f64>,
    pub morph: Array3<bool>,
    pub intensity: Array3<bool>,
    pub spacing: [f64; 3],
}

impl Region {
    pub fn cropped(&self) -> Roi {
        let (nz, ny, nx) = self.morph.dim();
        let mut lo = [usize::MAX; 3];
        let mut hi = [0usize; 3];
        for ((z, y, x), &m) in self.morph.indexed_iter() {
            if m {
                for (d, v) in [z, y, x].into_iter().enumerate() {
                    lo[d] = lo[d].min(v);
                    hi[d] = hi[d].max(v);
                }
            }
        }
        debug_assert!(lo[0] < nz && lo[1] < ny && lo[2] < nx);
        let w = s![lo[0]..=hi[0], lo[1]..=hi[1], lo[2]..=hi[2]];
        Roi {
            image: self.image.slice(w).to_owned(),
            morph: self.morph.slice(w).to_owned(),
            intensity: self.intensity.slice(w).to_owned(),
            spacing: self.spacing,
        }
    }
}

/// Refuses a bin size that makes more than [`crate::limits::MAX_BINS`] bins.
pub fn check_bins(bins: f64, width: f64) -> Result<(), String> {
    if bins.is_nan() || bins > crate::limits::MAX_BINS {
        return Err(format!(
            "bin_size {width:e} makes {bins:.3e} bins over the ROI's intensities (at most {:e}; raise bin_size or use bin_number)",
            crate::limits::MAX_BINS
        ));
    }
    Ok(())
}

/// Discretised grey levels (0 outside the intensity mask) and the number of levels Ng.
pub struct Levels {
    pub levels: Array3<u32>,
    pub count: u32,
}

/// Discretises the intensity-mask voxels. Without discretisation the intensities must be
/// integers ≥ 1 (they are the grey levels).
pub fn discretise(
    image: &Array3<f64>,
    mask: &Array3<bool>,
    how: Discretisation,
    range_min: Option<f64>,
) -> Result<Levels, String> {
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for (v, _) in image.iter().zip(mask.iter()).filter(|(_, m)| **m) {
        min = min.min(*v);
        max = max.max(*v);
    }
    if let Discretisation::BinSize(w) = how {
        let base = range_min.filter(|m| m.is_finite()).unwrap_or(min);
        check_bins(((max - base) / w).floor() + 1.0, w)?;
    }
    let level = |v: f64| -> Result<u32, String> {
        Ok(match how {
            Discretisation::None => {
                if v.fract() != 0.0 || v < 1.0 {
                    return Err(format!(
                        "without discretisation the intensities must be integers >= 1, found {v}"
                    ));
                }
                v as u32
            }
            Discretisation::BinNumber(n) => {
                if max == min {
                    1
                } else {
                    ((n as f64 * (v - min) / (max - min)).floor() as u32 + 1).min(n as u32)
                }
            }
            Discretisation::BinSize(w) => {
                let base = range_min.filter(|m| m.is_finite()).unwrap_or(min);
                ((v - base) / w).floor() as u32 + 1
            }
        })
    };
    let mut levels = Array3::<u32>::zeros(image.dim());
    let mut count = 0;
    for ((l, v), m) in levels.iter_mut().zip(image.iter()).zip(mask.iter()) {
        if *m {
            *l = level(*v)?;
            count = count.max(*l);
        }
    }
    if let Discretisation::BinNumber(n) = how {
        count = n as u32;
    }
    Ok(Levels { levels, count })
}
