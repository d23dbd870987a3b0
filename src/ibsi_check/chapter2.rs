//! IBSI 2 (`ibsi-check --chapter 2`).
//!
//! Phase 1: every test of the reference folder's `phase1/tests.csv` run through
//! `features::ibsi::filters` on its digital phantom, the response map written to
//! `DIR/phase1/<id>.nii.gz` (`4_a_2` for test 4.a.2) and compared voxel by voxel with the
//! published reference map by IBSI's rule: every voxel within 1% of the reference map's range
//! (the CSV's `abs_tolerance`).
//!
//! Phase 2: every configuration of `phase2/settings.csv` with reference values, on the IBSI CT
//! phantom (the IBSI 1 copy, `ibsi1/ct_phantom/nifti` beside the IBSI 2 folder, which IBSI 2
//! says is byte-identical): A slice-wise 2-D filters on the original grid, B 3-D filters after
//! tricubic resampling to 1 mm, rounding and a trilinear ROI at 0.5; both re-segmented to
//! [-1000, 400] HU on the unfiltered image, mirror boundaries; the 18 intensity statistics of
//! the response against the reference values and tolerances.

use std::path::{Path, PathBuf};

use ndarray::Array3;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::features::ibsi::filters::Filter;
use crate::features::ibsi::settings::{IbsiSettings, Interpolation, Interpolator};
use crate::table::Table;
use crate::volume::io::{ReadOptions, WriteOptions, read_volume, write_volume};
use crate::volume::slice::{AxialSlice, Field};
use crate::volume::{PixelType, Volume};

/// One phase 1 test's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Phase1Row {
    /// The test id (`4.a.2`).
    pub id: String,
    /// The filter as the CSV names it.
    pub filter: String,
    /// radaudit's specification of it (`laws:kernel=E5L5S5,...`), when radaudit builds it.
    pub spec: Option<String>,
    /// `pass`, `fail`, `not built` (radaudit lacks the filter) or `no reference` (IBSI
    /// published no consensus map).
    pub status: String,
    /// The largest |radaudit - reference| over the voxels.
    pub max_difference: Option<f64>,
    /// The rule's tolerance: 1% of the reference map's range.
    pub tolerance: Option<f64>,
    /// The response map written, when computed.
    pub map: Option<PathBuf>,
    /// The response and the reference map on one axial slice, for the report.
    #[serde(skip)]
    pub slices: Option<MapSlices>,
}

/// One axial slice of a response map and of its reference map (the slice holding the
/// reference's largest |value|), on the phantom's whole field.
#[derive(Debug, Clone)]
pub struct MapSlices {
    /// radaudit's response.
    pub response: AxialSlice,
    /// The published reference map.
    pub reference: AxialSlice,
    /// The slice's index along k.
    pub k: usize,
    /// The reference map's smallest and largest value (all slices).
    pub range: (f64, f64),
}

/// The pictures' longer side, in pixels.
const PICTURE_SIDE: usize = 192;

/// The slices of `response` and `reference` (on `phantom`'s grid) through the reference's
/// largest |value|.
fn map_slices(phantom: &Volume, response: &Array3<f64>, reference: &Array3<f32>) -> MapSlices {
    let mut k_peak = 0;
    let mut peak = f32::NEG_INFINITY;
    for ((k, _, _), v) in reference.indexed_iter() {
        if v.abs() > peak {
            peak = v.abs();
            k_peak = k;
        }
    }
    let geometry = &phantom.geometry;
    let mut field = Field::whole(geometry, PICTURE_SIDE);
    field.z = geometry.index_to_point([0.0, 0.0, k_peak as f64])[2];
    let volume = |voxels: Array3<f32>| Volume {
        geometry: geometry.clone(),
        voxels,
        stored_type: PixelType::F32,
    };
    let range = reference
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(f64::from(v)), hi.max(f64::from(v)))
        });
    MapSlices {
        range,
        response: field.sample(&volume(response.mapv(|v| v as f32)), None),
        reference: field.sample(&volume(reference.clone()), None),
        k: k_peak,
    }
}

/// The file-name form of a test id: `4.a.2` -> `4_a_2`.
pub fn file_id(id: &str) -> String {
    id.replace('.', "_")
}

/// radaudit's specification of a test row (None when the filter is not built yet), from the
/// CSV's columns by name.
fn spec_of(get: &dyn Fn(&str) -> String) -> Option<String> {
    let common = format!("boundary={},dims={}", get("boundary"), get("dims"));
    match get("filter").as_str() {
        "mean" => Some(format!("mean:support={},{common}", get("mean_support_vox"))),
        "LoG" => Some(format!(
            "log:sigma={},cutoff={},{common}",
            get("sigma_mm"),
            get("cutoff_sigmas")
        )),
        "Laws" => {
            let mut s = format!("laws:kernel={},{common}", get("laws_kernel"));
            let invariance = get("rotation_invariance");
            if !invariance.is_empty() && invariance != "no" {
                s += &format!(",invariance=true,pooling={}", get("pooling"));
            }
            let energy = get("laws_energy_delta_vox");
            if !energy.is_empty() {
                s += &format!(",energy={energy}");
            }
            Some(s)
        }
        "Riesz-transformed LoG" if get("riesz_structure_tensor_sigma_mm").is_empty() => {
            Some(format!(
                "riesz:sigma={},cutoff={},order={},{common}",
                get("sigma_mm"),
                get("cutoff_sigmas"),
                get("riesz_order")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join("/")
            ))
        }
        "Gabor" => {
            let mut s = format!(
                "gabor:sigma={},lambda={},gamma={},boundary={}",
                get("sigma_mm"),
                get("gabor_lambda_mm"),
                get("gabor_gamma"),
                get("boundary")
            );
            let delta = get("gabor_delta_theta_rad");
            if delta.is_empty() {
                s += &format!(",theta={}", get("gabor_theta_rad"));
            } else {
                s += &format!(",delta_theta={delta},pooling={}", get("pooling"));
            }
            if get("gabor_orthogonal_planes") == "yes" {
                s += ",orthogonal=true";
            }
            Some(s)
        }
        // Fourier-domain filters over the whole image: periodic whatever the table says
        // (phase 2 names mirror; MIRP and the reference values do not extend the image).
        "Riesz-transformed Simoncelli wavelet"
            if get("riesz_structure_tensor_sigma_mm").is_empty() =>
        {
            Some(format!(
                "riesz:base=simoncelli,level={},order={},dims={}",
                get("decomposition_level"),
                get("riesz_order")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join("/"),
                get("dims")
            ))
        }
        _ if get("wavelet") == "simoncelli" => Some(format!(
            "simoncelli:level={},dims={}",
            get("decomposition_level"),
            get("dims")
        )),
        f if f.contains("wavelet") => {
            let invariance = get("rotation_invariance");
            Some(format!(
                "wavelet:name={},band={},level={},invariance={},{common}",
                get("wavelet"),
                get("wavelet_map"),
                get("decomposition_level"),
                !invariance.is_empty() && invariance != "no"
            ))
        }
        _ => None,
    }
}

/// The cell of column `name` in `row` of `table`, empty when the file has no such column
/// (phase 1's and phase 2's tables share the filter columns, not all of them).
fn cell(table: &Table, row: &csv::StringRecord, name: &str) -> String {
    table
        .column(name)
        .map_or(String::new(), |c| row[c].to_string())
}

/// Runs every phase 1 test of `reference` (the IBSI 2 folder), writing maps under `out`.
pub fn phase1(reference: &Path, out: &Path) -> Result<Vec<Phase1Row>> {
    let csv_path = reference.join("phase1/tests.csv");
    let tests = Table::read(&csv_path)?;
    let maps = out.join("phase1");
    std::fs::create_dir_all(&maps).map_err(|e| Error::output(&maps, e.to_string()))?;
    let mut rows = Vec::new();
    for record in &tests.rows {
        let get = |name: &str| cell(&tests, record, name);
        let id = get("test_id");
        let spec = spec_of(&get);
        let reference_map = get("reference_map");
        let tolerance = get("abs_tolerance").parse::<f64>().ok();
        let mut row = Phase1Row {
            id: id.clone(),
            filter: get("filter"),
            spec: spec.clone(),
            status: String::new(),
            max_difference: None,
            tolerance,
            map: None,
            slices: None,
        };
        let Some(spec) = spec else {
            row.status = "not built".into();
            rows.push(row);
            continue;
        };
        let filter =
            Filter::parse(&spec).map_err(|e| Error::input(&csv_path, format!("test {id}: {e}")))?;
        let phantom_path = reference.join("phase1").join(get("phantom_file"));
        let phantom = read_volume(&phantom_path, &ReadOptions::default())?;
        let voxels = phantom.voxels.mapv(f64::from);
        let response = filter
            .apply(&voxels, phantom.geometry.spacing)
            .map_err(|e| Error::input(&csv_path, format!("test {id}: {e}")))?;
        let map_path = maps.join(format!("{}.nii.gz", file_id(&id)));
        write_map(&phantom, &response, &map_path)?;
        row.map = Some(map_path);
        if reference_map.is_empty() {
            row.status = "no reference".into();
            rows.push(row);
            continue;
        }
        let expected = read_volume(
            &reference.join("phase1").join(&reference_map),
            &ReadOptions::default(),
        )?;
        if expected.voxels.dim() != response.dim() {
            return Err(Error::Mismatch(format!(
                "test {id}: reference map {:?} voxels, response {:?}",
                expected.voxels.dim(),
                response.dim()
            )));
        }
        let worst = response
            .iter()
            .zip(expected.voxels.iter())
            .map(|(a, b)| (a - f64::from(*b)).abs())
            .fold(
                0.0f64,
                |m, d| if d.is_nan() { f64::INFINITY } else { m.max(d) },
            );
        row.max_difference = Some(worst);
        row.slices = Some(map_slices(&phantom, &response, &expected.voxels));
        row.status = if tolerance.is_some_and(|t| worst <= t) {
            "pass"
        } else {
            "fail"
        }
        .into();
        rows.push(row);
    }
    Ok(rows)
}

/// Writes a response map as float32 on the phantom's grid.
fn write_map(phantom: &Volume, response: &Array3<f64>, path: &Path) -> Result<()> {
    let map = Volume {
        geometry: phantom.geometry.clone(),
        voxels: response.mapv(|v| v as f32),
        stored_type: PixelType::F32,
    };
    write_volume(&map, path, &WriteOptions::default())
}

/// The terminal table: one line per test.
pub fn table(rows: &[Phase1Row]) -> String {
    let mut out = format!(
        "{:<8} {:<40} {:<13} {:>14} {:>12}\n",
        "test", "filter", "result", "max |diff|", "tolerance"
    );
    for r in rows {
        out += &format!(
            "{:<8} {:<40} {:<13} {:>14} {:>12}\n",
            r.id,
            r.filter,
            r.status,
            r.max_difference.map_or("-".into(), |d| format!("{d:.6}")),
            r.tolerance.map_or("-".into(), |t| format!("{t:.6}")),
        );
    }
    let with_map = rows.iter().filter(|r| r.tolerance.is_some()).count();
    let passed = rows.iter().filter(|r| r.status == "pass").count();
    out += &format!("phase 1: {passed} of {with_map} tests with a reference map pass\n");
    out
}

/// One phase 2 row.
#[derive(Debug, Clone, Serialize)]
pub struct Phase2Row {
    /// The configuration (`3.B`).
    pub config: String,
    /// The IBSI tag (`stat_mean`).
    pub feature_tag: String,
    /// radaudit's value (None: the filter is not built).
    pub value: Option<f64>,
    /// The reference value.
    pub reference: f64,
    /// Its tolerance.
    pub tolerance: f64,
    /// |value - reference| <= tolerance.
    pub pass: bool,
}

/// The IBSI settings of a phase 2 configuration row (None: its filter is not built).
fn phase2_settings(get: &dyn Fn(&str) -> String) -> Option<IbsiSettings> {
    let config = get("config");
    let three_d = config.ends_with('B');
    let filter = match get("filter").as_str() {
        "none" => None,
        _ => {
            // The settings CSV names the boundary `boundary_condition` and gives the
            // dimensionality by the configuration's letter.
            let dims = |name: &str| match name {
                "dims" if three_d => "3D".to_string(),
                "dims" => "2D".to_string(),
                "boundary" => get("boundary_condition"),
                _ => get(name),
            };
            Some(Filter::parse(&spec_of(&dims)?).ok()?)
        }
    };
    Some(IbsiSettings {
        round_intensities: true,
        interpolation: three_d.then_some(Interpolation {
            spacing: [Some(1.0); 3],
            image: Interpolator::Cubic,
            roi_threshold: 0.5,
        }),
        resegment_range: Some([-1000.0, 400.0]),
        features: Some(vec!["intensity_statistics".into()]),
        filter,
        ..IbsiSettings::default()
    })
}

/// Runs every phase 2 configuration with reference values.
pub fn phase2(reference: &Path) -> Result<Vec<Phase2Row>> {
    let ct = reference
        .parent()
        .unwrap_or(Path::new("."))
        .join("ibsi1/ct_phantom/nifti");
    let image = read_volume(&ct.join("image/phantom.nii.gz"), &ReadOptions::default())?;
    let mask = crate::volume::io::read_mask(&ct.join("mask/mask.nii.gz"), &ReadOptions::default())?;
    let values = Table::read(&reference.join("phase2/reference_values.csv"))?;
    let (configs, tags) = (values.text("config")?, values.text("feature_tag")?);
    let (expected, tolerances) = (
        values.numbers("reference_value")?,
        values.numbers("tolerance")?,
    );
    let references: Vec<(&str, &str, f64, f64)> = (0..configs.len())
        .map(|k| (configs[k], tags[k], expected[k], tolerances[k]))
        .collect();
    let settings = Table::read(&reference.join("phase2/settings.csv"))?;
    let mut rows = Vec::new();
    for record in &settings.rows {
        let get = |name: &str| cell(&settings, record, name);
        let config = get("config");
        let wanted: Vec<&(&str, &str, f64, f64)> =
            references.iter().filter(|r| r.0 == config).collect();
        if wanted.is_empty() {
            continue;
        }
        let computed = match phase2_settings(&get) {
            None => Vec::new(),
            Some(settings) => crate::features::ibsi::compute(&image, &mask, &settings)
                .map_err(|e| Error::Usage(format!("phase 2 configuration {config}: {e}")))?
                .into_iter()
                .map(|v| {
                    let tag = v
                        .name
                        .rsplit_once("_stat_")
                        .map_or(v.name.clone(), |(_, t)| format!("stat_{t}"));
                    (tag, v.value)
                })
                .collect(),
        };
        for &&(_, tag, value, tolerance) in &wanted {
            let got = computed.iter().find(|(t, _)| t == tag).map(|(_, v)| *v);
            rows.push(Phase2Row {
                config: config.clone(),
                feature_tag: tag.to_string(),
                value: got,
                reference: value,
                tolerance,
                pass: got.is_some_and(|v| crate::ibsi_check::within(v, value, tolerance)),
            });
        }
    }
    Ok(rows)
}

/// Writes `phase2.csv`: config, feature_tag, value, reference, tolerance, pass.
pub fn write_phase2(rows: &[Phase2Row], path: &Path) -> Result<()> {
    let mut text = String::from("config,feature_tag,value,reference,tolerance,pass\n");
    for r in rows {
        text += &format!(
            "{},{},{},{},{},{}\n",
            r.config,
            r.feature_tag,
            r.value
                .map_or(String::new(), |v| crate::table::format_short(v, 9)),
            r.reference,
            r.tolerance,
            r.pass
        );
    }
    crate::output::write_bytes(path, text.as_bytes())
}

/// The terminal lines for phase 2: per configuration, rows passed.
pub fn phase2_table(rows: &[Phase2Row]) -> String {
    let mut configs: Vec<&str> = Vec::new();
    for r in rows {
        if !configs.contains(&r.config.as_str()) {
            configs.push(&r.config);
        }
    }
    let mut out = String::from("phase 2: configuration, rows within tolerance\n");
    for c in configs {
        let of: Vec<&Phase2Row> = rows.iter().filter(|r| r.config == c).collect();
        let passed = of.iter().filter(|r| r.pass).count();
        let built = of.iter().any(|r| r.value.is_some());
        out += &format!(
            "  {c:<5} {passed:>2}/{:<2}{}\n",
            of.len(),
            if built { "" } else { "  (filter not built)" }
        );
    }
    let passed = rows.iter().filter(|r| r.pass).count();
    out += &format!(
        "phase 2: {passed} of {} rows within tolerance\n",
        rows.len()
    );
    out
}

/// Writes `phase1.csv`: id, filter, spec, status, max_difference, tolerance.
pub fn write_csv(rows: &[Phase1Row], path: &Path) -> Result<()> {
    let mut text = String::from("test_id,filter,spec,status,max_difference,tolerance\n");
    let quote = |s: &str| {
        if s.contains([',', '"']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    for r in rows {
        text += &format!(
            "{},{},{},{},{},{}\n",
            r.id,
            quote(&r.filter),
            quote(r.spec.as_deref().unwrap_or("")),
            r.status,
            r.max_difference
                .map_or(String::new(), |d| crate::table::format_short(d, 9)),
            r.tolerance
                .map_or(String::new(), |t| crate::table::format_short(t, 9)),
        );
    }
    crate::output::write_bytes(path, text.as_bytes())
}
