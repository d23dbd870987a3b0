//! ComBat-GAM (a smooth covariate effect) against neuroHarmonize 2.5 on the golden set of
//! `tests/data/make_combat_gam_golden.py`: the spline knots, basis and penalty matrix as
//! statsmodels builds them, and the harmonized data of three runs (EB, no EB, a reference
//! batch) to 1e-6 of each feature's SD, refitted with the penalty weight neuroHarmonize's random
//! k-fold search chose for each feature. radaudit's own choice (GCV, deterministic) is checked
//! to agree with the golden output closely, and a saved GAM model applied to its subjects must
//! give the fit's values.

use crate::common::{radaudit, refuses};

use radaudit::stats::combat::model::NewSubjects;
use radaudit::stats::combat::{self, CombatData, CombatOptions, Covariate, SmoothPenalty, smooth};
use radaudit::table::Table;
use serde_json::Value;

fn golden() -> Value {
    serde_json::from_str(include_str!("../data/combat_gam_golden.json")).unwrap()
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(numbers).collect()
}

struct Golden {
    names: Vec<String>,
    subjects: Vec<String>,
    values: Vec<Vec<f64>>,
    site: Vec<String>,
    covariates: Vec<Covariate>,
}

fn load(g: &Value) -> Golden {
    let values = matrix(&g["data"]);
    let site: Vec<String> = g["site"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    Golden {
        names: (0..values.len()).map(|f| format!("f{f}")).collect(),
        subjects: (0..site.len()).map(|i| format!("s{i}")).collect(),
        // neuroHarmonize's design: batch columns, the linear covariates, then the spline.
        covariates: vec![
            Covariate::Continuous {
                name: "sex".into(),
                values: numbers(&g["sex"]),
            },
            Covariate::Continuous {
                name: "age".into(),
                values: numbers(&g["age"]),
            },
        ],
        values,
        site,
    }
}

impl Golden {
    /// The golden subjects as new subjects of a saved model, with these covariates.
    fn new_subjects<'a>(&'a self, covariates: &'a [Covariate]) -> NewSubjects<'a> {
        NewSubjects {
            values: &self.values,
            subjects: &self.subjects,
            batch: &self.site,
            covariates,
        }
    }

    fn data(&self) -> CombatData<'_> {
        CombatData {
            feature_names: &self.names,
            values: &self.values,
            subjects: &self.subjects,
            batch: &self.site,
            covariates: &self.covariates,
        }
    }
}

fn options(kwargs: &Value, penalty: SmoothPenalty) -> CombatOptions {
    CombatOptions {
        eb: kwargs["eb"].as_bool().unwrap(),
        ref_batch: kwargs["ref_batch"].as_str().map(str::to_string),
        smooth: vec!["age".into()],
        smooth_penalty: penalty,
        ..CombatOptions::default()
    }
}

fn sd(x: &[f64]) -> f64 {
    let m = x.iter().sum::<f64>() / x.len() as f64;
    (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
}

/// The largest difference over features, in units of each feature's SD.
fn worst(ours: &[Vec<f64>], theirs: &[Vec<f64>]) -> f64 {
    ours.iter()
        .zip(theirs)
        .map(|(a, b)| {
            let s = sd(b);
            a.iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs() / s)
                .fold(0.0, f64::max)
        })
        .fold(0.0, f64::max)
}

#[test]
fn the_spline_basis_and_penalty_are_statsmodels() {
    let g = golden();
    let age = numbers(&g["age"]);
    let run = &g["runs"]["eb"];
    let knots = smooth::knots("age", &age).unwrap();
    let theirs = numbers(&run["knots"]);
    assert_eq!(knots.len(), theirs.len());
    for (a, b) in knots.iter().zip(&theirs) {
        assert!(
            (a - b).abs() <= 1e-12 * b.abs(),
            "knots {knots:?} vs {theirs:?}"
        );
    }
    let row = smooth::basis_row(&knots, age[0]);
    for (a, b) in row.iter().zip(numbers(&run["basis_row0"])) {
        assert!((a - b).abs() < 1e-12, "basis {row:?}");
    }
    let s = smooth::penalty(&knots);
    let theirs = matrix(&run["cov_der2"]);
    let scale = theirs.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    for (r, t) in s.iter().zip(&theirs) {
        for (a, b) in r.iter().zip(t) {
            assert!((a - b).abs() <= 1e-10 * scale, "penalty {a} vs {b}");
        }
    }
}

#[test]
fn combat_gam_reproduces_neuroharmonize_with_its_penalty_weights() {
    let g = golden();
    let data = load(&g);
    for (name, run) in g["runs"].as_object().unwrap() {
        let alphas = numbers(&run["alpha"]);
        let fit = combat::fit(
            &data.data(),
            &options(&run["kwargs"], SmoothPenalty::PerFeature(alphas.clone())),
        )
        .unwrap();
        let theirs = matrix(&run["harmonized"]);
        let d = worst(&fit.harmonized, &theirs);
        assert!(d < 1e-6, "{name}: harmonized differ by {d} SD");
        assert_eq!(fit.model.smooth_alpha, alphas);
        // The GAM's coefficients: batch columns, sex, then the 9 spline columns.
        let b_hat = matrix(&run["B_hat"]);
        for (f, theirs) in b_hat.iter().enumerate() {
            let ours = &fit.model.covariate_betas[f];
            let tail = &theirs[theirs.len() - ours.len()..];
            for (a, b) in ours.iter().zip(tail) {
                assert!(
                    (a - b).abs() <= 1e-6 * b.abs().max(1.0),
                    "{name} f{f}: {ours:?} vs {tail:?}"
                );
            }
        }
    }
}

#[test]
fn gcv_weights_are_deterministic_and_close_to_neuroharmonize() {
    let g = golden();
    let data = load(&g);
    let run = &g["runs"]["eb"];
    let opts = options(&run["kwargs"], SmoothPenalty::Gcv);
    let fit = combat::fit(&data.data(), &opts).unwrap();
    let again = combat::fit(&data.data(), &opts).unwrap();
    assert_eq!(fit.harmonized, again.harmonized);
    let grid = smooth::alpha_grid();
    assert!(fit.model.smooth_alpha.iter().all(|a| grid.contains(a)));
    // A different weight on the same grid moves the curve, not the site correction: the
    // output stays within a tenth of an SD of neuroHarmonize's.
    let d = worst(&fit.harmonized, &matrix(&run["harmonized"]));
    assert!(
        d < 0.1,
        "GCV-chosen weights differ from neuroHarmonize's by {d} SD"
    );
    // The nonlinear age curve is kept: the harmonized data still follow age after 60.
    let age = numbers(&g["age"]);
    let old: Vec<f64> = (0..age.len())
        .filter(|&i| age[i] > 75.0)
        .map(|i| fit.harmonized[5][i])
        .collect();
    let young: Vec<f64> = (0..age.len())
        .filter(|&i| age[i] < 55.0)
        .map(|i| fit.harmonized[5][i])
        .collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert!(mean(&young) - mean(&old) > 5.0, "the age curve was removed");
}

#[test]
fn a_saved_gam_model_harmonizes_its_subjects_as_the_fit_did() {
    let g = golden();
    let data = load(&g);
    let fit = combat::fit(
        &data.data(),
        &options(&g["runs"]["eb"]["kwargs"], SmoothPenalty::Gcv),
    )
    .unwrap();
    let json = serde_json::to_string(&fit.model).unwrap();
    let model: combat::CombatModel = serde_json::from_str(&json).unwrap();
    model.check().unwrap();
    let applied = model.apply(&data.new_subjects(&data.covariates)).unwrap();
    let d = worst(&applied, &fit.harmonized);
    assert!(d < 1e-10, "{d}");
    // Ages outside the fitted range are refused, naming the covariate.
    let mut older = data.covariates.clone();
    if let Covariate::Continuous { values, .. } = &mut older[1] {
        values[0] = 101.0;
    }
    let e = model.apply(&data.new_subjects(&older)).unwrap_err();
    assert!(e.contains("age") && e.contains("101"), "{e}");
}

#[test]
fn smooth_terms_are_checked() {
    let g = golden();
    let data = load(&g);
    let kw = &g["runs"]["eb"]["kwargs"];
    let mut o = options(kw, SmoothPenalty::Gcv);
    o.smooth = vec!["bmi".into()];
    let e = combat::fit(&data.data(), &o).unwrap_err();
    assert!(e.contains("bmi"), "{e}");
    o.smooth = vec!["age".into(), "sex".into()];
    assert!(
        combat::fit(&data.data(), &o)
            .unwrap_err()
            .contains("one smooth")
    );
    for bad in [0.0, -1.0, f64::NAN, 1e300] {
        let e = combat::fit(&data.data(), &options(kw, SmoothPenalty::Fixed(bad))).unwrap_err();
        assert!(e.contains("penalty weight"), "{bad}: {e}");
    }
    let e = combat::fit(
        &data.data(),
        &options(kw, SmoothPenalty::PerFeature(vec![1.0; 2])),
    )
    .unwrap_err();
    assert!(e.contains("2 smooth penalty weights"), "{e}");
    // Hostile ages: too few distinct values for 10 basis functions, a range that overflows,
    // one so narrow its penalty does: each refused with a message, no panic.
    let n = data.site.len();
    for (ages, says) in [
        (
            (0..n).map(|i| 50.0 + (i % 4) as f64).collect::<Vec<f64>>(),
            "4 distinct values",
        ),
        (
            (0..n)
                .map(|i| {
                    if i % 2 == 0 {
                        1.7e308
                    } else {
                        -1.7e308 + i as f64 * 1e300
                    }
                })
                .collect(),
            "beyond floating point",
        ),
        (
            (0..n).map(|i| 1e-300 * (i + 1) as f64).collect(),
            "too narrow",
        ),
    ] {
        let mut hostile = load(&g);
        hostile.covariates[1] = Covariate::Continuous {
            name: "age".into(),
            values: ages,
        };
        let e = combat::fit(&hostile.data(), &options(kw, SmoothPenalty::Gcv)).unwrap_err();
        assert!(e.contains(says) && e.contains("age"), "{e}");
    }
}

/// `harmonize --smooth age` on the golden table: neuroHarmonize's output within a tenth of an
/// SD (GCV's weights, not its random ones), the weights reported per feature, and bad smooth
/// settings refused with exit 2 naming the flag or column.
#[test]
fn harmonize_fits_a_smooth_covariate_from_the_command_line() {
    let g = golden();
    let data = load(&g);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("wide.csv");
    let mut text = String::from("id,site,age,sex");
    for name in &data.names {
        text.push(',');
        text.push_str(name);
    }
    text.push('\n');
    let (age, sex) = (numbers(&g["age"]), numbers(&g["sex"]));
    for i in 0..data.site.len() {
        text.push_str(&format!(
            "{},{},{},{}",
            data.subjects[i], data.site[i], age[i], sex[i]
        ));
        for f in &data.values {
            text.push_str(&format!(",{:?}", f[i]));
        }
        text.push('\n');
    }
    std::fs::write(&input, text).unwrap();
    let out = dir.path().join("harmonized.csv");
    let (i, o) = (input.to_str().unwrap(), out.to_str().unwrap());
    let run = radaudit([
        "harmonize",
        "--input",
        i,
        "--batch",
        "site",
        "--covariates",
        "sex",
        "--smooth",
        "age",
        "--id",
        "id",
        "--out",
        o,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("smooth"), "{}", run.stderr);
    let table = Table::read(&out).unwrap();
    let ours: Vec<Vec<f64>> = data
        .names
        .iter()
        .map(|n| table.numbers(n).unwrap())
        .collect();
    let d = worst(&ours, &matrix(&g["runs"]["eb"]["harmonized"]));
    assert!(d < 0.1, "{d}");
    refuses(
        &[
            "harmonize",
            "--input",
            i,
            "--batch",
            "site",
            "--smooth",
            "age",
            "--smooth-penalty",
            "0",
            "--out",
            o,
        ],
        "--smooth-penalty",
        "(0, 1e12]",
    );
    refuses(
        &[
            "harmonize",
            "--input",
            i,
            "--batch",
            "site",
            "--smooth",
            "site2",
            "--out",
            o,
        ],
        "site2",
        "",
    );
    refuses(
        &[
            "harmonize",
            "--input",
            i,
            "--batch",
            "site",
            "--covariates",
            "sex",
            "--categorical",
            "sex",
            "--smooth",
            "sex",
            "--out",
            o,
        ],
        "sex",
        "categorical",
    );
}
