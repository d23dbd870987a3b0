//! The feature set a run computes: PyRadiomics-convention parameters (the default) or IBSI
//! settings. Parameter files say which with `convention:` (absent: PyRadiomics); a
//! `--convention` flag or a protocol's `features.convention` must agree with the file.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::FeatureValue;
use super::prepare::PrepareError;
use super::settings::{Params, read_document};
use crate::error::{Error, Result};
use crate::ibsi::settings::IbsiSettings;
use crate::volume::{Mask, Volume};

/// Feature conventions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Convention {
    /// PyRadiomics 3.1's definitions and names (original_glcm_Contrast).
    #[default]
    Pyradiomics,
    /// IBSI 1's definitions and tags (cm_contrast_3D_comb).
    Ibsi,
}

impl Convention {
    pub fn name(self) -> &'static str {
        match self {
            Convention::Pyradiomics => "pyradiomics",
            Convention::Ibsi => "ibsi",
        }
    }
}

/// What to compute, in one convention or the other.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureSet {
    Pyradiomics(Params),
    Ibsi(IbsiSettings),
}

impl Default for FeatureSet {
    fn default() -> Self {
        FeatureSet::Pyradiomics(Params::default())
    }
}

/// The convention a document declares, if any.
fn declared(doc: &Value) -> std::result::Result<Option<Convention>, String> {
    match doc.get("convention") {
        None => Ok(None),
        Some(Value::String(s)) if s == "pyradiomics" => Ok(Some(Convention::Pyradiomics)),
        Some(Value::String(s)) if s == "ibsi" => Ok(Some(Convention::Ibsi)),
        Some(other) => Err(format!(
            "convention: {other} is not a convention; use pyradiomics or ibsi"
        )),
    }
}

impl FeatureSet {
    /// The convention's defaults.
    pub fn defaults(convention: Convention) -> FeatureSet {
        match convention {
            Convention::Pyradiomics => FeatureSet::default(),
            Convention::Ibsi => FeatureSet::Ibsi(IbsiSettings::default()),
        }
    }

    /// Settings from a parsed parameter document; `asked` is the convention given elsewhere.
    pub fn from_value(
        doc: &Value,
        asked: Option<Convention>,
    ) -> std::result::Result<FeatureSet, String> {
        let file = declared(doc)?;
        let convention = match (asked, file) {
            (Some(a), Some(f)) if a != f => {
                return Err(format!(
                    "convention: the file says {} but {} was asked",
                    f.name(),
                    a.name()
                ));
            }
            (a, f) => a.or(f).unwrap_or_default(),
        };
        Ok(match convention {
            Convention::Pyradiomics => FeatureSet::Pyradiomics(Params::from_value(doc)?),
            Convention::Ibsi => FeatureSet::Ibsi(IbsiSettings::from_value(doc)?),
        })
    }

    /// Reads a parameter file (YAML or JSON) in the convention it declares or `asked`.
    pub fn from_file(path: &Path, asked: Option<Convention>) -> Result<FeatureSet> {
        let doc = read_document(path)?;
        Self::from_value(&doc, asked).map_err(|e| Error::input(path, e))
    }

    pub fn convention(&self) -> Convention {
        match self {
            FeatureSet::Pyradiomics(_) => Convention::Pyradiomics,
            FeatureSet::Ibsi(_) => Convention::Ibsi,
        }
    }

    /// The feature names the set produces, in output order.
    pub fn feature_names(&self) -> Vec<String> {
        match self {
            FeatureSet::Pyradiomics(p) => p.feature_names(),
            // Validated when the settings were read; an invalid selection names nothing.
            FeatureSet::Ibsi(s) => crate::ibsi::selected_tags(s).unwrap_or_default(),
        }
    }

    /// Checks what cannot be checked while parsing (an IBSI tag that does not exist).
    pub fn validate(&self) -> std::result::Result<(), String> {
        match self {
            FeatureSet::Pyradiomics(_) => Ok(()),
            FeatureSet::Ibsi(s) => crate::ibsi::selected_tags(s).map(|_| ()),
        }
    }

    /// The same set for another ROI label.
    pub fn with_label(&self, label: u16) -> FeatureSet {
        let mut out = self.clone();
        match &mut out {
            FeatureSet::Pyradiomics(p) => p.settings.label = label,
            FeatureSet::Ibsi(s) => s.label = label,
        }
        out
    }

    /// The features of `label` in an image and mask in memory.
    pub fn compute(
        &self,
        image: &Volume,
        mask: &Mask,
        label: u16,
    ) -> std::result::Result<Vec<FeatureValue>, PrepareError> {
        match self.with_label(label) {
            FeatureSet::Pyradiomics(p) => {
                crate::extract::features_in_memory(image, mask, label, &p)
            }
            FeatureSet::Ibsi(s) => crate::ibsi::compute(image, mask, &s),
        }
    }
}
