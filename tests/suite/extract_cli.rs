//! `radaudit extract` end to end: single case (CSV, JSON, file output), batch mode with a
//! failing case, and acceptance 4's bad inputs (each exit code 2 with a clear message).

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{radaudit, refuses};
use radaudit::volume::builtin::{digital_phantom_image, digital_phantom_mask};
use radaudit::volume::io::{WriteOptions, write_mask, write_volume};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The IBSI digital phantom image and mask as NRRD files in `dir`.
fn phantom_files(dir: &Path) -> (PathBuf, PathBuf) {
    let (image, mask) = (dir.join("image.nrrd"), dir.join("mask.nrrd"));
    write_volume(&digital_phantom_image(), &image, &WriteOptions::default()).unwrap();
    write_mask(&digital_phantom_mask(), &mask, &WriteOptions::default()).unwrap();
    (image, mask)
}

fn params(dir: &Path, name: &str, yaml: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, yaml).unwrap();
    p
}

#[test]
fn single_case_writes_csv_json_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = phantom_files(dir.path());
    let run = radaudit(["extract", "--image", s(&image), "--mask", s(&mask)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "feature,value");
    assert_eq!(lines.len(), 108, "header + 107 features");
    // 74 voxels of 8 mm3 (IBSI 1: voxel-counting volume 592 mm3).
    assert!(
        lines.contains(&"original_shape_VoxelVolume,592"),
        "{}",
        run.stdout
    );
    let out = dir.path().join("features.json");
    let run = radaudit([
        "extract",
        "--image",
        s(&image),
        "--mask",
        s(&mask),
        "--format",
        "json",
        "--out",
        s(&out),
        "--timings",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("glcm:"),
        "timings on stderr: {}",
        run.stderr
    );
    let json: serde_json::Value = serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(json.as_object().unwrap().len(), 107);
    assert_eq!(json["original_firstorder_Maximum"], 6.0);
    // A feature list in the parameter file restricts the output.
    let p = params(
        dir.path(),
        "few.yaml",
        "featureClass:\n  glcm: [Contrast, Idmn]\n  firstorder:\n",
    );
    let run = radaudit([
        "extract",
        "--image",
        s(&image),
        "--mask",
        s(&mask),
        "--params",
        s(&p),
    ]);
    assert_eq!(run.stdout.lines().count(), 1 + 2 + 18, "{}", run.stdout);
}

#[test]
fn batch_runs_every_case_and_records_failures() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = phantom_files(dir.path());
    let cases = dir.path().join("cases.csv");
    fs::write(
        &cases,
        format!(
            "case,image,mask,label\nfirst,{},{},1\nbroken,missing.nrrd,mask.nrrd,\nthird,image.nrrd,mask.nrrd,\n",
            s(&image),
            s(&mask)
        ),
    )
    .unwrap();
    let out = dir.path().join("features.csv");
    let run = radaudit(["extract", "--cases", s(&cases), "--out", s(&out)]);
    assert_eq!(
        run.code, 2,
        "a failed case gives exit code 2: {}",
        run.stderr
    );
    let table = fs::read_to_string(&out).unwrap();
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows[0], "case,feature,value");
    assert_eq!(rows.len(), 1 + 2 * 107, "the two good cases are complete");
    assert!(rows[1].starts_with("first,") && rows[108].starts_with("third,"));
    let errors = fs::read_to_string(dir.path().join("features.errors.csv")).unwrap();
    assert!(errors.starts_with("case,error\nbroken,"), "{errors}");
    assert!(
        errors.contains("missing.nrrd") && errors.contains("no such file"),
        "{errors}"
    );
    // The same two cases give the same numbers as single-case extraction.
    let single = radaudit(["extract", "--image", s(&image), "--mask", s(&mask)]);
    let expected: Vec<String> = single
        .stdout
        .lines()
        .skip(1)
        .map(|l| format!("first,{l}"))
        .collect();
    assert_eq!(rows[1..108].to_vec(), expected);
    // Bad cases files.
    let bad = dir.path().join("bad.csv");
    fs::write(&bad, "id,image,mask\n1,a,b\n").unwrap();
    refuses(
        &["extract", "--cases", s(&bad), "--out", s(&out)],
        "bad.csv",
        "columns case, image and mask",
    );
    // A label is a number from 1 to 65535 or a structure name (resolved per case).
    fs::write(&bad, "case,image,mask,label\nx,a,b,0\n").unwrap();
    refuses(
        &["extract", "--cases", s(&bad), "--out", s(&out)],
        "bad.csv",
        "row 2: label 0: a label is a number from 1 to 65535",
    );
}

#[test]
fn bad_rois_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = phantom_files(dir.path());
    // Empty ROI: an all-background mask.
    let mut empty = digital_phantom_mask();
    empty.labels.fill(0);
    let empty_path = dir.path().join("empty.nrrd");
    write_mask(&empty, &empty_path, &WriteOptions::default()).unwrap();
    refuses(
        &["extract", "--image", s(&image), "--mask", s(&empty_path)],
        "empty.nrrd",
        "holds no label",
    );
    // Label absent from the mask.
    refuses(
        &[
            "extract",
            "--image",
            s(&image),
            "--mask",
            s(&mask),
            "--label",
            "5",
        ],
        "mask.nrrd",
        "label 5 is not present in the mask; it holds 1",
    );
    // A one-slice ROI under minimumROIDimensions 3; a 74-voxel ROI under minimumROISize 100.
    let mut flat = digital_phantom_mask();
    flat.labels.slice_mut(ndarray::s![1.., .., ..]).fill(0);
    let flat_path = dir.path().join("flat.nrrd");
    write_mask(&flat, &flat_path, &WriteOptions::default()).unwrap();
    let dims = params(
        dir.path(),
        "dims.yaml",
        "setting:\n  minimumROIDimensions: 3\n",
    );
    refuses(
        &[
            "extract",
            "--image",
            s(&image),
            "--mask",
            s(&flat_path),
            "--params",
            s(&dims),
        ],
        "flat.nrrd",
        "spans 2 dimension(s), fewer than minimumROIDimensions = 3",
    );
    let size = params(dir.path(), "size.yaml", "setting:\n  minimumROISize: 100\n");
    refuses(
        &[
            "extract",
            "--image",
            s(&image),
            "--mask",
            s(&mask),
            "--params",
            s(&size),
        ],
        "mask.nrrd",
        "has 74 voxels, not more than minimumROISize = 100",
    );
    // A single-voxel ROI.
    let mut one = digital_phantom_mask();
    one.labels.fill(0);
    one.labels[(0, 0, 0)] = 1;
    let one_path = dir.path().join("one.nrrd");
    write_mask(&one, &one_path, &WriteOptions::default()).unwrap();
    refuses(
        &["extract", "--image", s(&image), "--mask", s(&one_path)],
        "one.nrrd",
        "single voxel",
    );
}

#[test]
fn grid_mismatch_beyond_tolerance_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (image, _) = phantom_files(dir.path());
    let mut shifted = digital_phantom_mask();
    shifted.geometry.origin[0] += 0.01; // 0.5% of the 2 mm spacing
    let shifted_path = dir.path().join("shifted.nrrd");
    write_mask(&shifted, &shifted_path, &WriteOptions::default()).unwrap();
    refuses(
        &["extract", "--image", s(&image), "--mask", s(&shifted_path)],
        "shifted.nrrd",
        "image and mask grids differ (origin differs along x",
    );
    // Within a wider geometryTolerance the same pair is accepted, as in PyRadiomics.
    let tol = params(
        dir.path(),
        "tol.yaml",
        "setting:\n  geometryTolerance: 0.01\n",
    );
    let run = radaudit([
        "extract",
        "--image",
        s(&image),
        "--mask",
        s(&shifted_path),
        "--params",
        s(&tol),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn bad_parameter_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = phantom_files(dir.path());
    let cases = [
        (
            "lbp.yaml",
            "imageType:\n  Original: {}\n  LBP3D: {lbp3DIcosphereSubdivision: 6}\n",
            "imageType.LBP3D.lbp3DIcosphereSubdivision: expected an integer from 0 to 5",
        ),
        (
            "typo.yaml",
            "setting:\n  binwidth: 25\n",
            "setting: unknown key(s) binwidth",
        ),
        (
            "string.yaml",
            "setting:\n  binWidth: \"25\"\n",
            "setting.binWidth: expected a number, got the string \"25\"",
        ),
        (
            "negative.yaml",
            "setting:\n  binWidth: -5\n",
            "setting.binWidth: expected a number > 0",
        ),
        (
            "voxel.yaml",
            "voxelSetting:\n  kernelRadius: 2\n",
            "unsupported top-level key(s) voxelSetting",
        ),
        (
            "class.yaml",
            "featureClass:\n  glcm: [Dissimilarity]\n",
            "Dissimilarity is deprecated in PyRadiomics",
        ),
        ("broken.yaml", "setting: [unclosed\n", "invalid YAML"),
    ];
    for (name, text, problem) in cases {
        let p = params(dir.path(), name, text);
        refuses(
            &[
                "extract",
                "--image",
                s(&image),
                "--mask",
                s(&mask),
                "--params",
                s(&p),
            ],
            name,
            problem,
        );
    }
    let json = params(dir.path(), "p.json", "{\"setting\": {\"binWidth\": true}}");
    refuses(
        &[
            "extract",
            "--image",
            s(&image),
            "--mask",
            s(&mask),
            "--params",
            s(&json),
        ],
        "p.json",
        "expected a number, got the boolean true",
    );
    refuses(
        &[
            "extract",
            "--image",
            s(&image),
            "--mask",
            s(&mask),
            "--params",
            "nowhere.yaml",
        ],
        "nowhere.yaml",
        "no such file",
    );
}

/// `--label` in batch mode applies to every case whose row gives no label: a case whose mask
/// holds that label gets the same features as a single-case extraction with `--label`, a case
/// whose mask lacks it fails (named in the errors file, exit code 2).
#[test]
fn batch_label_from_the_command_line_applies_to_every_case() {
    let py = reference_or_skip!().join("pyradiomics/data");
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = (
        py.join("prostate_phantom_subvolume.nrrd"),
        py.join("prostate_phantom_subvolume-label.nrrd"),
    );
    let cases = dir.path().join("cases.csv");
    std::fs::write(
        &cases,
        format!(
            "case,image,mask\nprostate,{},{}\nbrain1,{},{}\n",
            image.display(),
            mask.display(),
            py.join("brain1_image.nrrd").display(),
            py.join("brain1_label.nrrd").display()
        ),
    )
    .unwrap();
    let out = dir.path().join("batch.csv");
    let s = |p: &std::path::Path| p.to_str().unwrap().to_string();
    let batch = common::radaudit([
        "extract",
        "--cases",
        &s(&cases),
        "--out",
        &s(&out),
        "--label",
        "7",
    ]);
    assert_eq!(batch.code, 2, "{}", batch.stderr);
    let errors = std::fs::read_to_string(dir.path().join("batch.errors.csv")).unwrap();
    assert!(
        errors.contains("brain1,") && errors.contains("label 7 is not present"),
        "{errors}"
    );
    assert!(!errors.contains("prostate"), "{errors}");
    let single = common::radaudit([
        "extract",
        "--image",
        &s(&image),
        "--mask",
        &s(&mask),
        "--label",
        "7",
    ]);
    assert_eq!(single.code, 0, "{}", single.stderr);
    let batch_rows: Vec<String> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.strip_prefix("prostate,").unwrap().to_string())
        .collect();
    let single_rows: Vec<String> = single.stdout.lines().skip(1).map(String::from).collect();
    assert_eq!(batch_rows.len(), 107);
    assert_eq!(batch_rows, single_rows);
    // And label 7 is not label 1: the command line's label was applied.
    let label1 = common::radaudit(["extract", "--image", &s(&image), "--mask", &s(&mask)]);
    assert_ne!(label1.stdout, single.stdout);
}
