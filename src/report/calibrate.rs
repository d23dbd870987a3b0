//! The calibration report (`report.html`): the verdict against the reference site's limits,
//! the phantom's pose, the rods measured, the fitted line with its chart, the vertebral ROI.

use tera::{Context, Tera};

use super::svg;
use crate::calibrate::Calibration;
use crate::error::{Error, Result};

const TEMPLATE: &str = include_str!("../../templates/calibrate.html.tera");
const STYLE: &str = include_str!("../../templates/report.css");

/// Renders the report.
pub fn render(result: &Calibration) -> Result<String> {
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
    ctx.insert("style", STYLE);
    ctx.insert("r", result);
    ctx.insert("chart", &chart);
    let mut tera = Tera::default();
    tera.add_raw_template("calibrate.html", TEMPLATE)
        .map_err(|e| Error::Internal(format!("report template: {e}")))?;
    tera.render("calibrate.html", &ctx)
        .map_err(|e| Error::Internal(format!("report: {e:?}")))
}
