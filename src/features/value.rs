//! What both feature engines return and share: a named feature value, the time spent per
//! stage, and why an image and mask could not be prepared. Neither engine depends on the
//! other through these.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::Error;

/// One computed feature value with its name: PyRadiomics' (`original_glcm_Contrast`) or an
/// IBSI tag (`cm_joint_max_3D_comb`).
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureValue {
    /// The feature's name.
    pub name: String,
    /// Its value (NaN where it is not defined).
    pub value: f64,
}

/// Time spent per extraction stage.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    /// (stage, time) in the order the stages ran.
    pub stages: Vec<(String, Duration)>,
}

impl Timings {
    /// Records the time since `start` as `stage`.
    pub fn record(&mut self, stage: &str, start: Instant) {
        self.stages.push((stage.to_string(), start.elapsed()));
    }
}

/// Why an image and mask cannot be prepared: a problem of the image's intensities, or of the
/// ROI (the mask, its label, its size, its grid).
#[derive(Debug, Clone, PartialEq)]
pub enum PrepareError {
    /// A problem of the image's intensities.
    Image(String),
    /// A problem of the ROI: the mask, its label, its size or its grid.
    Roi(String),
}

impl PrepareError {
    /// The error naming the file at fault: the image for an intensity problem, else the mask.
    pub fn naming(self, image: &Path, mask: &Path) -> Error {
        match self {
            PrepareError::Image(p) => Error::input(image, p),
            PrepareError::Roi(p) => Error::input(mask, p),
        }
    }
}

impl From<String> for PrepareError {
    fn from(s: String) -> Self {
        PrepareError::Roi(s)
    }
}

impl std::fmt::Display for PrepareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PrepareError::Image(m) | PrepareError::Roi(m) => f.write_str(m),
        }
    }
}

/// Declares a feature family's names and a struct with one `f64` field per name, so that a
/// value cannot be paired with the wrong name or dropped: the names const lists the fields in
/// declaration order (a field may give its name as a literal when it is no identifier, as
/// `p10 = "10Percentile"`), and the struct literal that fills the values must name every
/// field. `to_vec` returns the values in name order.
///
/// ```ignore
/// feature_values! {
///     /// GLCM feature names.
///     pub const NAMES;
///     /// One GLCM value per feature.
///     pub struct Glcm { Autocorrelation, ClusterProminence }
/// }
/// ```
macro_rules! feature_values {
    (
        $(#[$names_meta:meta])* $vis:vis const $names:ident;
        $(#[$meta:meta])* $svis:vis struct $values:ident { $($field:ident $(= $name:literal)?),* $(,)? }
    ) => {
        $(#[$names_meta])*
        $vis const $names: &[&str] = &[$($crate::features::value::feature_name!($field $(, $name)?)),*];

        $(#[$meta])*
        #[allow(non_snake_case)]
        #[derive(Debug, Clone, Copy, PartialEq)]
        $svis struct $values {
            $(
                #[doc = concat!("`", $crate::features::value::feature_name!($field $(, $name)?), "`.")]
                pub $field: f64
            ),*
        }

        #[allow(dead_code)]
        impl $values {
            /// The values in name order.
            pub fn to_vec(self) -> Vec<f64> {
                vec![$(self.$field),*]
            }

            /// Values given in name order (NaN for any not given).
            pub fn from_slice(values: &[f64]) -> Self {
                let mut it = values.iter().copied();
                Self {
                    $($field: it.next().unwrap_or(f64::NAN)),*
                }
            }

            /// Every value NaN (a family with nothing to measure).
            pub fn nan() -> Self {
                Self::from_slice(&[])
            }
        }
    };
}

/// A field's feature name: the literal it gives, or its own identifier.
macro_rules! feature_name {
    ($field:ident) => {
        stringify!($field)
    };
    ($field:ident, $name:literal) => {
        $name
    };
}

pub(crate) use {feature_name, feature_values};
