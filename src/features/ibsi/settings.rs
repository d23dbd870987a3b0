//! IBSI-mode parameter files: the image processing IBSI 1 standardises (interpolation to an
//! isotropic grid, intensity rounding, partial-volume mask threshold, range and outlier
//! re-segmentation, fixed bin number or fixed bin size) and which features to compute.
//!
//! Layout (YAML or JSON; every key checked, an unknown one is an error naming it):
//!
//! ```yaml
//! convention: ibsi
//! label: 1
//! round_intensities: true          # round to integers on loading and after interpolation
//! interpolation: {spacing: [2, 2, 2], image: linear, roi_threshold: 0.5}
//! resegment: {range: [-1000, 400], outliers: 3}
//! discretisation: {bin_size: 25}   # or {bin_number: 32}, or none (default bin_size 25)
//! ivh: {bin_size: 2.5}             # intensity-volume histogram; none (default) keeps intensities
//! texture: [2D, 2.5D, 3D]
//! features: [morphology, cm_joint_max_3D_comb]   # families or tags; all when absent
//! filter: "log:sigma=1.5,cutoff=4,boundary=mirror"   # an IBSI 2 filter (see filters)
//! ```
//!
//! With a `filter`, the image is filtered after interpolation, rounding and re-segmentation
//! (the ROI's intensity mask comes from the unfiltered image, as IBSI 2 says), and the features
//! (intensity statistics unless `features` says otherwise) are computed on the response.

use serde::Deserialize;

/// How intensities are binned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Discretisation {
    /// The intensities are the grey levels (they must be integers ≥ 1).
    None,
    /// Fixed bin number: `floor(n (x - min) / (max - min)) + 1`, the maximum in bin n.
    BinNumber(usize),
    /// Fixed bin size from the re-segmentation minimum (or the ROI minimum):
    /// `floor((x - min) / w) + 1`.
    BinSize(f64),
}

/// Image interpolator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interpolator {
    /// Linear along each interpolated axis (bilinear in-plane, trilinear in 3-D).
    Linear,
    /// Cubic B-spline (tricubic spline).
    Cubic,
}

/// Interpolation to a new grid, centred on the old one (IBSI grid alignment).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interpolation {
    /// New spacing (x, y, z) in mm; `None` keeps an axis.
    pub spacing: [Option<f64>; 3],
    /// The image interpolator.
    pub image: Interpolator,
    /// The ROI is interpolated linearly and voxels at or above this fraction kept.
    pub roi_threshold: f64,
}

/// A texture dimensionality: 2-D slices (features per slice), 2.5-D (slices merged), 3-D.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dimension {
    /// Per slice, averaged over slices.
    D2,
    /// Slices merged (2.5-D).
    D25,
    /// The volume.
    D3,
}

impl Dimension {
    /// The label used in parameter files and reference tables.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::D2 => "2D",
            Dimension::D25 => "2.5D",
            Dimension::D3 => "3D",
        }
    }
}

/// Everything an IBSI-mode extraction needs.
#[derive(Debug, Clone, PartialEq)]
pub struct IbsiSettings {
    /// The ROI label.
    pub label: u16,
    /// Round intensities on loading and after interpolation (CT).
    pub round_intensities: bool,
    /// Interpolation to a new grid, if any.
    pub interpolation: Option<Interpolation>,
    /// Keep ROI voxels within [lo, hi] (either may be infinite).
    pub resegment_range: Option<[f64; 2]>,
    /// Keep ROI voxels within mean ± this many SD.
    pub outlier_sigma: Option<f64>,
    /// Texture and intensity-histogram discretisation.
    pub discretisation: Discretisation,
    /// Intensity-volume histogram discretisation.
    pub ivh: Discretisation,
    /// The texture aggregations computed.
    pub dimensions: Vec<Dimension>,
    /// Families or tags asked for; `None` = all (intensity statistics with a filter).
    pub features: Option<Vec<String>>,
    /// An IBSI 2 filter applied to the processed image before the features.
    pub filter: Option<super::filters::Filter>,
}

impl Default for IbsiSettings {
    /// No interpolation or re-segmentation, fixed bin size 25 (PyRadiomics' default width),
    /// every texture dimensionality, every feature.
    fn default() -> Self {
        IbsiSettings {
            label: 1,
            round_intensities: false,
            interpolation: None,
            resegment_range: None,
            outlier_sigma: None,
            discretisation: Discretisation::BinSize(25.0),
            ivh: Discretisation::None,
            dimensions: vec![Dimension::D2, Dimension::D25, Dimension::D3],
            features: None,
            filter: None,
        }
    }
}

impl Discretisation {
    fn describe(self) -> String {
        match self {
            Discretisation::None => "none".into(),
            Discretisation::BinNumber(n) => format!("{n} bins"),
            Discretisation::BinSize(w) => format!("bin size {w}"),
        }
    }
}

impl IbsiSettings {
    /// The settings in one line, for reports.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        match &self.interpolation {
            None => parts.push("no interpolation".to_string()),
            Some(i) => {
                let axes: Vec<String> = i
                    .spacing
                    .iter()
                    .map(|s| s.map_or("kept".to_string(), |v| format!("{v}")))
                    .collect();
                parts.push(format!(
                    "interpolation to {} mm ({}), ROI threshold {}",
                    axes.join(" x "),
                    match i.image {
                        Interpolator::Linear => "linear",
                        Interpolator::Cubic => "cubic spline",
                    },
                    i.roi_threshold
                ));
            }
        }
        if self.round_intensities {
            parts.push("intensities rounded".into());
        }
        if let Some([lo, hi]) = self.resegment_range {
            parts.push(format!("range [{lo}, {hi}]"));
        }
        if let Some(k) = self.outlier_sigma {
            parts.push(format!("outliers beyond {k} SD removed"));
        }
        parts.push(format!(
            "discretisation: {}",
            self.discretisation.describe()
        ));
        parts.push(format!("IVH: {}", self.ivh.describe()));
        parts.push(format!(
            "texture {}",
            self.dimensions
                .iter()
                .map(|d| d.name())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        parts.join("; ")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    convention: Option<String>,
    #[serde(default)]
    label: Option<u16>,
    #[serde(default)]
    round_intensities: bool,
    #[serde(default)]
    interpolation: Option<InterpolationFile>,
    #[serde(default)]
    resegment: Option<ResegmentFile>,
    #[serde(default)]
    discretisation: Option<BinningSpec>,
    #[serde(default)]
    ivh: Option<BinningSpec>,
    #[serde(default)]
    texture: Option<Vec<String>>,
    #[serde(default)]
    features: Option<Vec<String>>,
    #[serde(default)]
    filter: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InterpolationFile {
    spacing: [Option<f64>; 3],
    image: Interpolator,
    #[serde(default = "half")]
    roi_threshold: f64,
}

fn half() -> f64 {
    0.5
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResegmentFile {
    #[serde(default)]
    range: Option<[Option<f64>; 2]>,
    #[serde(default)]
    outliers: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BinningFile {
    #[serde(default)]
    bin_size: Option<f64>,
    #[serde(default)]
    bin_number: Option<usize>,
}

/// `none`, or the bins.
#[derive(Deserialize)]
#[serde(untagged)]
enum BinningSpec {
    Keyword(String),
    Bins(BinningFile),
}

fn binning(
    b: Option<BinningSpec>,
    key: &str,
    absent: Discretisation,
) -> std::result::Result<Discretisation, String> {
    let b = match b {
        None => return Ok(absent),
        Some(BinningSpec::Keyword(k)) if k == "none" => return Ok(Discretisation::None),
        Some(BinningSpec::Keyword(k)) => {
            return Err(format!(
                "{key}: {k:?} is not a discretisation; use none, {{bin_size: W}} or {{bin_number: N}}"
            ));
        }
        Some(BinningSpec::Bins(b)) => b,
    };
    match (b.bin_size, b.bin_number) {
        (Some(_), Some(_)) => Err(format!(
            "{key}: give bin_size or bin_number, not both (IBSI discretises one way)"
        )),
        (Some(w), None) if w > 0.0 && w.is_finite() => Ok(Discretisation::BinSize(w)),
        (Some(w), None) => Err(format!("{key}.bin_size must be positive, got {w}")),
        // No texture matrix needs more than 1e5 grey levels.
        (None, Some(n)) if (1..=100_000).contains(&n) => Ok(Discretisation::BinNumber(n)),
        (None, Some(_)) => Err(format!("{key}.bin_number must be 1 to 100000")),
        (None, None) => Err(format!("{key}: give bin_size or bin_number")),
    }
}

impl IbsiSettings {
    /// Builds settings from a parsed parameter document (`convention: ibsi` may be left out
    /// where the convention is given elsewhere, e.g. `--convention ibsi`).
    pub fn from_value(doc: &serde_json::Value) -> std::result::Result<IbsiSettings, String> {
        if doc.is_null() {
            return Ok(IbsiSettings::default());
        }
        let file: File = serde_path_to_error::deserialize(doc).map_err(|e| {
            let message = e.inner().to_string();
            let path = e.path().to_string();
            if path == "." {
                message
            } else {
                format!("{path}: {message}")
            }
        })?;
        Self::from_parsed(file)
    }

    fn from_parsed(file: File) -> std::result::Result<IbsiSettings, String> {
        if let Some(c) = &file.convention
            && c != "ibsi"
        {
            return Err(format!(
                "convention: this file is read in IBSI mode, but says {c:?}"
            ));
        }
        let interpolation = match file.interpolation {
            None => None,
            Some(i) => {
                for (axis, s) in ["x", "y", "z"].iter().zip(i.spacing) {
                    if let Some(s) = s
                        && (s <= 0.0 || !s.is_finite())
                    {
                        return Err(format!(
                            "interpolation.spacing: the {axis} spacing must be positive, got {s}"
                        ));
                    }
                }
                if !(i.roi_threshold > 0.0 && i.roi_threshold <= 1.0) {
                    return Err("interpolation.roi_threshold must be in (0, 1]".into());
                }
                Some(Interpolation {
                    spacing: i.spacing,
                    image: i.image,
                    roi_threshold: i.roi_threshold,
                })
            }
        };
        let (resegment_range, outlier_sigma) = match file.resegment {
            None => (None, None),
            Some(r) => {
                let range = r
                    .range
                    .map(|[lo, hi]| [lo.unwrap_or(f64::NEG_INFINITY), hi.unwrap_or(f64::INFINITY)]);
                if let Some([lo, hi]) = range
                    && lo >= hi
                {
                    return Err(format!(
                        "resegment.range: the lower bound {lo} must be below the upper {hi}"
                    ));
                }
                if let Some(s) = r.outliers
                    && s <= 0.0
                {
                    return Err(format!("resegment.outliers must be positive, got {s}"));
                }
                (range, r.outliers)
            }
        };
        let dimensions = match file.texture {
            None => IbsiSettings::default().dimensions,
            Some(names) => {
                let mut dims = Vec::new();
                for n in names {
                    let d = [Dimension::D2, Dimension::D25, Dimension::D3]
                        .into_iter()
                        .find(|d| d.name() == n)
                        .ok_or_else(|| {
                            format!("texture: unknown dimensionality {n:?} (2D, 2.5D or 3D)")
                        })?;
                    dims.push(d);
                }
                dims.sort();
                dims.dedup();
                dims
            }
        };
        Ok(IbsiSettings {
            label: file.label.unwrap_or(1),
            round_intensities: file.round_intensities,
            interpolation,
            resegment_range,
            outlier_sigma,
            discretisation: binning(
                file.discretisation,
                "discretisation",
                IbsiSettings::default().discretisation,
            )?,
            ivh: binning(file.ivh, "ivh", Discretisation::None)?,
            dimensions,
            features: file.features,
            filter: match file.filter {
                None => None,
                Some(text) => {
                    Some(super::filters::Filter::parse(&text).map_err(|e| format!("filter: {e}"))?)
                }
            },
        })
    }
}
