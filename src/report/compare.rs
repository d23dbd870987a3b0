//! The comparison report (`report.html`): AUCs with CIs and ROC curves, the paired tests, the
//! threshold table, calibration (decile plot) and decision curves, reclassification and
//! agreement, warnings, and the protocol.

use serde_json::Value;
use tera::{Context, Tera};

use super::svg;
use crate::compare::Predictor;
use crate::compare::spec::CompareProtocol;
use crate::error::{Error, Result};

const TEMPLATE: &str = include_str!("../../templates/compare.html.tera");
const STYLE: &str = include_str!("../../templates/report.css");

/// ROC curve points (1 - specificity, sensitivity) of oriented scores.
fn roc_points(scores: &[f64], labels: &[bool]) -> Vec<(f64, f64)> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let pos = labels.iter().filter(|&&l| l).count() as f64;
    let neg = labels.len() as f64 - pos;
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut points = vec![(0.0, 0.0)];
    let mut k = 0;
    while k < order.len() {
        let v = scores[order[k]];
        while k < order.len() && scores[order[k]] == v {
            if labels[order[k]] {
                tp += 1.0
            } else {
                fp += 1.0
            }
            k += 1;
        }
        points.push((fp / neg, tp / pos));
    }
    points
}

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

/// Renders the report.
pub fn render(
    p: &CompareProtocol,
    protocol_text: &str,
    predictors: &[Predictor],
    labels: &[bool],
    results: &Value,
) -> Result<String> {
    let roc: Vec<(String, Vec<(f64, f64)>)> = predictors
        .iter()
        .map(|pr| (pr.name.clone(), roc_points(&pr.oriented(), labels)))
        .collect();
    let roc_svg = svg::line_chart(
        &roc,
        (0.0, 1.0),
        (0.0, 1.0),
        ["1 - specificity", "sensitivity"],
        true,
        "ROC curves",
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
    for row in results["decision_curve"].as_array().into_iter().flatten() {
        let name = row["strategy"].as_str().unwrap_or("").to_string();
        let point = (
            row["threshold"].as_f64().unwrap_or(f64::NAN),
            row["net_benefit"].as_f64().unwrap_or(f64::NAN),
        );
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
    let mut ctx = Context::new();
    ctx.insert("style", STYLE);
    ctx.insert("title", &p.name);
    ctx.insert("r", results);
    ctx.insert("roc", &roc_svg);
    ctx.insert("calibration", &calibration_svg);
    ctx.insert("dca", &dca_svg);
    ctx.insert("protocol_text", protocol_text);
    let mut tera = Tera::default();
    tera.add_raw_template("compare.html", TEMPLATE)
        .map_err(|e| Error::Internal(format!("report template: {e}")))?;
    tera.render("compare.html", &ctx)
        .map_err(|e| Error::Internal(format!("report: {e:?}")))
}
