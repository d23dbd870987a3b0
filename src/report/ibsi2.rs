//! The IBSI 2 compliance report (`report.html` of `radaudit ibsi-check --chapter 2`): phase 1's
//! tests, each with radaudit's response map beside the published reference map and their
//! difference on the slice through the reference's peak; then phase 2's configurations, pass
//! counts and every reference value with radaudit's.

use serde_json::{Value, json};
use tera::Context;

use crate::error::Result;
use crate::ibsi_check::chapter2::{Phase1Row, Phase2Row};
use crate::report::panel;
use crate::volume::slice::Window;

const TEMPLATE: &str = include_str!("../../templates/ibsi2.html.tera");

/// The three pictures of a test with a reference map: response, reference (both through the
/// reference's range), and response - reference (mid grey: equal; white or black: at or
/// beyond the pass rule's tolerance).
fn pictures(row: &Phase1Row) -> Result<Option<Value>> {
    let (Some(slices), Some(tolerance)) = (&row.slices, row.tolerance) else {
        return Ok(None);
    };
    let (lo, hi) = slices.range;
    let width = if hi > lo { hi - lo } else { 1.0 };
    let window = Window {
        name: "MAP".into(),
        center: 0.5 * (lo + hi),
        width,
    };
    let range = if tolerance > 0.0 { tolerance } else { 1.0 };
    let response = panel::slice_picture(&slices.response, &window).data_uri()?;
    let reference = panel::slice_picture(&slices.reference, &window).data_uri()?;
    let difference =
        panel::difference_picture(&slices.reference, &slices.response, range).data_uri()?;
    Ok(Some(json!({
        "response": response,
        "reference": reference,
        "difference": difference,
        "k": slices.k,
    })))
}

/// Renders the report.
pub fn render(phase1: &[Phase1Row], phase2: &[Phase2Row]) -> Result<String> {
    let tests: Vec<Value> = phase1
        .iter()
        .map(|r| {
            Ok(json!({
                "id": r.id,
                "filter": r.filter,
                "spec": r.spec,
                "status": r.status,
                "max_difference": r.max_difference,
                "tolerance": r.tolerance,
                "pictures": pictures(r)?,
            }))
        })
        .collect::<Result<_>>()?;
    let mut configs: Vec<(String, usize, usize)> = Vec::new();
    for r in phase2 {
        match configs.iter_mut().find(|c| c.0 == r.config) {
            Some(c) => {
                c.1 += usize::from(r.pass);
                c.2 += 1;
            }
            None => configs.push((r.config.clone(), usize::from(r.pass), 1)),
        }
    }
    let with_map = phase1.iter().filter(|r| r.tolerance.is_some()).count();
    let passed1 = phase1.iter().filter(|r| r.status == "pass").count();
    let passed2 = phase2.iter().filter(|r| r.pass).count();
    let bars = super::svg::pass_bars(&configs, "Phase 2 reference values met per configuration");
    let mut ctx = Context::new();
    ctx.insert("style", super::STYLE);
    ctx.insert("script", super::TABLE_SCRIPT);
    ctx.insert("version", env!("CARGO_PKG_VERSION"));
    ctx.insert("tests", &tests);
    ctx.insert("with_map", &with_map);
    ctx.insert("passed1", &passed1);
    ctx.insert("phase2", phase2);
    ctx.insert("passed2", &passed2);
    ctx.insert("bars", &bars);
    super::render("ibsi2.html", TEMPLATE, &ctx)
}
