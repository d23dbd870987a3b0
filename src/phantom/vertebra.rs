//! The synthetic vertebra phantom: a lumbar vertebral body with a cortical shell, a
//! trabecular lattice of requested mineral density and trabecular thickness, marrow, and
//! surrounding soft tissue and fat, in HU, acquired through a scanner profile onto a clinical
//! grid. Definitions and defaults: `phantoms/vertebra.yaml` (the same values as `Default`).
//!
//! Geometry: an elliptic cylinder (width along x, depth along y, height along z), its
//! cortex the shell between it and the cylinder shrunk by the cortical thickness.
//!
//! Lattice: a Gaussian random field, band-passed in the Fourier domain around f0 cycles/mm
//! (a Gaussian shell of width 0.3 f0), is bone where |F| < t: sheets around the field's zero
//! surface (plates), perforated into rods where they are thin. t is the quantile of |F| that
//! makes the bone volume fraction BV/TV = vBMD / tissue density exact over the ROI. The
//! zero surface has area density S_V = (2/pi) sqrt(lambda2)/sigma (Rice's formula with
//! P_L = S_V / 2), so the plate-model thickness Tb.Th = BV/TV / S_V fixes f0.
//!
//! HU: a voxel is HU_marrow + k * (mineral density in mg/cm3 HA), with k HU per mg/cm3;
//! marrow is a red-marrow/fat mixture by the fat fraction; the cortex is water plus its
//! mineral. The lattice is built at `supersampling`^3 points per clinical voxel, each point
//! converted to the acquisition kV (`perturb::kvp`), and each clinical voxel is their mean
//! (partial volume); then the scanner's PSF and noise are applied (`perturb::scanner`).
//!
//! The phantom's own calibration follows from the same model: mean HU = a + b * vBMD, with a
//! the marrow's HU and b the bone tissue's contrast per mg/cm3, both at the acquisition kV.

use ndarray::Array3;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::perturb::{kvp, random, scanner, spectral};
use crate::volume::geometry::IDENTITY;
use crate::volume::{Geometry, Mask, PixelType, Volume};

/// CT numbers of the materials at 120 kV.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HuModel {
    /// HU per mg/cm3 of hydroxyapatite.
    pub per_mg_ha: f64,
    /// HU of red marrow.
    pub red_marrow: f64,
    /// HU of fat.
    pub fat: f64,
    /// HU of soft tissue (muscle).
    pub soft_tissue: f64,
}

impl Default for HuModel {
    fn default() -> Self {
        HuModel {
            per_mg_ha: 1.0,
            red_marrow: 40.0,
            fat: -100.0,
            soft_tissue: 40.0,
        }
    }
}

/// Everything that defines one phantom (see `phantoms/vertebra.yaml` for units and sources).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VertebraSpec {
    /// Trabecular vBMD requested, mg/cm3 HA.
    pub vbmd: f64,
    /// Plate-model trabecular thickness Tb.Th, mm.
    pub trabecular_thickness: f64,
    /// Mineral density of trabecular bone tissue, mg/cm3 HA.
    pub tissue_density: f64,
    /// Fat fraction of the marrow.
    pub marrow_fat_fraction: f64,
    /// Vertebral body width (x), depth (y) and height (z), mm.
    pub body: [f64; 3],
    /// Cortical shell thickness, mm.
    pub cortical_thickness: f64,
    /// Apparent mineral density of the cortical shell, mg/cm3 HA.
    pub cortical_density: f64,
    /// Soft tissue (muscle) around the body before fat, mm.
    pub soft_tissue_margin: f64,
    /// Grid margin beyond the body, mm.
    pub grid_margin: f64,
    /// Distance between the trabecular ROI and the cortex and endplates, mm.
    pub roi_margin: f64,
    /// Clinical voxel size (x, y, z), mm.
    pub spacing: [f64; 3],
    /// Lattice points per voxel along each axis (partial volume).
    pub supersampling: usize,
    /// CT numbers of the materials at 120 kV.
    pub hu: HuModel,
    /// Scanner profile: smooth, standard, sharp, or none for the ideal image.
    pub scanner: String,
    /// Tube voltage, kV (80-140).
    pub kvp: f64,
}

impl VertebraSpec {
    /// Reads a phantom definition (YAML; unknown keys are refused, naming their path; missing
    /// ones take defaults).
    pub fn load(path: &std::path::Path) -> Result<VertebraSpec> {
        crate::yaml::read(path)
    }
}

impl Default for VertebraSpec {
    fn default() -> Self {
        VertebraSpec {
            vbmd: 120.0,
            trabecular_thickness: 0.2,
            tissue_density: 1050.0,
            marrow_fat_fraction: 0.5,
            body: [40.0, 30.0, 25.0],
            cortical_thickness: 0.8,
            cortical_density: 800.0,
            soft_tissue_margin: 6.0,
            grid_margin: 8.0,
            roi_margin: 3.0,
            spacing: [0.7, 0.7, 1.0],
            supersampling: 5,
            hu: HuModel::default(),
            scanner: "standard".into(),
            kvp: 120.0,
        }
    }
}

/// What was built, measured on the phantom's own structure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Truth {
    /// The vBMD asked for, mg/cm3 HA.
    pub requested_vbmd: f64,
    /// BV/TV over the ROI (exact by construction).
    pub bone_volume_fraction: f64,
    /// BV/TV over the whole trabecular compartment.
    pub compartment_bone_volume_fraction: f64,
    /// Plate-model thickness 2 BV / BS of the lattice (mm), BS from voxel faces x 2/3.
    pub trabecular_thickness: f64,
    /// Plate-model separation Tb.Th (1/BVTV - 1) (mm).
    pub trabecular_separation: f64,
    /// Band-pass centre frequency (cycles/mm).
    pub lattice_frequency: f64,
    /// Calibration at the acquisition kV: HU = intercept + slope * vBMD.
    pub calibration_intercept: f64,
    /// HU per mg/cm3 HA at the acquisition kV.
    pub calibration_slope: f64,
    /// Mean HU over the trabecular ROI of the acquired image, and the vBMD it gives.
    pub roi_mean_hu: f64,
    /// The vBMD the ROI mean gives through the calibration, mg/cm3 HA.
    pub measured_vbmd: f64,
    /// Voxels in the trabecular ROI.
    pub roi_voxels: usize,
}

/// The acquired phantom: image, trabecular ROI (label 1), whole-body mask (label 1), truth.
#[derive(Debug, Clone)]
pub struct Vertebra {
    /// The acquired image.
    pub image: Volume,
    /// The trabecular ROI (label 1).
    pub trabecular: Mask,
    /// The whole vertebral body (label 1).
    pub body: Mask,
    /// What was built, measured.
    pub truth: Truth,
}

fn field_error(field: &str, problem: impl std::fmt::Display) -> Error {
    Error::Usage(format!("vertebra phantom, `{field}`: {problem}"))
}

impl VertebraSpec {
    /// Checks every field's range; the error names the field.
    pub fn validate(&self) -> Result<()> {
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(field_error(name, format!("must be > 0, got {v}")))
            }
        };
        positive("trabecular_thickness", self.trabecular_thickness)?;
        positive("tissue_density", self.tissue_density)?;
        positive("cortical_thickness", self.cortical_thickness)?;
        positive("hu.per_mg_ha", self.hu.per_mg_ha)?;
        if !(self.vbmd > 0.0 && self.vbmd < self.tissue_density) {
            return Err(field_error(
                "vbmd",
                format!(
                    "must be > 0 and below tissue_density ({}), got {}",
                    self.tissue_density, self.vbmd
                ),
            ));
        }
        if !(0.0..=1.0).contains(&self.marrow_fat_fraction) {
            return Err(field_error(
                "marrow_fat_fraction",
                format!("must be in [0, 1], got {}", self.marrow_fat_fraction),
            ));
        }
        for (a, v) in self.body.iter().enumerate() {
            positive(&format!("body[{a}]"), *v)?;
        }
        for (a, v) in self.spacing.iter().enumerate() {
            positive(&format!("spacing[{a}]"), *v)?;
        }
        for (name, v) in [
            ("cortical_density", self.cortical_density),
            ("soft_tissue_margin", self.soft_tissue_margin),
            ("grid_margin", self.grid_margin),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(field_error(name, format!("must be >= 0, got {v}")));
            }
        }
        // The supersampled lattice over the grid must fit the voxel budget.
        let extent =
            [0, 1, 2].map(|a| self.body[a] + 2.0 * (self.soft_tissue_margin + self.grid_margin));
        let points = crate::limits::grid_voxels(extent, self.spacing)
            * f64::from(self.supersampling.min(9) as u32).powi(3);
        if let Some(why) = crate::limits::over_budget(points, "lattice points") {
            return Err(field_error(
                "spacing",
                format!(
                    "a body of {:?} mm at {:?} mm ({} points per voxel per axis) makes {why}",
                    self.body, self.spacing, self.supersampling
                ),
            ));
        }
        let largest = self.spacing.iter().copied().fold(0.0, f64::max);
        if self.roi_margin.is_nan() || self.roi_margin < largest {
            return Err(field_error(
                "roi_margin",
                format!(
                    "must be at least the largest spacing ({largest} mm), got {}",
                    self.roi_margin
                ),
            ));
        }
        let inner = self.roi_semi_axes();
        if inner.iter().any(|&v| v <= largest) {
            return Err(field_error(
                "roi_margin",
                "the cortex and ROI margin leave no trabecular ROI",
            ));
        }
        if !(1..=9).contains(&self.supersampling) {
            return Err(field_error(
                "supersampling",
                format!("must be 1 to 9, got {}", self.supersampling),
            ));
        }
        if self.scanner != "none" && scanner::profile(&self.scanner).is_none() {
            let known: Vec<&str> = scanner::PROFILES.iter().map(|p| p.name).collect();
            return Err(field_error(
                "scanner",
                format!(
                    "unknown `{}`; known: none, {}",
                    self.scanner,
                    known.join(", ")
                ),
            ));
        }
        if kvp::factors(&kvp::DEFAULT_TABLE, self.kvp).is_none() {
            return Err(field_error(
                "kvp",
                format!("{} kV is outside 80-140 kV", self.kvp),
            ));
        }
        Ok(())
    }

    /// Semi-axes (x, y, half-height) of the body.
    fn semi_axes(&self) -> [f64; 3] {
        self.body.map(|v| v / 2.0)
    }

    /// Semi-axes of the trabecular compartment (inside the cortex).
    fn inner_semi_axes(&self) -> [f64; 3] {
        self.semi_axes().map(|v| v - self.cortical_thickness)
    }

    /// Semi-axes of the trabecular ROI.
    fn roi_semi_axes(&self) -> [f64; 3] {
        self.inner_semi_axes().map(|v| v - self.roi_margin)
    }

    /// Marrow HU at 120 kV.
    fn marrow_hu(&self) -> f64 {
        let f = self.marrow_fat_fraction;
        (1.0 - f) * self.hu.red_marrow + f * self.hu.fat
    }
}

/// Inside the elliptic cylinder with semi-axes `s` (point relative to the body centre).
fn inside(p: [f64; 3], s: [f64; 3]) -> bool {
    (p[0] / s[0]).powi(2) + (p[1] / s[1]).powi(2) <= 1.0 && p[2].abs() <= s[2]
}

/// The smallest 2-3-5-smooth number >= n (fast FFT sizes).
fn smooth_size(n: usize) -> usize {
    (n.max(1)..)
        .find(|&m| {
            let mut r = m;
            for p in [2, 3, 5] {
                while r % p == 0 {
                    r /= p;
                }
            }
            r == 1
        })
        .unwrap_or(n)
}

/// Relative width of the band-pass shell.
const BAND_WIDTH: f64 = 0.3;

/// sqrt(E|f|^2) / f0 for the Gaussian shell spectrum in 3-D (weight f^2 |H|^2).
fn rms_frequency_ratio() -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for step in 1..40_000 {
        let u = step as f64 * 1e-4;
        let h2 = (-(u - 1.0).powi(2) / (BAND_WIDTH * BAND_WIDTH)).exp();
        num += u.powi(4) * h2;
        den += u * u * h2;
    }
    (num / den).sqrt()
}

/// Builds and acquires the phantom for `case_id` from `seed`.
pub fn build(spec: &VertebraSpec, seed: u64, case_id: &str) -> Result<Vertebra> {
    spec.validate()?;
    let semi = spec.semi_axes();
    let inner = spec.inner_semi_axes();
    let roi_axes = spec.roi_semi_axes();
    let sp = spec.spacing;
    // Clinical grid centred on the body.
    let size =
        [0, 1, 2].map(|a| ((spec.body[a] + 2.0 * spec.grid_margin) / sp[a]).ceil() as usize + 1);
    let centre = [0, 1, 2].map(|a| (size[a] - 1) as f64 * sp[a] / 2.0);
    let geometry = Geometry::new(size, sp, [0.0; 3], IDENTITY).map_err(Error::Internal)?;
    let to_body = |idx: [f64; 3]| [0, 1, 2].map(|a| idx[a] * sp[a] - centre[a]);

    // Trabecular ROI and body masks (voxel centres).
    let (nz, ny, nx) = geometry.shape_zyx();
    let roi = Array3::from_shape_fn((nz, ny, nx), |(k, j, i)| {
        inside(to_body([i as f64, j as f64, k as f64]), roi_axes)
    });
    let body = Array3::from_shape_fn((nz, ny, nx), |(k, j, i)| {
        inside(to_body([i as f64, j as f64, k as f64]), semi)
    });

    // The lattice field on the supersampled box around the trabecular compartment.
    let s = spec.supersampling;
    let lo: [usize; 3] =
        [0, 1, 2].map(|a| (((centre[a] - inner[a]) / sp[a]).floor().max(0.0)) as usize);
    let hi: [usize; 3] =
        [0, 1, 2].map(|a| ((((centre[a] + inner[a]) / sp[a]).ceil() as usize) + 1).min(size[a]));
    let fine = [0, 1, 2].map(|a| (hi[a] - lo[a]) * s);
    let fine_spacing = sp.map(|v| v / s as f64);
    // About 2.4 GB of complex samples at this limit; far beyond any vertebra.
    if fine.iter().product::<usize>() > 150_000_000 {
        return Err(field_error(
            "supersampling",
            format!(
                "the lattice grid would hold {} x {} x {} points; lower supersampling or the body size",
                fine[0], fine[1], fine[2]
            ),
        ));
    }
    let padded = fine.map(smooth_size);
    let bvtv = spec.vbmd / spec.tissue_density;
    let c = rms_frequency_ratio();
    let f0 = 3f64.sqrt() * bvtv / (4.0 * c * spec.trabecular_thickness);
    let nyquist = 0.5 / fine_spacing.iter().copied().fold(0.0, f64::max);
    if f0 * (1.0 + 3.0 * BAND_WIDTH) > nyquist {
        return Err(field_error(
            "trabecular_thickness",
            format!(
                "{} mm is too thin for the lattice grid ({:.3} mm); raise supersampling",
                spec.trabecular_thickness,
                fine_spacing.iter().copied().fold(0.0, f64::max)
            ),
        ));
    }
    let mut rng = random::stream(seed, case_id, "phantom:vertebra|lattice");
    let mut field = Array3::from_shape_simple_fn((padded[2], padded[1], padded[0]), || {
        let v: f64 = StandardNormal.sample(&mut rng);
        v
    });
    spectral::filter_volume(&mut field, fine_spacing, &|fx, fy, fz| {
        let f = (fx * fx + fy * fy + fz * fz).sqrt();
        (-(f - f0).powi(2) / (2.0 * (BAND_WIDTH * f0).powi(2))).exp()
    });
    let fine_point = |f: [usize; 3]| {
        // Fine sample f sits at clinical index lo + (f + 0.5) / s - 0.5.
        to_body([0, 1, 2].map(|a| lo[a] as f64 + (f[a] as f64 + 0.5) / s as f64 - 0.5))
    };
    // Threshold: the BV/TV quantile of |F| over the ROI voxels' samples.
    let mut in_roi: Vec<f64> = Vec::new();
    for fk in 0..fine[2] {
        for fj in 0..fine[1] {
            for fi in 0..fine[0] {
                let clinical = [lo[0] + fi / s, lo[1] + fj / s, lo[2] + fk / s];
                if roi[(clinical[2], clinical[1], clinical[0])] {
                    in_roi.push(field[(fk, fj, fi)].abs());
                }
            }
        }
    }
    let bone_count = (bvtv * in_roi.len() as f64).round() as usize;
    let threshold = if bone_count == 0 {
        0.0
    } else {
        let (_, nth, _) = in_roi.select_nth_unstable_by(bone_count - 1, f64::total_cmp);
        *nth
    };
    let bone = |f: [usize; 3]| field[(f[2], f[1], f[0])].abs() <= threshold;

    // Structure measured on the lattice inside the trabecular compartment.
    let truth_structure = measure_structure(
        &fine,
        fine_spacing,
        &|f| inside(fine_point(f), inner),
        &bone,
    );

    // Materials at the acquisition kV.
    let factors = kvp::factors(&kvp::DEFAULT_TABLE, spec.kvp)
        .ok_or_else(|| field_error("kvp", "outside the table"))?;
    let at_kv = |hu: f64| kvp::convert(hu, &factors);
    let marrow = spec.marrow_hu();
    let trabecular_bone = marrow + spec.hu.per_mg_ha * spec.tissue_density;
    let cortex = spec.hu.per_mg_ha * spec.cortical_density;
    let soft_axes = [
        semi[0] + spec.soft_tissue_margin,
        semi[1] + spec.soft_tissue_margin,
        f64::INFINITY,
    ];
    let material = |p: [f64; 3], f: Option<[usize; 3]>| -> f64 {
        if inside(p, inner) {
            match f {
                Some(f) if bone(f) => trabecular_bone,
                _ => marrow,
            }
        } else if inside(p, semi) {
            cortex
        } else if inside(p, soft_axes) {
            spec.hu.soft_tissue
        } else {
            spec.hu.fat
        }
    };
    let inv = 1.0 / (s * s * s) as f64;
    let mut voxels = Array3::<f64>::zeros((nz, ny, nx));
    voxels
        .as_slice_mut()
        .ok_or_else(|| Error::Internal("phantom array layout".into()))?
        .par_chunks_mut(nx * ny)
        .enumerate()
        .for_each(|(k, plane)| {
            for j in 0..ny {
                for i in 0..nx {
                    let mut sum = 0.0;
                    for sk in 0..s {
                        for sj in 0..s {
                            for si in 0..s {
                                let sub = [si, sj, sk];
                                let idx = [i, j, k];
                                let p = to_body([0, 1, 2].map(|a| {
                                    idx[a] as f64 + (sub[a] as f64 + 0.5) / s as f64 - 0.5
                                }));
                                let in_box = (0..3).all(|a| idx[a] >= lo[a] && idx[a] < hi[a]);
                                let f = in_box
                                    .then(|| [0, 1, 2].map(|a| (idx[a] - lo[a]) * s + sub[a]));
                                sum += at_kv(material(p, f));
                            }
                        }
                    }
                    plane[j * nx + i] = sum * inv;
                }
            }
        });

    let mut image = Volume {
        geometry: geometry.clone(),
        voxels: voxels.mapv(|v| v as f32),
        stored_type: PixelType::F32,
    };
    if let Some(profile) = scanner::profile(&spec.scanner) {
        scanner::blur(&mut image, &profile.blur);
        let mut noise_rng = random::stream(seed, case_id, "phantom:vertebra|noise");
        scanner::add_noise(&mut image, &profile.noise, &mut noise_rng);
    }

    // Calibration at the acquisition kV and the ROI's reading.
    let intercept = at_kv(marrow);
    let slope = (at_kv(trabecular_bone) - at_kv(marrow)) / spec.tissue_density;
    let (mut sum, mut n) = (0.0, 0usize);
    for (v, &r) in image.voxels.iter().zip(&roi) {
        if r {
            sum += f64::from(*v);
            n += 1;
        }
    }
    let roi_mean = sum / n as f64;
    let (compartment_bvtv, tb_th) = truth_structure;
    let truth = Truth {
        requested_vbmd: spec.vbmd,
        bone_volume_fraction: bone_count as f64 / in_roi.len() as f64,
        compartment_bone_volume_fraction: compartment_bvtv,
        trabecular_thickness: tb_th,
        trabecular_separation: tb_th * (in_roi.len() as f64 / bone_count.max(1) as f64 - 1.0),
        lattice_frequency: f0,
        calibration_intercept: intercept,
        calibration_slope: slope,
        roi_mean_hu: roi_mean,
        measured_vbmd: (roi_mean - intercept) / slope,
        roi_voxels: n,
    };
    let to_mask = |a: &Array3<bool>| Mask {
        geometry: geometry.clone(),
        labels: a.mapv(u16::from),
    };
    Ok(Vertebra {
        trabecular: to_mask(&roi),
        body: to_mask(&body),
        image,
        truth,
    })
}

/// BV/TV and the plate-model thickness 2 BV / BS of the lattice over the samples where
/// `region` holds. BS counts bone/marrow faces between neighbouring samples inside the region,
/// times 2/3: an isotropic surface's face count overestimates its area by 3/2 on average.
fn measure_structure(
    fine: &[usize; 3],
    spacing: [f64; 3],
    region: &(dyn Fn([usize; 3]) -> bool + Sync),
    bone: &(dyn Fn([usize; 3]) -> bool + Sync),
) -> (f64, f64) {
    let face_area = [
        spacing[1] * spacing[2],
        spacing[0] * spacing[2],
        spacing[0] * spacing[1],
    ];
    let voxel: f64 = spacing.iter().product();
    let (mut bv, mut tv, mut bs) = (0.0, 0.0, 0.0);
    for k in 0..fine[2] {
        for j in 0..fine[1] {
            for i in 0..fine[0] {
                let f = [i, j, k];
                if !region(f) {
                    continue;
                }
                tv += voxel;
                let b = bone(f);
                if b {
                    bv += voxel;
                }
                for a in 0..3 {
                    let mut g = f;
                    g[a] += 1;
                    if g[a] < fine[a] && region(g) && bone(g) != b {
                        bs += face_area[a];
                    }
                }
            }
        }
    }
    let bs = bs * 2.0 / 3.0;
    let bvtv = if tv > 0.0 { bv / tv } else { 0.0 };
    let thickness = if bs > 0.0 { 2.0 * bv / bs } else { 0.0 };
    (bvtv, thickness)
}
