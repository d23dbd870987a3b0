//! Issue 7 acceptance 1-4 and 7: a reduced protocol through the CLI writes every output with
//! the documented schemas, and its stability values agree with the statistics module applied
//! to features.csv; the default cohort rates first-order Mean above GLCM Contrast and GLSZM
//! SmallAreaEmphasis on the scanner axis and ComBat lowers the batch effect; 1 and 2 threads
//! give the same bytes; a killed run resumes to the same outputs without recomputing finished
//! cases; bad protocols are refused with the YAML path of the offending key.

use crate::audit_common;
use crate::common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use audit_common::{index_by, read_csv, reduced_protocol};
use radaudit::stats::agreement::{coefficient_of_variation, lin_ccc};
use radaudit::stats::icc::{IccType, icc};
use sha2::Digest;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn audit(protocol: &Path, out: &Path, extra: &[&str]) -> common::Run {
    let mut args = vec!["audit", s(protocol), "--out", s(out)];
    args.extend_from_slice(extra);
    common::radaudit(args)
}

fn num(cell: &str) -> f64 {
    cell.parse().unwrap()
}

#[test]
fn a_reduced_protocol_writes_every_output_and_its_stability_recomputes() {
    let dir = tempfile::tempdir().unwrap();
    let protocol = reduced_protocol(dir.path(), 6, "reduced");
    let out = dir.path().join("run");
    let run = audit(&protocol, &out, &[]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        run.code == 0,
        summary["verdict"] == "pass",
        "exit code follows the verdict"
    );
    for f in [
        "features.csv",
        "features.parquet",
        "stability.csv",
        "harmonized_stability.csv",
        "errors.csv",
        "summary.json",
        "manifest.json",
        "report.html",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    // Schemas.
    let (fh, frows) = read_csv(&out.join("features.csv"));
    assert_eq!(
        fh,
        [
            "case",
            "perturbation",
            "scanner",
            "segmentation",
            "feature",
            "value"
        ]
    );
    assert_eq!(
        frows.len(),
        6 * 4 * 107,
        "6 cases x (baseline + 3 levels) x 107 features"
    );
    let (sh, srows) = read_csv(&out.join("stability.csv"));
    assert_eq!(
        sh.join(","),
        "feature,image,family,axis,n_cases,n_raters,icc1,icc1_ci_low,icc1_ci_high,icc21,icc31,ccc,cov,koo_li,robust,note"
    );
    assert_eq!(srows.len(), 107 * 2);
    let (hh, hrows) = read_csv(&out.join("harmonized_stability.csv"));
    assert_eq!(
        &hh[16..],
        [
            "combat",
            "kw_h_before",
            "kw_p_before",
            "kw_q_before",
            "kw_h_after",
            "kw_p_after",
            "kw_q_after"
        ]
    );
    assert_eq!(hrows.len(), 107);
    assert_eq!(
        read_csv(&out.join("errors.csv")).0,
        ["case", "perturbation", "error"]
    );
    for key in [
        "verdict",
        "reasons",
        "rule",
        "cases",
        "jobs",
        "axes",
        "families",
        "harmonization",
    ] {
        assert!(!summary[key].is_null(), "summary.json lacks {key}");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let text = std::fs::read(&protocol).unwrap();
    let digest: String = sha2::Sha256::digest(&text)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(manifest["protocol"]["sha256"], digest.as_str());
    assert_eq!(manifest["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(manifest["seed"], 5);
    assert!(
        manifest["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["role"] == "phantom" && i["sha256"].as_str().unwrap().len() == 64)
    );
    assert!(manifest["timings"]["run_seconds"].as_f64().unwrap() > 0.0);

    // Recompute one feature's scanner stability from features.csv with the stats module.
    let feature = "original_glcm_Contrast";
    let mut cases: Vec<String> = frows.iter().map(|r| r[0].clone()).collect();
    cases.dedup();
    let value = |case: &str, job: &str| {
        frows
            .iter()
            .find(|r| r[0] == case && r[1] == job && r[4] == feature)
            .map(|r| num(&r[5]))
            .unwrap()
    };
    let ratings: Vec<Vec<f64>> = cases
        .iter()
        .map(|c| {
            [
                "baseline",
                "scanner=scanner:smooth",
                "scanner=scanner:sharp",
            ]
            .iter()
            .map(|j| value(c, j))
            .collect()
        })
        .collect();
    let all = icc(&ratings).unwrap();
    let by = index_by(&out.join("stability.csv"), "feature", "axis");
    let row = &by[&(feature.to_string(), "scanner".to_string())];
    let get = |t: IccType| all.iter().find(|i| i.kind == t).unwrap();
    for (column, want) in [
        ("icc1", get(IccType::Icc1).icc),
        ("icc1_ci_low", get(IccType::Icc1).ci_low),
        ("icc1_ci_high", get(IccType::Icc1).ci_high),
        ("icc21", get(IccType::Icc2).icc),
        ("icc31", get(IccType::Icc3).icc),
    ] {
        assert!(
            (num(&row[column]) - want).abs() < 1e-12,
            "{column}: {} vs {want}",
            row[column]
        );
    }
    let (x, y): (Vec<f64>, Vec<f64>) = ratings
        .iter()
        .flat_map(|r| r[1..].iter().map(move |v| (r[0], *v)))
        .unzip();
    assert!((num(&row["ccc"]) - lin_ccc(&x, &y).unwrap().ccc).abs() < 1e-12);
    let cov = ratings
        .iter()
        .map(|r| coefficient_of_variation(r).abs())
        .sum::<f64>()
        / ratings.len() as f64;
    assert!((num(&row["cov"]) - cov).abs() < 1e-12);
    assert_eq!(row["n_cases"], "6");
    assert_eq!(row["n_raters"], "3");

    // The Parquet table holds the same rows, in the same schema: every column text but
    // `value` (double), read with arrow-rs' reader.
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let file = std::fs::File::open(out.join("features.parquet")).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let schema = builder.schema().clone();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, fh.iter().map(String::as_str).collect::<Vec<_>>());
    for f in schema.fields() {
        let want = if f.name() == "value" {
            arrow_schema::DataType::Float64
        } else {
            arrow_schema::DataType::Utf8
        };
        assert_eq!(f.data_type(), &want, "{}", f.name());
    }
    let mut values = Vec::new();
    for batch in builder.build().unwrap() {
        let batch = batch.unwrap();
        let column = batch.column_by_name("value").unwrap();
        let column = column
            .as_any()
            .downcast_ref::<arrow_array::Float64Array>()
            .unwrap();
        values.extend(column.iter().map(|v| v.unwrap()));
    }
    assert_eq!(values.len(), frows.len());
    for (i, r) in frows.iter().enumerate().step_by(97) {
        let v = values[i];
        assert!(v == num(&r[5]) || (v.is_nan() && r[5] == "nan"), "row {i}");
    }
}

#[test]
fn on_the_default_cohort_mean_beats_texture_on_the_scanner_axis_and_combat_removes_batch_effects() {
    let dir = tempfile::tempdir().unwrap();
    let protocol = Path::new(env!("CARGO_MANIFEST_DIR")).join("protocols/vertebra-ct.yaml");
    let out = dir.path().join("run");
    let run = audit(&protocol, &out, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let by = index_by(&out.join("stability.csv"), "feature", "axis");
    let icc1 = |f: &str| num(&by[&(f.to_string(), "scanner".to_string())]["icc1"]);
    let (mean, contrast, sae) = (
        icc1("original_firstorder_Mean"),
        icc1("original_glcm_Contrast"),
        icc1("original_glszm_SmallAreaEmphasis"),
    );
    println!(
        "scanner-axis ICC(1,1): Mean {mean:.4}, GLCM Contrast {contrast:.4}, GLSZM SAE {sae:.4}"
    );
    assert!(mean > contrast && mean > sae);
    let (header, rows) = read_csv(&out.join("harmonized_stability.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let significant = |name: &str| {
        rows.iter()
            .filter(|r| !r[col(name)].is_empty() && num(&r[col(name)]) < 0.05)
            .count()
    };
    let (before, after) = (significant("kw_q_before"), significant("kw_q_after"));
    println!("FDR-significant Kruskal-Wallis batch effects: {before} before, {after} after ComBat");
    assert!(after < before);
    // Issue 23's size budget: the default audit's report, image panels included.
    let size = std::fs::metadata(out.join("report.html")).unwrap().len();
    println!("report.html: {size} bytes");
    assert!(size < 5_000_000, "{size} bytes");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(html.matches("<img class=\"slice\"").count(), 2 * 14);
}

#[test]
fn one_and_two_threads_give_byte_identical_tables() {
    let dir = tempfile::tempdir().unwrap();
    let protocol = reduced_protocol(dir.path(), 5, "threads");
    let outs: Vec<_> = ["1", "2"]
        .iter()
        .map(|t| {
            let out = dir.path().join(format!("run{t}"));
            let run = audit(&protocol, &out, &["--threads", t]);
            assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
            out
        })
        .collect();
    for f in [
        "features.csv",
        "stability.csv",
        "harmonized_stability.csv",
        "errors.csv",
        "summary.json",
    ] {
        let (a, b) = (
            std::fs::read(outs[0].join(f)).unwrap(),
            std::fs::read(outs[1].join(f)).unwrap(),
        );
        assert!(a == b, "{f} differs between 1 and 2 threads");
    }
}

#[test]
fn a_killed_run_resumes_to_the_same_outputs_without_recomputing_finished_cases() {
    let dir = tempfile::tempdir().unwrap();
    let cases = 12;
    let protocol = reduced_protocol(dir.path(), cases, "resume");
    let out = dir.path().join("killed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_radaudit"))
        .args(["audit", s(&protocol), "--out", s(&out), "--threads", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let journal = out.join("journal.jsonl");
    let start = Instant::now();
    loop {
        // Complete lines only: a line still being written is dropped on resume.
        let lines = std::fs::read_to_string(&journal)
            .map(|t| t.matches('\n').count())
            .unwrap_or(0);
        if lines >= 3 {
            break; // the header and two finished cases
        }
        assert!(start.elapsed() < Duration::from_secs(120), "no progress");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run finished before it could be killed"
    );
    let killed_pid = child.id();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        !out.join("stability.csv").exists(),
        "killed before the tables were written"
    );
    // What a kill during a table's write leaves: its temporary file, never renamed.
    let stale = |dir: &std::path::Path, pid: u32| {
        let p = dir.join(format!(".radaudit-partial-{pid}-features.csv"));
        std::fs::write(&p, "case,feat").unwrap();
        p
    };
    let left_by_kill = stale(&out, killed_pid);

    let resumed = audit(&protocol, &out, &["--resume", "--threads", "2"]);
    assert!(resumed.code == 0 || resumed.code == 1, "{}", resumed.stderr);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let skipped = summary["cases"]["resumed"].as_u64().unwrap() as usize;
    let per_case = summary["jobs"]["per_case"].as_u64().unwrap() as usize;
    println!("resumed {skipped} finished cases of {cases}");
    assert!(skipped >= 2 && skipped < cases);
    assert_eq!(
        summary["jobs"]["computed"].as_u64().unwrap() as usize,
        (cases - skipped) * per_case,
        "finished cases were not recomputed"
    );
    assert_eq!(
        summary["jobs"]["resumed"].as_u64().unwrap() as usize,
        skipped * per_case
    );
    assert_eq!(
        summary["jobs"]["total"].as_u64().unwrap() as usize,
        cases * per_case
    );
    let said = format!(
        "cases completed {cases} / {cases}; jobs computed {}, resumed {} (of {})",
        (cases - skipped) * per_case,
        skipped * per_case,
        cases * per_case
    );
    assert!(resumed.stderr.contains(&said), "{}", resumed.stderr);

    let partials = |dir: &std::path::Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".radaudit-partial-"))
            .collect()
    };
    assert!(!left_by_kill.exists());
    assert_eq!(
        partials(&out),
        Vec::<String>::new(),
        "the resumed run left temp files"
    );

    let fresh = dir.path().join("fresh");
    std::fs::create_dir_all(&fresh).unwrap();
    stale(&fresh, killed_pid);
    let run = audit(&protocol, &fresh, &[]);
    assert!(run.code == 0 || run.code == 1);
    assert_eq!(
        partials(&fresh),
        Vec::<String>::new(),
        "a fresh run left temp files"
    );
    for f in ["features.csv", "stability.csv", "harmonized_stability.csv"] {
        assert!(
            std::fs::read(out.join(f)).unwrap() == std::fs::read(fresh.join(f)).unwrap(),
            "{f} differs after resuming"
        );
    }
}

#[test]
fn bad_protocols_are_refused_with_the_yaml_path() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(reduced_protocol(dir.path(), 4, "bad")).unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let out = dir.path().join("never");
    let refuse = |protocol: &Path, names: &str, problem: &str| {
        common::refuses(&["audit", s(protocol), "--out", s(&out)], names, problem);
    };
    let unknown = write(
        "unknown.yaml",
        &good.replace(
            "    levels: [\"volume:fraction=0.9\"]",
            "    levels: [\"volume:fraction=0.9\"]\n    sd: 3",
        ),
    );
    refuse(&unknown, "perturbations[1].sd", "unknown field `sd`");
    let level = write(
        "level.yaml",
        &good.replace("scanner:sharp", "noise:sd=-5,peak=0.3"),
    );
    refuse(
        &level,
        "perturbations[0].levels[1]",
        "perturbation `noise`, parameter `sd`: must be >= 0",
    );
    let empty = write(
        "empty.yaml",
        &good.replace("[\"volume:fraction=0.9\"]", "[]"),
    );
    refuse(&empty, "perturbations[1].levels", "no levels");
    let fraction = write(
        "fraction.yaml",
        &good.replace("volume:fraction=0.9", "volume:fraction=0"),
    );
    refuse(
        &fraction,
        "perturbations[1].levels[0]",
        "parameter `fraction`: must be > 0",
    );
    let typo = write(
        "typo.yaml",
        &good.replace("threshold: 0.75", "threshold: high"),
    );
    refuse(&typo, "stability.acceptance.threshold", "invalid type");
    let window = write(
        "window.yaml",
        &format!("{good}outputs:\n  window: \"40/1e308\"\n"),
    );
    refuse(&window, "outputs.window", "LEVEL/WIDTH");
    let missing = write(
        "missing.yaml",
        &good.replace(
            "  synthetic_vertebra:\n    count: 4\n    vbmd: [60, 240]\n",
            "  csv: no_such_cases.csv\n  x_synthetic:\n    count: 4\n    vbmd: [60, 240]\n",
        ),
    );
    refuse(&missing, "cases.x_synthetic", "unknown field");
    let harmonization_free = good.split("harmonization:").next().unwrap().to_string();
    let csv_cases = |body: &str| {
        let without = harmonization_free.replace(
            &format!(
                "  synthetic_vertebra:\n    count: 4\n    vbmd: [60, 240]\n    spec: {}\n",
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/data/small_vertebra.yaml")
                    .display()
            ),
            &format!("  csv: {body}\n"),
        );
        write("csv.yaml", &without)
    };
    refuse(&csv_cases("no_such_cases.csv"), "cases.csv", "no such file");
    std::fs::write(dir.path().join("cases.csv"), "case,image\na,a.nii.gz\n").unwrap();
    refuse(&csv_cases("cases.csv"), "cases.csv", "mask");
    refuse(
        &dir.path().join("absent.yaml"),
        "absent.yaml",
        "no such file",
    );
    assert!(!out.join("features.csv").exists());
}

/// features.parquet reads in pandas (pyarrow) and polars with the schema and values of
/// features.csv (tests/data/read_parquet.py). Needs a Python with pandas, pyarrow and polars:
/// `$RADAUDIT_PYTHON` (as `.ci/run` sets it, which makes a missing one a failure) or python3.
#[test]
fn features_parquet_reads_in_pandas_and_polars() {
    let required = std::env::var_os("RADAUDIT_PYTHON").is_some();
    let python = std::env::var("RADAUDIT_PYTHON").unwrap_or_else(|_| "python3".into());
    let has_readers = Command::new(&python)
        .args(["-c", "import pandas, pyarrow, polars"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_readers {
        assert!(
            !required,
            "RADAUDIT_PYTHON={python} lacks pandas, pyarrow or polars"
        );
        println!("skipped: {python} lacks pandas, pyarrow or polars");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let protocol = reduced_protocol(dir.path(), 3, "parquet");
    let out = dir.path().join("run");
    let run = audit(&protocol, &out, &[]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/read_parquet.py");
    let read = Command::new(&python)
        .arg(&script)
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&read.stdout);
    assert!(
        read.status.success() && stdout.starts_with("ok "),
        "{stdout}{}",
        String::from_utf8_lossy(&read.stderr)
    );
}
