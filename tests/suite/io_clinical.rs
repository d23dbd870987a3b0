//! Real clinical inputs (issue 19): TotalSegmentator's example, a Siemens CT series stored as
//! JPEG 2000 and its label map written on a grid flipped in y, against the values SimpleITK
//! gives in `clinical/totalsegmentator/expected.json`.

use crate::common;
use crate::common::numbers;

use radaudit::features::on_image_grid;
use radaudit::volume::io::{ReadOptions, read_mask, read_volume};

/// `ours` holds the 107 features of vertebra T12 that PyRadiomics gives on the
/// SimpleITK-decoded series (tests/data/totalsegmentator_t12_pyradiomics.csv) within 1e-6.
fn assert_t12_is_pyradiomics(ours: &std::collections::HashMap<&str, f64>, what: &str) {
    let peer = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/totalsegmentator_t12_pyradiomics.csv"),
    )
    .unwrap();
    let mut compared = 0;
    for (name, value) in peer.lines().skip(1).filter_map(|l| l.split_once(',')) {
        let theirs: f64 = value.parse().unwrap();
        let mine = ours[name];
        assert!(
            (mine - theirs).abs() <= 1e-6 * theirs.abs().max(1e-12),
            "{name}: {what} {mine}, PyRadiomics {theirs}"
        );
        compared += 1;
    }
    assert_eq!(compared, 107);
}

fn expected(r: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(r.join("clinical/totalsegmentator/expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The JPEG 2000 series reads with SimpleITK's geometry and HU (min, max, mean, sum).
#[test]
fn the_totalsegmentator_jpeg2000_series_equals_simpleitk() {
    let r = reference_or_skip!();
    let want = &expected(&r)["ct_dicom"];
    let ct = read_volume(
        &r.join("clinical/totalsegmentator/example_ct_dicom"),
        &ReadOptions::default(),
    )
    .unwrap();
    let g = &ct.geometry;
    assert_eq!(g.size.map(|n| n as f64).to_vec(), numbers(&want["size"]));
    for (a, b) in g.spacing.iter().zip(numbers(&want["spacing"])) {
        assert!((a - b).abs() < 1e-6, "spacing {:?}", g.spacing);
    }
    for (a, b) in g.origin.iter().zip(numbers(&want["origin"])) {
        assert!((a - b).abs() < 1e-4, "origin {:?}", g.origin);
    }
    let direction: Vec<f64> = g.direction.iter().flatten().copied().collect();
    for (a, b) in direction.iter().zip(numbers(&want["direction"])) {
        assert!((a - b).abs() < 1e-6, "direction {direction:?}");
    }
    let hu = ct.as_slice();
    let sum: f64 = hu.iter().map(|v| *v as f64).sum();
    let min = hu.iter().copied().fold(f32::INFINITY, f32::min) as f64;
    let max = hu.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    assert_eq!(min, want["hu"]["min"].as_f64().unwrap());
    assert_eq!(max, want["hu"]["max"].as_f64().unwrap());
    assert_eq!(sum, want["hu"]["sum"].as_f64().unwrap());
    let mean = sum / hu.len() as f64;
    assert!((mean - want["hu"]["mean"].as_f64().unwrap()).abs() < 1e-9);
}

/// The label map, flipped in y against the series, is re-indexed onto it without resampling:
/// every vertebra's voxel count and HU sum equal SimpleITK's nearest-neighbour resampling onto
/// the CT grid; the 3 mm example (same grid) is taken as it is.
#[test]
fn a_flipped_totalsegmentator_label_map_is_reindexed_onto_the_series() {
    let r = reference_or_skip!();
    let want = expected(&r);
    let dir = r.join("clinical/totalsegmentator");
    for (image, mask, key) in [
        (
            dir.join("example_ct_dicom"),
            dir.join("example_seg_dicom.nii.gz"),
            "seg_dicom",
        ),
        (
            dir.join("example_ct_sm.nii.gz"),
            dir.join("example_seg.nii.gz"),
            "seg_sm",
        ),
    ] {
        let ct = read_volume(&image, &ReadOptions::default()).unwrap();
        let seg = read_mask(&mask, &ReadOptions::default()).unwrap();
        let seg = on_image_grid(seg, &ct, &image, &mask);
        assert_eq!(seg.geometry.size, ct.geometry.size);
        let labels = want[key]["labels_on_ct_grid"].as_object().unwrap();
        assert!(!labels.is_empty());
        for (label, facts) in labels {
            let label: u16 = label.parse().unwrap();
            let (mut count, mut sum) = (0u64, 0f64);
            for (l, v) in seg.labels.iter().zip(ct.voxels.iter()) {
                if *l == label {
                    count += 1;
                    sum += *v as f64;
                }
            }
            assert_eq!(
                count,
                facts["voxel_count"].as_u64().unwrap(),
                "{key} {label}"
            );
            if count > 0 {
                assert_eq!(sum, facts["hu_sum"].as_f64().unwrap(), "{key} {label}");
            }
        }
    }
}

/// The extraction takes T12 by name (label 32 in TotalSegmentator v2's table), says it
/// re-indexed the mask, and T12's mean HU is SimpleITK's; its 107 features equal PyRadiomics'
/// on the SimpleITK-decoded series with the label map resampled by SimpleITK
/// (`tests/data/make_totalsegmentator_t12.py`) within 1e-6 relative. A misspelt name is refused
/// with the closest names.
#[test]
fn extract_reindexes_a_flipped_mask_and_says_so() {
    let r = reference_or_skip!();
    let dir = r.join("clinical/totalsegmentator");
    let image = dir.join("example_ct_dicom");
    let mask = dir.join("example_seg_dicom.nii.gz");
    let args = |label| {
        [
            "extract",
            "--image",
            image.to_str().unwrap(),
            "--mask",
            mask.to_str().unwrap(),
            "--label",
            label,
            "--label-table",
            "totalsegmentator",
        ]
    };
    let run = common::radaudit(args("vertebrae_T12"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("y flipped: re-indexed onto the image grid (no resampling)"),
        "{}",
        run.stderr
    );
    let mean: f64 = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("original_firstorder_Mean,"))
        .unwrap()
        .parse()
        .unwrap();
    let want = expected(&r)["seg_dicom"]["labels_on_ct_grid"]["32"]["hu_mean"]
        .as_f64()
        .unwrap();
    assert!((mean - want).abs() < 1e-9, "{mean} vs {want}");
    let ours: std::collections::HashMap<&str, f64> = run
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .map(|(k, v)| (k, v.parse().unwrap()))
        .collect();
    assert_t12_is_pyradiomics(&ours, "extract");
    common::refuses(
        &args("vertebra_T12"),
        "--label vertebra_T12",
        "no such structure in TotalSegmentator v2 (total); the closest names are vertebrae_T12",
    );
}

/// An implicit VR little endian series (the IBSI CT phantom, 60 slices) reads voxel for voxel
/// like its explicit VR little endian copy, with the same geometry.
#[test]
fn an_implicit_vr_series_reads_like_its_explicit_vr_copy() {
    let r = reference_or_skip!();
    let implicit = r.join("ibsi1/ct_phantom/dicom/image");
    let dir = tempfile::tempdir().unwrap();
    let mut files = 0;
    for entry in std::fs::read_dir(&implicit).unwrap() {
        let path = entry.unwrap().path();
        let mut obj = dicom_object::open_file(&path).unwrap();
        assert_eq!(
            obj.meta().transfer_syntax().trim_end_matches('\0'),
            "1.2.840.10008.1.2"
        );
        obj.meta_mut().transfer_syntax = "1.2.840.10008.1.2.1".into();
        obj.meta_mut().update_information_group_length();
        obj.write_to_file(dir.path().join(path.file_name().unwrap()))
            .unwrap();
        files += 1;
    }
    assert_eq!(files, 60);
    let a = read_volume(&implicit, &ReadOptions::default()).unwrap();
    let b = read_volume(dir.path(), &ReadOptions::default()).unwrap();
    let written = dicom_object::open_file(
        std::fs::read_dir(dir.path())
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path(),
    )
    .unwrap();
    assert_eq!(
        written.meta().transfer_syntax().trim_end_matches('\0'),
        "1.2.840.10008.1.2.1"
    );
    assert_eq!(a.geometry, b.geometry);
    assert!(a.as_slice() == b.as_slice());
}

/// `info --json` on a DICOM series gives its scanner and acquisition facts, as pydicom reads
/// them from the first file (`expected.json`'s `ct_dicom.files[0]`).
#[test]
fn info_gives_the_series_scanner_and_acquisition() {
    let r = reference_or_skip!();
    let want = &expected(&r)["ct_dicom"]["files"][0];
    let run = common::radaudit([
        "info",
        r.join("clinical/totalsegmentator/example_ct_dicom")
            .to_str()
            .unwrap(),
        "--json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let info: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let a = &info["acquisition"];
    assert_eq!(a["manufacturer"], want["manufacturer"]);
    assert_eq!(a["model"], want["model"]);
    let number = |v: &serde_json::Value| -> f64 {
        v.as_str()
            .map_or_else(|| v.as_f64().unwrap(), |s| s.parse().unwrap())
    };
    assert_eq!(a["kvp"].as_f64().unwrap(), number(&want["kvp"]));
    assert_eq!(
        a["slice_thickness_mm"].as_f64().unwrap(),
        number(&want["slice_thickness"])
    );
    assert_eq!(
        a["exposure_mas"].as_f64().unwrap(),
        number(&want["exposure"])
    );
    let kernel: Vec<&str> = want["convolution_kernel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(a["kernel"], kernel.join("\\"));
}

/// The second README example, `protocols/real-ct-vertebrae.yaml`: an audit of five real
/// vertebrae taken by TotalSegmentator name from a cases CSV (JPEG 2000 series with its flipped
/// label map, and the 3 mm example). It runs; T12's baseline rows equal PyRadiomics' 107
/// features on the SimpleITK-decoded series (the oracle of tests/data); a name no table holds
/// is refused naming the CSV row.
#[test]
fn the_real_ct_vertebrae_audit_runs_and_its_t12_baseline_is_pyradiomics() {
    let _ = reference_or_skip!();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("audit");
    let run = common::radaudit([
        "audit",
        root.join("protocols/real-ct-vertebrae.yaml")
            .to_str()
            .unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("cases completed 5 / 5"),
        "{}",
        run.stderr
    );
    let features = std::fs::read_to_string(out.join("features.csv")).unwrap();
    let baseline: std::collections::HashMap<&str, f64> = features
        .lines()
        .filter(|l| l.starts_with("ts-T12,baseline,"))
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[6], cells[7].parse().unwrap())
        })
        .collect();
    assert_t12_is_pyradiomics(&baseline, "audit baseline");
    // A structure name the table does not hold, in a cases CSV.
    let csv = dir.path().join("cases.csv");
    let shared = root.join("../shared/reference/clinical/totalsegmentator");
    std::fs::write(
        &csv,
        format!(
            "case,image,mask,label\na,{},{},vertebrae_T99\n",
            shared.join("example_ct_sm.nii.gz").display(),
            shared.join("example_seg.nii.gz").display()
        ),
    )
    .unwrap();
    let run = common::radaudit([
        "extract",
        "--cases",
        csv.to_str().unwrap(),
        "--label-table",
        "totalsegmentator",
        "--out",
        dir.path().join("f.csv").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let errors = std::fs::read_to_string(dir.path().join("f.errors.csv")).unwrap();
    assert!(
        errors.contains("vertebrae_T99") && errors.contains("closest names are vertebrae_T"),
        "{errors}"
    );
}

/// A folder of per-structure masks, as TotalSegmentator writes by default
/// (`vertebrae_L1.nii.gz`, ...): `--mask FOLDER --label vertebrae_L1` gives the features of
/// the label map's L1 taken by name; an unknown structure names the closest files.
#[test]
fn a_folder_of_per_structure_masks_is_taken_by_name() {
    let r = reference_or_skip!();
    let t = r.join("clinical/totalsegmentator");
    let (image, map) = (t.join("example_ct_sm.nii.gz"), t.join("example_seg.nii.gz"));
    let labels = read_mask(&map, &ReadOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("segmentations");
    std::fs::create_dir(&folder).unwrap();
    for (name, id) in [
        ("vertebrae_L1", 31u16),
        ("vertebrae_L2", 30),
        ("vertebrae_T12", 32),
    ] {
        let mut one = labels.clone();
        one.labels.mapv_inplace(|l| u16::from(l == id));
        radaudit::volume::io::write_mask(
            &one,
            &folder.join(format!("{name}.nii.gz")),
            &Default::default(),
        )
        .unwrap();
    }
    let extract = |mask: &std::path::Path, extra: &[&str]| {
        let mut args = vec![
            "extract",
            "--image",
            image.to_str().unwrap(),
            "--mask",
            mask.to_str().unwrap(),
            "--label",
            "vertebrae_L1",
        ];
        args.extend_from_slice(extra);
        let run = common::radaudit(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
    };
    let from_folder = extract(&folder, &[]);
    let from_map = extract(&map, &["--label-table", "totalsegmentator"]);
    assert!(from_folder.lines().count() > 100);
    assert_eq!(from_folder, from_map);
    common::refuses(
        &[
            "extract",
            "--image",
            image.to_str().unwrap(),
            "--mask",
            folder.to_str().unwrap(),
            "--label",
            "vertebrae_L3",
        ],
        "vertebrae_L3",
        "vertebrae_L1",
    );
}

/// A harmonization covariate that the cases CSV lacks is read from a DICOM case's header
/// (`kvp`, `exposure_mas`, ...): the audit runs on the two JPEG 2000 series cases; a NIfTI
/// case, whose file has no header to give it, is refused naming its row.
#[test]
fn audit_covariates_come_from_dicom_headers() {
    let r = reference_or_skip!();
    let t = r.join("clinical/totalsegmentator");
    let dir = tempfile::tempdir().unwrap();
    let series = t.join("example_ct_dicom");
    let map = t.join("example_seg_dicom.nii.gz");
    let mut csv = format!(
        "case,image,mask,label\na,{s},{m},vertebrae_T11\nb,{s},{m},vertebrae_T12\n",
        s = series.display(),
        m = map.display()
    );
    let protocol = dir.path().join("p.yaml");
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("protocols/real-ct-vertebrae.yaml"),
    )
    .unwrap()
    .replace("csv: real-ct-vertebrae-cases.csv", "csv: cases.csv")
        + "harmonization:\n  axis: scanner\n  covariates: [kvp]\n";
    std::fs::write(&protocol, text).unwrap();
    std::fs::write(dir.path().join("cases.csv"), &csv).unwrap();
    let out = dir.path().join("out");
    let run = common::radaudit([
        "audit",
        protocol.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("cases completed 2 / 2"),
        "{}",
        run.stderr
    );
    csv.push_str(&format!(
        "c,{},{},vertebrae_L1\n",
        t.join("example_ct_sm.nii.gz").display(),
        t.join("example_seg.nii.gz").display()
    ));
    std::fs::write(dir.path().join("cases.csv"), &csv).unwrap();
    common::refuses(
        &[
            "audit",
            protocol.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        "row 4 (case c): covariate kvp",
        "the image is not DICOM",
    );
}

/// `label:` in a parameter file may be a structure name (a radaudit extension: PyRadiomics
/// takes a number), resolved like `--label`: through `--label-table`, or an RTSTRUCT's ROIs.
#[test]
fn a_parameter_files_label_may_be_a_name() {
    let r = reference_or_skip!();
    let t = r.join("clinical/totalsegmentator");
    let (image, map) = (t.join("example_ct_sm.nii.gz"), t.join("example_seg.nii.gz"));
    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("p.yaml");
    std::fs::write(&params, "setting:\n  binWidth: 25\n  label: vertebrae_L1\n").unwrap();
    let by_file = common::radaudit([
        "extract",
        "--image",
        image.to_str().unwrap(),
        "--mask",
        map.to_str().unwrap(),
        "--params",
        params.to_str().unwrap(),
        "--label-table",
        "totalsegmentator",
    ]);
    assert_eq!(by_file.code, 0, "{}", by_file.stderr);
    let by_flag = common::radaudit([
        "extract",
        "--image",
        image.to_str().unwrap(),
        "--mask",
        map.to_str().unwrap(),
        "--label",
        "31",
    ]);
    assert_eq!(by_file.stdout, by_flag.stdout);
    assert!(by_file.stdout.lines().count() > 100);
    // The IBSI CT phantom's structure set names its ROI.
    std::fs::write(&params, "setting:\n  label: GTV-1\n").unwrap();
    let phantom = r.join("ibsi1/ct_phantom/dicom");
    let run = common::radaudit([
        "extract",
        "--image",
        phantom.join("image").to_str().unwrap(),
        "--mask",
        phantom.join("mask/DCM_RS_00060.dcm").to_str().unwrap(),
        "--params",
        params.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Without a table, a label map has no names.
    common::refuses(
        &[
            "extract",
            "--image",
            image.to_str().unwrap(),
            "--mask",
            map.to_str().unwrap(),
            "--params",
            params.to_str().unwrap(),
        ],
        "GTV-1",
        "needs --label-table",
    );
}

/// Issue 24: `extract --cases --format wide` writes one row per case with the cases CSV's own
/// columns (site, age) and the DICOM series' scanner facts as pydicom reads them (empty for the
/// NIfTI case), then the features: T12's row is PyRadiomics' 107 values. The table is what
/// `harmonize --batch manufacturer,kernel` takes; a wide table of one case is refused.
#[test]
fn a_wide_batch_table_carries_the_scanner_facts_of_dicom_series() {
    let r = reference_or_skip!();
    let ts = r.join("clinical/totalsegmentator");
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases.csv");
    let p = |name: &str| ts.join(name).to_str().unwrap().to_string();
    std::fs::write(
        &cases,
        format!(
            "case,image,mask,label,site,age\nts-T12,{},{},vertebrae_T12,berlin,71\nts3mm-L1,{},{},vertebrae_L1,\"lyon, east\",64\n",
            p("example_ct_dicom"),
            p("example_seg_dicom.nii.gz"),
            p("example_ct_sm.nii.gz"),
            p("example_seg.nii.gz"),
        ),
    )
    .unwrap();
    let out = dir.path().join("wide.csv");
    let run = common::radaudit([
        "extract",
        "--cases",
        cases.to_str().unwrap(),
        "--label-table",
        "totalsegmentator",
        "--format",
        "wide",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let table = radaudit::table::Table::read(&out).unwrap();
    let want = &expected(&r)["ct_dicom"]["files"][0];
    assert_eq!(
        &table.headers()[..8],
        [
            "case",
            "site",
            "age",
            "manufacturer",
            "model",
            "kernel",
            "kvp",
            "slice_thickness_mm"
        ]
    );
    assert_eq!(table.text("site").unwrap(), ["berlin", "lyon, east"]);
    assert_eq!(
        table.text("manufacturer").unwrap(),
        [want["manufacturer"].as_str().unwrap(), ""]
    );
    assert_eq!(
        table.text("model").unwrap()[0],
        want["model"].as_str().unwrap()
    );
    assert_eq!(table.text("kernel").unwrap()[0], "Br38f\\3");
    assert_eq!(table.text("kvp").unwrap(), ["120", ""]);
    let t12: std::collections::HashMap<&str, f64> = table
        .headers()
        .iter()
        .enumerate()
        .filter(|(_, h)| h.starts_with("original_"))
        .map(|(k, h)| (h.as_str(), table.rows[0][k].parse::<f64>().unwrap()))
        .collect();
    assert_t12_is_pyradiomics(&t12, "the wide table's T12 row");
    let run = common::radaudit([
        "extract",
        "--image",
        &p("example_ct_sm.nii.gz"),
        "--mask",
        &p("example_seg.nii.gz"),
        "--label",
        "5",
        "--format",
        "wide",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--format wide"), "{}", run.stderr);
}
