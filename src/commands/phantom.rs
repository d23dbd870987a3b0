//! `radaudit phantom vertebra`: builds the synthetic vertebra phantom and writes its image,
//! trabecular ROI and body masks, and a JSON file with its definition and measured truth.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::output::write_json;
use crate::phantom::vertebra::{self, VertebraSpec};
use crate::volume::io::{self, WriteOptions};

/// What `radaudit phantom vertebra` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct VertebraArgs {
    pub spec: Option<PathBuf>,
    pub vbmd: Option<f64>,
    pub trabecular_thickness: Option<f64>,
    pub scanner: Option<String>,
    pub kvp: Option<f64>,
    pub seed: u64,
    pub case_id: String,
    pub out: PathBuf,
}

/// Reads a phantom definition (YAML; unknown keys are refused, naming their path; missing
/// ones take defaults).
pub fn read_spec(path: &Path) -> Result<VertebraSpec> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::input(path, e.to_string()))?;
    crate::protocol::parse_yaml(path, &text)
}

/// Builds the phantom and writes DIR/{image,trabecular_mask,body_mask}.nii.gz and
/// DIR/phantom.json. Returns a summary line.
pub fn run(a: &VertebraArgs) -> Result<String> {
    let mut spec = match &a.spec {
        Some(path) => read_spec(path)?,
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
