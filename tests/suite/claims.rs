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

/// The verdict of a finding, and its computation.
fn verdict<'a>(r: &'a Value, study: &str, set: &str, check: &str) -> (&'a str, &'a str) {
    let f = finding(r, study, set, check);
    (
        f["verdict"].as_str().unwrap(),
        f["computation"].as_str().unwrap(),
    )
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
    let (kim, wang, xie, martel, zhen) = (
        "Kim et al. [58], hip radiographs",
        "Wang et al. [59], dual-energy CT",
        "Xie et al. [60], QCT of L3",
        "Martel et al. [61], hip MRI (fracture)",
        "Zhen et al. [62], lumbar MRI",
    );
    // Kim: 74 osteoporosis, 227 osteopenia and 143 normal make the external set of 444; the
    // 64 false positives (61 + 3) give specificity 306/370 and PPV 66/130.
    let kim_set = "external test (another institution)";
    let (v, why) = verdict(&r, kim, kim_set, "negatives in subgroups");
    assert_eq!(v, "consistent", "{why}");
    assert!(
        why.contains("= 444 (stated 444)") && why.contains("61 + 3 = 64"),
        "{why}"
    );
    assert!(
        why.contains("specificity 306/370") && why.contains("PPV 66/130"),
        "{why}"
    );
    // The AUC belongs to all 444: its pairs are 74 x 370.
    let (_, why) = verdict(&r, kim, kim_set, "AUC from whole pairs");
    assert!(why.contains(&format!("/{}", 2 * 74 * 370)), "{why}");
    // Wang: both reported CIs far narrower than Hanley-McNeil allows (computed here from the
    // 1982 formula), and the training one lopsided.
    for (set, p, n, a, lo, hi) in [
        ("training", 30.0, 84.0, 0.938, 0.903, 0.952),
        ("validation", 12.0, 38.0, 0.988, 0.967, 0.998),
    ] {
        let se = hanley_mcneil(a, p, n);
        let expected = (a + 1.959964 * se).min(1.0) - (a - 1.959964 * se);
        let ratio = format!("{:.2} of it", (hi - lo) / expected);
        let (v, why) = verdict(&r, wang, set, "AUC CI against Hanley-McNeil");
        assert_eq!(v, "implausible", "{why}");
        assert!(why.contains(&ratio), "{ratio}: {why}");
    }
    let (v, why) = verdict(&r, wang, "training", "AUC CI against Hanley-McNeil");
    assert!(v == "implausible" && why.contains("0.40 of it"), "{why}");
    let (_, why) = verdict(&r, wang, "validation", "AUC CI against Hanley-McNeil");
    assert!(why.contains("0.55 of it"), "{why}");
    let (v, why) = verdict(&r, wang, "training", "AUC CI shape on its bounded scale");
    assert_eq!(v, "implausible", "{why}");
    let (v, _) = verdict(&r, wang, "validation", "AUC CI shape on its bounded scale");
    assert_eq!(v, "consistent");
    // Xie: the test AUC is 0.96 in the text and 0.95 in Table 1.
    let (v, why) = verdict(&r, xie, "test", "conflicting reports");
    assert_eq!(v, "implausible", "{why}");
    let f = finding(&r, xie, "test", "conflicting reports");
    assert_eq!(f["source"], "review Table 1");
    let (v, _) = verdict(&r, xie, "whole study", "subsets add up");
    assert_eq!(v, "consistent");
    // Zhen: the only split of 86/74 that fits the six internal rates, then the Hanley-McNeil
    // widths it gives (0.99, 0.99, and 1.02 for the external 17/18), then mixed rounding.
    let (v, why) = verdict(&r, zhen, "whole study", "split inferred from the rates");
    assert_eq!(v, "consistent", "{why}");
    assert!(
        why.contains("training 62/50 (70.0%)") && why.contains("internal validation 24/24"),
        "{why}"
    );
    for (set, ratio) in [
        ("training", "0.99 of it"),
        ("internal validation", "0.99 of it"),
        ("external validation (other centres)", "1.02 of it"),
    ] {
        let (v, why) = verdict(&r, zhen, set, "AUC CI against Hanley-McNeil");
        assert!(v == "consistent" && why.contains(ratio), "{set}: {why}");
    }
    let (v, why) = verdict(&r, zhen, "whole study", "one rounding convention");
    assert_eq!(v, "implausible", "{why}");
    assert!(
        why.contains("internal validation: rounding only")
            && why.contains("external validation (other centres): truncation only"),
        "{why}"
    );
    // The external set as printed: no split of 35 rounds to all three rates; truncated, 17
    // positive with TP 13 and TN 15 of 18 do.
    let ext = "external validation (other centres)";
    let (v, why) = verdict(&r, zhen, ext, "rates agree with one confusion matrix");
    assert_eq!(v, "impossible");
    assert!(why.contains("TP 13") && why.contains("TN 15"), "{why}");
    // No false alarm on consistent studies: Martel's p-values (Mann-Whitney: about 0.007,
    // 0.013, 0.018) and [52]'s 51 events for 5 features.
    let martel_findings: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["study"] == martel)
        .collect();
    assert_eq!(
        martel_findings
            .iter()
            .filter(|f| f["check"] == "AUC p-value (Mann-Whitney)" && f["verdict"] == "consistent")
            .count(),
        3
    );
    assert!(
        martel_findings
            .iter()
            .all(|f| f["verdict"] == "consistent" || f["verdict"] == "cannot_check")
    );
    let (v, why) = verdict(
        &r,
        "[52], fracture discrimination",
        "whole cohort",
        "events per selected feature",
    );
    assert!(v == "consistent" && why.contains("10.20"), "{why}");
    // The report lists each finding with its source.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<th>source</th>") && html.contains("review Table 1 (DNU)"));
    assert!(html.contains("306/370") || html.contains("306&#x2F;370"));
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
    assert!(common::only_own_script(&html) && !html.contains("<b>bold"));
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
    with("positives: 10, negative_groups: [{name: osteopenia, total: 20, fp: 3}]");
    common::refuses(&args, "study \"Spine CT\"", "fp");
    with("positives: 10, negative_groups: [{name: osteopenia, total: -20}]");
    common::refuses(&args, "field negative_groups.total", "negative count");
    // A million raters (issue 20: the CI's F quantiles ran for minutes).
    with("icc: [{value: 0.8, ci: [0.7, 0.9], subjects: 20, raters: 1000000}]");
    common::refuses(&args, "field icc.raters", "2 to 1000, got 1000000");
    // A count of 1e9 (found by the fuzz harness: the split search ran for hours).
    with("positives: 10, negatives: 1000000000, sensitivity: 0.8");
    common::refuses(
        &args,
        "field negatives",
        "1000000000 is beyond the counts a study reports (at most 10000000)",
    );
    with("positives: 10, negatives: 20, auc: [{value: 0.8, p: \"<0.05%\"}]");
    common::refuses(&args, "field auc.p", "percent sign");
    // A partition needs its sets' totals, unless two sets of a study with known positives
    // and negatives (then the split is inferred).
    std::fs::write(
        &file,
        "studies:\n  - study: Spine CT\n    total: 100\n    partition: [a, b]\n    sets:\n      - {name: a, sensitivity: 0.8, specificity: 0.7}\n      - {name: b, total: 40}\n",
    )
    .unwrap();
    common::refuses(
        &args,
        "study \"Spine CT\", field partition",
        "needs its total",
    );
    // A CI that does not contain its estimate is a finding (impossible), not an input error.
    with("positives: 10, negatives: 20, auc: [{value: 0.8, ci: [0.82, 0.9]}]");
    let run = common::radaudit(&args);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("claims.json")).unwrap()).unwrap();
    let f = finding(&r, "Spine CT", "test", "AUC CI contains the AUC");
    assert_eq!(f["verdict"], "impossible");
}
