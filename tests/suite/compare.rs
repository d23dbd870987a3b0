//! `radaudit compare` (issue 8, in progress): pROC's published aSAH values through the
//! command (acceptance 1); a model fitted by nested cross-validation against T-score, FRAX
//! and L1 HU references, with a well-formed, offline, escaped report (acceptance 5); bad
//! cohorts refused naming the row and column (acceptance 6).

// Published values are quoted with all the digits their source prints.
#![allow(clippy::excessive_precision)]

use crate::common;
use crate::compare_common;

use std::path::Path;

use compare_common::{cohort, num, protocol, row};
use radaudit::table::Table;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn asah_through_compare_equals_proc() {
    let reference = reference_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let protocol = dir.path().join("asah.yaml");
    std::fs::write(
        &protocol,
        format!(
            "name: aSAH\ncohort: {}\nid: row\noutcome: y_poor\nmodel:\n  name: wfns\n  score: wfns\nreferences:\n  - {{name: ndka, column: ndka}}\n  - {{name: s100b, column: s100b}}\n",
            reference.join("stats/roc/aSAH.csv").display()
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = common::radaudit(["compare", s(&protocol), "--out", s(&out)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let auc = Table::read(&out.join("auc.csv")).unwrap();
    // pROC tests/testthat: test-auc.R, test-var.R, test-ci.auc.R, print_output/r.s100b.
    let a = |p: &str, c: &str| num(&auc, row(&auc, &[("predictor", p)]), c);
    assert!((a("wfns", "auc") - 0.82367886178861804).abs() < 1e-9);
    assert!((a("ndka", "auc") - 0.61195799457994604).abs() < 1e-9);
    assert!((a("s100b", "auc") - 0.7314).abs() < 5e-5);
    assert!((a("wfns", "variance") - 0.0014699147088236299).abs() < 1e-9);
    assert!((a("s100b", "variance") - 0.00266868245717244).abs() < 1e-9);
    assert!((a("ndka", "ci_low") - 0.50124499927170296).abs() < 1e-9);
    assert!((a("ndka", "ci_high") - 0.72267098988818901).abs() < 1e-9);
    // test-roc.test.R: paired DeLong Z, p and the CI of the difference.
    let paired = Table::read(&out.join("paired.csv")).unwrap();
    for (x, y, z, p, lo, hi) in [
        (
            "wfns",
            "s100b",
            2.2089835914409099,
            0.027175782229188199,
            0.010406176956484599,
            0.174214419249478,
        ),
        (
            "wfns",
            "ndka",
            2.7977759186890401,
            0.0051455797069109802,
            0.063401170933987602,
            0.36004056348335661,
        ),
        (
            "ndka",
            "s100b",
            -1.39077002573558,
            0.16429517522305401,
            -0.28769174463419139,
            0.048870606422809403,
        ),
    ] {
        let r = row(&paired, &[("predictor_a", x), ("predictor_b", y)]);
        for (c, want) in [("z", z), ("p", p), ("ci_low", lo), ("ci_high", hi)] {
            assert!(
                (num(&paired, r, c) - want).abs() < 1e-9,
                "{x} vs {y} {c}: {} vs {want}",
                num(&paired, r, c)
            );
        }
    }
}

#[test]
fn a_fitted_model_against_the_references_with_an_escaped_offline_report() {
    let dir = tempfile::tempdir().unwrap();
    let c = cohort(dir.path(), 300, 0.0);
    let p = protocol(dir.path(), "<script>alert(1)</script> study", &c);
    let out = dir.path().join("out");
    let run = common::radaudit(["compare", s(&p), "--out", s(&out)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for f in [
        "auc.csv",
        "paired.csv",
        "thresholds.csv",
        "calibration.csv",
        "dca.csv",
        "reclassification.csv",
        "agreement.csv",
        "results.json",
        "report.html",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let auc = Table::read(&out.join("auc.csv")).unwrap();
    assert_eq!(
        auc.required_text("predictor").unwrap(),
        ["radiomics", "T-score", "FRAX MOF", "L1 HU"]
    );
    let model_auc = auc.numbers("auc").unwrap()[0];
    assert!(model_auc > 0.7, "held-out AUC {model_auc}");
    let thresholds = Table::read(&out.join("thresholds.csv")).unwrap();
    let r = row(
        &thresholds,
        &[("predictor", "T-score"), ("threshold", "-2.5")],
    );
    // Sensitivity of T <= -2.5 computed here from the cohort table.
    let cohort = Table::read(&c).unwrap();
    let (t, y) = (
        cohort.numbers("t_score").unwrap(),
        cohort.numbers("osteoporosis").unwrap(),
    );
    let tp = t
        .iter()
        .zip(&y)
        .filter(|(t, y)| **t <= -2.5 && **y == 1.0)
        .count() as f64;
    let events = y.iter().filter(|&&v| v == 1.0).count() as f64;
    assert!((num(&thresholds, r, "sensitivity") - tp / events).abs() < 1e-12);
    assert!(
        thresholds
            .required_text("threshold")
            .unwrap()
            .iter()
            .any(|v| v == "chosen on training folds")
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(common::check_report(&html) >= 3);
    assert!(common::only_own_script(&html));
    assert!(html.contains("&lt;script&gt;"));
}

#[test]
fn bad_cohorts_are_refused_naming_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let c = cohort(dir.path(), 60, 0.0);
    let text = std::fs::read_to_string(&c).unwrap();
    let p = protocol(dir.path(), "bad", &c);
    let out = dir.path().join("out");
    let with = |edit: &dyn Fn(&str) -> String| {
        std::fs::write(&c, edit(&text)).unwrap();
    };
    let refuse = |names: &str, problem: &str| {
        common::refuses(&["compare", s(&p), "--out", s(&out)], names, problem)
    };
    with(&|t| t.replacen("t_score", "tscore", 1));
    refuse("cohort.csv", "t_score");
    with(&|t| {
        let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
        let mut cells: Vec<String> = lines[3].split(',').map(str::to_string).collect();
        cells[8] = "-12".into();
        lines[3] = cells.join(",");
        lines.join("\n") + "\n"
    });
    refuse("row 4, column t_score", "outside -10 to 10");
    with(&|t| {
        let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
        let mut cells: Vec<String> = lines[5].split(',').map(str::to_string).collect();
        cells[9] = "140".into();
        lines[5] = cells.join(",");
        lines.join("\n") + "\n"
    });
    refuse("row 6, column frax_mof", "outside 0 to 100");
    with(&|t| {
        t.lines()
            .enumerate()
            .map(|(i, l)| {
                if i == 0 {
                    l.to_string()
                } else {
                    let mut c: Vec<&str> = l.split(',').collect();
                    c[1] = "1";
                    c.join(",")
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    });
    refuse("column osteoporosis", "one class");
    with(&|t| t.replacen("p1,", "p0,", 1));
    refuse("column id", "\"p0\" appears twice");
    // Few events per candidate feature: a warning, not an error.
    std::fs::write(&c, &text).unwrap();
    let small = protocol(dir.path(), "epv", &cohort(dir.path(), 60, -2.0));
    let text = std::fs::read_to_string(&small)
        .unwrap()
        .replace("min_events", "x");
    std::fs::write(&small, text).unwrap();
    let run = common::radaudit(["compare", s(&small), "--out", s(&out)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let warning = results["outcomes"][0]["warnings"][0].as_str().unwrap_or("");
    assert!(
        warning.contains("events per candidate feature"),
        "{warning}"
    );
    assert!(
        std::fs::read_to_string(out.join("report.html"))
            .unwrap()
            .contains("events per candidate feature")
    );
}

#[test]
fn on_the_synthetic_cohort_the_t_score_threshold_is_judged_against_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("synthetic.yaml");
    std::fs::write(
        &p,
        r#"name: synthetic
seed: 3
synthetic: {patients: 60}
id: id
outcome: osteoporosis_true
model: {name: radiomics, feature_prefix: original_firstorder_, folds: 5, inner_folds: 3}
references:
  - {name: DXA T-score, column: t_score, direction: lower, scale: tscore, thresholds: [-2.5]}
  - {name: FRAX MOF (simulated), column: frax_mof_simulated, scale: percent, thresholds: [20]}
  - {name: L1 HU, column: l1_hu, direction: lower, scale: hu, thresholds: [110]}
reclassification: {cut_points: [0.2], bootstrap: 100}
"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = common::radaudit(["compare", s(&p), "--out", s(&out)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Sensitivity and specificity of T <= -2.5 against the simulated truth, computed here from
    // the generated table.
    let cohort = Table::read(&out.join("cohort/cohort.csv")).unwrap();
    let (t, truth) = (
        cohort.numbers("t_score").unwrap(),
        cohort.numbers("osteoporosis_true").unwrap(),
    );
    let count = |pos: bool, ill: bool| {
        t.iter()
            .zip(&truth)
            .filter(|(t, y)| (**t <= -2.5) == pos && (**y == 1.0) == ill)
            .count() as f64
    };
    let (tp, fn_, tn, fp) = (
        count(true, true),
        count(false, true),
        count(false, false),
        count(true, false),
    );
    let thresholds = Table::read(&out.join("thresholds.csv")).unwrap();
    let r = row(
        &thresholds,
        &[("predictor", "DXA T-score"), ("threshold", "-2.5")],
    );
    assert!((num(&thresholds, r, "sensitivity") - tp / (tp + fn_)).abs() < 1e-12);
    assert!((num(&thresholds, r, "specificity") - tn / (tn + fp)).abs() < 1e-12);
    println!(
        "T <= -2.5 against vBMD < 80: sensitivity {:.3}, specificity {:.3}",
        tp / (tp + fn_),
        tn / (tn + fp)
    );
    // The model and the references side by side.
    let auc = Table::read(&out.join("auc.csv")).unwrap();
    assert_eq!(
        auc.required_text("predictor").unwrap(),
        ["radiomics", "DXA T-score", "FRAX MOF (simulated)", "L1 HU"]
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for name in ["radiomics", "DXA T-score", "FRAX MOF (simulated)", "L1 HU"] {
        assert!(html.contains(name), "{name} not in the report");
    }
}

/// Issue 24 acceptance 1: the default protocol's synthetic cohort comes from four sites, each
/// its own scanner, kV and voxel size; the fitted model's nested-CV AUC is below 1 there, the
/// report shows the model per site and each site held out; the simulated truth's counts still
/// equal the table's.
#[test]
fn the_default_cohort_has_sites_and_the_model_is_no_longer_perfect() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let protocol = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("protocols")
        .join("compare-dxa-frax.yaml");
    let run = common::radaudit(["compare", s(&protocol), "--out", s(&out)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let cohort = Table::read(&out.join("cohort/cohort.csv")).unwrap();
    let mut sites = cohort.required_text("site").unwrap();
    sites.sort();
    sites.dedup();
    assert_eq!(sites.len(), 4, "{sites:?}");
    let mut kvp = cohort.numbers("kvp").unwrap();
    kvp.sort_by(f64::total_cmp);
    kvp.dedup();
    assert_eq!(kvp, [80.0, 100.0, 120.0, 140.0]);
    let (vbmd, truth) = (
        cohort.numbers("vbmd_true").unwrap(),
        cohort.numbers("osteoporosis_true").unwrap(),
    );
    for (v, t) in vbmd.iter().zip(&truth) {
        assert_eq!(*t == 1.0, *v < 80.0);
    }
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let first = &results["outcomes"][0];
    assert_eq!(first["outcome"], "osteoporosis_true");
    let events = truth.iter().filter(|&&t| t == 1.0).count();
    assert_eq!(first["events"].as_u64().unwrap() as usize, events);
    let auc = Table::read(&out.join("auc.csv")).unwrap();
    let r = row(
        &auc,
        &[
            ("outcome", "osteoporosis_true"),
            ("predictor", "radiomics (LASSO)"),
        ],
    );
    let model_auc = num(&auc, r, "auc");
    println!("nested-CV AUC of the model on the four-site cohort: {model_auc:.3}");
    assert!(model_auc < 1.0, "{model_auc}");
    let model = &first["model"];
    assert_eq!(model["sites"].as_array().unwrap().len(), 4);
    let pooled = model["leave_one_site_out_auc"].as_f64().unwrap();
    println!("leave-one-site-out AUC, every patient predicted from the other sites: {pooled:.3}");
    // The sites' kV and kernels show in the model's features: most differ across sites.
    let effect = &model["site_effect"];
    let (differing, features) = (
        effect["differing_before"].as_u64().unwrap(),
        effect["features"].as_u64().unwrap(),
    );
    println!("candidate features differing across sites: {differing} of {features}");
    assert!(features > 0 && differing * 2 > features, "{effect}");
    assert!(effect["differing_after"].is_null());
    let shifts: Vec<f64> = model["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["shift_before"].as_f64().unwrap())
        .collect();
    println!("site feature shifts (SD): {shifts:?}");
    assert!(shifts.iter().any(|&s| s > 0.2), "{shifts:?}");
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("The model per site") && report.contains("AUC, site held out"));
    assert!(
        report.contains("feature shift, as measured")
            && report.contains(&format!("{differing} differ across the values of site")),
        "the report does not show the site effect"
    );
}
