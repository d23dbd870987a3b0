//! Feature extraction against PyRadiomics 3.1.0: its outputs with default settings and with
//! the baseline settings (`oracle_*`), and PyRadiomics' own baseline tables for every setting
//! a parameter file can express (2-D, fixed bin count, weighting, flat region, normalisation,
//! resampling, re-segmentation).

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use radaudit::features::Timings;
use radaudit::features::pyradiomics::prepare::prepare;
use radaudit::features::pyradiomics::settings::Params;
use radaudit::features::pyradiomics::{FeatureClass, extract};
use radaudit::volume::io::{ReadOptions, read_mask, read_volume};
use radaudit::volume::{Mask, Volume};

/// Relative 1e-6, or absolute 1e-9 where the reference is within 1e-9 of zero.
fn close(ours: f64, reference: f64, rel: f64) -> bool {
    if ours.is_nan() && reference.is_nan() {
        return true;
    }
    if reference.abs() <= 1e-9 {
        return (ours - reference).abs() <= 1e-9;
    }
    ((ours - reference) / reference).abs() <= rel
}

fn read_pair(data: &Path, case: &str) -> (Volume, Mask) {
    let (image, mask) = if case == "prostate" {
        (
            "prostate_phantom_subvolume.nrrd",
            "prostate_phantom_subvolume-label.nrrd".to_string(),
        )
    } else {
        ("", String::new())
    };
    let (image, mask) = if image.is_empty() {
        (format!("{case}_image.nrrd"), format!("{case}_label.nrrd"))
    } else {
        (image.to_string(), mask)
    };
    (
        read_volume(&data.join(image), &ReadOptions::default()).unwrap(),
        read_mask(&data.join(mask), &ReadOptions::default()).unwrap(),
    )
}

fn run(image: &Volume, mask: &Mask, params: &Params) -> BTreeMap<String, f64> {
    let prepared =
        prepare(image, mask, &params.settings).unwrap_or_else(|e| panic!("prepare: {e}"));
    extract(&prepared, params, &mut Timings::default())
        .unwrap()
        .into_iter()
        .map(|v| (v.name, v.value))
        .collect()
}

fn read_feature_csv(path: &Path) -> BTreeMap<String, f64> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_string(), rec[1].parse::<f64>().unwrap())
        })
        .collect()
}

/// Compares every reference feature; returns the mismatches.
fn compare(
    ours: &BTreeMap<String, f64>,
    reference: &BTreeMap<String, f64>,
    rel: f64,
    what: &str,
) -> Vec<String> {
    let mut bad = Vec::new();
    for (name, &want) in reference {
        match ours.get(name) {
            None => bad.push(format!("{what}: {name} missing")),
            Some(&got) if !close(got, want, rel) => {
                bad.push(format!("{what}: {name} = {got} vs PyRadiomics {want}"))
            }
            _ => {}
        }
    }
    bad
}

/// Acceptance 1: all 107 features of every oracle case within 1e-6 of PyRadiomics 3.1.0.
#[test]
fn oracle_cases_match_pyradiomics() {
    let r = reference_or_skip!();
    let py = r.join("pyradiomics");
    let mut bad = Vec::new();
    let mut checked = 0;
    for case in ["brain1", "brain2", "breast1", "lung1", "lung2"] {
        let (image, mask) = read_pair(&py.join("data"), case);
        let default = run(&image, &mask, &Params::default());
        let reference = read_feature_csv(&py.join(format!("oracle_default/{case}.csv")));
        assert_eq!(reference.len(), 107);
        assert_eq!(
            default.len(),
            107,
            "{case}: radaudit computes the 107 default features"
        );
        bad.extend(compare(&default, &reference, 1e-6, case));
        let baseline = Params::from_file(&py.join("params/baseline_plain.yaml")).unwrap();
        let ours = run(&image, &mask, &baseline);
        let reference = read_feature_csv(&py.join(format!("oracle_baseline_settings/{case}.csv")));
        bad.extend(compare(
            &ours,
            &reference,
            1e-6,
            &format!("{case} baseline settings"),
        ));
        checked += 2;
    }
    let (image, mask) = read_pair(&py.join("data"), "prostate");
    for label in [1u16, 7, 8, 9] {
        let mut params = Params::default();
        params.settings.label = label;
        let ours = run(&image, &mask, &params);
        let reference = read_feature_csv(&py.join(format!("oracle_default/prostate_l{label}.csv")));
        bad.extend(compare(
            &ours,
            &reference,
            1e-6,
            &format!("prostate label {label}"),
        ));
        checked += 1;
    }
    assert_eq!(checked, 14);
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// The settings PyRadiomics stored with a baseline column (a Python dict literal) as JSON.
fn python_dict_to_json(text: &str) -> serde_json::Value {
    let json = text
        .replace('\'', "\"")
        .replace("None", "null")
        .replace("True", "true")
        .replace("False", "false");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("settings {text}: {e}"))
}

/// Acceptance 2: PyRadiomics' baseline tables, every column, every class (shape2D excepted:
/// its 2-D masks are not published). Within 1e-6, except shape on brain1, where PyRadiomics
/// 3.1 itself differs from its baseline by up to 9e-4: 1e-3 there (and brain1_resampling has
/// its own 1e-6 oracle from PyRadiomics 3.1, below).
#[test]
fn pyradiomics_baseline_columns_match() {
    let r = reference_or_skip!();
    let py = r.join("pyradiomics");
    let mut bad = Vec::new();
    let mut cells = 0;
    let mut columns = std::collections::BTreeSet::new();
    let mut images: BTreeMap<String, (Volume, Mask)> = BTreeMap::new();
    for class in FeatureClass::ALL {
        let mut reader =
            csv::Reader::from_path(py.join(format!("baseline/baseline_{}.csv", class.name())))
                .unwrap();
        let headers = reader.headers().unwrap().clone();
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        let row = |name: &str| rows.iter().find(|r| &r[0] == name).unwrap().clone();
        let settings_row = row("diagnostics_Configuration_Settings");
        for (col, column) in headers.iter().enumerate().skip(1) {
            let case = column.split('_').next().unwrap();
            let mut settings = python_dict_to_json(&settings_row[col]);
            settings.as_object_mut().unwrap().remove("additionalInfo");
            let doc = serde_json::json!({
                "imageType": {"Original": {}},
                "featureClass": {class.name(): null},
                "setting": settings,
            });
            let params = Params::from_value(&doc).unwrap_or_else(|e| panic!("{column}: {e}"));
            let (image, mask) = images
                .entry(case.to_string())
                .or_insert_with(|| read_pair(&py.join("data"), case));
            let ours = run(image, mask, &params);
            let reference: BTreeMap<String, f64> = rows
                .iter()
                .filter(|r| r[0].starts_with("original_") && !r[col].is_empty())
                .map(|r| (r[0].to_string(), r[col].parse::<f64>().unwrap()))
                .collect();
            let rel = if class == FeatureClass::Shape && case == "brain1" {
                1e-3
            } else {
                1e-6
            };
            cells += reference.len();
            bad.extend(compare(
                &ours,
                &reference,
                rel,
                &format!("{column} {}", class.name()),
            ));
            columns.insert(column.to_string());
        }
    }
    assert_eq!(columns.len(), 40, "all 5 cases x 8 settings columns");
    assert_eq!(cells, 3325, "every non-empty baseline value is checked");
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// brain1 under its baseline column brain1_resampling's settings (B-spline resampling to 2 mm),
/// every class, within 1e-6 of PyRadiomics 3.1's own values (tests/data/
/// brain1_resampling_oracle.py made them with the peers of ../shared/peers/setup.sh).
#[test]
fn brain1_resampling_matches_its_pyradiomics_oracle() {
    let r = reference_or_skip!();
    let py = r.join("pyradiomics");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let (image, mask) = read_pair(&py.join("data"), "brain1");
    let params = Params::from_file(&data.join("brain1_resampling.yaml")).unwrap();
    let ours = run(&image, &mask, &params);
    let reference = read_feature_csv(&data.join("brain1_resampling_pyradiomics.csv"));
    assert_eq!(reference.len(), 107);
    assert_eq!(ours.len(), 107);
    let bad = compare(&ours, &reference, 1e-6, "brain1_resampling");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
