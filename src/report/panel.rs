//! Image panels drawn by radaudit itself: an axial slice (see `volume::slice`) in grey through
//! an intensity window, the ROI's outline in one colour, a scale bar, and a strip naming the
//! window, encoded as PNG (inline in a report as a data URI, or a file for
//! `perturb --preview`). Text is drawn with a 3 x 5 pixel font of capitals, digits and a few
//! signs, so a panel needs no font files.

use base64::Engine;

use crate::error::{Error, Result};
use crate::volume::slice::{AxialSlice, Window};

/// The ROI outline's colour (no grey level has it).
pub const OUTLINE: [u8; 3] = [255, 64, 0];
/// The scale bar's and the captions' colour.
const INK: [u8; 3] = [255, 255, 255];
/// Height of the caption strip under a picture, in pixels.
const STRIP: usize = 16;
/// Text is drawn with each font pixel this many pixels wide.
const TEXT_SCALE: usize = 2;

/// An RGB picture.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    pub width: usize,
    pub height: usize,
    /// Row-major RGB triples.
    pub rgb: Vec<u8>,
}

impl Picture {
    /// A picture of one colour.
    pub fn filled(width: usize, height: usize, colour: [u8; 3]) -> Picture {
        Picture {
            width,
            height,
            rgb: colour.repeat(width * height),
        }
    }

    /// The colour at (x, y).
    pub fn at(&self, x: usize, y: usize) -> [u8; 3] {
        let k = 3 * (y * self.width + x);
        [self.rgb[k], self.rgb[k + 1], self.rgb[k + 2]]
    }

    fn set(&mut self, x: usize, y: usize, colour: [u8; 3]) {
        if x < self.width && y < self.height {
            let k = 3 * (y * self.width + x);
            self.rgb[k..k + 3].copy_from_slice(&colour);
        }
    }

    fn fill_rect(&mut self, x: usize, y: usize, w: usize, h: usize, colour: [u8; 3]) {
        for yy in y..y + h {
            for xx in x..x + w {
                self.set(xx, yy, colour);
            }
        }
    }

    /// Draws `text` (capitals, digits, `.-:/=+%()_,`; lower case drawn as capitals) with its
    /// top-left corner at (x, y); returns the width drawn.
    pub fn text(&mut self, x: usize, y: usize, text: &str, colour: [u8; 3]) -> usize {
        let mut cursor = x;
        for ch in text.chars() {
            let bits = glyph(ch.to_ascii_uppercase());
            for row in 0..5 {
                for col in 0..3 {
                    if bits >> (14 - (row * 3 + col)) & 1 == 1 {
                        self.fill_rect(
                            cursor + col * TEXT_SCALE,
                            y + row * TEXT_SCALE,
                            TEXT_SCALE,
                            TEXT_SCALE,
                            colour,
                        );
                    }
                }
            }
            cursor += 4 * TEXT_SCALE;
        }
        cursor - x
    }

    /// Copies `other` with its top-left corner at (x, y) (clipped).
    pub fn paste(&mut self, other: &Picture, x: usize, y: usize) {
        for yy in 0..other.height {
            for xx in 0..other.width {
                self.set(x + xx, y + yy, other.at(xx, yy));
            }
        }
    }

    /// The picture as PNG bytes, with `notes` as tEXt chunks (keyword, text).
    pub fn png(&self, notes: &[(&str, String)]) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let fail = |e: png::EncodingError| Error::Internal(format!("PNG encoding: {e}"));
        {
            let mut encoder = png::Encoder::new(&mut out, self.width as u32, self.height as u32);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            encoder.set_compression(png::Compression::High);
            for (keyword, text) in notes {
                encoder
                    .add_text_chunk(keyword.to_string(), text.clone())
                    .map_err(fail)?;
            }
            let mut writer = encoder.write_header().map_err(fail)?;
            writer.write_image_data(&self.rgb).map_err(fail)?;
            writer.finish().map_err(fail)?;
        }
        Ok(out)
    }

    /// The picture as a `data:image/png;base64,...` URI, for an `<img>` in a report.
    pub fn data_uri(&self) -> Result<String> {
        let png = self.png(&[])?;
        Ok(format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(png)
        ))
    }
}

/// Pictures side by side, each under its title, on black with a 4-pixel gap.
pub fn side_by_side(panels: &[(String, Picture)]) -> Picture {
    let title = 5 * TEXT_SCALE + 6;
    let gap = 4;
    let width = panels.iter().map(|(_, p)| p.width + gap).sum::<usize>() + gap;
    let height = panels.iter().map(|(_, p)| p.height).max().unwrap_or(0) + title + gap;
    let mut out = Picture::filled(width, height, [0, 0, 0]);
    let mut x = gap;
    for (name, p) in panels {
        out.text(x, 3, name, INK);
        out.paste(p, x, title);
        x += p.width + gap;
    }
    out
}

/// The slice through `window`, the ROI outlined (pixels of the ROI with a 4-neighbour
/// outside it), a scale bar at the bottom left and a strip below naming the window.
pub fn slice_picture(slice: &AxialSlice, window: &Window) -> Picture {
    let [w, h] = slice.field.size;
    let mut p = Picture::filled(w, h + STRIP, [0, 0, 0]);
    for r in 0..h {
        for c in 0..w {
            let g = window.grey(f64::from(slice.values[r * w + c]));
            p.set(c, r, [g, g, g]);
        }
    }
    if let Some(roi) = &slice.roi {
        for (r, c) in outline(roi, w, h) {
            p.set(c, r, OUTLINE);
        }
    }
    scale_bar(&mut p, slice.field.step, w, h);
    p.text(2, h + 3, &window.label(), INK);
    p
}

/// `after - before` in grey: mid grey for no change, white for `+range` or more, black for
/// `-range` or less; a strip below names the range.
pub fn difference_picture(before: &AxialSlice, after: &AxialSlice, range: f64) -> Picture {
    let window = Window {
        name: "DIFFERENCE".into(),
        center: 0.0,
        width: 2.0 * range,
    };
    let [w, h] = before.field.size;
    let mut p = Picture::filled(w, h + STRIP, [0, 0, 0]);
    for k in 0..w * h {
        let d = f64::from(after.values[k]) - f64::from(before.values[k]);
        let g = if d.is_nan() { 0 } else { window.grey(d) };
        p.set(k % w, k / w, [g, g, g]);
    }
    scale_bar(&mut p, before.field.step, w, h);
    p.text(
        2,
        h + 3,
        &format!("DIFF +-{}", crate::table::format_short(range, 3)),
        INK,
    );
    p
}

/// A round range for a difference picture: the 99th percentile of |after - before| over
/// the field, up to 1, 2 or 5 x 10^k (at least 1).
pub fn difference_range(before: &AxialSlice, after: &AxialSlice) -> f64 {
    let mut d: Vec<f64> = before
        .values
        .iter()
        .zip(&after.values)
        .map(|(b, a)| (f64::from(*a) - f64::from(*b)).abs())
        .filter(|v| v.is_finite())
        .collect();
    if d.is_empty() {
        return 1.0;
    }
    let k = ((d.len() - 1) as f64 * 0.99) as usize;
    let (_, high, _) = d.select_nth_unstable_by(k, f64::total_cmp);
    let high = *high;
    (0..13)
        .flat_map(|e| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(e)))
        .find(|r| *r >= high)
        .unwrap_or(1e13)
}

/// The ROI pixels with a 4-neighbour outside the ROI (or off the field), as (row, column).
pub fn outline(roi: &[bool], w: usize, h: usize) -> Vec<(usize, usize)> {
    let inside = |r: isize, c: isize| {
        r >= 0 && c >= 0 && (r as usize) < h && (c as usize) < w && roi[r as usize * w + c as usize]
    };
    let mut out = Vec::new();
    for r in 0..h as isize {
        for c in 0..w as isize {
            if inside(r, c)
                && [(-1, 0), (1, 0), (0, -1), (0, 1)]
                    .iter()
                    .any(|(dr, dc)| !inside(r + dr, c + dc))
            {
                out.push((r as usize, c as usize));
            }
        }
    }
    out
}

/// A bar of a round length (1, 2, 5 x 10^k mm) near a quarter of the width, labelled, at
/// the bottom left of the `w` x `h` image area.
fn scale_bar(p: &mut Picture, step: f64, w: usize, h: usize) {
    let quarter_mm = w as f64 * step / 4.0;
    let mut length = 1.0;
    for candidate in [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0] {
        if candidate <= quarter_mm {
            length = candidate;
        }
    }
    let pixels = (length / step).round() as usize;
    if pixels < 4 || h < 24 {
        return;
    }
    let y = h - 6;
    p.fill_rect(4, y, pixels, 3, INK);
    p.text(
        4,
        y - 12,
        &format!("{} MM", crate::table::format_short(length, 3)),
        INK,
    );
}

/// A 3 x 5 glyph, 15 bits row by row from the top-left (unknown characters as `?`).
fn glyph(ch: char) -> u16 {
    let rows: [u8; 5] = match ch {
        '0' => [7, 5, 5, 5, 7],
        '1' => [2, 6, 2, 2, 7],
        '2' => [7, 1, 7, 4, 7],
        '3' => [7, 1, 7, 1, 7],
        '4' => [5, 5, 7, 1, 1],
        '5' => [7, 4, 7, 1, 7],
        '6' => [7, 4, 7, 5, 7],
        '7' => [7, 1, 1, 1, 1],
        '8' => [7, 5, 7, 5, 7],
        '9' => [7, 5, 7, 1, 7],
        'A' => [2, 5, 7, 5, 5],
        'B' => [6, 5, 6, 5, 6],
        'C' => [3, 4, 4, 4, 3],
        'D' => [6, 5, 5, 5, 6],
        'E' => [7, 4, 6, 4, 7],
        'F' => [7, 4, 6, 4, 4],
        'G' => [3, 4, 5, 5, 3],
        'H' => [5, 5, 7, 5, 5],
        'I' => [7, 2, 2, 2, 7],
        'J' => [1, 1, 1, 5, 2],
        'K' => [5, 5, 6, 5, 5],
        'L' => [4, 4, 4, 4, 7],
        'M' => [5, 7, 7, 5, 5],
        'N' => [6, 5, 5, 5, 5],
        'O' => [2, 5, 5, 5, 2],
        'P' => [6, 5, 6, 4, 4],
        'Q' => [2, 5, 5, 6, 3],
        'R' => [6, 5, 6, 5, 5],
        'S' => [3, 4, 2, 1, 6],
        'T' => [7, 2, 2, 2, 2],
        'U' => [5, 5, 5, 5, 7],
        'V' => [5, 5, 5, 5, 2],
        'W' => [5, 5, 7, 7, 5],
        'X' => [5, 5, 2, 5, 5],
        'Y' => [5, 5, 2, 2, 2],
        'Z' => [7, 1, 2, 4, 7],
        '.' => [0, 0, 0, 0, 2],
        ',' => [0, 0, 0, 2, 4],
        '-' => [0, 0, 7, 0, 0],
        '+' => [0, 2, 7, 2, 0],
        ':' => [0, 2, 0, 2, 0],
        '/' => [1, 1, 2, 4, 4],
        '=' => [0, 7, 0, 7, 0],
        '(' => [1, 2, 2, 2, 1],
        ')' => [4, 2, 2, 2, 4],
        '%' => [5, 1, 2, 4, 5],
        '_' => [0, 0, 0, 0, 7],
        ' ' => [0, 0, 0, 0, 0],
        _ => [7, 1, 2, 0, 2],
    };
    rows.iter().fold(0u16, |acc, r| acc << 3 | u16::from(*r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::volume::geometry::{Geometry, IDENTITY};
    use crate::volume::slice::Field;
    use crate::volume::{PixelType, Volume};
    use ndarray::Array3;

    /// A 40 x 30 x 3 phantom of 0.8 mm voxels: -1000 HU outside, a disc of radius 9 mm
    /// holding 400 HU (the ROI), 1300 HU in its left half.
    fn phantom() -> (Volume, Array3<bool>) {
        let geometry = Geometry::new([40, 30, 3], [0.8, 0.8, 2.0], [0.0; 3], IDENTITY).unwrap();
        let centre = (16.0, 12.0);
        let inside = |i: usize, j: usize| {
            let (x, y) = (i as f64 * 0.8, j as f64 * 0.8);
            (x - centre.0).powi(2) + (y - centre.1).powi(2) <= 81.0
        };
        let roi = Array3::from_shape_fn((3, 30, 40), |(_, j, i)| inside(i, j));
        let voxels = Array3::from_shape_fn((3, 30, 40), |(_, j, i)| {
            if !inside(i, j) {
                -1000.0
            } else if (i as f64) * 0.8 < centre.0 {
                1300.0
            } else {
                400.0
            }
        });
        let volume = Volume {
            geometry,
            voxels,
            stored_type: PixelType::I16,
        };
        (volume, roi)
    }

    /// The outline lies on the ROI's border (within one pixel) and only there, every border
    /// pixel of the ROI is drawn, and the bone window maps the stated HU to the stated greys.
    #[test]
    fn the_outline_follows_the_roi_border_and_the_window_maps_hu_to_grey() {
        let (volume, roi) = phantom();
        let field = Field::around_roi(&volume.geometry, &roi, 3.0, 160).unwrap();
        let slice = field.sample(&volume, Some(&roi));
        let window = Window {
            name: "BONE".into(),
            center: 400.0,
            width: 1800.0,
        };
        let picture = slice_picture(&slice, &window);
        let [w, h] = field.size;
        // The true border: the disc of radius 9 mm (voxel centres) widened by half a voxel.
        let mut outlined = 0;
        for r in 0..h {
            for c in 0..w {
                if picture.at(c, r) != OUTLINE {
                    continue;
                }
                outlined += 1;
                let (x, y) = field.point(r, c);
                // The nearest voxel centre is in the ROI, and a pixel step away lies one
                // that is not: the pixel is within one pixel of the ROI's edge.
                let [i, j] = [(x / 0.8).round() as usize, (y / 0.8).round() as usize];
                assert!(roi[(1, j, i)], "outline pixel ({r}, {c}) off the ROI");
                let near_edge = [(-1.0, 0.0), (1.0, 0.0), (0.0, -1.0), (0.0, 1.0)]
                    .iter()
                    .any(|(dx, dy)| {
                        let (xi, yj) = (
                            ((x + dx * field.step) / 0.8).round(),
                            ((y + dy * field.step) / 0.8).round(),
                        );
                        xi < 0.0
                            || yj < 0.0
                            || xi >= 40.0
                            || yj >= 30.0
                            || !roi[(1, yj as usize, xi as usize)]
                    });
                assert!(near_edge, "outline pixel ({r}, {c}) inside the ROI");
            }
        }
        assert_eq!(outlined, outline(slice.roi.as_ref().unwrap(), w, h).len());
        assert!(outlined > 100, "{outlined} outline pixels");
        // Window: -1000 HU -> round(255 (-1000 + 500) / 1800) clipped = 0; 400 HU (the
        // centre) -> 128 (127.5 rounded half away); 1300 HU (the top) -> 255.
        let grey_at = |x: f64, y: f64| {
            let (r, c) = field.pixel(x, y).unwrap();
            picture.at(c, r)
        };
        assert_eq!(grey_at(field.origin[0], field.origin[1]), [0, 0, 0]);
        assert_eq!(grey_at(20.0, 12.0), [128, 128, 128]);
        assert_eq!(grey_at(12.0, 12.0), [255, 255, 255]);
        assert_eq!(window.grey(-50.0), 64); // 255 x 450 / 1800 = 63.75
        // The caption strip holds text, and the PNG decodes to the same pixels.
        let strip = &picture.rgb[3 * w * h..];
        assert!(strip.chunks(3).any(|p| p == INK));
        let png = picture.png(&[("window", window.label())]).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width as usize, info.height as usize), (w, h + STRIP));
        assert_eq!(&buf[..info.buffer_size()], &picture.rgb[..]);
    }

    #[test]
    fn a_difference_is_mid_grey_where_nothing_changed() {
        let (volume, roi) = phantom();
        let field = Field::around_roi(&volume.geometry, &roi, 3.0, 80).unwrap();
        let before = field.sample(&volume, Some(&roi));
        let mut brighter = volume.clone();
        brighter
            .voxels
            .mapv_inplace(|v| if v > 0.0 { v + 50.0 } else { v });
        let after = field.sample(&brighter, Some(&roi));
        let p = difference_picture(&before, &after, 100.0);
        let (r, c) = field.pixel(field.origin[0], field.origin[1]).unwrap();
        assert_eq!(p.at(c, r), [128, 128, 128]);
        let (r, c) = field.pixel(16.0, 12.0).unwrap();
        // +50 of +-100: 255 x 150 / 200 = 191.25.
        assert_eq!(p.at(c, r), [191, 191, 191]);
    }
}
