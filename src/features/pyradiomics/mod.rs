//! Radiomic features, computed exactly as PyRadiomics 3.1 computes them: the seven classes of
//! its default extraction (shape, first order, GLCM, GLRLM, GLSZM, GLDM, NGTDM; 107 features)
//! from its own parameter files.
//!
//! `settings` reads parameter files, `prepare` turns an image and mask into the region every
//! family works on (normalisation, resampling, re-segmentation, cropping), `discretise` bins it,
//! and each family is one module returning named values. This module is the registry: the
//! class list, feature names, and `extract`, which runs the enabled classes.

pub(crate) mod angles;
pub(crate) mod discretise;
pub(crate) mod firstorder;
pub(crate) mod glcm;
pub(crate) mod gldm;
pub(crate) mod glrlm;
pub(crate) mod glszm;
mod mesh_table;
pub(crate) mod ngtdm;
pub mod prepare;
pub(crate) mod roi;
pub mod settings;
pub mod shape;
pub(crate) mod size_matrix;
pub(crate) mod texture;

use std::time::Instant;

use self::discretise::discretise;
use self::prepare::Prepared;
use self::settings::Params;
use crate::features::value::{FeatureValue, Timings};

/// A feature class (PyRadiomics' name in parentheses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FeatureClass {
    /// Shape (`shape`).
    Shape,
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

    /// PyRadiomics' class name (`glcm`, `firstorder`, ...).
    pub fn name(self) -> &'static str {
        match self {
            FeatureClass::Shape => "shape",
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
        FeatureClass::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The feature names of the class, in output order (each module owns its list).
    pub fn feature_names(self) -> &'static [&'static str] {
        match self {
            FeatureClass::Shape => shape::NAMES,
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

/// Computes the enabled classes on a prepared ROI, in PyRadiomics' output order.
pub fn extract(prepared: &Prepared, params: &Params, timings: &mut Timings) -> Vec<FeatureValue> {
    let s = &params.settings;
    let roi = &prepared.roi;
    let texture_needed = params.classes.keys().any(|c| *c != FeatureClass::Shape);
    let start = Instant::now();
    let disc = texture_needed.then(|| discretise(&roi.image, &roi.mask, s.binning));
    let pad = s
        .texture
        .distances
        .iter()
        .copied()
        .max()
        .unwrap_or(1)
        .max(1);
    let lattice = disc
        .as_ref()
        .map(|d| texture::Lattice::new(&roi.mask, &d.levels, &d.gray_levels, pad));
    if texture_needed {
        timings.record("discretise", start);
    }
    let mut out = Vec::new();
    for class in FeatureClass::ALL {
        let Some(selection) = params.classes.get(&class) else {
            continue;
        };
        let start = Instant::now();
        let t = &s.texture;
        let values = match (class, disc.as_ref(), lattice.as_ref()) {
            (FeatureClass::Shape, _, _) => shape::features(&prepared.shape_mask, roi.spacing),
            (FeatureClass::FirstOrder, Some(d), _) => {
                firstorder::features(roi, d, s.voxel_array_shift)
            }
            (FeatureClass::Glcm, Some(d), Some(l)) => glcm::features(roi, d, l, t),
            (FeatureClass::Glrlm, Some(d), Some(l)) => glrlm::features(roi, d, l, t),
            (FeatureClass::Glszm, Some(d), Some(l)) => glszm::features(roi, d, l, t),
            (FeatureClass::Gldm, Some(d), Some(l)) => gldm::features(roi, d, l, t),
            (FeatureClass::Ngtdm, Some(d), Some(l)) => ngtdm::features(roi, d, l, t),
            _ => Vec::new(),
        };
        timings.record(class.name(), start);
        for (&name, value) in class.feature_names().iter().zip(values) {
            if selection
                .as_ref()
                .is_none_or(|wanted| wanted.iter().any(|w| w == name))
            {
                out.push(FeatureValue {
                    name: format!("original_{}_{}", class.name(), name),
                    value,
                });
            }
        }
    }
    out
}
