//! DICOM Segmentation objects (SEG): each segment's frames, read with dicom-rs and placed on
//! an image's grid by their positions (dicom-rs parses the object; placing a multi-frame SEG's
//! frames on a CT series is done here).
//!
//! What is read: BINARY segmentations (1 bit per pixel, frames packed one after another
//! without byte alignment, as the standard stores them) and FRACTIONAL ones (8 bits, value /
//! MaximumFractionalValue, kept at or above a threshold, 0.5 unless told), in native transfer
//! syntaxes (implicit and explicit VR little endian, explicit big endian, deflated), 1-bit RLE
//! (decoded here: dicom-rs' RLE decoder does not take 1 bit) and what dicom-rs decodes. Each frame
//! names its segment (SegmentIdentificationSequence) and its position (PlanePositionSequence);
//! orientation and pixel spacing come from the shared (or the frame's) functional groups. A
//! frame pixel marks the image voxel nearest its centre; a pixel outside the image is counted
//! and said. Label-map SEGs (slide microscopy, no patient positions) are refused.

use std::path::{Path, PathBuf};

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use ndarray::Array3;

use super::dicom::{self, floats, items, text, uint};
use super::{Format, ReadOptions};
use crate::error::{Error, Result};
use crate::volume::labels::LabelTable;
use crate::volume::{Mask, Volume};

/// Frame pixels beyond this in one SEG are refused (a hostile Rows x Columns x frames).
const MAX_PIXELS: u64 = 500_000_000;

/// A segmentation object.
#[derive(Debug, Clone)]
pub struct Segmentation {
    /// The file.
    pub path: PathBuf,
    /// FrameOfReferenceUID.
    pub frame_of_reference: String,
    /// The series it segments (ReferencedSeriesSequence).
    pub referenced_series: Vec<String>,
    /// Segments: (number, label).
    pub segments: Vec<(u16, String)>,
    /// Frames: segment, position, and the pixels kept (row-major, rows x columns).
    pub frames: Vec<Frame>,
    /// Rows and columns of every frame.
    pub rows: usize,
    /// Columns of every frame.
    pub columns: usize,
    /// Row cosine, column cosine (ImageOrientationPatient).
    pub orientation: [f64; 6],
    /// Spacing between rows, then between columns (PixelSpacing), mm.
    pub pixel_spacing: [f64; 2],
}

/// One frame of a segmentation.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The segment it belongs to.
    pub segment: u16,
    /// ImagePositionPatient of its first pixel (mm).
    pub position: [f64; 3],
    /// Pixels inside the segment, row-major.
    pub inside: Vec<bool>,
}

/// Whether `path` is a DICOM file whose Modality is SEG.
pub fn is_seg(path: &Path) -> bool {
    path.is_file() && dicom::modality(path).is_some_and(|m| m == "SEG")
}

/// The first item of `sequence` in `group` (a functional group), if any.
fn first(group: Option<&InMemDicomObject>, sequence: Tag) -> Option<&InMemDicomObject> {
    items(group?, sequence).first()
}

/// Reads a segmentation; FRACTIONAL pixels are kept at or above `threshold` (0 to 1; above 0
/// when it is 0) of MaximumFractionalValue.
pub fn read(path: &Path, threshold: f64) -> Result<Segmentation> {
    if !(0.0..=1.0).contains(&threshold) {
        return Err(Error::Usage(format!(
            "SEG threshold {threshold}: must be between 0 and 1"
        )));
    }
    let obj = dicom::open_whole(path)?;
    let bad = |p: String| Error::input(path, p);
    let modality = text(&obj, tags::MODALITY).unwrap_or_default();
    if modality != "SEG" {
        return Err(bad(format!(
            "Modality is {modality:?}, not SEG: not a segmentation"
        )));
    }
    let sop_class = text(&obj, tags::SOP_CLASS_UID).unwrap_or_default();
    if sop_class == "1.2.840.10008.5.1.4.1.1.66.7" {
        return Err(bad(
            "a label-map segmentation (Label Map Segmentation Storage): not supported; \
             radaudit reads BINARY and FRACTIONAL SEGs"
                .into(),
        ));
    }
    let kind = text(&obj, tags::SEGMENTATION_TYPE).unwrap_or_default();
    let bits = uint(&obj, tags::BITS_ALLOCATED).unwrap_or(0);
    let (rows, columns) = (
        uint(&obj, tags::ROWS).unwrap_or(0) as usize,
        uint(&obj, tags::COLUMNS).unwrap_or(0) as usize,
    );
    let frames_n = uint(&obj, tags::NUMBER_OF_FRAMES).unwrap_or(1) as usize;
    let pixels = rows as u64 * columns as u64 * frames_n as u64;
    if rows == 0 || columns == 0 || pixels > MAX_PIXELS {
        return Err(bad(format!(
            "Rows {rows} x Columns {columns} x {frames_n} frames: must be 1 to {MAX_PIXELS} pixels"
        )));
    }
    let max_fraction = match (kind.as_str(), bits) {
        ("BINARY", 1) => None,
        ("FRACTIONAL", 8) => Some(f64::from(
            uint(&obj, tags::MAXIMUM_FRACTIONAL_VALUE)
                .filter(|v| *v > 0)
                .ok_or_else(|| bad("FRACTIONAL without a MaximumFractionalValue".into()))?,
        )),
        _ => {
            return Err(bad(format!(
                "SegmentationType {kind:?} with BitsAllocated {bits}: radaudit reads BINARY (1 \
                 bit) and FRACTIONAL (8 bits)"
            )));
        }
    };
    let segments: Vec<(u16, String)> = items(&obj, tags::SEGMENT_SEQUENCE)
        .iter()
        .filter_map(|s| {
            let n = u16::try_from(uint(s, tags::SEGMENT_NUMBER)?).ok()?;
            Some((n, text(s, tags::SEGMENT_LABEL).unwrap_or_default()))
        })
        .collect();
    let shared = items(&obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE).first();
    let per_frame = items(&obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
    if per_frame.len() != frames_n {
        return Err(bad(format!(
            "{} per-frame functional groups for {frames_n} frames",
            per_frame.len()
        )));
    }
    // Orientation and spacing: shared, else the first frame's.
    let geometry_of = |sequence: Tag, tag: Tag, n: usize| -> Result<Vec<f64>> {
        first(shared, sequence)
            .or_else(|| first(per_frame.first(), sequence))
            .and_then(|g| floats(g, tag))
            .filter(|v| v.len() == n && v.iter().all(|x| x.is_finite()))
            .ok_or_else(|| {
                bad(format!(
                    "no valid {} in the functional groups",
                    tag_name(tag)
                ))
            })
    };
    let orientation = geometry_of(
        tags::PLANE_ORIENTATION_SEQUENCE,
        tags::IMAGE_ORIENTATION_PATIENT,
        6,
    )?;
    let spacing = geometry_of(tags::PIXEL_MEASURES_SEQUENCE, tags::PIXEL_SPACING, 2)?;
    if spacing.iter().any(|s| *s <= 0.0) {
        return Err(bad(format!("PixelSpacing {spacing:?}: must be positive")));
    }
    let data = obj
        .element_opt(tags::PIXEL_DATA)
        .ok()
        .flatten()
        .ok_or_else(|| bad("no Pixel Data".into()))?;
    let bytes: Vec<u8> = match data.to_bytes() {
        Ok(b) => b.into_owned(),
        // Encapsulated (compressed) frames: 1-bit RLE here (dicom-rs' RLE decoder does not
        // take 1 bit), the rest by dicom-rs' decoders.
        Err(_) if bits == 1 && transfer_syntax(&obj) == RLE_LOSSLESS => {
            let fragments = data.value().fragments().unwrap_or(&[]);
            rle_bit_frames(fragments, frames_n, rows * columns)
                .map_err(|why| bad(format!("cannot decode its RLE frames: {why}")))?
        }
        Err(_) => decoded_frames(&obj, frames_n)
            .map_err(|why| bad(format!("cannot decode its compressed pixel data: {why}")))?,
    };
    let per_frame_pixels = rows * columns;
    let need = match max_fraction {
        None => (pixels as usize).div_ceil(8),
        Some(_) => pixels as usize,
    };
    if bytes.len() < need {
        return Err(bad(format!(
            "Pixel Data holds {} bytes; {frames_n} frames of {rows} x {columns} need {need}",
            bytes.len()
        )));
    }
    let mut frames = Vec::with_capacity(frames_n);
    for (f, group) in per_frame.iter().enumerate() {
        let segment = first(Some(group), tags::SEGMENT_IDENTIFICATION_SEQUENCE)
            .or_else(|| first(shared, tags::SEGMENT_IDENTIFICATION_SEQUENCE))
            .and_then(|g| uint(g, tags::REFERENCED_SEGMENT_NUMBER))
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| bad(format!("frame {}: no ReferencedSegmentNumber", f + 1)))?;
        let position = first(Some(group), tags::PLANE_POSITION_SEQUENCE)
            .and_then(|g| floats(g, tags::IMAGE_POSITION_PATIENT))
            .filter(|v| v.len() == 3 && v.iter().all(|x| x.is_finite()))
            .ok_or_else(|| bad(format!("frame {}: no valid PlanePositionSequence", f + 1)))?;
        let start = f * per_frame_pixels;
        let inside: Vec<bool> = (start..start + per_frame_pixels)
            .map(|p| match max_fraction {
                // Bits run on across frames; bit 0 of a byte is its first pixel.
                None => bytes[p / 8] >> (p % 8) & 1 == 1,
                Some(max) => {
                    let v = f64::from(bytes[p]) / max;
                    if threshold == 0.0 {
                        v > 0.0
                    } else {
                        v >= threshold
                    }
                }
            })
            .collect();
        frames.push(Frame {
            segment,
            position: [position[0], position[1], position[2]],
            inside,
        });
    }
    let referenced_series = items(&obj, tags::REFERENCED_SERIES_SEQUENCE)
        .iter()
        .filter_map(|s| text(s, tags::SERIES_INSTANCE_UID))
        .collect();
    Ok(Segmentation {
        path: path.to_path_buf(),
        frame_of_reference: text(&obj, tags::FRAME_OF_REFERENCE_UID).unwrap_or_default(),
        referenced_series,
        segments,
        frames,
        rows,
        columns,
        orientation: std::array::from_fn(|i| orientation[i]),
        pixel_spacing: [spacing[0], spacing[1]],
    })
}

/// RLE Lossless.
const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";

/// The file's transfer syntax UID.
fn transfer_syntax(obj: &dicom_object::DefaultDicomObject) -> String {
    obj.meta()
        .transfer_syntax()
        .trim_end_matches(['\0', ' '])
        .to_string()
}

/// 1-bit frames in RLE Lossless (PS3.5 annex G): one fragment per frame, a 64-byte header
/// (segment count, then offsets), one PackBits segment holding the frame's bits packed into
/// bytes from its own first byte. Returned as native data holds them: the frames' bits run on
/// without byte alignment.
fn rle_bit_frames(
    fragments: &[Vec<u8>],
    frames: usize,
    per_frame: usize,
) -> std::result::Result<Vec<u8>, String> {
    if fragments.len() != frames {
        return Err(format!("{} fragments for {frames} frames", fragments.len()));
    }
    let frame_bytes = per_frame.div_ceil(8);
    let mut out = vec![0u8; (frames * per_frame).div_ceil(8)];
    for (f, fragment) in fragments.iter().enumerate() {
        let word = |k: usize| -> std::result::Result<usize, String> {
            let b = fragment
                .get(4 * k..4 * k + 4)
                .ok_or_else(|| format!("frame {}: a header cut short", f + 1))?;
            Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        };
        let segments = word(0)?;
        if segments != 1 {
            return Err(format!(
                "frame {}: {segments} segments, a 1-bit frame has 1",
                f + 1
            ));
        }
        let start = word(1)?;
        let packed = fragment
            .get(start..)
            .ok_or_else(|| format!("frame {}: its segment starts past its end", f + 1))?;
        let bytes =
            pack_bits(packed, frame_bytes).map_err(|why| format!("frame {}: {why}", f + 1))?;
        for p in 0..per_frame {
            if bytes[p / 8] >> (p % 8) & 1 == 1 {
                let q = f * per_frame + p;
                out[q / 8] |= 1 << (q % 8);
            }
        }
    }
    Ok(out)
}

/// PackBits (as DICOM RLE uses it): a control byte n, then n + 1 literal bytes (n 0..127) or
/// one byte repeated 1 - n times (n -127..-1); -128 does nothing. Decodes `want` bytes.
fn pack_bits(input: &[u8], want: usize) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(want);
    let mut k = 0;
    while out.len() < want {
        let Some(&control) = input.get(k) else {
            return Err(format!(
                "its segment ends after {} of {want} bytes",
                out.len()
            ));
        };
        k += 1;
        let n = i16::from(control as i8);
        if n >= 0 {
            let run = input
                .get(k..k + n as usize + 1)
                .ok_or("a literal run past the segment's end")?;
            out.extend_from_slice(run);
            k += n as usize + 1;
        } else if n != -128 {
            let &byte = input.get(k).ok_or("a repeat past the segment's end")?;
            out.extend(std::iter::repeat_n(byte, (1 - n) as usize));
            k += 1;
        }
    }
    out.truncate(want);
    Ok(out)
}

/// The frames of encapsulated pixel data decoded by dicom-rs, concatenated. A 1-bit frame
/// decodes to one byte per pixel here; it is packed back into bits, as native data holds them.
fn decoded_frames(
    obj: &dicom_object::DefaultDicomObject,
    frames: usize,
) -> std::result::Result<Vec<u8>, String> {
    use dicom_pixeldata::PixelDecoder;
    let decoded = obj.decode_pixel_data().map_err(|e| e.to_string())?;
    let data = decoded.data();
    let bits = decoded.bits_allocated();
    if bits != 1 {
        return Ok(data.to_vec());
    }
    let pixels = decoded.rows() as usize * decoded.columns() as usize * frames;
    if data.len() == pixels {
        let mut packed = vec![0u8; pixels.div_ceil(8)];
        for (p, v) in data.iter().enumerate() {
            if *v != 0 {
                packed[p / 8] |= 1 << (p % 8);
            }
        }
        return Ok(packed);
    }
    Ok(data.to_vec())
}

fn tag_name(tag: Tag) -> &'static str {
    if tag == tags::PIXEL_SPACING {
        "PixelSpacing"
    } else {
        "ImageOrientationPatient"
    }
}

impl Segmentation {
    /// The segments as a label table (number, label), for `--label NAME`.
    pub fn label_table(&self) -> LabelTable {
        LabelTable {
            name: self.path.display().to_string(),
            rows: self.segments.clone(),
        }
    }

    /// Pixels inside `segment` over its frames.
    pub fn count(&self, segment: u16) -> usize {
        self.frames
            .iter()
            .filter(|f| f.segment == segment)
            .map(|f| f.inside.iter().filter(|v| **v).count())
            .sum()
    }

    /// `segment` placed on `image`'s grid: each inside pixel marks the voxel nearest its
    /// centre; the count of pixels that fall outside the grid is returned too.
    pub fn place(&self, segment: u16, image: &Volume) -> (Array3<bool>, usize) {
        let g = &image.geometry;
        let [nx, ny, nz] = g.size;
        let mut inside = Array3::from_elem((nz, ny, nx), false);
        let mut outside = 0;
        let row_dir = [
            self.orientation[0],
            self.orientation[1],
            self.orientation[2],
        ];
        let col_dir = [
            self.orientation[3],
            self.orientation[4],
            self.orientation[5],
        ];
        let [row_spacing, col_spacing] = self.pixel_spacing;
        for frame in self.frames.iter().filter(|f| f.segment == segment) {
            for (p, _) in frame.inside.iter().enumerate().filter(|(_, v)| **v) {
                let (r, c) = ((p / self.columns) as f64, (p % self.columns) as f64);
                // Along a row the column index grows, by the column spacing.
                let point = [0, 1, 2].map(|a| {
                    frame.position[a] + c * col_spacing * row_dir[a] + r * row_spacing * col_dir[a]
                });
                let index = g.point_to_index(point).map(|v| v.round());
                let within = |v: f64, n: usize| v >= 0.0 && v < n as f64;
                if within(index[0], nx) && within(index[1], ny) && within(index[2], nz) {
                    inside[(index[2] as usize, index[1] as usize, index[0] as usize)] = true;
                } else {
                    outside += 1;
                }
            }
        }
        (inside, outside)
    }

    /// Checks that the SEG segments the DICOM series at `image_path` (its frame of reference,
    /// and its referenced series when it names one); nothing to check for NIfTI or NRRD.
    fn check_reference(&self, image_path: &Path, options: &ReadOptions) -> Result<()> {
        if super::detect_format(image_path)? != Format::Dicom {
            return Ok(());
        }
        let (series, frame) = dicom::series_identity(image_path, options.series.as_deref())?;
        if !self.referenced_series.is_empty() && !self.referenced_series.contains(&series) {
            return Err(Error::input(
                &self.path,
                format!(
                    "it segments series {}, not the image's ({series})",
                    self.referenced_series.join(", ")
                ),
            ));
        }
        if !self.frame_of_reference.is_empty()
            && !frame.is_empty()
            && self.frame_of_reference != frame
        {
            return Err(Error::input(
                &self.path,
                format!(
                    "its frame of reference {} is not the image's ({frame})",
                    self.frame_of_reference
                ),
            ));
        }
        Ok(())
    }
}

/// Segment `label` of the SEG at `path` on `image`'s grid as a mask holding `label` (FRACTIONAL
/// at 0.5), the image's series checked; an empty result is refused.
pub fn mask_on(
    path: &Path,
    image: &Volume,
    image_path: &Path,
    options: &ReadOptions,
    label: u16,
) -> Result<Mask> {
    let seg = read(path, 0.5)?;
    if !seg.segments.iter().any(|(n, _)| *n == label) {
        let listed: Vec<String> = seg
            .segments
            .iter()
            .map(|(n, l)| format!("{n} {l}"))
            .collect();
        return Err(Error::input(
            path,
            format!("no segment {label}; it has {}", listed.join(", ")),
        ));
    }
    seg.check_reference(image_path, options)?;
    let (inside, outside) = seg.place(label, image);
    if !inside.iter().any(|v| *v) {
        return Err(Error::input(
            path,
            format!(
                "segment {label}: none of its {} pixels lies on {}'s grid",
                seg.count(label),
                image_path.display()
            ),
        ));
    }
    if outside > 0 {
        eprintln!(
            "notice: {}: segment {label}: {outside} pixels lie outside the image",
            path.display()
        );
    }
    Ok(Mask {
        geometry: image.geometry.clone(),
        labels: inside.mapv(|v| if v { label } else { 0 }),
    })
}

/// What `info` says about a segmentation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SegInfo {
    /// The file.
    pub path: String,
    /// `DICOM SEG`.
    pub format: &'static str,
    /// FrameOfReferenceUID.
    pub frame_of_reference: String,
    /// The series it segments.
    pub referenced_series: Vec<String>,
    /// Frame size (rows, columns).
    pub frame_size: [usize; 2],
    /// Segments.
    pub segments: Vec<SegmentInfo>,
}

/// One segment in `info`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SegmentInfo {
    /// SegmentNumber.
    pub number: u16,
    /// SegmentLabel.
    pub label: String,
    /// Frames of this segment.
    pub frames: usize,
    /// Pixels inside it over its frames (FRACTIONAL at 0.5).
    pub pixels: usize,
}

impl Segmentation {
    /// The summary `info` prints.
    pub fn info(&self) -> SegInfo {
        SegInfo {
            path: self.path.display().to_string(),
            format: "DICOM SEG",
            frame_of_reference: self.frame_of_reference.clone(),
            referenced_series: self.referenced_series.clone(),
            frame_size: [self.rows, self.columns],
            segments: self
                .segments
                .iter()
                .map(|(n, l)| SegmentInfo {
                    number: *n,
                    label: l.clone(),
                    frames: self.frames.iter().filter(|f| f.segment == *n).count(),
                    pixels: self.count(*n),
                })
                .collect(),
        }
    }
}

impl SegInfo {
    /// The human-readable report.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(out, "path:        {}", self.path);
        let _ = writeln!(out, "format:      {} (segmentation)", self.format);
        let _ = writeln!(out, "frame of reference: {}", self.frame_of_reference);
        if !self.referenced_series.is_empty() {
            let _ = writeln!(
                out,
                "segments series:    {}",
                self.referenced_series.join(", ")
            );
        }
        let _ = writeln!(
            out,
            "frames:      {} x {} pixels",
            self.frame_size[0], self.frame_size[1]
        );
        for (k, s) in self.segments.iter().enumerate() {
            let head = if k == 0 { "segments:" } else { "" };
            let _ = writeln!(
                out,
                "{head:<12} {} {:?}: {} pixels in {} frames",
                s.number, s.label, s.pixels, s.frames
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The PackBits example of Apple's Technical Note TN1023: 15 packed bytes, 24 unpacked.
    #[test]
    fn pack_bits_decodes_the_published_example() {
        let packed = [
            0xFE, 0xAA, 0x02, 0x80, 0x00, 0x2A, 0xFD, 0xAA, 0x03, 0x80, 0x00, 0x2A, 0x22, 0xF7,
            0xAA,
        ];
        let unpacked = [
            0xAA, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0xAA, 0xAA, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0x22,
            0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,
        ];
        assert_eq!(pack_bits(&packed, 24).unwrap(), unpacked);
        // A no-op control byte (-128) is skipped; a segment cut short is an error.
        assert_eq!(pack_bits(&[0x80, 0x00, 0x07], 1).unwrap(), [0x07]);
        assert!(pack_bits(&packed[..5], 24).is_err());
    }
}
