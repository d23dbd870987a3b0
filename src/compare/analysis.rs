//! Every statistic of one outcome's comparison (typed, see `results`): AUCs with DeLong CIs and pointwise
//! bootstrap bands of the ROC curves, paired DeLong tests, the threshold table (Wilson CIs),
//! calibration and decision curves for probabilities, NRI/IDI of the model against each
//! probability reference, and kappa agreement with each reference's classification.

use super::Predictor;
use super::results::*;
use super::spec::CompareProtocol;
use crate::error::{Error, Result};
use crate::stats::calibration::calibration;
use crate::stats::dca::{net_benefit, percent_thresholds, treat_all};
use crate::stats::proportion::wilson;
use crate::stats::reclassification::{cohen_kappa, reclassification};
use crate::stats::roc::{auc, paired_test};
use crate::stats::roc_band::sensitivity_band;

/// Steps of the specificity grid of the ROC bands.
const BAND_STEPS: usize = 50;

/// A predictor's confusion matrix and Wilson-CI rates at one threshold.
pub fn threshold_row(
    name: &str,
    threshold: Threshold,
    positive: &[bool],
    labels: &[bool],
) -> ThresholdRow {
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
        wilson(k, n).map(|(value, ci_low, ci_high)| Estimate {
            value,
            ci_low,
            ci_high,
        })
    };
    ThresholdRow {
        predictor: name.into(),
        threshold,
        tp,
        fp,
        tn,
        fn_,
        sensitivity: ci(tp, tp + fn_),
        specificity: ci(tn, tn + fp),
        ppv: ci(tp, tp + fp),
        npv: ci(tn, tn + fn_),
    }
}

/// Every statistic of the outcome `outcome`.
pub fn analyse(
    p: &CompareProtocol,
    outcome: &str,
    predictors: &[Predictor],
    y: &[f64],
    labels: &[bool],
    warnings: Vec<String>,
    model_info: Option<ModelInfo>,
) -> Result<OutcomeResults> {
    let fail = |what: &str, e: String| Error::Usage(format!("{what}: {e}"));
    let mut aucs = Vec::new();
    for pr in predictors {
        let a = auc(&pr.oriented(), labels).map_err(|e| fail(&pr.name, e))?;
        aucs.push(AucRow {
            predictor: pr.name.clone(),
            auc: a.auc,
            variance: a.variance,
            ci_low: a.ci_low,
            ci_high: a.ci_high,
        });
    }
    let mut bands = Vec::new();
    for pr in predictors {
        let stream = format!("{outcome}/{}", pr.name);
        for b in sensitivity_band(
            &pr.oriented(),
            labels,
            BAND_STEPS,
            p.roc_bootstrap,
            p.seed,
            &stream,
        ) {
            bands.push(BandRow {
                predictor: pr.name.clone(),
                specificity: b.specificity,
                sensitivity_low: b.low,
                sensitivity_high: b.high,
            });
        }
    }
    let mut paired = Vec::new();
    for i in 0..predictors.len() {
        for j in i + 1..predictors.len() {
            let t = paired_test(&predictors[i].oriented(), &predictors[j].oriented(), labels)
                .map_err(|e| fail("paired DeLong", e))?;
            paired.push(PairedRow {
                predictor_a: predictors[i].name.clone(),
                predictor_b: predictors[j].name.clone(),
                auc_a: t.auc1,
                auc_b: t.auc2,
                difference: t.diff,
                ci_low: t.ci_low,
                ci_high: t.ci_high,
                z: t.z,
                p: t.p_two_sided,
            });
        }
    }
    let mut thresholds = Vec::new();
    for pr in predictors {
        if let Some(c) = &pr.classification {
            thresholds.push(threshold_row(
                &pr.name,
                Threshold::Described("chosen on training folds".into()),
                c,
                labels,
            ));
        }
        for &t in &pr.thresholds {
            thresholds.push(threshold_row(
                &pr.name,
                Threshold::Value(t),
                &pr.positive(t),
                labels,
            ));
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
        let fit = match calibration(&clipped, y) {
            Ok(c) => CalibrationFit::Fitted {
                brier: c.brier,
                slope: c.slope,
                slope_se: c.slope_se,
                intercept: c.intercept,
                intercept_se: c.intercept_se,
            },
            Err(note) => CalibrationFit::Note { note },
        };
        calibrations.push(CalibrationRow {
            predictor: pr.name.clone(),
            fit,
        });
        for nb in net_benefit(prob, y, &cuts) {
            curves.push(CurvePoint {
                strategy: pr.name.clone(),
                threshold: nb.threshold,
                net_benefit: nb.net_benefit,
            });
        }
    }
    if !calibrations.is_empty() {
        for nb in treat_all(y, &cuts) {
            curves.push(CurvePoint {
                strategy: "treat all".into(),
                threshold: nb.threshold,
                net_benefit: nb.net_benefit,
            });
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
                reclass.push(ReclassificationRow {
                    model: model.name.clone(),
                    reference: r.name.clone(),
                    measure: n.to_string(),
                    value: v,
                    ci_low: lo,
                    ci_high: hi,
                });
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
                let kappa = match cohen_kappa(&a, &b, 2) {
                    Ok((kappa, m)) => Agreement::Kappa {
                        kappa,
                        both_negative: m[0][0],
                        model_only: m[1][0],
                        reference_only: m[0][1],
                        both_positive: m[1][1],
                    },
                    Err(note) => Agreement::Note { note },
                };
                agreement.push(AgreementRow {
                    model: model.name.clone(),
                    reference: r.name.clone(),
                    threshold: t,
                    agreement: kappa,
                });
            }
        }
    }
    Ok(OutcomeResults {
        outcome: outcome.into(),
        patients: labels.len(),
        events: labels.iter().filter(|&&b| b).count(),
        warnings,
        model: model_info,
        auc: aucs,
        roc_bands: bands,
        paired,
        thresholds,
        calibration: calibrations,
        decision_curve: curves,
        reclassification: reclass,
        agreement,
    })
}
