//! `radaudit compare`: a radiomic model side by side with the clinical references (DXA
//! T-score, FRAX, L1 attenuation) on the same patients: AUC with DeLong CIs, paired DeLong
//! tests, sensitivity/specificity/PPV/NPV with Wilson CIs at the declared thresholds,
//! calibration and decision curves for the predictors that are probabilities, NRI and IDI
//! against each probability reference, and agreement (Cohen's kappa) with each reference's
//! classification. A model fitted here (LASSO-logistic) is judged only on predictions for
//! patients its training folds never saw, with its threshold chosen on those folds.

pub mod spec;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::output::write_bytes;
use crate::protocol::{parse_yaml, resolve};
use crate::stats::calibration::calibration;
use crate::stats::cv::{CvOptions, nested_cv};
use crate::stats::dca::{net_benefit, percent_thresholds, treat_all};
use crate::stats::proportion::wilson;
use crate::stats::reclassification::{cohen_kappa, reclassification};
use crate::stats::roc::{auc, paired_test};
use crate::table::{Table, format_number};
use spec::{CompareProtocol, Direction, Reference, Scale};

/// What `radaudit compare` was asked to do.
#[derive(Debug, Clone)]
pub struct CompareArgs {
    pub protocol: PathBuf,
    pub out: PathBuf,
}

/// One predictor's values on every patient, oriented so that higher means the outcome.
#[derive(Debug, Clone)]
pub struct Predictor {
    pub name: String,
    pub column: String,
    pub values: Vec<f64>,
    pub direction: Direction,
    pub scale: Scale,
    pub thresholds: Vec<f64>,
    /// Probabilities (for calibration, decision curves and reclassification), if it is one.
    pub probability: Option<Vec<f64>>,
    /// A fitted model's own classification (threshold chosen on its training folds).
    pub classification: Option<Vec<bool>>,
}

impl Predictor {
    /// A predictor read from a cohort column (a reference, or a model's given score).
    pub fn from_column(table: &Table, r: &Reference) -> Result<Predictor> {
        let values = column(table, &r.column, r.scale)?;
        Ok(Predictor {
            name: r.name.clone(),
            column: r.column.clone(),
            probability: r
                .scale
                .to_probability()
                .map(|f| values.iter().map(|v| v * f).collect()),
            values,
            direction: r.direction,
            scale: r.scale,
            thresholds: r.thresholds.clone(),
            classification: None,
        })
    }

    /// Values with higher meaning the outcome (for ROC analysis).
    pub fn oriented(&self) -> Vec<f64> {
        match self.direction {
            Direction::Higher => self.values.clone(),
            Direction::Lower => self.values.iter().map(|v| -v).collect(),
        }
    }

    /// Positive at threshold t: value >= t, or value <= t for `lower`.
    pub fn positive(&self, t: f64) -> Vec<bool> {
        self.values
            .iter()
            .map(|&v| match self.direction {
                Direction::Higher => v >= t,
                Direction::Lower => v <= t,
            })
            .collect()
    }
}

/// A column of the cohort checked against its scale; errors name the row and column.
fn column(table: &Table, name: &str, scale: Scale) -> Result<Vec<f64>> {
    let values = table.numbers(name)?;
    let (lo, hi) = scale.range();
    if let Some((k, v)) = values
        .iter()
        .enumerate()
        .find(|(_, v)| **v < lo || **v > hi)
    {
        return Err(Error::input(
            &table.path,
            format!(
                "row {}, column {name}: {v} is outside {lo} to {hi} for a {scale:?} value",
                k + 2
            ),
        ));
    }
    Ok(values)
}

/// The outcome column as 0/1, with both classes present.
fn outcome(table: &Table, name: &str) -> Result<Vec<f64>> {
    let values = table.numbers(name)?;
    if let Some((k, v)) = values
        .iter()
        .enumerate()
        .find(|(_, v)| **v != 0.0 && **v != 1.0)
    {
        return Err(Error::input(
            &table.path,
            format!(
                "row {}, column {name}: the outcome must be 0 or 1, got {v}",
                k + 2
            ),
        ));
    }
    let events = values.iter().filter(|&&v| v == 1.0).count();
    if events == 0 || events == values.len() {
        return Err(Error::input(
            &table.path,
            format!(
                "column {name}: the outcome has one class only ({events} events of {})",
                values.len()
            ),
        ));
    }
    Ok(values)
}

/// Features robust on every axis of an audit's stability.csv.
fn robust_features(path: &Path) -> Result<Vec<String>> {
    let t = Table::read(path)?;
    let features = t.required_text("feature")?;
    let robust = t.required_text("robust")?;
    let mut verdict: Vec<(String, bool)> = Vec::new();
    for (f, r) in features.into_iter().zip(robust) {
        match verdict.iter_mut().find(|(g, _)| *g == f) {
            Some(entry) => entry.1 &= r == "yes",
            None => verdict.push((f, r == "yes")),
        }
    }
    Ok(verdict
        .into_iter()
        .filter(|(_, ok)| *ok)
        .map(|(f, _)| f)
        .collect())
}

/// The outcome of a comparison.
pub struct Outcome {
    pub results: Value,
    pub summary: String,
}

/// Runs the comparison and writes DIR/{auc,paired,thresholds,calibration,dca,
/// reclassification,agreement}.csv, results.json and report.html.
pub fn run(args: &CompareArgs) -> Result<Outcome> {
    let path = &args.protocol;
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::input(path, format!("cannot read: {e}")))?;
    let p: CompareProtocol = parse_yaml(path, &text)?;
    let cohort = match (&p.cohort, &p.synthetic) {
        (Some(c), None) => resolve(path, c),
        (None, Some(sy)) => {
            let dir = args.out.join("cohort");
            crate::phantom::cohort::build(sy.patients, p.seed, &dir, false)?;
            dir.join("cohort.csv")
        }
        _ => {
            return Err(Error::input(
                path,
                "give exactly one of cohort and synthetic",
            ));
        }
    };
    let table = Table::read(&cohort)?;
    let ids = table.required_text(&p.id)?;
    for (k, id) in ids.iter().enumerate() {
        if let Some(first) = ids[..k].iter().position(|j| j == id) {
            return Err(Error::input(
                &table.path,
                format!(
                    "rows {} and {}, column {}: patient id {id:?} appears twice",
                    first + 2,
                    k + 2,
                    p.id
                ),
            ));
        }
    }
    let y = outcome(&table, &p.outcome)?;
    let labels: Vec<bool> = y.iter().map(|&v| v == 1.0).collect();
    let events = labels.iter().filter(|&&b| b).count();
    let mut warnings = Vec::new();
    let mut predictors = Vec::new();
    let mut model_info = Value::Null;
    if let Some(m) = &p.model {
        match (
            &m.score,
            m.features.is_empty() && m.feature_prefix.is_none(),
        ) {
            (Some(score), true) => {
                let given = Reference {
                    name: m.name.clone(),
                    column: score.clone(),
                    direction: m.direction,
                    scale: m.scale,
                    thresholds: m.thresholds.clone(),
                };
                predictors.push(Predictor::from_column(&table, &given)?);
            }
            (None, false) => {
                let mut names: Vec<String> = m.features.clone();
                if let Some(prefix) = &m.feature_prefix {
                    names.extend(
                        table
                            .headers
                            .iter()
                            .filter(|h| h.starts_with(prefix.as_str()))
                            .cloned(),
                    );
                }
                if let Some(st) = &m.stability {
                    let robust = robust_features(&resolve(path, st))?;
                    names.retain(|n| robust.contains(n));
                }
                if names.is_empty() {
                    return Err(Error::input(
                        path,
                        "model: no candidate features (after the stability filter)",
                    ));
                }
                let cols: Vec<Vec<f64>> = names
                    .iter()
                    .map(|n| table.numbers(n))
                    .collect::<Result<_>>()?;
                let x: Vec<Vec<f64>> = (0..y.len())
                    .map(|i| cols.iter().map(|c| c[i]).collect())
                    .collect();
                let epv = events.min(y.len() - events) as f64 / names.len() as f64;
                if epv < p.min_events_per_variable {
                    warnings.push(format!(
                        "{:.1} events per candidate feature ({} events, {} features) is below the declared minimum of {}: the model may be overfitted",
                        epv, events.min(y.len() - events), names.len(), p.min_events_per_variable
                    ));
                }
                let options = CvOptions {
                    outer_folds: m.folds,
                    inner_folds: m.inner_folds,
                    seed: p.seed,
                    ..CvOptions::default()
                };
                let cv = nested_cv(&x, &y, &options)
                    .map_err(|e| Error::input(&table.path, format!("model: {e}")))?;
                model_info = json!({
                    "candidate_features": names,
                    "outer_folds": m.folds,
                    "inner_folds": m.inner_folds,
                    "chosen_c": cv.chosen_c,
                    "thresholds": cv.thresholds,
                    "selected_per_fold": cv.selected.iter().map(|s| s.iter().map(|&j| names[j].clone()).collect::<Vec<_>>()).collect::<Vec<_>>(),
                });
                predictors.push(Predictor {
                    name: m.name.clone(),
                    column: String::new(),
                    values: cv.predictions.clone(),
                    direction: Direction::Higher,
                    scale: Scale::Probability,
                    thresholds: Vec::new(),
                    probability: Some(cv.predictions),
                    classification: Some(cv.positive),
                });
            }
            _ => {
                return Err(Error::input(
                    path,
                    "model: give either score or features/feature_prefix",
                ));
            }
        }
    }
    for r in &p.references {
        predictors.push(Predictor::from_column(&table, r)?);
    }
    if predictors.is_empty() {
        return Err(Error::input(
            path,
            "no model and no references: nothing to compare",
        ));
    }
    std::fs::create_dir_all(&args.out).map_err(|e| Error::output(&args.out, e.to_string()))?;
    let results = analyse(&p, &predictors, &y, &labels, &ids, warnings, model_info)?;
    write_tables(&args.out, &results)?;
    let json_text =
        serde_json::to_string_pretty(&results).map_err(|e| Error::Internal(e.to_string()))?;
    write_bytes(
        &args.out.join("results.json"),
        format!("{json_text}\n").as_bytes(),
    )?;
    let html = crate::report::compare::render(&p, &text, &predictors, &labels, &results)?;
    write_bytes(&args.out.join("report.html"), html.as_bytes())?;
    let mut summary = format!(
        "wrote {} ({} patients, {} events)\n",
        args.out.display(),
        y.len(),
        events
    );
    for a in results["auc"].as_array().into_iter().flatten() {
        summary += &format!(
            "  {}: AUC {:.3} ({:.3}-{:.3})\n",
            a["predictor"].as_str().unwrap_or(""),
            a["auc"].as_f64().unwrap_or(f64::NAN),
            a["ci_low"].as_f64().unwrap_or(f64::NAN),
            a["ci_high"].as_f64().unwrap_or(f64::NAN)
        );
    }
    Ok(Outcome { results, summary })
}

fn threshold_row(name: &str, threshold: Value, positive: &[bool], labels: &[bool]) -> Value {
    let (mut tp, mut fp, mut tn, mut fn_) = (0, 0, 0, 0);
    for (&p, &l) in positive.iter().zip(labels) {
        match (p, l) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, false) => tn += 1,
            (false, true) => fn_ += 1,
        }
    }
    let ci = |k: usize, n: usize| {
        wilson(k, n).map(|(p, lo, hi)| json!({"value": p, "ci_low": lo, "ci_high": hi}))
    };
    json!({
        "predictor": name, "threshold": threshold, "tp": tp, "fp": fp, "tn": tn, "fn": fn_,
        "sensitivity": ci(tp, tp + fn_), "specificity": ci(tn, tn + fp),
        "ppv": ci(tp, tp + fp), "npv": ci(tn, tn + fn_),
    })
}

/// Every statistic, as JSON.
fn analyse(
    p: &CompareProtocol,
    predictors: &[Predictor],
    y: &[f64],
    labels: &[bool],
    ids: &[String],
    warnings: Vec<String>,
    model_info: Value,
) -> Result<Value> {
    let fail = |what: &str, e: String| Error::Usage(format!("{what}: {e}"));
    let mut aucs = Vec::new();
    for pr in predictors {
        let a = auc(&pr.oriented(), labels).map_err(|e| fail(&pr.name, e))?;
        aucs.push(json!({"predictor": pr.name, "auc": a.auc, "variance": a.variance, "ci_low": a.ci_low, "ci_high": a.ci_high}));
    }
    let mut paired = Vec::new();
    for i in 0..predictors.len() {
        for j in i + 1..predictors.len() {
            let t = paired_test(&predictors[i].oriented(), &predictors[j].oriented(), labels)
                .map_err(|e| fail("paired DeLong", e))?;
            paired.push(json!({"a": predictors[i].name, "b": predictors[j].name, "auc_a": t.auc1, "auc_b": t.auc2,
                "difference": t.diff, "ci_low": t.ci_low, "ci_high": t.ci_high, "z": t.z, "p": t.p_two_sided}));
        }
    }
    let mut thresholds = Vec::new();
    for pr in predictors {
        if let Some(c) = &pr.classification {
            thresholds.push(threshold_row(
                &pr.name,
                json!("chosen on training folds"),
                c,
                labels,
            ));
        }
        for &t in &pr.thresholds {
            thresholds.push(threshold_row(&pr.name, json!(t), &pr.positive(t), labels));
        }
    }
    let mut calibrations = Vec::new();
    let mut curves = Vec::new();
    let cuts = percent_thresholds();
    for pr in predictors {
        let Some(prob) = &pr.probability else {
            continue;
        };
        let clipped: Vec<f64> = prob.iter().map(|v| v.clamp(1e-6, 1.0 - 1e-6)).collect();
        match calibration(&clipped, y) {
            Ok(c) => calibrations.push(json!({"predictor": pr.name, "brier": c.brier, "slope": c.slope, "slope_se": c.slope_se,
                "intercept": c.intercept, "intercept_se": c.intercept_se})),
            Err(e) => calibrations.push(json!({"predictor": pr.name, "note": e})),
        }
        for nb in net_benefit(prob, y, &cuts) {
            curves.push(json!({"strategy": pr.name, "threshold": nb.threshold, "net_benefit": nb.net_benefit}));
        }
    }
    if !calibrations.is_empty() {
        for nb in treat_all(y, &cuts) {
            curves.push(json!({"strategy": "treat all", "threshold": nb.threshold, "net_benefit": nb.net_benefit}));
        }
    }
    let mut reclass = Vec::new();
    if let Some(model) = predictors
        .first()
        .filter(|m| m.probability.is_some() && p.model.is_some())
    {
        let new = model.probability.as_ref().cloned().unwrap_or_default();
        for r in predictors.iter().skip(1) {
            let Some(old) = &r.probability else { continue };
            let (m, ci) = reclassification(
                old,
                &new,
                labels,
                &p.reclassification.cut_points,
                p.reclassification.bootstrap,
                p.seed,
            )
            .map_err(|e| fail("reclassification", e))?;
            let names = [
                "nri_categorical",
                "nri_events",
                "nri_nonevents",
                "nri_continuous",
                "idi",
            ];
            let values = [
                m.nri_categorical,
                m.nri_events,
                m.nri_nonevents,
                m.nri_continuous,
                m.idi,
            ];
            for ((n, v), (lo, hi)) in names.iter().zip(values).zip(ci) {
                reclass.push(json!({"model": model.name, "reference": r.name, "measure": n, "value": v, "ci_low": lo, "ci_high": hi}));
            }
        }
    }
    // Agreement of the model's classification with each reference's first threshold.
    let mut agreement = Vec::new();
    if let Some(model) = predictors.first().filter(|_| p.model.is_some()) {
        let model_class = model
            .classification
            .clone()
            .or_else(|| model.thresholds.first().map(|&t| model.positive(t)));
        if let Some(mc) = model_class {
            for r in predictors.iter().skip(1) {
                let Some(&t) = r.thresholds.first() else {
                    continue;
                };
                let a: Vec<usize> = mc.iter().map(|&b| usize::from(b)).collect();
                let b: Vec<usize> = r.positive(t).iter().map(|&b| usize::from(b)).collect();
                match cohen_kappa(&a, &b, 2) {
                    Ok((k, m)) => agreement.push(json!({"model": model.name, "reference": r.name, "threshold": t, "kappa": k,
                        "both_negative": m[0][0], "model_only": m[1][0], "reference_only": m[0][1], "both_positive": m[1][1]})),
                    Err(e) => agreement.push(json!({"model": model.name, "reference": r.name, "threshold": t, "note": e})),
                }
            }
        }
    }
    Ok(json!({
        "protocol": p.name,
        "patients": ids.len(),
        "events": labels.iter().filter(|&&b| b).count(),
        "warnings": warnings,
        "model": model_info,
        "auc": aucs,
        "paired": paired,
        "thresholds": thresholds,
        "calibration": calibrations,
        "decision_curve": curves,
        "reclassification": reclass,
        "agreement": agreement,
    }))
}

/// Writes the CSV tables from the results.
fn write_tables(dir: &Path, r: &Value) -> Result<()> {
    let cell = |v: &Value| match v {
        Value::Number(n) => n.as_f64().map(format_number).unwrap_or_default(),
        Value::String(s) => crate::extract::csv_field(s),
        Value::Null => String::new(),
        other => crate::extract::csv_field(&other.to_string()),
    };
    let table = |file: &str, key: &str, columns: &[&str]| -> Result<()> {
        let mut out = columns.join(",") + "\n";
        for row in r[key].as_array().into_iter().flatten() {
            let cells: Vec<String> = columns
                .iter()
                .map(|c| {
                    // Nested {value, ci_low, ci_high} cells are flattened as name, name_ci_low, ...
                    let (base, part) = c
                        .rsplit_once("__")
                        .map_or((*c, None), |(b, s)| (b, Some(s)));
                    match part {
                        Some(s) => cell(&row[base][s]),
                        None if row[base].is_object() => cell(&row[base]["value"]),
                        None => cell(&row[base]),
                    }
                })
                .collect();
            out += &(cells.join(",") + "\n");
        }
        write_bytes(&dir.join(file), out.as_bytes())
    };
    table(
        "auc.csv",
        "auc",
        &["predictor", "auc", "variance", "ci_low", "ci_high"],
    )?;
    table(
        "paired.csv",
        "paired",
        &[
            "a",
            "b",
            "auc_a",
            "auc_b",
            "difference",
            "ci_low",
            "ci_high",
            "z",
            "p",
        ],
    )?;
    table(
        "thresholds.csv",
        "thresholds",
        &[
            "predictor",
            "threshold",
            "tp",
            "fp",
            "tn",
            "fn",
            "sensitivity",
            "sensitivity__ci_low",
            "sensitivity__ci_high",
            "specificity",
            "specificity__ci_low",
            "specificity__ci_high",
            "ppv",
            "ppv__ci_low",
            "ppv__ci_high",
            "npv",
            "npv__ci_low",
            "npv__ci_high",
        ],
    )?;
    table(
        "calibration.csv",
        "calibration",
        &[
            "predictor",
            "brier",
            "slope",
            "slope_se",
            "intercept",
            "intercept_se",
            "note",
        ],
    )?;
    table(
        "dca.csv",
        "decision_curve",
        &["strategy", "threshold", "net_benefit"],
    )?;
    table(
        "reclassification.csv",
        "reclassification",
        &[
            "model",
            "reference",
            "measure",
            "value",
            "ci_low",
            "ci_high",
        ],
    )?;
    table(
        "agreement.csv",
        "agreement",
        &[
            "model",
            "reference",
            "threshold",
            "kappa",
            "both_negative",
            "model_only",
            "reference_only",
            "both_positive",
            "note",
        ],
    )?;
    Ok(())
}
