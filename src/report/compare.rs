//! The comparison report (`report.html`): per outcome, AUCs with CIs and ROC curves with
//! their bootstrap bands, the paired tests, the threshold table, calibration (decile plot) and
//! decision curves, reclassification and agreement, warnings; then the settings and the
//! manifest.

use serde::Serialize;
use tera::Context;

use super::svg;
use crate::compare::results::OutcomeResults;
use crate::compare::{Analysed, Compared};
use crate::error::Result;
use crate::output::sorted_json;
use crate::stats::roc_band::roc_points;

const TEMPLATE: &str = include_str!("../../templates/compare.html.tera");

/// Mean predicted and observed risk per decile of predicted risk.
fn deciles(p: &[f64], labels: &[bool]) -> Vec<(f64, f64)> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    (0..10)
        .filter_map(|d| {
            let (lo, hi) = (d * order.len() / 10, (d + 1) * order.len() / 10);
            let group = &order[lo..hi];
            (!group.is_empty()).then(|| {
                let n = group.len() as f64;
                (
                    group.iter().map(|&i| p[i]).sum::<f64>() / n,
                    group.iter().filter(|&&i| labels[i]).count() as f64 / n,
                )
            })
        })
        .collect()
}

/// One outcome's section: its results and charts.
#[derive(Serialize)]
struct Section<'a> {
    r: &'a OutcomeResults,
    roc: String,
    calibration: Option<String>,
    dca: Option<String>,
}

/// The charts of one outcome.
fn section(a: &Analysed) -> Section<'_> {
    let (predictors, labels, results) = (&a.predictors, &a.labels, &a.results);
    let roc: Vec<(String, Vec<(f64, f64)>)> = predictors
        .iter()
        .map(|pr| (pr.name.clone(), roc_points(&pr.oriented(), labels)))
        .collect();
    // The bands as (1 - specificity, low, high), increasing in x.
    let bands: Vec<svg::Band> = predictors
        .iter()
        .map(|pr| {
            let mut band: svg::Band = results
                .roc_bands
                .iter()
                .filter(|b| b.predictor == pr.name)
                .map(|b| (1.0 - b.specificity, b.sensitivity_low, b.sensitivity_high))
                .collect();
            band.reverse();
            band
        })
        .collect();
    let roc_svg = svg::line_chart_with_bands(
        &roc,
        &bands,
        (0.0, 1.0),
        (0.0, 1.0),
        ["1 - specificity", "sensitivity"],
        true,
        "ROC curves with 95% bootstrap bands",
    );
    let calib: Vec<(String, Vec<(f64, f64)>)> = predictors
        .iter()
        .filter_map(|pr| {
            pr.probability
                .as_ref()
                .map(|prob| (pr.name.clone(), deciles(prob, labels)))
        })
        .collect();
    let calibration_svg = (!calib.is_empty()).then(|| {
        let top = calib
            .iter()
            .flat_map(|(_, v)| v.iter().flat_map(|&(a, b)| [a, b]))
            .fold(0.05f64, f64::max)
            .min(1.0);
        svg::line_chart(
            &calib,
            (0.0, top),
            (0.0, top),
            ["mean predicted risk (decile)", "observed risk"],
            true,
            "Calibration by decile",
        )
    });
    let mut strategies: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for row in &results.decision_curve {
        let name = row.strategy.clone();
        let point = (row.threshold, row.net_benefit);
        match strategies.iter_mut().find(|(n, _)| *n == name) {
            Some((_, pts)) => pts.push(point),
            None => strategies.push((name, vec![point])),
        }
    }
    let dca_svg = (!strategies.is_empty()).then(|| {
        let prevalence = labels.iter().filter(|&&l| l).count() as f64 / labels.len() as f64;
        strategies.push(("treat none".into(), vec![(0.0, 0.0), (1.0, 0.0)]));
        svg::line_chart(
            &strategies,
            (0.0, 0.6),
            (-0.05, prevalence.max(0.05)),
            ["threshold probability", "net benefit"],
            false,
            "Decision curves",
        )
    });
    Section {
        r: results,
        roc: roc_svg,
        calibration: calibration_svg,
        dca: dca_svg,
    }
}

/// Renders the report.
pub fn render(c: &Compared) -> Result<String> {
    let (p, protocol_text, results) = (&c.protocol, &c.protocol_text, &c.results);
    let sections: Vec<Section> = c.outcomes.iter().map(section).collect();
    let manifest_text = sorted_json(&c.manifest)?;
    let mut ctx = Context::new();
    ctx.insert("style", super::STYLE);
    ctx.insert("script", super::TABLE_SCRIPT);
    ctx.insert("title", &p.name);
    ctx.insert("run", results);
    ctx.insert("sections", &sections);
    ctx.insert("run_bootstrap", &p.roc_bootstrap);
    ctx.insert("protocol_text", protocol_text);
    ctx.insert("manifest", &manifest_text);
    super::render("compare.html", TEMPLATE, &ctx)
}
