//! `radaudit calibrate`: a site's HU-to-BMD calibration from a scan of a QCT phantom. Finds
//! the phantom (`locate`), measures mean and SD HU in each rod's eroded ROI over all slices,
//! fits HU = a + b x density by least squares (slope CI, R^2, residuals), converts test rods
//! and an optional vertebral ROI to vBMD (with the ACR QCT category: < 80 mg/cm3
//! osteoporosis, 80-120 low bone mass, > 120 normal), and compares with a reference site's
//! calibration against the phantom file's limits. Writes calibration.json and returns the
//! typed [`Calibration`] (`radaudit calibrate` renders report.html from it); the command exits
//! with code 1 when the site fails a limit.

pub mod features;
pub mod locate;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::error::{Error, Result};
use crate::output::{Tool, write_json};
use crate::phantom::qct::{Pose, QctPhantom};
use crate::table::format_short;
use crate::volume::io::{ReadOptions, read_mask, read_volume};
use crate::volume::padding;
use crate::volume::slice::{AxialSlice, Field};

/// What `radaudit calibrate` was asked to do.
#[derive(Debug, Clone)]
pub struct CalibrateArgs {
    pub scan: PathBuf,
    pub phantom: PathBuf,
    pub vertebra_mask: Option<PathBuf>,
    pub reference: Option<PathBuf>,
    /// Reference scans' texture_features.csv, for the feature-level site check.
    pub features: Vec<PathBuf>,
    pub out: PathBuf,
}

/// calibration.json: everything measured and decided. The report reads this same value.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    pub tool: Tool,
    pub scan: String,
    pub phantom: PhantomFile,
    pub pose: Pose,
    pub inserts: Vec<Measured>,
    pub calibration: Line,
    pub vertebra: Option<Vertebra>,
    pub comparison: Option<Comparison>,
    pub feature_check: Option<FeatureCheck>,
    pub passed: bool,
}

/// The phantom definition used.
#[derive(Debug, Clone, Serialize)]
pub struct PhantomFile {
    pub name: String,
    pub file: String,
    pub material: String,
    pub source: String,
}

/// The vertebral ROI converted to vBMD.
#[derive(Debug, Clone, Serialize)]
pub struct Vertebra {
    pub mean_hu: f64,
    pub sd_hu: f64,
    pub voxels: usize,
    pub vbmd: f64,
    pub acr_category: String,
}

/// The site against a reference site's calibration, limit by limit.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub reference: String,
    pub reference_calibration: Line,
    pub limits: Vec<LimitCheck>,
    pub passed: bool,
}

/// One limit of the phantom file.
#[derive(Debug, Clone, Serialize)]
pub struct LimitCheck {
    pub limit: String,
    pub value: f64,
    pub allowed: f64,
    pub passed: bool,
    pub text: String,
}

/// The feature-level site check's counts.
#[derive(Debug, Clone, Serialize)]
pub struct FeatureCheck {
    pub references: usize,
    pub z_limit: f64,
    pub features: usize,
    pub outside_range: usize,
    pub unusable: Vec<String>,
}

/// The calibration picture's longer side, in pixels.
const PICTURE_PIXELS: usize = 480;

/// How a calibration ended: its result, lines for the terminal and the picture's data.
pub struct Calibrated {
    pub result: Calibration,
    pub summary: String,
    pub picture: Picture,
}

/// What the report draws: the scan's middle slice (the vertebral ROI with it, when given)
/// and the texture region (name, centre x and y, radius in mm).
pub struct Picture {
    pub slice: AxialSlice,
    pub texture: Option<(String, [f64; 2], f64)>,
}

/// One rod measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    pub name: String,
    pub role: String,
    pub density: f64,
    pub mean_hu: f64,
    pub sd_hu: f64,
    pub voxels: usize,
    /// Residual from the fit (calibration rods) or the recovered density (test rods).
    pub residual_hu: Option<f64>,
    pub vbmd: Option<f64>,
    /// Where the rod was found: its centre (x, y in the scan's LPS mm) and the radius
    /// measured (the rod's less the phantom's erosion). Absent in files of radaudit < 0.2.
    #[serde(default)]
    pub centre_mm: Option<[f64; 2]>,
    #[serde(default)]
    pub radius_mm: Option<f64>,
}

/// The least-squares line HU = intercept + slope x density.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub intercept: f64,
    pub slope: f64,
    pub slope_ci: [f64; 2],
    pub r_squared: f64,
}

impl Line {
    pub fn density(&self, hu: f64) -> f64 {
        (hu - self.intercept) / self.slope
    }
}

/// Least squares with the slope's 95% CI (t with n - 2 df).
pub fn fit_line(x: &[f64], y: &[f64]) -> Line {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxx: f64 = x.iter().map(|v| (v - mx).powi(2)).sum();
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let syy: f64 = y.iter().map(|v| (v - my).powi(2)).sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let sse: f64 = x
        .iter()
        .zip(y)
        .map(|(a, b)| (b - intercept - slope * a).powi(2))
        .sum();
    let half = if n > 2.0 {
        let t = StudentsT::new(0.0, 1.0, n - 2.0).map_or(f64::NAN, |d| d.inverse_cdf(0.975));
        t * (sse / (n - 2.0) / sxx).sqrt()
    } else {
        f64::NAN
    };
    Line {
        intercept,
        slope,
        slope_ci: [slope - half, slope + half],
        r_squared: if syy > 0.0 { 1.0 - sse / syy } else { f64::NAN },
    }
}

/// The ACR QCT category of a trabecular vBMD (mg/cm3 HA).
pub fn acr_category(vbmd: f64) -> &'static str {
    if vbmd < 80.0 {
        "osteoporosis"
    } else if vbmd <= 120.0 {
        "low bone mass"
    } else {
        "normal"
    }
}

/// Mean and sample SD (0 for a single value).
fn mean_sd(values: &[f64]) -> (f64, f64) {
    if values.len() < 2 {
        return (values.first().copied().unwrap_or(f64::NAN), 0.0);
    }
    let (m, var) = crate::stats::mean_var(values);
    (m, var.sqrt())
}

/// Whether any voxel of an in-plane `disc` (indices j * nx + i) is padding in any slice.
fn outside_field(padded: &ndarray::Array3<bool>, disc: &[usize], nx: usize) -> bool {
    padded
        .outer_iter()
        .any(|slice| disc.iter().any(|&p| slice[(p / nx, p % nx)]))
}

/// Runs the calibration.
pub fn run(a: &CalibrateArgs) -> Result<Calibrated> {
    let phantom = QctPhantom::load(&a.phantom)?;
    let mut scan = read_volume(&a.scan, &ReadOptions::default())?;
    // Out-of-field padding (-2048, -3024 HU) is air for finding the phantom and no voxel of
    // an insert, the texture region or the vertebral ROI.
    let padded = match padding::detect(&scan.voxels) {
        Some(p) => {
            eprintln!(
                "notice: {}: {} voxels hold {} HU, outside the field of view: left out",
                a.scan.display(),
                p.voxels,
                p.value
            );
            let padded = scan.voxels.mapv(|v| v == p.value);
            scan.voxels
                .mapv_inplace(|v| if v == p.value { -1024.0 } else { v });
            padded
        }
        None => ndarray::Array3::from_elem(scan.voxels.raw_dim(), false),
    };
    let (lo, hi) = scan
        .voxels
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    if !(lo >= -1024.5 && hi <= 4000.0) {
        return Err(Error::input(
            &a.scan,
            format!("values {lo} to {hi} are outside -1024..4000 HU: not a CT scan in HU"),
        ));
    }
    let plane = locate::Plane::of(&scan);
    let pose = locate::locate(&plane, &phantom)
        .ok_or_else(|| Error::input(&a.scan, "no phantom body (nothing above -500 HU)"))?;
    let mut measured = Vec::new();
    let [nx, _, nz] = scan.geometry.size;
    for insert in &phantom.inserts {
        let (x, y) = pose.place(insert.x, insert.y);
        if !plane.holds_disc(x, y, insert.diameter / 2.0) {
            return Err(Error::input(
                &a.scan,
                format!(
                    "insert {} (found at x {x:.1}, y {y:.1} mm) lies outside the field of view",
                    insert.name
                ),
            ));
        }
        let disc = plane.disc(x, y, insert.diameter / 2.0 - phantom.erosion);
        if outside_field(&padded, &disc, nx) {
            return Err(Error::input(
                &a.scan,
                format!(
                    "insert {} (found at x {x:.1}, y {y:.1} mm) reaches outside the reconstructed field of view (padding)",
                    insert.name
                ),
            ));
        }
        let values: Vec<f64> = (0..nz)
            .flat_map(|k| disc.iter().map(move |&p| (k, p)))
            .map(|(k, p)| f64::from(scan.voxels[(k, p / nx, p % nx)]))
            .collect();
        let (m, sd) = mean_sd(&values);
        measured.push(Measured {
            name: insert.name.clone(),
            role: insert.role.clone(),
            density: insert.density,
            mean_hu: m,
            sd_hu: sd,
            voxels: values.len(),
            residual_hu: None,
            vbmd: None,
            centre_mm: Some([x, y]),
            radius_mm: Some(insert.diameter / 2.0 - phantom.erosion),
        });
    }
    let cal: Vec<&Measured> = measured
        .iter()
        .filter(|m| m.role == "calibration")
        .collect();
    for w in cal.windows(2) {
        if w[1].mean_hu <= w[0].mean_hu {
            return Err(Error::input(
                &a.scan,
                format!(
                    "inserts {} ({:.1} HU) and {} ({:.1} HU): CT numbers do not rise with density (wrong phantom file, or inserts swapped?)",
                    w[0].name, w[0].mean_hu, w[1].name, w[1].mean_hu
                ),
            ));
        }
    }
    let xs: Vec<f64> = cal.iter().map(|m| m.density).collect();
    let ys: Vec<f64> = cal.iter().map(|m| m.mean_hu).collect();
    let line = fit_line(&xs, &ys);
    for m in &mut measured {
        if m.role == "calibration" {
            m.residual_hu = Some(m.mean_hu - line.intercept - line.slope * m.density);
        } else {
            m.vbmd = Some(line.density(m.mean_hu));
        }
    }
    let mut vertebral_roi = None;
    let vertebra = match &a.vertebra_mask {
        Some(path) => {
            let mask = read_mask(path, &ReadOptions::default())?;
            if mask.geometry.size != scan.geometry.size {
                return Err(Error::input(
                    path,
                    "the mask's grid differs from the scan's",
                ));
            }
            let values: Vec<f64> = scan
                .voxels
                .iter()
                .zip(mask.labels.iter())
                .zip(padded.iter())
                .filter(|((_, l), p)| **l != 0 && !**p)
                .map(|((v, _), _)| f64::from(*v))
                .collect();
            if values.is_empty() {
                return Err(Error::input(path, "the vertebral ROI is empty"));
            }
            vertebral_roi = Some(mask.labels.mapv(|l| l != 0));
            let (m, sd) = mean_sd(&values);
            let vbmd = line.density(m);
            Some(Vertebra {
                mean_hu: m,
                sd_hu: sd,
                voxels: values.len(),
                vbmd,
                acr_category: acr_category(vbmd).into(),
            })
        }
        None => None,
    };
    let comparison = match &a.reference {
        Some(path) => Some(compare(path, &line, &phantom)?),
        None => None,
    };
    std::fs::create_dir_all(&a.out).map_err(|e| Error::output(&a.out, e.to_string()))?;
    let texture = match &phantom.texture {
        Some(t) => {
            let (x, y) = pose.place(t.x, t.y);
            if !plane.holds_disc(x, y, t.diameter / 2.0)
                || outside_field(&padded, &plane.disc(x, y, t.diameter / 2.0), nx)
            {
                return Err(Error::input(
                    &a.scan,
                    format!("texture region {} lies outside the field of view", t.name),
                ));
            }
            let values = features::texture_features(&scan, &plane, pose, t)?;
            features::write_features(&a.out.join("texture_features.csv"), &values)?;
            Some(values)
        }
        None if !a.features.is_empty() => {
            return Err(Error::input(
                &a.phantom,
                "--features needs a texture section in the phantom file",
            ));
        }
        None => None,
    };
    let feature_check = match (&texture, a.features.is_empty()) {
        (Some(values), false) => {
            let checks = features::check(values, &a.features)?;
            features::write_checks(&a.out.join("feature_check.csv"), &checks)?;
            let unusable: Vec<String> = checks
                .iter()
                .filter(|c| !c.usable)
                .map(|c| c.feature.clone())
                .collect();
            Some(FeatureCheck {
                references: a.features.len(),
                z_limit: features::limit(a.features.len()),
                features: checks.len(),
                outside_range: checks.iter().filter(|c| c.outside_range).count(),
                unusable,
            })
        }
        _ => None,
    };
    let passed = comparison.as_ref().is_none_or(|c| c.passed);
    let result = Calibration {
        tool: Tool::this(),
        scan: a.scan.display().to_string(),
        phantom: PhantomFile {
            name: phantom.name.clone(),
            file: a.phantom.display().to_string(),
            material: phantom.material.clone(),
            source: phantom.source.clone(),
        },
        pose,
        inserts: measured,
        calibration: line,
        vertebra,
        comparison,
        feature_check,
        passed,
    };
    write_json(&a.out.join("calibration.json"), &result)?;
    let mut summary = format!(
        "{}: HU = {:.2} + {:.4} x density (R^2 {:.5}); phantom at x {}, y {} mm, {} deg\n",
        if passed { "PASS" } else { "FAIL" },
        line.intercept,
        line.slope,
        line.r_squared,
        format_short(pose.x, 1),
        format_short(pose.y, 1),
        format_short(pose.angle, 1)
    );
    if let Some(f) = &result.feature_check {
        summary += &format!(
            "  features: {} of {} outside the reference scanner's 99.73% prediction interval (|z| > {:.2} for {} reference scans)\n",
            f.unusable.len(),
            f.features,
            f.z_limit,
            f.references
        );
    }
    if let Some(c) = &result.comparison {
        for l in &c.limits {
            summary += &format!("  {}\n", l.text);
        }
    }
    let slice = Field::whole(&scan.geometry, PICTURE_PIXELS).sample(&scan, vertebral_roi.as_ref());
    let texture = phantom.texture.as_ref().map(|t| {
        let (x, y) = pose.place(t.x, t.y);
        (t.name.clone(), [x, y], t.diameter / 2.0)
    });
    Ok(Calibrated {
        result,
        summary,
        picture: Picture { slice, texture },
    })
}

/// The site's calibration against a reference site's calibration.json, limit by limit.
fn compare(path: &Path, line: &Line, phantom: &QctPhantom) -> Result<Comparison> {
    let text = crate::yaml::read_text(path)?;
    let v: Value =
        serde_json::from_str(&text).map_err(|e| Error::input(path, format!("not JSON: {e}")))?;
    let reference: Line = serde_json::from_value(v["calibration"].clone())
        .map_err(|e| Error::input(path, format!("no calibration in it: {e}")))?;
    let limits = phantom.limits;
    let slope_diff = 100.0 * (line.slope - reference.slope) / reference.slope;
    let intercept_diff = line.intercept - reference.intercept;
    // A voxel the reference reads as 100 mg/cm3, read with this site's calibration.
    let at_100 = line.density(reference.intercept + reference.slope * 100.0) - 100.0;
    let check = |name: &str, value: f64, limit: f64, unit: &str| {
        let ok = value.abs() <= limit;
        LimitCheck {
            limit: name.into(),
            value,
            allowed: limit,
            passed: ok,
            text: format!(
                "{name}: {value:+.2} {unit} (allowed +/- {limit} {unit}): {}",
                if ok {
                    "within".to_string()
                } else {
                    format!("FAILS by {:.2} {unit}", value.abs() - limit)
                }
            ),
        }
    };
    let checks = vec![
        check("slope difference", slope_diff, limits.slope_percent, "%"),
        check(
            "intercept difference",
            intercept_diff,
            limits.intercept_hu,
            "HU",
        ),
        check(
            "vBMD difference at 100 mg/cm3",
            at_100,
            limits.vbmd_at_100,
            "mg/cm3",
        ),
    ];
    let passed = checks.iter().all(|c| c.passed);
    Ok(Comparison {
        reference: path.display().to_string(),
        reference_calibration: reference,
        limits: checks,
        passed,
    })
}
