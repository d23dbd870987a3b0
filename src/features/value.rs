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
    pub name: String,
    pub value: f64,
}

/// Time spent per extraction stage.
#[derive(Debug, Clone, Default)]
pub struct Timings {
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
    Image(String),
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
