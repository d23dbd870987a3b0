//! Stability after ComBat across the levels of one axis (e.g. the scanner profiles): every
//! case's baseline and level images are subjects, the baseline and each level a batch, and
//! the baseline is ComBat's reference batch, so harmonized levels are aligned to the
//! baseline acquisition and the baseline values stay as they were. The case covariates
//! (e.g. vBMD) are preserved. Then the same stability metrics as before, and Kruskal-Wallis
//! batch-effect tests (Benjamini-Hochberg q over features) before and after.

use super::plan::{Job, Plan};
use super::stability::{self, Row};
use crate::audit::protocol::{Acceptance, Harmonization};
use crate::stats::batch_tests::{benjamini_hochberg, kruskal_wallis};
use crate::stats::combat::nested::{BatchFactor, NestedData, fit_nested};
use crate::stats::combat::{self, CombatData, CombatOptions, Covariate, FeatureHandling};

/// One feature's harmonized stability and batch tests.
#[derive(Debug, Clone, PartialEq)]
pub struct HarmonizedRow {
    pub stability: Row,
    /// harmonized, constant, no_residual, or not harmonized (and why).
    pub handling: String,
    pub kw_before: Option<(f64, f64)>,
    pub kw_after: Option<(f64, f64)>,
    pub q_before: Option<f64>,
    pub q_after: Option<f64>,
}

/// What `harmonize` needs: `values[case][rater][feature]` for the baseline (rater 0) and the
/// axis' levels, batch names per rater, and the case covariates.
pub struct Input<'a> {
    pub axis: &'a str,
    pub features: &'a [String],
    pub cases: &'a [String],
    pub values: &'a [Vec<Vec<f64>>],
    pub batches: &'a [String],
    pub covariates: &'a [(String, Vec<f64>)],
    pub eb: bool,
    /// Nested ComBat's batch factors (the combined design): name and `levels[case][rater]`.
    /// Empty: ComBat by rater, the baseline the reference batch.
    pub factors: &'a [(String, Vec<Vec<String>>)],
    /// The covariate with a smooth effect (ComBat-GAM), if any.
    pub smooth: Option<&'a str>,
}

/// What the audit hands over for ComBat across one axis: the plan, every case's jobs, the
/// complete cases, the features, `values[complete case][job][feature]`, and each axis' jobs.
pub struct AxisInput<'a> {
    pub plan: &'a Plan,
    pub jobs: &'a [Vec<Job>],
    pub complete: &'a [usize],
    pub features: &'a [String],
    pub values: &'a [Vec<Vec<f64>>],
    pub axis_jobs: &'a [(String, Vec<usize>)],
}

/// ComBat across the protocol's harmonization axis: the baseline and that axis' levels of
/// every complete case, batch = level (the baseline the reference batch), with the case
/// covariates. `None` (with a note saying why) when ComBat is not possible.
pub fn across_axis(
    h: &Harmonization,
    a: &AxisInput,
    rule: &Acceptance,
    notes: &mut Vec<String>,
) -> Option<Vec<HarmonizedRow>> {
    let (_, idx) = a
        .axis_jobs
        .iter()
        .find(|(a, _)| *a == h.axis)
        .cloned()
        .unwrap_or_default();
    let combined = h.axis == "combined";
    let mut batches = vec!["baseline".to_string()];
    batches.extend(idx.iter().map(|&j| {
        let job = &a.jobs[a.complete[0]][j];
        if combined {
            return job.id.clone();
        }
        job.levels
            .iter()
            .find(|l| !l.is_empty())
            .cloned()
            .unwrap_or_default()
    }));
    // The combined design: every named axis (default all) a factor of nested ComBat, each
    // draw at its level of it, the baseline at `baseline`.
    let factors: Vec<(String, Vec<Vec<String>>)> = if combined {
        a.plan
            .axes
            .iter()
            .enumerate()
            .filter(|(_, axis)| h.factors.is_empty() || h.factors.contains(axis))
            .map(|(ai, axis)| {
                let per_case = a
                    .complete
                    .iter()
                    .map(|&c| {
                        std::iter::once("baseline".to_string())
                            .chain(idx.iter().map(|&j| a.jobs[c][j].levels[ai].clone()))
                            .collect()
                    })
                    .collect();
                (axis.clone(), per_case)
            })
            .collect()
    } else {
        Vec::new()
    };
    let raters: Vec<Vec<Vec<f64>>> = a
        .values
        .iter()
        .map(|case| {
            std::iter::once(0)
                .chain(idx.iter().copied())
                .map(|j| case[j].clone())
                .collect()
        })
        .collect();
    let case_ids: Vec<String> = a
        .complete
        .iter()
        .map(|&c| a.plan.cases[c].id.clone())
        .collect();
    let covariates: Vec<(String, Vec<f64>)> = h
        .covariates
        .iter()
        .map(|name| {
            (
                name.clone(),
                a.complete
                    .iter()
                    .map(|&c| {
                        a.plan.cases[c]
                            .covariates
                            .get(name)
                            .copied()
                            .unwrap_or(f64::NAN)
                    })
                    .collect(),
            )
        })
        .collect();
    let input = Input {
        axis: &h.axis,
        features: a.features,
        cases: &case_ids,
        values: &raters,
        batches: &batches,
        covariates: &covariates,
        eb: h.eb,
        factors: &factors,
        smooth: h.smooth.as_deref(),
    };
    match harmonize(&input, rule, notes) {
        Ok(rows) => Some(rows),
        Err(e) => {
            notes.push(format!("ComBat across {} was not possible: {e}", h.axis));
            None
        }
    }
}

/// Kruskal-Wallis (H, p) across raters, per feature.
fn kw(ratings: &[Vec<f64>]) -> Option<(f64, f64)> {
    let k = ratings.first()?.len();
    let groups: Vec<Vec<f64>> = (0..k)
        .map(|j| ratings.iter().map(|r| r[j]).collect())
        .collect();
    kruskal_wallis(&groups)
        .ok()
        .filter(|(h, p)| h.is_finite() && p.is_finite())
}

/// Harmonizes and assesses; `notes` gets ComBat's remarks.
pub fn harmonize(
    input: &Input,
    rule: &Acceptance,
    notes: &mut Vec<String>,
) -> Result<Vec<HarmonizedRow>, String> {
    let n_cases = input.cases.len();
    let k = input.batches.len();
    let ratings = |f: usize| -> Vec<Vec<f64>> {
        input
            .values
            .iter()
            .map(|case| case.iter().map(|r| r[f]).collect())
            .collect()
    };
    // Features with every value finite go through ComBat.
    let usable: Vec<usize> = (0..input.features.len())
        .filter(|&f| {
            input
                .values
                .iter()
                .all(|c| c.iter().all(|r| r[f].is_finite()))
        })
        .collect();
    let subjects: Vec<String> = (0..n_cases)
        .flat_map(|c| input.batches.iter().map(move |b| (c, b)))
        .map(|(c, b)| format!("{}@{b}", input.cases[c]))
        .collect();
    let batch: Vec<String> = (0..n_cases)
        .flat_map(|_| input.batches.iter().cloned())
        .collect();
    let covariates: Vec<Covariate> = input
        .covariates
        .iter()
        .map(|(name, per_case)| Covariate::Continuous {
            name: name.clone(),
            values: per_case
                .iter()
                .flat_map(|v| std::iter::repeat_n(*v, k))
                .collect(),
        })
        .collect();
    let names: Vec<String> = usable.iter().map(|&f| input.features[f].clone()).collect();
    let values: Vec<Vec<f64>> = usable
        .iter()
        .map(|&f| {
            input
                .values
                .iter()
                .flat_map(|c| c.iter().map(move |r| r[f]))
                .collect()
        })
        .collect();
    let data = CombatData {
        feature_names: &names,
        values: &values,
        subjects: &subjects,
        batch: &batch,
        covariates: &covariates,
    };
    let options = CombatOptions {
        eb: input.eb,
        smooth: input.smooth.map(str::to_string).into_iter().collect(),
        ..CombatOptions::default()
    };
    let (harmonized, handling) = if input.factors.is_empty() {
        let with_reference = CombatOptions {
            ref_batch: Some(input.batches[0].clone()),
            ..options
        };
        let fit = combat::fit(&data, &with_reference)?;
        notes.extend(fit.notes.iter().cloned());
        (fit.harmonized, fit.model.handling)
    } else {
        // Nested ComBat takes no reference batch: the baseline is harmonized like the draws.
        let columns: Vec<Vec<String>> = input
            .factors
            .iter()
            .map(|(_, per_case)| per_case.iter().flatten().cloned().collect())
            .collect();
        let factors: Vec<BatchFactor> = input
            .factors
            .iter()
            .zip(&columns)
            .map(|((name, _), levels)| BatchFactor { name, levels })
            .collect();
        let fit = fit_nested(
            &NestedData {
                feature_names: data.feature_names,
                values: data.values,
                subjects: data.subjects,
                factors: &factors,
                covariates: data.covariates,
            },
            &options,
            None,
        )?;
        notes.push(format!(
            "nested ComBat over the axes {} in the order {} (OPNested: fewest features still \
             differing by an axis)",
            factors
                .iter()
                .map(|f| f.name)
                .collect::<Vec<_>>()
                .join(", "),
            fit.order.join(" then ")
        ));
        notes.extend(fit.step_notes());
        let handling = fit
            .steps
            .last()
            .map(|s| s.model.handling.clone())
            .unwrap_or_default();
        (fit.harmonized, handling)
    };
    let mut rows = Vec::with_capacity(input.features.len());
    for f in 0..input.features.len() {
        let before = ratings(f);
        let (after, handling) = match usable.iter().position(|&u| u == f) {
            Some(u) => {
                let h = &harmonized[u];
                let after: Vec<Vec<f64>> = (0..n_cases)
                    .map(|c| h[c * k..(c + 1) * k].to_vec())
                    .collect();
                let handling = match handling.get(u) {
                    Some(FeatureHandling::Harmonized) | None => "harmonized",
                    Some(FeatureHandling::Constant) => "constant",
                    Some(FeatureHandling::NoResidual) => "no_residual",
                };
                (after, handling.to_string())
            }
            None => (
                before.clone(),
                "not harmonized: non-finite values".to_string(),
            ),
        };
        rows.push(HarmonizedRow {
            stability: stability::assess(&input.features[f], input.axis, &after, rule),
            handling,
            kw_before: kw(&before),
            kw_after: kw(&after),
            q_before: None,
            q_after: None,
        });
    }
    for after in [false, true] {
        let idx: Vec<usize> = (0..rows.len())
            .filter(|&i| {
                if after {
                    rows[i].kw_after.is_some()
                } else {
                    rows[i].kw_before.is_some()
                }
            })
            .collect();
        let p: Vec<f64> = idx
            .iter()
            .map(|&i| {
                if after {
                    rows[i].kw_after
                } else {
                    rows[i].kw_before
                }
                .map_or(1.0, |x| x.1)
            })
            .collect();
        for (&i, q) in idx.iter().zip(benjamini_hochberg(&p)) {
            if after {
                rows[i].q_after = Some(q);
            } else {
                rows[i].q_before = Some(q);
            }
        }
    }
    Ok(rows)
}

/// The CSV header of harmonized rows.
pub fn header() -> String {
    format!(
        "{},combat,kw_h_before,kw_p_before,kw_q_before,kw_h_after,kw_p_after,kw_q_after",
        stability::HEADER
    )
}

/// One CSV line.
pub fn csv_line(r: &HarmonizedRow) -> String {
    let n = |v: Option<f64>| v.map(crate::table::format_number).unwrap_or_default();
    format!(
        "{},{},{},{},{},{},{},{}",
        stability::csv_line(&r.stability),
        crate::table::csv_field(&r.handling),
        n(r.kw_before.map(|x| x.0)),
        n(r.kw_before.map(|x| x.1)),
        n(r.q_before),
        n(r.kw_after.map(|x| x.0)),
        n(r.kw_after.map(|x| x.1)),
        n(r.q_after)
    )
}
