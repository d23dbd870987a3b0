//! Radiomic features, computed exactly as PyRadiomics 3.1 computes them: the seven classes of
//! its default extraction (shape, first order, GLCM, GLRLM, GLSZM, GLDM, NGTDM; 107 features)
//! on the original image and its filtered image types, from its own parameter files.
//!
//! `settings` reads parameter files, `prepare` turns an image and mask into the region every
//! family works on (normalisation, resampling, re-segmentation, cropping), `filters` derives
//! PyRadiomics' filtered image types (Wavelet, Square, Gradient, ...) from the loaded image,
//! `discretise` bins a region, and each family is one module returning named values. This
//! module is the registry: the class list, feature names, and `extract`, which runs the enabled
//! classes on every image type.

pub(crate) mod angles;
pub(crate) mod discretise;
pub mod filters;
pub(crate) mod firstorder;
pub(crate) mod glcm;
pub(crate) mod gldm;
pub(crate) mod glrlm;
pub(crate) mod glszm;
mod mesh_table;
pub(crate) mod neighbourhood;
pub(crate) mod ngtdm;
pub mod prepare;
pub(crate) mod roi;
pub mod settings;
pub mod shape;
pub(crate) mod shape2d;
pub(crate) mod size_matrix;
pub(crate) mod texture;

use std::time::Instant;

use ndarray::Array3;
use rayon::prelude::*;

use self::discretise::{RoiRange, discretise};
use self::filters::ImageType;
use self::prepare::{PrepareError, Prepared};
use self::roi::Roi;
use self::settings::{Params, Settings};
use crate::features::value::{FeatureValue, Timings};

/// A feature class (PyRadiomics' name in parentheses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FeatureClass {
    /// Shape (`shape`).
    Shape,
    /// 2-D shape of a single-slice ROI (`shape2D`, with `force2D`; not in the default set).
    Shape2D,
    /// First order (`firstorder`).
    FirstOrder,
    /// Grey level co-occurrence matrix (`glcm`).
    Glcm,
    /// Grey level run length matrix (`glrlm`).
    Glrlm,
    /// Grey level size zone matrix (`glszm`).
    Glszm,
    /// Grey level dependence matrix (`gldm`).
    Gldm,
    /// Neighbouring grey tone difference matrix (`ngtdm`).
    Ngtdm,
}

impl FeatureClass {
    /// All classes, in output order (PyRadiomics' default order).
    pub const ALL: [FeatureClass; 7] = [
        FeatureClass::Shape,
        FeatureClass::FirstOrder,
        FeatureClass::Glcm,
        FeatureClass::Glrlm,
        FeatureClass::Glszm,
        FeatureClass::Gldm,
        FeatureClass::Ngtdm,
    ];

    /// Every class a parameter file may name: [`FeatureClass::ALL`] and `shape2D`.
    pub fn known() -> impl Iterator<Item = FeatureClass> {
        FeatureClass::ALL.into_iter().chain([FeatureClass::Shape2D])
    }

    /// Whether the class is a shape class, computed once on the original image's mask.
    pub fn is_shape(self) -> bool {
        matches!(self, FeatureClass::Shape | FeatureClass::Shape2D)
    }

    /// PyRadiomics' class name (`glcm`, `firstorder`, ...).
    pub fn name(self) -> &'static str {
        match self {
            FeatureClass::Shape => "shape",
            FeatureClass::Shape2D => "shape2D",
            FeatureClass::FirstOrder => "firstorder",
            FeatureClass::Glcm => "glcm",
            FeatureClass::Glrlm => "glrlm",
            FeatureClass::Glszm => "glszm",
            FeatureClass::Gldm => "gldm",
            FeatureClass::Ngtdm => "ngtdm",
        }
    }

    /// The class with this PyRadiomics name.
    pub fn from_name(name: &str) -> Option<FeatureClass> {
        FeatureClass::known().find(|c| c.name() == name)
    }

    /// The feature names of the class, in output order (each module owns its list).
    pub fn feature_names(self) -> &'static [&'static str] {
        match self {
            FeatureClass::Shape => shape::NAMES,
            FeatureClass::Shape2D => shape2d::NAMES,
            FeatureClass::FirstOrder => firstorder::NAMES,
            FeatureClass::Glcm => glcm::NAMES,
            FeatureClass::Glrlm => glrlm::NAMES,
            FeatureClass::Glszm => glszm::NAMES,
            FeatureClass::Gldm => gldm::NAMES,
            FeatureClass::Ngtdm => ngtdm::NAMES,
        }
    }

    /// Features PyRadiomics lists but deprecated (mathematically equal to another feature).
    fn deprecated(self) -> &'static [(&'static str, &'static str)] {
        match self {
            FeatureClass::Shape => &[
                ("Compactness1", "Sphericity"),
                ("Compactness2", "Sphericity"),
                ("SphericalDisproportion", "Sphericity"),
            ],
            FeatureClass::Shape2D => &[("SphericalDisproportion", "1 / Sphericity")],
            FeatureClass::FirstOrder => &[("StandardDeviation", "Variance")],
            FeatureClass::Glcm => &[
                ("Dissimilarity", "DifferenceAverage"),
                ("Homogeneity1", "Id"),
                ("Homogeneity2", "Idm"),
                ("SumVariance", "ClusterTendency"),
            ],
            FeatureClass::Gldm => &[
                ("GrayLevelNonUniformityNormalized", "firstorder Uniformity"),
                ("DependencePercentage", "1 (always)"),
            ],
            _ => &[],
        }
    }

    /// Whether `feature` can be asked for in this class; the error says why not.
    pub fn check_feature(self, feature: &str) -> Result<(), String> {
        if self.feature_names().contains(&feature) {
            return Ok(());
        }
        if let Some((_, equal)) = self.deprecated().iter().find(|(d, _)| *d == feature) {
            return Err(format!(
                "{feature} is deprecated in PyRadiomics (it equals {equal}) and not computed"
            ));
        }
        Err(format!(
            "unknown feature {feature}; the {} class has {}",
            self.name(),
            self.feature_names().join(", ")
        ))
    }
}

/// Computes the enabled classes on a prepared ROI, in PyRadiomics' output order: shape (on
/// the original image), then for each image type every other class on each image it yields
/// (`wavelet-LLH_glcm_Contrast`). The filters need `prepared.loaded` (see
/// [`prepare::prepare_with`]); an image type whose filtered ROI holds a NaN or infinity (e.g.
/// `square` of an all-zero image) is an error naming it.
pub fn extract(
    prepared: &Prepared,
    params: &Params,
    timings: &mut Timings,
) -> Result<Vec<FeatureValue>, PrepareError> {
    let mut out = Vec::new();
    if let Some(selection) = params.classes.get(&FeatureClass::Shape) {
        let start = Instant::now();
        let values = shape::features(&prepared.shape_mask, prepared.roi.spacing);
        timings.record("shape", start);
        push_selected(&mut out, "original", FeatureClass::Shape, selection, values);
    }
    if let Some(selection) = params.classes.get(&FeatureClass::Shape2D) {
        let start = Instant::now();
        let plane = params.settings.texture.plane_axis.ok_or_else(|| {
            PrepareError::Roi(
                "shape2D needs force2D: true (PyRadiomics computes 2-D shape only with force2D)"
                    .into(),
            )
        })?;
        let values = shape2d::features(&prepared.shape_mask, prepared.roi.spacing, plane)
            .map_err(PrepareError::Roi)?;
        timings.record("shape2D", start);
        push_selected(
            &mut out,
            "original",
            FeatureClass::Shape2D,
            selection,
            values,
        );
    }
    // The image types run side by side (each streams its own images); their features keep
    // the types' order.
    let per_type: Vec<Result<(Vec<FeatureValue>, Timings), PrepareError>> = params
        .image_types
        .par_iter()
        .map(|(kind, settings)| {
            let mut t = Timings::default();
            image_type_features(prepared, *kind, settings, params, &mut t).map(|v| (v, t))
        })
        .collect();
    for result in per_type {
        let (values, t) = result?;
        out.extend(values);
        timings.stages.extend(t.stages);
    }
    Ok(out)
}

/// The features of every image one image type yields (all classes but shape).
fn image_type_features(
    prepared: &Prepared,
    kind: ImageType,
    settings: &Settings,
    params: &Params,
    timings: &mut Timings,
) -> Result<Vec<FeatureValue>, PrepareError> {
    if kind == ImageType::Original {
        let range = RoiRange::of(&prepared.roi.image, &prepared.roi.mask);
        if let Some(why) = discretise::too_many_bins(range, settings.binning) {
            return Err(PrepareError::Roi(format!("the original image: {why}")));
        }
        return Ok(classes_on(
            &prepared.roi,
            range,
            "original",
            settings,
            params,
            timings,
        ));
    }
    let loaded = prepared.loaded.as_ref().ok_or_else(|| {
        PrepareError::Image(format!(
            "the {} image type needs the loaded image, which was not kept",
            kind.name()
        ))
    })?;
    let mut out = Vec::new();
    let mut start = Instant::now();
    let mut emit = |name: &str, filtered: Array3<f64>| -> Result<(), PrepareError> {
        timings.record(&format!("filter {name}"), start);
        if filtered.is_empty() {
            // Skipped (a LoG sigma too large for the image): its features are missing.
            for class in FeatureClass::ALL {
                if let (Some(selection), false) = (params.classes.get(&class), class.is_shape()) {
                    let missing = vec![f64::NAN; class.feature_names().len()];
                    push_selected(&mut out, name, class, selection, missing);
                }
            }
            start = Instant::now();
            return Ok(());
        }
        let roi = Roi {
            image: filtered,
            mask: prepared.roi.mask.clone(),
            spacing: prepared.roi.spacing,
        };
        let range = RoiRange::of(&roi.image, &roi.mask);
        if range.not_finite > 0 {
            return Err(PrepareError::Image(format!(
                "the {name} image holds {} NaN or infinite value(s) inside the ROI",
                range.not_finite
            )));
        }
        if let Some(why) = discretise::too_many_bins(range, settings.binning) {
            return Err(PrepareError::Roi(format!("the {name} image: {why}")));
        }
        out.extend(classes_on(&roi, range, name, settings, params, timings));
        start = Instant::now();
        Ok(())
    };
    filters::apply(kind, loaded, &prepared.roi.mask, settings, &mut emit)?;
    Ok(out)
}

/// Appends the selected features of one class, named `<image>_<class>_<feature>`.
fn push_selected(
    out: &mut Vec<FeatureValue>,
    image: &str,
    class: FeatureClass,
    selection: &Option<Vec<String>>,
    values: Vec<f64>,
) {
    for (&name, value) in class.feature_names().iter().zip(values) {
        if selection
            .as_ref()
            .is_none_or(|wanted| wanted.iter().any(|w| w == name))
        {
            out.push(FeatureValue {
                name: format!("{image}_{}_{}", class.name(), name),
                value,
            });
        }
    }
}

/// Every enabled class but shape on one image's ROI (its values spanning `range`), with that
/// image type's settings.
fn classes_on(
    roi: &Roi,
    range: RoiRange,
    image: &str,
    s: &Settings,
    params: &Params,
    timings: &mut Timings,
) -> Vec<FeatureValue> {
    let mut out = Vec::new();
    let texture_needed = params.classes.keys().any(|c| !c.is_shape());
    if !texture_needed {
        return out;
    }
    let start = Instant::now();
    let disc = discretise(&roi.image, &roi.mask, s.binning, range);
    let pad = s
        .texture
        .distances
        .iter()
        .copied()
        .max()
        .unwrap_or(1)
        .max(1);
    let lattice = texture::Lattice::new(&roi.mask, &disc.levels, &disc.gray_levels, pad);
    timings.record("discretise", start);
    let t = &s.texture;
    // GLDM and NGTDM read the same neighbourhoods: one walk for both.
    let mut hood = None;
    for class in FeatureClass::ALL {
        let Some(selection) = params.classes.get(&class) else {
            continue;
        };
        let start = Instant::now();
        let values = match class {
            FeatureClass::Shape | FeatureClass::Shape2D => continue,
            FeatureClass::FirstOrder => firstorder::features(roi, &disc, s.voxel_array_shift),
            FeatureClass::Glcm => glcm::features(roi, &disc, &lattice, t),
            FeatureClass::Glrlm => glrlm::features(roi, &disc, &lattice, t),
            FeatureClass::Glszm => glszm::features(roi, &disc, &lattice, t),
            FeatureClass::Gldm => gldm::features(
                &disc,
                &lattice,
                hood.get_or_insert_with(|| neighbourhood::Neighbourhood::new(roi, &lattice, t)),
            ),
            FeatureClass::Ngtdm => ngtdm::features(
                &disc,
                &lattice,
                hood.get_or_insert_with(|| neighbourhood::Neighbourhood::new(roi, &lattice, t)),
            ),
        };
        timings.record(class.name(), start);
        push_selected(&mut out, image, class, selection, values);
    }
    out
}
