//! The `info` and `convert` commands end to end, including the README's main command.

use crate::common;

use common::radaudit;

/// The README's main command: the built-in phantom and its mask, grids checked.
#[test]
fn readme_main_command_describes_the_builtin_phantom() {
    let run = radaudit([
        "info",
        "builtin:ibsi-digital",
        "--mask",
        "builtin:ibsi-digital-mask",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("size:        5 x 4 x 4 (80 voxels)"),
        "{}",
        run.stdout
    );
    // IBSI 1: 74 ROI voxels of 8 mm3 = 592 mm3 (the voxel-counting volume, YEKZ).
    assert!(
        run.stdout.contains("1: 74 voxels (592 mm3)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("image and mask grids agree"));
}

#[test]
fn info_json_lists_labels_of_the_prostate_mask() {
    let r = reference_or_skip!();
    let mask = r.join("pyradiomics/data/prostate_phantom_subvolume-label.nrrd");
    let run = radaudit(["info", mask.to_str().unwrap(), "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let info: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(info["kind"], "mask");
    let labels: Vec<(u64, u64)> = info["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["label"].as_u64().unwrap(), l["voxels"].as_u64().unwrap()))
        .collect();
    // PyRadiomics' own counts for this test case.
    assert_eq!(labels, [(1, 168), (7, 170), (8, 2997), (9, 9088)]);
    assert_eq!(info["spacing"], serde_json::json!([0.5, 0.5, 3.0]));
}

#[test]
fn convert_dicom_series_to_nifti_keeps_hu_and_grid() {
    let r = reference_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ct.nii.gz");
    let dicom = r.join("ibsi1/ct_phantom/dicom/image");
    let run = radaudit(["convert", dicom.to_str().unwrap(), out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = radaudit(["info", out.to_str().unwrap(), "--json"]);
    let info: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(info["size"], serde_json::json!([204, 201, 60]));
    assert_eq!(info["min"], -1000.0);
    assert_eq!(info["max"], 3065.0);
    // HU need a signed type after RescaleIntercept -1024 on unsigned storage.
    assert_eq!(info["pixel_type"], "int16");
    let only = |name: &str| {
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains(name)
            })
            .count()
    };
    assert_eq!(only("partial"), 0, "no temporary file is left behind");
}

#[test]
fn a_closed_output_pipe_ends_quietly_without_a_panic() {
    // `radaudit extract ... | head -1`: the reader goes away before radaudit writes.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_radaudit"))
        .args([
            "extract",
            "--image",
            "builtin:ibsi-digital",
            "--mask",
            "builtin:ibsi-digital-mask",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

/// `--threads 100000` (issue 20: it hung building the pool) is refused with its range, for
/// `audit` and `merge`, before anything runs.
#[test]
fn a_thread_count_beyond_1024_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let protocol =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("protocols/vertebra-ct.yaml");
    let out = dir.path().join("run");
    for args in [
        vec![
            "audit",
            protocol.to_str().unwrap(),
            "--threads",
            "100000",
            "--out",
            out.to_str().unwrap(),
        ],
        vec!["merge", out.to_str().unwrap(), "--threads", "0"],
    ] {
        let run = radaudit(&args);
        assert_eq!(run.code, 2, "{}", run.stderr);
        let first = run.stderr.lines().next().unwrap_or("");
        assert!(
            first.contains("--threads") && first.contains("from 1 to 1024"),
            "{first}"
        );
        assert!(!out.exists(), "nothing is written");
    }
}
