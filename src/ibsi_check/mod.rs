//! The IBSI 1 compliance check behind `radaudit ibsi-check`: runs the IBSI 1 phantoms through IBSI mode and compares every
//! feature with the IBSI reference values. The digital phantom (`dig`) and the five CT phantom
//! configurations A-E of the IBSI 1 reference data sets, with their settings as IBSI 1 table
//! 5.1 lists them (`config_settings`).
//!
//! A row passes when |value - reference| <= tolerance; a tolerance of 0 means "equal after
//! rounding to 3 significant digits" (the digital phantom's values are exact).

pub mod chapter2;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::features::ibsi::settings::{
    Dimension, Discretisation, IbsiSettings, Interpolation, Interpolator,
};
use crate::features::pyradiomics::settings::Params;
use crate::features::pyradiomics_in_memory;
use crate::output::Tool;
use crate::volume::io::{ReadOptions, read_mask, read_volume, rtstruct};
use crate::volume::{Mask, Volume};

/// The data sets `--config` accepts, in order.
pub const CONFIGS: [&str; 6] = ["dig", "A", "B", "C", "D", "E"];

/// The settings of a data set (IBSI 1 reference manual, table 5.1; digital phantom: no
/// processing, the intensities are the grey levels).
pub fn config_settings(name: &str) -> Option<IbsiSettings> {
    let linear = |spacing: [Option<f64>; 3], image| Interpolation {
        spacing,
        image,
        roi_threshold: 0.5,
    };
    let iso = [Some(2.0); 3];
    let d2 = vec![Dimension::D2, Dimension::D25];
    let d3 = vec![Dimension::D3];
    let ct = IbsiSettings {
        round_intensities: true,
        ..IbsiSettings::default()
    };
    Some(match name {
        "dig" => IbsiSettings {
            discretisation: Discretisation::None,
            ..IbsiSettings::default()
        },
        "A" => IbsiSettings {
            resegment_range: Some([-500.0, 400.0]),
            discretisation: Discretisation::BinSize(25.0),
            dimensions: d2,
            ..ct
        },
        "B" => IbsiSettings {
            interpolation: Some(linear([Some(2.0), Some(2.0), None], Interpolator::Linear)),
            resegment_range: Some([-500.0, 400.0]),
            discretisation: Discretisation::BinNumber(32),
            dimensions: d2,
            ..ct
        },
        "C" => IbsiSettings {
            interpolation: Some(linear(iso, Interpolator::Linear)),
            resegment_range: Some([-1000.0, 400.0]),
            discretisation: Discretisation::BinSize(25.0),
            ivh: Discretisation::BinSize(2.5),
            dimensions: d3,
            ..ct
        },
        "D" => IbsiSettings {
            interpolation: Some(linear(iso, Interpolator::Linear)),
            outlier_sigma: Some(3.0),
            discretisation: Discretisation::BinNumber(32),
            dimensions: d3,
            ..ct
        },
        "E" => IbsiSettings {
            interpolation: Some(linear(iso, Interpolator::Cubic)),
            resegment_range: Some([-1000.0, 400.0]),
            outlier_sigma: Some(3.0),
            discretisation: Discretisation::BinNumber(32),
            ivh: Discretisation::BinNumber(1000),
            dimensions: d3,
            ..ct
        },
        _ => return None,
    })
}

/// One reference row and how radaudit did.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The IBSI family (`morphology`, `glcm`, ...).
    pub family: String,
    /// The IBSI tag (`cm_joint_max_3D_comb`).
    pub tag: String,
    /// The aggregation as the reference table writes it (`3D, merged`).
    pub aggregation: String,
    /// The reference value.
    pub reference: f64,
    /// Its tolerance (0: equal to 3 significant digits).
    pub tolerance: f64,
    /// radaudit's value (absent when not computed).
    pub value: Option<f64>,
    /// Whether it is within tolerance.
    pub pass: bool,
}

/// A data set's comparison.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigResult {
    /// `dig` or `A`..`E`.
    pub config: String,
    /// The settings, in words.
    pub settings: String,
    /// Every reference row with radaudit's value.
    pub rows: Vec<Row>,
    /// Time to compute the data set's features.
    pub seconds: f64,
}

impl ConfigResult {
    /// Rows within tolerance.
    pub fn passed(&self) -> usize {
        self.rows.iter().filter(|r| r.pass).count()
    }
}

/// Rounds to 3 significant digits.
fn round3(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let e = x.abs().log10().floor() as i32;
    let scale = 10f64.powi(2 - e);
    (x * scale).round() / scale
}

/// Whether `value` matches `reference` within `tolerance` (0: equal to 3 significant digits).
pub fn within(value: f64, reference: f64, tolerance: f64) -> bool {
    if !value.is_finite() {
        return false;
    }
    if tolerance > 0.0 {
        // The tolerance is printed to a few digits; a hair's margin keeps rounding of the
        // difference itself from failing a value at the edge.
        (value - reference).abs() <= tolerance * (1.0 + 1e-9)
    } else {
        let (a, b) = (round3(value), round3(reference));
        (a - b).abs() <= 1e-9 * b.abs().max(1e-300)
    }
}

/// One row of an IBSI reference table.
struct Reference {
    family: String,
    tag: String,
    aggregation: String,
    value: f64,
    tolerance: f64,
}

impl Reference {
    /// The row with radaudit's value (`None`: not computed) and whether it passes.
    fn judge(self, value: Option<f64>) -> Row {
        Row {
            pass: value.is_some_and(|v| within(v, self.value, self.tolerance)),
            family: self.family,
            tag: self.tag,
            aggregation: self.aggregation,
            reference: self.value,
            tolerance: self.tolerance,
            value,
        }
    }
}

/// The reference rows of a data set.
fn reference_rows(dir: &Path, config: &str) -> Result<Vec<Reference>> {
    let (path, wanted) = if config == "dig" {
        (dir.join("digital_phantom/reference_values.csv"), None)
    } else {
        (
            dir.join("reference_values_all_configs.csv"),
            Some(format!("config. {config}")),
        )
    };
    let mut reader = csv::Reader::from_path(&path)
        .map_err(|e| Error::input(&path, format!("cannot read the IBSI reference table: {e}")))?;
    let headers = reader
        .headers()
        .map_err(|e| Error::input(&path, e.to_string()))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::input(&path, format!("missing column {name}")))
    };
    let (fam, tag, agg, reference, tol) = (
        col("family")?,
        col("ibsi_tag")?,
        col("aggregation")?,
        col("reference_value")?,
        col("tolerance")?,
    );
    let set = headers.iter().position(|h| h == "data_set");
    let mut out = Vec::new();
    for (k, record) in reader.records().enumerate() {
        let r = record.map_err(|e| Error::input(&path, format!("row {}: {e}", k + 2)))?;
        if let (Some(w), Some(s)) = (&wanted, set)
            && r.get(s) != Some(w.as_str())
        {
            continue;
        }
        let number = |c: usize, what: &str| -> Result<f64> {
            r.get(c)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .ok_or_else(|| {
                    Error::input(&path, format!("row {}: {what} is not a number", k + 2))
                })
        };
        // IBSI publishes no value for a few rows (config C's compactness 1): nothing to check.
        if r.get(reference).is_some_and(|v| v.trim().is_empty()) {
            continue;
        }
        // An empty tolerance is an exact value: 0, equal to 3 significant digits.
        let tolerance = if r.get(tol).is_some_and(|v| v.trim().is_empty()) {
            0.0
        } else {
            number(tol, "tolerance")?
        };
        out.push(Reference {
            family: r.get(fam).unwrap_or("").to_string(),
            tag: r.get(tag).unwrap_or("").to_string(),
            aggregation: r.get(agg).unwrap_or("").to_string(),
            value: number(reference, "reference_value")?,
            tolerance,
        });
    }
    if out.is_empty() {
        return Err(Error::input(
            &path,
            format!("no reference rows for data set {config}"),
        ));
    }
    Ok(out)
}

/// The image and mask of a data set.
fn phantom_paths(dir: &Path, config: &str) -> (PathBuf, PathBuf) {
    let base = if config == "dig" {
        dir.join("digital_phantom/nifti")
    } else {
        dir.join("ct_phantom/nifti")
    };
    (
        base.join("image/phantom.nii.gz"),
        base.join("mask/mask.nii.gz"),
    )
}

/// Where the CT phantom's image and ROI are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum CtSource {
    /// `ct_phantom/nifti`: the image and mask as NIfTI.
    #[default]
    Nifti,
    /// `ct_phantom/dicom`: the DICOM series and its RTSTRUCT, rasterised on the series' grid.
    Dicom,
}

/// The CT phantom's DICOM series and its ROI from the RTSTRUCT (its only ROI, as label 1).
fn ct_phantom_from_dicom(dir: &Path) -> Result<(PathBuf, PathBuf, Volume, Mask)> {
    let image_path = dir.join("ct_phantom/dicom/image");
    let mask_dir = dir.join("ct_phantom/dicom/mask");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&mask_dir)
        .map_err(|e| Error::input(&mask_dir, format!("cannot list: {e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| rtstruct::is_rtstruct(p))
        .collect();
    found.sort();
    let [mask_path] = &found[..] else {
        return Err(Error::input(
            &mask_dir,
            format!("expected one RTSTRUCT here, found {}", found.len()),
        ));
    };
    let options = ReadOptions::default();
    let image = read_volume(&image_path, &options)?;
    let set = rtstruct::read(mask_path)?;
    let [roi] = &set.rois[..] else {
        return Err(Error::input(
            mask_path,
            format!("expected one ROI, found {}", set.rois.len()),
        ));
    };
    let label = u16::try_from(roi.number)
        .map_err(|_| Error::input(mask_path, format!("ROI number {} above 65535", roi.number)))?;
    let mut mask = rtstruct::mask_on(mask_path, &image, &image_path, &options, label)?;
    mask.labels.mapv_inplace(|l| u16::from(l != 0));
    Ok((image_path, mask_path.clone(), image, mask))
}

/// Runs one data set against its reference rows, the CT phantom read from NIfTI.
pub fn run_config(dir: &Path, config: &str) -> Result<ConfigResult> {
    run_config_from(dir, config, CtSource::Nifti)
}

/// Runs one data set against its reference rows, the CT phantom read from `source`.
pub fn run_config_from(dir: &Path, config: &str, source: CtSource) -> Result<ConfigResult> {
    let settings = config_settings(config).ok_or_else(|| {
        Error::Usage(format!(
            "--config {config}: unknown; use one of {} or all",
            CONFIGS.join(", ")
        ))
    })?;
    let start = std::time::Instant::now();
    let rows = reference_rows(dir, config)?;
    let (image_path, mask_path, image, mask) = if source == CtSource::Dicom && config != "dig" {
        ct_phantom_from_dicom(dir)?
    } else {
        let (image_path, mask_path) = phantom_paths(dir, config);
        let options = ReadOptions::default();
        let image = read_volume(&image_path, &options)?;
        let mask = read_mask(&mask_path, &options)?;
        (image_path, mask_path, image, mask)
    };
    let values = crate::features::ibsi::compute(&image, &mask, &settings)
        .map_err(|e| e.naming(&image_path, &mask_path))?;
    let rows = rows
        .into_iter()
        .map(|r| {
            let value = values.iter().find(|v| v.name == r.tag).map(|v| v.value);
            r.judge(value)
        })
        .collect();
    Ok(ConfigResult {
        config: config.to_string(),
        settings: settings.describe(),
        rows,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The digital phantom in the PyRadiomics convention: radaudit's PyRadiomics mode (equal to
/// PyRadiomics 3.1) with bin width 1 and no shift, 3-D and `force2D`, angles averaged and
/// merged (`weightingNorm: no_weighting`), against the IBSI reference rows that
/// `pyradiomics_mapping/mapping_phantom.csv` pairs with a PyRadiomics feature. It shows where
/// PyRadiomics departs from IBSI; a feature radaudit does not compute in that mode (PyRadiomics'
/// deprecated ones) has no value.
pub fn pyradiomics_convention(dir: &Path) -> Result<ConfigResult> {
    let start = std::time::Instant::now();
    let mapping_path = dir.join("pyradiomics_mapping/mapping_phantom.csv");
    let mut reader = csv::Reader::from_path(&mapping_path)
        .map_err(|e| Error::input(&mapping_path, format!("cannot read: {e}")))?;
    let mut mapping = Vec::new();
    for (k, record) in reader.records().enumerate() {
        let r = record.map_err(|e| Error::input(&mapping_path, format!("row {}: {e}", k + 2)))?;
        if let (Some(tag), Some(name)) = (r.get(0), r.get(1)) {
            mapping.push((tag.to_string(), name.to_string()));
        }
    }
    let (image_path, mask_path) = phantom_paths(dir, "dig");
    let options = ReadOptions::default();
    let image = read_volume(&image_path, &options)?;
    let mask = read_mask(&mask_path, &options)?;
    // Longest prefix first, so that "3D_Combined_" is tried before "3D_".
    let mut runs: Vec<(&str, Vec<crate::features::FeatureValue>)> = Vec::new();
    for (prefix, force2d, merged) in [
        ("3D_Combined_", false, true),
        ("2D_Combined_", true, true),
        ("3D_", false, false),
        ("2D_", true, false),
    ] {
        let mut setting = serde_json::json!({"binWidth": 1, "label": 1, "force2D": force2d});
        if merged {
            setting["weightingNorm"] = "no_weighting".into();
        }
        let params = Params::from_value(&serde_json::json!({ "setting": setting }))
            .map_err(Error::Internal)?;
        let values = pyradiomics_in_memory(&image, &mask, 1, &params)
            .map_err(|e| e.naming(&image_path, &mask_path))?;
        runs.push((prefix, values));
    }
    let value_of = |name: &str| -> Option<f64> {
        let (prefix, values) = runs.iter().find(|(p, _)| name.starts_with(p))?;
        let feature = &name[prefix.len()..];
        values.iter().find(|v| v.name == feature).map(|v| v.value)
    };
    let rows = reference_rows(dir, "dig")?
        .into_iter()
        .filter_map(|r| {
            let (_, name) = mapping.iter().find(|(t, _)| *t == r.tag)?;
            let value = value_of(name);
            Some(r.judge(value))
        })
        .collect();
    Ok(ConfigResult {
        config: "dig, PyRadiomics convention".into(),
        settings: "PyRadiomics 3.1 convention, bin width 1, voxelArrayShift 0".into(),
        rows,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// What `radaudit ibsi-check` was asked.
pub struct CheckArgs {
    /// `dig`, `A`..`E`, or `all`.
    pub config: String,
    /// The IBSI 1 reference folder (`digital_phantom/`, `ct_phantom/`, the tables).
    pub reference: PathBuf,
    /// The output folder.
    pub out: PathBuf,
    /// Where the CT phantom is read from.
    pub ct_from: CtSource,
}

/// ibsi_check.json: every data set's rows, a summary per data set, and the digital phantom in
/// the PyRadiomics convention for comparison. The report reads this same value.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResults {
    /// The program that wrote the file.
    pub tool: Tool,
    /// The IBSI 1 reference folder.
    pub reference: String,
    /// Pass counts per data set.
    pub summary: Vec<ConfigSummary>,
    /// Every data set's rows.
    pub results: Vec<ConfigResult>,
    /// The digital phantom in the PyRadiomics convention, mapped to IBSI tags (for comparison).
    pub pyradiomics_convention: Option<ConfigResult>,
}

/// One data set's counts.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigSummary {
    /// `dig` or `A`..`E`.
    pub config: String,
    /// Rows checked.
    pub rows: usize,
    /// Rows within tolerance.
    pub passed: usize,
    /// Seconds spent.
    pub seconds: f64,
}

impl CheckResults {
    /// Whether every row of every data set passed.
    pub fn passed(&self) -> bool {
        self.results.iter().all(|r| r.passed() == r.rows.len())
    }
}

/// The outcome: the results and a printable summary.
pub struct IbsiChecked {
    /// The results written to ibsi_check.json.
    pub results: CheckResults,
    /// Lines for the terminal.
    pub summary: String,
}

/// Pass counts per family (rows) and data set (columns), as text.
fn summary_table(results: &[ConfigResult]) -> String {
    let mut out = format!("{:<28}", "family");
    for r in results {
        out.push_str(&format!("{:>12}", r.config));
    }
    out.push('\n');
    for (family, _) in crate::features::ibsi::FAMILIES {
        out.push_str(&format!("{family:<28}"));
        for r in results {
            let rows: Vec<&Row> = r.rows.iter().filter(|x| x.family == family).collect();
            let pass = rows.iter().filter(|x| x.pass).count();
            out.push_str(&format!("{:>12}", format!("{pass}/{}", rows.len())));
        }
        out.push('\n');
    }
    out.push_str(&format!("{:<28}", "all"));
    for r in results {
        out.push_str(&format!(
            "{:>12}",
            format!("{}/{}", r.passed(), r.rows.len())
        ));
    }
    out.push('\n');
    out
}

/// Runs the asked data sets, writes `ibsi_check.csv`, `ibsi_check.json` and `report.html`
/// into `out` (the report is the command's), and returns the results and the summary.
pub fn run(args: &CheckArgs) -> Result<IbsiChecked> {
    let configs: Vec<&str> = if args.config == "all" {
        CONFIGS.to_vec()
    } else {
        vec![
            CONFIGS
                .iter()
                .find(|c| c.eq_ignore_ascii_case(&args.config))
                .copied()
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "--config {}: unknown; use one of {} or all",
                        args.config,
                        CONFIGS.join(", ")
                    ))
                })?,
        ]
    };
    if !args.reference.is_dir() {
        return Err(Error::input(
            &args.reference,
            "not a folder; give the IBSI 1 reference folder with --reference or set RADAUDIT_REFERENCE to the folder holding ibsi1/",
        ));
    }
    let with_dig = configs.contains(&"dig");
    let progress = crate::progress::Progress::new(
        "ibsi-check",
        (configs.len() + usize::from(with_dig)) as u64,
        "data sets",
    );
    let mut results = Vec::new();
    for c in configs {
        results.push(run_config_from(&args.reference, c, args.ct_from)?);
        progress.inc(1);
    }
    // The digital phantom once more in the PyRadiomics convention, for comparison.
    let pyradiomics = if with_dig {
        let r = pyradiomics_convention(&args.reference)?;
        progress.inc(1);
        Some(r)
    } else {
        None
    };
    progress.finish();
    let mut csv =
        String::from("config,family,aggregation,ibsi_tag,reference,tolerance,value,pass\n");
    for r in &results {
        for row in &r.rows {
            csv.push_str(&format!(
                "{},{},\"{}\",{},{},{},{},{}\n",
                r.config,
                row.family,
                row.aggregation,
                row.tag,
                row.reference,
                row.tolerance,
                row.value.map(|v| v.to_string()).unwrap_or_default(),
                row.pass
            ));
        }
    }
    std::fs::create_dir_all(&args.out).map_err(|e| Error::output(&args.out, e.to_string()))?;
    crate::output::write_bytes(&args.out.join("ibsi_check.csv"), csv.as_bytes())?;
    let mut summary = summary_table(&results);
    for r in &results {
        for row in r.rows.iter().filter(|x| !x.pass) {
            summary.push_str(&format!(
                "FAIL {} {} ({}): {} vs reference {} ± {}\n",
                r.config,
                row.tag,
                row.aggregation,
                row.value
                    .map(|v| format!("{v:.6}"))
                    .unwrap_or("missing".into()),
                row.reference,
                row.tolerance
            ));
        }
    }
    if let Some(p) = &pyradiomics {
        summary.push_str(&format!(
            "PyRadiomics convention on the digital phantom (for comparison, not part of the check): {} of {} mapped rows within tolerance\n",
            p.passed(),
            p.rows.len()
        ));
    }
    let results = CheckResults {
        tool: Tool::this(),
        reference: args.reference.display().to_string(),
        summary: results
            .iter()
            .map(|r| ConfigSummary {
                config: r.config.clone(),
                rows: r.rows.len(),
                passed: r.passed(),
                seconds: r.seconds,
            })
            .collect(),
        results,
        pyradiomics_convention: pyradiomics,
    };
    crate::output::write_json(&args.out.join("ibsi_check.json"), &results)?;
    Ok(IbsiChecked { results, summary })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerance_zero_means_three_significant_digits() {
        assert!(within(0.06757, 0.0676, 0.0));
        assert!(!within(0.06749, 0.0676, 0.0));
        assert!(within(549.6, 550.0, 0.0));
        assert!(within(-0.3552, -0.355, 0.0));
        assert!(!within(f64::NAN, 1.0, 0.0));
        assert!(within(560.0, 556.0, 4.0));
        assert!(!within(560.1, 556.0, 4.0));
    }
}
