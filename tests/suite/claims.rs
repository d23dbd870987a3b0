//! `radaudit claims` (issue 10): the shipped worked example (acceptance 2), the report
//! (acceptance 3) and bad claims files (acceptance 4). The checks themselves are tested on
//! hand-computed cases, each consistent and inconsistent, in src/claims/checks.rs (acceptance
//! 1).

use crate::common;

use std::path::Path;

use serde_json::Value;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("protocols/claims/osteoporosis-review.yaml")
}

fn finding<'a>(r: &'a Value, study: &str, set: &str, check: &str) -> &'a Value {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["study"] == study && f["set"] == set && f["check"] == check)
        .unwrap_or_else(|| panic!("no finding {study} / {set} / {check}"))
}

/// Hanley and McNeil (1982): SE of an AUC with p positives and n negatives.
fn hanley_mcneil(a: f64, p: f64, n: f64) -> f64 {
    let q1 = a / (2.0 - a);
    let q2 = 2.0 * a * a / (1.0 + a);
    ((a * (1.0 - a) + (p - 1.0) * (q1 - a * a) + (n - 1.0) * (q2 - a * a)) / (p * n)).sqrt()
}

#[test]
fn the_worked_example_finds_what_a_reviewer_should_ask() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("claims");
    let run = common::radaudit(["claims", s(&example()), "--out", s(&out)]);
    // One claim is impossible (below): exit code 1.
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("claims.json")).unwrap()).unwrap();
    // Lumbar MRI, external set of 35: sensitivity 0.764, specificity 0.833 and accuracy 0.8.
    // No k/P with P < 35 rounds to 0.764 (13/17 = 0.7647 rounds to 0.765), so no confusion
    // matrix gives the three at once; truncated, 17 positive with TP 13 and TN 15 of 18 do.
    let f = finding(
        &r,
        "Lumbar MRI",
        "external validation",
        "rates agree with one confusion matrix",
    );
    assert_eq!(f["verdict"], "impossible");
    let why = f["computation"].as_str().unwrap();
    assert!(why.contains("any split of the 35"), "{why}");
    assert!(
        why.contains("truncated") && why.contains("TP 13") && why.contains("TN 15"),
        "{why}"
    );
    assert!(!f["question"].as_str().unwrap().is_empty());
    // Dual-energy CT validation: 12 of 50 with osteoporosis, AUC 0.988 and no CI reported: the
    // report gives the Hanley-McNeil CI (computed here from the 1982 formula).
    let se = hanley_mcneil(0.988, 12.0, 38.0);
    let ci = format!(
        "{:.3}-{:.3}",
        0.988 - 1.959964 * se,
        (0.988 + 1.959964 * se).min(1.0)
    );
    let f = finding(
        &r,
        "Dual-energy CT radiomics",
        "validation",
        "AUC CI against Hanley-McNeil",
    );
    assert!(
        f["computation"].as_str().unwrap().contains(&ci),
        "{ci}: {f}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains(&ci));
    // The other findings a reviewer should see.
    let f = finding(
        &r,
        "Dual-energy CT radiomics",
        "training",
        "events per candidate feature",
    );
    assert_eq!(f["verdict"], "implausible");
    let f = finding(
        &r,
        "Hip radiographs (deep radiomics)",
        "external test",
        "sensitivity: count",
    );
    assert_eq!(f["verdict"], "consistent");
    let f = finding(&r, "QCT of L3", "whole study", "subsets add up");
    assert_eq!(f["verdict"], "consistent");
    assert_eq!(r["tally"]["impossible"], 1);
}

#[test]
fn the_report_is_well_formed_offline_and_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.yaml");
    std::fs::write(
        &file,
        "name: \"<script>alert(1)</script>\"\nstudies:\n  - study: \"<b>bold</b> & co\"\n    sets:\n      - {name: test, positives: 20, negatives: 30, auc: [{value: 0.8, ci: [0.7, 0.9]}]}\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = common::radaudit(["claims", s(&file), "--out", s(&out)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    common::check_report(&html);
    assert!(!html.contains("<script") && !html.contains("<b>bold"));
    assert!(html.contains("&lt;script&gt;alert(1)"));
    assert!(html.contains("&lt;b&gt;bold") && html.contains("&amp; co"));
}

#[test]
fn bad_claims_files_are_refused_naming_study_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.yaml");
    let out = dir.path().join("out");
    let with = |set: &str| {
        std::fs::write(
            &file,
            format!("studies:\n  - study: Spine CT\n    sets:\n      - {{name: test, {set}}}\n"),
        )
        .unwrap()
    };
    let args = [&"claims", &s(&file), &"--out", &s(&out)].map(|a| a.to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    with("positives: 10, negatives: 20, sensitivty: 0.8");
    common::refuses(&args, "study \"Spine CT\"", "sensitivty");
    with("positives: -3, negatives: 20");
    common::refuses(
        &args,
        "study \"Spine CT\", set \"test\", field positives",
        "negative count",
    );
    with("positives: 10, negatives: 20, sensitivity: \"120%\"");
    common::refuses(&args, "field sensitivity", "above 100%");
    with("positives: 10, negatives: 20, specificity: 85");
    common::refuses(&args, "field specificity", "above 1");
    // A CI that does not contain its estimate is a finding (impossible), not an input error.
    with("positives: 10, negatives: 20, auc: [{value: 0.8, ci: [0.82, 0.9]}]");
    let run = common::radaudit(&args);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("claims.json")).unwrap()).unwrap();
    let f = finding(&r, "Spine CT", "test", "AUC CI contains the AUC");
    assert_eq!(f["verdict"], "impossible");
}
