//! Settings PyRadiomics' baseline tables leave out, checked against PyRadiomics 3.1 outputs
//! made by `tests/data/make_peer_extractions.py`: linear and nearest-neighbour resampling,
//! in-plane resampling, normalisation with outlier removal, relative re-segmentation with
//! `resegmentShape`, two distances with an asymmetric GLCM, GLDM alpha and a bin count, every
//! weighting norm (one in 2-D mode), `voxelArrayShift`, and a mask corrected onto the image grid.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use radaudit::features::Timings;
use radaudit::features::pyradiomics::extract;
use radaudit::features::pyradiomics::prepare::prepare;
use radaudit::features::pyradiomics::settings::Params;
use radaudit::volume::io::{ReadOptions, read_mask, read_volume};

#[test]
fn peer_extractions_match_pyradiomics() {
    let r = reference_or_skip!();
    let data = r.join("pyradiomics/data");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/peer_extractions");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let mut bad = Vec::new();
    for (name, entry) in manifest.as_object().unwrap() {
        let case = entry["case"].as_str().unwrap();
        let image = read_volume(
            &data.join(format!("{case}_image.nrrd")),
            &ReadOptions::default(),
        )
        .unwrap();
        let mut mask = read_mask(
            &data.join(format!("{case}_label.nrrd")),
            &ReadOptions::default(),
        )
        .unwrap();
        if let Some(shift) = entry["mask_origin_shift_mm"].as_array() {
            for (o, s) in mask.geometry.origin.iter_mut().zip(shift) {
                *o += s.as_f64().unwrap();
            }
        }
        let params = Params::from_file(&dir.join(format!("{name}.yaml"))).unwrap();
        let prepared =
            prepare(&image, &mask, &params.settings).unwrap_or_else(|e| panic!("{name}: {e}"));
        let ours: BTreeMap<String, f64> = extract(&prepared, &params, &mut Timings::default())
            .unwrap()
            .into_iter()
            .map(|v| (v.name, v.value))
            .collect();
        let mut reader = csv::Reader::from_path(dir.join(format!("{name}.csv"))).unwrap();
        let mut count = 0;
        for rec in reader.records() {
            let rec = rec.unwrap();
            let want: f64 = rec[1].parse().unwrap();
            let got = ours.get(&rec[0]).copied().unwrap_or(f64::NAN);
            count += 1;
            let ok = (got.is_nan() && want.is_nan())
                || if want.abs() <= 1e-9 {
                    (got - want).abs() <= 1e-9
                } else {
                    ((got - want) / want).abs() <= 1e-6
                };
            if !ok {
                bad.push(format!("{name}: {} = {got} vs PyRadiomics {want}", &rec[0]));
            }
        }
        assert_eq!(count, 107, "{name}");
    }
    assert_eq!(manifest.as_object().unwrap().len(), 10);
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
