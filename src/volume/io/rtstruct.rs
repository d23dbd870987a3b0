//! DICOM RT Structure Sets (RTSTRUCT): each ROI's planar contours, read with dicom-rs and
//! rasterised onto an image's grid (dicom-rs reads the objects; nothing in the Rust ecosystem
//! rasterises them, so that is done here).
//!
//! The rule (documented in the README, as the clinical reference data's `centre_xor`): a
//! contour lies on the image slice nearest its plane (it is unplaced, and counted as such,
//! when that slice is outside the image); a voxel belongs to a contour when its centre lies
//! inside the polygon, tested as matplotlib's `Path.contains_points` tests it (crossings to
//! the right, `>=` on both the row and the crossing, so centres on an edge fall the same
//! way); the contours of one ROI on one slice combine by even-odd (exclusive or), so a contour
//! inside another is a hole. POINT and OPEN_PLANAR contours enclose nothing and are skipped.

use std::path::{Path, PathBuf};

use dicom_dictionary_std::tags;
use ndarray::Array3;

use super::dicom::{self, items, text};
use super::{Format, ReadOptions};
use crate::error::{Error, Result};
use crate::volume::labels::LabelTable;
use crate::volume::{Geometry, Mask, Volume};

/// More contour points than this in one structure set is refused (a hostile count).
const MAX_POINTS: usize = 10_000_000;

/// A structure set: its ROIs and what it says it was drawn on.
#[derive(Debug, Clone)]
pub struct StructureSet {
    /// The file.
    pub path: PathBuf,
    /// The frames of reference the set declares (ReferencedFrameOfReferenceSequence).
    pub frames_of_reference: Vec<String>,
    /// The image series it names as drawn on (RTReferencedSeriesSequence).
    pub referenced_series: Vec<String>,
    /// Its ROIs, in the file's order.
    pub rois: Vec<RoiContours>,
}

/// One ROI of a structure set.
#[derive(Debug, Clone)]
pub struct RoiContours {
    /// ROINumber.
    pub number: u32,
    /// ROIName.
    pub name: String,
    /// The ROI's ReferencedFrameOfReferenceUID.
    pub frame_of_reference: String,
    /// Its closed planar contours, each a polygon of patient points (mm, LPS).
    pub contours: Vec<Vec<[f64; 3]>>,
    /// Contours that enclose nothing (POINT, OPEN_PLANAR, fewer than 3 points).
    pub skipped: usize,
}

/// A rasterised ROI.
#[derive(Debug, Clone)]
pub struct Raster {
    /// Voxels inside, shape (z, y, x) of the image's grid.
    pub inside: Array3<bool>,
    /// Contours whose plane is beyond the image's slices.
    pub unplaced: usize,
}

/// Whether `path` is a DICOM file whose Modality is RTSTRUCT.
pub fn is_rtstruct(path: &Path) -> bool {
    path.is_file() && dicom::modality(path).is_some_and(|m| m == "RTSTRUCT")
}

/// Reads a structure set.
pub fn read(path: &Path) -> Result<StructureSet> {
    let obj = dicom::open_whole(path)?;
    let bad = |p: String| Error::input(path, p);
    let modality = text(&obj, tags::MODALITY).unwrap_or_default();
    if modality != "RTSTRUCT" {
        return Err(bad(format!(
            "Modality is {modality:?}, not RTSTRUCT: not a structure set"
        )));
    }
    let mut frames_of_reference = Vec::new();
    let mut referenced_series = Vec::new();
    for frame in items(&obj, tags::REFERENCED_FRAME_OF_REFERENCE_SEQUENCE) {
        frames_of_reference.extend(text(frame, tags::FRAME_OF_REFERENCE_UID));
        for study in items(frame, tags::RT_REFERENCED_STUDY_SEQUENCE) {
            for series in items(study, tags::RT_REFERENCED_SERIES_SEQUENCE) {
                referenced_series.extend(text(series, tags::SERIES_INSTANCE_UID));
            }
        }
    }
    let mut rois: Vec<RoiContours> = Vec::new();
    for (k, roi) in items(&obj, tags::STRUCTURE_SET_ROI_SEQUENCE)
        .iter()
        .enumerate()
    {
        let number = roi
            .element_opt(tags::ROI_NUMBER)
            .ok()
            .flatten()
            .and_then(|e| e.to_int::<u32>().ok())
            .ok_or_else(|| bad(format!("StructureSetROISequence item {k}: no ROINumber")))?;
        rois.push(RoiContours {
            number,
            name: text(roi, tags::ROI_NAME).unwrap_or_default(),
            frame_of_reference: text(roi, tags::REFERENCED_FRAME_OF_REFERENCE_UID)
                .unwrap_or_default(),
            contours: Vec::new(),
            skipped: 0,
        });
    }
    let mut points = 0usize;
    for (k, roi_contour) in items(&obj, tags::ROI_CONTOUR_SEQUENCE).iter().enumerate() {
        let number = roi_contour
            .element_opt(tags::REFERENCED_ROI_NUMBER)
            .ok()
            .flatten()
            .and_then(|e| e.to_int::<u32>().ok())
            .ok_or_else(|| {
                bad(format!(
                    "ROIContourSequence item {k}: no ReferencedROINumber"
                ))
            })?;
        let Some(roi) = rois.iter_mut().find(|r| r.number == number) else {
            return Err(bad(format!(
                "ROIContourSequence item {k} refers to ROI {number}, which the structure set does not list"
            )));
        };
        for (c, contour) in items(roi_contour, tags::CONTOUR_SEQUENCE)
            .iter()
            .enumerate()
        {
            let kind = text(contour, tags::CONTOUR_GEOMETRIC_TYPE).unwrap_or_default();
            let data = contour
                .element_opt(tags::CONTOUR_DATA)
                .ok()
                .flatten()
                .map(|e| e.to_multi_float64())
                .transpose()
                .map_err(|e| bad(format!("ROI {number}, contour {c}: ContourData: {e}")))?
                .unwrap_or_default();
            if data.len() % 3 != 0 || data.iter().any(|v| !v.is_finite()) {
                return Err(bad(format!(
                    "ROI {number}, contour {c}: ContourData must hold finite x, y, z triples ({} numbers)",
                    data.len()
                )));
            }
            points += data.len() / 3;
            if points > MAX_POINTS {
                return Err(bad(format!(
                    "more than {MAX_POINTS} contour points: refused"
                )));
            }
            if kind != "CLOSED_PLANAR" || data.len() < 9 {
                roi.skipped += 1;
                continue;
            }
            roi.contours
                .push(data.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect());
        }
    }
    Ok(StructureSet {
        path: path.to_path_buf(),
        frames_of_reference,
        referenced_series,
        rois,
    })
}

impl StructureSet {
    /// The ROI named or numbered `wanted` (a name is matched exactly, then ignoring case).
    pub fn roi(&self, wanted: &str) -> std::result::Result<&RoiContours, String> {
        let by_number = wanted
            .parse::<u32>()
            .ok()
            .and_then(|n| self.rois.iter().find(|r| r.number == n));
        by_number
            .or_else(|| self.rois.iter().find(|r| r.name == wanted))
            .or_else(|| {
                self.rois
                    .iter()
                    .find(|r| r.name.eq_ignore_ascii_case(wanted))
            })
            .ok_or_else(|| {
                let names: Vec<String> = self.rois.iter().map(|r| r.name.clone()).collect();
                let close = crate::table::closest(&names, wanted, 5);
                format!(
                    "no ROI {wanted:?} in the structure set; it has {} ROIs{}",
                    self.rois.len(),
                    if close.is_empty() {
                        String::new()
                    } else {
                        format!(", the closest: {}", close.join(", "))
                    }
                )
            })
    }
}

/// Edge-row crossings one ROI may cost to rasterise (each edge costs the rows it spans, and 4
/// bytes each while its contour is filled): far beyond any clinical structure set (100,000
/// contour points on 512-row slices cost about 1e6), so that a hostile file is refused
/// instead of running for minutes or taking gigabytes.
const MAX_CROSSINGS: usize = 50_000_000;

/// Rasterises `roi` onto `geometry` by the module's rule; refused when it would cost more
/// than [`MAX_CROSSINGS`].
pub fn rasterise(roi: &RoiContours, geometry: &Geometry) -> std::result::Result<Raster, String> {
    let [nx, ny, nz] = geometry.size;
    let mut inside = Array3::from_elem((nz, ny, nx), false);
    let mut unplaced = 0;
    let mut budget = MAX_CROSSINGS;
    for contour in &roi.contours {
        let index: Vec<[f64; 3]> = contour
            .iter()
            .map(|p| geometry.point_to_index(*p))
            .collect();
        let plane = index.iter().map(|p| p[2]).sum::<f64>() / index.len() as f64;
        let k = plane.round();
        if !(k >= 0.0 && k < nz as f64) {
            unplaced += 1;
            continue;
        }
        let polygon: Vec<[f64; 2]> = index.iter().map(|p| [p[0], p[1]]).collect();
        let mut slice = inside.index_axis_mut(ndarray::Axis(0), k as usize);
        fill_even_odd(&polygon, nx, ny, &mut budget, |i, j| slice[(j, i)] ^= true).map_err(
            |()| {
                format!(
                    "ROI {} ({}): its contours cross the image's rows more than {MAX_CROSSINGS} \
                     times: too complex to rasterise",
                    roi.number, roi.name
                )
            },
        )?;
    }
    Ok(Raster { inside, unplaced })
}

/// Calls `toggle(i, j)` for every pixel centre (i, j) of an nx x ny plane inside `polygon`
/// (closed implicitly), by matplotlib's crossing test, row by row; each edge is listed under
/// the rows it spans. Err when the crossings would exceed `budget` (which they use up).
fn fill_even_odd(
    polygon: &[[f64; 2]],
    nx: usize,
    ny: usize,
    budget: &mut usize,
    mut toggle: impl FnMut(usize, usize),
) -> std::result::Result<(), ()> {
    if ny == 0 || nx == 0 {
        return Ok(());
    }
    let last_row = ny as f64 - 1.0;
    // The rows each edge may cross: ty in [min y, max y] (matplotlib's >= flags cross only
    // there), clipped to the image.
    let mut spans = Vec::with_capacity(polygon.len());
    let mut cost = 0usize;
    for (e, v1) in polygon.iter().enumerate() {
        let v0 = polygon[(e + polygon.len() - 1) % polygon.len()];
        let (lo, hi) = (v0[1].min(v1[1]), v0[1].max(v1[1]));
        if !(hi >= 0.0 && lo <= last_row) {
            continue;
        }
        let (first, last) = (
            lo.ceil().max(0.0) as usize,
            hi.floor().min(last_row) as usize,
        );
        if first > last {
            continue;
        }
        cost += last - first + 1;
        if cost > *budget {
            return Err(());
        }
        spans.push((first, last, v0, *v1));
    }
    *budget -= cost;
    // Edge numbers fit u32: the budget caps the edges listed.
    let mut by_row: Vec<Vec<u32>> = vec![Vec::new(); ny];
    for (s, &(first, last, _, _)) in spans.iter().enumerate() {
        for row in &mut by_row[first..=last] {
            row.push(s as u32);
        }
    }
    let mut parity = vec![false; nx + 1];
    for (j, edges) in by_row.iter().enumerate() {
        if edges.is_empty() {
            continue;
        }
        let ty = j as f64;
        parity.iter_mut().for_each(|p| *p = false);
        for &s in edges {
            let (_, _, v0, v1) = spans[s as usize];
            let (flag0, flag1) = (v0[1] >= ty, v1[1] >= ty);
            if flag0 == flag1 {
                continue;
            }
            // matplotlib: the crossing counts for tx when
            // ((y1 - ty) * (x0 - x1) >= (x1 - tx) * (y0 - y1)) == flag1, which holds on one
            // side of the crossing point; the exact test decides the pixels next to it.
            let holds = |tx: f64| {
                ((v1[1] - ty) * (v0[0] - v1[0]) >= (v1[0] - tx) * (v0[1] - v1[1])) == flag1
            };
            let cross = v1[0] + (v1[1] - ty) * (v0[0] - v1[0]) / (v1[1] - v0[1]);
            // Pixels from `first` on satisfy it when it holds far to the right, else those
            // before it.
            let right = holds(f64::MAX / 4.0);
            let near = (cross.floor() as i64 - 2).clamp(0, nx as i64) as usize;
            let mut first = near;
            while first < nx && holds(first as f64) != right {
                first += 1;
            }
            // Toggle [first, nx) or [0, first) through the row's difference array.
            if right {
                parity[first] ^= true;
            } else {
                parity[0] ^= true;
                parity[first] ^= true;
            }
        }
        let mut state = false;
        for (i, p) in parity.iter().take(nx).enumerate() {
            state ^= *p;
            if state {
                toggle(i, j);
            }
        }
    }
    Ok(())
}

impl StructureSet {
    /// The ROIs as a label table (ROI number, name), for `--label NAME`.
    pub fn label_table(&self) -> LabelTable {
        LabelTable {
            name: self.path.display().to_string(),
            rows: self
                .rois
                .iter()
                .filter_map(|r| Some((u16::try_from(r.number).ok()?, r.name.clone())))
                .collect(),
        }
    }

    /// The ROIs listed for messages: `1 GTV, 2 Body`.
    fn listing(&self) -> String {
        let rois: Vec<String> = self
            .rois
            .iter()
            .map(|r| format!("{} {}", r.number, r.name))
            .collect();
        rois.join(", ")
    }

    /// Checks that `roi` was drawn in the frame of reference of the image's DICOM series,
    /// `image` its series and frame UIDs (None for NIfTI or NRRD: nothing to check). A
    /// differing frame is accepted
    /// with a notice when the set names the image's own series as the one it was drawn on
    /// (rt-utils writes a new frame UID); otherwise the contours belong to another scan.
    fn check_frame(&self, roi: &RoiContours, image: &Option<(String, String)>) -> Result<()> {
        let Some((series, frame)) = image else {
            return Ok(());
        };
        let declared = if roi.frame_of_reference.is_empty() {
            self.frames_of_reference
                .first()
                .cloned()
                .unwrap_or_default()
        } else {
            roi.frame_of_reference.clone()
        };
        if declared.is_empty() || frame.is_empty() || declared == *frame {
            return Ok(());
        }
        if self.referenced_series.contains(series) {
            eprintln!(
                "notice: {}: ROI {} declares frame of reference {declared}, not the image's \
                 {frame}, but the structure set names the image's series {series}: used",
                self.path.display(),
                roi.name
            );
            return Ok(());
        }
        Err(Error::input(
            &self.path,
            format!(
                "ROI {} ({}): its frame of reference {declared} is not the image's ({frame}, \
                 series {series}), and the structure set does not name that series: the \
                 contours belong to another scan",
                roi.number, roi.name
            ),
        ))
    }
}

/// The SeriesInstanceUID and FrameOfReferenceUID of the DICOM series at `image_path`, read
/// once per structure set; None for NIfTI or NRRD images (nothing to check against).
fn image_identity(image_path: &Path, options: &ReadOptions) -> Result<Option<(String, String)>> {
    if super::detect_format(image_path)? != Format::Dicom {
        return Ok(None);
    }
    dicom::series_identity(image_path, options.series.as_deref()).map(Some)
}

/// The ROI numbered `label` of the structure set at `path`, rasterised on `image`'s grid as a
/// mask holding `label` (the image read from `image_path`, whose frame of reference is
/// checked). An ROI with no voxel inside is refused.
pub fn mask_on(
    path: &Path,
    image: &Volume,
    image_path: &Path,
    options: &ReadOptions,
    label: u16,
) -> Result<Mask> {
    let set = read(path)?;
    let roi = set
        .rois
        .iter()
        .find(|r| r.number == u32::from(label))
        .ok_or_else(|| {
            Error::input(
                path,
                format!(
                    "no ROI numbered {label}; the structure set has {}",
                    set.listing()
                ),
            )
        })?;
    set.check_frame(roi, &image_identity(image_path, options)?)?;
    let raster = rasterise(roi, &image.geometry).map_err(|e| Error::input(path, e))?;
    if !raster.inside.iter().any(|v| *v) {
        return Err(Error::input(
            path,
            format!(
                "ROI {label} ({}): none of its {} closed contours encloses a voxel centre of {} \
                 ({} lie beyond its slices): drawn on another scan or grid?",
                roi.name,
                roi.contours.len(),
                image_path.display(),
                raster.unplaced
            ),
        ));
    }
    if raster.unplaced > 0 {
        eprintln!(
            "notice: {}: ROI {label} ({}): {} of its contours lie beyond the image's slices",
            path.display(),
            roi.name,
            raster.unplaced
        );
    }
    Ok(Mask {
        geometry: image.geometry.clone(),
        labels: raster.inside.mapv(|v| if v { label } else { 0 }),
    })
}

/// Every ROI of the structure set at `path` rasterised on `image`'s grid as one label map
/// (ROI numbers as labels, those above 65535 left out; where ROIs overlap the later one in
/// the file holds the voxel, and the overlap is said on stderr). For `convert`.
pub fn label_map_on(
    path: &Path,
    image: &Volume,
    image_path: &Path,
    options: &ReadOptions,
) -> Result<Mask> {
    let set = read(path)?;
    let [nx, ny, nz] = image.geometry.size;
    let mut labels = Array3::<u16>::zeros((nz, ny, nx));
    let mut overlap = 0usize;
    let identity = image_identity(image_path, options)?;
    for roi in &set.rois {
        let Ok(label) = u16::try_from(roi.number) else {
            continue;
        };
        set.check_frame(roi, &identity)?;
        let raster = rasterise(roi, &image.geometry).map_err(|e| Error::input(path, e))?;
        for (l, inside) in labels.iter_mut().zip(&raster.inside) {
            if *inside {
                overlap += usize::from(*l != 0);
                *l = label;
            }
        }
    }
    if overlap > 0 {
        eprintln!(
            "notice: {}: {overlap} voxels lie in more than one ROI; each holds the last one's \
             number (take one ROI with --label)",
            path.display()
        );
    }
    Ok(Mask {
        geometry: image.geometry.clone(),
        labels,
    })
}

/// What `info` says about a structure set.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SetInfo {
    /// The file.
    pub path: String,
    /// `DICOM RTSTRUCT`.
    pub format: &'static str,
    /// The frames of reference the set declares.
    pub frames_of_reference: Vec<String>,
    /// The series it names as drawn on.
    pub referenced_series: Vec<String>,
    /// Its ROIs.
    pub rois: Vec<RoiInfo>,
}

/// One ROI in `info`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RoiInfo {
    /// ROINumber.
    pub number: u32,
    /// ROIName.
    pub name: String,
    /// Its ReferencedFrameOfReferenceUID.
    pub frame_of_reference: String,
    /// Closed planar contours.
    pub contours: usize,
    /// Contours that enclose nothing (points, open polylines).
    pub skipped: usize,
    /// The lowest and highest contour point along the patient's z (mm), if any.
    pub z_range_mm: Option<[f64; 2]>,
}

impl StructureSet {
    /// The summary `info` prints.
    pub fn info(&self) -> SetInfo {
        SetInfo {
            path: self.path.display().to_string(),
            format: "DICOM RTSTRUCT",
            frames_of_reference: self.frames_of_reference.clone(),
            referenced_series: self.referenced_series.clone(),
            rois: self
                .rois
                .iter()
                .map(|r| {
                    let z = r.contours.iter().flatten().map(|p| p[2]);
                    let (lo, hi) = z.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                        (l.min(v), h.max(v))
                    });
                    RoiInfo {
                        number: r.number,
                        name: r.name.clone(),
                        frame_of_reference: r.frame_of_reference.clone(),
                        contours: r.contours.len(),
                        skipped: r.skipped,
                        z_range_mm: (lo <= hi).then_some([lo, hi]),
                    }
                })
                .collect(),
        }
    }
}

impl SetInfo {
    /// The human-readable report.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(out, "path:        {}", self.path);
        let _ = writeln!(out, "format:      {} (structure set)", self.format);
        let _ = writeln!(
            out,
            "frame of reference: {}",
            self.frames_of_reference.join(", ")
        );
        if !self.referenced_series.is_empty() {
            let _ = writeln!(
                out,
                "drawn on series:    {}",
                self.referenced_series.join(", ")
            );
        }
        for (k, r) in self.rois.iter().enumerate() {
            let head = if k == 0 { "ROIs:" } else { "" };
            let z = match r.z_range_mm {
                Some([lo, hi]) => format!(
                    ", z {} .. {} mm",
                    crate::table::format_short(lo, 3),
                    crate::table::format_short(hi, 3)
                ),
                None => String::new(),
            };
            let skipped = if r.skipped > 0 {
                format!(" (+{} points or open lines)", r.skipped)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "{head:<12} {} {:?}: {} contours{skipped}{z}",
                r.number, r.name, r.contours
            );
        }
        if self.rois.is_empty() {
            let _ = writeln!(out, "ROIs:        none");
        }
        out
    }
}
