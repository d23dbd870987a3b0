//! Nested ComBat: harmonization for several batch factors at once (vendor, reconstruction
//! kernel, tube voltage), as Horng et al. published it: "Generalized ComBat harmonization
//! methods for radiomic features with multi-modal distributions and multiple batch effects"
//! (Sci Rep 12:4493, 2022) and its optimised-order form OPNested ("Improved generalized
//! ComBat methods for harmonization of radiomic features", Sci Rep 12:19009, 2022).
//!
//! ComBat is applied once per factor, each time to the previous step's output, with the same
//! covariates preserved at every step. The order matters; OPNested tries every order of the
//! factors and keeps the one after which the fewest features still differ by a factor: for
//! each factor, the features whose values (as harmonized) differ across its levels by the
//! k-sample Anderson-Darling test at 5% ([`crate::stats::anderson_darling`]), summed over the
//! factors. Among equal counts radaudit keeps the first order, orders being tried in
//! lexicographic order of the factors as given; an order the user gives is used as it is.
//!
//! What radaudit adds: a reference batch is refused (it names a level of one factor, which
//! the steps over the other factors would move), as are more than [`MAX_FACTORS`] factors
//! (their orders grow as k!), and every error of a step names its factor.

use serde::{Deserialize, Serialize};

use super::model::NewSubjects;
use super::{CombatData, CombatFit, CombatModel, CombatOptions, Covariate, fit};
use crate::stats::anderson_darling::anderson_darling_k;

/// The `format` field of a saved nested model.
pub const NESTED_MODEL_FORMAT: &str = "radaudit-nested-combat-model";
/// The version of the saved nested model's layout.
pub const NESTED_MODEL_VERSION: u32 = 1;

/// A fitted nested ComBat: one ComBat model per batch factor, applied in `order`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NestedModel {
    /// The file format's name (`radaudit-nested-combat-model`).
    pub format: String,
    /// The format's version.
    pub version: u32,
    /// The batch factors, in the order ComBat was applied.
    pub order: Vec<String>,
    /// Each step's model, in `order`.
    pub steps: Vec<CombatModel>,
}

impl NestedModel {
    /// The model of a nested fit.
    pub fn from_fit(fit: &NestedFit) -> NestedModel {
        NestedModel {
            format: NESTED_MODEL_FORMAT.to_string(),
            version: NESTED_MODEL_VERSION,
            order: fit.order.clone(),
            steps: fit.steps.iter().map(|s| s.model.clone()).collect(),
        }
    }

    /// Checks the model's parts agree (a hand-edited or truncated file).
    pub fn check(&self) -> Result<(), String> {
        if self.format != NESTED_MODEL_FORMAT {
            return Err(format!(
                "format is {:?}, expected {NESTED_MODEL_FORMAT:?}",
                self.format
            ));
        }
        if self.version != NESTED_MODEL_VERSION {
            return Err(format!(
                "version {} is not supported (this radaudit reads {NESTED_MODEL_VERSION})",
                self.version
            ));
        }
        if self.steps.is_empty() || self.steps.len() != self.order.len() {
            return Err(format!(
                "it has {} steps for {} batch factors",
                self.steps.len(),
                self.order.len()
            ));
        }
        for (name, step) in self.order.iter().zip(&self.steps) {
            step.check().map_err(|e| format!("step {name}: {e}"))?;
            if step.features != self.steps[0].features
                || step.covariates.len() != self.steps[0].covariates.len()
            {
                return Err(format!(
                    "step {name} has other features or covariates than the first step"
                ));
            }
        }
        Ok(())
    }

    /// Harmonizes new subjects: each step's model by its factor, in order. Every factor of
    /// the model must be given; an unseen level is an error naming its factor.
    pub fn apply(
        &self,
        values: &[Vec<f64>],
        subjects: &[String],
        factors: &[BatchFactor],
        covariates: &[Covariate],
    ) -> Result<Vec<Vec<f64>>, String> {
        if let Some(extra) = factors
            .iter()
            .find(|f| !self.order.iter().any(|o| o == f.name))
        {
            return Err(format!(
                "batch column {:?} is not one the model harmonizes ({})",
                extra.name,
                self.order.join(", ")
            ));
        }
        let mut current: Option<Vec<Vec<f64>>> = None;
        for (name, step) in self.order.iter().zip(&self.steps) {
            let factor = factors.iter().find(|f| f.name == name).ok_or_else(|| {
                format!("the model harmonizes batch column {name:?}, which was not given")
            })?;
            let out = step
                .apply(&NewSubjects {
                    values: current.as_deref().unwrap_or(values),
                    subjects,
                    batch: factor.levels,
                    covariates,
                })
                .map_err(|e| format!("batch factor {name}: {e}"))?;
            current = Some(out);
        }
        Ok(current.unwrap_or_default())
    }
}

/// The most batch factors nested ComBat takes: 5 factors have 120 orders.
pub const MAX_FACTORS: usize = 5;

/// One batch factor: its name and each subject's level.
#[derive(Debug, Clone, Copy)]
pub struct BatchFactor<'a> {
    /// The factor's name (a column of the table).
    pub name: &'a str,
    /// Each subject's level.
    pub levels: &'a [String],
}

/// The data nested ComBat harmonizes: as [`CombatData`], with several batch factors.
#[derive(Debug, Clone, Copy)]
pub struct NestedData<'a> {
    /// Feature names, for messages.
    pub feature_names: &'a [String],
    /// `values[f][i]`: feature f of subject i.
    pub values: &'a [Vec<f64>],
    /// Subject identifiers, for messages.
    pub subjects: &'a [String],
    /// The batch factors, in the order given.
    pub factors: &'a [BatchFactor<'a>],
    /// Covariates to preserve at every step.
    pub covariates: &'a [Covariate],
}

/// How one order of the factors did: the features still differing by each factor after it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderScore {
    /// The factors' names, in the order ComBat was applied.
    pub order: Vec<String>,
    /// Per factor (in the order given), the features whose levels still differ (Anderson-
    /// Darling, 5%).
    pub differing: Vec<usize>,
}

impl NestedFit {
    /// Every step's notes, each prefixed with its batch factor.
    pub fn step_notes(&self) -> impl Iterator<Item = String> + '_ {
        self.order
            .iter()
            .zip(&self.steps)
            .flat_map(|(factor, step)| step.notes.iter().map(move |n| format!("{factor}: {n}")))
    }
}

impl OrderScore {
    /// The features still differing, summed over the factors (OPNested's criterion).
    pub fn total(&self) -> usize {
        self.differing.iter().sum()
    }
}

/// The result of nested ComBat.
#[derive(Debug, Clone)]
pub struct NestedFit {
    /// `harmonized[f][i]`, same layout as the input.
    pub harmonized: Vec<Vec<f64>>,
    /// The order used (factor names).
    pub order: Vec<String>,
    /// Every order tried with its score (one, when the order was given).
    pub scores: Vec<OrderScore>,
    /// The ComBat fit of each step of the order used.
    pub steps: Vec<CombatFit>,
}

/// Features per factor (in the order given) whose levels differ at 5% in `values`. A feature
/// the test cannot judge (all values equal) does not count.
pub fn differing_features(values: &[Vec<f64>], factors: &[BatchFactor]) -> Vec<usize> {
    factors
        .iter()
        .map(|factor| {
            let levels = super::design::sorted_levels(factor.levels);
            let index = super::design::level_indices(&levels, factor.levels);
            values
                .iter()
                .filter(|row| {
                    let mut groups = vec![Vec::new(); levels.len()];
                    for (v, l) in row.iter().zip(&index) {
                        if let Some(l) = l {
                            groups[*l].push(*v);
                        }
                    }
                    anderson_darling_k(&groups).is_ok_and(|r| r.significant_5())
                })
                .count()
        })
        .collect()
}

/// Nested ComBat of `data` with `options` at every step, in `order` (factor names) when
/// given, else in the OPNested order.
pub fn fit_nested(
    data: &NestedData,
    options: &CombatOptions,
    order: Option<&[String]>,
) -> Result<NestedFit, String> {
    let k = data.factors.len();
    if k == 0 {
        return Err("nested ComBat needs at least one batch factor".into());
    }
    if k > MAX_FACTORS {
        return Err(format!(
            "nested ComBat takes at most {MAX_FACTORS} batch factors ({} orders), got {k}",
            (1..=MAX_FACTORS).product::<usize>()
        ));
    }
    for (i, f) in data.factors.iter().enumerate() {
        if data.factors[..i].iter().any(|g| g.name == f.name) {
            return Err(format!("batch factor {} is given twice", f.name));
        }
        if f.levels.len() != data.subjects.len() {
            return Err(format!(
                "batch factor {} has {} levels for {} subjects",
                f.name,
                f.levels.len(),
                data.subjects.len()
            ));
        }
    }
    if let Some(r) = &options.ref_batch {
        return Err(format!(
            "a reference batch ({r:?}) names a level of one factor, which the steps over the \
             other factors would move: nested ComBat over {k} factors takes none"
        ));
    }
    let orders: Vec<Vec<usize>> = match order {
        Some(names) => vec![given_order(data.factors, names)?],
        None => permutations(k),
    };
    let mut scores = Vec::with_capacity(orders.len());
    let mut best: Option<(usize, Vec<usize>, Vec<CombatFit>)> = None;
    for order in orders {
        let steps = run_order(data, options, &order)?;
        let harmonized = steps.last().map_or(data.values, |s| &s.harmonized);
        let differing = differing_features(harmonized, data.factors);
        let score = OrderScore {
            order: order
                .iter()
                .map(|&f| data.factors[f].name.to_string())
                .collect(),
            differing,
        };
        let total = score.total();
        if best.as_ref().is_none_or(|(t, _, _)| total < *t) {
            best = Some((total, order, steps));
        }
        scores.push(score);
    }
    let Some((_, order, mut steps)) = best else {
        return Err("nested ComBat tried no order".into());
    };
    let harmonized = steps
        .last_mut()
        .map(|s| std::mem::take(&mut s.harmonized))
        .unwrap_or_default();
    // The last step's table moved into the result; the earlier steps keep theirs.
    Ok(NestedFit {
        harmonized,
        order: order
            .iter()
            .map(|&f| data.factors[f].name.to_string())
            .collect(),
        scores,
        steps,
    })
}

/// ComBat by each factor of `order` in turn, each on the previous step's output.
fn run_order(
    data: &NestedData,
    options: &CombatOptions,
    order: &[usize],
) -> Result<Vec<CombatFit>, String> {
    let mut steps: Vec<CombatFit> = Vec::with_capacity(order.len());
    for &f in order {
        let factor = &data.factors[f];
        let values = steps.last().map_or(data.values, |s| &s.harmonized);
        let step = fit(
            &CombatData {
                feature_names: data.feature_names,
                values,
                subjects: data.subjects,
                batch: factor.levels,
                covariates: data.covariates,
            },
            options,
        )
        .map_err(|e| format!("batch factor {}: {e}", factor.name))?;
        steps.push(step);
    }
    Ok(steps)
}

/// The factor indices of an order given by name: every factor once.
fn given_order(factors: &[BatchFactor], names: &[String]) -> Result<Vec<usize>, String> {
    let all = || {
        factors
            .iter()
            .map(|f| f.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut order = Vec::with_capacity(names.len());
    for name in names {
        let Some(i) = factors.iter().position(|f| f.name == name) else {
            return Err(format!(
                "the order names {name:?}, which is not a batch factor ({})",
                all()
            ));
        };
        if order.contains(&i) {
            return Err(format!("the order names {name:?} twice"));
        }
        order.push(i);
    }
    if order.len() != factors.len() {
        return Err(format!(
            "the order must name every batch factor once ({})",
            all()
        ));
    }
    Ok(order)
}

/// Every order of 0..k, in lexicographic order.
fn permutations(k: usize) -> Vec<Vec<usize>> {
    let mut current: Vec<usize> = (0..k).collect();
    let mut out = vec![current.clone()];
    // The next permutation: the last ascent, swapped with the smallest larger value after it,
    // the tail reversed.
    while let Some(i) = (1..k).rev().find(|&i| current[i - 1] < current[i]) {
        let pivot = i - 1;
        let Some(j) = (i..k).rev().find(|&j| current[j] > current[pivot]) else {
            break;
        };
        current.swap(pivot, j);
        current[i..].reverse();
        out.push(current.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn permutations_are_every_order_once_in_lexicographic_order() {
        assert_eq!(permutations(1), vec![vec![0]]);
        assert_eq!(
            permutations(3),
            vec![
                vec![0, 1, 2],
                vec![0, 2, 1],
                vec![1, 0, 2],
                vec![1, 2, 0],
                vec![2, 0, 1],
                vec![2, 1, 0]
            ]
        );
        assert_eq!(permutations(5).len(), 120);
    }

    /// Simulated multi-factor batch effects with known truth: 40 features of 300 subjects,
    /// each feature the truth (age effect plus noise) shifted and scaled by the subject's
    /// vendor (3) and kernel (2), assigned at random and independently.
    struct Cohort {
        truth: Vec<Vec<f64>>,
        observed: Vec<Vec<f64>>,
        vendor: Vec<String>,
        kernel: Vec<String>,
        age: Vec<f64>,
        subjects: Vec<String>,
        names: Vec<String>,
    }

    fn cohort() -> Cohort {
        let mut rng = ChaCha8Rng::seed_from_u64(20261128);
        let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
        let (n, features) = (300, 40);
        let vendor: Vec<usize> = (0..n).map(|i| (i * 7 + i / 5) % 3).collect();
        let kernel: Vec<usize> = (0..n).map(|i| (i * 11 + i / 3) % 2).collect();
        let age: Vec<f64> = (0..n).map(|_| 65.0 + 8.0 * normal()).collect();
        let mut truth = Vec::new();
        let mut observed = Vec::new();
        for _ in 0..features {
            let slope = 0.05 * normal();
            let t: Vec<f64> = (0..n)
                .map(|i| 10.0 + slope * (age[i] - 65.0) + normal())
                .collect();
            let shift_v = [0.0, 0.9 + 0.2 * normal(), -0.8 + 0.2 * normal()];
            let scale_v = [1.0, 1.3, 0.8];
            let shift_k = [0.0, 0.7 + 0.2 * normal()];
            let o = (0..n)
                .map(|i| {
                    let (v, k) = (vendor[i], kernel[i]);
                    10.0 + (t[i] - 10.0) * scale_v[v] + shift_v[v] + shift_k[k]
                })
                .collect();
            truth.push(t);
            observed.push(o);
        }
        Cohort {
            truth,
            observed,
            vendor: vendor
                .iter()
                .map(|v| ["GE", "Philips", "Siemens"][*v].into())
                .collect(),
            kernel: kernel
                .iter()
                .map(|k| ["soft", "sharp"][*k].into())
                .collect(),
            age,
            subjects: (0..n).map(|i| format!("s{i}")).collect(),
            names: (0..features).map(|f| format!("f{f}")).collect(),
        }
    }

    impl Cohort {
        /// Age, the covariate every step preserves.
        fn age_covariate(&self) -> [Covariate; 1] {
            [Covariate::Continuous {
                name: "age".into(),
                values: self.age.clone(),
            }]
        }

        /// The observed values with these factors and covariates.
        fn data<'a>(
            &'a self,
            factors: &'a [BatchFactor<'a>],
            covariates: &'a [Covariate],
        ) -> NestedData<'a> {
            NestedData {
                feature_names: &self.names,
                values: &self.observed,
                subjects: &self.subjects,
                factors,
                covariates,
            }
        }
    }

    fn vendor_and_kernel<'a>(vendor: &'a [String], kernel: &'a [String]) -> [BatchFactor<'a>; 2] {
        [
            BatchFactor {
                name: "vendor",
                levels: vendor,
            },
            BatchFactor {
                name: "kernel",
                levels: kernel,
            },
        ]
    }

    fn pearson(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
        let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
        let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
        cov / (va * vb).sqrt()
    }

    #[test]
    fn nested_combat_removes_both_factors_and_recovers_the_truth() {
        let c = cohort();
        let factors = vendor_and_kernel(&c.vendor, &c.kernel);
        let covariates = c.age_covariate();
        let data = c.data(&factors, &covariates);
        // Before: nearly every feature differs by each factor; the truth by neither.
        let before = differing_features(&c.observed, &factors);
        assert!(before.iter().all(|&d| d >= 36), "{before:?}");
        let truth = differing_features(&c.truth, &factors);
        assert!(truth.iter().all(|&d| d <= 5), "{truth:?}");
        let nested = fit_nested(&data, &CombatOptions::default(), None).unwrap();
        // Both orders tried; the one kept scores lowest; after it, about as few features
        // differ as in the truth (5% of 40 is 2 by chance).
        assert_eq!(nested.scores.len(), 2);
        let best = nested.scores.iter().map(OrderScore::total).min().unwrap();
        let kept = nested
            .scores
            .iter()
            .find(|s| s.order == nested.order)
            .unwrap();
        assert_eq!(kept.total(), best);
        assert!(
            kept.differing.iter().all(|&d| d <= 5),
            "{:?}",
            nested.scores
        );
        assert_eq!(
            differing_features(&nested.harmonized, &factors),
            kept.differing
        );
        // Each harmonized feature follows its truth (a scanner's scale and shift removed).
        // Without harmonization the scanners' scales and shifts keep most features below it.
        let mut below = 0;
        for ((h, t), o) in nested.harmonized.iter().zip(&c.truth).zip(&c.observed) {
            let (rh, ro) = (pearson(h, t), pearson(o, t));
            assert!(rh > 0.97 && rh > ro, "{rh} {ro}");
            below += usize::from(ro < 0.97);
        }
        assert!(below >= 30, "{below}");
        // ComBat by the vendor alone leaves the kernel's effect in most features.
        let single = fit(
            &CombatData {
                feature_names: &c.names,
                values: &c.observed,
                subjects: &c.subjects,
                batch: &c.vendor,
                covariates: &covariates,
            },
            &CombatOptions::default(),
        )
        .unwrap();
        let left = differing_features(&single.harmonized, &factors);
        assert!(left[0] <= 5 && left[1] >= 30, "{left:?}");
        // A given order is used as it is, and only it.
        let given = ["kernel".to_string(), "vendor".to_string()];
        let fixed = fit_nested(&data, &CombatOptions::default(), Some(&given)).unwrap();
        assert_eq!(fixed.order, given);
        assert_eq!(fixed.scores.len(), 1);
        assert_eq!(fixed.steps.len(), 2);
    }

    #[test]
    fn a_saved_nested_model_harmonizes_its_subjects_as_the_fit_did() {
        let c = cohort();
        let factors = vendor_and_kernel(&c.vendor, &c.kernel);
        let covariates = c.age_covariate();
        let data = c.data(&factors, &covariates);
        let nested = fit_nested(&data, &CombatOptions::default(), None).unwrap();
        let json = serde_json::to_string(&NestedModel::from_fit(&nested)).unwrap();
        let model: NestedModel = serde_json::from_str(&json).unwrap();
        model.check().unwrap();
        // The factors may come in any order; the model applies its own.
        let swapped = [factors[1], factors[0]];
        let applied = model
            .apply(&c.observed, &c.subjects, &swapped, &covariates)
            .unwrap();
        let worst = applied
            .iter()
            .flatten()
            .zip(nested.harmonized.iter().flatten())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-9, "{worst}");
        let e = model
            .apply(&c.observed, &c.subjects, &factors[..1], &covariates)
            .unwrap_err();
        assert!(e.contains("kernel"), "{e}");
        let mut unseen = c.kernel.clone();
        unseen[3] = "bone".into();
        let other = vendor_and_kernel(&c.vendor, &unseen);
        let e = model
            .apply(&c.observed, &c.subjects, &other, &covariates)
            .unwrap_err();
        assert!(e.contains("kernel") && e.contains("bone"), "{e}");
        let mut broken = model.clone();
        broken.steps.pop();
        assert!(broken.check().is_err());
    }

    #[test]
    fn bad_factors_and_orders_are_refused_naming_them() {
        let c = cohort();
        let mut lonely = c.kernel.clone();
        lonely[7] = "bone".into();
        let factors = vendor_and_kernel(&c.vendor, &lonely);
        let data = NestedData {
            feature_names: &c.names,
            values: &c.observed,
            subjects: &c.subjects,
            factors: &factors,
            covariates: &[],
        };
        let options = CombatOptions::default();
        let e = fit_nested(&data, &options, None).unwrap_err();
        assert!(
            e.contains("batch factor kernel") && e.contains("\"bone\""),
            "{e}"
        );
        let e = fit_nested(&data, &options, Some(&["vendor".into()])).unwrap_err();
        assert!(e.contains("every batch factor once"), "{e}");
        let e = fit_nested(&data, &options, Some(&["vendor".into(), "kVp".into()])).unwrap_err();
        assert!(e.contains("\"kVp\""), "{e}");
        let with_reference = CombatOptions {
            ref_batch: Some("GE".into()),
            ..CombatOptions::default()
        };
        let e = fit_nested(&data, &with_reference, None).unwrap_err();
        assert!(e.contains("reference batch"), "{e}");
        let twice = [factors[0], factors[0]];
        let e = fit_nested(
            &NestedData {
                factors: &twice,
                ..data
            },
            &options,
            None,
        )
        .unwrap_err();
        assert!(e.contains("vendor is given twice"), "{e}");
    }
}
