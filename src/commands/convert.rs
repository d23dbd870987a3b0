//! `radaudit convert`: a volume (file, DICOM folder or built-in) written as NIfTI or NRRD,
//! keeping its geometry.

use std::path::PathBuf;

use clap::ValueEnum;

use super::{Outcome, print_stdout};
use crate::error::Result;
use crate::volume::io::{self, NrrdEncoding, ReadOptions, WriteOptions};

/// Convert a volume (file, DICOM folder or built-in) to NIfTI (.nii, .nii.gz) or NRRD
/// (.nrrd), keeping its geometry and, where values allow, its pixel type.
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
}

/// NRRD voxel encodings.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Encoding {
    Gzip,
    Raw,
}

/// Runs `radaudit convert`.
pub fn run(a: Args) -> Result<Outcome> {
    let volume = io::read_volume(&a.input, &ReadOptions { series: a.series })?;
    let options = WriteOptions {
        nrrd_encoding: match a.nrrd_encoding {
            Encoding::Gzip => NrrdEncoding::Gzip,
            Encoding::Raw => NrrdEncoding::Raw,
        },
    };
    io::write_volume(&volume, &a.output, &options)?;
    print_stdout(&format!("wrote {}\n", a.output.display()))?;
    Ok(Outcome::Done)
}
