//! Acceptance 4: writing then reading gives identical voxels and geometry, for NIfTI (.nii.gz
//! and .nii) and NRRD (gzip and raw), on reference volumes and on an oblique float volume.

use crate::common;

use std::path::Path;

use radaudit::volume::io::{NrrdEncoding, ReadOptions, WriteOptions, read_volume, write_volume};
use radaudit::volume::{Geometry, PixelType, Volume};

const TARGETS: [(&str, NrrdEncoding); 4] = [
    ("out.nii.gz", NrrdEncoding::Gzip),
    ("out.nii", NrrdEncoding::Gzip),
    ("out.nrrd", NrrdEncoding::Gzip),
    ("out.nrrd", NrrdEncoding::Raw),
];

/// Largest absolute difference between two grids' origin, spacing and direction entries.
fn geometry_gap(a: &Geometry, b: &Geometry) -> f64 {
    assert_eq!(a.size, b.size);
    let mut gap: f64 = 0.0;
    for i in 0..3 {
        gap = gap.max((a.origin[i] - b.origin[i]).abs());
        gap = gap.max((a.spacing[i] - b.spacing[i]).abs());
        for j in 0..3 {
            gap = gap.max((a.direction[i][j] - b.direction[i][j]).abs());
        }
    }
    gap
}

/// Writes `volume` to every target and reads it back; `nifti_tol` bounds the NIfTI geometry
/// gap (NIfTI-1 stores the grid in single precision), NRRD must be exact to 1e-12.
fn round_trip(volume: &Volume, nifti_tol: f64) {
    let dir = tempfile::tempdir().unwrap();
    for (name, encoding) in TARGETS {
        let path = dir.path().join(name);
        write_volume(
            volume,
            &path,
            &WriteOptions {
                nrrd_encoding: encoding,
            },
        )
        .unwrap();
        let back = read_volume(&path, &ReadOptions::default()).unwrap();
        assert_eq!(
            back.voxels, volume.voxels,
            "{name} {encoding:?}: voxels differ"
        );
        let tol = if name.contains(".nii") {
            nifti_tol
        } else {
            1e-12
        };
        let gap = geometry_gap(&back.geometry, &volume.geometry);
        assert!(
            gap <= tol,
            "{name} {encoding:?}: geometry differs by {gap:e}"
        );
        // The raw encoding really is raw: the file holds the voxel block uncompressed.
        if encoding == NrrdEncoding::Raw && name.ends_with(".nrrd") {
            let len = std::fs::metadata(&path).unwrap().len() as usize;
            assert!(len > volume.geometry.voxel_count() * back.stored_type.size());
        }
    }
}

fn reference_volume(path: &Path) -> Volume {
    read_volume(path, &ReadOptions::default()).unwrap()
}

#[test]
fn reference_volumes_survive_write_then_read() {
    let r = reference_or_skip!();
    // int16 CT with a flipped y axis; uint16 with flipped x and y; float32 NIfTI of HU values.
    // Grids from NRRD are double precision, so NIfTI keeps them to single precision (1e-4 mm
    // at 200 mm); a grid that came from NIfTI comes back exactly.
    round_trip(
        &reference_volume(&r.join("pyradiomics/data/brain1_image.nrrd")),
        1e-4,
    );
    round_trip(
        &reference_volume(&r.join("pyradiomics/data/prostate_phantom_subvolume.nrrd")),
        1e-4,
    );
    round_trip(
        &reference_volume(&r.join("ibsi1/ct_phantom/nifti/image/phantom.nii.gz")),
        0.0,
    );
    round_trip(
        &reference_volume(&r.join("ibsi1/digital_phantom/nifti/mask/mask.nii.gz")),
        0.0,
    );
}

#[test]
fn oblique_float_volume_survives_write_then_read() {
    let (s, c) = 20f64.to_radians().sin_cos();
    let geometry = Geometry::new(
        [7, 5, 3],
        [0.625, 0.75, 2.5],
        [-101.25, 33.5, -12.0],
        [[c, 0.0, s], [0.0, -1.0, 0.0], [s, 0.0, -c]],
    )
    .unwrap();
    let values = (0..geometry.voxel_count())
        .map(|v| v as f32 * 0.37 - 5.1)
        .collect();
    let volume = Volume::from_vec(geometry, values, PixelType::F32).unwrap();
    round_trip(&volume, 1e-5);
}
