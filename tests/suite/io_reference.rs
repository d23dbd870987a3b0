//! Reading the reference volumes: the IBSI CT phantom as DICOM and NIfTI, PyRadiomics' test
//! NRRDs, and the IBSI digital phantom, checked against published and peer (SimpleITK) values.

use crate::common;

use radaudit::volume::builtin::{digital_phantom_image, digital_phantom_mask};
use radaudit::volume::io::{ReadOptions, read_mask, read_volume};
use radaudit::volume::{GeometryTolerance, Volume};

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
}

/// Acceptance 1: the IBSI CT phantom read from its 60-slice DICOM series equals its NIfTI
/// version voxel for voxel, with origin, spacing and direction within 1e-3 mm.
#[test]
fn ibsi_ct_phantom_dicom_equals_nifti() {
    let r = reference_or_skip!();
    let dicom = read_volume(
        &r.join("ibsi1/ct_phantom/dicom/image"),
        &ReadOptions::default(),
    )
    .unwrap();
    let nifti = read_volume(
        &r.join("ibsi1/ct_phantom/nifti/image/phantom.nii.gz"),
        &ReadOptions::default(),
    )
    .unwrap();
    let (gd, gn) = (&dicom.geometry, &nifti.geometry);
    assert_eq!(gd.size, [204, 201, 60]);
    assert_eq!(gd.size, gn.size);
    assert!(
        close(&gd.origin, &gn.origin, 1e-3),
        "{:?} vs {:?}",
        gd.origin,
        gn.origin
    );
    assert!(
        close(&gd.spacing, &gn.spacing, 1e-3),
        "{:?} vs {:?}",
        gd.spacing,
        gn.spacing
    );
    for r in 0..3 {
        assert!(close(&gd.direction[r], &gn.direction[r], 1e-3));
    }
    // SimpleITK 2.x reads the NIfTI with this origin (LPS) and spacing.
    assert!(close(
        &gn.origin,
        &[-174.39450073242188, -79.62550354003906, -100.4000015258789],
        1e-9
    ));
    assert!(close(
        &gn.spacing,
        &[0.9769999980926514, 0.9769999980926514, 3.0],
        1e-9
    ));
    // Same physical point for every voxel: grids agree, so compare index by index.
    let differing = dicom
        .voxels
        .iter()
        .zip(nifti.voxels.iter())
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(differing, 0, "voxels differ");
    // Physical points of far corners agree too (within 1e-3 mm).
    let far = [203.0, 200.0, 59.0];
    assert!(close(
        &gd.index_to_point(far),
        &gn.index_to_point(far),
        1e-3
    ));
    let (lo, hi) = dicom
        .voxels
        .iter()
        .fold((f32::MAX, f32::MIN), |(l, h), &v| (l.min(v), h.max(v)));
    assert_eq!(
        (lo, hi),
        (-1000.0, 3065.0),
        "HU range after RescaleIntercept"
    );
}

/// Acceptance 2: PyRadiomics' test cases load; label voxel counts are PyRadiomics' own; image
/// and mask grids agree.
#[test]
fn pyradiomics_test_nrrds_load_with_published_label_counts() {
    let r = reference_or_skip!();
    let data = r.join("pyradiomics/data");
    /// Image file, mask file, (label, voxel count) pairs.
    type Case<'a> = (&'a str, &'a str, &'a [(u16, usize)]);
    let cases: [Case; 6] = [
        ("brain1_image.nrrd", "brain1_label.nrrd", &[(1, 4137)]),
        ("brain2_image.nrrd", "brain2_label.nrrd", &[(1, 453)]),
        ("breast1_image.nrrd", "breast1_label.nrrd", &[(1, 143)]),
        ("lung1_image.nrrd", "lung1_label.nrrd", &[(1, 837)]),
        ("lung2_image.nrrd", "lung2_label.nrrd", &[(1, 24644)]),
        (
            "prostate_phantom_subvolume.nrrd",
            "prostate_phantom_subvolume-label.nrrd",
            &[(1, 168), (7, 170), (8, 2997), (9, 9088)],
        ),
    ];
    for (image, mask, counts) in cases {
        let img = read_volume(&data.join(image), &ReadOptions::default()).unwrap();
        let m = read_mask(&data.join(mask), &ReadOptions::default()).unwrap();
        for &(label, n) in counts {
            assert_eq!(m.count(label), n, "{mask} label {label}");
        }
        m.check_matches(&img, GeometryTolerance::default())
            .unwrap_or_else(|e| panic!("{image}: {e}"));
    }
    // The prostate subvolume's negative space directions: spacing positive, direction flipped.
    let p = read_volume(
        &data.join("prostate_phantom_subvolume.nrrd"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(p.geometry.spacing, [0.5, 0.5, 3.0]);
    assert_eq!(
        p.geometry.direction,
        [[-1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]]
    );
}

/// Acceptance 3: the IBSI digital phantom: 5x4x4 at 2 mm, 74 mask voxels; its NIfTI affine
/// (RAS, x and y negated) gives ITK's LPS points, and the built-in copy is the same volume.
#[test]
fn ibsi_digital_phantom_geometry_matches_itk() {
    let r = reference_or_skip!();
    let path = r.join("ibsi1/digital_phantom/nifti/image/phantom.nii.gz");
    let image = read_volume(&path, &ReadOptions::default()).unwrap();
    let mask = read_mask(
        &r.join("ibsi1/digital_phantom/nifti/mask/mask.nii.gz"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(image.geometry.size, [5, 4, 4]);
    assert_eq!(image.geometry.spacing, [2.0; 3]);
    assert_eq!(mask.count(1), 74);
    // The affine straight from the header (nifti crate), turned to LPS by negating x and y.
    let header = nifti::NiftiHeader::from_file(&path).unwrap();
    let rows = [header.srow_x, header.srow_y, header.srow_z];
    for k in 0..4 {
        for j in 0..4 {
            for i in 0..5 {
                let ijk = [i as f64, j as f64, k as f64];
                let ras: Vec<f64> = rows
                    .iter()
                    .map(|row| (0..3).map(|c| row[c] as f64 * ijk[c]).sum::<f64>() + row[3] as f64)
                    .collect();
                let lps = [-ras[0], -ras[1], ras[2]];
                assert!(close(&image.geometry.index_to_point(ijk), &lps, 1e-12));
            }
        }
    }
    // SimpleITK reads this file as origin (0,0,0), identity direction.
    assert!(close(&image.geometry.origin, &[0.0; 3], 0.0));
    assert_eq!(
        image.geometry.direction,
        radaudit::volume::geometry::IDENTITY
    );
    let builtin: Volume = digital_phantom_image();
    assert_eq!(builtin.voxels, image.voxels);
    assert_eq!(builtin.geometry, image.geometry);
    assert_eq!(digital_phantom_mask().labels, mask.labels);
}
