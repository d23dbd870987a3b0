//! What the perturbations did to a few cases, for the report's image panels: the axial slice
//! through the ROI's centre of the baseline and of every job, all on the baseline's field (so
//! a level that changes the voxel size is drawn at the same scale), with each job's ROI.
//!
//! The cases shown: the first complete one, and of the others the one whose least robust
//! features move most
//! (the features of lowest ICC(1,1): per case, the largest change over its jobs from its
//! baseline, in units of the feature's SD across the baselines, summed over those features).

use super::execute::load_case;
use super::plan::{Job, Plan};
use super::protocol::Loaded;
use super::stability::Row;
use crate::error::Result;
use crate::volume::slice::{AxialSlice, Field};

/// How many of the least robust features pick the second case.
const LEAST_ROBUST: usize = 5;
/// The panels' longer side, in pixels (before the caption strip).
const PANEL_PIXELS: usize = 220;
/// Margin around the ROI in the panels, in mm.
const MARGIN_MM: f64 = 8.0;

/// One job's slice.
pub struct LevelSlice {
    /// The job's id (`baseline`, `AXIS=LEVEL`, `drawNN`).
    pub job: String,
    pub slice: AxialSlice,
    /// Whether the job kept the baseline's grid (then a difference image means something).
    pub same_grid: bool,
}

/// One case's slices, baseline first.
pub struct CasePreview {
    pub case: String,
    /// Why this case is shown.
    pub why: String,
    pub levels: Vec<LevelSlice>,
}

/// The cases to show, as (plan index, why): the first complete case and, of the others, the
/// case whose least robust features move most. `values[k][job][feature]` is complete case `k`'s.
fn chosen(
    complete: &[usize],
    values: &[Vec<Vec<f64>>],
    features: &[String],
    stability: &[Row],
) -> Vec<(usize, String)> {
    let Some(&first) = complete.first() else {
        return Vec::new();
    };
    let mut out = vec![(first, "the first case".to_string())];
    let mut worst: Vec<(&str, f64)> = Vec::new();
    for r in stability {
        let Some(icc) = r.icc1 else { continue };
        match worst.iter_mut().find(|w| w.0 == r.feature) {
            Some(w) => w.1 = w.1.min(icc),
            None => worst.push((&r.feature, icc)),
        }
    }
    worst.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(b.0)));
    let picked: Vec<usize> = worst
        .iter()
        .take(LEAST_ROBUST)
        .filter_map(|(f, _)| features.iter().position(|x| x == f))
        .collect();
    let sd = |f: usize| {
        let base: Vec<f64> = values.iter().map(|v| v[0][f]).collect();
        let (_, var) = crate::stats::mean_var(&base);
        var.sqrt()
    };
    let scales: Vec<(usize, f64)> = picked
        .iter()
        .map(|&f| (f, sd(f)))
        .filter(|(_, s)| s.is_finite() && *s > 0.0)
        .collect();
    let moved = |k: usize| -> f64 {
        scales
            .iter()
            .map(|&(f, s)| {
                values[k]
                    .iter()
                    .map(|job| ((job[f] - values[k][0][f]) / s).abs())
                    .filter(|v| v.is_finite())
                    .fold(0.0, f64::max)
            })
            .sum()
    };
    let best = (0..values.len())
        .filter(|&k| complete[k] != first)
        .map(|k| (k, moved(k)))
        .filter(|(_, m)| *m > 0.0)
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
    if let Some((k, m)) = best {
        let names: Vec<&str> = worst.iter().take(LEAST_ROBUST).map(|w| w.0).collect();
        out.push((
            complete[k],
            format!(
                "the case whose least robust features ({}) move most: {:.2} SD summed",
                names.join(", "),
                m
            ),
        ));
    }
    out
}

/// The previews of the chosen cases; a case that cannot be drawn is left out with a note.
pub fn previews(
    loaded: &Loaded,
    plan: &Plan,
    jobs: &[Vec<Job>],
    input: (&[usize], &[Vec<Vec<f64>>]),
    features: &[String],
    stability: &[Row],
    notes: &mut Vec<String>,
) -> Vec<CasePreview> {
    let (complete, values) = input;
    chosen(complete, values, features, stability)
        .into_iter()
        .filter_map(|(c, why)| match case_preview(loaded, plan, &jobs[c], c) {
            Ok(Some(levels)) => Some(CasePreview {
                case: plan.cases[c].id.clone(),
                why,
                levels,
            }),
            Ok(None) => None,
            Err(e) => {
                notes.push(format!(
                    "no image panels for case {}: {e}",
                    plan.cases[c].id
                ));
                None
            }
        })
        .collect()
}

/// Every job's slice of case `c` on the baseline's field.
fn case_preview(
    loaded: &Loaded,
    plan: &Plan,
    jobs: &[Job],
    c: usize,
) -> Result<Option<Vec<LevelSlice>>> {
    let info = &plan.cases[c];
    let case = load_case(info, loaded)?;
    let mut out = Vec::with_capacity(jobs.len());
    let mut field = None;
    let mut grid = None;
    for job in jobs {
        let mut perturbed = case.clone();
        job.chain
            .apply(&mut perturbed, loaded.protocol.seed, &info.id)?;
        let f = match field {
            Some(f) => f,
            None => {
                let Some(f) = Field::around_roi(
                    &perturbed.image.geometry,
                    &perturbed.roi,
                    MARGIN_MM,
                    PANEL_PIXELS,
                ) else {
                    return Ok(None);
                };
                field = Some(f);
                grid = Some(perturbed.image.geometry.clone());
                f
            }
        };
        out.push(LevelSlice {
            job: job.id.clone(),
            slice: f.sample(&perturbed.image, Some(&perturbed.roi)),
            same_grid: grid.as_ref() == Some(&perturbed.image.geometry),
        });
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(feature: &str, icc: f64) -> Row {
        Row {
            feature: feature.into(),
            icc1: Some(icc),
            ..Row::default()
        }
    }

    #[test]
    fn the_second_case_is_the_one_whose_fragile_features_move_most() {
        let features = vec!["a".to_string(), "b".to_string()];
        // Feature b is the least robust; case 2 moves it by 3 baseline SDs, case 1 by 1.
        let stability = vec![row("a", 0.99), row("b", 0.2)];
        let values = vec![
            vec![vec![1.0, 0.0], vec![1.0, 0.0]],
            vec![vec![1.0, 1.0], vec![1.0, 2.0]],
            vec![vec![1.0, 2.0], vec![1.0, 5.0]],
        ];
        let picked = chosen(&[0, 3, 5], &values, &features, &stability);
        assert_eq!(picked.len(), 2);
        assert_eq!(picked[0].0, 0);
        assert_eq!(picked[1].0, 5);
        assert!(picked[1].1.contains("(a, b)") || picked[1].1.contains("(b, a)"));
        assert!(picked[1].1.contains("3.00 SD"), "{}", picked[1].1);
    }
}
