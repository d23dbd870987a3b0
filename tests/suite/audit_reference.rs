//! The audit's numbers tied to references, not to the program's own earlier output:
//! - the baseline rows of features.csv equal PyRadiomics 3.1 (its published oracle values) on
//!   the same images;
//! - harmonized_stability.csv equals ComBat as `radaudit harmonize` (held to neuroCombat in
//!   `stats_combat`) computes it on the same table, followed by pingouin's ICC(1,1) (held to
//!   pingouin in `stats_icc`);
//! - the numbers the audit and comparison reports print equal the CSV tables they come from
//!   (the rendered HTML tables parsed back).

use crate::audit_common::{read_csv, reduced_protocol};
use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use radaudit::audit::plan::Plan;
use radaudit::audit::protocol;
use radaudit::stats::icc::icc;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn num(cell: &str) -> f64 {
    if cell == "nan" {
        f64::NAN
    } else {
        cell.parse().unwrap()
    }
}

/// `feature,value` of a PyRadiomics oracle file.
fn oracle(path: &Path) -> BTreeMap<String, f64> {
    let (_, rows) = read_csv(path);
    rows.into_iter()
        .map(|r| (r[0].clone(), num(&r[1])))
        .collect()
}

#[test]
fn baseline_rows_of_an_audit_equal_pyradiomics_on_the_same_images() {
    let py = reference_or_skip!().join("pyradiomics");
    let dir = tempfile::tempdir().unwrap();
    let cases = ["brain1", "brain2", "breast1"];
    let mut csv = String::from("case,image,mask\n");
    for c in cases {
        let data = py.join("data");
        csv += &format!(
            "{c},{},{}\n",
            data.join(format!("{c}_image.nrrd")).display(),
            data.join(format!("{c}_label.nrrd")).display()
        );
    }
    std::fs::write(dir.path().join("cases.csv"), csv).unwrap();
    let protocol = dir.path().join("files.yaml");
    std::fs::write(
        &protocol,
        r#"name: "PyRadiomics test cases"
seed: 3
cases:
  csv: cases.csv
perturbations:
  - axis: segmentation
    levels: ["volume:fraction=0.9"]
stability:
  acceptance:
    metric: icc1
    threshold: 0.5
outputs:
  report: false
"#,
    )
    .unwrap();
    let out = dir.path().join("run");
    let run = common::radaudit(["audit", s(&protocol), "--out", s(&out)]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let (header, rows) = read_csv(&out.join("features.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (c, p, f, v) = (
        col("case"),
        col("perturbation"),
        col("feature"),
        col("value"),
    );
    for case in cases {
        let reference = oracle(&py.join(format!("oracle_default/{case}.csv")));
        let baseline: BTreeMap<&str, f64> = rows
            .iter()
            .filter(|r| r[c] == case && r[p] == "baseline")
            .map(|r| (r[f].as_str(), num(&r[v])))
            .collect();
        assert_eq!(baseline.len(), 107, "{case}");
        for (name, want) in &reference {
            let got = baseline[name.as_str()];
            let tolerance = 1e-6 * want.abs().max(1e-3);
            assert!(
                (got - want).abs() <= tolerance,
                "{case} {name}: audit baseline {got} vs PyRadiomics {want}"
            );
        }
    }
}

#[test]
fn harmonized_stability_equals_combat_and_icc_on_the_same_table() {
    let dir = tempfile::tempdir().unwrap();
    let protocol = reduced_protocol(dir.path(), 6, "harmonized");
    let out = dir.path().join("run");
    let run = common::radaudit(["audit", s(&protocol), "--out", s(&out)]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);

    // The audit's ComBat input: every case's baseline and scanner levels are subjects, the
    // level their batch (the baseline the reference batch), vBMD the covariate.
    let loaded = protocol::load(&protocol).unwrap();
    let plan = Plan::new(&loaded).unwrap();
    let vbmd: BTreeMap<&str, f64> = plan
        .cases
        .iter()
        .map(|c| (c.id.as_str(), c.covariates["vbmd"]))
        .collect();
    let (header, rows) = read_csv(&out.join("features.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (c, p, axis, f, v) = (
        col("case"),
        col("perturbation"),
        col("scanner"),
        col("feature"),
        col("value"),
    );
    let mut features: Vec<String> = Vec::new();
    // (case, batch) -> feature -> value, in file order.
    let mut table: BTreeMap<(String, String), BTreeMap<String, String>> = BTreeMap::new();
    for r in &rows {
        let batch = if r[p] == "baseline" {
            "baseline".to_string()
        } else if !r[axis].is_empty() {
            r[axis].clone()
        } else {
            continue;
        };
        if !features.contains(&r[f]) {
            features.push(r[f].clone());
        }
        table
            .entry((r[c].clone(), batch))
            .or_default()
            .insert(r[f].clone(), r[v].clone());
    }
    let mut wide = format!("id,case,batch,vbmd,{}\n", features.join(","));
    for ((case, batch), values) in &table {
        wide += &format!("{case}@{batch},{case},{batch},{}", vbmd[case.as_str()]);
        for name in &features {
            wide += &format!(",{}", values[name]);
        }
        wide.push('\n');
    }
    let (harmonized_header, harmonized_rows) = read_csv(&out.join("harmonized_stability.csv"));
    let hcol = |name: &str| harmonized_header.iter().position(|h| h == name).unwrap();
    // The features the audit harmonized (constant ones it leaves alone, as harmonize does).
    let harmonized: Vec<&Vec<String>> = harmonized_rows
        .iter()
        .filter(|r| r[hcol("combat")] == "harmonized")
        .collect();
    assert!(harmonized.len() > 50, "{}", harmonized.len());
    let names: Vec<&str> = harmonized.iter().map(|r| r[0].as_str()).collect();
    std::fs::write(dir.path().join("wide.csv"), wide).unwrap();
    let combat_out = dir.path().join("combat.csv");
    let run = common::radaudit([
        "harmonize",
        "--input",
        s(&dir.path().join("wide.csv")),
        "--batch",
        "batch",
        "--covariates",
        "vbmd",
        "--ref-batch",
        "baseline",
        "--id",
        "id",
        "--features",
        &names.join(","),
        "--out",
        s(&combat_out),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let combat = read_csv(&combat_out);
    let ccol = |name: &str| combat.0.iter().position(|h| h == name).unwrap();
    let batches: Vec<String> = {
        let mut b: Vec<String> = combat.1.iter().map(|r| r[ccol("batch")].clone()).collect();
        b.sort();
        b.dedup();
        b
    };
    assert_eq!(batches.len(), 3, "baseline and two scanner levels");
    assert_icc_after(&harmonized, hcol("icc1"), &combat, "batch", "ComBat");
}

/// Each harmonized row's ICC(1,1) (its cell `icc1` of harmonized_stability.csv) equals ICC(1,1)
/// of that feature in `harmonize`'s output `combat` (header, rows), cases by the raters of its column
/// `rater`, to 1e-9.
fn assert_icc_after(
    harmonized: &[&Vec<String>],
    icc1: usize,
    (combat_header, combat_rows): &(Vec<String>, Vec<Vec<String>>),
    rater: &str,
    what: &str,
) {
    let ccol = |name: &str| combat_header.iter().position(|h| h == name).unwrap();
    for row in harmonized {
        let name = &row[0];
        let k = ccol(name);
        // ratings[case][rater]
        let mut ratings: BTreeMap<&str, BTreeMap<&str, f64>> = BTreeMap::new();
        for r in combat_rows {
            ratings
                .entry(r[ccol("case")].as_str())
                .or_default()
                .insert(r[ccol(rater)].as_str(), num(&r[k]));
        }
        let matrix: Vec<Vec<f64>> = ratings
            .values()
            .map(|by_rater| by_rater.values().copied().collect())
            .collect();
        let want = icc(&matrix).unwrap()[0].icc;
        let got = num(&row[icc1]);
        assert!(
            (got - want).abs() <= 1e-9 * want.abs().max(1.0),
            "{name}: harmonized ICC(1,1) {got} vs {what} + ICC {want}"
        );
    }
}

/// The cells of the HTML table whose header row starts with `first_header`, row by row
/// (header row excluded).
fn html_table(html: &str, first_header: &str) -> Vec<Vec<String>> {
    let doc = roxmltree::Document::parse_with_options(
        html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap();
    let text = |n: roxmltree::Node| -> String {
        n.descendants()
            .filter(|d| d.is_text())
            .map(|d| d.text().unwrap_or(""))
            .collect::<String>()
            .trim()
            .to_string()
    };
    for table in doc.descendants().filter(|n| n.has_tag_name("table")) {
        let rows: Vec<Vec<String>> = table
            .descendants()
            .filter(|n| n.has_tag_name("tr"))
            .map(|tr| {
                tr.children()
                    .filter(|c| c.has_tag_name("td") || c.has_tag_name("th"))
                    .map(text)
                    .collect()
            })
            .collect();
        if rows.first().and_then(|r| r.first()).map(String::as_str) == Some(first_header) {
            return rows[1..].to_vec();
        }
    }
    panic!("no table starting with {first_header}");
}

/// The median of finite values (as the report's median ICC).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[test]
fn the_audit_report_prints_what_stability_csv_holds() {
    let dir = tempfile::tempdir().unwrap();
    let protocol = reduced_protocol(dir.path(), 5, "report numbers");
    let out = dir.path().join("run");
    let run = common::radaudit(["audit", s(&protocol), "--out", s(&out)]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let (header, rows) = read_csv(&out.join("stability.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let axes = html_table(&html, "axis");
    assert_eq!(axes.len(), 2);
    for a in &axes {
        let on_axis: Vec<&Vec<String>> = rows.iter().filter(|r| r[col("axis")] == a[0]).collect();
        let robust = on_axis
            .iter()
            .filter(|r| r[col("robust")] == "true")
            .count();
        assert_eq!(a[2], on_axis.len().to_string(), "{a:?}");
        assert_eq!(a[3], robust.to_string(), "{a:?}");
        let share = 100.0 * robust as f64 / on_axis.len() as f64;
        assert_eq!(
            a[4].trim_end_matches('%').parse::<f64>().unwrap(),
            (share * 10.0).round() / 10.0
        );
        let icc1: Vec<f64> = on_axis
            .iter()
            .filter(|r| !r[col("icc1")].is_empty())
            .map(|r| num(&r[col("icc1")]))
            .filter(|v| v.is_finite())
            .collect();
        let printed: f64 = a[5].parse().unwrap();
        assert!((printed - median(icc1)).abs() <= 0.0005 + 1e-12, "{a:?}");
    }
    // Robust / all per family and axis.
    let families = html_table(&html, "family");
    let axis_names: Vec<&str> = axes.iter().map(|a| a[0].as_str()).collect();
    assert!(!families.is_empty());
    for f in &families {
        for (k, axis) in axis_names.iter().enumerate() {
            let in_cell: Vec<&Vec<String>> = rows
                .iter()
                .filter(|r| r[col("family")] == f[0] && r[col("axis")] == *axis)
                .collect();
            let robust = in_cell
                .iter()
                .filter(|r| r[col("robust")] == "true")
                .count();
            assert_eq!(f[k + 1], format!("{robust} / {}", in_cell.len()), "{f:?}");
        }
    }
}

#[test]
fn the_comparison_report_prints_what_auc_and_paired_csv_hold() {
    let dir = tempfile::tempdir().unwrap();
    let cohort = dir.path().join("cohort");
    let built = common::radaudit(["phantom", "cohort", "--n", "60", "--out", s(&cohort)]);
    assert_eq!(built.code, 0, "{}", built.stderr);
    let out = dir.path().join("compare");
    let run = common::radaudit([
        "compare",
        "--cohort",
        s(&cohort.join("cohort.csv")),
        "--outcome",
        "osteoporosis_true",
        "--t-score",
        "t_score",
        "--l1-hu",
        "l1_hu",
        "--out",
        s(&out),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let round = |v: f64, digits: i32| {
        let f = 10f64.powi(digits);
        (v * f).round() / f
    };
    let printed = |cell: &str| cell.parse::<f64>().unwrap();
    let (_, aucs) = read_csv(&out.join("auc.csv"));
    let table = html_table(&html, "predictor");
    assert_eq!(table.len(), aucs.len());
    for (shown, row) in table.iter().zip(&aucs) {
        // auc.csv: outcome,predictor,auc,variance,ci_low,ci_high
        assert_eq!(shown[0], row[1]);
        assert_eq!(printed(&shown[1]), round(num(&row[2]), 3), "{shown:?}");
        let (lo, hi) = shown[2].split_once(" to ").unwrap();
        assert_eq!(printed(lo), round(num(&row[4]), 3));
        assert_eq!(printed(hi), round(num(&row[5]), 3));
    }
    let (_, paired) = read_csv(&out.join("paired.csv"));
    assert!(!paired.is_empty());
    let table = html_table(&html, "A");
    assert_eq!(table.len(), paired.len());
    for (shown, row) in table.iter().zip(&paired) {
        // paired.csv: outcome,predictor_a,predictor_b,auc_a,auc_b,difference,ci_low,ci_high,z,p
        assert_eq!(
            (shown[0].as_str(), shown[1].as_str()),
            (row[1].as_str(), row[2].as_str())
        );
        assert_eq!(printed(&shown[2]), round(num(&row[5]), 3));
        assert_eq!(printed(&shown[4]), round(num(&row[9]), 4));
    }
}

/// A case that fails is left out of the statistics, and the audit fails unless the rule
/// allows it: `max_failed_cases` (default 0) in the protocol, or `--max-failed-cases N`.
#[test]
fn a_failed_case_fails_the_audit_unless_allowed() {
    let py = reference_or_skip!().join("pyradiomics");
    let dir = tempfile::tempdir().unwrap();
    let data = py.join("data");
    let row = |case: &str, label: u16| {
        format!(
            "{case},{},{},{label}\n",
            data.join(format!("{case}_image.nrrd")).display(),
            data.join(format!("{case}_label.nrrd")).display()
        )
    };
    // breast1's mask has no label 9: that case fails.
    let csv = format!(
        "case,image,mask,label\n{}{}{}",
        row("brain1", 1),
        row("brain2", 1),
        row("breast1", 9)
    );
    std::fs::write(dir.path().join("cases.csv"), csv).unwrap();
    let protocol = dir.path().join("files.yaml");
    std::fs::write(
        &protocol,
        "name: \"one case fails\"\nseed: 3\ncases:\n  csv: cases.csv\nperturbations:\n  - axis: segmentation\n    levels: [\"volume:fraction=0.9\"]\nstability:\n  acceptance:\n    metric: icc1\n    threshold: -1\noutputs:\n  report: false\n",
    )
    .unwrap();
    let out = dir.path().join("run");
    let strict = common::radaudit(["audit", s(&protocol), "--out", s(&out)]);
    assert_eq!(strict.code, 1, "{}", strict.stderr);
    assert!(
        strict
            .stderr
            .contains("1 case(s) failed (breast1), more than the 0 allowed"),
        "{}",
        strict.stderr
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["verdict"], "fail");
    assert_eq!(summary["cases"]["failed"][0], "breast1");
    let (_, errors) = read_csv(&out.join("errors.csv"));
    assert!(errors.iter().all(|e| e[0] == "breast1") && !errors.is_empty());
    let allowed = common::radaudit([
        "audit",
        s(&protocol),
        "--out",
        s(&dir.path().join("allowed")),
        "--max-failed-cases",
        "1",
    ]);
    assert_eq!(allowed.code, 0, "{}", allowed.stderr);
    // A count is a whole number from 0: anything else is refused, naming the flag or the key.
    for bad in ["-1", "1.5", "1e9", "nan"] {
        let run = common::radaudit(["audit", s(&protocol), "--max-failed-cases", bad]);
        assert_eq!(run.code, 2, "{bad}: {}", run.stderr);
        assert!(
            run.stderr.contains("--max-failed-cases"),
            "{bad}: {}",
            run.stderr
        );
    }
    let text = std::fs::read_to_string(&protocol).unwrap();
    std::fs::write(
        &protocol,
        text.replace(
            "threshold: -1\n",
            "threshold: -1\n    max_failed_cases: -3\n",
        ),
    )
    .unwrap();
    common::refuses(
        &["audit", s(&protocol), "--out", s(&out)],
        "stability.acceptance.max_failed_cases",
        "invalid value",
    );
}

/// Issue 24: in the combined design every draw varies every axis at once, and
/// `harmonization: {axis: combined}` runs nested ComBat with each axis a batch factor. The
/// stability after it equals `radaudit harmonize --batch scanner,segmentation` (nested ComBat,
/// tested against known multi-factor truth) on the same table, followed by ICC(1,1).
#[test]
fn combined_design_harmonization_is_nested_combat_over_the_axes() {
    let dir = tempfile::tempdir().unwrap();
    let reduced = reduced_protocol(dir.path(), 6, "nested");
    let text = std::fs::read_to_string(&reduced)
        .unwrap()
        .replace(
            "stability:\n",
            "design:\n  type: combined\n  draws: 4\nstability:\n",
        )
        .replace("  axis: scanner\n", "  axis: combined\n");
    let protocol = dir.path().join("combined.yaml");
    std::fs::write(&protocol, text).unwrap();
    // An axis in the combined design, and factors in the per-axis one, are refused by key.
    let combined_text = std::fs::read_to_string(&protocol).unwrap();
    for (name, text, key) in [
        (
            "axis",
            combined_text.replace("  axis: combined\n", "  axis: scanner\n"),
            "harmonization.axis",
        ),
        (
            "factor",
            combined_text.replace("  axis: combined\n", "  axis: combined\n  factors: [kvp]\n"),
            "harmonization.factors[0]",
        ),
        (
            "per-axis",
            std::fs::read_to_string(&reduced).unwrap().replace(
                "  axis: scanner\n",
                "  axis: scanner\n  factors: [scanner]\n",
            ),
            "harmonization.factors",
        ),
        (
            "smooth",
            combined_text.replace("  axis: combined\n", "  axis: combined\n  smooth: age\n"),
            "harmonization.smooth",
        ),
    ] {
        let bad = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&bad, text).unwrap();
        let run = common::radaudit(["audit", s(&bad), "--out", s(&dir.path().join(name))]);
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert!(run.stderr.contains(key), "{name}: {}", run.stderr);
    }
    let out = dir.path().join("run");
    let run = common::radaudit(["audit", s(&protocol), "--out", s(&out)]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let loaded = protocol::load(&protocol).unwrap();
    let plan = Plan::new(&loaded).unwrap();
    let vbmd: BTreeMap<&str, f64> = plan
        .cases
        .iter()
        .map(|c| (c.id.as_str(), c.covariates["vbmd"]))
        .collect();
    let (header, rows) = read_csv(&out.join("features.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (c, p, sc, sg, f, v) = (
        col("case"),
        col("perturbation"),
        col("scanner"),
        col("segmentation"),
        col("feature"),
        col("value"),
    );
    let mut features: Vec<String> = Vec::new();
    // (case, perturbation) -> (scanner, segmentation, feature -> value).
    type Levels = (String, String, BTreeMap<String, String>);
    let mut table: BTreeMap<(String, String), Levels> = BTreeMap::new();
    let level = |cell: &str| {
        if cell.is_empty() {
            "baseline".to_string()
        } else {
            cell.to_string()
        }
    };
    for r in &rows {
        if !features.contains(&r[f]) {
            features.push(r[f].clone());
        }
        table
            .entry((r[c].clone(), r[p].clone()))
            .or_insert_with(|| (level(&r[sc]), level(&r[sg]), BTreeMap::new()))
            .2
            .insert(r[f].clone(), r[v].clone());
    }
    assert_eq!(table.len(), 6 * 5, "6 cases, the baseline and 4 draws");
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains("nested ComBat over the axes"),
        "the report does not say how it harmonized"
    );
    // With vBMD's effect a smooth curve (ComBat-GAM at each step) the audit runs and says so.
    let gam = dir.path().join("gam.yaml");
    std::fs::write(
        &gam,
        // A curve of 10 degrees of freedom needs 10 distinct vBMD values: 10 cases.
        combined_text
            .replace("  axis: combined\n", "  axis: combined\n  smooth: vbmd\n")
            .replace("count: 6\n", "count: 10\n"),
    )
    .unwrap();
    let gam_out = dir.path().join("gam");
    let run = common::radaudit(["audit", s(&gam), "--out", s(&gam_out)]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let summary = std::fs::read_to_string(gam_out.join("summary.json")).unwrap();
    assert!(
        summary.contains("vbmd entered as a smooth curve"),
        "{summary}"
    );
    let (harmonized_header, harmonized_rows) = read_csv(&out.join("harmonized_stability.csv"));
    let hcol = |name: &str| harmonized_header.iter().position(|h| h == name).unwrap();
    let harmonized: Vec<&Vec<String>> = harmonized_rows
        .iter()
        .filter(|r| r[hcol("combat")] == "harmonized")
        .collect();
    assert!(harmonized.len() > 50, "{}", harmonized.len());
    assert!(
        harmonized_rows
            .iter()
            .all(|r| r[hcol("axis")] == "combined")
    );
    // harmonize takes the features the audit fed ComBat: every finite one.
    let usable: Vec<&str> = harmonized_rows
        .iter()
        .filter(|r| !r[hcol("combat")].starts_with("not harmonized"))
        .map(|r| r[0].as_str())
        .collect();
    let mut wide = format!(
        "id,case,draw,scanner,segmentation,vbmd,{}\n",
        features.join(",")
    );
    for ((case, draw), (scanner, segmentation, values)) in &table {
        wide += &format!(
            "{case}@{draw},{case},{draw},{scanner},{segmentation},{}",
            vbmd[case.as_str()]
        );
        for name in &features {
            wide += &format!(",{}", values[name]);
        }
        wide.push('\n');
    }
    std::fs::write(dir.path().join("wide.csv"), wide).unwrap();
    let combat_out = dir.path().join("nested.csv");
    let run = common::radaudit([
        "harmonize",
        "--input",
        s(&dir.path().join("wide.csv")),
        "--batch",
        "scanner,segmentation",
        "--covariates",
        "vbmd",
        "--id",
        "id",
        "--features",
        &usable.join(","),
        "--out",
        s(&combat_out),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let combat = read_csv(&combat_out);
    assert_icc_after(&harmonized, hcol("icc1"), &combat, "draw", "nested ComBat");
}
