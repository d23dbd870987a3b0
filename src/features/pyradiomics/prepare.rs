//! From an image and a mask to the region the features are computed on, step by step as
//! PyRadiomics' `RadiomicsFeatureExtractor.execute` does it: label checks, optional z-score
//! normalisation of the whole image, optional resampling of the ROI's neighbourhood (ITK
//! `ResampleImageFilter`, the image in its own pixel type, the mask nearest-neighbour),
//! image/mask geometry check (with `correctMask`), ROI size checks, optional re-segmentation,
//! and cropping to the ROI's bounding box.
//!
//! Work is confined to the ROI's neighbourhood: the whole image is only visited for the
//! normalisation statistics.

use ndarray::{Array3, Zip, s};

use super::roi::Roi;
use super::settings::{ResegmentMode, Settings};
pub use crate::features::value::PrepareError;
use crate::volume::geometry::{Geometry, GeometryTolerance};
use crate::volume::pixel::PixelType;
use crate::volume::resample::{Interpolator, cast_like_itk, resample, resample_region};
use crate::volume::{Mask, Volume, label_bounding_box};

/// B-spline prefiltering reaches this far (|pole|^32 < 1e-18): the input crop margin beyond
/// which the resampled values equal those computed on the whole image.
const BSPLINE_MARGIN: usize = 32;

/// The prepared ROI: the image and texture mask cropped to the ROI's bounding box, and the mask
/// used for shape (PyRadiomics computes shape before re-segmentation, unless `resegmentShape`).
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The ROI the texture and first-order classes use.
    pub roi: Roi,
    /// The mask shape is computed on.
    pub shape_mask: Array3<bool>,
    /// The image as PyRadiomics loads it, for the filters (kept only when asked for).
    pub loaded: Option<LoadedImage>,
}

/// The image as PyRadiomics' `loadImage` returns it (normalised, resampled or pre-cropped), and
/// where the ROI's bounding box lies in it: the filters run on the whole of it, then their
/// output is cropped to the box.
#[derive(Debug, Clone)]
pub struct LoadedImage {
    /// Intensities, shape (z, y, x).
    pub values: Array3<f64>,
    /// Voxel spacing (x, y, z) in mm.
    pub spacing: [f64; 3],
    /// The ROI's bounding box in it, inclusive (x, y, z).
    pub lo: [usize; 3],
    /// The box's upper corner, inclusive (x, y, z).
    pub hi: [usize; 3],
    /// Its pixel type as SimpleITK would hold it.
    pub pixel: PixelType,
}

impl LoadedImage {
    /// The ROI's box of a whole-image array.
    pub fn crop(&self, a: &Array3<f64>) -> Array3<f64> {
        crop(a, self.lo, self.hi)
    }
}

/// An image region in the working pixel type (what SimpleITK would hold), as f64.
struct Grid {
    geometry: Geometry,
    values: Array3<f64>,
    pixel: PixelType,
}

/// Inclusive bounding box (x, y, z) of `label`.
fn bounding_box(labels: &Array3<u16>, label: u16) -> Option<([usize; 3], [usize; 3])> {
    label_bounding_box(labels, label)
}

fn crop<T: Clone>(a: &Array3<T>, lo: [usize; 3], hi: [usize; 3]) -> Array3<T> {
    a.slice(s![lo[2]..=hi[2], lo[1]..=hi[1], lo[0]..=hi[0]])
        .to_owned()
}

/// Kahan-compensated mean and sample SD over every voxel (ITK StatisticsImageFilter).
fn image_statistics(values: &[f32]) -> (f64, f64) {
    let (mut sum, mut c1, mut sq, mut c2) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for &v in values {
        let v = v as f64;
        let y = v - c1;
        let t = sum + y;
        c1 = (t - sum) - y;
        sum = t;
        let y2 = v * v - c2;
        let t2 = sq + y2;
        c2 = (t2 - sq) - y2;
        sq = t2;
    }
    let n = values.len() as f64;
    let mean = sum / n;
    let variance = (sq - sum * sum / n) / (n - 1.0);
    (mean, variance.sqrt())
}

/// The voxel map of the loaded image: identity, or PyRadiomics' normalisation
/// ((x - mean) / sd, clipped to ± removeOutliers, times normalizeScale).
struct Intensity {
    normalise: Option<(f64, f64, Option<f64>, f64)>,
}

impl Intensity {
    fn new(image: &Volume, s: &Settings) -> Self {
        Intensity {
            normalise: s.normalize.then(|| {
                let (mean, sd) = image_statistics(image.as_slice());
                (mean, 1.0 / sd, s.remove_outliers, s.normalize_scale)
            }),
        }
    }

    fn pixel(&self, stored: PixelType) -> PixelType {
        if self.normalise.is_some() {
            PixelType::F64
        } else {
            stored
        }
    }

    fn apply(&self, v: f32) -> f64 {
        match self.normalise {
            None => v as f64,
            Some((mean, inv_sd, outliers, scale)) => {
                let mut z = (v as f64 + -mean) * inv_sd;
                if let Some(o) = outliers {
                    z = z.clamp(-o, o);
                }
                z * scale
            }
        }
    }

    /// The image region [lo, hi] (inclusive, x y z) in the working pixel type.
    fn region(&self, image: &Volume, lo: [usize; 3], hi: [usize; 3]) -> Grid {
        let size = [0, 1, 2].map(|a| hi[a] - lo[a] + 1);
        Grid {
            geometry: image.geometry.sub_grid(lo, size),
            values: image
                .voxels
                .slice(s![lo[2]..=hi[2], lo[1]..=hi[1], lo[0]..=hi[0]])
                .mapv(|v| self.apply(v)),
            pixel: self.pixel(image.stored_type),
        }
    }
}

/// Labels nearest-neighbour resampled onto `target` (ITK, as PyRadiomics' mask resampling).
fn resample_labels(mask: &Mask, target: &Geometry) -> Array3<u16> {
    let values = mask.labels.mapv(f64::from);
    resample(&values, &mask.geometry, target, Interpolator::Nearest).mapv(|v| v as u16)
}

/// PyRadiomics `_checkROI`: the ROI's bounding box, mapped to the image, must lie inside it.
fn check_roi_inside(
    image: &Geometry,
    mask: &Mask,
    label: u16,
) -> Result<([usize; 3], [usize; 3]), String> {
    let (lo, hi) = bounding_box(&mask.labels, label)
        .ok_or_else(|| format!("label {label} is not present in the mask"))?;
    let a = mask.geometry.index_to_point(lo.map(|v| v as f64 - 0.5));
    let b = mask.geometry.index_to_point(hi.map(|v| v as f64 + 0.5));
    let (ia, ib) = (image.point_to_index(a), image.point_to_index(b));
    let tol = 0.001;
    for d in 0..3 {
        let (mn, mx) = (ia[d].min(ib[d]), ia[d].max(ib[d]));
        if mn < -0.5 - tol || mx > image.size[d] as f64 - 0.5 + tol {
            return Err(format!(
                "the ROI's bounding box reaches outside the image (continuous index {mn:.2}..{mx:.2} \
                 along {} of an image {} voxels wide)",
                ["x", "y", "z"][d],
                image.size[d]
            ));
        }
    }
    Ok((lo, hi))
}

/// Resamples the ROI's neighbourhood to the new spacing (PyRadiomics `resampleImage`).
fn resample_roi(
    image: &Volume,
    mask: &Mask,
    intensity: &Intensity,
    spacing: [f64; 3],
    interpolator: Interpolator,
    s: &Settings,
) -> Result<(Grid, Array3<u16>), String> {
    let (lo, hi) = check_roi_inside(&image.geometry, mask, s.label)?;
    let mg = &mask.geometry;
    let bb_size = [0, 1, 2].map(|a| hi[a] - lo[a] + 1);
    let new_spacing: [f64; 3] = [0, 1, 2].map(|a| {
        if spacing[a] == 0.0 || bb_size[a] == 1 {
            mg.spacing[a]
        } else {
            spacing[a]
        }
    });
    let allclose = (0..3).all(|a| {
        (image.geometry.spacing[a] - new_spacing[a]).abs() <= 1e-8 + 1e-5 * new_spacing[a].abs()
    });
    if allclose {
        // Same spacing: only the mask is brought onto the image grid; crop with padding.
        let labels = resample_labels(mask, &image.geometry);
        let (blo, bhi) = bounding_box(&labels, s.label).ok_or_else(|| {
            format!(
                "label {} is not present in the mask after resampling",
                s.label
            )
        })?;
        let size = image.geometry.size;
        let plo = [0, 1, 2].map(|a| blo[a].saturating_sub(s.pad_distance));
        let phi = [0, 1, 2].map(|a| (bhi[a] + s.pad_distance).min(size[a] - 1));
        return Ok((intensity.region(image, plo, phi), crop(&labels, plo, phi)));
    }
    // The new grid around the ROI must fit in memory (a spacing typed in the wrong unit would
    // ask for billions of voxels).
    let extent = [0, 1, 2].map(|a| (bb_size[a] + 2 * s.pad_distance) as f64 * mg.spacing[a]);
    let voxels = crate::limits::grid_voxels(extent, new_spacing);
    if let Some(why) = crate::limits::over_budget(voxels, "voxels") {
        return Err(format!(
            "resampledPixelSpacing: the resampled grid around the ROI would hold {why}"
        ));
    }
    let ratio = [0, 1, 2].map(|a| mg.spacing[a] / new_spacing[a]);
    let pad = s.pad_distance as f64;
    let mut new_lo = [0f64; 3];
    let mut new_size = [0usize; 3];
    for a in 0..3 {
        let l = ((lo[a] as f64 - 0.5) * ratio[a] - pad).floor().max(0.0);
        let max_u = (mg.size[a] as f64 * ratio[a]).ceil() - 1.0;
        let u = (((lo[a] + bb_size[a]) as f64 - 0.5) * ratio[a] + pad)
            .ceil()
            .min(max_u);
        new_lo[a] = l;
        new_size[a] = (u - l + 1.0) as usize;
    }
    let origin_index = [0, 1, 2]
        .map(|a| 0.5 * (new_spacing[a] - mg.spacing[a]) / mg.spacing[a] + new_lo[a] / ratio[a]);
    let out = Geometry::new(
        new_size,
        new_spacing,
        mg.index_to_point(origin_index),
        mg.direction,
    )
    .map_err(|p| format!("resampled grid: {p}"))?;

    // Only the input around the output grid matters (plus the B-spline prefilter's reach).
    let ig = &image.geometry;
    let (mut in_lo, mut in_hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
    for corner in 0..8 {
        let c = [0, 1, 2].map(|a| {
            if corner >> a & 1 == 1 {
                new_size[a] as f64
            } else {
                -1.0
            }
        });
        let idx = ig.point_to_index(out.index_to_point(c));
        for a in 0..3 {
            in_lo[a] = in_lo[a].min(idx[a]);
            in_hi[a] = in_hi[a].max(idx[a]);
        }
    }
    let margin = (BSPLINE_MARGIN + 3) as f64;
    let clo = [0, 1, 2].map(|a| {
        (in_lo[a].floor() - margin)
            .max(0.0)
            .min((ig.size[a] - 1) as f64) as usize
    });
    let chi = [0, 1, 2].map(|a| {
        (in_hi[a].ceil() + margin)
            .max(0.0)
            .min((ig.size[a] - 1) as f64) as usize
    });
    let region = intensity.region(image, clo, chi);
    let values = resample_region(&region.values, ig, clo, &out, interpolator)
        .mapv(|v| cast_like_itk(v, region.pixel));
    let labels = resample_labels(mask, &out);
    Ok((
        Grid {
            geometry: out,
            values,
            pixel: region.pixel,
        },
        labels,
    ))
}

/// PyRadiomics `checkMask`: the ROI must span at least `minimumROIDimensions` axes and have
/// more than `minimumROISize` voxels. Returns its bounding box (x, y, z, inclusive).
fn check_roi(labels: &Array3<u16>, s: &Settings) -> Result<([usize; 3], [usize; 3]), String> {
    let label = s.label;
    let (lo, hi) = bounding_box(labels, label)
        .ok_or_else(|| format!("label {label} is not present in the mask"))?;
    let dims = (0..3).filter(|&a| hi[a] > lo[a]).count();
    if dims == 0 {
        return Err(format!(
            "the ROI (label {label}) is a single voxel; features need more"
        ));
    }
    if dims < s.minimum_roi_dimensions {
        return Err(format!(
            "the ROI (label {label}) spans {dims} dimension(s), fewer than minimumROIDimensions = {}",
            s.minimum_roi_dimensions
        ));
    }
    if let Some(min) = s.minimum_roi_size {
        let n = labels.iter().filter(|&&l| l == label).count();
        if n <= min {
            return Err(format!(
                "the ROI (label {label}) has {n} voxels, not more than minimumROISize = {min}"
            ));
        }
    }
    Ok((lo, hi))
}

/// PyRadiomics `resegmentMask`: keeps ROI voxels whose intensity lies within the thresholds.
fn resegment(
    image: &Array3<f64>,
    roi: &Array3<bool>,
    s: &Settings,
    range: &[f64],
) -> Result<Array3<bool>, String> {
    let values: Vec<f64> = image
        .iter()
        .zip(roi.iter())
        .filter(|(_, m)| **m)
        .map(|(v, _)| *v)
        .collect();
    let mut sorted = range.to_vec();
    sorted.sort_by(f64::total_cmp);
    let thresholds: Vec<f64> = match s.resegment_mode {
        ResegmentMode::Absolute => sorted,
        ResegmentMode::Relative => {
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            sorted.iter().map(|t| max * t).collect()
        }
        ResegmentMode::Sigma => {
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            sorted.iter().map(|t| mean + sd * t).collect()
        }
    };
    let mut out = roi.clone();
    Zip::from(&mut out).and(image).for_each(|m, &v| {
        if *m {
            *m = v >= thresholds[0] && (thresholds.len() < 2 || v <= thresholds[1]);
        }
    });
    let kept = out.iter().filter(|m| **m).count();
    if kept <= 1 {
        return Err(format!(
            "re-segmentation to {thresholds:?} left {kept} voxel(s) of label {}; features need more",
            s.label
        ));
    }
    Ok(out)
}

/// The image and mask as PyRadiomics' `loadImage` holds them after resampling (normalised,
/// resampled, cropped to the ROI plus `padDistance`). PyRadiomics describes them in its
/// `diagnostics_*-interpolated_*` entries.
pub struct Interpolated {
    /// The resampled grid.
    pub geometry: Geometry,
    /// Intensities on it, shape (z, y, x).
    pub values: Array3<f64>,
    /// Mask labels on it, shape (z, y, x).
    pub labels: Array3<u16>,
}

/// The resampled image and mask ([`Interpolated`]); None when the settings do not resample.
pub fn interpolated(
    image: &Volume,
    mask: &Mask,
    s: &Settings,
) -> Result<Option<Interpolated>, PrepareError> {
    let (Some(interpolator), Some(spacing)) = (s.interpolator, s.resampled_spacing) else {
        return Ok(None);
    };
    let intensity = Intensity::new(image, s);
    let (grid, labels) = resample_roi(image, mask, &intensity, spacing, interpolator, s)?;
    Ok(Some(Interpolated {
        geometry: grid.geometry,
        values: grid.values,
        labels,
    }))
}

/// Prepares the ROI of `s.label` in `mask` over `image`.
pub fn prepare(image: &Volume, mask: &Mask, s: &Settings) -> Result<Prepared, PrepareError> {
    prepare_with(image, mask, s, false)
}

/// Prepares the ROI, and with `keep_loaded` also keeps the loaded image for the filters: the
/// whole image (or, with `preCrop`, the ROI's box plus `padDistance`) when it is not resampled.
pub fn prepare_with(
    image: &Volume,
    mask: &Mask,
    s: &Settings,
    keep_loaded: bool,
) -> Result<Prepared, PrepareError> {
    let counts = mask.label_counts();
    if counts.is_empty() {
        return Err(PrepareError::Roi(
            "the mask holds no label (every voxel is 0): nothing is segmented".into(),
        ));
    }
    if !counts.contains_key(&s.label) {
        let present: Vec<String> = counts.keys().map(u16::to_string).collect();
        return Err(PrepareError::Roi(format!(
            "label {} is not present in the mask; it holds {}",
            s.label,
            present.join(", ")
        )));
    }
    let intensity = Intensity::new(image, s);
    let (grid, labels) = match (s.interpolator, s.resampled_spacing) {
        (Some(interpolator), Some(spacing)) => {
            resample_roi(image, mask, &intensity, spacing, interpolator, s)?
        }
        _ => {
            let tol = GeometryTolerance {
                coordinate: s.geometry_tolerance.unwrap_or(1e-6),
                direction: s.geometry_tolerance.unwrap_or(1e-6),
            };
            let corrected;
            let labels = match image.geometry.check_same(&mask.geometry, tol) {
                Ok(()) => &mask.labels,
                Err(_) if s.correct_mask => {
                    check_roi_inside(&image.geometry, mask, s.label)?;
                    corrected = resample_labels(mask, &image.geometry);
                    &corrected
                }
                Err(why) => {
                    return Err(PrepareError::Roi(format!(
                        "image and mask grids differ ({why}); set geometryTolerance or correctMask"
                    )));
                }
            };
            let (lo, hi) = bounding_box(labels, s.label).ok_or_else(|| {
                format!(
                    "label {} is not present in the mask on the image grid",
                    s.label
                )
            })?;
            let size = image.geometry.size;
            let (lo, hi) = match (keep_loaded, s.pre_crop) {
                (false, _) => (lo, hi),
                (true, true) => (
                    lo.map(|v| v.saturating_sub(s.pad_distance)),
                    [0, 1, 2].map(|a| (hi[a] + s.pad_distance).min(size[a] - 1)),
                ),
                (true, false) => ([0; 3], size.map(|n| n - 1)),
            };
            (intensity.region(image, lo, hi), crop(labels, lo, hi))
        }
    };
    let (box_lo, box_hi) = check_roi(&labels, s)?;
    // Everything below needs only the ROI's box (the grid may be the whole image, kept for the
    // filters): masks, the finiteness check and re-segmentation work on the box.
    let values = crop(&grid.values, box_lo, box_hi);
    let original: Array3<bool> = crop(&labels, box_lo, box_hi).mapv(|l| l == s.label);
    let non_finite = values
        .iter()
        .zip(original.iter())
        .filter(|(v, m)| **m && !v.is_finite())
        .count();
    if non_finite > 0 {
        return Err(PrepareError::Image(format!(
            "the image holds {non_finite} NaN or infinite value(s) inside the ROI (label {}); \
             features need finite intensities",
            s.label
        )));
    }
    // The box of the ROI the texture classes use, within the ROI's box.
    let (texture_mask, (lo, hi)) = match &s.resegment_range {
        Some(range) => {
            let reseg = resegment(&values, &original, s, range)?;
            let as_labels = reseg.mapv(|m| if m { s.label } else { 0 });
            let bb = check_roi(&as_labels, s)?;
            (reseg, bb)
        }
        None => {
            let size = original.dim();
            (
                original.clone(),
                ([0; 3], [size.2 - 1, size.1 - 1, size.0 - 1]),
            )
        }
    };
    // Shape uses the original mask (or with resegmentShape the re-segmented one), cropped to
    // the re-segmented ROI's box: PyRadiomics crops with the box of the re-segmented mask
    // even for the original one, so a re-segmentation that shrinks the box cuts the ROI whose
    // shape is computed. radaudit reproduces that (tests/data/make_filter_extractions.py,
    // `resegment_shrinks_box`).
    let shape_mask = if s.resegment_shape {
        crop(&texture_mask, lo, hi)
    } else {
        crop(&original, lo, hi)
    };
    let image = crop(&values, lo, hi);
    drop(values);
    // The same box in the grid's coordinates.
    let (lo_in_grid, hi_in_grid) = (
        [0, 1, 2].map(|a| box_lo[a] + lo[a]),
        [0, 1, 2].map(|a| box_lo[a] + hi[a]),
    );
    Ok(Prepared {
        roi: Roi {
            image,
            mask: crop(&texture_mask, lo, hi),
            spacing: grid.geometry.spacing,
        },
        shape_mask,
        loaded: keep_loaded.then(|| LoadedImage {
            pixel: grid.pixel,
            spacing: grid.geometry.spacing,
            values: grid.values,
            lo: lo_in_grid,
            hi: hi_in_grid,
        }),
    })
}
