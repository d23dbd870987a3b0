//! The calibration report (`report.html`): the verdict against the reference site's limits,
//! the phantom's pose, the rods measured, the fitted line with its chart, the vertebral ROI.

use tera::Context;

use super::{panel, svg};
use crate::calibrate::{Calibrated, Picture};
use crate::error::Result;
use crate::volume::slice::Window;

const TEMPLATE: &str = include_str!("../../templates/calibrate.html.tera");

/// The window of the phantom picture: -250 to 450 HU, from air-free water to beyond the
/// densest rods of common QCT phantoms.
const WINDOW: (f64, f64) = (100.0, 700.0);

/// The phantom picture: the middle slice (the vertebral ROI outlined), under an SVG layer
/// with each rod's measured disc and name, the texture region and the fitted pose (a cross
/// at the centre, a line along the phantom's x axis).
fn phantom_picture(outcome: &Calibrated) -> Result<String> {
    let Picture { slice, texture } = &outcome.picture;
    let window = Window {
        name: String::new(),
        center: WINDOW.0,
        width: WINDOW.1,
    };
    let png = panel::slice_picture(slice, &window).data_uri()?;
    let f = &slice.field;
    let (w, h) = (f.size[0], f.size[1]);
    // Pixel (r, c) spans [c, c + 1] x [r, r + 1] of the layer's viewBox.
    let at = |x: f64, y: f64| {
        (
            (x - f.origin[0]) / f.step + 0.5,
            (y - f.origin[1]) / f.step + 0.5,
        )
    };
    let mut layer = String::new();
    for m in &outcome.result.inserts {
        let (Some([x, y]), Some(r)) = (m.centre_mm, m.radius_mm) else {
            continue;
        };
        let (cx, cy) = at(x, y);
        layer += &format!(
            r##"<circle class="rod" data-insert="{name}" data-x-mm="{x}" data-y-mm="{y}" cx="{cx:.2}" cy="{cy:.2}" r="{r:.2}" fill="none" stroke="#ffd400" stroke-width="1.5"/><text x="{cx:.2}" y="{ty:.2}" text-anchor="middle" font-size="11" fill="#ffd400">{name}</text>"##,
            name = svg::escape(&m.name),
            r = r / f.step,
            ty = cy - r / f.step - 3.0,
        );
    }
    if let Some((name, [x, y], r)) = texture {
        let (cx, cy) = at(*x, *y);
        layer += &format!(
            r##"<circle class="texture" cx="{cx:.2}" cy="{cy:.2}" r="{r:.2}" fill="none" stroke="#4fc3f7" stroke-width="1.5" stroke-dasharray="4 3"/><text x="{cx:.2}" y="{ty:.2}" text-anchor="middle" font-size="11" fill="#4fc3f7">{name}</text>"##,
            name = svg::escape(name),
            r = r / f.step,
            ty = cy + r / f.step + 12.0,
        );
    }
    let pose = &outcome.result.pose;
    let (px, py) = at(pose.x, pose.y);
    let (s, c) = pose.angle.to_radians().sin_cos();
    let (ex, ey) = at(pose.x + 20.0 * c, pose.y + 20.0 * s);
    layer += &format!(
        r##"<g class="pose" stroke="#ff4040" stroke-width="1.5"><line x1="{:.2}" y1="{py:.2}" x2="{:.2}" y2="{py:.2}"/><line x1="{px:.2}" y1="{:.2}" x2="{px:.2}" y2="{:.2}"/><line x1="{px:.2}" y1="{py:.2}" x2="{ex:.2}" y2="{ey:.2}"/></g>"##,
        px - 6.0,
        px + 6.0,
        py - 6.0,
        py + 6.0,
    );
    Ok(format!(
        r#"<div class="picture" style="position: relative; width: {w}px;"><img id="phantom-slice" src="{png}" width="{w}" alt="phantom, middle slice"/><svg xmlns="http://www.w3.org/2000/svg" id="phantom-layer" style="position: absolute; left: 0; top: 0;" width="{w}" height="{h}" viewBox="0 0 {w} {h}" data-origin-x-mm="{ox}" data-origin-y-mm="{oy}" data-pixel-mm="{step}">{layer}</svg></div>"#,
        ox = f.origin[0],
        oy = f.origin[1],
        step = f.step,
    ))
}

/// Renders the report.
pub fn render(outcome: &Calibrated) -> Result<String> {
    let result = &outcome.result;
    let (line, inserts) = (&result.calibration, &result.inserts);
    let top = inserts.iter().map(|m| m.density).fold(0.0f64, f64::max) * 1.1 + 1.0;
    let low = inserts.iter().map(|m| m.density).fold(0.0f64, f64::min);
    let hu = |d: f64| line.intercept + line.slope * d;
    let points: Vec<(f64, f64)> = inserts.iter().map(|m| (m.density, m.mean_hu)).collect();
    let (ymin, ymax) = points
        .iter()
        .fold((hu(low), hu(top)), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let chart = svg::line_chart(
        &[
            ("fit".to_string(), vec![(low, hu(low)), (top, hu(top))]),
            ("rods (mean HU)".to_string(), points),
        ],
        (low, top),
        (ymin - 10.0, ymax + 10.0),
        ["density (mg/cm3)", "HU"],
        false,
        "Calibration",
    );
    let mut ctx = Context::new();
    ctx.insert("style", super::STYLE);
    ctx.insert("r", result);
    ctx.insert("chart", &chart);
    ctx.insert("picture", &phantom_picture(outcome)?);
    ctx.insert("window", &format!("W {} L {}", WINDOW.1, WINDOW.0));
    ctx.insert("z_mm", &format!("{:.1}", outcome.picture.slice.field.z));
    ctx.insert("script", super::TABLE_SCRIPT);
    super::render("calibrate.html", TEMPLATE, &ctx)
}
