//! DICOM image series: a folder of single-frame slices (CT, or any modality with the image
//! plane module) assembled into one LPS volume.
//!
//! dicom-rs (`dicom-object`, `dicom-pixeldata`) parses files and decodes pixel data, including
//! compressed transfer syntaxes; it does not assemble a series, so that is done here: the
//! folder's slices are grouped by SeriesInstanceUID (a folder with several series is refused
//! unless one is chosen), sorted along the slice normal by ImagePositionPatient, checked for
//! uniform spacing (a missing slice is an error, not a silently stretched volume) and for a
//! common orientation, size and pixel spacing, and rescaled with each slice's own
//! RescaleSlope/RescaleIntercept in f64. The geometry is ITK's: origin at the first slice's
//! position, direction columns = row cosine, column cosine, slice normal.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::{DefaultDicomObject, InMemDicomObject, OpenFileOptions};
use dicom_pixeldata::PixelDecoder;
use rayon::prelude::*;

use super::dicom_lengths::{self, Walked};
use crate::error::{Error, Result};
use crate::volume::pixel::PixelType;
use crate::volume::{Geometry, Volume};

/// Relative deviation of a slice gap from the series' mean spacing beyond which the series is
/// refused (1 %: scanners write positions far more precisely; a missing slice is +100 %).
const SPACING_TOLERANCE: f64 = 0.01;
/// Orientation cosines of two slices of one series may differ by this much.
const ORIENTATION_TOLERANCE: f64 = 1e-4;

/// What a slice's header says, before its pixels are read.
#[derive(Debug, Clone)]
struct SliceHeader {
    path: PathBuf,
    series_uid: String,
    description: String,
    position: [f64; 3],
    orientation: [f64; 6],
    pixel_spacing: [f64; 2],
    rows: usize,
    columns: usize,
    slice_thickness: Option<f64>,
    /// FrameOfReferenceUID, empty when missing.
    frame_of_reference: String,
    /// Scanner and acquisition facts from its header.
    acquisition: Acquisition,
    /// Its element walk (for a meta group rebuilt when the pixels are read).
    walked: Walked,
}

/// What a DICOM file in the folder turned out to be.
enum Scanned {
    NotDicom,
    NonImage(String),
    Image(Box<SliceHeader>),
}

/// Reads the image series in `dir` (or the one file `dir` names, as a single slice).
/// With several series in the folder, `series` (a SeriesInstanceUID) must pick one.
pub fn read(dir: &Path, series: Option<&str>) -> Result<Volume> {
    let (files, scanned) = scan_folder(dir)?;
    let (mut slices, not_dicom, non_image) = split_scanned(scanned);
    if slices.is_empty() {
        return Err(Error::input(
            dir,
            format!(
                "no DICOM image series here ({} files: {} not DICOM, {} DICOM without an image{})",
                files,
                not_dicom,
                non_image.len(),
                if non_image.is_empty() {
                    String::new()
                } else {
                    format!(" such as {}", non_image.join(", "))
                }
            ),
        ));
    }
    let chosen = choose_series(dir, &slices, series)?;
    slices.retain(|s| s.series_uid == chosen);
    let (geometry, order) = assemble(dir, &slices)?;
    read_pixels(dir, &slices, &order, geometry)
}

/// The scanner and acquisition facts of a series, from its first slice's header (what
/// multi-site harmonization needs as batches and covariates). Absent tags are None.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Acquisition {
    /// Modality (CT, MR ...).
    pub modality: Option<String>,
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// ManufacturerModelName.
    pub model: Option<String>,
    /// KVP (kV).
    pub kvp: Option<f64>,
    /// ConvolutionKernel (several values joined by `\`).
    pub kernel: Option<String>,
    /// SliceThickness (mm).
    pub slice_thickness_mm: Option<f64>,
    /// SpacingBetweenSlices (mm).
    pub spacing_between_slices_mm: Option<f64>,
    /// Exposure (mAs).
    pub exposure_mas: Option<f64>,
    /// XRayTubeCurrent (mA).
    pub tube_current_ma: Option<f64>,
    /// ReconstructionDiameter (mm).
    pub reconstruction_diameter_mm: Option<f64>,
    /// ContrastBolusAgent.
    pub contrast_agent: Option<String>,
    /// AcquisitionDate, else SeriesDate, else StudyDate (YYYYMMDD).
    pub acquisition_date: Option<String>,
    /// SeriesDescription.
    pub series_description: Option<String>,
}

impl Acquisition {
    /// The numeric facts by name, usable as audit covariates.
    pub const NUMBERS: [&'static str; 6] = [
        "kvp",
        "slice_thickness_mm",
        "spacing_between_slices_mm",
        "exposure_mas",
        "tube_current_ma",
        "reconstruction_diameter_mm",
    ];

    /// The facts a batch's wide table carries per case, for harmonization by scanner.
    pub const COLUMNS: [&'static str; 9] = [
        "manufacturer",
        "model",
        "kernel",
        "kvp",
        "slice_thickness_mm",
        "exposure_mas",
        "tube_current_ma",
        "reconstruction_diameter_mm",
        "contrast_agent",
    ];

    /// The fact `name` (one of [`Acquisition::COLUMNS`]) as text, when the header gives it.
    pub fn text(&self, name: &str) -> Option<String> {
        match name {
            "manufacturer" => self.manufacturer.clone(),
            "model" => self.model.clone(),
            "kernel" => self.kernel.clone(),
            "contrast_agent" => self.contrast_agent.clone(),
            _ => self.number(name).map(crate::table::format_number),
        }
    }

    /// The numeric fact `name` (one of [`Acquisition::NUMBERS`]), when the header gives it.
    pub fn number(&self, name: &str) -> Option<f64> {
        match name {
            "kvp" => self.kvp,
            "slice_thickness_mm" => self.slice_thickness_mm,
            "spacing_between_slices_mm" => self.spacing_between_slices_mm,
            "exposure_mas" => self.exposure_mas,
            "tube_current_ma" => self.tube_current_ma,
            "reconstruction_diameter_mm" => self.reconstruction_diameter_mm,
            _ => None,
        }
    }

    fn of(obj: &DefaultDicomObject) -> Acquisition {
        let words = |tag: Tag| text(obj, tag).filter(|t| !t.is_empty());
        let number = |tag: Tag| {
            floats(obj, tag)
                .and_then(|v| v.first().copied())
                .filter(|v| v.is_finite())
        };
        Acquisition {
            modality: words(tags::MODALITY),
            manufacturer: words(tags::MANUFACTURER),
            model: words(tags::MANUFACTURER_MODEL_NAME),
            kvp: number(tags::KVP),
            kernel: words(tags::CONVOLUTION_KERNEL),
            slice_thickness_mm: number(tags::SLICE_THICKNESS),
            spacing_between_slices_mm: number(tags::SPACING_BETWEEN_SLICES),
            exposure_mas: number(tags::EXPOSURE),
            tube_current_ma: number(tags::X_RAY_TUBE_CURRENT),
            reconstruction_diameter_mm: number(tags::RECONSTRUCTION_DIAMETER),
            contrast_agent: words(tags::CONTRAST_BOLUS_AGENT),
            acquisition_date: words(tags::ACQUISITION_DATE)
                .or_else(|| words(tags::SERIES_DATE))
                .or_else(|| words(tags::STUDY_DATE)),
            series_description: words(tags::SERIES_DESCRIPTION),
        }
    }
}

/// The acquisition facts of the series `read` reads from `dir` (headers only).
pub fn acquisition(dir: &Path, series: Option<&str>) -> Result<Acquisition> {
    Ok(chosen_header(dir, series)?.acquisition)
}

/// The SeriesInstanceUID and FrameOfReferenceUID (empty when missing) of the series `read`
/// reads from `dir` (headers only), to check what a structure set or segmentation refers to.
pub fn series_identity(dir: &Path, series: Option<&str>) -> Result<(String, String)> {
    let header = chosen_header(dir, series)?;
    Ok((header.series_uid, header.frame_of_reference))
}

/// The first slice header of the series `read` reads from `dir`.
fn chosen_header(dir: &Path, series: Option<&str>) -> Result<SliceHeader> {
    let (_, scanned) = scan_folder(dir)?;
    let (slices, _, _) = split_scanned(scanned);
    if slices.is_empty() {
        return Err(Error::input(dir, "no DICOM image series here"));
    }
    let chosen = choose_series(dir, &slices, series)?;
    slices
        .into_iter()
        .find(|s| s.series_uid == chosen)
        .ok_or_else(|| Error::Internal("the chosen series has no slice".into()))
}

/// The Modality of a DICOM Part 10 file, or None when it is not one (or has none).
pub(super) fn modality(path: &Path) -> Option<String> {
    if !has_dicom_magic(path).ok()? {
        return None;
    }
    let walked = dicom_lengths::check(path).ok()?;
    // Parsed only up to the Modality element (a structure set has no pixel data to stop at).
    let obj = open(path, &walked, Some(Tag(0x0008, 0x0061))).ok()?;
    text(&obj, tags::MODALITY)
}

/// A whole DICOM Part 10 file, its element lengths checked against its size first.
pub(super) fn open_whole(path: &Path) -> Result<DefaultDicomObject> {
    if !has_dicom_magic(path)? {
        return Err(Error::input(
            path,
            "not a DICOM Part 10 file (no DICM after a 128-byte preamble)",
        ));
    }
    let walked = dicom_lengths::check(path)?;
    open(path, &walked, None)
}

/// The headers of the files of `dir` (or of the one file `dir` names, read as a single
/// slice), with how many files there were.
fn scan_folder(dir: &Path) -> Result<(usize, Vec<Scanned>)> {
    let files = if dir.is_dir() {
        list_files(dir)?
    } else {
        vec![dir.to_path_buf()]
    };
    let single = files.len() == 1 && !dir.is_dir();
    let scanned = files
        .par_iter()
        .map(|f| scan(f, single))
        .collect::<Result<_>>()?;
    Ok((files.len(), scanned))
}

fn list_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| Error::input(dir, format!("cannot list: {e}")))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

fn split_scanned(scanned: Vec<Scanned>) -> (Vec<SliceHeader>, usize, Vec<String>) {
    let mut slices = Vec::new();
    let mut not_dicom = 0;
    let mut non_image = Vec::new();
    for s in scanned {
        match s {
            Scanned::NotDicom => not_dicom += 1,
            Scanned::NonImage(m) => non_image.push(m),
            Scanned::Image(h) => slices.push(*h),
        }
    }
    non_image.sort();
    non_image.dedup();
    (slices, not_dicom, non_image)
}

/// Whether the file carries the DICOM Part 10 magic "DICM" after its 128-byte preamble.
fn has_dicom_magic(path: &Path) -> Result<bool> {
    let mut f =
        std::fs::File::open(path).map_err(|e| Error::input(path, format!("cannot open: {e}")))?;
    let mut head = [0u8; 132];
    match f.read_exact(&mut head) {
        Ok(()) => Ok(&head[128..] == b"DICM"),
        Err(_) => Ok(false),
    }
}

/// Reads one file's header. A `single` file (not a series) may lack the image plane module:
/// it is then placed as ITK and SimpleITK place it (origin 0, identity directions, 1 mm
/// pixels), as NM and secondary-capture files often do.
fn scan(path: &Path, single: bool) -> Result<Scanned> {
    if !has_dicom_magic(path)? {
        return Ok(Scanned::NotDicom);
    }
    // Before dicom-rs sizes any buffer from the file's element lengths.
    let walked = dicom_lengths::check(path)?;
    let obj = open(path, &walked, Some(tags::PIXEL_DATA))?;
    if obj.element_opt(tags::ROWS).ok().flatten().is_none() {
        let modality = text(&obj, tags::MODALITY).unwrap_or_else(|| "unknown".into());
        return Ok(Scanned::NonImage(modality));
    }
    let bad = |p: String| Error::input(path, p);
    let floats_exact = |tag: Tag, name: &str, n: usize| -> Result<Vec<f64>> {
        let default = match (single, n) {
            (true, 3) => Some(vec![0.0; 3]),
            (true, 6) => Some(vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
            (true, _) => Some(vec![1.0; n]),
            (false, _) => None,
        };
        let v = floats(&obj, tag)
            .or(default)
            .ok_or_else(|| bad(format!("{name} is missing")))?;
        if v.len() != n || v.iter().any(|x| !x.is_finite()) {
            return Err(bad(format!(
                "{name} must hold {n} finite numbers, found {v:?}"
            )));
        }
        Ok(v)
    };
    let position = floats_exact(tags::IMAGE_POSITION_PATIENT, "ImagePositionPatient", 3)?;
    let orientation = floats_exact(
        tags::IMAGE_ORIENTATION_PATIENT,
        "ImageOrientationPatient",
        6,
    )?;
    let pixel_spacing = floats_exact(tags::PIXEL_SPACING, "PixelSpacing", 2)?;
    let frames = uint(&obj, tags::NUMBER_OF_FRAMES).unwrap_or(1);
    if frames > 1 {
        return Err(bad(format!(
            "{frames} frames: multi-frame (enhanced) images are not supported, only one slice \
             per file"
        )));
    }
    let samples = uint(&obj, tags::SAMPLES_PER_PIXEL).unwrap_or(1);
    if samples != 1 {
        return Err(bad(format!(
            "{samples} samples per pixel: only greyscale images are read"
        )));
    }
    let dim = |tag, name: &str| -> Result<usize> {
        match uint(&obj, tag) {
            Some(n) if n > 0 => Ok(n as usize),
            _ => Err(bad(format!("{name} is missing or zero"))),
        }
    };
    let (rows, columns) = (dim(tags::ROWS, "Rows")?, dim(tags::COLUMNS, "Columns")?);
    if let Some(held) = walked.native_pixel_bytes {
        let bits = uint(&obj, tags::BITS_ALLOCATED).unwrap_or(16);
        let need = rows as u64 * columns as u64 * u64::from(bits).div_ceil(8);
        if held < need {
            return Err(bad(format!(
                "Rows {rows} x Columns {columns} x {} bytes per pixel need {need} bytes of pixel \
                 data, the file holds {held}",
                u64::from(bits).div_ceil(8)
            )));
        }
    }
    Ok(Scanned::Image(Box::new(SliceHeader {
        path: path.to_path_buf(),
        series_uid: text(&obj, tags::SERIES_INSTANCE_UID)
            .or_else(|| single.then(String::new))
            .ok_or_else(|| bad("SeriesInstanceUID is missing".into()))?,
        description: text(&obj, tags::SERIES_DESCRIPTION).unwrap_or_default(),
        position: [position[0], position[1], position[2]],
        orientation: std::array::from_fn(|i| orientation[i]),
        pixel_spacing: [pixel_spacing[0], pixel_spacing[1]],
        rows,
        columns,
        slice_thickness: floats(&obj, tags::SLICE_THICKNESS).and_then(|v| v.first().copied()),
        frame_of_reference: text(&obj, tags::FRAME_OF_REFERENCE_UID).unwrap_or_default(),
        acquisition: Acquisition::of(&obj),
        walked,
    })))
}

/// Why a transfer syntax's pixel data cannot be decoded here, for the syntaxes dicom-rs'
/// pure-Rust codecs leave out.
fn unsupported_syntax(uid: &str) -> Option<&'static str> {
    Some(match uid {
        "1.2.840.10008.1.2.4.51" => {
            "JPEG Extended (12-bit) is not supported: the pure-Rust JPEG decoder reads 8-bit \
             baseline and lossless JPEG only; convert the series (e.g. gdcmconv --raw)"
        }
        "1.2.840.10008.1.2.4.53" | "1.2.840.10008.1.2.4.55" => {
            "a retired progressive JPEG syntax, not supported; convert the series (e.g. \
             gdcmconv --raw)"
        }
        "1.2.840.10008.1.2.4.80" | "1.2.840.10008.1.2.4.81" => {
            "JPEG-LS is not supported: its only decoder (CharLS) is a C++ library radaudit does \
             not build; convert the series (e.g. gdcmconv --raw)"
        }
        _ => return None,
    })
}

/// Opens `path` with dicom-rs, up to `until` when given. A file meta group it refuses (an
/// optional element out of its rules, a wrong group length) is rebuilt from the essential UIDs
/// and the file read again; `walked` is the file's element walk.
fn open(path: &Path, walked: &Walked, until: Option<Tag>) -> Result<DefaultDicomObject> {
    let options = || match until {
        Some(tag) => OpenFileOptions::new().read_until(tag),
        None => OpenFileOptions::new(),
    };
    let first = match options().open_file(path) {
        Ok(obj) => return Ok(obj),
        Err(e) => e,
    };
    let refused = || Error::input(path, format!("cannot parse DICOM: {first}"));
    if walked.transfer_syntax.is_empty() {
        return Err(refused());
    }
    let bytes = dicom_lengths::with_rebuilt_meta(path, walked)?;
    options()
        .read_preamble(ReadPreamble::Never)
        .from_reader(&bytes[..])
        .map_err(|_| match unsupported_syntax(&walked.transfer_syntax) {
            Some(why) => Error::input(
                path,
                format!("transfer syntax {}: {why}", walked.transfer_syntax),
            ),
            None => refused(),
        })
}

/// An element's text, trailing padding and spaces removed (None when absent or not text).
/// These element readers serve the series reader, RTSTRUCT and SEG alike; a file object
/// derefs to its data set.
pub(super) fn text(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let e = obj.element_opt(tag).ok().flatten()?;
    let s = e.to_str().ok()?;
    Some(s.trim_end_matches(['\0', ' ']).trim().to_string())
}

/// An element's numbers.
pub(super) fn floats(obj: &InMemDicomObject, tag: Tag) -> Option<Vec<f64>> {
    obj.element_opt(tag).ok().flatten()?.to_multi_float64().ok()
}

/// An element's unsigned integer.
pub(super) fn uint(obj: &InMemDicomObject, tag: Tag) -> Option<u32> {
    obj.element_opt(tag).ok().flatten()?.to_int::<u32>().ok()
}

/// A sequence's items (none when absent or not a sequence).
pub(super) fn items(obj: &InMemDicomObject, tag: Tag) -> &[InMemDicomObject] {
    obj.element_opt(tag)
        .ok()
        .flatten()
        .and_then(|e| e.items())
        .unwrap_or(&[])
}

/// The SeriesInstanceUID to read: the only one, or the one asked for.
fn choose_series(dir: &Path, slices: &[SliceHeader], wanted: Option<&str>) -> Result<String> {
    let mut series: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    for s in slices {
        let e = series.entry(&s.series_uid).or_insert((0, &s.description));
        e.0 += 1;
    }
    let listing = || {
        series
            .iter()
            .map(|(uid, (n, d))| {
                format!(
                    "{uid} ({n} slices{})",
                    if d.is_empty() {
                        String::new()
                    } else {
                        format!(", '{d}'")
                    }
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    match wanted {
        Some(uid) if series.contains_key(uid) => Ok(uid.to_string()),
        Some(uid) => Err(Error::input(
            dir,
            format!("series {uid} is not here; the folder holds: {}", listing()),
        )),
        None if series.len() == 1 => Ok(slices[0].series_uid.clone()),
        None => Err(Error::input(
            dir,
            format!(
                "{} image series in one folder; pick one with --series UID: {}",
                series.len(),
                listing()
            ),
        )),
    }
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Checks the slices form one regular grid; returns it and the slice order along the normal.
fn assemble(dir: &Path, slices: &[SliceHeader]) -> Result<(Geometry, Vec<usize>)> {
    let first = &slices[0];
    for s in &slices[1..] {
        let differs = |a: &[f64], b: &[f64]| {
            a.iter()
                .zip(b)
                .any(|(x, y)| (x - y).abs() > ORIENTATION_TOLERANCE)
        };
        let what = if s.rows != first.rows || s.columns != first.columns {
            Some(format!(
                "{} x {} pixels vs {} x {}",
                s.columns, s.rows, first.columns, first.rows
            ))
        } else if differs(&s.orientation, &first.orientation) {
            Some(format!(
                "orientation {:?} vs {:?}",
                s.orientation, first.orientation
            ))
        } else if differs(&s.pixel_spacing, &first.pixel_spacing) {
            Some(format!(
                "pixel spacing {:?} vs {:?}",
                s.pixel_spacing, first.pixel_spacing
            ))
        } else {
            None
        };
        if let Some(what) = what {
            return Err(Error::input(
                &s.path,
                format!(
                    "does not match the series' first slice {}: {what}",
                    first.path.display()
                ),
            ));
        }
    }
    let row = [
        first.orientation[0],
        first.orientation[1],
        first.orientation[2],
    ];
    let col = [
        first.orientation[3],
        first.orientation[4],
        first.orientation[5],
    ];
    let normal = cross(row, col);
    let mut order: Vec<usize> = (0..slices.len()).collect();
    let along = |i: usize| dot(slices[i].position, normal);
    order.sort_by(|&a, &b| along(a).total_cmp(&along(b)));

    // Gaps are checked against their median (robust to the one gap a missing slice leaves);
    // the grid's spacing is their mean, as ITK computes it from the first and last slice.
    let n = order.len();
    let mut gaps: Vec<f64> = order
        .windows(2)
        .map(|w| along(w[1]) - along(w[0]))
        .collect();
    gaps.sort_by(f64::total_cmp);
    let typical_gap = gaps.get(gaps.len() / 2).copied().unwrap_or(0.0);
    let spacing_z = if n > 1 {
        (along(order[n - 1]) - along(order[0])) / (n - 1) as f64
    } else {
        first.slice_thickness.filter(|t| *t > 0.0).unwrap_or(1.0)
    };
    for w in order.windows(2) {
        let (a, b) = (&slices[w[0]], &slices[w[1]]);
        let gap = along(w[1]) - along(w[0]);
        if gap.abs() < 1e-6 {
            return Err(Error::input(
                dir,
                format!(
                    "two slices at the same position {:.3} mm: {} and {}",
                    along(w[0]),
                    a.path.display(),
                    b.path.display()
                ),
            ));
        }
        if ((gap - typical_gap) / typical_gap).abs() > SPACING_TOLERANCE {
            return Err(Error::input(
                dir,
                format!(
                    "slice spacing is not uniform: {gap:.4} mm between {} and {} where the other \
                     slices are {typical_gap:.4} mm apart{}",
                    a.path.display(),
                    b.path.display(),
                    if gap > 1.5 * typical_gap {
                        " (a missing slice?)"
                    } else {
                        ""
                    }
                ),
            ));
        }
        let step = [0, 1, 2].map(|i| b.position[i] - a.position[i]);
        let in_plane = [dot(step, row), dot(step, col)];
        if in_plane
            .iter()
            .any(|v| v.abs() > SPACING_TOLERANCE * spacing_z)
        {
            return Err(Error::input(
                &b.path,
                format!(
                    "slice is shifted in-plane by {in_plane:?} mm from the previous one (gantry \
                     tilt or a sheared series), which is not supported"
                ),
            ));
        }
    }
    let o = &slices[order[0]];
    let direction = std::array::from_fn(|r| [row[r], col[r], normal[r]]);
    let geometry = Geometry::new(
        [first.columns, first.rows, n],
        [first.pixel_spacing[1], first.pixel_spacing[0], spacing_z],
        o.position,
        direction,
    )
    .map_err(|p| Error::input(&o.path, p))?;
    Ok((geometry, order))
}

/// Reads every slice's pixels in parallel into its place along z.
fn read_pixels(
    dir: &Path,
    slices: &[SliceHeader],
    order: &[usize],
    geometry: Geometry,
) -> Result<Volume> {
    let plane = geometry.size[0] * geometry.size[1];
    // Compressed slices decode to sizes their files do not bound: the series is held to the
    // voxel budget before anything is allocated.
    if let Some(over) = crate::limits::over_budget(plane as f64 * order.len() as f64, "voxels") {
        return Err(Error::input(
            dir,
            format!(
                "{} x {} pixels x {} slices are {over}",
                geometry.size[0],
                geometry.size[1],
                order.len()
            ),
        ));
    }
    let mut voxels = vec![0f32; plane * order.len()];
    let stored: Vec<PixelType> = voxels
        .par_chunks_mut(plane)
        .zip(order.par_iter())
        .map(|(dst, &i)| read_slice(&slices[i], dst))
        .collect::<Result<_>>()?;
    let stored_type = stored.first().copied().unwrap_or(PixelType::F32);
    Volume::from_vec(geometry, voxels, stored_type).map_err(|p| Error::input(dir, p))
}

/// Decodes one slice into `dst`, applying its rescale; returns its stored sample type.
fn read_slice(header: &SliceHeader, dst: &mut [f32]) -> Result<PixelType> {
    let path = &header.path;
    let bad = |p: String| Error::input(path, p);
    let obj = open(path, &header.walked, None)?;
    let slope = floats(&obj, tags::RESCALE_SLOPE)
        .and_then(|v| v.first().copied())
        .unwrap_or(1.0);
    let intercept = floats(&obj, tags::RESCALE_INTERCEPT)
        .and_then(|v| v.first().copied())
        .unwrap_or(0.0);
    if !(slope.is_finite() && intercept.is_finite()) || slope == 0.0 {
        return Err(bad(format!(
            "RescaleSlope {slope} / RescaleIntercept {intercept} are unusable"
        )));
    }
    let decoded = obj.decode_pixel_data().map_err(|e| {
        let syntax = obj.meta().transfer_syntax().trim_end_matches(['\0', ' ']);
        bad(match unsupported_syntax(syntax) {
            Some(why) => format!("transfer syntax {syntax}: {why}"),
            None => format!("cannot decode pixel data ({syntax}): {e}"),
        })
    })?;
    let data = decoded
        .frame_data(0)
        .map_err(|e| bad(format!("cannot decode pixel data: {e}")))?;
    let allocated = decoded.bits_allocated();
    let stored_bits = decoded.bits_stored().clamp(1, allocated.max(1));
    let signed = decoded.pixel_representation() == dicom_pixeldata::PixelRepresentation::Signed;
    let bytes = (allocated as usize).div_ceil(8);
    let ty = match (allocated, signed) {
        (8, false) => PixelType::U8,
        (8, true) => PixelType::I8,
        (16, false) => PixelType::U16,
        (16, true) => PixelType::I16,
        (32, false) => PixelType::U32,
        (32, true) => PixelType::I32,
        _ => return Err(bad(format!("BitsAllocated {allocated} is not 8, 16 or 32"))),
    };
    if data.len() < dst.len() * bytes {
        return Err(bad(format!(
            "pixel data holds {} bytes, {} x {} pixels need {}",
            data.len(),
            header.columns,
            header.rows,
            dst.len() * bytes
        )));
    }
    // Stored values occupy the low `stored_bits` bits (two's complement when signed).
    let mask: u64 = if stored_bits >= 64 {
        u64::MAX
    } else {
        (1u64 << stored_bits) - 1
    };
    let sign_bit = 1u64 << (stored_bits - 1);
    for (d, chunk) in dst.iter_mut().zip(data.chunks_exact(bytes)) {
        let mut raw = 0u64;
        for (k, &b) in chunk.iter().enumerate() {
            raw |= (b as u64) << (8 * k);
        }
        raw &= mask;
        let value = if signed && raw & sign_bit != 0 {
            raw as i64 - (mask as i64 + 1)
        } else {
            raw as i64
        };
        let rescaled = value as f64 * slope + intercept;
        *d = rescaled as f32;
        if !d.is_finite() {
            return Err(bad(format!(
                "stored value {value} rescaled by RescaleSlope {slope:e} and RescaleIntercept {intercept:e} is {rescaled:e}, beyond float32's range (+-3.4e38) that intensities are held in"
            )));
        }
    }
    Ok(ty)
}
