//! `radaudit info`: a volume's format, grid, pixel type and values; a label map's labels; with
//! `--mask`, both, and whether their grids agree.

use std::path::{Path, PathBuf};

use super::{Outcome, print_stdout};
use crate::error::{Error, Result};
use crate::volume::info::{VolumeInfo, describe, name_suggests_mask};
use crate::volume::io::{self, ReadOptions, rtstruct, seg};
use crate::volume::{GeometryTolerance, Mask, Volume};

/// Print a volume's size, spacing, origin, direction, pixel type and value range, and for a
/// mask its labels with voxel counts; for an RTSTRUCT, its ROIs (number, name, contours);
/// for a DICOM SEG, its segments (number, label, pixels). PATH is a .nii/.nii.gz/.nrrd/.nhdr file, a DICOM
/// folder, or builtin:ibsi-digital / builtin:ibsi-digital-mask.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The image (or mask) to describe.
    path: PathBuf,
    /// A mask to describe too, and to check against the image's grid.
    #[arg(long)]
    mask: Option<PathBuf>,
    /// Describe PATH as a label map (automatic when its name holds label, mask or seg).
    #[arg(long)]
    as_mask: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// The SeriesInstanceUID to read from a DICOM folder holding several series.
    #[arg(long)]
    series: Option<String>,
    /// Image-mask grid tolerance, relative to the first spacing (as PyRadiomics'
    /// geometryTolerance / SimpleITK's coordinate tolerance).
    #[arg(long, default_value_t = 1e-6)]
    geometry_tolerance: f64,
}

/// The facts `info --json --mask` prints.
#[derive(serde::Serialize)]
struct Both<'a> {
    image: &'a VolumeInfo,
    mask: &'a VolumeInfo,
    geometry_match: bool,
}

/// Reads and describes one volume; as a mask when asked or when its name says so.
fn describe_path(
    path: &Path,
    as_mask: bool,
    options: &ReadOptions,
) -> Result<(VolumeInfo, Option<Mask>, Volume)> {
    let format = io::detect_format(path)?;
    let volume = io::read_volume(path, options)?;
    let mask = if as_mask {
        Some(Mask::from_volume(volume.clone()).map_err(|p| Error::input(path, p))?)
    } else if name_suggests_mask(path) {
        Mask::from_volume(volume.clone()).ok()
    } else {
        None
    };
    let mut info = describe(path, format.name(), &volume, mask.as_ref());
    if format == io::Format::Dicom && mask.is_none() {
        info.acquisition = Some(io::dicom::acquisition(path, options.series.as_deref())?);
    }
    Ok((info, mask, volume))
}

fn pretty(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string_pretty(value).map_err(|e| Error::Internal(e.to_string()))
}

/// Runs `radaudit info`.
pub fn run(a: Args) -> Result<Outcome> {
    let tolerance = a.geometry_tolerance;
    if !(tolerance.is_finite() && tolerance >= 0.0) {
        return Err(Error::Usage(format!(
            "--geometry-tolerance {tolerance}: must be a finite number >= 0"
        )));
    }
    let options = ReadOptions { series: a.series };
    // A structure set or segmentation: its ROIs or segments, as JSON or text.
    let listing = |json: String, text: String| -> Result<Outcome> {
        print_stdout(&if a.json { format!("{json}\n") } else { text })?;
        Ok(Outcome::Done)
    };
    if rtstruct::is_rtstruct(&a.path) {
        let info = rtstruct::read(&a.path)?.info();
        return listing(pretty(&info)?, info.to_text());
    }
    if seg::is_seg(&a.path) {
        let info = seg::read(&a.path, 0.5)?.info();
        return listing(pretty(&info)?, info.to_text());
    }
    let (image_info, _, image) = describe_path(&a.path, a.as_mask, &options)?;
    let Some(mask_path) = a.mask.as_deref() else {
        let text = if a.json {
            pretty(&image_info)?
        } else {
            image_info.to_text()
        };
        print_stdout(&format!("{text}\n"))?;
        return Ok(Outcome::Done);
    };
    let (mask_info, mask, _) = describe_path(mask_path, true, &ReadOptions::default())?;
    let mask = mask.ok_or_else(|| Error::Internal("mask was not kept".into()))?;
    let tol = GeometryTolerance {
        coordinate: tolerance,
        ..GeometryTolerance::default()
    };
    mask.check_matches(&image, tol).map_err(|e| match e {
        Error::Mismatch(m) => Error::input(mask_path, format!("{m} (image {})", a.path.display())),
        other => other,
    })?;
    let text = if a.json {
        format!(
            "{}\n",
            // Keys sorted throughout, as every JSON file radaudit writes.
            pretty(
                &serde_json::to_value(Both {
                    image: &image_info,
                    mask: &mask_info,
                    geometry_match: true,
                })
                .map_err(|e| Error::Internal(e.to_string()))?
            )?
        )
    } else {
        format!(
            "{}\n{}\nimage and mask grids agree (tolerance {tolerance:e} x spacing)\n",
            image_info.to_text(),
            mask_info.to_text()
        )
    };
    print_stdout(&text)?;
    Ok(Outcome::Done)
}
