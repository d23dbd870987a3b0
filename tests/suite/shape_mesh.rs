//! The marching-cubes table checked cube by cube against PyRadiomics: for each of the 256
//! corner configurations of a single cube, surface area and signed volume equal what
//! PyRadiomics' `cShape` returns (probed by `tests/data/make_cube_probe.py`, anisotropic
//! spacing so that any other triangulation would differ).

use std::path::Path;

use radaudit::features::pyradiomics::shape::cube_contribution;

#[test]
fn every_cube_configuration_matches_pyradiomics() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pyradiomics_cube_probe.json");
    let probe: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let s = probe["spacing_zyx"].as_array().unwrap();
    let spacing = [0, 1, 2].map(|i| s[i].as_f64().unwrap());
    let mut wrong = Vec::new();
    for cube in probe["cubes"].as_array().unwrap() {
        let config = cube["config"].as_u64().unwrap() as usize;
        let (area, volume6) = cube_contribution(config, [0, 0, 0], spacing);
        let (ref_area, ref_volume) = (
            cube["area"].as_f64().unwrap(),
            cube["volume"].as_f64().unwrap(),
        );
        if (area - ref_area).abs() > 1e-12 || (volume6 / 6.0 - ref_volume).abs() > 1e-12 {
            wrong.push(format!(
                "{config}: area {area} vs {ref_area}, volume {} vs {ref_volume}",
                volume6 / 6.0
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} configurations differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
