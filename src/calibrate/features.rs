//! The feature-level site check: radiomic features of the phantom's uniform texture region
//! (its noise texture, which the scanner's noise power spectrum and resolution set) on the
//! site's scan, against their distribution over a reference scanner's scans: z-score and
//! range per feature, and the features the site cannot use. A feature is unusable when the
//! site's value falls outside the 99.73% prediction interval of one more reference scan
//! (mean +/- t(n-1) x SD x sqrt(1 + 1/n), the small-sample form of |z| > 3), so a few
//! reference scans do not flag features by chance.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::locate::Plane;
use crate::error::{Error, Result};
use crate::features::pyradiomics::discretise::Binning;
use crate::features::pyradiomics::settings::Params;
use crate::phantom::qct::{Pose, TextureRoi};
use crate::table::Table;
use crate::volume::{Mask, Volume};

/// The normal |z| whose two-sided tail the prediction interval keeps (0.27%).
pub const Z_LIMIT: f64 = 3.0;

/// The prediction-interval multiplier for `n` reference scans: t(n - 1) at the quantile of
/// a normal |z| of [`Z_LIMIT`], times sqrt(1 + 1/n).
pub fn limit(n: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
    let q = Normal::new(0.0, 1.0).map_or(0.99865, |d| d.cdf(Z_LIMIT));
    let t =
        StudentsT::new(0.0, 1.0, (n as f64 - 1.0).max(1.0)).map_or(f64::NAN, |d| d.inverse_cdf(q));
    t * (1.0 + 1.0 / n as f64).sqrt()
}

/// The texture region's features on a scan (name, value).
pub fn texture_features(
    scan: &Volume,
    plane: &Plane,
    pose: Pose,
    t: &TextureRoi,
) -> Result<Vec<(String, f64)>> {
    let (x, y) = pose.place(t.x, t.y);
    let disc = plane.disc(x, y, t.diameter / 2.0);
    let [nx, _, _] = scan.geometry.size;
    let mut labels = ndarray::Array3::<u16>::zeros(scan.voxels.raw_dim());
    for k in 0..scan.geometry.size[2] {
        for &p in &disc {
            labels[(k, p / nx, p % nx)] = 1;
        }
    }
    let mask = Mask {
        geometry: scan.geometry.clone(),
        labels,
    };
    // Intensity and texture only: the region's shape is the phantom's, not the scanner's.
    let mut params = Params::default();
    params
        .classes
        .remove(&crate::features::pyradiomics::FeatureClass::Shape);
    params.settings.binning = Binning::Width(t.bin_width);
    let values = crate::features::pyradiomics_in_memory(scan, &mask, 1, &params)
        .map_err(|_| Error::Usage(format!("texture region {} could not be prepared", t.name)))?;
    Ok(values.into_iter().map(|v| (v.name, v.value)).collect())
}

/// One feature against the reference distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureCheck {
    pub feature: String,
    pub site: f64,
    pub reference_mean: f64,
    pub reference_sd: f64,
    pub reference_min: f64,
    pub reference_max: f64,
    pub z: f64,
    pub outside_range: bool,
    pub usable: bool,
}

/// The site's features against the reference scans' texture_features.csv files (at least 2).
pub fn check(site: &[(String, f64)], references: &[PathBuf]) -> Result<Vec<FeatureCheck>> {
    if references.len() < 2 {
        return Err(Error::Usage(
            "--features needs at least 2 reference scans' texture_features.csv (a distribution)"
                .into(),
        ));
    }
    let tables: Vec<(PathBuf, Vec<(String, f64)>)> = references
        .iter()
        .map(|p| read(p).map(|t| (p.clone(), t)))
        .collect::<Result<_>>()?;
    let bound = limit(tables.len());
    site.iter()
        .map(|(name, v)| {
            let values: Vec<f64> = tables
                .iter()
                .map(|(path, t)| {
                    t.iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, v)| *v)
                        .ok_or_else(|| Error::input(path, format!("no feature {name}")))
                })
                .collect::<Result<_>>()?;
            let (mean, var) = crate::stats::mean_var(&values);
            let sd = var.sqrt();
            let (min, max) = values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                    (a.min(x), b.max(x))
                });
            let z = if sd > 0.0 {
                (v - mean) / sd
            } else if *v == mean {
                0.0
            } else {
                f64::INFINITY
            };
            let outside = *v < min || *v > max;
            Ok(FeatureCheck {
                feature: name.clone(),
                site: *v,
                reference_mean: mean,
                reference_sd: sd,
                reference_min: min,
                reference_max: max,
                z,
                outside_range: outside,
                usable: z.abs() <= bound,
            })
        })
        .collect()
}

fn read(path: &Path) -> Result<Vec<(String, f64)>> {
    let t = Table::read(path)?;
    let names = t.required_text("feature")?;
    let values = t.numbers("value")?;
    Ok(names.into_iter().zip(values).collect())
}

/// texture_features.csv.
pub fn write_features(path: &Path, features: &[(String, f64)]) -> Result<()> {
    let mut text = String::from("feature,value\n");
    for (n, v) in features {
        text += &format!("{n},{}\n", crate::table::format_number(*v));
    }
    crate::output::write_bytes(path, text.as_bytes())
}

/// feature_check.csv.
pub fn write_checks(path: &Path, checks: &[FeatureCheck]) -> Result<()> {
    let f = crate::table::format_number;
    let mut text = String::from(
        "feature,site,reference_mean,reference_sd,reference_min,reference_max,z,outside_range,usable\n",
    );
    for c in checks {
        text += &format!(
            "{},{},{},{},{},{},{},{},{}\n",
            c.feature,
            f(c.site),
            f(c.reference_mean),
            f(c.reference_sd),
            f(c.reference_min),
            f(c.reference_max),
            f(c.z),
            c.outside_range,
            c.usable
        );
    }
    crate::output::write_bytes(path, text.as_bytes())
}
