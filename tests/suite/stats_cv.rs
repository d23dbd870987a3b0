//! Issue 8 acceptance 3 (no leakage): nested cross-validation of LASSO-logistic gives an
//! out-of-fold AUC near 0.5 when the labels are permuted, and a high one on the real labels.
//! Everything a model learns (standardisation, penalty, selected features) is learned inside
//! the training folds, so permuted labels leave nothing to find.

use radaudit::stats::combat::CombatOptions;
use radaudit::stats::combat::in_folds::FoldCombat;
use radaudit::stats::combat::nested::BatchFactor;
use radaudit::stats::cv::{CvOptions, nested_cv, nested_cv_with};
use radaudit::stats::roc::auc;
use rand::RngExt;

/// 200 subjects, 40 features of which 5 carry signal, outcome drawn from a logistic model.
fn cohort() -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut rng = radaudit::perturb::random::stream(42, "cohort", "cv test");
    let normal = |rng: &mut rand_chacha::ChaCha8Rng| {
        // Box-Muller from two uniforms.
        let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random::<f64>());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    };
    let mut x = Vec::new();
    let mut y = Vec::new();
    for _ in 0..200 {
        let row: Vec<f64> = (0..40)
            .map(|j| normal(&mut rng) * (1.0 + j as f64) + j as f64)
            .collect();
        let logit: f64 = [1.2, -1.0, 0.8, 0.7, -0.6]
            .iter()
            .enumerate()
            .map(|(j, b)| b * (row[j] - j as f64) / (1.0 + j as f64))
            .sum();
        y.push(f64::from(u8::from(
            rng.random::<f64>() < 1.0 / (1.0 + (-logit).exp()),
        )));
        x.push(row);
    }
    (x, y)
}

fn cv_auc(x: &[Vec<f64>], y: &[f64], seed: u64) -> f64 {
    cv_auc_with(x, y, seed, None)
}

/// The cross-validated AUC, with ComBat by `site` inside each outer fold when given.
fn cv_auc_with(x: &[Vec<f64>], y: &[f64], seed: u64, site: Option<&[String]>) -> f64 {
    let options = CvOptions {
        seed,
        ..CvOptions::default()
    };
    let names: Vec<String> = (0..x[0].len()).map(|f| format!("f{f}")).collect();
    let subjects: Vec<String> = (0..y.len()).map(|i| format!("p{i}")).collect();
    let combat_options = CombatOptions::default();
    let result = match site {
        Some(site) => {
            let factors = [BatchFactor {
                name: "site",
                levels: site,
            }];
            let combat = FoldCombat {
                feature_names: &names,
                subjects: &subjects,
                batches: &factors,
                order: None,
                covariates: &[],
                options: &combat_options,
            };
            let step = |x: &[Vec<f64>], train: &[usize], test: &[usize], fold: &str| {
                combat.harmonize(x, train, test, fold)
            };
            nested_cv_with(x, y, &options, Some(&step)).unwrap()
        }
        None => nested_cv(x, y, &options).unwrap(),
    };
    let labels: Vec<bool> = y.iter().map(|&v| v == 1.0).collect();
    auc(&result.predictions, &labels).unwrap().auc
}

#[test]
fn permuted_labels_give_chance_auc_and_real_labels_do_not() {
    let (x, y) = cohort();
    let real = cv_auc(&x, &y, 1);
    println!("cross-validated AUC on the real labels: {real:.3}");
    assert!(real > 0.75, "{real}");
    permuted_labels_give_chance(&x, &y, None, "cv test");
}

/// On 3 permutations of `y` (streams named `stream`) the cross-validated AUC (with ComBat by
/// `site` in the folds when given) is within 0.1 of chance, and their mean within 0.06.
fn permuted_labels_give_chance(x: &[Vec<f64>], y: &[f64], site: Option<&[String]>, stream: &str) {
    let mut aucs = Vec::new();
    for seed in 0..3u64 {
        let mut permuted = y.to_vec();
        let mut rng = radaudit::perturb::random::stream(seed, "permutation", stream);
        for i in (1..permuted.len()).rev() {
            let j = rng.random_range(0..=i);
            permuted.swap(i, j);
        }
        let a = cv_auc_with(x, &permuted, seed + 10, site);
        println!("cross-validated AUC on permutation {seed} ({stream}): {a:.3}");
        assert!((a - 0.5).abs() <= 0.1, "permutation {seed}: AUC {a}");
        aucs.push(a);
    }
    let mean = aucs.iter().sum::<f64>() / aucs.len() as f64;
    assert!((mean - 0.5).abs() <= 0.06, "mean permuted AUC {mean}");
}

/// Issue 24 acceptance 2: ComBat by site fitted inside each outer fold (training rows only,
/// the saved model applied to the held-out rows) keeps the cross-validation leakage-free: on a
/// cohort whose 4 sites shift every feature by 2 to 6 units, permuted labels still give chance
/// AUC, and the real labels a high one.
#[test]
fn harmonization_inside_the_folds_keeps_permuted_labels_at_chance() {
    let (mut x, y) = cohort();
    let site: Vec<String> = (0..y.len()).map(|i| format!("site{}", i % 4)).collect();
    for (i, row) in x.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v += 2.0 * (i % 4) as f64 * (1.0 + (j % 3) as f64);
        }
    }
    let real = cv_auc_with(&x, &y, 1, Some(&site));
    println!("cross-validated AUC with ComBat in the folds, real labels: {real:.3}");
    assert!(real > 0.75, "{real}");
    permuted_labels_give_chance(&x, &y, Some(&site), "cv combat test");
}
