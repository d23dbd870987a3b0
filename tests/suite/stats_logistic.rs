//! Issue 8 acceptance 2: L1-penalised logistic regression on standardised features equals
//! scikit-learn's LogisticRegression(penalty="l1", C) to 1e-4, at five values of C (from the
//! sparse end, where most coefficients are exactly 0, to nearly unpenalised). Golden file:
//! tests/data/lasso_golden.{csv,json}, made by tests/data/make_lasso_golden.py.

use radaudit::stats::logistic::{Scaler, fit_l1};

#[test]
fn lasso_logistic_equals_scikit_learn() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut reader = csv::Reader::from_path(dir.join("lasso_golden.csv")).unwrap();
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for r in reader.records() {
        let r = r.unwrap();
        let v: Vec<f64> = r.iter().map(|c| c.parse().unwrap()).collect();
        x.push(v[..v.len() - 1].to_vec());
        y.push(v[v.len() - 1]);
    }
    let golden: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("lasso_golden.json")).unwrap())
            .unwrap();
    let xs = Scaler::fit(&x).transform(&x);
    for f in golden["fits"].as_array().unwrap() {
        let c = f["C"].as_f64().unwrap();
        let fit = fit_l1(&xs, &y, c).unwrap();
        assert!(fit.converged, "C = {c}");
        let want: Vec<f64> = f["coef"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let mut worst = (fit.intercept - f["intercept"].as_f64().unwrap()).abs();
        for (j, (a, b)) in fit.coef.iter().zip(&want).enumerate() {
            assert!(
                (a - b).abs() < 1e-4,
                "C = {c}, coefficient {j}: {a} vs scikit-learn {b}"
            );
            assert_eq!(
                *a == 0.0,
                *b == 0.0,
                "C = {c}, coefficient {j}: the same features are selected"
            );
            worst = worst.max((a - b).abs());
        }
        assert!(worst < 1e-4, "C = {c}: intercept {}", fit.intercept);
        println!(
            "C = {c}: largest difference from scikit-learn {worst:.2e}, {} iterations",
            fit.iterations
        );
    }
}
