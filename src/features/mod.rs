//! Radiomic features in two conventions, by two sibling engines: `pyradiomics` computes them
//! exactly as PyRadiomics 3.1 does (the default), `ibsi` as IBSI 1 defines them. This module
//! is the switch above both: the feature set a run computes ([`FeatureSet`]: PyRadiomics
//! parameters or IBSI settings), read from a parameter file that says which with
//! `convention:` (absent: PyRadiomics; a `--convention` flag or a protocol's
//! `features.convention` must agree with the file), and extraction from files or from volumes
//! in memory. `value` holds what both engines return.
//!
//! Neither engine imports this module; the IBSI engine borrows the PyRadiomics engine's mesh
//! and PCA (identical definitions), never the other way round.

pub mod ibsi;
pub mod pyradiomics;
pub mod value;

use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use self::ibsi::settings::IbsiSettings;
use self::pyradiomics::prepare::prepare_with;
use self::pyradiomics::settings::Params;
pub use self::value::{FeatureValue, PrepareError, Timings};
use crate::error::{Error, Result};
use crate::volume::io::{ReadOptions, read_mask, read_volume, rtstruct, seg};
use crate::volume::labels::{self, LabelRef, LabelTable, StructureFolder};
use crate::volume::{GeometryTolerance, Mask, Volume};
use crate::yaml::read_document;

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
    /// The convention's name in files and flags.
    pub fn name(self) -> &'static str {
        match self {
            Convention::Pyradiomics => "pyradiomics",
            Convention::Ibsi => "ibsi",
        }
    }
}

/// What to compute, in one convention or the other.
// One per run (cloned per case at most): the 200 bytes between the variants cost nothing,
// and boxing would touch every match on it.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureSet {
    /// PyRadiomics parameters.
    Pyradiomics(Params),
    /// IBSI settings.
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

    /// A parameter file's document, untyped (YAML, or JSON when it ends in `.json`), read as
    /// every settings file is read (bounded, errors naming the file).
    pub fn document(path: &Path) -> Result<serde_json::Value> {
        read_document(path)
    }

    /// Reads a parameter file (YAML or JSON) in the convention it declares or `asked`.
    pub fn from_file(path: &Path, asked: Option<Convention>) -> Result<FeatureSet> {
        let doc = read_document(path)?;
        Self::from_value(&doc, asked).map_err(|e| Error::input(path, e))
    }

    /// The set's convention.
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
            FeatureSet::Ibsi(s) => ibsi::output_names(s).unwrap_or_default(),
        }
    }

    /// Checks what cannot be checked while parsing (an IBSI tag that does not exist).
    pub fn validate(&self) -> std::result::Result<(), String> {
        match self {
            FeatureSet::Pyradiomics(_) => Ok(()),
            FeatureSet::Ibsi(s) => ibsi::selected_tags(s).map(|_| ()),
        }
    }

    /// The ROI label the set extracts.
    pub fn label(&self) -> u16 {
        match self {
            FeatureSet::Pyradiomics(p) => p.settings.label,
            FeatureSet::Ibsi(s) => s.label,
        }
    }

    /// The ROI label written as a name in a PyRadiomics parameter file, if it is one.
    pub fn label_name(&self) -> Option<&str> {
        match self {
            FeatureSet::Pyradiomics(p) => p.settings.label_name.as_deref(),
            FeatureSet::Ibsi(_) => None,
        }
    }

    /// The label to extract: `given` (a command line's or a cases CSV's) resolved for the mask
    /// at `mask_path`, else the parameter file's label name resolved, else None (the file's
    /// number).
    pub fn label_for(
        &self,
        given: Option<&LabelRef>,
        mask_path: &Path,
        table: Option<&LabelTable>,
    ) -> Result<Option<u16>> {
        let name = self.label_name().map(|n| LabelRef::Name(n.to_string()));
        given
            .or(name.as_ref())
            .map(|l| resolve_label(l, mask_path, table))
            .transpose()
    }

    /// The same set for another ROI label.
    pub fn with_label(&self, label: u16) -> FeatureSet {
        let mut out = self.clone();
        match &mut out {
            FeatureSet::Pyradiomics(p) => {
                p.settings.label = label;
                for (_, s) in &mut p.image_types {
                    s.label = label;
                }
            }
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
            FeatureSet::Pyradiomics(p) => pyradiomics_in_memory(image, mask, label, &p),
            FeatureSet::Ibsi(s) => ibsi::compute(image, mask, &s),
        }
    }
}

/// The PyRadiomics features of the ROI with `label` in an image and mask already in memory.
/// The error says what is wrong with the image or with the ROI; the caller names the file.
pub fn pyradiomics_in_memory(
    image: &Volume,
    mask: &Mask,
    label: u16,
    params: &Params,
) -> std::result::Result<Vec<FeatureValue>, PrepareError> {
    let mut settings = params.settings.clone();
    settings.label = label;
    let prepared = prepare_with(image, mask, &settings, params.filters())?;
    pyradiomics::extract(&prepared, params, &mut Timings::default())
}

/// The mask on the image's grid: as read, or re-indexed when it holds the image's voxel
/// lattice on a flipped or permuted grid (said on stderr). A grid that differs otherwise is
/// left for the feature engines to refuse (or, with `correctMask`, resample).
pub fn on_image_grid(mask: Mask, image: &Volume, image_path: &Path, mask_path: &Path) -> Mask {
    placed_on_image_grid(mask, image, image_path, mask_path).0
}

/// [`on_image_grid`], and whether the mask was re-indexed (its labels moved).
fn placed_on_image_grid(
    mask: Mask,
    image: &Volume,
    image_path: &Path,
    mask_path: &Path,
) -> (Mask, bool) {
    let (mask, notice) = mask.onto_grid_of(image, GeometryTolerance::default());
    let moved = notice.is_some();
    if let Some(notice) = notice {
        eprintln!(
            "notice: {} on {}: {notice}",
            mask_path.display(),
            image_path.display()
        );
    }
    (mask, moved)
}

/// The ROI mask for `image` (read from `image_path`): the ROI numbered `label` of an RTSTRUCT
/// rasterised on its grid (see [`crate::volume::io::rtstruct`]), segment `label` of a DICOM
/// SEG placed on it ([`crate::volume::io::seg`]), structure `label` of a folder of
/// per-structure masks ([`StructureFolder`]), or a label map read and put on its grid
/// ([`on_image_grid`]).
pub fn mask_for(
    image: &Volume,
    image_path: &Path,
    mask_path: &Path,
    read: &ReadOptions,
    label: u16,
) -> Result<Mask> {
    if rtstruct::is_rtstruct(mask_path) {
        return rtstruct::mask_on(mask_path, image, image_path, read, label);
    }
    if seg::is_seg(mask_path) {
        return seg::mask_on(mask_path, image, image_path, read, label);
    }
    if let Some(folder) = StructureFolder::open(mask_path) {
        // Structure `label` is the folder's label-th file: its non-zero voxels hold `label`.
        let Some((_, file)) = folder.files.get(usize::from(label).wrapping_sub(1)) else {
            return Err(Error::input(
                mask_path,
                format!(
                    "structure {label}: the folder holds {} structure masks (1 to {})",
                    folder.files.len(),
                    folder.files.len()
                ),
            ));
        };
        let mut mask = on_image_grid(read_mask(file, read)?, image, image_path, file);
        mask.labels.mapv_inplace(|l| if l != 0 { label } else { 0 });
        return Ok(mask);
    }
    Ok(on_image_grid(
        read_mask(mask_path, read)?,
        image,
        image_path,
        mask_path,
    ))
}

/// The label number `label` means for the mask at `mask_path`: a number as it is; a name
/// looked up in `table` when one is given, else in the mask's own names (an RTSTRUCT's ROI
/// names, a SEG's segment labels).
pub fn resolve_label(
    label: &LabelRef,
    mask_path: &Path,
    table: Option<&LabelTable>,
) -> Result<u16> {
    let name = match label {
        LabelRef::Number(n) => return Ok(*n),
        LabelRef::Name(name) => name,
    };
    // A folder of per-structure masks answers by its file names, whatever the table.
    if let Some(folder) = StructureFolder::open(mask_path) {
        return labels::resolve(name, Some(&folder.label_table()));
    }
    let own = match table {
        Some(_) => None,
        None if rtstruct::is_rtstruct(mask_path) => Some(rtstruct::read(mask_path)?.label_table()),
        None if seg::is_seg(mask_path) => Some(seg::read(mask_path, 0.5)?.label_table()),
        None => None,
    };
    labels::resolve(name, table.or(own.as_ref()))
}

/// An image and mask file read for extraction: the image, the mask on its grid, and the
/// feature set with the case's label.
pub struct LoadedCase {
    /// The image as read.
    pub image: Volume,
    /// The mask on the image's grid (rasterised, placed or re-indexed as needed).
    pub mask: Mask,
    /// The feature set, with the case's label.
    pub features: FeatureSet,
}

/// Reads an image and mask file for extraction. `label` overrides the parameter file's.
pub fn load_case(
    image_path: &Path,
    mask_path: &Path,
    features: &FeatureSet,
    label: Option<u16>,
    read: &ReadOptions,
    timings: &mut Timings,
) -> Result<LoadedCase> {
    let beside = |_: &Mask| ();
    load_case_beside(
        image_path, mask_path, features, label, read, timings, beside,
    )
    .map(|(case, ())| case)
}

/// [`load_case`], and `beside` of the mask as the features use it. A label-map mask file is
/// read while the image is (the two are independent), and `beside` runs on it as soon as it
/// is read, still beside the image's read; again on the placed mask in the rare case placing
/// it on the image's grid moves its labels. Masks that need the image to exist (an RTSTRUCT,
/// a SEG, a folder of structures) are made after it, then given to `beside`. An image error
/// is reported before a label or mask error, as when the two were read one after the other.
pub fn load_case_beside<R: Send>(
    image_path: &Path,
    mask_path: &Path,
    features: &FeatureSet,
    label: Option<u16>,
    read: &ReadOptions,
    timings: &mut Timings,
    beside: impl Fn(&Mask) -> R + Sync,
) -> Result<(LoadedCase, R)> {
    let start = Instant::now();
    let label_map = !rtstruct::is_rtstruct(mask_path)
        && !seg::is_seg(mask_path)
        && StructureFolder::open(mask_path).is_none();
    let (image, early) = rayon::join(
        || read_volume(image_path, read),
        || -> Result<_> {
            let label = match label {
                Some(l) => Some(l),
                None => features.label_for(None, mask_path, None)?,
            };
            if !label_map {
                return Ok((label, None));
            }
            let mask = read_mask(mask_path, read)?;
            let seen = beside(&mask);
            Ok((label, Some((mask, seen))))
        },
    );
    let image = image?;
    let (label, early) = early?;
    let features = match label {
        Some(l) => features.with_label(l),
        None => features.clone(),
    };
    let (mask, seen) = match early {
        Some((read_as, seen)) => {
            match placed_on_image_grid(read_as, &image, image_path, mask_path) {
                (mask, false) => (mask, seen),
                (mask, true) => {
                    let seen = beside(&mask);
                    (mask, seen)
                }
            }
        }
        None => {
            let mask = mask_for(&image, image_path, mask_path, read, features.label())?;
            let seen = beside(&mask);
            (mask, seen)
        }
    };
    timings.record("read image and mask", start);
    let case = LoadedCase {
        image,
        mask,
        features,
    };
    Ok((case, seen))
}

/// The features of a loaded case; errors name the image or mask file.
pub fn extract_loaded(
    case: &LoadedCase,
    image_path: &Path,
    mask_path: &Path,
    timings: &mut Timings,
) -> Result<Vec<FeatureValue>> {
    let (image, mask) = (&case.image, &case.mask);
    let params = match &case.features {
        FeatureSet::Pyradiomics(p) => p,
        FeatureSet::Ibsi(s) => {
            let start = Instant::now();
            let values =
                ibsi::compute(image, mask, s).map_err(|e| e.naming(image_path, mask_path))?;
            timings.record("ibsi", start);
            return Ok(values);
        }
    };
    let start = Instant::now();
    let prepared = prepare_with(image, mask, &params.settings, params.filters())
        .map_err(|e| e.naming(image_path, mask_path))?;
    timings.record("prepare", start);
    pyradiomics::extract(&prepared, params, timings).map_err(|e| e.naming(image_path, mask_path))
}

/// Extracts the features of one image and mask file. `label` overrides the parameter file's.
pub fn extract_files(
    image_path: &Path,
    mask_path: &Path,
    features: &FeatureSet,
    label: Option<u16>,
    read: &ReadOptions,
) -> Result<(Vec<FeatureValue>, Timings)> {
    let mut timings = Timings::default();
    let case = load_case(image_path, mask_path, features, label, read, &mut timings)?;
    let values = extract_loaded(&case, image_path, mask_path, &mut timings)?;
    Ok((values, timings))
}
