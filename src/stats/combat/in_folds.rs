//! ComBat inside cross-validation, without leakage: in each fold the model is fitted on the
//! training rows only and the saved model is applied to the held-out rows, so nothing of a
//! held-out patient (its values, its batch's statistics as it shifts them) reaches the model
//! that predicts it. ComBat fitted on the whole cohort before cross-validation leaks exactly
//! that, the mistake much of the radiomics literature makes (and PyPI's `combatlearn` exists
//! to avoid); the tests show the difference.
//!
//! A held-out patient of a batch absent from the fold's training rows cannot be placed: that
//! is an error naming the batch and the fold, never a silent pass-through.
//!
//! With several batch columns the step is nested ComBat (`nested`), its order chosen on each
//! fold's training rows (OPNested) unless given, and its saved model applied to the held-out
//! rows step by step.

use super::model::NewSubjects;
use super::nested::{BatchFactor, NestedData, NestedModel, fit_nested};
use super::{CombatData, CombatOptions, Covariate, fit};

/// What ComBat needs about the cohort besides the features: per patient its batch (one
/// column, or several for nested ComBat), identifier and covariates (all in the rows' order).
#[derive(Debug, Clone, Copy)]
pub struct FoldCombat<'a> {
    /// Feature names (the columns of the matrices), for messages.
    pub feature_names: &'a [String],
    /// Each patient's identifier, for messages.
    pub subjects: &'a [String],
    /// The batch columns: one for ComBat, several for nested ComBat.
    pub batches: &'a [BatchFactor<'a>],
    /// Nested ComBat's order of the batch columns (default: OPNested's, per fold).
    pub order: Option<&'a [String]>,
    /// Covariates to preserve.
    pub covariates: &'a [Covariate],
    /// Which ComBat.
    pub options: &'a CombatOptions,
}

impl FoldCombat<'_> {
    /// `x` (patients x features) with the `train` rows harmonized by ComBat fitted on them
    /// alone and the `test` rows by that fitted model; other rows as they are. `fold` names the
    /// fold in messages.
    pub fn harmonize(
        &self,
        x: &[Vec<f64>],
        train: &[usize],
        test: &[usize],
        fold: &str,
    ) -> Result<Vec<Vec<f64>>, String> {
        let columns = |rows: &[usize]| -> Vec<Vec<f64>> {
            (0..self.feature_names.len())
                .map(|f| rows.iter().map(|&i| x[i][f]).collect())
                .collect()
        };
        let pick = |rows: &[usize]| -> Vec<Vec<String>> {
            self.batches
                .iter()
                .map(|b| rows.iter().map(|&i| b.levels[i].clone()).collect())
                .collect()
        };
        let names = |rows: &[usize]| -> Vec<String> {
            rows.iter().map(|&i| self.subjects[i].clone()).collect()
        };
        let covariates = |rows: &[usize]| -> Vec<Covariate> {
            self.covariates.iter().map(|c| subset(c, rows)).collect()
        };
        let (train_values, train_batch) = (columns(train), pick(train));
        let (train_subjects, train_covariates) = (names(train), covariates(train));
        let (test_values, test_batch) = (columns(test), pick(test));
        let (test_subjects, test_covariates) = (names(test), covariates(test));
        let held_out = |e: String| {
            format!(
                "{fold}, held-out patients: {e}; a batch needs training patients in every \
                 fold to be harmonized inside cross-validation"
            )
        };
        let (harmonized, applied) = if let [batch] = &train_batch[..] {
            let fitted = fit(
                &CombatData {
                    feature_names: self.feature_names,
                    values: &train_values,
                    subjects: &train_subjects,
                    batch,
                    covariates: &train_covariates,
                },
                self.options,
            )
            .map_err(|e| format!("{fold}, ComBat on the training rows: {e}"))?;
            let applied = fitted
                .model
                .apply(&NewSubjects {
                    values: &test_values,
                    subjects: &test_subjects,
                    batch: &test_batch[0],
                    covariates: &test_covariates,
                })
                .map_err(held_out)?;
            (fitted.harmonized, applied)
        } else {
            let fitted = fit_nested(
                &NestedData {
                    feature_names: self.feature_names,
                    values: &train_values,
                    subjects: &train_subjects,
                    factors: &with_levels(self.batches, &train_batch),
                    covariates: &train_covariates,
                },
                self.options,
                self.order,
            )
            .map_err(|e| format!("{fold}, nested ComBat on the training rows: {e}"))?;
            let applied = NestedModel::from_fit(&fitted)
                .apply(
                    &test_values,
                    &test_subjects,
                    &with_levels(self.batches, &test_batch),
                    &test_covariates,
                )
                .map_err(held_out)?;
            (fitted.harmonized, applied)
        };
        let mut out = x.to_vec();
        for (rows, values) in [(train, &harmonized), (test, &applied)] {
            for (k, &i) in rows.iter().enumerate() {
                for (f, column) in values.iter().enumerate() {
                    out[i][f] = column[k];
                }
            }
        }
        Ok(out)
    }
}

/// The batch columns' names with other levels (a subset of the rows').
fn with_levels<'b>(batches: &[BatchFactor<'b>], levels: &'b [Vec<String>]) -> Vec<BatchFactor<'b>> {
    batches
        .iter()
        .zip(levels)
        .map(|(b, levels)| BatchFactor {
            name: b.name,
            levels,
        })
        .collect()
}

/// The covariate restricted to `rows`, in their order.
fn subset(c: &Covariate, rows: &[usize]) -> Covariate {
    match c {
        Covariate::Continuous { name, values } => Covariate::Continuous {
            name: name.clone(),
            values: rows.iter().map(|&i| values[i]).collect(),
        },
        Covariate::Categorical { name, values } => Covariate::Categorical {
            name: name.clone(),
            values: rows.iter().map(|&i| values[i].clone()).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 60 patients of 3 sites, 4 features: a site shift plus a patient effect.
    fn cohort() -> (Vec<Vec<f64>>, Vec<String>, Vec<String>, Vec<String>) {
        let n = 60;
        let site: Vec<String> = (0..n).map(|i| format!("site{}", i % 3)).collect();
        let x: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                (0..4)
                    .map(|f| {
                        let patient = ((i * 37 + f * 11) % 17) as f64 / 4.0;
                        patient + 3.0 * (i % 3) as f64 + f as f64
                    })
                    .collect()
            })
            .collect();
        let subjects = (0..n).map(|i| format!("p{i}")).collect();
        let names = (0..4).map(|f| format!("f{f}")).collect();
        (x, site, subjects, names)
    }

    fn by_site<'a>(
        names: &'a [String],
        subjects: &'a [String],
        site: &'a [BatchFactor<'a>],
        options: &'a CombatOptions,
    ) -> FoldCombat<'a> {
        FoldCombat {
            feature_names: names,
            subjects,
            batches: site,
            order: None,
            covariates: &[],
            options,
        }
    }

    fn site_factor(levels: &[String]) -> [BatchFactor<'_>; 1] {
        [BatchFactor {
            name: "site",
            levels,
        }]
    }

    /// Altering a held-out patient leaves every training row's harmonized value as it was, to
    /// the bit; ComBat fitted on the whole cohort moves them (the leak).
    #[test]
    fn a_held_out_patient_does_not_reach_the_training_rows() {
        let (x, site, subjects, names) = cohort();
        let options = CombatOptions::default();
        let factor = site_factor(&site);
        let combat = by_site(&names, &subjects, &factor, &options);
        let test: Vec<usize> = (0..60).filter(|i| i % 5 == 0).collect();
        let train: Vec<usize> = (0..60).filter(|i| i % 5 != 0).collect();
        let mut altered = x.clone();
        altered[test[0]][0] += 50.0;
        let before = combat.harmonize(&x, &train, &test, "fold 1").unwrap();
        let after = combat.harmonize(&altered, &train, &test, "fold 1").unwrap();
        for &i in &train {
            for f in 0..4 {
                assert_eq!(before[i][f].to_bits(), after[i][f].to_bits(), "{i} {f}");
            }
        }
        // The held-out rows are harmonized (moved), not passed through.
        assert!(test.iter().any(|&i| before[i][0] != x[i][0]));
        // Whole-cohort ComBat: the same alteration moves training rows.
        let whole = |x: &[Vec<f64>]| {
            let values: Vec<Vec<f64>> = (0..4).map(|f| x.iter().map(|r| r[f]).collect()).collect();
            fit(
                &CombatData {
                    feature_names: &names,
                    values: &values,
                    subjects: &subjects,
                    batch: &site,
                    covariates: &[],
                },
                &options,
            )
            .unwrap()
            .harmonized
        };
        let (w0, w1) = (whole(&x), whole(&altered));
        let moved = train.iter().filter(|&&i| w0[0][i] != w1[0][i]).count();
        assert_eq!(moved, train.len());
    }

    /// A held-out patient of a site with no training patients is refused, naming the site.
    #[test]
    fn an_unseen_batch_is_refused_naming_it() {
        let (x, mut levels, subjects, names) = cohort();
        for s in levels.iter_mut().take(2) {
            *s = "site9".into();
        }
        let options = CombatOptions::default();
        let factor = site_factor(&levels);
        let combat = by_site(&names, &subjects, &factor, &options);
        let train: Vec<usize> = (2..60).collect();
        let e = combat.harmonize(&x, &train, &[0, 1], "fold 3").unwrap_err();
        assert!(e.contains("fold 3") && e.contains("\"site9\""), "{e}");
    }
}
