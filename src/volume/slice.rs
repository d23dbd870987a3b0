//! Axial slices for pictures: a plane of constant LPS z, sampled on a square pixel grid in
//! physical millimetres (nearest voxel), so that volumes on different grids (a perturbation
//! that changes the voxel size, say) are drawn on the same field and can be subtracted.
//!
//! Pixel (row r, column c) of a field sits at x = x0 + c step, y = y0 + r step: the patient's
//! left to the right and posterior down, the radiological convention. A [`Window`] maps its
//! values to grey levels.

use ndarray::Array3;

use super::Volume;
use super::geometry::Geometry;

/// The most pixels along a field's side: a panel stays small in a report.
pub const MAX_SIDE: usize = 512;

/// An intensity window: values from `center - width / 2` (black) to `center + width / 2`
/// (white).
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// The preset's name in capitals (`BONE`), or empty.
    pub name: String,
    /// The level: the value drawn mid grey.
    pub center: f64,
    /// The width: the values from black to white.
    pub width: f64,
}

/// Named windows (level, width in HU), as radiology workstations commonly preset them.
const PRESETS: [(&str, f64, f64); 4] = [
    ("bone", 400.0, 1800.0),
    ("soft", 40.0, 400.0),
    ("lung", -600.0, 1500.0),
    ("brain", 40.0, 80.0),
];

/// The largest |level| and width a window may have (HU or the image's unit).
pub const WINDOW_LIMIT: f64 = 1e6;

impl Window {
    /// A window from `bone`, `soft`, `lung`, `brain`, or `LEVEL/WIDTH` (numbers, width > 0,
    /// both within +-1e6); the message names the valid forms.
    pub fn parse(text: &str) -> std::result::Result<Window, String> {
        let text = text.trim();
        if let Some((name, center, width)) = PRESETS.iter().find(|p| p.0 == text) {
            return Ok(Window {
                name: name.to_uppercase(),
                center: *center,
                width: *width,
            });
        }
        let numbers = text.split_once('/').and_then(|(l, w)| {
            Some((l.trim().parse::<f64>().ok()?, w.trim().parse::<f64>().ok()?))
        });
        match numbers {
            Some((center, width))
                if center.abs() <= WINDOW_LIMIT && width > 0.0 && width <= WINDOW_LIMIT =>
            {
                Ok(Window {
                    name: String::new(),
                    center,
                    width,
                })
            }
            _ => Err(format!(
                "window `{text}`: expected bone, soft, lung, brain or LEVEL/WIDTH (|LEVEL| <= 1e6, 0 < WIDTH <= 1e6)"
            )),
        }
    }

    /// The grey level of a value: 255 (v - low) / width, rounded and clipped; black off the
    /// image (NaN).
    pub fn grey(&self, v: f64) -> u8 {
        if v.is_nan() {
            return 0;
        }
        let low = self.center - self.width / 2.0;
        ((v - low) / self.width * 255.0).round().clamp(0.0, 255.0) as u8
    }

    /// "BONE W 1800 L 400": what the caption strip says.
    pub fn label(&self) -> String {
        format!(
            "{}{}W {} L {}",
            self.name,
            if self.name.is_empty() { "" } else { " " },
            crate::table::format_short(self.width, 4),
            crate::table::format_short(self.center, 4)
        )
    }
}

/// Where a slice is taken: the plane z (mm) and the pixel grid on it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    /// x and y (mm) of the centre of pixel (0, 0).
    pub origin: [f64; 2],
    /// Pixel size (mm), the same along x and y.
    pub step: f64,
    /// Columns (along x) and rows (along y).
    pub size: [usize; 2],
    /// The plane's LPS z (mm).
    pub z: f64,
}

/// A sampled slice: values and (when given) the ROI, row-major (rows along y).
#[derive(Debug, Clone, PartialEq)]
pub struct AxialSlice {
    /// Where it was taken.
    pub field: Field,
    /// The volume's value at each pixel; NaN off the volume.
    pub values: Vec<f32>,
    /// Whether each pixel's voxel is in the ROI.
    pub roi: Option<Vec<bool>>,
}

impl Field {
    /// The field around an ROI: its bounding box in x and y widened by `margin_mm` on every
    /// side (clipped to the volume), through the ROI's centre slice (pixels as
    /// [`Field::over`] sizes them). None when the ROI is empty.
    pub fn around_roi(
        geometry: &Geometry,
        roi: &Array3<bool>,
        margin_mm: f64,
        target: usize,
    ) -> Option<Field> {
        let (lo, hi) = roi_corners(geometry, roi)?;
        let z = 0.5 * (lo[2] + hi[2]);
        let margin = if margin_mm.is_finite() {
            margin_mm.max(0.0)
        } else {
            0.0
        };
        let all = volume_box(geometry);
        let lo = [
            (lo[0] - margin).max(all.0[0]),
            (lo[1] - margin).max(all.0[1]),
        ];
        let hi = [
            (hi[0] + margin).min(all.1[0]),
            (hi[1] + margin).min(all.1[1]),
        ];
        Some(Field::over(geometry, lo, hi, z, target))
    }

    /// The whole grid's field in x and y, through its middle (in z).
    pub fn whole(geometry: &Geometry, target: usize) -> Field {
        let (lo, hi) = volume_box(geometry);
        Field::over(
            geometry,
            [lo[0], lo[1]],
            [hi[0], hi[1]],
            0.5 * (lo[2] + hi[2]),
            target,
        )
    }

    /// The field over voxel centres from `lo` to `hi` (x, y in mm) at plane `z`, with pixels
    /// of the smallest in-plane spacing divided by the largest whole number that keeps the
    /// longer side within `target` pixels (at least 1; shrunk further if MAX_SIDE needs it).
    fn over(geometry: &Geometry, lo: [f64; 2], hi: [f64; 2], z: f64, target: usize) -> Field {
        // Voxel edges, not centres, bound the field: pixel centres then fall between voxel
        // boundaries (no ties in the nearest-voxel choice, whichever way an axis runs).
        let spacing = geometry.spacing[0].min(geometry.spacing[1]);
        let half = spacing / 2.0;
        let x = [lo[0] - half, hi[0] + half];
        let y = [lo[1] - half, hi[1] + half];
        let extent = (x[1] - x[0]).max(y[1] - y[0]);
        let voxels_across = (extent / spacing).round().max(1.0);
        let zoom = ((target.max(1) as f64 / voxels_across).floor()).max(1.0);
        // Never more than MAX_SIDE pixels along a side.
        let step = (spacing / zoom).max(extent / MAX_SIDE as f64);
        let size = [
            (((x[1] - x[0]) / step).round() as usize).clamp(1, MAX_SIDE),
            (((y[1] - y[0]) / step).round() as usize).clamp(1, MAX_SIDE),
        ];
        Field {
            origin: [x[0] + step / 2.0, y[0] + step / 2.0],
            step,
            size,
            z,
        }
    }

    /// The physical (x, y) of pixel (row, column).
    pub fn point(&self, row: usize, column: usize) -> (f64, f64) {
        (
            self.origin[0] + column as f64 * self.step,
            self.origin[1] + row as f64 * self.step,
        )
    }

    /// The pixel (row, column) nearest a physical (x, y), when on the field.
    pub fn pixel(&self, x: f64, y: f64) -> Option<(usize, usize)> {
        let c = ((x - self.origin[0]) / self.step).round();
        let r = ((y - self.origin[1]) / self.step).round();
        (c >= 0.0 && r >= 0.0 && (c as usize) < self.size[0] && (r as usize) < self.size[1])
            .then_some((r as usize, c as usize))
    }

    /// Samples `volume` (and `roi`, on its grid) at every pixel, nearest voxel.
    pub fn sample(&self, volume: &Volume, roi: Option<&Array3<bool>>) -> AxialSlice {
        let [w, h] = self.size;
        let mut values = vec![f32::NAN; w * h];
        let mut inside = roi.map(|_| vec![false; w * h]);
        let g = &volume.geometry;
        for r in 0..h {
            for c in 0..w {
                let (x, y) = self.point(r, c);
                let Some([i, j, k]) = nearest_voxel(g, [x, y, self.z]) else {
                    continue;
                };
                values[r * w + c] = volume.voxels[(k, j, i)];
                if let (Some(out), Some(m)) = (inside.as_mut(), roi) {
                    out[r * w + c] = m[(k, j, i)];
                }
            }
        }
        AxialSlice {
            field: *self,
            values,
            roi: inside,
        }
    }
}

/// The voxel (i, j, k) nearest a physical point, when inside the grid.
fn nearest_voxel(g: &Geometry, point: [f64; 3]) -> Option<[usize; 3]> {
    let index = g.point_to_index(point);
    let mut out = [0usize; 3];
    for a in 0..3 {
        let v = index[a].round();
        if !(v >= 0.0 && v < g.size[a] as f64) {
            return None;
        }
        out[a] = v as usize;
    }
    Some(out)
}

/// The physical bounding box (low and high corners) of the ROI's voxel centres.
fn roi_corners(g: &Geometry, roi: &Array3<bool>) -> Option<([f64; 3], [f64; 3])> {
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for ((k, j, i), &m) in roi.indexed_iter() {
        if m {
            let p = g.index_to_point([i as f64, j as f64, k as f64]);
            for a in 0..3 {
                lo[a] = lo[a].min(p[a]);
                hi[a] = hi[a].max(p[a]);
            }
        }
    }
    lo[0].is_finite().then_some((lo, hi))
}

/// The physical bounding box of the whole grid's voxel centres.
fn volume_box(g: &Geometry) -> ([f64; 3], [f64; 3]) {
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for corner in 0..8 {
        let index = [0, 1, 2].map(|a| {
            if corner >> a & 1 == 1 {
                (g.size[a] - 1) as f64
            } else {
                0.0
            }
        });
        let p = g.index_to_point(index);
        for a in 0..3 {
            lo[a] = lo[a].min(p[a]);
            hi[a] = hi[a].max(p[a]);
        }
    }
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::volume::PixelType;
    use crate::volume::geometry::IDENTITY;

    #[test]
    fn windows_outside_their_ranges_are_refused() {
        assert_eq!(Window::parse("bone").unwrap().center, 400.0);
        assert_eq!(Window::parse(" -600 / 1500 ").unwrap().width, 1500.0);
        for bad in [
            "40/0",
            "40/-1",
            "NaN/400",
            "40/NaN",
            "1e308/400",
            "40/1e308",
            "1e9/400",
            "40/1e9",
            "40/1e-300x",
            "inf/400",
            "40",
            "",
            "bones",
        ] {
            let e = Window::parse(bad).unwrap_err();
            assert!(e.contains("LEVEL/WIDTH"), "{bad}: {e}");
        }
        // 1e-300 is a (tiny) positive width: within the stated range.
        assert!(Window::parse("40/1e-300").is_ok());
    }

    #[test]
    fn a_flipped_grid_is_drawn_in_the_same_orientation() {
        // 4 x 3 x 1 voxels, value = 10 i + j; the second grid runs x backwards.
        let make = |flip: bool| {
            let mut direction = IDENTITY;
            let mut origin = [0.0; 3];
            if flip {
                direction[0][0] = -1.0;
                origin[0] = 3.0;
            }
            let geometry = Geometry::new([4, 3, 1], [1.0; 3], origin, direction).unwrap();
            let voxels = Array3::from_shape_fn((1, 3, 4), |(_, j, i)| {
                let x = if flip { 3 - i } else { i };
                (10 * x + j) as f32
            });
            Volume {
                geometry,
                voxels,
                stored_type: PixelType::F32,
            }
        };
        let roi = Array3::from_elem((1, 3, 4), true);
        let plain = make(false);
        let field = Field::around_roi(&plain.geometry, &roi, 0.0, 8).unwrap();
        assert_eq!(field.step, 0.5);
        assert_eq!(field.size, [8, 6]);
        assert_eq!(field.origin, [-0.25, -0.25]);
        let a = field.sample(&plain, Some(&roi));
        let b = field.sample(&make(true), Some(&roi));
        assert_eq!(a.values, b.values);
        // Columns 6 and 7 (x = 2.75, 3.25 mm) show voxel i = 3, rows 0 and 1 voxel j = 0.
        assert_eq!(a.values[6..8], [30.0, 30.0]);
        assert_eq!(a.values[8 + 7], 30.0);
        assert_eq!(a.values[2 * 8 + 7], 31.0);
        assert_eq!(field.pixel(3.25, -0.25), Some((0, 7)));
    }
}
