//! `radaudit phantom`: the synthetic phantoms. `vertebra` builds the vertebra phantom and
//! writes its image, trabecular ROI and body masks, and a JSON file with its definition and
//! measured truth; `cohort` a synthetic osteoporosis cohort; `qct` a scan of a QCT
//! calibration phantom.

use std::path::PathBuf;

use clap::Subcommand;

use super::Outcome;
use crate::error::{Error, Result};
use crate::output::write_json;
use crate::phantom::vertebra::{self, VertebraSpec};
use crate::volume::io::{self, WriteOptions};

/// Build a synthetic phantom: `vertebra` writes a vertebral body with a trabecular lattice
/// of requested vBMD, acquired through a scanner profile (image, trabecular ROI, body mask
/// and phantom.json with the measured truth); `cohort` a synthetic osteoporosis cohort;
/// `qct` a scan of a QCT calibration phantom.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    kind: Kind,
}

/// The phantoms.
#[derive(Debug, Clone, Subcommand)]
enum Kind {
    /// A synthetic scan of a QCT calibration phantom (phantoms/qct-*.yaml) through the
    /// scanner and kV models, placed with a shift and a rotation about z.
    Qct(QctArgs),
    /// A synthetic osteoporosis cohort with known truth: demographics, true vBMD, simulated
    /// DXA T-score (with its confounders) and FRAX-like scores, fractures, and each patient's
    /// vertebra phantom with its L1 HU and 107 features, in DIR/cohort.csv.
    Cohort(CohortArgs),
    /// The synthetic vertebra (definition: phantoms/vertebra.yaml; the built-in defaults equal it).
    Vertebra(VertebraArgs),
}

/// `radaudit phantom qct`.
#[derive(Debug, Clone, clap::Args)]
struct QctArgs {
    /// The phantom definition (YAML).
    #[arg(long)]
    phantom: PathBuf,
    /// Scanner profile (smooth, standard, sharp, or none for the ideal image).
    #[arg(long, default_value = "standard")]
    scanner: String,
    /// Tube voltage, kV (80-140).
    #[arg(long, default_value_t = 120.0, value_parser = super::number_in(80.0, 140.0))]
    kvp: f64,
    /// The scan to write (.nii.gz, .nrrd, ...).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The phantom's centre, mm from the scan centre (-500 to 500).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true, value_parser = super::number_in(-500.0, 500.0))]
    shift_x: f64,
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true, value_parser = super::number_in(-500.0, 500.0))]
    shift_y: f64,
    /// Rotation about z, degrees (-360 to 360).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true, value_parser = super::number_in(-360.0, 360.0))]
    rotate: f64,
    /// In-plane field of view, mm (10 to 1000).
    #[arg(long, default_value_t = 250.0, value_parser = super::number_in(10.0, 1000.0))]
    fov: f64,
    /// Seed of the noise.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// `radaudit phantom cohort`.
#[derive(Debug, Clone, clap::Args)]
struct CohortArgs {
    /// Patients (10-5000).
    #[arg(long)]
    n: usize,
    /// The output folder (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Seed of every draw.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also write each patient's image and ROI to DIR/images/<id>/.
    #[arg(long)]
    images: bool,
}

/// `radaudit phantom vertebra`.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct VertebraArgs {
    /// The output folder (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// A phantom definition (YAML); missing keys take the defaults.
    #[arg(long)]
    pub spec: Option<PathBuf>,
    /// Trabecular vBMD, mg/cm3 hydroxyapatite (below the spec's tissue density).
    #[arg(long, allow_hyphen_values = true)]
    pub vbmd: Option<f64>,
    /// Trabecular thickness, mm (0.01 to 10).
    #[arg(long, value_parser = super::number_in(0.01, 10.0))]
    pub trabecular_thickness: Option<f64>,
    /// Scanner profile (smooth, standard, sharp, or none for the ideal image).
    #[arg(long)]
    pub scanner: Option<String>,
    /// Tube voltage, kV (80-140).
    #[arg(long, value_parser = super::number_in(80.0, 140.0))]
    pub kvp: Option<f64>,
    /// Seed of the lattice and noise.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Case id for the random streams.
    #[arg(long, default_value = "vertebra")]
    pub case_id: String,
}

/// Runs `radaudit phantom KIND`.
pub fn run(a: Args) -> Result<Outcome> {
    match a.kind {
        Kind::Qct(q) => {
            let p = crate::phantom::qct::QctPhantom::load(&q.phantom)?;
            let pose = crate::phantom::qct::Pose {
                x: q.shift_x,
                y: q.shift_y,
                angle: q.rotate,
            };
            let image = crate::phantom::qct::scan(&p, pose, q.fov, q.kvp, &q.scanner, q.seed)?;
            io::write_volume(&image, &q.out, &WriteOptions::default())?;
            eprintln!(
                "wrote {} ({}, {} at {} kV)",
                q.out.display(),
                p.name,
                q.scanner,
                q.kvp
            );
        }
        Kind::Cohort(c) => {
            crate::phantom::cohort::build(c.n, c.seed, &c.out, c.images)?;
            eprintln!(
                "wrote {} ({} patients)",
                c.out.join("cohort.csv").display(),
                c.n
            );
        }
        Kind::Vertebra(v) => eprint!("{}", vertebra(&v)?),
    }
    Ok(Outcome::Done)
}

/// Builds the phantom and writes DIR/{image,trabecular_mask,body_mask}.nii.gz and
/// DIR/phantom.json. Returns a summary line.
fn vertebra(a: &VertebraArgs) -> Result<String> {
    let mut spec = match &a.spec {
        Some(path) => VertebraSpec::load(path)?,
        None => VertebraSpec::default(),
    };
    if let Some(v) = a.vbmd {
        spec.vbmd = v;
    }
    if let Some(v) = a.trabecular_thickness {
        spec.trabecular_thickness = v;
    }
    if let Some(v) = &a.scanner {
        spec.scanner = v.clone();
    }
    if let Some(v) = a.kvp {
        spec.kvp = v;
    }
    let phantom = vertebra::build(&spec, a.seed, &a.case_id)?;
    std::fs::create_dir_all(&a.out).map_err(|e| Error::output(&a.out, e.to_string()))?;
    let options = WriteOptions::default();
    io::write_volume(&phantom.image, &a.out.join("image.nii.gz"), &options)?;
    io::write_mask(
        &phantom.trabecular,
        &a.out.join("trabecular_mask.nii.gz"),
        &options,
    )?;
    io::write_mask(&phantom.body, &a.out.join("body_mask.nii.gz"), &options)?;
    let json = serde_json::json!({
        "case_id": a.case_id,
        "seed": a.seed,
        "definition": spec,
        "truth": phantom.truth,
    });
    write_json(&a.out.join("phantom.json"), &json)?;
    let t = &phantom.truth;
    Ok(format!(
        "wrote {}: vBMD requested {} mg/cm3, measured {:.1} (ROI mean {:.1} HU, {} voxels), \
         BV/TV {:.3}, Tb.Th {:.3} mm\n",
        a.out.display(),
        t.requested_vbmd,
        t.measured_vbmd,
        t.roi_mean_hu,
        t.roi_voxels,
        t.bone_volume_fraction,
        t.trabecular_thickness
    ))
}
