//! Reading and writing volumes in the formats users bring: NIfTI-1/2 (`.nii`, `.nii.gz`),
//! NRRD (`.nrrd`, `.nhdr`), DICOM series (a folder, or one `.dcm` file), and radaudit's
//! built-in phantoms (`builtin:NAME`). The format is chosen from the path, or from the file's
//! first bytes when its name says nothing. Writers: NIfTI and NRRD.

pub mod dicom;
mod dicom_lengths;
pub mod nifti;
pub mod nrrd;
mod payload;
pub mod rtstruct;
pub mod seg;

use std::path::Path;

use super::{Geometry, Mask, Volume};
use crate::error::{Error, Result};

pub use nrrd::Encoding as NrrdEncoding;

pub use crate::volume::builtin::BUILTIN_PREFIX;

/// File formats radaudit reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// NIfTI-1 (`.nii`, `.nii.gz`).
    Nifti,
    /// NRRD (`.nrrd`, `.nhdr`).
    Nrrd,
    /// A folder of DICOM files.
    Dicom,
    /// A built-in volume (`builtin:NAME`).
    Builtin,
}

impl Format {
    /// A short name for messages and `info`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Nifti => "NIfTI",
            Format::Nrrd => "NRRD",
            Format::Dicom => "DICOM",
            Format::Builtin => "built-in",
        }
    }
}

/// Options for reading.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The SeriesInstanceUID to read from a DICOM folder holding several series.
    pub series: Option<String>,
}

/// Options for writing.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    /// NRRD voxel block encoding (gzip by default).
    pub nrrd_encoding: NrrdEncoding,
}

fn lower_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The format of `path`, from its name, or else from its first bytes.
pub fn detect_format(path: &Path) -> Result<Format> {
    if path.to_string_lossy().starts_with(BUILTIN_PREFIX) {
        return Ok(Format::Builtin);
    }
    if !path.exists() {
        return Err(Error::input(path, "no such file or folder"));
    }
    if path.is_dir() {
        return Ok(Format::Dicom);
    }
    let name = lower_name(path);
    if name.ends_with(".nii") || name.ends_with(".nii.gz") {
        return Ok(Format::Nifti);
    }
    if name.ends_with(".nrrd") || name.ends_with(".nhdr") {
        return Ok(Format::Nrrd);
    }
    if name.ends_with(".dcm") || name.ends_with(".ima") {
        return Ok(Format::Dicom);
    }
    if name.ends_with(".hdr") || name.ends_with(".img") || name.ends_with(".img.gz") {
        return Err(Error::input(
            path,
            "NIfTI/ANALYZE .hdr/.img pairs are not read; convert them to a single .nii(.gz)",
        ));
    }
    let mut head = [0u8; 132];
    let n = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .map_err(|e| Error::input(path, format!("cannot read: {e}")))?;
    let head = &head[..n];
    if head.starts_with(b"NRRD000") {
        Ok(Format::Nrrd)
    } else if head.len() == 132 && &head[128..] == b"DICM" {
        Ok(Format::Dicom)
    } else if head.len() >= 4
        && [348, 540].contains(&i32::from_le_bytes([head[0], head[1], head[2], head[3]]))
        || head.starts_with(&[0x1f, 0x8b])
    {
        Ok(Format::Nifti)
    } else {
        Err(Error::input(
            path,
            "unknown format: expected .nii, .nii.gz, .nrrd, .nhdr, .dcm or a DICOM folder",
        ))
    }
}

/// Reads an image from a file, a DICOM folder or a built-in name.
pub fn read_volume(path: &Path, options: &ReadOptions) -> Result<Volume> {
    match detect_format(path)? {
        Format::Nifti => nifti::read(path),
        Format::Nrrd => nrrd::read(path),
        Format::Dicom => dicom::read(path, options.series.as_deref()),
        Format::Builtin => crate::volume::builtin::builtin_volume(path),
    }
}

/// Reads a label map; every voxel must be a non-negative integer label. NIfTI and NRRD masks
/// are decoded straight into labels.
pub fn read_mask(path: &Path, options: &ReadOptions) -> Result<Mask> {
    match detect_format(path)? {
        Format::Nifti => nifti::read_labels(path),
        Format::Nrrd => nrrd::read_labels(path),
        _ => {
            let volume = read_volume(path, options)?;
            Mask::from_volume(volume).map_err(|p| Error::input(path, p))
        }
    }
}

/// A reader's failure: a damaged file, or a voxel value the requested type cannot hold.
pub(crate) enum Failure {
    Format(String),
    Unrepresentable(Box<Geometry>, usize),
}

impl From<String> for Failure {
    fn from(s: String) -> Self {
        Failure::Format(s)
    }
}

impl From<&str> for Failure {
    fn from(s: &str) -> Self {
        Failure::Format(s.to_string())
    }
}

/// The message for a voxel that is not a valid label, naming its index (i, j, k).
pub(crate) fn unrepresentable<T: crate::volume::pixel::Sample>(
    geometry: &Geometry,
    flat: usize,
) -> String {
    let [nx, ny, _] = geometry.size;
    let (i, j, k) = (flat % nx, (flat / nx) % ny, flat / (nx * ny));
    format!("voxel ({i}, {j}, {k}) {}", T::CANNOT_HOLD)
}

/// Writes an image; the format follows the extension (`.nii`, `.nii.gz`, `.nrrd`).
pub fn write_volume(volume: &Volume, path: &Path, options: &WriteOptions) -> Result<()> {
    let name = lower_name(path);
    if name.ends_with(".nii") || name.ends_with(".nii.gz") {
        nifti::write(volume, path)
    } else if name.ends_with(".nrrd") {
        nrrd::write(volume, path, options.nrrd_encoding)
    } else {
        Err(Error::Usage(format!(
            "{}: unknown output format; use .nii.gz, .nii or .nrrd",
            path.display()
        )))
    }
}

/// Writes a label map (as the narrowest unsigned integer type holding its labels).
pub fn write_mask(mask: &Mask, path: &Path, options: &WriteOptions) -> Result<()> {
    write_volume(&mask.to_volume(), path, options)
}
