//! PyRadiomics parameter files (YAML or JSON) and the extraction settings they hold.
//!
//! The file has PyRadiomics' layout: `imageType` (the image types, each with optional settings
//! of its own that override `setting` for it), `featureClass` (classes, each with an optional
//! list of feature names) and `setting`. Every key is checked: an unknown or unsupported key, a
//! value of the wrong type or out of range, or an image type setting given to a type it does
//! not configure, is an error naming the key and what was expected, never silently ignored.
//! Defaults are PyRadiomics 3.1's.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::FeatureClass;
use super::discretise::Binning;
use super::filters::{FilterSettings, ImageType, LBP2D_MAX_SAMPLES, image_names};
use super::texture::{TextureSettings, WeightingNorm};
use crate::error::{Error, Result};
use crate::volume::resample::Interpolator;

/// How `resegmentRange` is read (PyRadiomics `resegmentMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResegmentMode {
    /// Thresholds are intensities.
    Absolute,
    /// Thresholds are fractions of the ROI maximum.
    Relative,
    /// Thresholds are multiples of the ROI standard deviation around its mean.
    Sigma,
}

/// Every setting the extraction uses, with PyRadiomics' defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `binWidth` (25) or `binCount`.
    pub binning: Binning,
    /// `label` (1): the mask value of the ROI.
    pub label: u16,
    /// `label` written as a structure name (a radaudit extension; PyRadiomics takes a number):
    /// resolved against the mask (an RTSTRUCT's ROIs, a SEG's segments, a per-structure folder)
    /// or `--label-table` when the features are extracted.
    pub label_name: Option<Box<str>>,
    /// `resampledPixelSpacing` (none): new spacing (x, y, z) in mm, 0 keeps an axis.
    pub resampled_spacing: Option<[f64; 3]>,
    /// `interpolator` (sitkBSpline); `None` disables resampling.
    pub interpolator: Option<Interpolator>,
    /// `padDistance` (5): voxels kept around the ROI when resampling.
    pub pad_distance: usize,
    /// `normalize` (false): z-score the whole image first.
    pub normalize: bool,
    /// `normalizeScale` (1).
    pub normalize_scale: f64,
    /// `removeOutliers` (none): clip normalised values to ± this many SD.
    pub remove_outliers: Option<f64>,
    /// `resegmentRange` (none): keep ROI voxels within [lo, hi] (or >= lo).
    pub resegment_range: Option<Vec<f64>>,
    /// `resegmentMode` (absolute).
    pub resegment_mode: ResegmentMode,
    /// `resegmentShape` (false): compute shape on the re-segmented mask too.
    pub resegment_shape: bool,
    /// `voxelArrayShift` (0): added to intensities in Energy, TotalEnergy, RMS.
    pub voxel_array_shift: f64,
    /// `minimumROIDimensions` (2): axes along which the ROI must span more than one voxel.
    pub minimum_roi_dimensions: usize,
    /// `minimumROISize` (none): the ROI must have more voxels than this.
    pub minimum_roi_size: Option<usize>,
    /// `geometryTolerance` (SimpleITK's 1e-6).
    pub geometry_tolerance: Option<f64>,
    /// `correctMask` (false): resample a mask on another grid onto the image's.
    pub correct_mask: bool,
    /// `force2Ddimension` (0): the array axis of 2-D slices (0 = z), also LBP2D's.
    pub force2d_dimension: usize,
    /// `preCrop` (false): crop the image to the ROI's box plus `padDistance` before the filters
    /// (without resampling; changes filtered values near the crop, never Original's).
    pub pre_crop: bool,
    /// Texture settings: `distances`, `force2D`/`force2Ddimension`, `weightingNorm`,
    /// `symmetricalGLCM`, `gldm_a`.
    pub texture: TextureSettings,
    /// The filters' settings (`sigma`, `wavelet`, `level`, ...).
    pub filter: FilterSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            binning: Binning::Width(25.0),
            label: 1,
            label_name: None,
            resampled_spacing: None,
            interpolator: Some(Interpolator::BSpline),
            pad_distance: 5,
            normalize: false,
            normalize_scale: 1.0,
            remove_outliers: None,
            resegment_range: None,
            resegment_mode: ResegmentMode::Absolute,
            resegment_shape: false,
            voxel_array_shift: 0.0,
            minimum_roi_dimensions: 2,
            minimum_roi_size: None,
            geometry_tolerance: None,
            correct_mask: false,
            pre_crop: false,
            force2d_dimension: 0,
            texture: TextureSettings::default(),
            filter: FilterSettings::default(),
        }
    }
}

/// A parameter file: which classes (and features) to compute, on which image types, and the
/// settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Enabled classes; `None` = every feature of the class.
    pub classes: BTreeMap<FeatureClass, Option<Vec<String>>>,
    /// The `setting` section.
    pub settings: Settings,
    /// The image types, in the order of [`ImageType::ALL`] (Original first), each with its
    /// settings (`setting` with the type's own overrides).
    pub image_types: Vec<(ImageType, Settings)>,
}

impl Default for Params {
    /// PyRadiomics' defaults: the Original image, all seven classes, default settings.
    fn default() -> Self {
        Params {
            classes: FeatureClass::ALL.iter().map(|c| (*c, None)).collect(),
            settings: Settings::default(),
            image_types: vec![(ImageType::Original, Settings::default())],
        }
    }
}

/// Settings that shape how the image and mask are loaded, once per case before any filter:
/// PyRadiomics reads them from `setting` only, so an image type may not override them.
const LOADING: [&str; 16] = [
    "label",
    "resampledPixelSpacing",
    "interpolator",
    "padDistance",
    "normalize",
    "normalizeScale",
    "removeOutliers",
    "resegmentRange",
    "resegmentMode",
    "resegmentShape",
    "minimumROIDimensions",
    "minimumROISize",
    "geometryTolerance",
    "correctMask",
    "preCrop",
    "additionalInfo",
];

/// Settings radaudit accepts and ignores, because they only change diagnostics, never a
/// feature value.
const HARMLESS: [&str; 1] = ["additionalInfo"];

/// Settings PyRadiomics has that radaudit does not implement (vector masks).
const UNSUPPORTED: [&str; 1] = ["label_channel"];

fn kind(v: &Value) -> String {
    match v {
        Value::Null => "nothing".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

/// A typed reader for one `setting` entry, producing errors that name it.
struct Field<'a> {
    /// `setting`, or `imageType.LoG` for a type's own settings.
    section: &'a str,
    key: &'a str,
    value: &'a Value,
}

impl Field<'_> {
    fn err(&self, expected: &str) -> String {
        format!(
            "{}.{}: expected {expected}, got {}",
            self.section,
            self.key,
            kind(self.value)
        )
    }

    fn number(
        &self,
        min_exclusive: Option<f64>,
        min: Option<f64>,
    ) -> std::result::Result<f64, String> {
        let v = self.value.as_f64().ok_or_else(|| self.err("a number"))?;
        if !v.is_finite() {
            return Err(self.err("a finite number"));
        }
        if let Some(m) = min_exclusive.filter(|m| v <= *m) {
            return Err(self.err(&format!("a number > {m}")));
        }
        if let Some(m) = min.filter(|m| v < *m) {
            return Err(self.err(&format!("a number >= {m}")));
        }
        Ok(v)
    }

    fn integer(&self, min: i64, max: i64) -> std::result::Result<i64, String> {
        let v = self
            .value
            .as_i64()
            .ok_or_else(|| self.err(&format!("an integer from {min} to {max}")))?;
        if v < min || v > max {
            return Err(self.err(&format!("an integer from {min} to {max}")));
        }
        Ok(v)
    }

    fn boolean(&self) -> std::result::Result<bool, String> {
        self.value
            .as_bool()
            .ok_or_else(|| self.err("true or false"))
    }

    fn numbers(&self) -> std::result::Result<Vec<f64>, String> {
        let list = self
            .value
            .as_array()
            .ok_or_else(|| self.err("a list of numbers"))?;
        list.iter()
            .map(|v| {
                v.as_f64()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| self.err("a list of numbers"))
            })
            .collect()
    }
}

impl Params {
    /// The output names of the enabled features, in output order (`original_glcm_Contrast`).
    pub fn feature_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        // Shape once, on the original image, before every image type (as PyRadiomics).
        let mut add = |prefix: &str, class: FeatureClass| {
            let Some(selection) = self.classes.get(&class) else {
                return;
            };
            for &name in class.feature_names() {
                if selection
                    .as_ref()
                    .is_none_or(|w| w.iter().any(|x| x == name))
                {
                    names.push(format!("{prefix}_{}_{}", class.name(), name));
                }
            }
        };
        add("original", FeatureClass::Shape);
        add("original", FeatureClass::Shape2D);
        for (kind, s) in &self.image_types {
            for image in image_names(*kind, &s.filter, s.texture.plane_axis) {
                for class in FeatureClass::ALL {
                    if !class.is_shape() {
                        add(&image, class);
                    }
                }
            }
        }
        names
    }

    /// Whether an image type other than Original is enabled (the filters need the whole
    /// loaded image, not only the ROI's box).
    pub fn filters(&self) -> bool {
        self.image_types
            .iter()
            .any(|(t, _)| *t != ImageType::Original)
    }

    /// Reads a parameter file (YAML, or JSON when it ends in `.json`).
    pub fn from_file(path: &Path) -> Result<Params> {
        let value = crate::yaml::read_document(path)?;
        Params::from_value(&value).map_err(|p| Error::input(path, p))
    }
    /// Builds parameters from a parsed document.
    pub fn from_value(doc: &Value) -> std::result::Result<Params, String> {
        let mut params = Params::default();
        let top = match doc {
            Value::Null => return Ok(params),
            Value::Object(m) => m,
            other => {
                return Err(format!(
                    "expected a mapping at the top, got {}",
                    kind(other)
                ));
            }
        };
        let unknown: Vec<&str> = top
            .keys()
            .map(String::as_str)
            .filter(|k| !["convention", "imageType", "featureClass", "setting"].contains(k))
            .collect();
        if !unknown.is_empty() {
            return Err(format!(
                "unsupported top-level key(s) {}: radaudit reads imageType, featureClass and setting \
                 (voxelSetting, i.e. voxel-based extraction, is not supported)",
                unknown.join(", ")
            ));
        }
        if let Some(c) = top.get("convention")
            && c != "pyradiomics"
        {
            return Err(format!(
                "convention: {c} in a PyRadiomics parameter file (an IBSI file says convention: ibsi and has IBSI keys)"
            ));
        }
        if let Some(classes) = top.get("featureClass") {
            params.classes = parse_classes(classes)?;
        }
        let global = top.get("setting").cloned().unwrap_or(Value::Null);
        params.settings = parse_settings(&global, "setting")?;
        params.image_types = match top.get("imageType") {
            Some(types) => parse_image_types(types, &global)?,
            None => vec![(ImageType::Original, params.settings.clone())],
        };
        Ok(params)
    }
}

/// The image types in the file's order, each with `setting` overridden by its own entries.
fn parse_image_types(
    v: &Value,
    global: &Value,
) -> std::result::Result<Vec<(ImageType, Settings)>, String> {
    let map = match v {
        Value::Null => {
            return Ok(vec![(
                ImageType::Original,
                parse_settings(global, "setting")?,
            )]);
        }
        Value::Object(m) => m,
        other => {
            return Err(format!(
                "imageType: expected a mapping, got {}",
                kind(other)
            ));
        }
    };
    if map.is_empty() {
        return Err(
            "imageType: no image type given (Original is PyRadiomics' usual one)".to_string(),
        );
    }
    let mut out = Vec::new();
    for (name, own) in map {
        let section = format!("imageType.{name}");
        let kind_ = ImageType::from_name(name).ok_or_else(|| {
            format!(
                "{section}: unknown image type; PyRadiomics' are {}",
                ImageType::ALL.map(ImageType::name).join(", ")
            )
        })?;
        let own = match own {
            Value::Null => serde_json::Map::new(),
            Value::Object(m) => m.clone(),
            other => {
                return Err(format!(
                    "{section}: expected a mapping of settings, got {}",
                    kind(other)
                ));
            }
        };
        for key in own.keys() {
            if LOADING.contains(&key.as_str()) {
                return Err(format!(
                    "{section}.{key}: shapes how the image is loaded, once for every image type; put it under setting"
                ));
            }
            if let Some(owner) = ImageType::ALL
                .into_iter()
                .find(|t| *t != kind_ && t.own_settings().contains(&key.as_str()))
            {
                return Err(format!(
                    "{section}.{key}: a setting of {}, not of {name}",
                    owner.name()
                ));
            }
        }
        // The type's own entries are checked under their own name, then merged over `setting`.
        parse_settings(&Value::Object(own.clone()), &section)?;
        let mut merged = global.as_object().cloned().unwrap_or_default();
        merged.extend(own);
        let settings = parse_settings(&Value::Object(merged), &section)?;
        out.push((kind_, settings));
    }
    // One fixed order (the document's key order is not kept): Original, Wavelet, LoG, ...
    out.sort_by_key(|(t, _)| ImageType::ALL.iter().position(|a| a == t));
    Ok(out)
}

fn parse_classes(
    v: &Value,
) -> std::result::Result<BTreeMap<FeatureClass, Option<Vec<String>>>, String> {
    let map = match v {
        Value::Null => return Ok(FeatureClass::ALL.iter().map(|c| (*c, None)).collect()),
        Value::Object(m) => m,
        other => {
            return Err(format!(
                "featureClass: expected a mapping, got {}",
                kind(other)
            ));
        }
    };
    if map.is_empty() {
        return Ok(FeatureClass::ALL.iter().map(|c| (*c, None)).collect());
    }
    let mut out = BTreeMap::new();
    for (name, features) in map {
        let class = FeatureClass::from_name(name).ok_or_else(|| {
            format!(
                "featureClass.{name}: unknown or unsupported class; radaudit computes {}",
                FeatureClass::known()
                    .map(|c| c.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        let list = match features {
            Value::Null => None,
            Value::Array(items) if items.is_empty() => None,
            Value::Array(items) => {
                let mut names = Vec::new();
                for item in items {
                    let f = item.as_str().ok_or_else(|| {
                        format!(
                            "featureClass.{name}: expected feature names, got {}",
                            kind(item)
                        )
                    })?;
                    class
                        .check_feature(f)
                        .map_err(|p| format!("featureClass.{name}: {p}"))?;
                    names.push(f.to_string());
                }
                Some(names)
            }
            other => {
                return Err(format!(
                    "featureClass.{name}: expected a list of feature names, got {}",
                    kind(other)
                ));
            }
        };
        out.insert(class, list);
    }
    Ok(out)
}

fn parse_settings(v: &Value, section: &str) -> std::result::Result<Settings, String> {
    let map = match v {
        Value::Null => return Ok(Settings::default()),
        Value::Object(m) => m,
        other => {
            return Err(format!(
                "{section}: expected a mapping, got {}",
                kind(other)
            ));
        }
    };
    let mut s = Settings::default();
    let mut unknown = Vec::new();
    let mut unsupported = Vec::new();
    let (mut bin_width, mut bin_count) = (None, None);
    let mut force2d = false;
    let mut force2d_dim = 0usize;
    for (key, value) in map {
        let f = Field {
            section,
            key,
            value,
        };
        match key.as_str() {
            "binWidth" => bin_width = Some(f.number(Some(0.0), None)?),
            // No texture matrix needs more than 1e5 grey levels.
            "binCount" => bin_count = Some(f.integer(1, 100_000)? as usize),
            "label" => match value.as_str() {
                Some(name) if !name.trim().is_empty() && name.trim().parse::<i64>().is_err() => {
                    s.label_name = Some(name.trim().into())
                }
                _ => s.label = f.integer(1, i64::from(u16::MAX))? as u16,
            },
            "resampledPixelSpacing" => {
                s.resampled_spacing = match value {
                    Value::Null => None,
                    _ => {
                        let v = f.numbers()?;
                        if v.len() != 3 || v.iter().any(|x| *x < 0.0) {
                            return Err(f.err("3 spacings >= 0 (x, y, z)"));
                        }
                        Some([v[0], v[1], v[2]])
                    }
                }
            }
            "interpolator" => s.interpolator = parse_interpolator(&f)?,
            "padDistance" => s.pad_distance = f.integer(0, 1 << 20)? as usize,
            "normalize" => s.normalize = f.boolean()?,
            "normalizeScale" => {
                // Normalised intensities are z-scores (within +-sqrt(voxels)) times the scale;
                // past 1e6 they leave float32's useful range (1e308 overflowed to infinity).
                let v = f.number(Some(0.0), None)?;
                if v > 1e6 {
                    return Err(f.err("a number > 0 and at most 1e6"));
                }
                s.normalize_scale = v;
            }
            "removeOutliers" => {
                s.remove_outliers = match value {
                    Value::Null => None,
                    _ => Some(f.number(Some(0.0), None)?),
                }
            }
            "resegmentRange" => {
                s.resegment_range = match value {
                    Value::Null => None,
                    _ => {
                        let v = f.numbers()?;
                        if v.is_empty() || v.len() > 2 {
                            return Err(f.err("1 or 2 thresholds"));
                        }
                        Some(v)
                    }
                }
            }
            "resegmentMode" => {
                s.resegment_mode = match value.as_str() {
                    Some("absolute") => ResegmentMode::Absolute,
                    Some("relative") => ResegmentMode::Relative,
                    Some("sigma") => ResegmentMode::Sigma,
                    _ => return Err(f.err("absolute, relative or sigma")),
                }
            }
            "resegmentShape" => s.resegment_shape = f.boolean()?,
            "voxelArrayShift" => s.voxel_array_shift = f.integer(i64::MIN, i64::MAX)? as f64,
            "minimumROIDimensions" => s.minimum_roi_dimensions = f.integer(1, 3)? as usize,
            "minimumROISize" => {
                s.minimum_roi_size = match value {
                    Value::Null => None,
                    _ => Some(f.integer(1, i64::MAX)? as usize),
                }
            }
            "geometryTolerance" => s.geometry_tolerance = Some(f.number(Some(0.0), None)?),
            "correctMask" => s.correct_mask = f.boolean()?,
            "distances" => {
                let v = f.numbers()?;
                // Beyond 1000 voxels a neighbour lies outside any image worth texture analysis.
                if v.is_empty()
                    || v.iter()
                        .any(|d| !(1.0..=1000.0).contains(d) || d.fract() != 0.0)
                {
                    return Err(f.err("a list of integer distances from 1 to 1000 voxels"));
                }
                s.texture.distances = v.iter().map(|d| *d as usize).collect();
            }
            "force2D" => force2d = f.boolean()?,
            "force2Ddimension" => force2d_dim = f.integer(0, 2)? as usize,
            "weightingNorm" => {
                s.texture.weighting = match value {
                    Value::Null => None,
                    Value::String(w) => Some(match w.as_str() {
                        "infinity" => WeightingNorm::Infinity,
                        "euclidean" => WeightingNorm::Euclidean,
                        "manhattan" => WeightingNorm::Manhattan,
                        "no_weighting" => WeightingNorm::NoWeighting,
                        _ => return Err(f.err("infinity, euclidean, manhattan or no_weighting")),
                    }),
                    _ => return Err(f.err("infinity, euclidean, manhattan or no_weighting")),
                }
            }
            "symmetricalGLCM" => s.texture.symmetrical_glcm = f.boolean()?,
            "gldm_a" => s.texture.gldm_alpha = f.integer(0, i64::MAX)? as f64,
            "preCrop" => s.pre_crop = f.boolean()?,
            "sigma" => {
                let v = f.numbers()?;
                if v.is_empty() || v.len() > 64 || v.iter().any(|x| !(*x > 0.0 && *x <= 1000.0)) {
                    return Err(f.err("a list of 1 to 64 widths in mm, each > 0 and <= 1000"));
                }
                s.filter.sigma = v;
            }
            "wavelet" => {
                s.filter.wavelet = match value.as_str() {
                    Some(w) if super::filters::is_wavelet(w) => w.to_string(),
                    _ => {
                        return Err(f.err(&format!(
                            "a PyWavelets discrete wavelet ({})",
                            super::filters::wavelet_families()
                        )));
                    }
                }
            }
            "start_level" => s.filter.start_level = f.integer(0, 8)? as usize,
            "level" => s.filter.level = f.integer(1, 8)? as usize,
            "gradientUseSpacing" => s.filter.gradient_use_spacing = f.boolean()?,
            "lbp2DRadius" => {
                let r = f.number(Some(0.0), None)?;
                if r > 100.0 {
                    return Err(f.err("a radius in voxels > 0 and <= 100"));
                }
                s.filter.lbp2d_radius = r;
            }
            "lbp2DSamples" => {
                s.filter.lbp2d_samples = f.integer(1, LBP2D_MAX_SAMPLES as i64)? as usize
            }
            "lbp3DIcosphereRadius" => {
                let r = f.number(Some(0.0), None)?;
                if r > 100.0 {
                    return Err(f.err("a radius in voxels > 0 and <= 100"));
                }
                s.filter.lbp3d_radius = r;
            }
            "lbp3DLevels" => s.filter.lbp3d_levels = f.integer(1, 10)? as usize,
            "lbp3DIcosphereSubdivision" => {
                s.filter.lbp3d_subdivision = f.integer(0, 5)? as usize;
            }
            "lbp2DMethod" => {
                s.filter.lbp2d_method = value
                    .as_str()
                    .and_then(super::filters::LbpMethod::from_name)
                    .ok_or_else(|| f.err("default, ror, uniform or var"))?;
            }
            k if HARMLESS.contains(&k) => {
                f.boolean()?;
            }
            k if UNSUPPORTED.contains(&k) => unsupported.push(k.to_string()),
            k => unknown.push(k.to_string()),
        }
    }
    if !unsupported.is_empty() {
        return Err(format!(
            "{section}: {} not supported (vector masks are not implemented)",
            unsupported.join(", ")
        ));
    }
    if !unknown.is_empty() {
        return Err(format!("{section}: unknown key(s) {}", unknown.join(", ")));
    }
    s.binning = match (bin_width, bin_count) {
        // PyRadiomics: a bin count, when given, wins over the bin width.
        (_, Some(c)) => Binning::Count(c),
        (Some(w), None) => Binning::Width(w),
        (None, None) => Binning::Width(25.0),
    };
    s.texture.plane_axis = force2d.then_some(force2d_dim);
    s.force2d_dimension = force2d_dim;
    Ok(s)
}

fn parse_interpolator(f: &Field) -> std::result::Result<Option<Interpolator>, String> {
    let expected = "sitkNearestNeighbor, sitkLinear or sitkBSpline (or SimpleITK's codes 1, 2, 3)";
    Ok(match f.value {
        Value::Null => None,
        Value::String(s) => Some(match s.as_str() {
            "sitkNearestNeighbor" => Interpolator::Nearest,
            "sitkLinear" => Interpolator::Linear,
            "sitkBSpline" | "sitkBSpline3" => Interpolator::BSpline,
            _ => return Err(f.err(expected)),
        }),
        Value::Number(n) => Some(match n.as_i64() {
            Some(1) => Interpolator::Nearest,
            Some(2) => Interpolator::Linear,
            Some(3) => Interpolator::BSpline,
            _ => return Err(f.err(expected)),
        }),
        _ => return Err(f.err(expected)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> std::result::Result<Params, String> {
        let v: Value = serde_saphyr::from_str(yaml).map_err(|e| e.to_string())?;
        Params::from_value(&v)
    }

    #[test]
    fn baseline_plain_settings_parse() {
        let p = parse(
            "imageType:\n  Original: {}\nfeatureClass:\n  shape:\n  glcm:\n    - Contrast\n\
             setting:\n  binWidth: 25\n  voxelArrayShift: 2000\n  label: 1\n  distances: [1]\n  gldm_a: 0\n",
        )
        .unwrap();
        assert_eq!(p.settings.binning, Binning::Width(25.0));
        assert_eq!(p.settings.voxel_array_shift, 2000.0);
        assert_eq!(p.classes.len(), 2);
        assert_eq!(
            p.classes[&FeatureClass::Glcm],
            Some(vec!["Contrast".to_string()])
        );
    }

    #[test]
    fn wrong_types_and_unknown_keys_are_named() {
        let e = parse("setting:\n  binWidth: \"25\"\n").unwrap_err();
        assert_eq!(
            e,
            "setting.binWidth: expected a number, got the string \"25\""
        );
        let e = parse("imageType:\n  Wavelett: {}\n").unwrap_err();
        assert!(
            e.starts_with("imageType.Wavelett: unknown image type"),
            "{e}"
        );
        let e = parse("imageType:\n  LoG: {wavelet: haar}\n").unwrap_err();
        assert_eq!(e, "imageType.LoG.wavelet: a setting of Wavelet, not of LoG");
        let e = parse("setting:\n  binwidth: 25\n").unwrap_err();
        assert!(e.contains("unknown key(s) binwidth"), "{e}");
        let e = parse("featureClass:\n  glcm: [Contrastt]\n").unwrap_err();
        assert!(e.contains("Contrastt"), "{e}");
    }
}
