//! What `radaudit info` reports about a volume: grid, pixel type, value range and, for a
//! label map, the voxel count and physical volume of each label. Plain text for people,
//! JSON (serde) for machines.

use std::fmt::Write;
use std::path::Path;

use serde::Serialize;

use super::io::dicom::Acquisition;
use super::padding::{self, Padding};
use super::{Mask, Volume};

/// A summary of one volume.
#[derive(Debug, Clone, Serialize)]
pub struct VolumeInfo {
    pub path: String,
    pub format: String,
    pub kind: &'static str,
    pub size: [usize; 3],
    pub spacing: [f64; 3],
    pub origin: [f64; 3],
    pub direction: [[f64; 3]; 3],
    pub pixel_type: &'static str,
    pub voxel_count: usize,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
    pub nan_count: usize,
    /// A DICOM series' scanner and acquisition facts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acquisition: Option<Acquisition>,
    /// Out-of-field padding (see [`super::padding`]); min, max and mean leave it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub padding: Option<Padding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<LabelInfo>>,
}

/// One label of a mask.
#[derive(Debug, Clone, Serialize)]
pub struct LabelInfo {
    pub label: u16,
    pub voxels: usize,
    pub volume_mm3: f64,
}

/// Whether a file name suggests a label map ("label", "mask" or "seg" in it).
pub fn name_suggests_mask(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    ["label", "mask", "seg"].iter().any(|w| name.contains(w))
}

/// Summarises an image; pass its mask form to list labels.
pub fn describe(path: &Path, format: &str, volume: &Volume, mask: Option<&Mask>) -> VolumeInfo {
    let g = &volume.geometry;
    let padding = match mask {
        Some(_) => None,
        None => padding::detect(&volume.voxels),
    };
    let (mut min, mut max, mut sum, mut finite, mut nan) =
        (f64::INFINITY, f64::NEG_INFINITY, 0.0f64, 0usize, 0usize);
    for &v in volume.voxels.iter() {
        if v.is_nan() {
            nan += 1;
            continue;
        }
        if padding.is_some_and(|p| p.value == v) {
            continue;
        }
        let v = v as f64;
        min = min.min(v);
        max = max.max(v);
        sum += v;
        finite += 1;
    }
    let voxel_mm3: f64 = g.spacing.iter().product();
    let labels = mask.map(|m| {
        m.label_counts()
            .into_iter()
            .map(|(label, voxels)| LabelInfo {
                label,
                voxels,
                volume_mm3: voxels as f64 * voxel_mm3,
            })
            .collect()
    });
    VolumeInfo {
        path: path.display().to_string(),
        format: format.to_string(),
        kind: if mask.is_some() { "mask" } else { "image" },
        size: g.size,
        spacing: g.spacing,
        origin: g.origin,
        direction: g.direction,
        pixel_type: volume.stored_type.name(),
        voxel_count: g.voxel_count(),
        min: (finite > 0).then_some(min),
        max: (finite > 0).then_some(max),
        mean: (finite > 0).then(|| sum / finite as f64),
        nan_count: nan,
        acquisition: None,
        padding,
        labels,
    }
}

/// A number with at most 6 decimals, trailing zeros dropped.
fn num(v: f64) -> String {
    crate::table::format_short(v, 6)
}

impl VolumeInfo {
    /// The human-readable report.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let [x, y, z] = self.size;
        let row = |r: &[f64; 3]| r.iter().map(|v| num(*v)).collect::<Vec<_>>().join(" ");
        let _ = writeln!(out, "path:        {}", self.path);
        let _ = writeln!(out, "format:      {} ({})", self.format, self.kind);
        let _ = writeln!(
            out,
            "size:        {x} x {y} x {z} ({} voxels)",
            self.voxel_count
        );
        let s = self.spacing;
        let _ = writeln!(
            out,
            "spacing:     {} x {} x {} mm",
            num(s[0]),
            num(s[1]),
            num(s[2])
        );
        let o = self.origin;
        let _ = writeln!(
            out,
            "origin:      ({}, {}, {}) mm LPS",
            num(o[0]),
            num(o[1]),
            num(o[2])
        );
        let d = &self.direction;
        let _ = writeln!(
            out,
            "direction:   [{}; {}; {}]",
            row(&d[0]),
            row(&d[1]),
            row(&d[2])
        );
        let _ = writeln!(out, "pixel type:  {}", self.pixel_type);
        match (self.min, self.max, self.mean) {
            (Some(lo), Some(hi), Some(mean)) => {
                let _ = writeln!(
                    out,
                    "values:      {} .. {} (mean {})",
                    num(lo),
                    num(hi),
                    num(mean)
                );
            }
            _ => {
                let _ = writeln!(out, "values:      none finite");
            }
        }
        if self.nan_count > 0 {
            let _ = writeln!(out, "NaN voxels:  {}", self.nan_count);
        }
        if let Some(a) = &self.acquisition {
            let mut facts: Vec<String> = Vec::new();
            let mut add = |name: &str, value: Option<String>| {
                if let Some(v) = value {
                    facts.push(format!("{name} {v}"));
                }
            };
            let mm = |v: Option<f64>| v.map(|v| format!("{} mm", num(v)));
            add("modality", a.modality.clone());
            add("manufacturer", a.manufacturer.clone());
            add("model", a.model.clone());
            add("kVp", a.kvp.map(num));
            add("kernel", a.kernel.clone());
            add("slice thickness", mm(a.slice_thickness_mm));
            add("spacing between slices", mm(a.spacing_between_slices_mm));
            add(
                "exposure",
                a.exposure_mas.map(|v| format!("{} mAs", num(v))),
            );
            add(
                "tube current",
                a.tube_current_ma.map(|v| format!("{} mA", num(v))),
            );
            add("reconstruction diameter", mm(a.reconstruction_diameter_mm));
            add("contrast", a.contrast_agent.clone());
            add("date", a.acquisition_date.clone());
            add("series", a.series_description.clone());
            let _ = writeln!(out, "acquisition: {}", facts.join("; "));
        }
        if let Some(p) = &self.padding {
            let _ = writeln!(
                out,
                "padding:     {} in {} voxels ({:.1}%): outside the field of view, not in the values above",
                num(f64::from(p.value)),
                p.voxels,
                100.0 * p.voxels as f64 / self.voxel_count as f64
            );
        }
        if let Some(labels) = &self.labels {
            if labels.is_empty() {
                let _ = writeln!(out, "labels:      none (every voxel is 0)");
            }
            for (i, l) in labels.iter().enumerate() {
                let head = if i == 0 { "labels:" } else { "" };
                let _ = writeln!(
                    out,
                    "{head:<12} {}: {} voxels ({} mm3)",
                    l.label,
                    l.voxels,
                    num(l.volume_mm3)
                );
            }
        }
        out
    }
}
