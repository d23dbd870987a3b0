//! The `icc`, `harmonize` and `roc` commands end to end: outputs against the golden files
//! (pingouin, neuroCombat, pROC), a saved model applied later, and the bad-input contract
//! (exit 2, one line naming the file and the row, column, batch or feature).

// Published values are quoted with the digits their sources print.
#![allow(clippy::excessive_precision)]

use crate::common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use common::{radaudit, refuses};
use radaudit::table::Table;

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The golden ComBat dataset a as one wide table: subject,batch,age,sex,f01..f40.
fn wide_combat_table(reference: &Path, dir: &Path) -> PathBuf {
    let base = reference.join("stats/combat/a_40x120_3batch");
    let input = Table::read(&base.join("input_data.csv")).unwrap();
    let covars = Table::read(&base.join("covars.csv")).unwrap();
    let mut text = String::from("subject,batch,age,sex");
    for r in &input.rows {
        write!(text, ",{}", &r[0]).unwrap();
    }
    text.push('\n');
    for (i, c) in covars.rows.iter().enumerate() {
        text += &c.iter().collect::<Vec<_>>().join(",");
        for r in &input.rows {
            write!(text, ",{}", &r[i + 1]).unwrap();
        }
        text.push('\n');
    }
    let out = dir.join("wide.csv");
    std::fs::write(&out, text).unwrap();
    out
}

/// Largest |ours - golden| / SD over all features and subjects.
fn worst_vs_golden(out: &Path, golden_dir: &Path) -> f64 {
    let ours = Table::read(out).unwrap();
    let gold = Table::read(&golden_dir.join("harmonized.csv")).unwrap();
    let var = Table::read(&golden_dir.join("per_feature.csv"))
        .unwrap()
        .numbers("var_pooled")
        .unwrap();
    let mut worst = 0.0f64;
    for (f, g) in gold.rows.iter().enumerate() {
        let column = ours.numbers(&g[0]).unwrap();
        for (i, v) in column.iter().enumerate() {
            let want: f64 = g[i + 1].parse().unwrap();
            worst = worst.max((v - want).abs() / var[f].sqrt());
        }
    }
    worst
}

#[test]
fn harmonize_reproduces_neurocombat_and_applies_a_saved_model() {
    let reference = reference_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let wide = wide_combat_table(&reference, dir.path());
    let out = dir.path().join("harmonized.csv");
    let model = dir.path().join("model.json");
    let run = radaudit([
        "harmonize",
        "--input",
        path_str(&wide),
        "--batch",
        "batch",
        "--covariates",
        "age,sex",
        "--categorical",
        "sex",
        "--id",
        "subject",
        "--save-model",
        path_str(&model),
        "--out",
        path_str(&out),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let golden = reference.join("stats/combat/a_40x120_3batch/default");
    let worst = worst_vs_golden(&out, &golden);
    assert!(worst <= 1e-8, "{worst:e}");
    // Non-feature columns are carried through unchanged.
    let ours = Table::read(&out).unwrap();
    let input = Table::read(&wide).unwrap();
    assert_eq!(ours.headers(), input.headers());
    assert_eq!(ours.text("batch").unwrap(), input.text("batch").unwrap());
    assert_eq!(ours.text("age").unwrap(), input.text("age").unwrap());
    // The batch effect is there before and gone after.
    let tests = Table::read(&dir.path().join("harmonized.batch_effect.csv")).unwrap();
    let stage = tests.text("stage").unwrap();
    let q = tests.numbers("kw_q").unwrap();
    let before = (0..q.len())
        .filter(|&k| stage[k] == "before" && q[k] < 0.05)
        .count();
    let after = (0..q.len())
        .filter(|&k| stage[k] == "after" && q[k] < 0.05)
        .count();
    assert!(before >= 30 && after == 0, "{before} {after}");
    assert!(
        run.stderr
            .contains(&format!("{before} of 40 features before, 0 of 40 after")),
        "{}",
        run.stderr
    );

    // Apply the saved model to the same subjects later: neuroCombat's output again.
    let applied = dir.path().join("applied.csv");
    let run = radaudit([
        "harmonize",
        "--input",
        path_str(&wide),
        "--batch",
        "batch",
        "--id",
        "subject",
        "--apply",
        path_str(&model),
        "--out",
        path_str(&applied),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(worst_vs_golden(&applied, &golden) <= 1e-8);

    // A subject of a batch the model never saw is refused by name.
    let text = std::fs::read_to_string(&wide)
        .unwrap()
        .replacen(",scannerB,", ",scannerQ,", 1);
    let unseen = dir.path().join("unseen.csv");
    std::fs::write(&unseen, text).unwrap();
    refuses(
        &[
            "harmonize",
            "--input",
            path_str(&unseen),
            "--batch",
            "batch",
            "--apply",
            path_str(&model),
            "--out",
            path_str(&applied),
        ],
        "scannerQ",
        "was not in the data the model was fitted on",
    );
}

#[test]
fn harmonize_options_match_their_golden_runs() {
    let reference = reference_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let wide = wide_combat_table(&reference, dir.path());
    for (flags, golden) in [
        (vec!["--no-eb"], "noeb"),
        (vec!["--nonparametric"], "nonparametric"),
        (vec!["--mean-only"], "meanonly"),
        (vec!["--ref-batch", "scannerB"], "refbatch"),
    ] {
        let out = dir.path().join(format!("{golden}.csv"));
        let mut args = vec![
            "harmonize",
            "--input",
            path_str(&wide),
            "--batch",
            "batch",
            "--covariates",
            "age,sex",
            "--categorical",
            "sex",
            "--id",
            "subject",
            "--out",
            path_str(&out),
        ];
        args.extend(flags);
        let run = radaudit(&args);
        assert_eq!(run.code, 0, "{golden}: {}", run.stderr);
        let worst = worst_vs_golden(
            &out,
            &reference.join("stats/combat/a_40x120_3batch").join(golden),
        );
        assert!(worst <= 1e-8, "{golden}: {worst:e}");
    }
}

/// Writes `text` as a CSV in `dir` and returns its path.
fn csv(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A small wide table: 3 batches of 4 subjects, features a, b, c.
fn small_table() -> String {
    let mut t = String::from("id,site,age,a,b,c\n");
    for i in 0..12 {
        let site = ["x", "y", "z"][i / 4];
        let v = i as f64;
        writeln!(
            t,
            "s{i},{site},{},{},{},{}",
            40 + i * 3 % 7,
            v * 1.5 + 2.0,
            (v * 0.7).sin() + 3.0,
            v * v / 10.0 + 1.0
        )
        .unwrap();
    }
    t
}

#[test]
fn harmonize_bad_input_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("out.csv");
    let o = path_str(&out);
    let good = small_table();

    // A batch with one subject.
    let one = csv(d, "one.csv", &format!("{good}s12,w,50,1,2,3\n"));
    refuses(
        &[
            "harmonize",
            "--input",
            path_str(&one),
            "--batch",
            "site",
            "--id",
            "id",
            "--out",
            o,
        ],
        "\"w\"",
        "only one subject (s12)",
    );
    // A single batch.
    let single = csv(
        d,
        "single.csv",
        &good.replace(",y,", ",x,").replace(",z,", ",x,"),
    );
    refuses(
        &[
            "harmonize",
            "--input",
            path_str(&single),
            "--batch",
            "site",
            "--out",
            o,
        ],
        "single.csv",
        "at least 2 batches",
    );
    // NaN, empty and non-numeric cells, named by row and column.
    // A 100,000-character cell is quoted by its start and length, not echoed (issue 20).
    let long = "x".repeat(100_000);
    for (bad, problem) in [
        ("nan", "the cell is \"nan\", a missing value"),
        ("", "the cell is empty"),
        ("abc", "is not a number"),
        (long.as_str(), "... (100000 characters) is not a number"),
    ] {
        let lines: Vec<String> = good
            .lines()
            .enumerate()
            .map(|(k, l)| {
                if k == 5 {
                    l.rsplit_once(',').unwrap().0.to_string() + "," + bad
                } else {
                    l.to_string()
                }
            })
            .collect();
        let p = csv(d, "cells.csv", &(lines.join("\n") + "\n"));
        refuses(
            &[
                "harmonize",
                "--input",
                path_str(&p),
                "--batch",
                "site",
                "--id",
                "id",
                "--out",
                o,
            ],
            "row 6, column c",
            problem,
        );
    }
    // A covariate confounded with batch (singular design).
    let confounded: String = good
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let flag = match f[1] {
                "site" => "flag",
                "x" => "1",
                _ => "0",
            };
            format!("{l},{flag}\n")
        })
        .collect();
    let p = csv(d, "confounded.csv", &confounded);
    refuses(
        &[
            "harmonize",
            "--input",
            path_str(&p),
            "--batch",
            "site",
            "--id",
            "id",
            "--covariates",
            "flag",
            "--features",
            "a,b,c",
            "--out",
            o,
        ],
        "flag",
        "the design is singular",
    );
    // An unknown reference batch, a missing column, an unknown feature.
    refuses(
        &[
            "harmonize",
            "--input",
            path_str(&csv(d, "g.csv", &good)),
            "--batch",
            "site",
            "--ref-batch",
            "q",
            "--out",
            o,
        ],
        "\"q\"",
        "is not among the batches",
    );
    refuses(
        &[
            "harmonize",
            "--input",
            path_str(&d.join("g.csv")),
            "--batch",
            "scanner",
            "--out",
            o,
        ],
        "no column \"scanner\"",
        "the columns are",
    );
    // A damaged model file.
    let model = csv(
        d,
        "model.json",
        "{\"format\": \"radaudit-combat-model\", \"version\": 1",
    );
    refuses(
        &[
            "harmonize",
            "--input",
            path_str(&d.join("g.csv")),
            "--batch",
            "site",
            "--apply",
            path_str(&model),
            "--out",
            o,
        ],
        "model.json",
        "not a radaudit ComBat model",
    );
    assert!(!out.exists(), "nothing written on bad input");
}

/// A wide table (6 subjects, 100,000 feature columns) reads in linear time: every column is
/// looked up by name once per feature (a linear search per lookup took 40 s here).
#[test]
fn harmonize_reads_a_table_of_100000_columns_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let n = 100_000;
    let mut text = String::from("id,site");
    for j in 0..n {
        write!(text, ",f{j}").unwrap();
    }
    text.push('\n');
    for r in 0..6u64 {
        write!(text, "s{r},{}", ["A", "B"][r as usize % 2]).unwrap();
        for j in 0..n as u64 {
            // Distinct values per subject and feature (no constant column).
            write!(text, ",{}", (r * 7919 + j * 104729) % 1000).unwrap();
        }
        text.push('\n');
    }
    let input = csv(dir.path(), "wide.csv", &text);
    let out = dir.path().join("h.csv");
    let start = std::time::Instant::now();
    let run = radaudit([
        "harmonize",
        "--input",
        path_str(&input),
        "--batch",
        "site",
        "--id",
        "id",
        "--out",
        path_str(&out),
    ]);
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(Table::read(&out).unwrap().headers().len(), n + 2);
    // 0.44 s on 2 cores in a release build; the bound leaves room for a loaded machine.
    assert!(seconds < 3.0, "harmonize took {seconds:.2} s");
}

#[test]
fn constant_features_are_kept_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Column a constant overall; column b constant inside site y.
    let text: String = small_table()
        .lines()
        .enumerate()
        .map(|(k, l)| {
            if k == 0 {
                return format!("{l}\n");
            }
            let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
            f[3] = "7.25".into();
            if f[1] == "y" {
                f[4] = "4.5".into();
            }
            f.join(",") + "\n"
        })
        .collect();
    let input = csv(d, "const.csv", &text);
    let out = d.join("out.csv");
    let run = radaudit([
        "harmonize",
        "--input",
        path_str(&input),
        "--batch",
        "site",
        "--id",
        "id",
        "--covariates",
        "age",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("feature a has the same value for every subject"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("feature b is constant (4.5) in batch \"y\""),
        "{}",
        run.stderr
    );
    let t = Table::read(&out).unwrap();
    assert!(t.numbers("a").unwrap().iter().all(|v| *v == 7.25));
    let sites = t.text("site").unwrap();
    let b = t.numbers("b").unwrap();
    let in_y: Vec<f64> = (0..b.len())
        .filter(|&i| sites[i] == "y")
        .map(|i| b[i])
        .collect();
    assert!(in_y.iter().all(|v| *v == in_y[0]), "{in_y:?}");
    assert!(
        b.iter()
            .chain(&t.numbers("c").unwrap())
            .all(|v| v.is_finite())
    );
    // The constant feature's tests say why there are none instead of a NaN.
    let tests = Table::read(&d.join("out.batch_effect.csv")).unwrap();
    let notes = tests.text("note").unwrap();
    let features = tests.text("feature").unwrap();
    assert!(
        (0..notes.len()).any(|k| features[k] == "a" && notes[k].contains("all values are equal"))
    );
    assert!(
        !std::fs::read_to_string(d.join("out.batch_effect.csv"))
            .unwrap()
            .contains("NaN")
    );
}

#[test]
fn icc_command_matches_pingouin_with_missing_ratings() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("icc.csv");
    let run = radaudit([
        "icc",
        "--input",
        path_str(&data.join("icc_missing_long.csv")),
        "--subject",
        "subject",
        "--rater",
        "rater",
        "--value",
        "value",
        "--feature",
        "feature",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "feature f1: dropped 4 subject(s) with missing ratings (s04, s09, s13, s17); 16 used"
        ),
        "{}",
        run.stderr
    );
    let ours = Table::read(&out).unwrap();
    assert_eq!(
        ours.headers(),
        [
            "feature", "type", "icc", "f", "df1", "df2", "p", "ci_low", "ci_high", "class"
        ]
    );
    let gold = Table::read(&data.join("icc_missing_pingouin.csv")).unwrap();
    assert_eq!(ours.rows.len(), gold.rows.len());
    // Rows pair up by feature and form: pingouin's McGraw-Wong labels against its short
    // names (pingouin.intraclass_corr docs: ICC2 is the two-way random absolute-agreement
    // ICC(A,1), ICC3 the two-way mixed consistency ICC(C,1)).
    let short = |mcgraw_wong: &str| match mcgraw_wong {
        "ICC(1,1)" => "ICC1",
        "ICC(A,1)" => "ICC2",
        "ICC(C,1)" => "ICC3",
        "ICC(1,k)" => "ICC1k",
        "ICC(A,k)" => "ICC2k",
        "ICC(C,k)" => "ICC3k",
        other => panic!("unknown form {other}"),
    };
    let (our_features, our_types) = (ours.text("feature").unwrap(), ours.text("type").unwrap());
    let (gold_features, gold_types) = (
        gold.text("feature").unwrap(),
        gold.text("pingouin_type").unwrap(),
    );
    for k in 0..ours.rows.len() {
        assert_eq!(our_features[k], gold_features[k], "row {k}");
        assert_eq!(our_types[k], short(gold_types[k]), "row {k}");
    }
    for col in ["icc", "f", "df1", "df2", "p", "ci_low", "ci_high"] {
        let (a, b) = (ours.numbers(col).unwrap(), gold.numbers(col).unwrap());
        for k in 0..a.len() {
            let tol = if col == "icc" { 1e-9 } else { 1e-6 };
            assert!(
                (a[k] - b[k]).abs() <= tol,
                "row {k} {col}: {} vs {}",
                a[k],
                b[k]
            );
        }
    }
    let classes = ours.text("class").unwrap();
    assert_eq!(classes[0], "good to excellent"); // f1 ICC1 CI 0.786-0.955
    assert_eq!(classes[6], "excellent"); // f2 ICC1 CI 0.970-0.993
}

#[test]
fn icc_bad_input_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("icc.csv");
    let o = path_str(&out);
    let dup = csv(
        d,
        "dup.csv",
        "subject,rater,value\n1,a,3\n1,b,4\n2,a,5\n1,a,6\n",
    );
    refuses(
        &[
            "icc",
            "--input",
            path_str(&dup),
            "--subject",
            "subject",
            "--rater",
            "rater",
            "--value",
            "value",
            "--out",
            o,
        ],
        "rows 2 and 5",
        "subject \"1\" by rater \"a\"",
    );
    let text = csv(d, "text.csv", "subject,rater,value\n1,a,3\n1,b,high\n");
    refuses(
        &[
            "icc",
            "--input",
            path_str(&text),
            "--subject",
            "subject",
            "--rater",
            "rater",
            "--value",
            "value",
            "--out",
            o,
        ],
        "row 3, column value",
        "not a number",
    );
    refuses(
        &[
            "icc",
            "--input",
            path_str(&text),
            "--subject",
            "patient",
            "--rater",
            "rater",
            "--value",
            "value",
            "--out",
            o,
        ],
        "no column \"patient\"",
        "the columns are",
    );
    assert!(!out.exists());
    // A feature whose ratings do not vary: rows say why, no NaN.
    let flat = csv(
        d,
        "flat.csv",
        "subject,rater,value\n1,a,3\n1,b,3\n2,a,3\n2,b,3\n",
    );
    let run = radaudit([
        "icc",
        "--input",
        path_str(&flat),
        "--subject",
        "subject",
        "--rater",
        "rater",
        "--value",
        "value",
        "--out",
        o,
    ]);
    assert_eq!(run.code, 0);
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(
        written.contains("undefined: the ratings do not vary") && !written.contains("NaN"),
        "{written}"
    );
}

#[test]
fn roc_command_matches_proc_on_asah() {
    let reference = reference_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let input = reference.join("stats/roc/aSAH.csv");
    let run = radaudit([
        "roc",
        "--input",
        path_str(&input),
        "--label",
        "y_poor",
        "--score",
        "wfns,s100b,ndka",
        "--out",
        path_str(dir.path()),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let auc = Table::read(&dir.path().join("auc.csv")).unwrap();
    assert_eq!(
        auc.headers(),
        ["predictor", "auc", "variance", "ci_low", "ci_high"]
    );
    // pROC test-auc.R / test-var.R / test-ci.auc.R.
    let a = auc.numbers("auc").unwrap();
    assert!((a[0] - 0.82367886178861804).abs() < 1e-9);
    assert!((auc.numbers("variance").unwrap()[2] - 0.0031908105493912999).abs() < 1e-9);
    assert!((auc.numbers("ci_low").unwrap()[2] - 0.50124499927170296).abs() < 1e-9);
    let paired = Table::read(&dir.path().join("delong_paired.csv")).unwrap();
    assert_eq!(paired.headers(), ["predictor_a", "predictor_b", "z", "p"]);
    // test-roc.test.R: wfns vs s100b Z 2.2089835914409099, p 0.027175782229188199.
    assert!((paired.numbers("z").unwrap()[0] - 2.2089835914409099).abs() < 1e-9);
    assert!((paired.numbers("p").unwrap()[0] - 0.027175782229188199).abs() < 1e-9);

    // `:lower` flips the direction: AUC of -ndka is 1 - AUC(ndka).
    let run = radaudit([
        "roc",
        "--input",
        path_str(&input),
        "--label",
        "y_poor",
        "--score",
        "ndka:lower",
        "--out",
        path_str(dir.path()),
    ]);
    assert_eq!(run.code, 0);
    let auc = Table::read(&dir.path().join("auc.csv")).unwrap();
    assert!((auc.numbers("auc").unwrap()[0] - (1.0 - 0.61195799457994604)).abs() < 1e-9);
    assert_eq!(auc.text("predictor").unwrap()[0], "ndka:lower");

    // A label with one class.
    let one = csv(dir.path(), "one.csv", "y,s\n1,0.3\n1,0.5\n1,0.2\n");
    refuses(
        &[
            "roc",
            "--input",
            path_str(&one),
            "--label",
            "y",
            "--score",
            "s",
            "--out",
            path_str(dir.path()),
        ],
        "column y",
        "one class only",
    );
    let bad = csv(dir.path(), "bad.csv", "y,s\n1,0.3\n2,0.5\n0,0.2\n");
    refuses(
        &[
            "roc",
            "--input",
            path_str(&bad),
            "--label",
            "y",
            "--score",
            "s",
            "--out",
            path_str(dir.path()),
        ],
        "row 3, column y",
        "not 0/1",
    );
    refuses(
        &[
            "roc",
            "--input",
            path_str(&bad),
            "--label",
            "y",
            "--score",
            "s:sideways",
            "--out",
            path_str(dir.path()),
        ],
        "s:sideways",
        "not 'lower' or 'higher'",
    );
}

#[test]
fn outputs_are_byte_identical_whatever_the_thread_count() {
    let reference = reference_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let wide = wide_combat_table(&reference, dir.path());
    let mut outputs = Vec::new();
    for threads in ["1", "2", "3"] {
        let out = dir.path().join(format!("h{threads}.csv"));
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_radaudit"))
            .args([
                "harmonize",
                "--input",
                path_str(&wide),
                "--batch",
                "batch",
                "--covariates",
                "age,sex",
            ])
            .args([
                "--categorical",
                "sex",
                "--id",
                "subject",
                "--nonparametric",
                "--out",
                path_str(&out),
            ])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(status.status.success());
        let tests = dir.path().join(format!("h{threads}.batch_effect.csv"));
        outputs.push((std::fs::read(&out).unwrap(), std::fs::read(&tests).unwrap()));
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]));
}

/// A wide table of 240 subjects and 12 features, each the truth (10 + noise) scaled and shifted
/// by the subject's vendor (3) and kernel (2), assigned independently; with an age column.
fn two_factor_table(dir: &Path) -> PathBuf {
    use rand::RngExt;
    let mut rng = radaudit::perturb::random::stream(7, "cohort", "nested harmonize test");
    let mut normal = || {
        let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random::<f64>());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    };
    let mut text = String::from("id,vendor,kernel,age");
    for f in 0..12 {
        write!(text, ",f{f}").unwrap();
    }
    text.push('\n');
    let shifts: Vec<([f64; 3], [f64; 2])> = (0..12)
        .map(|_| {
            (
                [0.0, 1.0 + 0.2 * normal(), -0.9],
                [0.0, 0.8 + 0.2 * normal()],
            )
        })
        .collect();
    for i in 0..240 {
        let (v, k) = ((i * 7 + i / 5) % 3, (i * 11 + i / 3) % 2);
        let age = 65.0 + 8.0 * normal();
        write!(
            text,
            "s{i},{},{},{age}",
            ["GE", "Philips", "Siemens"][v],
            ["soft", "sharp"][k]
        )
        .unwrap();
        for (sv, sk) in &shifts {
            let truth = 10.0 + normal();
            write!(
                text,
                ",{}",
                10.0 + (truth - 10.0) * [1.0, 1.3, 0.8][v] + sv[v] + sk[k]
            )
            .unwrap();
        }
        text.push('\n');
    }
    csv(dir, "two_factors.csv", &text)
}

/// Issue 24: `harmonize --batch vendor,kernel` runs nested ComBat (OPNested order), removes
/// both factors' batch effects (Kruskal-Wallis q per factor, before and after) and says which
/// order it kept; bad combinations exit 2 naming the column or flag.
#[test]
fn harmonize_nests_combat_over_several_batch_columns() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let wide = two_factor_table(d);
    let out = d.join("nested.csv");
    let run = radaudit([
        "harmonize",
        "--input",
        path_str(&wide),
        "--batch",
        "vendor,kernel",
        "--covariates",
        "age",
        "--id",
        "id",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("nested ComBat in the order")
            && run.stderr.contains("vendor then kernel")
            && run.stderr.contains("kernel then vendor"),
        "{}",
        run.stderr
    );
    let tests = Table::read(&d.join("nested.batch_effect.csv")).unwrap();
    let (batch, stage) = (tests.text("batch").unwrap(), tests.text("stage").unwrap());
    let q = tests.numbers("kw_q").unwrap();
    let count = |column: &str, when: &str| {
        (0..q.len())
            .filter(|&k| batch[k] == column && stage[k] == when && q[k] < 0.05)
            .count()
    };
    for column in ["vendor", "kernel"] {
        assert!(count(column, "before") >= 10, "{column}");
        assert!(count(column, "after") <= 1, "{column}");
    }
    // One batch column harmonized leaves the other's effect.
    let single = d.join("single.csv");
    let run = radaudit([
        "harmonize",
        "--input",
        path_str(&wide),
        "--batch",
        "vendor",
        "--covariates",
        "age,kernel",
        "--categorical",
        "kernel",
        "--out",
        path_str(&single),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let tests = Table::read(&d.join("single.batch_effect.csv")).unwrap();
    assert!(tests.text("batch").unwrap().iter().all(|b| *b == "vendor"));
    // The order given is used.
    let run = radaudit([
        "harmonize",
        "--input",
        path_str(&wide),
        "--batch",
        "vendor,kernel",
        "--order",
        "kernel,vendor",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("order given: kernel then vendor"),
        "{}",
        run.stderr
    );
    let o = path_str(&out);
    let w = path_str(&wide);
    let base = ["harmonize", "--input", w, "--out", o];
    let with = |extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    // A saved nested model harmonizes the same subjects as the fit did (the columns may be
    // given in another order); it needs exactly its batch columns.
    let model = d.join("nested.json");
    let (m, fitted) = (path_str(&model), d.join("fitted.csv"));
    let run = radaudit([
        "harmonize",
        "--input",
        path_str(&wide),
        "--batch",
        "vendor,kernel",
        "--covariates",
        "age",
        "--save-model",
        m,
        "--out",
        path_str(&fitted),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let applied = d.join("applied.csv");
    let run = radaudit([
        "harmonize",
        "--input",
        path_str(&wide),
        "--batch",
        "kernel,vendor",
        "--apply",
        m,
        "--out",
        path_str(&applied),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (a, b) = (
        Table::read(&fitted).unwrap(),
        Table::read(&applied).unwrap(),
    );
    for h in a.headers().iter().filter(|h| h.starts_with('f')) {
        for (x, y) in a.numbers(h).unwrap().iter().zip(b.numbers(h).unwrap()) {
            assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{h}: {x} vs {y}");
        }
    }
    let cases: [(&[&str], &str, &str); 6] = [
        (
            &["--batch", "vendor", "--order", "vendor"],
            "--order",
            "one was given",
        ),
        (
            &["--batch", "vendor,kernel", "--order", "vendor,kVp"],
            "\"kVp\"",
            "not a batch factor",
        ),
        (
            &["--batch", "vendor", "--apply", m],
            "vendor, kernel",
            "nested ComBat",
        ),
        (
            &["--batch", "vendor,site", "--apply", m],
            "site",
            "no column",
        ),
        (
            &["--batch", "vendor,kernel", "--ref-batch", "GE"],
            "\"GE\"",
            "nested ComBat over 2 factors takes none",
        ),
        (&["--batch", "vendor,scanner"], "scanner", ""),
    ];
    for (extra, names, problem) in cases {
        let args = with(extra);
        refuses(
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            names,
            problem,
        );
    }
    // A kernel level of one subject: the error names the column and the level.
    let text = std::fs::read_to_string(&wide)
        .unwrap()
        .replacen(",soft,", ",bone,", 1);
    let lonely = csv(d, "lonely.csv", &text);
    refuses(
        &[
            "harmonize",
            "--input",
            path_str(&lonely),
            "--batch",
            "vendor,kernel",
            "--out",
            o,
        ],
        "batch factor kernel",
        "\"bone\" has only one subject",
    );
}
