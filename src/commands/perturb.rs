//! `radaudit perturb`: applies a perturbation chain to one image and ROI and writes the
//! results, so a user can look at what an audit's perturbation does.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::perturb::{Case, Chain};
use crate::volume::io::{self, ReadOptions, WriteOptions};

/// What `radaudit perturb` was asked to do.
#[derive(Debug, Clone)]
pub struct PerturbArgs {
    pub image: PathBuf,
    pub mask: PathBuf,
    pub label: u16,
    pub chain: String,
    pub seed: u64,
    pub case_id: Option<String>,
    pub out_image: PathBuf,
    pub out_mask: Option<PathBuf>,
}

/// The case id a file gives by default: its name without the volume extensions.
pub fn case_id_of(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| path.to_string_lossy().to_string());
    for ext in [".nii.gz", ".nii", ".nrrd", ".nhdr"] {
        if let Some(stem) = name.strip_suffix(ext) {
            return stem.to_string();
        }
    }
    name
}

/// Runs the chain and writes the outputs; returns a one-paragraph summary.
pub fn run(a: &PerturbArgs) -> Result<String> {
    let chain = Chain::parse(&a.chain)?;
    let read = ReadOptions::default();
    let image = io::read_volume(&a.image, &read)?;
    let mask = io::read_mask(&a.mask, &read)?;
    let mut case = Case::new(image, &mask, a.label).map_err(|e| match e {
        Error::Usage(m) => Error::input(&a.mask, m),
        other => other,
    })?;
    let before = case.roi_voxels();
    let case_id = a.case_id.clone().unwrap_or_else(|| case_id_of(&a.image));
    chain.apply(&mut case, a.seed, &case_id)?;
    let options = WriteOptions::default();
    io::write_volume(&case.image, &a.out_image, &options)?;
    if let Some(out_mask) = &a.out_mask {
        io::write_mask(&case.mask(a.label), out_mask, &options)?;
    }
    let g = &case.image.geometry;
    Ok(format!(
        "applied `{}` (seed {}, case `{case_id}`): grid {} x {} x {} at {:?} mm, ROI {} -> {} voxels\n",
        chain.id,
        a.seed,
        g.size[0],
        g.size[1],
        g.size[2],
        g.spacing,
        before,
        case.roi_voxels()
    ))
}
