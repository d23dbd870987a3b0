//! A synthetic osteoporosis cohort whose truth is known, for `radaudit compare`'s default run
//! and its tests. Every number below is a modelling assumption chosen to be plausible, not an
//! epidemiological estimate; the FRAX-like score is simulated (FRAX itself is proprietary)
//! and labelled so everywhere.
//!
//! Per patient (all draws from the patient's own ChaCha8 streams):
//! - a site (one of [`SITES`], equally likely), which sets the scanner of its images (kernel
//!   profile, tube voltage, voxel size) and its case mix: the age range its patients come from;
//! - age (uniform over the site's range, 50-85 overall), sex (70% female), BMI ~ N(27, 4) in
//!   18-40;
//! - true trabecular vBMD: 140 mg/cm3 at 50, falling 2.5 (women) or 1.8 (men) mg/cm3 a year,
//!   SD 25, within 30-250; the truth `osteoporosis` is vBMD < 80 mg/cm3 (ACR QCT);
//! - DXA areal BMD (L1-L4, g/cm2) 0.35 + 0.0045 vBMD, plus the known confounders: degenerative
//!   sclerosis (more likely with age) adds up to 0.15, soft tissue adds error growing with
//!   |BMI - 25|, and 0.015 precision error; T-score against an assumed young-adult reference
//!   of 1.047 +/- 0.110 g/cm2 (replace with a device's own);
//! - a 10-year major-osteoporotic-fracture probability simulated from age, sex, BMI and
//!   T-score (`frax_mof_simulated`, percent) and a hip one (`frax_hip_simulated`);
//! - an incident fracture drawn from the true bone state and age;
//! - a marrow fat fraction rising with age (0.3 + 0.008 per year over 50, SD 0.12), which
//!   lowers the CT attenuation of the same mineral (the fat error of single-energy CT);
//! - a vertebra phantom at the true vBMD acquired on its site's scanner, its trabecular ROI's
//!   mean HU (`l1_hu`, the opportunistic-CT reading, which the site's kV moves as it does in
//!   practice) and its 107 PyRadiomics features.
//!
//! The sites are what a multi-centre osteoporosis cohort holds (assumed, not surveyed): a
//! community hospital's standard kernel at 120 kV, a university hospital's sharp bone kernel
//! at 100 kV and thin slices, an older-patient referral centre's smooth kernel at 140 kV and
//! 2 mm slices, and a low-dose 80 kV protocol.

use std::path::Path;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use super::vertebra::{self, VertebraSpec};
use crate::error::{Error, Result};
use crate::features::pyradiomics::settings::Params;
use crate::output::write_bytes;
use crate::perturb::random;

/// Young-adult reference for the simulated DXA T-score (assumed), g/cm2.
pub const REFERENCE_MEAN: f64 = 1.047;
pub const REFERENCE_SD: f64 = 0.110;
/// ACR QCT osteoporosis threshold, mg/cm3.
pub const QCT_OSTEOPOROSIS: f64 = 80.0;

/// A simulated site: its scanner and its case mix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Site {
    pub name: &'static str,
    /// Scanner profile (`perturb::scanner`): smooth, standard or sharp.
    pub scanner: &'static str,
    /// Tube voltage, kV.
    pub kvp: f64,
    /// Voxel size (x, y, z), mm.
    pub spacing: [f64; 3],
    /// The ages its patients come from, years.
    pub ages: [f64; 2],
}

/// The cohort's sites (assumed; see the module notes).
pub const SITES: [Site; 4] = [
    Site {
        name: "community",
        scanner: "standard",
        kvp: 120.0,
        spacing: [0.7, 0.7, 1.0],
        ages: [50.0, 85.0],
    },
    Site {
        name: "university",
        scanner: "sharp",
        kvp: 100.0,
        spacing: [0.6, 0.6, 0.8],
        ages: [50.0, 80.0],
    },
    Site {
        name: "referral",
        scanner: "smooth",
        kvp: 140.0,
        spacing: [0.8, 0.8, 2.0],
        ages: [60.0, 85.0],
    },
    Site {
        name: "low-dose",
        scanner: "standard",
        kvp: 80.0,
        spacing: [0.7, 0.7, 1.25],
        ages: [50.0, 75.0],
    },
];

/// One simulated patient (without the image features).
#[derive(Debug, Clone, PartialEq)]
pub struct Patient {
    pub id: String,
    /// Where the patient was scanned.
    pub site: Site,
    pub age: f64,
    pub female: bool,
    pub bmi: f64,
    pub vbmd: f64,
    pub osteoporosis: bool,
    pub abmd: f64,
    pub t_score: f64,
    pub frax_mof: f64,
    pub frax_hip: f64,
    pub fracture: bool,
    /// Marrow fat fraction (rises with age; it biases CT attenuation, the known fat error).
    pub marrow_fat: f64,
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    StandardNormal.sample(rng)
}

fn logistic(t: f64) -> f64 {
    1.0 / (1.0 + (-t).exp())
}

/// The demographics and truth of patient `i`.
pub fn patient(seed: u64, i: usize) -> Patient {
    let id = format!("patient-{:04}", i + 1);
    let mut rng = random::stream(seed, &id, "cohort|patient");
    let site = {
        let mut pick = random::stream(seed, &id, "cohort|site");
        SITES[pick.random_range(0..SITES.len())]
    };
    let age = site.ages[0] + (site.ages[1] - site.ages[0]) * rng.random::<f64>();
    let female = rng.random::<f64>() < 0.7;
    let bmi = (27.0 + 4.0 * normal(&mut rng)).clamp(18.0, 40.0);
    let loss = if female { 2.5 } else { 1.8 };
    let vbmd = (140.0 - loss * (age - 50.0) + 25.0 * normal(&mut rng)).clamp(30.0, 250.0);
    let sclerosis = if rng.random::<f64>() < (age - 50.0) / 60.0 {
        0.15 * rng.random::<f64>()
    } else {
        0.0
    };
    let soft_tissue = (0.02 + 0.004 * (bmi - 25.0).abs()) * normal(&mut rng);
    let abmd = 0.35 + 0.0045 * vbmd + sclerosis + soft_tissue + 0.015 * normal(&mut rng);
    let t_score = (abmd - REFERENCE_MEAN) / REFERENCE_SD;
    let frax_mof = 100.0
        * logistic(
            -2.6 + 0.04 * (age - 65.0) + 0.35 * f64::from(u8::from(female))
                - 0.45 * t_score
                - 0.03 * (bmi - 27.0)
                - 0.9,
        );
    let frax_hip =
        100.0 * logistic(-4.3 + 0.07 * (age - 65.0) - 0.6 * t_score - 0.05 * (bmi - 27.0) - 0.9);
    let risk = logistic(-2.2 + 0.04 * (age - 65.0) - 0.025 * (vbmd - 120.0));
    let fracture = rng.random::<f64>() < risk;
    let marrow_fat = (0.3 + 0.008 * (age - 50.0) + 0.12 * normal(&mut rng)).clamp(0.05, 0.9);
    Patient {
        id,
        site,
        age,
        female,
        bmi,
        vbmd,
        osteoporosis: vbmd < QCT_OSTEOPOROSIS,
        abmd,
        t_score,
        frax_mof,
        frax_hip,
        fracture,
        marrow_fat,
    }
}

/// The phantom definition the cohort's images use (the built-in one, 3^3 points per voxel
/// to keep a cohort quick to build).
pub fn phantom_spec() -> VertebraSpec {
    VertebraSpec {
        supersampling: 3,
        ..VertebraSpec::default()
    }
}

/// Builds `n` patients with their phantoms and features and writes DIR/cohort.csv; with
/// `images`, also DIR/images/<id>/{image,trabecular_mask}.nii.gz.
pub fn build(n: usize, seed: u64, dir: &Path, images: bool) -> Result<usize> {
    if !(10..=5000).contains(&n) {
        return Err(Error::Usage(format!(
            "a cohort needs 10 to 5000 patients, got {n}"
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::output(dir, e.to_string()))?;
    let params = Params::default();
    let names = params.feature_names();
    let progress = crate::progress::Progress::new("cohort", n as u64, "patients");
    let rows: Vec<Result<(Patient, f64, Vec<f64>)>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let p = patient(seed, i);
            let spec = VertebraSpec {
                vbmd: p.vbmd,
                marrow_fat_fraction: p.marrow_fat,
                scanner: p.site.scanner.into(),
                kvp: p.site.kvp,
                spacing: p.site.spacing,
                ..phantom_spec()
            };
            let v = vertebra::build(&spec, seed, &p.id)?;
            if images {
                let d = dir.join("images").join(&p.id);
                std::fs::create_dir_all(&d).map_err(|e| Error::output(&d, e.to_string()))?;
                let o = crate::volume::io::WriteOptions::default();
                crate::volume::io::write_volume(&v.image, &d.join("image.nii.gz"), &o)?;
                crate::volume::io::write_mask(
                    &v.trabecular,
                    &d.join("trabecular_mask.nii.gz"),
                    &o,
                )?;
            }
            let values =
                crate::features::pyradiomics_in_memory(&v.image, &v.trabecular, 1, &params)
                    .map_err(|_| {
                        Error::Internal(format!("{}: phantom ROI could not be prepared", p.id))
                    })?
                    .into_iter()
                    .map(|f| f.value)
                    .collect();
            progress.inc(1);
            Ok((p, v.truth.roi_mean_hu, values))
        })
        .collect();
    progress.finish();
    let mut text = String::from(
        "id,site,scanner,kvp,age,sex,bmi,vbmd_true,osteoporosis_true,fracture_simulated,abmd,t_score,frax_mof_simulated,frax_hip_simulated,l1_hu",
    );
    for name in &names {
        text.push(',');
        text.push_str(name);
    }
    text.push('\n');
    let f = crate::table::format_number;
    for row in rows {
        let (p, hu, values) = row?;
        text += &format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            p.id,
            p.site.name,
            p.site.scanner,
            f(p.site.kvp),
            f(p.age),
            if p.female { "F" } else { "M" },
            f(p.bmi),
            f(p.vbmd),
            u8::from(p.osteoporosis),
            u8::from(p.fracture),
            f(p.abmd),
            f(p.t_score),
            f(p.frax_mof),
            f(p.frax_hip),
            f(hu)
        );
        for v in values {
            text.push(',');
            text.push_str(&f(v));
        }
        text.push('\n');
    }
    write_bytes(&dir.join("cohort.csv"), text.as_bytes())?;
    Ok(n)
}
