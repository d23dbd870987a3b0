//! DICOM SEG masks (issue 19, acceptance 3): highdicom's and dcmqi's segmentations give the
//! pixel counts of `clinical/seg_rtstruct/*/expected.json` per segment, and placed on their
//! CT slices by position the voxels per slice and HU sums highdicom gives; a SEG of another
//! series is refused naming the file.

use crate::common;

use radaudit::volume::io::seg;
use radaudit::volume::io::{ReadOptions, read_volume};
use serde_json::Value;

fn s(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

fn expected(dir: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap()
}

/// Pixels per segment over the frames: BINARY (bits running on across frames, also when a
/// frame's bits are not byte aligned), FRACTIONAL at the 0.5 threshold and above 0, explicit
/// VR big endian, deflated frames and 1-bit RLE frames (PackBits, decoded here); the 1-bit
/// JPEG 2000 copy, which dicom-rs' decoder does not read, is refused with the reason.
#[test]
fn segment_pixel_counts_equal_highdicoms() {
    let r = reference_or_skip!();
    let root = r.join("clinical/seg_rtstruct");
    let mut checked = 0;
    for folder in [
        "highdicom_ct_seg",
        "highdicom_ct_seg_single_frame",
        "dcmqi_liver_seg",
    ] {
        let dir = root.join(folder);
        let want = expected(&dir);
        for (file, facts) in want["seg_files"].as_object().unwrap() {
            let path = dir.join(file);
            if file.ends_with("_j2k.dcm") {
                let e = seg::read(&path, 0.5).unwrap_err().to_string();
                assert!(e.contains("cannot decode its compressed pixel data"), "{e}");
                continue;
            }
            let fractional = facts["segmentation_type"] == "FRACTIONAL";
            // Above 0, every pixel highdicom counts as non-zero.
            let any = seg::read(&path, 0.0).unwrap();
            for (number, counts) in facts["counts_in_seg_frames"].as_object().unwrap() {
                let n: u16 = number.parse().unwrap();
                let pixels = counts["nonzero_pixels"].as_u64().unwrap() as usize;
                assert_eq!(any.count(n), pixels, "{file} segment {n}");
                if fractional {
                    // At 0.5 of the maximum: the pixels of value 128 of 255 and above. The
                    // true-fractional file holds 64s and 128s: sum 83136 = 64 a + 128 b with
                    // a + b = 661 gives b = 638.
                    let half = seg::read(&path, 0.5).unwrap();
                    let at_least_half = if file.contains("true_fractional") {
                        638
                    } else {
                        pixels
                    };
                    assert_eq!(half.count(n), at_least_half, "{file} at 0.5");
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 11);
}

/// The BINARY SEG placed on its CT slices (the three it covers, 1.25 mm apart; its fourth
/// referenced slice lies 202 mm away, a series radaudit refuses for its uneven spacing) by
/// the frames' positions: highdicom's voxels per slice and HU sum. Then `extract` by segment
/// label, `info`, and a SEG of another series refused.
#[test]
fn a_seg_placed_on_its_ct_slices_gives_highdicoms_voxels_and_hu() {
    let r = reference_or_skip!();
    let dir = r.join("clinical/seg_rtstruct/highdicom_ct_seg");
    let want = &expected(&dir)["seg_files"]["seg_image_ct_binary.dcm"]["on_referenced_image_grid"]
        ["segments"]["1"];
    let tmp = tempfile::tempdir().unwrap();
    let series = tmp.path().join("ct");
    std::fs::create_dir(&series).unwrap();
    for slice in ["17136", "17166", "17196"] {
        std::fs::copy(dir.join("referenced_ct").join(slice), series.join(slice)).unwrap();
    }
    let ct = read_volume(&series, &ReadOptions::default()).unwrap();
    let binary = dir.join("seg_image_ct_binary.dcm");
    let mask = seg::mask_on(&binary, &ct, &series, &ReadOptions::default(), 1).unwrap();
    let per_slice: Vec<u64> = mask
        .labels
        .outer_iter()
        .map(|s| s.iter().filter(|v| **v == 1).count() as u64)
        .collect();
    let expected_slices: Vec<u64> = want["voxels_per_slice"].as_array().unwrap()[1..]
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(per_slice, expected_slices);
    let hu: f64 = ct
        .voxels
        .iter()
        .zip(mask.labels.iter())
        .filter(|(_, l)| **l == 1)
        .map(|(v, _)| f64::from(*v))
        .sum();
    assert_eq!(hu, want["hu_sum"].as_f64().unwrap());
    // extract by segment label, on that series.
    let out = tmp.path().join("f.csv");
    let run = common::radaudit([
        "extract",
        "--image",
        s(&series),
        "--mask",
        s(&binary),
        "--label",
        "first segment",
        "--out",
        s(&out),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let csv = std::fs::read_to_string(&out).unwrap();
    let voxels = csv
        .lines()
        .find(|l| l.starts_with("original_shape_VoxelVolume,"))
        .unwrap();
    assert!(voxels.contains(','), "{voxels}");
    let info = common::radaudit(["info", s(&binary)]);
    assert!(
        info.stdout
            .contains("1 \"first segment\": 638 pixels in 3 frames"),
        "{}",
        info.stdout
    );
    // The single-frame SEG on its one CT image.
    let single = r.join("clinical/seg_rtstruct/highdicom_ct_seg_single_frame");
    let image = single.join("ct_image.dcm");
    let ct = read_volume(&image, &ReadOptions::default()).unwrap();
    let mask = seg::mask_on(
        &single.join("seg_image_ct_binary_single_frame.dcm"),
        &ct,
        &image,
        &ReadOptions::default(),
        1,
    )
    .unwrap();
    assert_eq!(mask.labels.iter().filter(|l| **l == 1).count(), 1832);
    // A SEG of another series: refused naming the SEG.
    let other = r.join("clinical/seg_rtstruct/rtutils_rtstruct/ct");
    common::refuses(
        &[
            "extract",
            "--image",
            s(&other),
            "--mask",
            s(&binary),
            "--out",
            s(&out),
        ],
        "seg_image_ct_binary.dcm",
        "it segments series",
    );
    // A segment it does not have.
    common::refuses(
        &[
            "extract",
            "--image",
            s(&series),
            "--mask",
            s(&binary),
            "--label",
            "7",
            "--out",
            s(&out),
        ],
        "seg_image_ct_binary.dcm",
        "no segment 7",
    );
}
