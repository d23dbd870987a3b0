//! RTSTRUCT contours rasterised onto an image's grid (issue 19, acceptance 3): the rt-utils
//! and MIM structure sets on their GE phantom CT give the voxel counts, per slice, and the HU
//! sums of `clinical/seg_rtstruct/rtutils_rtstruct/expected.json` under its `centre_xor` rule
//! (radaudit's documented rule), and the IBSI CT phantom's structure set rasterises to its
//! NIfTI mask (Dice >= 0.99).

use crate::common;

use radaudit::volume::io::rtstruct::{self, rasterise};
use radaudit::volume::io::{ReadOptions, read_mask, read_volume};
use serde_json::Value;

fn expected(r: &std::path::Path) -> Value {
    let path = r.join("clinical/seg_rtstruct/rtutils_rtstruct/expected.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn rt_utils_and_mim_structure_sets_give_the_expected_centre_xor_counts() {
    let r = reference_or_skip!();
    let dir = r.join("clinical/seg_rtstruct/rtutils_rtstruct");
    let want = expected(&r);
    let ct = read_volume(&dir.join("ct"), &ReadOptions::default()).unwrap();
    let mut checked = 0;
    for file in [
        "rt.dcm",
        "non_existent_reference_rt.dcm",
        "invalid_reference_rt.dcm",
    ] {
        let set = rtstruct::read(&dir.join(file)).unwrap();
        let rasters = &want["rtstruct_files"][file]["rasterised_on_ct"];
        for (name, rules) in rasters.as_object().unwrap() {
            let rule = &rules["centre_xor"];
            let roi = set.roi(name).unwrap();
            let raster = rasterise(roi, &ct.geometry).unwrap();
            let per_slice: Vec<u64> = raster
                .inside
                .outer_iter()
                .map(|s| s.iter().filter(|v| **v).count() as u64)
                .collect();
            let expected_slices: Vec<u64> = rule["voxels_per_slice"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            assert_eq!(per_slice, expected_slices, "{file} {name}");
            let hu_sum: f64 = ct
                .voxels
                .iter()
                .zip(&raster.inside)
                .filter(|(_, m)| **m)
                .map(|(v, _)| f64::from(*v))
                .sum();
            assert_eq!(hu_sum, rule["hu_sum"].as_f64().unwrap(), "{file} {name}");
            let unplaced = rules["contours_with_no_matching_ct_slice"]
                .as_array()
                .unwrap();
            assert_eq!(raster.unplaced, unplaced.len(), "{file} {name}");
            checked += 1;
        }
    }
    assert_eq!(checked, 9);
}

/// The IBSI CT phantom's own structure set, on its DICOM series, against its NIfTI mask.
#[test]
fn the_ibsi_ct_phantom_structure_set_rasterises_to_its_nifti_mask() {
    let r = reference_or_skip!();
    let phantom = r.join("ibsi1/ct_phantom");
    let ct = read_volume(&phantom.join("dicom/image"), &ReadOptions::default()).unwrap();
    let set = rtstruct::read(&phantom.join("dicom/mask/DCM_RS_00060.dcm")).unwrap();
    assert_eq!(
        set.rois.len(),
        1,
        "{:?}",
        set.rois.iter().map(|r| &r.name).collect::<Vec<_>>()
    );
    let raster = rasterise(&set.rois[0], &ct.geometry).unwrap();
    assert_eq!(raster.unplaced, 0);
    let nifti = read_mask(
        &phantom.join("nifti/mask/mask.nii.gz"),
        &ReadOptions::default(),
    )
    .unwrap();
    let here = std::path::Path::new("");
    let nifti = radaudit::features::on_image_grid(nifti, &ct, here, here);
    let (mut both, mut ours, mut theirs) = (0usize, 0usize, 0usize);
    for (a, b) in raster.inside.iter().zip(nifti.labels.iter()) {
        let b = *b != 0;
        both += usize::from(*a && b);
        ours += usize::from(*a);
        theirs += usize::from(b);
    }
    let dice = 2.0 * both as f64 / (ours + theirs) as f64;
    println!(
        "IBSI CT phantom: {ours} voxels from the RTSTRUCT, {theirs} in the NIfTI mask, Dice {dice:.5}"
    );
    assert!(dice >= 0.99, "Dice {dice}");
}

fn s(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

/// `ibsi-check` configurations A-E pass from the CT phantom's DICOM series and RTSTRUCT as
/// they do from its NIfTI files.
#[test]
fn ibsi_check_passes_configurations_a_to_e_from_dicom_and_rtstruct() {
    let r = reference_or_skip!();
    let dir = r.join("ibsi1");
    for config in ["A", "B", "C", "D", "E"] {
        let from_dicom = radaudit::ibsi_check::run_config_from(
            &dir,
            config,
            radaudit::ibsi_check::CtSource::Dicom,
        )
        .unwrap();
        let from_nifti = radaudit::ibsi_check::run_config(&dir, config).unwrap();
        assert_eq!(from_dicom.rows.len(), from_nifti.rows.len());
        assert_eq!(
            from_dicom.passed(),
            from_dicom.rows.len(),
            "config {config} from DICOM"
        );
        println!(
            "config {config} from DICOM + RTSTRUCT: {}/{} rows",
            from_dicom.passed(),
            from_dicom.rows.len()
        );
    }
}

/// `extract` takes an RTSTRUCT as the mask, its ROI by name: the IBSI CT phantom's GTV from
/// the DICOM series and structure set gives the features of its NIfTI image and mask;
/// `info` lists the ROI and `convert --reference` writes the NIfTI mask's voxels.
#[test]
fn extract_info_and_convert_take_an_rtstruct() {
    let r = reference_or_skip!();
    let phantom = r.join("ibsi1/ct_phantom");
    let (image, rt) = (
        phantom.join("dicom/image"),
        phantom.join("dicom/mask/DCM_RS_00060.dcm"),
    );
    let dir = tempfile::tempdir().unwrap();
    let from_rt = dir.path().join("rt.csv");
    let run = common::radaudit([
        "extract",
        "--image",
        s(&image),
        "--mask",
        s(&rt),
        "--label",
        "GTV-1",
        "--out",
        s(&from_rt),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let from_nifti = dir.path().join("nifti.csv");
    let run = common::radaudit([
        "extract",
        "--image",
        s(&phantom.join("nifti/image/phantom.nii.gz")),
        "--mask",
        s(&phantom.join("nifti/mask/mask.nii.gz")),
        "--out",
        s(&from_nifti),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (a, b) = (
        std::fs::read_to_string(&from_rt).unwrap(),
        std::fs::read_to_string(&from_nifti).unwrap(),
    );
    let values = |t: &str| -> Vec<(String, f64)> {
        t.lines()
            .skip(1)
            .filter_map(|l| {
                let (k, v) = l.split_once(',')?;
                Some((k.to_string(), v.parse().ok()?))
            })
            .collect()
    };
    let (a, b) = (values(&a), values(&b));
    assert!(a.len() >= 100, "{}", a.len());
    assert_eq!(a.len(), b.len());
    for ((ka, va), (kb, vb)) in a.iter().zip(&b) {
        assert_eq!(ka, kb);
        assert!(
            (va - vb).abs() <= 1e-9 * vb.abs().max(1.0),
            "{ka}: {va} vs {vb}"
        );
    }
    let info = common::radaudit(["info", s(&rt)]);
    assert_eq!(info.code, 0, "{}", info.stderr);
    assert!(
        info.stdout.contains("1 \"GTV-1\": 26 contours"),
        "{}",
        info.stdout
    );
    let json = common::radaudit(["info", s(&rt), "--json"]);
    let json: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json["rois"][0]["name"], "GTV-1");
    let out = dir.path().join("gtv.nii.gz");
    let run = common::radaudit(["convert", s(&rt), s(&out), "--reference", s(&image)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written = read_mask(&out, &ReadOptions::default()).unwrap();
    assert_eq!(written.label_counts().get(&1), Some(&125_256));
    // Without --reference the contours have no grid.
    common::refuses(&["convert", s(&rt), s(&out)], "RTSTRUCT", "--reference");
}

/// Bad structure sets, each exit 2 naming the file: contours from another scan's frame of
/// reference, contours wholly outside the image, an ROI name the set does not hold.
#[test]
fn bad_structure_sets_are_refused_naming_the_file() {
    let r = reference_or_skip!();
    let rt_dir = r.join("clinical/seg_rtstruct/rtutils_rtstruct");
    let ibsi_rt = r.join("ibsi1/ct_phantom/dicom/mask/DCM_RS_00060.dcm");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.csv");
    // The IBSI phantom's structure set on the GE phantom CT: another frame of reference, and
    // the set does not name that series.
    common::refuses(
        &[
            "extract",
            "--image",
            s(&rt_dir.join("ct")),
            "--mask",
            s(&ibsi_rt),
            "--out",
            s(&out),
        ],
        "DCM_RS_00060.dcm",
        "frame of reference",
    );
    // rt-utils writes its own frame UID but names the CT's series: accepted with a notice.
    let rt = rt_dir.join("rt.dcm");
    let run = common::radaudit([
        "extract",
        "--image",
        s(&rt_dir.join("ct")),
        "--mask",
        s(&rt),
        "--label",
        "ROI-1",
        "--out",
        s(&out),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("names the image's series"),
        "{}",
        run.stderr
    );
    // The CT moved 500 mm away (a NIfTI copy: no frame of reference to check): every contour
    // misses it.
    let mut ct = read_volume(&rt_dir.join("ct"), &ReadOptions::default()).unwrap();
    ct.geometry.origin[0] += 500.0;
    let moved = dir.path().join("moved.nii.gz");
    radaudit::volume::io::write_volume(&ct, &moved, &Default::default()).unwrap();
    let mim = rt_dir.join("non_existent_reference_rt.dcm");
    common::refuses(
        &[
            "extract",
            "--image",
            s(&moved),
            "--mask",
            s(&mim),
            "--label",
            "ROI-2",
            "--out",
            s(&out),
        ],
        "non_existent_reference_rt.dcm",
        "none of its 3 closed contours",
    );
    // A name the structure set does not hold: the closest names.
    common::refuses(
        &[
            "extract",
            "--image",
            s(&rt_dir.join("ct")),
            "--mask",
            s(&mim),
            "--label",
            "ROI-9x",
            "--out",
            s(&out),
        ],
        "ROI-9x",
        "ROI-1",
    );
}

/// An audit whose cases CSV takes ROIs of an RTSTRUCT by name (no label table: the names
/// resolve through the structure set) on a 2-slice CT: every case completes, including the
/// B-spline resampling to 1 mm of a 2-slice image (which used to index out of bounds), and
/// each ROI's baseline voxel volume is its expected `centre_xor` count times the voxel size.
#[test]
fn an_audit_takes_structure_set_rois_by_name() {
    let r = reference_or_skip!();
    let dir = r.join("clinical/seg_rtstruct/rtutils_rtstruct");
    let want = expected(&r);
    let tmp = tempfile::tempdir().unwrap();
    let mut csv = String::from("case,image,mask,label\n");
    for roi in ["ROI-1", "ROI-2", "ROI-3", "ROI-4"] {
        csv.push_str(&format!(
            "{roi},{},{},{roi}\n",
            dir.join("ct").display(),
            dir.join("non_existent_reference_rt.dcm").display()
        ));
    }
    std::fs::write(tmp.path().join("cases.csv"), csv).unwrap();
    let protocol = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("protocols/real-ct-vertebrae.yaml"),
    )
    .unwrap()
    .replace("csv: real-ct-vertebrae-cases.csv", "csv: cases.csv")
    .replace("label_table: totalsegmentator", "");
    std::fs::write(tmp.path().join("p.yaml"), protocol).unwrap();
    let out = tmp.path().join("out");
    let run = common::radaudit(["audit", s(&tmp.path().join("p.yaml")), "--out", s(&out)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("cases completed 4 / 4"),
        "{}",
        run.stderr
    );
    let features = std::fs::read_to_string(out.join("features.csv")).unwrap();
    let voxel = 0.488281 * 0.488281 * 5.0;
    for roi in ["ROI-1", "ROI-2", "ROI-3", "ROI-4"] {
        let count = want["rtstruct_files"]["non_existent_reference_rt.dcm"]["rasterised_on_ct"]
            [roi]["centre_xor"]["voxel_count"]
            .as_f64()
            .unwrap();
        let row = features
            .lines()
            .find(|l| {
                l.starts_with(&format!("{roi},baseline,"))
                    && l.contains(",original_shape_VoxelVolume,")
            })
            .unwrap();
        let value: f64 = row.rsplit(',').next().unwrap().parse().unwrap();
        assert!(
            (value - count * voxel).abs() < 1e-9 * value,
            "{roi}: {value} vs {}",
            count * voxel
        );
    }
}
