//! The verdict: per axis, how many features are robust under the acceptance rule, which
//! required features are not, and whether the audit passes; plus counts per family and the
//! batch-effect counts before and after harmonization, for summary.json and the report.

use std::collections::BTreeMap;

use serde::Serialize;

use super::execute::Executed;
use super::harmonized::HarmonizedRow;
use super::plan::Plan;
use super::stability::Row;
use crate::audit::protocol::Loaded;

/// False discovery rate at which a batch effect counts.
pub const FDR: f64 = 0.05;

#[derive(Debug, Clone, Serialize)]
pub struct AxisSummary {
    pub axis: String,
    pub levels: usize,
    pub features: usize,
    pub robust: usize,
    pub robust_fraction: f64,
    pub median_icc1: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FamilySummary {
    /// The image type (`original`, `wavelet-LLH`, ...).
    pub image: String,
    pub family: String,
    pub axis: String,
    pub features: usize,
    pub robust: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct HarmonizationSummary {
    pub axis: String,
    pub features_tested_before: usize,
    pub significant_before: usize,
    pub features_tested_after: usize,
    pub significant_after: usize,
    pub robust_before: usize,
    pub robust_after: usize,
}

/// summary.json: the verdict with the rule it applied and what the run did. The report reads
/// this same value.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub protocol: String,
    /// `pass` or `fail`.
    pub verdict: String,
    pub reasons: Vec<String>,
    pub rule: RuleSummary,
    pub cases: CaseCounts,
    pub jobs: JobCounts,
    pub axes: Vec<AxisSummary>,
    pub families: Vec<FamilySummary>,
    pub harmonization: Option<HarmonizationSummary>,
    pub notes: Vec<String>,
}

/// The acceptance rule as applied.
#[derive(Debug, Clone, Serialize)]
pub struct RuleSummary {
    pub metric: String,
    pub threshold: f64,
    pub required_features: Vec<String>,
    pub min_robust_fraction: f64,
}

/// Cases planned, completed, failed (by id) and taken from the journal.
#[derive(Debug, Clone, Serialize)]
pub struct CaseCounts {
    pub total: usize,
    pub completed: usize,
    pub failed: Vec<String>,
    pub resumed: usize,
}

/// Jobs planned in all and per case, computed in this run, and taken from the journal.
#[derive(Debug, Clone, Serialize)]
pub struct JobCounts {
    pub total: usize,
    pub per_case: usize,
    pub computed: usize,
    pub resumed: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub passed: bool,
    pub reasons: Vec<String>,
    pub axes: Vec<AxisSummary>,
    pub families: Vec<FamilySummary>,
    pub harmonization: Option<HarmonizationSummary>,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Judges the stability rows by the protocol's acceptance rule.
pub fn judge(
    loaded: &Loaded,
    axis_jobs: &[(String, Vec<usize>)],
    rows: &[Row],
    harmonized: Option<&[HarmonizedRow]>,
    failed_cases: &[&str],
) -> Verdict {
    let rule = &loaded.protocol.stability.acceptance;
    let mut reasons = Vec::new();
    // A dropped case is a failed audit unless the rule allows it (a CI gate must see it).
    if failed_cases.len() > rule.max_failed_cases {
        reasons.push(format!(
            "{} case(s) failed ({}), more than the {} allowed (max_failed_cases; see errors.csv)",
            failed_cases.len(),
            failed_cases.join(", "),
            rule.max_failed_cases
        ));
    }
    let mut axes = Vec::new();
    for (axis, idx) in axis_jobs {
        let on_axis: Vec<&Row> = rows.iter().filter(|r| &r.axis == axis).collect();
        let robust = on_axis.iter().filter(|r| r.robust).count();
        let fraction = if on_axis.is_empty() {
            0.0
        } else {
            robust as f64 / on_axis.len() as f64
        };
        if fraction < rule.min_robust_fraction {
            reasons.push(format!(
                "axis {axis}: {robust} of {} features robust ({:.1}%), below the required {:.1}%",
                on_axis.len(),
                100.0 * fraction,
                100.0 * rule.min_robust_fraction
            ));
        }
        for f in &rule.required_features {
            if let Some(r) = on_axis.iter().find(|r| &r.feature == f)
                && !r.robust
            {
                let value = r
                    .metric(rule.metric)
                    .map_or("undefined".into(), crate::table::format_number);
                reasons.push(format!(
                    "axis {axis}: required feature {f} is not robust ({} = {value}, threshold {})",
                    rule.metric.name(),
                    rule.threshold
                ));
            }
        }
        axes.push(AxisSummary {
            axis: axis.clone(),
            levels: idx.len(),
            features: on_axis.len(),
            robust,
            robust_fraction: fraction,
            median_icc1: median(on_axis.iter().filter_map(|r| r.icc1).collect()),
        });
    }
    // Per axis (protocol order), image type and family (name order).
    let mut families: BTreeMap<(usize, String, String), (usize, usize)> = BTreeMap::new();
    for r in rows {
        let a = axis_jobs
            .iter()
            .position(|(axis, _)| *axis == r.axis)
            .unwrap_or(0);
        let e = families
            .entry((a, r.image.clone(), r.family.clone()))
            .or_default();
        e.0 += 1;
        e.1 += usize::from(r.robust);
    }
    let family_rows = families
        .into_iter()
        .map(|((a, image, family), (features, robust))| FamilySummary {
            image,
            family,
            axis: axis_jobs[a].0.clone(),
            features,
            robust,
        })
        .collect();
    let harmonization = harmonized.map(|h| {
        let axis = h
            .first()
            .map(|r| r.stability.axis.clone())
            .unwrap_or_default();
        let before: Vec<f64> = h.iter().filter_map(|r| r.q_before).collect();
        let after: Vec<f64> = h.iter().filter_map(|r| r.q_after).collect();
        HarmonizationSummary {
            robust_before: rows.iter().filter(|r| r.axis == axis && r.robust).count(),
            robust_after: h.iter().filter(|r| r.stability.robust).count(),
            axis,
            features_tested_before: before.len(),
            significant_before: before.iter().filter(|q| **q < FDR).count(),
            features_tested_after: after.len(),
            significant_after: after.iter().filter(|q| **q < FDR).count(),
        }
    });
    Verdict {
        passed: reasons.is_empty(),
        reasons,
        axes,
        families: family_rows,
        harmonization,
    }
}

impl Verdict {
    /// summary.json's contents; `failed_cases` as [`judge`] was given them.
    pub fn summary(
        &self,
        loaded: &Loaded,
        plan: &Plan,
        executed: &Executed,
        failed_cases: &[&str],
        notes: &[String],
    ) -> Summary {
        let rule = &loaded.protocol.stability.acceptance;
        let completed = plan.cases.len() - failed_cases.len();
        let failed: Vec<String> = failed_cases.iter().map(|c| c.to_string()).collect();
        Summary {
            protocol: loaded.protocol.name.clone(),
            verdict: if self.passed { "pass" } else { "fail" }.into(),
            reasons: self.reasons.clone(),
            rule: RuleSummary {
                metric: rule.metric.name().into(),
                threshold: rule.threshold,
                required_features: rule.required_features.clone(),
                min_robust_fraction: rule.min_robust_fraction,
            },
            cases: CaseCounts {
                total: plan.cases.len(),
                completed,
                failed,
                resumed: executed.resumed,
            },
            jobs: JobCounts {
                total: plan.cases.len() * plan.jobs_per_case(),
                per_case: plan.jobs_per_case(),
                computed: executed.computed_jobs,
                resumed: executed.resumed * plan.jobs_per_case(),
            },
            axes: self.axes.clone(),
            families: self.families.clone(),
            harmonization: self.harmonization.clone(),
            notes: notes.to_vec(),
        }
    }

    /// A few lines for the terminal.
    pub fn lines(&self) -> String {
        let mut out = String::new();
        for a in &self.axes {
            out.push_str(&format!(
                "  {}: {} of {} features robust ({:.0}%)\n",
                a.axis,
                a.robust,
                a.features,
                100.0 * a.robust_fraction
            ));
        }
        if let Some(h) = &self.harmonization {
            out.push_str(&format!(
                "  ComBat across {}: FDR-significant batch effects {} -> {} features\n",
                h.axis, h.significant_before, h.significant_after
            ));
        }
        for r in &self.reasons {
            out.push_str(&format!("  fails: {r}\n"));
        }
        out
    }
}
