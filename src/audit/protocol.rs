//! The audit protocol (YAML): which cases, which features, which perturbation axes and levels,
//! the design, the seed, the acceptance rule, harmonization and outputs.
//!
//! Reading goes YAML -> a JSON value (serde-saphyr) -> the typed protocol through
//! `serde_path_to_error`, so an unknown or mistyped key is reported with its YAML path
//! (`perturbations[2].levels`). Then `validate` checks what serde cannot (ranges, chains,
//! axis names, files) and names the offending key the same way. Relative paths are taken
//! from the protocol's folder.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Result;
pub use crate::features::{Convention, FeatureSet};
use crate::perturb::Chain;
use crate::perturb::kvp::{self, KvFactors};
use crate::phantom::vertebra::VertebraSpec;
use crate::stats::combat::nested::MAX_FACTORS;
use crate::volume::slice::Window;
use crate::yaml::{error_at, resolve};

/// A whole protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    /// A title for the report.
    #[serde(default)]
    pub name: String,
    /// Seed of every random stream (noise, supervoxels, phantoms, draws).
    pub seed: u64,
    /// Where the cases come from.
    pub cases: Cases,
    #[serde(default)]
    /// Which features, in which convention.
    pub features: FeatureSpec,
    /// A chain applied to every case before each level (the baseline acquisition). For the
    /// synthetic cohort it defaults to the cohort's scanner profile and kV.
    #[serde(default)]
    pub baseline: Option<String>,
    /// The perturbation axes, each with its levels.
    pub perturbations: Vec<Axis>,
    #[serde(default)]
    /// Per-axis levels, or random combinations of every axis' levels.
    pub design: Design,
    #[serde(default)]
    /// How robustness is judged.
    pub stability: Stability,
    #[serde(default)]
    /// ComBat across one axis' levels, and stability again after it.
    pub harmonization: Option<Harmonization>,
    #[serde(default)]
    /// Which optional outputs to write.
    pub outputs: Outputs,
    /// Tube-voltage factors relative to 120 kV (default: `perturb::kvp::DEFAULT_TABLE`).
    #[serde(default)]
    pub kv_table: Option<Vec<KvFactors>>,
    /// Margin kept around the ROI's bounding box when a user image is cropped, in mm.
    #[serde(default = "default_crop_margin")]
    pub crop_margin_mm: f64,
}

fn default_crop_margin() -> f64 {
    15.0
}

/// Where the cases come from: exactly one of the two.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cases {
    /// A CSV with columns case,image,mask[,label][,scanner] and covariate columns.
    #[serde(default)]
    pub csv: Option<PathBuf>,
    /// The table that names in the CSV's label column are looked up in: totalsegmentator,
    /// totalsegmentator-v1 or a CSV of id,name (relative to the protocol); without it, names
    /// resolve through an RTSTRUCT's ROIs or a SEG's segments.
    #[serde(default)]
    pub label_table: Option<String>,
    /// The built-in synthetic vertebra cohort.
    #[serde(default)]
    pub synthetic_vertebra: Option<Cohort>,
}

/// The synthetic vertebra cohort: `count` phantoms with vBMD evenly spread over `vbmd`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cohort {
    /// Number of phantoms (2 to 10000).
    pub count: usize,
    /// Lowest and highest vBMD, mg/cm3 HA.
    pub vbmd: [f64; 2],
    /// A phantom definition file (default: the built-in definition, phantoms/vertebra.yaml).
    #[serde(default)]
    pub spec: Option<PathBuf>,
    /// The baseline scanner profile and kV.
    #[serde(default = "default_scanner")]
    pub scanner: String,
    #[serde(default = "default_kvp")]
    /// The baseline tube voltage, kV.
    pub kvp: f64,
    /// Each case's body width, depth and height are scaled by independent factors drawn
    /// uniformly from [1 - v, 1 + v] (vertebrae differ in size; shape features need it).
    #[serde(default = "default_size_variation")]
    pub size_variation: f64,
}

fn default_size_variation() -> f64 {
    0.1
}

fn default_scanner() -> String {
    "standard".into()
}

fn default_kvp() -> f64 {
    120.0
}

/// Feature settings: inline PyRadiomics parameters or a parameter file (not both).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSpec {
    /// `pyradiomics` or `ibsi`; absent: what the parameters declare, else PyRadiomics.
    #[serde(default)]
    pub convention: Option<Convention>,
    /// The content of a parameter file (PyRadiomics' or IBSI's), inline.
    #[serde(default)]
    pub params: Option<Value>,
    #[serde(default)]
    /// A parameter file (YAML or JSON), relative to the protocol's folder.
    pub params_file: Option<PathBuf>,
}

/// One perturbation axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Axis {
    /// The axis' name (letters, digits, `_` and `-`), e.g. scanner, kvp, voxel, segmentation.
    pub axis: String,
    /// Each level is a perturbation chain (see `radaudit perturb --help`).
    pub levels: Vec<String>,
}

/// Design kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DesignKind {
    /// Every level of every axis on its own, against the baseline.
    #[default]
    PerAxis,
    /// `draws` chains per case, each taking one random level of every axis.
    Combined,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// How the jobs of a case are laid out.
pub struct Design {
    #[serde(rename = "type", default)]
    /// `per_axis` (default) or `combined`.
    pub kind: DesignKind,
    #[serde(default)]
    /// Random combinations per case, for the combined design (2 to 1000).
    pub draws: Option<usize>,
}

/// The metric a feature's robustness is judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// ICC(1,1).
    Icc1,
    #[default]
    /// The lower end of ICC(1,1)'s 95% CI (the default; Koo & Li rate on it).
    Icc1CiLow,
    /// ICC(2,1), pingouin's ICC2 (`icc21` in protocols and tables).
    #[serde(rename = "icc21")]
    Icc2,
    /// ICC(3,1), pingouin's ICC3 (`icc31` in protocols and tables).
    #[serde(rename = "icc31")]
    Icc3,
    /// Lin's concordance correlation of the baseline with the levels (every pair pooled).
    Ccc,
}

impl Metric {
    /// The metric's name in protocols and tables.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Icc1 => "icc1",
            Metric::Icc1CiLow => "icc1_ci_low",
            Metric::Icc2 => "icc21",
            Metric::Icc3 => "icc31",
            Metric::Ccc => "ccc",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// Stability settings.
pub struct Stability {
    #[serde(default)]
    /// The rule a feature must meet to count as robust, and the audit to pass.
    pub acceptance: Acceptance,
}

/// The acceptance rule: a feature is robust on an axis when `metric >= threshold`; the audit
/// passes when every required feature is robust on every axis and, on every axis, at least
/// `min_robust_fraction` of the features are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acceptance {
    #[serde(default)]
    /// The metric judged.
    pub metric: Metric,
    #[serde(default = "default_threshold")]
    /// A feature is robust on an axis when the metric reaches this (default 0.75; at most 1).
    pub threshold: f64,
    #[serde(default)]
    /// Features that must be robust on every axis for the audit to pass.
    pub required_features: Vec<String>,
    #[serde(default)]
    /// The least share of robust features per axis for the audit to pass (0 to 1).
    pub min_robust_fraction: f64,
    /// The most cases that may fail (and be left out) for the audit to pass (default 0).
    #[serde(default)]
    pub max_failed_cases: usize,
}

fn default_threshold() -> f64 {
    0.75
}

impl Default for Acceptance {
    fn default() -> Self {
        Acceptance {
            metric: Metric::default(),
            threshold: default_threshold(),
            required_features: Vec::new(),
            min_robust_fraction: 0.0,
            max_failed_cases: 0,
        }
    }
}

/// ComBat across the levels of one axis (the baseline is the reference batch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Harmonization {
    /// The axis whose levels are the batches; in the combined design `combined`: nested
    /// ComBat with each axis of `factors` a batch factor.
    pub axis: String,
    /// `axis: combined`: the axes nested ComBat harmonizes, each a batch factor (default:
    /// every axis), in the OPNested order.
    #[serde(default)]
    pub factors: Vec<String>,
    /// Case covariates to preserve: `vbmd` for the synthetic cohort, CSV columns otherwise.
    #[serde(default)]
    pub covariates: Vec<String>,
    /// One of the covariates whose effect is a smooth curve (ComBat-GAM, as neuroHarmonize).
    #[serde(default)]
    pub smooth: Option<String>,
    /// Empirical Bayes (default true).
    #[serde(default = "yes")]
    pub eb: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// Optional outputs of the run folder.
pub struct Outputs {
    #[serde(default = "yes")]
    /// Write features.parquet beside features.csv (default true).
    pub parquet: bool,
    #[serde(default = "yes")]
    /// Write report.html (default true).
    pub report: bool,
    #[serde(default = "bone_window")]
    /// The report's image panels' intensity window: bone, soft, lung, brain or LEVEL/WIDTH
    /// (default bone: L 400, W 1800 HU).
    pub window: String,
}

fn bone_window() -> String {
    "bone".into()
}

impl Default for Outputs {
    fn default() -> Self {
        Outputs {
            parquet: true,
            report: true,
            window: bone_window(),
        }
    }
}

/// A protocol read from a file, with its resolved paths and source text.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The protocol as written.
    pub protocol: Protocol,
    /// The protocol file.
    pub path: PathBuf,
    /// Its text (hashed into manifests and journals).
    pub text: String,
    /// The features the protocol asks for, in its convention.
    pub features: FeatureSet,
    /// The kV table in force.
    pub kv_table: Vec<KvFactors>,
    /// The phantom definition of a synthetic cohort.
    pub phantom: Option<VertebraSpec>,
    /// The baseline chain, parsed.
    pub baseline: Chain,
    /// Every axis' levels as (label, parsed chain), in protocol order.
    pub levels: AxisLevels,
}

/// Column names of features.csv that an axis may not take.
const RESERVED: [&str; 4] = ["case", "perturbation", "feature", "value"];

/// Reads and validates a protocol file.
pub fn load(path: &Path) -> Result<Loaded> {
    let text = crate::yaml::read_text(path)?;
    let protocol: Protocol = crate::yaml::parse(path, &text)?;
    validate(path, protocol, text)
}

/// Checks the protocol section by section into its resolved form: the kV table in force, the
/// phantom definition, the feature set and every perturbation chain parsed once. Each check
/// names the offending key.
fn validate(path: &Path, p: Protocol, text: String) -> Result<Loaded> {
    let kv_table = check_settings(path, &p)?;
    let phantom = check_cases(path, &p)?;
    let features = check_features(path, &p)?;
    let (baseline, levels) = check_axes(path, &p, &kv_table)?;
    check_design(path, &p)?;
    check_acceptance(path, &p, &features)?;
    check_harmonization(path, &p)?;
    Window::parse(&p.outputs.window).map_err(|e| error_at(path, "outputs.window", e))?;
    Ok(Loaded {
        protocol: p,
        path: path.to_path_buf(),
        text,
        features,
        kv_table,
        phantom,
        baseline,
        levels,
    })
}

/// The kV table in force, and the crop margin.
fn check_settings(path: &Path, p: &Protocol) -> Result<Vec<KvFactors>> {
    let kv_table = p
        .kv_table
        .clone()
        .unwrap_or_else(|| kvp::DEFAULT_TABLE.to_vec());
    if let Some(t) = &p.kv_table {
        for (i, e) in t.iter().enumerate() {
            if !(e.kv > 0.0 && e.bone > 0.0 && e.fat > 0.0) {
                return Err(error_at(
                    path,
                    &format!("kv_table[{i}]"),
                    "kv, bone and fat must be > 0",
                ));
            }
        }
    }
    if !(p.crop_margin_mm.is_finite() && p.crop_margin_mm >= 0.0) {
        return Err(error_at(
            path,
            "crop_margin_mm",
            format!("must be >= 0, got {}", p.crop_margin_mm),
        ));
    }
    Ok(kv_table)
}

/// The cases: a CSV that exists, or a synthetic cohort whose phantom definition is valid at
/// every vBMD (returned).
fn check_cases(path: &Path, p: &Protocol) -> Result<Option<VertebraSpec>> {
    let mut phantom = None;
    match (&p.cases.csv, &p.cases.synthetic_vertebra) {
        (Some(csv), None) => {
            let file = resolve(path, csv);
            if !file.is_file() {
                return Err(error_at(
                    path,
                    "cases.csv",
                    format!("no such file: {}", file.display()),
                ));
            }
        }
        (None, Some(c)) => {
            if !(2..=10_000).contains(&c.count) {
                return Err(error_at(
                    path,
                    "cases.synthetic_vertebra.count",
                    format!("must be 2 to 10000, got {}", c.count),
                ));
            }
            let spec = match &c.spec {
                Some(s) => VertebraSpec::load(&resolve(path, s))?,
                None => VertebraSpec::default(),
            };
            for (i, v) in c.vbmd.iter().enumerate() {
                let trial = VertebraSpec {
                    vbmd: *v,
                    scanner: c.scanner.clone(),
                    kvp: c.kvp,
                    ..spec.clone()
                };
                trial.validate().map_err(|e| {
                    error_at(path, &format!("cases.synthetic_vertebra.vbmd[{i}]"), e)
                })?;
            }
            if !(0.0..0.5).contains(&c.size_variation) {
                return Err(error_at(
                    path,
                    "cases.synthetic_vertebra.size_variation",
                    format!("must be in [0, 0.5), got {}", c.size_variation),
                ));
            }
            if c.vbmd[0] > c.vbmd[1] {
                return Err(error_at(
                    path,
                    "cases.synthetic_vertebra.vbmd",
                    "the lowest vBMD comes first",
                ));
            }
            phantom = Some(spec);
        }
        _ => {
            return Err(error_at(
                path,
                "cases",
                "give exactly one of csv and synthetic_vertebra",
            ));
        }
    }
    Ok(phantom)
}

/// The feature set, in the convention asked.
fn check_features(path: &Path, p: &Protocol) -> Result<FeatureSet> {
    let asked = p.features.convention;
    let features = match (&p.features.params, &p.features.params_file) {
        (Some(_), Some(_)) => {
            return Err(error_at(
                path,
                "features",
                "give params or params_file, not both",
            ));
        }
        (Some(v), None) => {
            FeatureSet::from_value(v, asked).map_err(|e| error_at(path, "features.params", e))?
        }
        (None, Some(f)) => FeatureSet::from_file(&resolve(path, f), asked)?,
        (None, None) => FeatureSet::defaults(asked.unwrap_or_default()),
    };
    features
        .validate()
        .map_err(|e| error_at(path, "features.params", e))?;
    Ok(features)
}

/// Every axis' levels as (label, parsed chain), in protocol order.
pub type AxisLevels = Vec<Vec<(String, Chain)>>;

/// The axes (names, levels), with the baseline and every level parsed into its chain.
fn check_axes(path: &Path, p: &Protocol, kv_table: &[KvFactors]) -> Result<(Chain, AxisLevels)> {
    if p.perturbations.is_empty() {
        return Err(error_at(path, "perturbations", "needs at least one axis"));
    }
    let baseline = Chain::parse_with(&baseline_chain(p)?, kv_table)
        .map_err(|e| error_at(path, "baseline", e))?;
    let mut levels = Vec::with_capacity(p.perturbations.len());
    for (a, axis) in p.perturbations.iter().enumerate() {
        let ok = !axis.axis.is_empty()
            && axis
                .axis
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !ok {
            return Err(error_at(
                path,
                &format!("perturbations[{a}].axis"),
                format!("`{}` must be letters, digits, _ or -", axis.axis),
            ));
        }
        if RESERVED.contains(&axis.axis.as_str()) {
            return Err(error_at(
                path,
                &format!("perturbations[{a}].axis"),
                format!(
                    "`{}` is a column of features.csv; choose another name",
                    axis.axis
                ),
            ));
        }
        if p.perturbations[..a].iter().any(|b| b.axis == axis.axis) {
            return Err(error_at(
                path,
                &format!("perturbations[{a}].axis"),
                format!("axis `{}` appears twice", axis.axis),
            ));
        }
        if axis.levels.is_empty() {
            return Err(error_at(
                path,
                &format!("perturbations[{a}].levels"),
                "the axis has no levels",
            ));
        }
        let mut parsed = Vec::with_capacity(axis.levels.len());
        for (l, level) in axis.levels.iter().enumerate() {
            let key = format!("perturbations[{a}].levels[{l}]");
            let chain = Chain::parse_with(level, kv_table).map_err(|e| error_at(path, &key, e))?;
            if chain.elements.is_empty() {
                return Err(error_at(path, &key, "an empty level"));
            }
            if axis.levels[..l].iter().any(|m| m.trim() == level.trim()) {
                return Err(error_at(
                    path,
                    &key,
                    format!("level `{level}` appears twice"),
                ));
            }
            // The label: the level as written, whitespace runs folded.
            let label = level.split_whitespace().collect::<Vec<_>>().join(" ");
            parsed.push((label, chain));
        }
        levels.push(parsed);
    }
    Ok((baseline, levels))
}

/// The design: draws only for the combined design, and 2 to 1000 of them there.
fn check_design(path: &Path, p: &Protocol) -> Result<()> {
    match p.design.kind {
        DesignKind::PerAxis if p.design.draws.is_some() => {
            return Err(error_at(
                path,
                "design.draws",
                "draws belong to the combined design",
            ));
        }
        DesignKind::Combined if !matches!(p.design.draws, Some(2..=1000)) => {
            return Err(error_at(
                path,
                "design.draws",
                "the combined design needs 2 to 1000 draws",
            ));
        }
        _ => {}
    }
    Ok(())
}

/// The acceptance rule: a threshold up to 1, a fraction in [0, 1], required features that are
/// computed.
fn check_acceptance(path: &Path, p: &Protocol, features: &FeatureSet) -> Result<()> {
    let acc = &p.stability.acceptance;
    if !acc.threshold.is_finite() || acc.threshold > 1.0 {
        return Err(error_at(
            path,
            "stability.acceptance.threshold",
            format!("must be a number up to 1, got {}", acc.threshold),
        ));
    }
    if !(0.0..=1.0).contains(&acc.min_robust_fraction) {
        return Err(error_at(
            path,
            "stability.acceptance.min_robust_fraction",
            format!("must be in [0, 1], got {}", acc.min_robust_fraction),
        ));
    }
    let known = features.feature_names();
    for (i, f) in acc.required_features.iter().enumerate() {
        if !known.iter().any(|k| k == f) {
            return Err(error_at(
                path,
                &format!("stability.acceptance.required_features[{i}]"),
                format!("`{f}` is not among the features computed"),
            ));
        }
    }
    Ok(())
}

/// Harmonization: an axis of the protocol, the per-axis design, covariates the cases have.
fn check_harmonization(path: &Path, p: &Protocol) -> Result<()> {
    if let Some(h) = &p.harmonization {
        let combined = p.design.kind == DesignKind::Combined;
        if combined && h.axis != "combined" {
            return Err(error_at(
                path,
                "harmonization.axis",
                format!(
                    "the combined design varies every axis at once: harmonization.axis is `combined` \
                     (nested ComBat over the axes), not `{}`",
                    h.axis
                ),
            ));
        }
        if !combined && !p.perturbations.iter().any(|a| a.axis == h.axis) {
            return Err(error_at(
                path,
                "harmonization.axis",
                format!("`{}` is not an axis of this protocol", h.axis),
            ));
        }
        if !combined && !h.factors.is_empty() {
            return Err(error_at(
                path,
                "harmonization.factors",
                "factors name the axes nested ComBat harmonizes in the combined design",
            ));
        }
        for (i, f) in h.factors.iter().enumerate() {
            if !p.perturbations.iter().any(|a| a.axis == *f) || h.factors[..i].contains(f) {
                return Err(error_at(
                    path,
                    &format!("harmonization.factors[{i}]"),
                    format!("`{f}` is not an axis of this protocol, or is named twice"),
                ));
            }
        }
        if let Some(sm) = h.smooth.as_ref().filter(|sm| !h.covariates.contains(sm)) {
            return Err(error_at(
                path,
                "harmonization.smooth",
                format!("`{sm}` is not among harmonization.covariates"),
            ));
        }
        let factors = if h.factors.is_empty() {
            p.perturbations.len()
        } else {
            h.factors.len()
        };
        if combined && factors > MAX_FACTORS {
            return Err(error_at(
                path,
                "harmonization.factors",
                format!(
                    "nested ComBat takes at most {MAX_FACTORS} factors; {factors} axes would be factors"
                ),
            ));
        }
        for (i, c) in h.covariates.iter().enumerate() {
            if p.cases.synthetic_vertebra.is_some() && c != "vbmd" {
                return Err(error_at(
                    path,
                    &format!("harmonization.covariates[{i}]"),
                    format!("the synthetic cohort has the covariate vbmd only, not `{c}`"),
                ));
            }
        }
    }
    Ok(())
}

/// The baseline chain text: the protocol's, or the synthetic cohort's scanner and kV.
pub fn baseline_chain(p: &Protocol) -> Result<String> {
    if let Some(b) = &p.baseline {
        return Ok(b.clone());
    }
    Ok(match &p.cases.synthetic_vertebra {
        Some(c) => {
            let mut parts = Vec::new();
            if c.scanner != "none" {
                parts.push(format!("scanner:{}", c.scanner));
            }
            if c.kvp != 120.0 {
                parts.push(format!("kvp:{}", c.kvp));
            }
            parts.join("; ")
        }
        None => String::new(),
    })
}
