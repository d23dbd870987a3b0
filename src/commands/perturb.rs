//! `radaudit perturb`: applies a perturbation chain to one image and ROI and writes the
//! results, so a user can look at what an audit's perturbation does.

use std::path::{Path, PathBuf};

use super::Outcome;
use crate::error::{Error, Result};
use crate::perturb::{Case, Chain};
use crate::report::panel::{self, Picture};
use crate::volume::io::{self, ReadOptions, WriteOptions};
use crate::volume::slice::{Field, Window};

/// Apply a perturbation chain to an image and its ROI and write the results (to look at
/// what an audit's perturbations do). Random draws come from the seed, the case id and
/// the chain, never from the thread count.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = crate::perturb::spec::help())]
pub struct Args {
    /// The image (file, DICOM folder or builtin:NAME).
    #[arg(long)]
    pub image: PathBuf,
    /// The mask (label map) on the image's grid.
    #[arg(long)]
    pub mask: PathBuf,
    /// The ROI's label in the mask.
    #[arg(long, default_value_t = 1)]
    pub label: u16,
    /// The chain, e.g. "noise:sd=20,peak=0.3; blur:fwhm=1.2; kvp:80; spacing:0.8x0.8x2;
    /// erode:mm=1" (elements below).
    #[arg(long = "apply")]
    pub chain: String,
    /// Seed of the random streams.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Case id for the random streams (default: the image's file name without extension).
    #[arg(long)]
    pub case_id: Option<String>,
    /// The perturbed image (.nii, .nii.gz or .nrrd).
    #[arg(long)]
    pub out_image: PathBuf,
    /// The perturbed ROI.
    #[arg(long)]
    pub out_mask: Option<PathBuf>,
    /// Also write a PNG of the axial slice through the ROI's centre before and after (and
    /// their difference when the grid is kept), the ROI outlined in each.
    #[arg(long)]
    pub preview: Option<PathBuf>,
    /// The preview's intensity window: bone (L 400 W 1800), soft (40/400), lung (-600/1500),
    /// brain (40/80) or LEVEL/WIDTH.
    #[arg(long, default_value = "bone")]
    pub window: String,
}

/// Runs `radaudit perturb`.
pub fn run(a: Args) -> Result<Outcome> {
    let summary = apply(&a)?;
    eprint!("{summary}");
    Ok(Outcome::Done)
}

/// The case id a file gives by default: its name without the volume extensions.
pub(crate) fn case_id_of(path: &Path) -> String {
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
fn apply(a: &Args) -> Result<String> {
    let chain = Chain::parse(&a.chain)?;
    let window = Window::parse(&a.window).map_err(|e| Error::Usage(format!("--window: {e}")))?;
    let read = ReadOptions::default();
    let image = io::read_volume(&a.image, &read)?;
    let mask = crate::features::mask_for(&image, &a.image, &a.mask, &read, a.label)?;
    let mut case = Case::new(image, &mask, a.label).map_err(|e| match e {
        Error::Usage(m) => Error::input(&a.mask, m),
        other => other,
    })?;
    let before = case.roi_voxels();
    let original = a.preview.as_ref().map(|_| case.clone());
    let case_id = a.case_id.clone().unwrap_or_else(|| case_id_of(&a.image));
    chain.apply(&mut case, a.seed, &case_id)?;
    let options = WriteOptions::default();
    io::write_volume(&case.image, &a.out_image, &options)?;
    if let Some(out_mask) = &a.out_mask {
        io::write_mask(&case.mask(a.label), out_mask, &options)?;
    }
    if let (Some(path), Some(original)) = (&a.preview, &original) {
        let picture = preview(original, &case, &chain.id, &window)?;
        let png = picture.png(&[
            ("Title", format!("radaudit perturb `{}`", chain.id)),
            ("Window", window.label()),
        ])?;
        crate::output::write_bytes(path, &png)?;
    }
    let g = &case.image.geometry;
    Ok(format!(
        "applied `{}` (seed {}, case `{case_id}`): grid {} x {} x {} at {} mm, ROI {} -> {} voxels\n",
        chain.id,
        a.seed,
        g.size[0],
        g.size[1],
        g.size[2],
        g.spacing
            .map(|s| crate::table::format_short(s, 6))
            .join(" x "),
        before,
        case.roi_voxels()
    ))
}

/// Before, after and (on an unchanged grid) after - before, through the ROI's centre slice.
fn preview(original: &Case, perturbed: &Case, chain: &str, window: &Window) -> Result<Picture> {
    let field = Field::around_roi(&original.image.geometry, &original.roi, 10.0, 240)
        .ok_or_else(|| Error::Internal("preview of an empty ROI".into()))?;
    let before = field.sample(&original.image, Some(&original.roi));
    let after = field.sample(&perturbed.image, Some(&perturbed.roi));
    let mut panels = vec![
        ("BEFORE".to_string(), panel::slice_picture(&before, window)),
        (
            format!("AFTER {chain}"),
            panel::slice_picture(&after, window),
        ),
    ];
    if original.image.geometry == perturbed.image.geometry {
        let range = panel::difference_range(&before, &after);
        panels.push((
            "AFTER - BEFORE".to_string(),
            panel::difference_picture(&before, &after, range),
        ));
    }
    Ok(panel::side_by_side(&panels))
}
