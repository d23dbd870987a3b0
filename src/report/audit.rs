//! The audit report (`report.html`): the verdict first, robust counts per family and axis,
//! a feature x axis heatmap of ICC(1,1), the per-feature stability table (filtered and sorted
//! by the page's script), image panels of what each perturbation did to a few cases, a forest
//! plot of the most and least robust features, the effect of ComBat, failures, and the
//! settings and manifest.

use serde_json::{Value, json};
use tera::Context;

use super::panel;
use super::svg::{self, ForestRow};
use crate::audit::Audited;
use crate::audit::stability::{self, Row};
use crate::error::{Error, Result};
use crate::output::sorted_json;
use crate::volume::slice::Window;

const TEMPLATE: &str = include_str!("../../templates/audit.html.tera");

/// Features shown at each end of the forest plot.
const FOREST_EACH_END: usize = 12;

/// The forest plot's rows: per feature its least robust axis, the most and least robust.
fn forest_rows(stability: &[Row]) -> Vec<ForestRow> {
    let mut worst: Vec<&Row> = Vec::new();
    for r in stability {
        let Some(v) = r.icc1 else { continue };
        match worst.iter_mut().find(|w| w.feature == r.feature) {
            Some(w) if w.icc1.is_some_and(|x| v < x) => *w = r,
            Some(_) => {}
            None => worst.push(r),
        }
    }
    worst.sort_by(|a, b| {
        b.icc1
            .unwrap_or(0.0)
            .total_cmp(&a.icc1.unwrap_or(0.0))
            .then(a.feature.cmp(&b.feature))
    });
    let n = worst.len();
    let picked: Vec<&Row> = if n <= 2 * FOREST_EACH_END {
        worst
    } else {
        worst[..FOREST_EACH_END]
            .iter()
            .chain(&worst[n - FOREST_EACH_END..])
            .copied()
            .collect()
    };
    picked
        .into_iter()
        .map(|r| ForestRow {
            label: format!("{} ({})", r.feature.trim_start_matches("original_"), r.axis),
            estimate: r.icc1.unwrap_or(f64::NAN),
            low: r.icc1_ci_low.unwrap_or(f64::NAN),
            high: r.icc1_ci_high.unwrap_or(f64::NAN),
        })
        .collect()
}

/// The image panels of the audit's previews: per case, each job's slice (the ROI outlined)
/// and, where the job kept the grid and changed the image, its difference from the baseline.
fn image_panels(input: &Audited) -> Result<(String, Vec<Value>)> {
    let window = Window::parse(&input.loaded.protocol.outputs.window).map_err(Error::Usage)?;
    input
        .previews
        .iter()
        .map(|case| {
            let base = &case.levels[0].slice;
            let panels = case
                .levels
                .iter()
                .map(|level| {
                    let picture = panel::slice_picture(&level.slice, &window).data_uri()?;
                    let changed = level.same_grid
                        && level.job != "baseline"
                        && level
                            .slice
                            .values
                            .iter()
                            .zip(&base.values)
                            .any(|(a, b)| a.to_bits() != b.to_bits());
                    let difference = if changed {
                        let range = panel::difference_range(base, &level.slice);
                        Some(json!({
                            "src": panel::difference_picture(base, &level.slice, range)
                                .data_uri()?,
                            "range": range,
                        }))
                    } else {
                        None
                    };
                    Ok(json!({"job": level.job, "src": picture, "difference": difference}))
                })
                .collect::<Result<Vec<Value>>>()?;
            Ok(json!({
                "case": case.case,
                "why": case.why,
                "pixel_mm": format!("{:.3}", base.field.step),
                "z_mm": format!("{:.1}", base.field.z),
                "panels": panels,
            }))
        })
        .collect::<Result<Vec<Value>>>()
        .map(|cases| (window.label(), cases))
}

/// Renders the report.
pub fn render(input: &Audited) -> Result<String> {
    let axes: Vec<String> = input.verdict.axes.iter().map(|a| a.axis.clone()).collect();
    // Rows by feature (stability order), each with its ICC(1,1) and verdict per axis.
    let mut features: Vec<String> = Vec::new();
    let mut by_feature: std::collections::HashMap<(&str, &str), &Row> =
        std::collections::HashMap::new();
    for r in &input.stability {
        if let std::collections::hash_map::Entry::Vacant(e) =
            by_feature.entry((r.feature.as_str(), ""))
        {
            e.insert(r);
            features.push(r.feature.clone());
        }
        by_feature.insert((r.feature.as_str(), r.axis.as_str()), r);
    }
    let find = |f: usize, a: usize| {
        by_feature
            .get(&(features[f].as_str(), axes[a].as_str()))
            .and_then(|r| r.icc1)
    };
    // The image types and (image, class) groups in feature order.
    let mut groups: Vec<(String, String)> = Vec::new();
    for f in &features {
        let key = (
            stability::image(f).to_string(),
            stability::family(f).to_string(),
        );
        if !groups.contains(&key) {
            groups.push(key);
        }
    }
    let several_images = groups.iter().any(|(image, _)| image != "original");
    let group_label = |(image, family): &(String, String)| {
        if several_images {
            format!("{image} · {family}")
        } else {
            family.clone()
        }
    };
    let share = |g: usize, a: usize| {
        let (image, family) = &groups[g];
        input
            .verdict
            .families
            .iter()
            .find(|x| &x.image == image && &x.family == family && x.axis == axes[a])
            .filter(|x| x.features > 0)
            .map(|x| x.robust as f64 / x.features as f64)
    };
    let labels: Vec<String> = groups.iter().map(group_label).collect();
    let grouped_heatmap = several_images.then(|| {
        svg::heatmap(
            &labels,
            &axes,
            &share,
            "Share of robust features per image type, class and axis",
        )
    });
    // One row per feature is readable up to a few hundred; beyond, the grouped map and a
    // per-feature table (searchable with the browser's find) take its place.
    let per_feature_limit = 250;
    let heatmap = (features.len() <= per_feature_limit).then(|| {
        let short: Vec<String> = features
            .iter()
            .map(|f| f.trim_start_matches("original_").to_string())
            .collect();
        svg::heatmap(&short, &axes, &find, "ICC(1,1) per feature and axis")
    });
    // Every feature in one table, filtered and sorted by the page's script.
    let feature_rows: Vec<Value> = features
        .iter()
        .enumerate()
        .map(|(k, f)| {
            let cells: Vec<Value> = (0..axes.len())
                .map(|a| {
                    let row = by_feature.get(&(f.as_str(), axes[a].as_str()));
                    json!({
                        "axis": axes[a],
                        "icc": find(k, a).map_or("-".into(), |v| format!("{v:.3}")),
                        "robust": row.is_some_and(|r| r.robust),
                    })
                })
                .collect();
            json!({
                "feature": f,
                "image": stability::image(f),
                "family": stability::family(f),
                "cells": cells,
            })
        })
        .collect();
    let mut images: Vec<&str> = Vec::new();
    let mut families: Vec<&str> = Vec::new();
    for (image, family) in &groups {
        if !images.contains(&image.as_str()) {
            images.push(image);
        }
        if !families.contains(&family.as_str()) {
            families.push(family);
        }
    }
    families.sort_unstable();
    let threshold = input.loaded.protocol.stability.acceptance.threshold;
    let forest = svg::forest(
        &forest_rows(&input.stability),
        threshold,
        "Most and least robust features",
    );
    let (combat_bars, combat_scatter) =
        match (input.harmonized.as_deref(), &input.verdict.harmonization) {
            (Some(rows), Some(h)) => {
                let bars = svg::paired_bars(
                    &[
                        (
                            "FDR-significant batch effect".into(),
                            h.significant_before as f64,
                            h.significant_after as f64,
                        ),
                        (
                            "robust features".into(),
                            h.robust_before as f64,
                            h.robust_after as f64,
                        ),
                    ],
                    ["before ComBat", "after ComBat"],
                    "Batch effects and robust features before and after ComBat",
                );
                let points: Vec<(String, f64, f64)> = rows
                    .iter()
                    .filter_map(|r| {
                        let before = input
                            .stability
                            .iter()
                            .find(|s| {
                                s.feature == r.stability.feature && s.axis == r.stability.axis
                            })?
                            .icc1?;
                        Some((r.stability.feature.clone(), before, r.stability.icc1?))
                    })
                    .collect();
                let scatter = svg::scatter_diagonal(
                    &points,
                    ["ICC(1,1) before ComBat", "ICC(1,1) after ComBat"],
                    "ICC before and after ComBat",
                );
                (Some(bars), Some(scatter))
            }
            _ => (None, None),
        };
    let family_table: Vec<Value> = groups
        .iter()
        .map(|group| {
            let cells: Vec<String> = axes
                .iter()
                .map(|a| {
                    input
                        .verdict
                        .families
                        .iter()
                        .find(|x| x.image == group.0 && x.family == group.1 && &x.axis == a)
                        .map_or("-".into(), |x| format!("{} / {}", x.robust, x.features))
                })
                .collect();
            json!({"family": group_label(group), "cells": cells})
        })
        .collect();
    let mut ctx = Context::new();
    ctx.insert("style", super::STYLE);
    ctx.insert("title", &input.loaded.protocol.name);
    ctx.insert("passed", &input.verdict.passed);
    ctx.insert("verdict", &input.verdict);
    ctx.insert("axes", &axes);
    ctx.insert("family_table", &family_table);
    ctx.insert("rule", &input.summary.rule);
    ctx.insert("cases", &input.summary.cases);
    ctx.insert("jobs", &input.summary.jobs);
    ctx.insert("notes", &input.summary.notes);
    ctx.insert("heatmap", &heatmap);
    ctx.insert("grouped_heatmap", &grouped_heatmap);
    ctx.insert("feature_rows", &feature_rows);
    ctx.insert("images", &images);
    ctx.insert("families", &families);
    let (window, previews) = image_panels(input)?;
    ctx.insert("window", &window);
    ctx.insert("previews", &previews);
    ctx.insert("script", super::TABLE_SCRIPT);
    ctx.insert("n_features", &features.len());
    ctx.insert("forest", &forest);
    ctx.insert("combat_bars", &combat_bars);
    ctx.insert("combat_scatter", &combat_scatter);
    ctx.insert(
        "failures",
        &input
            .failures
            .iter()
            .map(|f| json!({"case": f.case, "job": f.job, "message": f.message}))
            .collect::<Vec<_>>(),
    );
    ctx.insert("protocol_text", &input.loaded.text);
    ctx.insert("manifest", &sorted_json(&input.manifest)?);
    ctx.insert("n_cases", &input.plan.cases.len());
    super::render("audit.html", TEMPLATE, &ctx)
}
