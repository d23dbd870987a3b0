//! Quantitative-CT calibration phantoms: their definition (YAML in `phantoms/`: a
//! water-equivalent cylinder with rods of known mineral density) and a synthetic scan of one
//! (`radaudit phantom qct`) through the perturbation module's kV and scanner models, so a
//! site can try the calibration without data.
//!
//! The synthetic scan's CT numbers at 120 kV are body HU + hu_per_mg x density inside a rod,
//! computed at supersampled points (partial volume at the rod edges); then converted to the
//! scan's kV (`perturb::kvp`: the part above water scales by the bone factor), blurred and
//! given noise by the scanner profile, and clipped to the CT range -1024..3071 HU.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::perturb::{kvp, random, scanner};
use crate::volume::{Geometry, PixelType, Volume};

/// One rod.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Insert {
    pub name: String,
    /// Mineral density, mg/cm3 of the phantom's material.
    pub density: f64,
    /// Centre in the phantom's frame, mm (x to the patient's left, y posterior).
    pub x: f64,
    pub y: f64,
    pub diameter: f64,
    /// `calibration` (used for the fit, the default) or `test` (measured and converted, as a
    /// check of the calibration).
    #[serde(default = "calibration_role")]
    pub role: String,
}

fn calibration_role() -> String {
    "calibration".into()
}

/// A uniform region whose radiomic features (its noise texture, set by the scanner's noise
/// power spectrum and resolution) are compared between sites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextureRoi {
    pub name: String,
    pub x: f64,
    pub y: f64,
    pub diameter: f64,
    /// PyRadiomics binWidth for the features (HU).
    #[serde(default = "five")]
    pub bin_width: f64,
}

fn five() -> f64 {
    5.0
}

/// The limits a site's calibration must meet against a reference site's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Slope difference, percent of the reference slope.
    pub slope_percent: f64,
    /// Intercept difference, HU.
    pub intercept_hu: f64,
    /// |vBMD - 100| for a voxel the reference reads as 100 mg/cm3, mg/cm3.
    pub vbmd_at_100: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            slope_percent: 5.0,
            intercept_hu: 10.0,
            vbmd_at_100: 5.0,
        }
    }
}

/// A phantom definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QctPhantom {
    pub name: String,
    /// Where the densities come from.
    pub source: String,
    /// hydroxyapatite or k2hpo4.
    pub material: String,
    /// HU per mg/cm3 of the material at 120 kV (for the synthetic scan only; a calibration
    /// measures it).
    pub hu_per_mg: f64,
    /// The cylinder's diameter and length, mm, and its CT number (water-equivalent).
    pub body_diameter: f64,
    pub body_length: f64,
    #[serde(default)]
    pub body_hu: f64,
    pub inserts: Vec<Insert>,
    /// Margin inside each rod's edge left out of its ROI, mm.
    #[serde(default = "two")]
    pub erosion: f64,
    #[serde(default)]
    pub limits: Limits,
    /// The region for the feature-level site check.
    #[serde(default)]
    pub texture: Option<TextureRoi>,
    /// Voxel size of the synthetic scan, mm.
    #[serde(default = "default_spacing")]
    pub spacing: [f64; 3],
}

fn two() -> f64 {
    2.0
}

fn default_spacing() -> [f64; 3] {
    [0.7, 0.7, 1.0]
}

impl QctPhantom {
    /// Reads and checks a definition; errors name the file and the field or inserts.
    pub fn load(path: &std::path::Path) -> Result<QctPhantom> {
        let text = crate::yaml::read_text(path)?;
        let p: QctPhantom = crate::yaml::parse(path, &text)?;
        p.validate().map_err(|e| Error::input(path, e))?;
        Ok(p)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        if !["hydroxyapatite", "k2hpo4"].contains(&self.material.as_str()) {
            return Err(format!(
                "material: {:?} (use hydroxyapatite or k2hpo4)",
                self.material
            ));
        }
        for (name, v) in [
            ("hu_per_mg", self.hu_per_mg),
            ("body_diameter", self.body_diameter),
            ("body_length", self.body_length),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("{name}: must be > 0, got {v}"));
            }
        }
        if self.spacing.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            return Err("spacing: every voxel size must be > 0".into());
        }
        for (k, i) in self.inserts.iter().enumerate() {
            if !["calibration", "test"].contains(&i.role.as_str()) {
                return Err(format!(
                    "inserts[{k}] ({}): role {:?} (use calibration or test)",
                    i.name, i.role
                ));
            }
            if i.diameter.is_nan() || i.diameter <= 2.0 * self.erosion + 1.0 {
                return Err(format!(
                    "inserts[{k}] ({}): diameter {} leaves no ROI after the {} mm erosion",
                    i.name, i.diameter, self.erosion
                ));
            }
            if (i.x * i.x + i.y * i.y).sqrt() + i.diameter / 2.0 > self.body_diameter / 2.0 {
                return Err(format!(
                    "inserts[{k}] ({}): reaches outside the phantom body",
                    i.name
                ));
            }
            for (m, j) in self.inserts[..k].iter().enumerate() {
                let d = ((i.x - j.x).powi(2) + (i.y - j.y).powi(2)).sqrt();
                if d < (i.diameter + j.diameter) / 2.0 {
                    return Err(format!(
                        "inserts[{m}] ({}) and inserts[{k}] ({}) overlap ({d:.1} mm apart, radii {} and {})",
                        j.name,
                        i.name,
                        j.diameter / 2.0,
                        i.diameter / 2.0
                    ));
                }
            }
        }
        if let Some(t) = &self.texture {
            if (t.x * t.x + t.y * t.y).sqrt() + t.diameter / 2.0 > self.body_diameter / 2.0 {
                return Err(format!(
                    "texture ({}): reaches outside the phantom body",
                    t.name
                ));
            }
            if let Some(i) = self.inserts.iter().find(|i| {
                ((i.x - t.x).powi(2) + (i.y - t.y).powi(2)).sqrt() < (i.diameter + t.diameter) / 2.0
            }) {
                return Err(format!("texture ({}) overlaps insert {}", t.name, i.name));
            }
            // A bin under 0.01 HU resolves nothing a CT measures, and would make millions of
            // bins.
            if t.diameter.is_nan() || t.diameter <= 0.0 || !(0.01..=1e4).contains(&t.bin_width) {
                return Err(format!(
                    "texture ({}): diameter must be > 0 and bin_width 0.01 to 10000 HU",
                    t.name
                ));
            }
        }
        for (name, v, hi) in [
            ("limits.slope_percent", self.limits.slope_percent, 100.0),
            ("limits.intercept_hu", self.limits.intercept_hu, 1000.0),
            ("limits.vbmd_at_100", self.limits.vbmd_at_100, 100.0),
        ] {
            if !(v > 0.0 && v <= hi) {
                return Err(format!("{name}: must be > 0 and <= {hi}, got {v}"));
            }
        }
        let densities: Vec<(usize, &Insert)> = self
            .inserts
            .iter()
            .enumerate()
            .filter(|(_, i)| i.role == "calibration")
            .collect();
        if densities.len() < 3 {
            return Err("inserts: at least 3 calibration inserts are needed".into());
        }
        for w in densities.windows(2) {
            let ((_, a), (k, b)) = (w[0], w[1]);
            if b.density == a.density {
                return Err(format!(
                    "inserts[{k}] ({}): duplicate density {} (also {})",
                    b.name, b.density, a.name
                ));
            }
            if b.density < a.density {
                return Err(format!(
                    "inserts[{k}] ({}): densities must increase down the list ({} after {})",
                    b.name, b.density, a.density
                ));
            }
        }
        Ok(())
    }
}

/// Where the phantom lies in a scan: its centre (mm, in the scan's physical x-y) and its
/// rotation about z (degrees).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pose {
    pub x: f64,
    pub y: f64,
    pub angle: f64,
}

impl Pose {
    /// A phantom-frame point in scan coordinates.
    pub fn place(&self, x: f64, y: f64) -> (f64, f64) {
        let (s, c) = self.angle.to_radians().sin_cos();
        (self.x + c * x - s * y, self.y + s * x + c * y)
    }
}

/// A synthetic scan of `p` at `pose` (scan centre at 0, 0), with `fov` mm square in-plane,
/// at `kv` through the scanner profile `scanner` ("none" for the ideal image).
pub fn scan(
    p: &QctPhantom,
    pose: Pose,
    fov: f64,
    kv: f64,
    profile: &str,
    seed: u64,
) -> Result<Volume> {
    let factors = kvp::factors(&kvp::DEFAULT_TABLE, kv)
        .ok_or_else(|| Error::Usage(format!("--kvp {kv}: outside the kV table (80-140)")))?;
    let sp = p.spacing;
    let voxels = crate::limits::grid_voxels([fov, fov, p.body_length], sp);
    if let Some(why) = crate::limits::over_budget(voxels, "voxels") {
        return Err(Error::Usage(format!(
            "--fov {fov} mm with the phantom's spacing {sp:?} mm would make a scan of {why}"
        )));
    }
    let nx = (fov / sp[0]).round().max(1.0) as usize;
    let ny = (fov / sp[1]).round().max(1.0) as usize;
    let nz = (p.body_length / sp[2]).floor().max(1.0) as usize;
    let origin = [
        -(nx as f64 - 1.0) * sp[0] / 2.0,
        -(ny as f64 - 1.0) * sp[1] / 2.0,
        -(nz as f64 - 1.0) * sp[2] / 2.0,
    ];
    let geometry = Geometry {
        size: [nx, ny, nz],
        spacing: sp,
        origin,
        direction: crate::volume::geometry::IDENTITY,
    };
    // Inserts in scan coordinates.
    let rods: Vec<(f64, f64, f64, f64)> = p
        .inserts
        .iter()
        .map(|i| {
            let (x, y) = pose.place(i.x, i.y);
            (x, y, i.diameter / 2.0, p.body_hu + p.hu_per_mg * i.density)
        })
        .collect();
    let radius = p.body_diameter / 2.0;
    let sub = 3usize;
    let mut plane = vec![0f32; nx * ny];
    for j in 0..ny {
        for i in 0..nx {
            let mut sum = 0.0;
            for a in 0..sub {
                for b in 0..sub {
                    let x = origin[0] + (i as f64 + (a as f64 + 0.5) / sub as f64 - 0.5) * sp[0];
                    let y = origin[1] + (j as f64 + (b as f64 + 0.5) / sub as f64 - 0.5) * sp[1];
                    let (dx, dy) = (x - pose.x, y - pose.y);
                    let hu = if dx * dx + dy * dy > radius * radius {
                        kvp::AIR_HU
                    } else {
                        rods.iter()
                            .find(|r| (x - r.0).powi(2) + (y - r.1).powi(2) <= r.2 * r.2)
                            .map_or(p.body_hu, |r| r.3)
                    };
                    sum += kvp::convert(hu, &factors);
                }
            }
            plane[j * nx + i] = (sum / (sub * sub) as f64) as f32;
        }
    }
    let voxels: Vec<f32> = (0..nz).flat_map(|_| plane.iter().copied()).collect();
    let mut image = Volume::from_vec(geometry, voxels, PixelType::F32).map_err(Error::Internal)?;
    if let Some(profile) = scanner::profile(profile) {
        scanner::blur(&mut image, &profile.blur);
        let mut rng = random::stream(seed, &p.name, "phantom:qct|noise");
        scanner::add_noise(&mut image, &profile.noise, &mut rng);
    } else if profile != "none" {
        return Err(Error::Usage(format!(
            "--scanner {profile:?}: use smooth, standard, sharp or none"
        )));
    }
    image.voxels.mapv_inplace(|v| v.clamp(-1024.0, 3071.0));
    Ok(image)
}
