//! Acceptance 5: broken inputs give exit code 2 and one line naming the file and the problem,
//! never a panic. Each case builds its broken file from a valid one.

use crate::common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use common::{radaudit, refuses};
use radaudit::volume::builtin::digital_phantom_image;
use radaudit::volume::io::{NrrdEncoding, WriteOptions, write_volume};
use radaudit::volume::{Geometry, PixelType, Volume};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A 40x30x20 int16 volume with varied values (so gzip has real work to do).
fn varied_volume() -> Volume {
    let g = Geometry::new(
        [40, 30, 20],
        [0.8, 0.8, 2.0],
        [1.0, 2.0, 3.0],
        radaudit::volume::geometry::IDENTITY,
    )
    .unwrap();
    let values = (0..g.voxel_count())
        .map(|v| ((v * 7919) % 3001) as f32 - 1000.0)
        .collect();
    Volume::from_vec(g, values, PixelType::I16).unwrap()
}

fn write(dir: &Path, name: &str, volume: &Volume) -> PathBuf {
    let p = dir.join(name);
    write_volume(
        volume,
        &p,
        &WriteOptions {
            nrrd_encoding: NrrdEncoding::Gzip,
        },
    )
    .unwrap();
    p
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn patch(path: &Path, offset: usize, bytes: &[u8]) {
    let mut b = fs::read(path).unwrap();
    b[offset..offset + bytes.len()].copy_from_slice(bytes);
    fs::write(path, b).unwrap();
}

fn truncate(path: &Path, keep: usize) {
    let b = fs::read(path).unwrap();
    fs::write(path, &b[..keep]).unwrap();
}

const NRRD_HEAD: &str = "NRRD0004\ntype: short\ndimension: 3\nspace: left-posterior-superior\n";

fn nrrd(dir: &Path, name: &str, fields: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    let mut b = format!("{NRRD_HEAD}{fields}\n\n").into_bytes();
    b.extend_from_slice(data);
    fs::write(&p, b).unwrap();
    p
}

#[test]
fn truncated_gzip_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let v = varied_volume();
    for name in ["cut.nrrd", "cut.nii.gz"] {
        let p = write(dir.path(), name, &v);
        let len = fs::metadata(&p).unwrap().len() as usize;
        truncate(&p, len / 2);
        refuses(
            &["info", s(&p)],
            name,
            "gzip stream is corrupt or truncated",
        );
    }
    // A gzip stream cut inside its 8-byte trailer: all voxels present, CRC missing.
    let p = write(dir.path(), "trailer.nrrd", &v);
    let len = fs::metadata(&p).unwrap().len() as usize;
    truncate(&p, len - 3);
    refuses(
        &["info", s(&p)],
        "trailer.nrrd",
        "gzip stream is corrupt or truncated",
    );
}

#[test]
fn headers_promising_more_data_than_the_file_holds_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = nrrd(
        dir.path(),
        "short.nrrd",
        "sizes: 10 10 10\nspace directions: (1,0,0) (0,1,0) (0,0,1)\nendian: little\nencoding: raw",
        &[0u8; 100],
    );
    refuses(
        &["info", s(&p)],
        "short.nrrd",
        "header promises 2000 bytes of voxel data but the file holds only 100",
    );
    // The same inside a complete gzip stream.
    let p = nrrd(
        dir.path(),
        "shortgz.nrrd",
        "sizes: 10 10 10\nspace directions: (1,0,0) (0,1,0) (0,0,1)\nendian: little\nencoding: gzip",
        &gzip(&[0u8; 100]),
    );
    refuses(&["info", s(&p)], "shortgz.nrrd", "holds only 100");
    // An uncompressed .nii missing its last voxels.
    let p = write(dir.path(), "short.nii", &varied_volume());
    let len = fs::metadata(&p).unwrap().len() as usize;
    truncate(&p, len - 10);
    refuses(
        &["info", s(&p)],
        "short.nii",
        "header promises 48000 bytes of voxel data",
    );
}

#[test]
fn unknown_and_unsupported_datatypes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "dtype.nii", &digital_phantom_image());
    patch(&p, 70, &9999i16.to_le_bytes()); // datatype
    refuses(&["info", s(&p)], "dtype.nii", "unknown datatype code 9999");
    patch(&p, 70, &128i16.to_le_bytes()); // RGB24
    refuses(&["info", s(&p)], "dtype.nii", "datatype 128");
    let p = nrrd(
        dir.path(),
        "dtype.nrrd",
        "type: quaternion\nsizes: 1 1 1\nencoding: raw",
        b"",
    );
    // `type` appears twice; the later one wins, as in teem.
    refuses(
        &["info", s(&p)],
        "dtype.nrrd",
        "unknown or unsupported type 'quaternion'",
    );
    let p = nrrd(
        dir.path(),
        "bz.nrrd",
        "sizes: 1 1 1\nspace directions: (1,0,0) (0,1,0) (0,0,1)\nendian: little\nencoding: bzip2",
        b"",
    );
    refuses(
        &["info", s(&p)],
        "bz.nrrd",
        "encoding 'bzip2' is not supported",
    );
}

#[test]
fn zero_dimensions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = nrrd(
        dir.path(),
        "zero.nrrd",
        "sizes: 5 0 4\nspace directions: (1,0,0) (0,1,0) (0,0,1)\nendian: little\nencoding: raw",
        b"",
    );
    refuses(&["info", s(&p)], "zero.nrrd", "a zero dimension");
    let p = write(dir.path(), "zero.nii", &digital_phantom_image());
    patch(&p, 44, &0i16.to_le_bytes()); // dim[2]
    refuses(&["info", s(&p)], "zero.nii", "dim[2] = 0");
}

#[test]
fn zero_negative_and_nan_spacings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = nrrd(
        dir.path(),
        "zerosp.nrrd",
        "sizes: 2 2 2\nspace directions: (1,0,0) (0,0,0) (0,0,1)\nendian: little\nencoding: raw",
        &[0u8; 16],
    );
    refuses(&["info", s(&p)], "zerosp.nrrd", "spacing along y is 0");
    let p = nrrd(
        dir.path(),
        "nansp.nrrd",
        "sizes: 2 2 2\nspacings: 1 nan 1\nendian: little\nencoding: raw",
        &[0u8; 16],
    );
    // (no `space`, so the old-style `spacings` field applies)
    let text = fs::read_to_string(&p)
        .unwrap()
        .replace("space: left-posterior-superior\n", "");
    fs::write(&p, text).unwrap();
    refuses(&["info", s(&p)], "nansp.nrrd", "spacing along y is NaN");
    // NIfTI with only a qform: its spacing is pixdim, here negative.
    let p = write(dir.path(), "negsp.nii", &digital_phantom_image());
    patch(&p, 254, &0i16.to_le_bytes()); // sform_code
    patch(&p, 84, &(-2.0f32).to_le_bytes()); // pixdim[2]
    refuses(&["info", s(&p)], "negsp.nii", "pixdim[2] = -2");
}

#[test]
fn non_orthonormal_directions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = nrrd(
        dir.path(),
        "shear.nrrd",
        "sizes: 2 2 2\nspace directions: (1,0,0) (0.5,1,0) (0,0,1)\nendian: little\nencoding: raw",
        &[0u8; 16],
    );
    refuses(&["info", s(&p)], "shear.nrrd", "not orthonormal");
    // NIfTI sform with shear and no qform to fall back on.
    let p = write(dir.path(), "shear.nii", &digital_phantom_image());
    patch(&p, 252, &0i16.to_le_bytes()); // qform_code
    patch(&p, 280 + 4, &1.5f32.to_le_bytes()); // srow_x[1]
    refuses(&["info", s(&p)], "shear.nii", "not orthonormal");
}

#[test]
fn missing_empty_and_unrecognised_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere.nii.gz");
    refuses(
        &["info", s(&missing)],
        "nowhere.nii.gz",
        "no such file or folder",
    );
    let empty = dir.path().join("empty.nii.gz");
    fs::write(&empty, b"").unwrap();
    refuses(&["info", s(&empty)], "empty.nii.gz", "ends after 0 bytes");
    let junk = dir.path().join("junk.bin");
    fs::write(&junk, b"hello, this is not an image").unwrap();
    refuses(&["info", s(&junk)], "junk.bin", "unknown format");
    let gz_junk = dir.path().join("junk.nii.gz");
    fs::write(
        &gz_junk,
        gzip(b"definitely not a nifti header but long enough to read four"),
    )
    .unwrap();
    refuses(&["info", s(&gz_junk)], "junk.nii.gz", "not a NIfTI file");
    refuses(
        &["info", "builtin:nothing"],
        "builtin:nothing",
        "unknown built-in volume",
    );
}

#[test]
fn a_mask_on_another_grid_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let image = digital_phantom_image();
    let img = write(dir.path(), "image.nrrd", &image);
    let mut shifted = radaudit::volume::builtin::digital_phantom_mask().to_volume();
    shifted.geometry.origin[2] += 0.5;
    let mask = write(dir.path(), "mask.nrrd", &shifted);
    refuses(
        &["info", s(&img), "--mask", s(&mask)],
        "mask.nrrd",
        "origin differs along z",
    );
    let mut bigger = varied_volume();
    bigger.voxels.mapv_inplace(|_| 1.0);
    let mask = write(dir.path(), "mask2.nrrd", &bigger);
    refuses(
        &["info", s(&img), "--mask", s(&mask)],
        "mask2.nrrd",
        "size differs",
    );
    // A "mask" holding fractions.
    let mut frac = image.clone();
    frac.voxels[(0, 0, 0)] = 0.5;
    let mask = write(dir.path(), "frac.nrrd", &frac);
    refuses(
        &["info", s(&img), "--mask", s(&mask)],
        "frac.nrrd",
        "non-negative integer labels",
    );
}

#[test]
fn unknown_output_format_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.png");
    refuses(
        &["convert", "builtin:ibsi-digital", s(&out)],
        "out.png",
        "unknown output format",
    );
    assert!(!out.exists());
}

mod dicom {
    use super::*;
    use dicom_core::{DataElement, PrimitiveValue, VR};
    use dicom_dictionary_std::tags;

    /// Copies slices `range` of the IBSI CT phantom series into a new folder.
    fn copy_slices(reference: &Path, dir: &Path, range: std::ops::Range<usize>, skip: &[usize]) {
        for i in range.filter(|i| !skip.contains(i)) {
            let name = format!("DCM_IMG_{i:05}.dcm");
            fs::copy(
                reference.join("ibsi1/ct_phantom/dicom/image").join(&name),
                dir.join(&name),
            )
            .unwrap();
        }
    }

    #[test]
    fn two_series_in_one_folder_need_a_choice() {
        let r = reference_or_skip!();
        let dir = tempfile::tempdir().unwrap();
        copy_slices(&r, dir.path(), 0..6, &[]);
        for i in 3..6 {
            let p = dir.path().join(format!("DCM_IMG_{i:05}.dcm"));
            let mut obj = dicom_object::open_file(&p).unwrap();
            obj.put(DataElement::new(
                tags::SERIES_INSTANCE_UID,
                VR::UI,
                PrimitiveValue::from("1.2.826.0.1.3680043.99.2"),
            ));
            obj.write_to_file(&p).unwrap();
        }
        refuses(
            &["info", s(dir.path())],
            s(dir.path()),
            "2 image series in one folder; pick one with --series UID",
        );
        // Naming one reads it.
        let run = radaudit([
            "info",
            s(dir.path()),
            "--series",
            "1.2.826.0.1.3680043.99.2",
            "--json",
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let info: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(info["size"], serde_json::json!([204, 201, 3]));
        refuses(
            &["info", s(dir.path()), "--series", "9.9"],
            s(dir.path()),
            "series 9.9 is not here",
        );
    }

    #[test]
    fn a_missing_slice_is_refused() {
        let r = reference_or_skip!();
        let dir = tempfile::tempdir().unwrap();
        copy_slices(&r, dir.path(), 0..10, &[5]);
        refuses(
            &["info", s(dir.path())],
            "DCM_IMG_00004.dcm",
            "slice spacing is not uniform",
        );
    }

    #[test]
    fn a_folder_without_dicom_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("notes.txt"), b"no images here").unwrap();
        refuses(
            &["info", s(dir.path())],
            s(dir.path()),
            "no DICOM image series here",
        );
        // The reference RTSTRUCT folder: DICOM, but no image.
        let r = reference_or_skip!();
        let rt = r.join("ibsi1/ct_phantom/dicom/mask");
        refuses(
            &["info", s(&rt)],
            "mask",
            "DICOM without an image such as RTSTRUCT",
        );
    }

    #[test]
    fn a_truncated_slice_is_refused() {
        let r = reference_or_skip!();
        let dir = tempfile::tempdir().unwrap();
        copy_slices(&r, dir.path(), 0..4, &[]);
        let p = dir.path().join("DCM_IMG_00002.dcm");
        let len = fs::metadata(&p).unwrap().len() as usize;
        truncate(&p, len - 5000);
        refuses(&["info", s(dir.path())], "DCM_IMG_00002.dcm", "DICOM");
    }

    /// An element length of 0xFFFFFFF0 in a file of 82 KB is refused from its header, before
    /// the parser sizes a 4 GB buffer by it.
    #[test]
    fn an_element_length_past_the_files_end_is_refused_before_reading() {
        let r = reference_or_skip!();
        let dir = tempfile::tempdir().unwrap();
        copy_slices(&r, dir.path(), 0..4, &[]);
        let p = dir.path().join("DCM_IMG_00002.dcm");
        let mut bytes = fs::read(&p).unwrap();
        // The phantom is implicit VR little endian: Pixel Data's tag, then its 4-byte length.
        let at = bytes
            .windows(4)
            .rposition(|w| w == [0xE0, 0x7F, 0x10, 0x00])
            .unwrap();
        bytes[at + 4..at + 8].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        fs::write(&p, bytes).unwrap();
        let started = std::time::Instant::now();
        refuses(
            &["info", s(dir.path())],
            "DCM_IMG_00002.dcm",
            "element (7FE0,0010) at byte",
        );
        refuses(
            &["info", s(dir.path())],
            "DCM_IMG_00002.dcm",
            "states a length of 4294967280 bytes",
        );
        assert!(started.elapsed().as_secs_f64() < 5.0);
    }

    /// Rows x Columns are checked against the pixel data the file holds: 65535 x 65535 on a
    /// 5-slice series would ask for 86 GB.
    #[test]
    fn rows_and_columns_beyond_the_pixel_data_are_refused() {
        let r = reference_or_skip!();
        let dir = tempfile::tempdir().unwrap();
        copy_slices(&r, dir.path(), 0..5, &[]);
        for i in 0..5 {
            let p = dir.path().join(format!("DCM_IMG_{i:05}.dcm"));
            let mut obj = dicom_object::open_file(&p).unwrap();
            for tag in [tags::ROWS, tags::COLUMNS] {
                obj.put(DataElement::new(
                    tag,
                    VR::US,
                    PrimitiveValue::from(65535u16),
                ));
            }
            obj.write_to_file(&p).unwrap();
        }
        refuses(
            &["info", s(dir.path())],
            "DCM_IMG_0000",
            "Rows 65535 x Columns 65535 x 2 bytes per pixel need 8589672450 bytes of pixel data, \
             the file holds 82008",
        );
    }
}

/// An unknown key is named once, with its YAML path (`perturbations[1].sd`, not
/// `perturbations[1].sd.sd`), in audit protocols, comparison protocols and claims files.
#[test]
fn an_unknown_yaml_key_is_named_once_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "audit",
            "name: x\nseed: 1\ncases:\n  synthetic_vertebra:\n    count: 3\n    vbmd: [60, 200]\nperturbations:\n  - axis: a\n    levels: [\"kvp:80\"]\n  - axis: b\n    levels: [\"kvp:100\"]\n    sd: 3\n",
            "perturbations[1].sd",
        ),
        (
            "compare",
            "name: x\nmodel:\n  name: m\n  inner_fold: 3\n",
            "model.inner_fold",
        ),
        (
            "claims",
            "name: x\nstudies:\n  - study: s\n    totl: 5\n",
            "studies[0].totl",
        ),
    ];
    for (command, text, key) in cases {
        let file = dir.path().join(format!("{command}.yaml"));
        std::fs::write(&file, text).unwrap();
        let mut args = vec![command, file.to_str().unwrap()];
        let out = dir.path().join(command);
        if command == "compare" {
            args.extend(["--out", out.to_str().unwrap()]);
        }
        let run = common::radaudit(&args);
        assert_eq!(run.code, 2, "{command}: {}", run.stderr);
        let line = run.stderr.trim_end();
        let last = key.rsplit(['.', ']']).next().unwrap();
        assert!(
            line.contains(&format!("{key}: unknown field `{last}`")),
            "{command}: {line}"
        );
        assert!(
            !line.contains(&format!("{key}.{last}")),
            "{command}: {line}"
        );
    }
}

/// Values float32 cannot hold (issue 20): a double of 1e39, or a short times a slope of 3e38,
/// would silently become infinite; each is refused naming the file and the voxel.
#[test]
fn values_beyond_float32_are_refused_naming_the_voxel() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = Vec::new();
    for k in 0..8 {
        let v: f64 = if k == 5 { 1e39 } else { 100.0 };
        data.extend_from_slice(&v.to_le_bytes());
    }
    let p = dir.path().join("huge.nrrd");
    let mut bytes = b"NRRD0004\ntype: double\ndimension: 3\nspace: left-posterior-superior\nsizes: 2 2 2\nspace directions: (1,0,0) (0,1,0) (0,0,1)\nendian: little\nencoding: raw\n\n".to_vec();
    bytes.extend_from_slice(&data);
    fs::write(&p, bytes).unwrap();
    refuses(
        &["info", s(&p)],
        "huge.nrrd",
        "voxel (1, 0, 1) is beyond float32's range",
    );
}

/// A file that cannot be created is named with the system's message, not a Debug dump
/// (`Io(Os { ... })`, issue 20).
#[test]
fn an_unwritable_output_is_named_with_the_systems_message() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.nii.gz", &varied_volume());
    let run = crate::common::radaudit(["convert", s(&input), "/proc/radaudit-test.nii"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let line = run.stderr.trim_end();
    assert!(
        line.starts_with("error: cannot write /proc/radaudit-test.nii: ") && !line.contains("Os {"),
        "{line}"
    );
}

/// A settings document that is not one (issue 20): `/dev/zero` was read to 4 GB, an image
/// given as `--params` was echoed. Both are refused in one line naming the file.
#[test]
fn a_settings_document_that_is_not_one_is_refused_without_reading_it_all() {
    let dir = tempfile::tempdir().unwrap();
    let image = write(dir.path(), "ct.nii.gz", &varied_volume());
    crate::common::extract_refuses(
        "/dev/zero",
        "/dev/zero",
        "over 16 MB: not a settings document",
    );
    crate::common::extract_refuses(s(&image), "ct.nii.gz", "not text (UTF-8)");
    refuses(&["audit", "/dev/zero", "--plan"], "/dev/zero", "over 16 MB");
}

/// A detached NRRD header naming a data file outside its folder (issue 20: `data file:
/// ../../../../etc/passwd` was read) is refused unless the user allows it; one inside is read.
#[test]
fn detached_data_outside_the_headers_folder_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let inner = dir.path().join("inner");
    fs::create_dir(&inner).unwrap();
    let raw: Vec<u8> = (0..8i16).flat_map(|v| v.to_le_bytes()).collect();
    fs::write(dir.path().join("outside.raw"), &raw).unwrap();
    fs::write(inner.join("inside.raw"), &raw).unwrap();
    let header = |name: &str, data: &str| {
        let p = inner.join(name);
        fs::write(
            &p,
            format!("{NRRD_HEAD}sizes: 2 2 2\nspace directions: (1,0,0) (0,1,0) (0,0,1)\nendian: little\nencoding: raw\ndata file: {data}\n\n"),
        )
        .unwrap();
        p
    };
    let out = header("out.nhdr", "../outside.raw");
    refuses(
        &["info", s(&out)],
        "out.nhdr",
        "data file '../outside.raw' is outside the header's folder; set RADAUDIT_ALLOW_OUTSIDE_DATA=1",
    );
    let absolute = header("abs.nhdr", "/etc/passwd");
    refuses(
        &["info", s(&absolute)],
        "abs.nhdr",
        "outside the header's folder",
    );
    let inside = header("in.nhdr", "inside.raw");
    assert_eq!(crate::common::radaudit(["info", s(&inside)]).code, 0);
    // Allowed by the user: read.
    let allowed = std::process::Command::new(env!("CARGO_BIN_EXE_radaudit"))
        .args(["info", s(&out)])
        .env("RADAUDIT_ALLOW_OUTSIDE_DATA", "1")
        .output()
        .unwrap();
    assert!(
        allowed.status.success(),
        "{}",
        String::from_utf8_lossy(&allowed.stderr)
    );
}
