//! `radaudit convert`: a volume (file, DICOM folder or built-in) written as NIfTI or NRRD,
//! keeping its geometry.

use std::path::PathBuf;

use clap::ValueEnum;

use super::{Outcome, print_stdout};
use crate::error::{Error, Result};
use crate::volume::io::{self, NrrdEncoding, ReadOptions, WriteOptions, rtstruct, seg};
use crate::volume::labels;

/// Convert a volume (file, DICOM folder or built-in) to NIfTI (.nii, .nii.gz) or NRRD
/// (.nrrd), keeping its geometry and, where values allow, its pixel type; or an RTSTRUCT to
/// a label map on the grid of --reference.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input file, DICOM folder or builtin:NAME.
    input: PathBuf,
    /// Output file; the extension picks the format.
    output: PathBuf,
    /// The SeriesInstanceUID to read from a DICOM folder holding several series.
    #[arg(long)]
    series: Option<String>,
    /// NRRD voxel encoding.
    #[arg(long, value_enum, default_value_t = Encoding::Gzip)]
    nrrd_encoding: Encoding,
    /// For an RTSTRUCT or DICOM SEG input (required then): the image whose grid its contours
    /// are rasterised, or its frames placed, on; the output is a label map holding each ROI's
    /// or segment's number.
    #[arg(long, value_name = "IMAGE")]
    reference: Option<PathBuf>,
    /// For an RTSTRUCT or SEG input: only this ROI or segment (number or name), labelled with
    /// its number.
    #[arg(long, requires = "reference")]
    label: Option<String>,
}

/// NRRD voxel encodings.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Encoding {
    Gzip,
    Raw,
}

/// An RTSTRUCT rasterised on the grid of `reference`: one ROI (`label`, a number or name) or
/// every ROI.
fn structure_set_as_mask(a: &Args, read: &ReadOptions) -> Result<crate::volume::Mask> {
    let Some(reference) = &a.reference else {
        return Err(Error::Usage(format!(
            "{} is an RTSTRUCT: its contours need --reference IMAGE, the image whose grid \
             they are rasterised on",
            a.input.display()
        )));
    };
    let image = io::read_volume(reference, read)?;
    match &a.label {
        Some(wanted) => {
            let set = rtstruct::read(&a.input)?;
            let label = labels::resolve(wanted, Some(&set.label_table()))?;
            rtstruct::mask_on(&a.input, &image, reference, read, label)
        }
        None => rtstruct::label_map_on(&a.input, &image, reference, read),
    }
}

/// A DICOM SEG placed on the grid of `reference`: one segment (`label`, a number or label) or
/// every segment (where segments overlap, the later one's number).
fn segmentation_as_mask(a: &Args, read: &ReadOptions) -> Result<crate::volume::Mask> {
    let Some(reference) = &a.reference else {
        return Err(Error::Usage(format!(
            "{} is a DICOM SEG: give --reference IMAGE, the image whose grid its frames are \
             placed on",
            a.input.display()
        )));
    };
    let image = io::read_volume(reference, read)?;
    let segmentation = seg::read(&a.input, 0.5)?;
    let wanted = match &a.label {
        Some(w) => vec![labels::resolve(w, Some(&segmentation.label_table()))?],
        None => segmentation.segments.iter().map(|(n, _)| *n).collect(),
    };
    let mut mask: Option<crate::volume::Mask> = None;
    for label in wanted {
        let one = seg::mask_on(&a.input, &image, reference, read, label)?;
        match &mut mask {
            None => mask = Some(one),
            Some(m) => {
                for (l, v) in m.labels.iter_mut().zip(one.labels.iter()) {
                    if *v != 0 {
                        *l = *v;
                    }
                }
            }
        }
    }
    mask.ok_or_else(|| Error::input(&a.input, "it holds no segment"))
}

/// Runs `radaudit convert`.
pub fn run(a: Args) -> Result<Outcome> {
    let read = ReadOptions {
        series: a.series.clone(),
    };
    let options = WriteOptions {
        nrrd_encoding: match a.nrrd_encoding {
            Encoding::Gzip => NrrdEncoding::Gzip,
            Encoding::Raw => NrrdEncoding::Raw,
        },
    };
    if seg::is_seg(&a.input) {
        let mask = segmentation_as_mask(&a, &read)?;
        io::write_mask(&mask, &a.output, &options)?;
        print_stdout(&format!("wrote {}\n", a.output.display()))?;
        return Ok(Outcome::Done);
    }
    if rtstruct::is_rtstruct(&a.input) {
        let mask = structure_set_as_mask(&a, &read)?;
        io::write_mask(&mask, &a.output, &options)?;
        print_stdout(&format!("wrote {}\n", a.output.display()))?;
        return Ok(Outcome::Done);
    }
    if a.reference.is_some() {
        return Err(Error::Usage(format!(
            "--reference is for an RTSTRUCT or SEG input; {} is neither",
            a.input.display()
        )));
    }
    let volume = io::read_volume(&a.input, &read)?;
    io::write_volume(&volume, &a.output, &options)?;
    print_stdout(&format!("wrote {}\n", a.output.display()))?;
    Ok(Outcome::Done)
}
