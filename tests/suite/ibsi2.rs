//! Issue 21 (IBSI 2 filters), what is built so far: the mean, LoG, Laws, Gabor, separable
//! wavelet and Riesz-transformed LoG filters pass every phase 1 reference response map of theirs by IBSI's rule (every voxel within 1% of the
//! reference map's range), through `ibsi-check --chapter 2` and through `radaudit filter`;
//! the filters not built yet are listed as such; bad filter specifications exit 2 naming the
//! key.

use crate::common;

use std::path::Path;

use radaudit::volume::io::{ReadOptions, read_volume};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The largest |map - reference| and the rule's tolerance (1% of the reference's range).
fn against_reference(map: &Path, reference: &Path) -> (f64, f64) {
    let got = read_volume(map, &ReadOptions::default()).unwrap();
    let want = read_volume(reference, &ReadOptions::default()).unwrap();
    assert_eq!(got.voxels.dim(), want.voxels.dim());
    let (lo, hi) = want
        .voxels
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    let worst = got
        .voxels
        .iter()
        .zip(want.voxels.iter())
        .map(|(a, b)| f64::from((a - b).abs()))
        .fold(0.0, f64::max);
    (worst, 0.01 * f64::from(hi - lo))
}

/// `radaudit ibsi-check --chapter 2` on the IBSI 2 folder `reference`, into `out`.
fn check_chapter_2(reference: &Path, out: &Path) -> common::Run {
    common::radaudit([
        "ibsi-check",
        "--chapter",
        "2",
        "--reference",
        s(reference),
        "--out",
        s(out),
    ])
}

#[test]
fn mean_log_laws_gabor_wavelet_and_riesz_filters_pass_their_phase_1_reference_maps() {
    let reference = reference_or_skip!().join("ibsi2");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("check");
    let run = check_chapter_2(&reference, &out);
    // Simoncelli (and the Riesz transforms that need it or a structure tensor) are not built:
    // the check fails (exit 1).
    assert_eq!(run.code, 1, "{}", run.stderr);
    let csv = std::fs::read_to_string(out.join("phase1.csv")).unwrap();
    let mut built = 0;
    for line in csv.lines().skip(1) {
        let id = line.split(',').next().unwrap();
        let filter_family = id.split('.').next().unwrap();
        if ["1", "2", "3", "4", "5", "6", "7", "9"].contains(&filter_family) && id != "9.b.2" {
            built += 1;
            assert!(line.contains(",pass,"), "{line}");
            // The map written, checked again here against the published map.
            let file = format!("{}.nii.gz", id.replace('.', "_"));
            let (worst, tolerance) = against_reference(
                &out.join("phase1").join(&file),
                &reference.join("phase1/reference_maps").join(&file),
            );
            println!("{id}: max |diff| {worst:.3e}, tolerance {tolerance:.3e}");
            assert!(worst <= tolerance, "{id}: {worst} > {tolerance}");
        } else if filter_family == "9" {
            // 9.b.2 (aligned by a structure tensor) has no reference map and is not built.
            assert!(
                line.starts_with("9.b.2,") && line.contains(",not built,"),
                "{line}"
            );
        } else {
            assert!(line.contains(",not built,"), "{line}");
        }
    }
    assert_eq!(built, 29, "tests 1.a.1 to 7.a.2, 9.a and 9.b.1");
    assert!(
        run.stdout
            .contains("phase 1: 29 of 33 tests with a reference map pass")
    );
}

#[test]
fn the_filter_command_writes_a_response_map_and_refuses_bad_filters() {
    let reference = reference_or_skip!().join("ibsi2");
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("3_b_3.nii.gz");
    let run = common::radaudit([
        "filter",
        "--image",
        s(&reference.join("phase1/phantoms/checkerboard.nii.gz")),
        "--apply",
        "laws:kernel=E3W5R5,invariance=true,pooling=max,energy=7,boundary=mirror",
        "--out",
        s(&map),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (worst, tolerance) =
        against_reference(&map, &reference.join("phase1/reference_maps/3_b_3.nii.gz"));
    assert!(worst <= tolerance, "{worst} > {tolerance}");
    let image = reference.join("phase1/phantoms/impulse.nii.gz");
    for (spec, names) in [
        ("log:sigma=-1", "`sigma`"),
        ("log:sigma=1e308", "`sigma`"),
        ("mean:support=1e9", "`support`"),
        ("laws:kernel=E5L5S5,energy=NaN", "`energy`"),
        ("laws:kernel=E5L5S5,boundary=elsewhere", "`boundary`"),
        ("laws:kernel=E5L5S5,size=3", "`size`"),
        ("gabor:sigma=10,lambda=4,gamma=0.5,dims=3D", "`dims`"),
        ("simoncelli:level=1", "`simoncelli`"),
        ("gabor:sigma=1000,lambda=4,gamma=0.002,theta=0", "cells"),
        ("wavelet:name=db2,band=LHL,level=99", "`level`"),
    ] {
        common::refuses(
            &[
                "filter",
                "--image",
                s(&image),
                "--apply",
                spec,
                "--out",
                s(&dir.path().join("x.nii.gz")),
            ],
            "--apply",
            names,
        );
    }
    assert!(
        !dir.path().join("x.nii.gz").exists(),
        "nothing written for a bad filter"
    );
}

/// Phase 2 on the IBSI CT phantom: every configuration whose filter is built (1.A to 7.B:
/// none, mean, LoG, Laws, Gabor, Daubechies 3) has all 18 intensity statistics within the
/// reference tolerances; the Simoncelli configurations (8.x, 9.x) are listed without values.
/// And the same pipeline through an IBSI parameter file's `filter:` in `extract --convention
/// ibsi`, with the filter's identity in the feature names.
#[test]
fn phase_2_configurations_with_built_filters_meet_every_reference_value() {
    let root = reference_or_skip!();
    let reference = root.join("ibsi2");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("check");
    let run = check_chapter_2(&reference, &out);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let csv = std::fs::read_to_string(out.join("phase2.csv")).unwrap();
    let mut per_config: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let (config, value, pass) = (cells[0], cells[2], cells[5]);
        let entry = per_config.entry(config.to_string()).or_default();
        entry.1 += 1;
        if config.starts_with('8') || config.starts_with('9') {
            assert!(value.is_empty(), "{line}");
        } else {
            assert_eq!(pass, "true", "{line}");
            entry.0 += 1;
        }
    }
    assert_eq!(per_config.len(), 18, "{per_config:?}");
    let built: usize = per_config.values().map(|(p, _)| p).sum();
    assert_eq!(built, 14 * 18, "{per_config:?}");
    assert_eq!(per_config.values().map(|(_, n)| n).sum::<usize>(), 323);
    assert!(
        run.stdout
            .contains("phase 2: 252 of 323 rows within tolerance"),
        "{}",
        run.stdout
    );

    // Configuration 3.B through a parameter file.
    let params = dir.path().join("log.yaml");
    std::fs::write(
        &params,
        "convention: ibsi\nround_intensities: true\ninterpolation: {spacing: [1, 1, 1], image: cubic, roi_threshold: 0.5}\nresegment: {range: [-1000, 400]}\nfilter: \"log:sigma=1.5,cutoff=4,boundary=mirror\"\n",
    )
    .unwrap();
    let ct = root.join("ibsi1/ct_phantom/nifti");
    let table = dir.path().join("log.csv");
    let run = common::radaudit([
        "extract",
        "--convention",
        "ibsi",
        "--image",
        s(&ct.join("image/phantom.nii.gz")),
        "--mask",
        s(&ct.join("mask/mask.nii.gz")),
        "--params",
        s(&params),
        "--out",
        s(&table),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(&table).unwrap();
    let value = |name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name},")))
            .unwrap_or_else(|| panic!("{name} not in {text}"))
            .parse()
            .unwrap()
    };
    let references =
        std::fs::read_to_string(reference.join("phase2/reference_values.csv")).unwrap();
    let mut checked = 0;
    for line in references.lines().filter(|l| l.starts_with("3.B,")) {
        let cells: Vec<&str> = line.split(',').collect();
        let (tag, want, tolerance): (&str, f64, f64) = (
            cells[2],
            cells[4].parse().unwrap(),
            cells[5].parse().unwrap(),
        );
        let got = value(&format!("log-sigma-1.5-cutoff-4-boundary-mirror_{tag}"));
        assert!(
            (got - want).abs() <= tolerance,
            "{tag}: {got} vs {want} ± {tolerance}"
        );
        checked += 1;
    }
    assert_eq!(checked, 18);
    // A bad filter in a parameter file names the key.
    std::fs::write(&params, "convention: ibsi\nfilter: \"log:sigma=0\"\n").unwrap();
    common::refuses(
        &[
            "extract",
            "--convention",
            "ibsi",
            "--image",
            s(&ct.join("image/phantom.nii.gz")),
            "--mask",
            s(&ct.join("mask/mask.nii.gz")),
            "--params",
            s(&params),
        ],
        "filter",
        "`sigma`",
    );
}
