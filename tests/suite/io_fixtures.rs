//! Format corners checked against peer readers: NIfTI-2 (vs nibabel), big-endian NIfTI-1 with
//! a left-handed qform only and scl_slope/scl_inter, a detached RAS-space NRRD with gzip data,
//! and a big-endian raw NRRD (vs SimpleITK). The fixtures and `peer_readings.json` are made by
//! `tests/data/make_fixtures.py` with the peer tools; nothing here is radaudit's own output.

use std::path::Path;

use crate::common::numbers;
use radaudit::volume::io::{ReadOptions, read_volume};

#[test]
fn readers_agree_with_simpleitk_and_nibabel_on_format_corners() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let readings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("peer_readings.json")).unwrap())
            .unwrap();
    let readings = readings.as_object().unwrap();
    assert_eq!(readings.len(), 4);
    for (name, peer) in readings {
        let v = read_volume(&data.join(name), &ReadOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let g = &v.geometry;
        let who = peer["reader"].as_str().unwrap();
        let size: Vec<usize> = numbers(&peer["size"]).iter().map(|&x| x as usize).collect();
        assert_eq!(g.size.to_vec(), size, "{name}");
        // Single-precision headers (NIfTI-1 quaternions) agree to ~1e-6; allow 1e-5 mm.
        let close = |ours: &[f64], theirs: &[f64], what: &str| {
            for (a, b) in ours.iter().zip(theirs) {
                assert!(
                    (a - b).abs() < 1e-5,
                    "{name} {what}: {ours:?} vs {who} {theirs:?}"
                );
            }
        };
        close(&g.spacing, &numbers(&peer["spacing"]), "spacing");
        close(&g.origin, &numbers(&peer["origin"]), "origin");
        let direction: Vec<f64> = g.direction.iter().flatten().copied().collect();
        close(&direction, &numbers(&peer["direction"]), "direction");
        let voxels: Vec<f64> = v.voxels.iter().map(|&x| x as f64).collect();
        assert_eq!(
            voxels,
            numbers(&peer["voxels_zyx"]),
            "{name}: voxels differ from {who}"
        );
    }
}
