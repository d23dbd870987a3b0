//! PyRadiomics' filtered image types against PyRadiomics 3.1 itself, outputs made by
//! `tests/data/make_filter_extractions.py`: every test case with every implemented image type
//! at its defaults (LoG at sigma 1 and 3 mm, LBP2D uniform), then settings combinations (wavelets haar, db3,
//! bior1.3, rbio3.1, sym4, dmey; start_level and level; B-spline resampling and normalisation
//! before the filters; binCount; per-image-type overrides; force2D; preCrop; re-segmentation;
//! LoG sigmas on a resampled image, one too large, which PyRadiomics skips; LBP2D's methods
//! default, ror and var, other radii, sample counts and slice axes; a float32 image,
//! whose wavelets PyWavelets computes in float32; a NIfTI with its x axis reversed). LBP3D's
//! oracle comes from a second peer venv (scipy < 1.15, `tests/data/setup_lbp3d_peer.sh`): every
//! test case at its defaults, then other levels, radii and subdivisions, float32, B-spline
//! resampling, normalisation with force2D, preCrop with the sphere reaching past the image, and
//! re-segmentation. Every feature within relative 1e-6 (absolute 1e-9 near zero), and the same
//! feature names as PyRadiomics in the same order.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use radaudit::features::pyradiomics::settings::Params;
use radaudit::features::{FeatureSet, extract_files};
use radaudit::volume::io::ReadOptions;

/// Whether `got` equals PyRadiomics' `want` within the tolerance.
fn close(got: f64, want: f64) -> bool {
    (got.is_nan() && want.is_nan())
        || if want.abs() <= 1e-9 {
            (got - want).abs() <= 1e-9
        } else {
            ((got - want) / want).abs() <= 1e-6
        }
}

#[test]
fn filtered_image_types_match_pyradiomics() {
    let r = reference_or_skip!();
    let data = r.join("pyradiomics/data");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/filter_extractions");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let mut bad = Vec::new();
    let mut checked = 0;
    let mut skipped = 0;
    for (name, entry) in manifest.as_object().unwrap() {
        let case = entry["case"].as_str().unwrap();
        // A derived image (flipped, float32) lies beside the oracle; else PyRadiomics' own.
        let file = |key: &str, kind: &str| match entry[key].as_str() {
            Some(f) => dir.join(f),
            None => data.join(format!("{case}_{kind}.nrrd")),
        };
        let (image, mask) = (file("image", "image"), file("mask", "label"));
        let params = Params::from_file(&dir.join(format!("{name}.yaml"))).unwrap();
        let expected_names = params.feature_names();
        let (values, _) = extract_files(
            &image,
            &mask,
            &FeatureSet::Pyradiomics(params),
            None,
            &ReadOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let names: Vec<&str> = values.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, expected_names, "{name}: names promised up front");
        let ours: BTreeMap<&str, f64> = values.iter().map(|v| (v.name.as_str(), v.value)).collect();
        let mut reader = csv::Reader::from_path(dir.join(format!("{name}.csv"))).unwrap();
        let mut theirs = Vec::new();
        for rec in reader.records() {
            let rec = rec.unwrap();
            let want: f64 = rec[1].parse().unwrap();
            theirs.push(rec[0].to_string());
            let got = ours.get(&rec[0]).copied().unwrap_or(f64::NAN);
            checked += 1;
            if !close(got, want) {
                bad.push(format!("{name}: {} = {got} vs PyRadiomics {want}", &rec[0]));
            }
        }
        // The same features, but for a LoG sigma PyRadiomics skipped (too large for the
        // image): radaudit keeps its features, as missing values.
        let theirs: std::collections::BTreeSet<&str> = theirs.iter().map(String::as_str).collect();
        for n in &names {
            if !theirs.contains(n) {
                assert!(
                    n.starts_with("log-sigma-") && ours[n].is_nan(),
                    "{name}: {n} is not in PyRadiomics' output"
                );
                skipped += 1;
            }
        }
        assert!(theirs.iter().all(|t| ours.contains_key(t)), "{name}");
    }
    println!(
        "{checked} filtered-image feature values checked, {skipped} skipped as PyRadiomics skips them"
    );
    assert!(manifest.as_object().unwrap().len() >= 21);
    // log-sigma-60-0-mm-3D: 93 features of the non-shape classes, skipped by both.
    assert_eq!(skipped, 93);
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.iter().take(60).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// `lbp3DLevels: 1` makes PyRadiomics 3.1 fail (an IndexError on its one-column harmonic
/// table); radaudit yields `lbp-3D-m1` and `lbp-3D-k`, which do not depend on the higher
/// degrees: they equal PyRadiomics' at its default of 2 levels.
#[test]
fn lbp3d_with_one_level_equals_the_first_level_and_kurtosis_of_two() {
    let r = reference_or_skip!();
    let data = r.join("pyradiomics/data");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/filter_extractions");
    let tmp = tempfile::tempdir().unwrap();
    let params = tmp.path().join("one_level.yaml");
    std::fs::write(
        &params,
        "imageType: {LBP3D: {lbp3DLevels: 1}}\nfeatureClass: {firstorder: , glcm: , glszm: }\n",
    )
    .unwrap();
    let params = Params::from_file(&params).unwrap();
    let (values, _) = extract_files(
        &data.join("breast1_image.nrrd"),
        &data.join("breast1_label.nrrd"),
        &FeatureSet::Pyradiomics(params),
        None,
        &ReadOptions::default(),
    )
    .unwrap();
    let mut reader = csv::Reader::from_path(dir.join("lbp3d_defaults_breast1.csv")).unwrap();
    let theirs: BTreeMap<String, f64> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[1].parse().unwrap())
        })
        .collect();
    assert!(values.iter().all(|v| !v.name.starts_with("lbp-3D-m2")));
    let images: std::collections::BTreeSet<&str> = values
        .iter()
        .map(|v| v.name.split('_').next().unwrap())
        .collect();
    assert_eq!(
        images.into_iter().collect::<Vec<_>>(),
        ["lbp-3D-k", "lbp-3D-m1"]
    );
    for v in &values {
        let want = theirs[&v.name];
        assert!(
            close(v.value, want),
            "{} = {} vs PyRadiomics {want}",
            v.name,
            v.value
        );
    }
    assert_eq!(values.len(), 2 * (18 + 24 + 16));
}

/// A parameter file's image type mistakes are refused (exit 2) naming the key.
#[test]
fn bad_image_type_settings_are_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &str); 16] = [
        (
            "featureClass: {shape2D: }",
            "ibsi-digital-mask",
            "shape2D needs force2D: true",
        ),
        (
            "featureClass: {shape2D: }\nsetting: {force2D: true}",
            "ibsi-digital-mask",
            "the ROI spans 4 slices along force2Ddimension 0",
        ),
        (
            "imageType: {Wavelett: {}}",
            "imageType.Wavelett",
            "unknown image type",
        ),
        (
            "imageType: {Wavelet: {wavelet: db99}}",
            "imageType.Wavelet.wavelet",
            "a PyWavelets discrete wavelet",
        ),
        (
            "imageType: {Wavelet: {level: 0}}",
            "imageType.Wavelet.level",
            "an integer from 1 to 8",
        ),
        (
            "imageType: {LoG: {sigma: [1.0, -2.0]}}",
            "imageType.LoG.sigma",
            "each > 0",
        ),
        ("setting: {sigma: [0]}", "setting.sigma", "each > 0"),
        (
            "setting: {lbp2DSamples: 1000}",
            "setting.lbp2DSamples",
            "an integer from 1 to 32",
        ),
        (
            "imageType: {LBP2D: {lbp2DMethod: nri_uniform}}",
            "imageType.LBP2D.lbp2DMethod",
            "default, ror, uniform or var",
        ),
        (
            "imageType: {LBP2D: {lbp2DRadius: 0}}",
            "imageType.LBP2D.lbp2DRadius",
            "a number > 0",
        ),
        (
            "setting: {lbp2DRadius: 1e308}",
            "setting.lbp2DRadius",
            "<= 100",
        ),
        (
            "imageType: {LBP3D: {lbp3DLevels: 0}}",
            "imageType.LBP3D.lbp3DLevels",
            "an integer from 1 to 10",
        ),
        (
            "imageType: {LBP3D: {lbp3DIcosphereSubdivision: 1e9}}",
            "imageType.LBP3D.lbp3DIcosphereSubdivision",
            "an integer from 0 to 5",
        ),
        (
            "setting: {lbp3DIcosphereRadius: -1}",
            "setting.lbp3DIcosphereRadius",
            "a number > 0",
        ),
        (
            "imageType: {Square: {wavelet: haar}}",
            "imageType.Square.wavelet",
            "a setting of Wavelet, not of Square",
        ),
        (
            "imageType: {Wavelet: {resampledPixelSpacing: [1, 1, 1]}}",
            "imageType.Wavelet.resampledPixelSpacing",
            "put it under setting",
        ),
    ];
    for (k, (yaml, key, why)) in cases.iter().enumerate() {
        let params = dir.path().join(format!("p{k}.yaml"));
        std::fs::write(&params, yaml).unwrap();
        common::extract_refuses(params.to_str().unwrap(), key, why);
    }
}

/// Hostile numbers in a parameter file (issue 20): a spacing in the wrong unit (a grid of 2e13
/// voxels), a bin width that asks for 5e300 bins or whose edges overflow, a billion bins, a
/// distance of a billion voxels. Each is refused with
/// exit 2 naming the key and its valid range; none panics or allocates terabytes.
#[test]
fn hostile_binning_and_distances_are_refused_naming_the_range() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &str); 11] = [
        (
            "convention: ibsi\nivh: {bin_size: 1e-300}",
            "ivh: bin_size 1e-300 makes 5.000e300 bins",
            "at most 1e5",
        ),
        (
            "convention: ibsi\ndiscretisation: {bin_size: 1e-300}",
            "bin_size 1e-300 makes 5.000e300 bins",
            "at most 1e5",
        ),
        (
            "convention: ibsi\ndiscretisation: {bin_number: 1000000000}",
            "discretisation.bin_number",
            "1 to 100000",
        ),
        (
            "setting: {resampledPixelSpacing: [0.001, 0.001, 0.001], interpolator: sitkLinear}",
            "resampledPixelSpacing: the resampled grid around the ROI would hold",
            "(at most 5e8)",
        ),
        (
            "setting: {binWidth: 1e-300}",
            "binWidth 1e-300 makes 5.000e300 bins",
            "at most 100000",
        ),
        (
            "setting: {binWidth: 1e308}",
            "binWidth 1e308 is too wide",
            "overflow",
        ),
        (
            "imageType: {Square: {binWidth: 1e-300}}",
            "the square image: binWidth 1e-300",
            "at most 100000",
        ),
        (
            "setting: {binCount: 1000000000}",
            "setting.binCount",
            "an integer from 1 to 100000",
        ),
        (
            "setting: {distances: [1000000000]}",
            "setting.distances",
            "from 1 to 1000 voxels",
        ),
        (
            "setting: {normalize: true, normalizeScale: 1e308}",
            "setting.normalizeScale",
            "a number > 0 and at most 1e6",
        ),
        // Found by the fuzz harness: a 0.01 mm grid asked minutes of sphere sums.
        (
            "convention: ibsi\ninterpolation: {spacing: [0.01, 0.01, 1], image: linear}\nfeatures: [local_intensity]",
            "local intensity peaks",
            "(at most 4e9); use a coarser interpolation spacing",
        ),
    ];
    for (k, (yaml, key, why)) in cases.iter().enumerate() {
        let params = dir.path().join(format!("h{k}.yaml"));
        std::fs::write(&params, yaml).unwrap();
        common::extract_refuses(params.to_str().unwrap(), key, why);
    }
    // Also found by the harness: 1e5 IBSI grey levels (the most allowed) asked for a dense
    // 80 GB co-occurrence matrix and aborted; the matrix is now counted sparse.
    let params = dir.path().join("many_levels.yaml");
    std::fs::write(
        &params,
        "convention: ibsi\ndiscretisation: {bin_number: 100000}\nfeatures: [glcm]\ntexture: [3D]",
    )
    .unwrap();
    let started = std::time::Instant::now();
    let run = common::radaudit(common::extract_builtin_args(params.to_str().unwrap()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("cm_joint_max_3D_avg,"),
        "{}",
        run.stdout
    );
    assert!(started.elapsed().as_secs_f64() < 5.0);
}
