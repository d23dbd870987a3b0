//! `radaudit._radaudit`: the native module of the Python package. Each function takes plain
//! Python values (paths, a JSON parameter document, nested lists), releases the GIL while
//! radaudit works, and turns radaudit's errors into Python exceptions with radaudit's message
//! (FileNotFoundError for a missing file, ValueError otherwise); nothing here panics on input.

mod general_info;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyDict, PyTuple};
use radaudit::error::Error;
use radaudit::features::value::Timings;
use radaudit::features::{FeatureSet, extract_files, extract_loaded, load_case_beside};
use radaudit::stats::combat::Covariate;
use radaudit::volume::io::ReadOptions;

/// radaudit's error as the Python exception a caller expects: FileNotFoundError for a missing
/// input, OSError for an output that cannot be written, RuntimeError for an internal error,
/// ValueError for anything the input gets wrong.
fn python_error(e: Error) -> PyErr {
    match &e {
        Error::Input { path, .. } if !path.exists() => PyFileNotFoundError::new_err(e.to_string()),
        Error::Output { .. } => PyOSError::new_err(e.to_string()),
        Error::Internal(_) => PyRuntimeError::new_err(e.to_string()),
        _ => PyValueError::new_err(e.to_string()),
    }
}

/// The feature set of a parameter document (JSON text of a PyRadiomics or IBSI parameter
/// file's content) or a parameter file; PyRadiomics' defaults when neither is given.
fn feature_set(params_json: Option<&str>, params_file: Option<PathBuf>) -> PyResult<FeatureSet> {
    match (params_json, params_file) {
        (Some(_), Some(_)) => Err(PyValueError::new_err(
            "give a parameter document or a parameter file, not both",
        )),
        (Some(text), None) => {
            let doc: serde_json::Value = serde_json::from_str(text)
                .map_err(|e| PyValueError::new_err(format!("parameters: {e}")))?;
            let set = FeatureSet::from_value(&doc, None)
                .map_err(|e| PyValueError::new_err(format!("parameters: {e}")))?;
            set.validate()
                .map_err(|e| PyValueError::new_err(format!("parameters: {e}")))?;
            Ok(set)
        }
        (None, Some(path)) => {
            let set = FeatureSet::from_file(&path, None).map_err(python_error)?;
            set.validate()
                .map_err(|e| PyValueError::new_err(format!("{}: {e}", path.display())))?;
            Ok(set)
        }
        (None, None) => Ok(FeatureSet::default()),
    }
}

/// The features of one image and mask file, as (name, value) pairs in radaudit's order
/// (PyRadiomics' for the PyRadiomics convention). `label` overrides the parameters'. With
/// `diagnostics`, also PyRadiomics' `diagnostics_Image-*`/`Mask-*` entries (key without the
/// prefix, value; tuples where PyRadiomics gives tuples), from the same loaded image and mask.
#[pyfunction]
#[pyo3(signature = (image, mask, params_json=None, params_file=None, label=None, diagnostics=false))]
fn extract<'py>(
    py: Python<'py>,
    image: PathBuf,
    mask: PathBuf,
    params_json: Option<&str>,
    params_file: Option<PathBuf>,
    label: Option<u16>,
    diagnostics: bool,
) -> PyResult<ExtractResult<'py>> {
    use general_info::Value;
    let set = feature_set(params_json, params_file)?;
    let (values, entries) = py
        .detach(|| {
            let mut timings = Timings::default();
            let read = ReadOptions::default();
            // The diagnostics are mostly SHA1 of the mask and image: the mask's is taken
            // while the image is still being read, the image's beside the features.
            let mask_hash = |m: &_| diagnostics.then(|| general_info::mask_hash(m));
            let (case, mask_hash) =
                load_case_beside(&image, &mask, &set, label, &read, &mut timings, mask_hash)?;
            let (values, entries) = rayon::join(
                || extract_loaded(&case, &image, &mask, &mut timings),
                || {
                    let Some(mask_hash) = mask_hash else {
                        return Ok(Vec::new());
                    };
                    let l = case.features.label();
                    general_info::entries(&case.image, &case.mask, mask_hash, l, &case.features)
                        .map_err(|e| e.naming(&image, &mask))
                },
            );
            Ok::<_, Error>((values?, entries?))
        })
        .map_err(python_error)?;
    let entries = entries
        .into_iter()
        .map(|(key, value)| {
            let object = match value {
                Value::Text(t) => t.into_pyobject(py)?.into_any(),
                Value::Number(v) => v.into_pyobject(py)?.into_any(),
                Value::Count(v) => v.into_pyobject(py)?.into_any(),
                Value::Numbers(v) => PyTuple::new(py, v)?.into_any(),
                Value::Counts(v) => PyTuple::new(py, v)?.into_any(),
            };
            Ok((key, object))
        })
        .collect::<PyResult<_>>()?;
    Ok((
        values.into_iter().map(|v| (v.name, v.value)).collect(),
        entries,
    ))
}

/// `extract`'s result: the (name, value) pairs and the diagnostics entries.
type ExtractResult<'py> = (Vec<(String, f64)>, Vec<(String, Bound<'py, PyAny>)>);

/// The most threads `extract_batch` starts (a pool is built before any work).
const MAX_THREADS: usize = 1024;

/// One case's outcome: its (name, value) pairs, or the error's message.
type CaseResult = (Vec<(String, f64)>, Option<String>);

/// The features of many cases, in parallel on `threads` threads (all cores when None), the GIL
/// released: per case (in the given order) its (name, value) pairs and None, or no pairs and
/// the error's message. `progress(done, total)` is called (with the GIL) as each case ends.
#[pyfunction]
#[pyo3(signature = (cases, params_json=None, params_file=None, threads=None, progress=None))]
fn extract_batch(
    py: Python<'_>,
    cases: Vec<(PathBuf, PathBuf, Option<u16>)>,
    params_json: Option<&str>,
    params_file: Option<PathBuf>,
    threads: Option<usize>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Vec<CaseResult>> {
    use rayon::prelude::*;
    let set = feature_set(params_json, params_file)?;
    let threads = match threads {
        Some(n) if (1..=MAX_THREADS).contains(&n) => n,
        Some(n) => {
            return Err(PyValueError::new_err(format!(
                "threads {n}: 1 to {MAX_THREADS} (None: every core)"
            )));
        }
        None => 0,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| PyValueError::new_err(format!("threads: {e}")))?;
    let (finished, total) = (AtomicUsize::new(0), cases.len());
    Ok(py.detach(|| {
        pool.install(|| {
            cases
                .par_iter()
                .map(|(image, mask, label)| {
                    let outcome =
                        match extract_files(image, mask, &set, *label, &ReadOptions::default()) {
                            Ok((values, _)) => (
                                values.into_iter().map(|v| (v.name, v.value)).collect(),
                                None,
                            ),
                            Err(e) => (Vec::new(), Some(e.to_string())),
                        };
                    if let Some(callback) = &progress {
                        let done = finished.fetch_add(1, Ordering::Relaxed) + 1;
                        // A failing callback must not lose the batch: its error is dropped.
                        Python::attach(|py| {
                            let _ = callback.call1(py, (done, total));
                        });
                    }
                    outcome
                })
                .collect()
        })
    }))
}

/// The feature names a parameter document or file asks for, in output order.
#[pyfunction]
#[pyo3(signature = (params_json=None, params_file=None))]
fn feature_names(params_json: Option<&str>, params_file: Option<PathBuf>) -> PyResult<Vec<String>> {
    Ok(feature_set(params_json, params_file)?.feature_names())
}

/// The six ICC forms of a complete subjects x raters table, as rows (type, ICC, F, df1, df2,
/// p-value, CI low, CI high) in pingouin's order ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k.
#[pyfunction]
fn icc(py: Python<'_>, ratings: Vec<Vec<f64>>) -> PyResult<Vec<(String, [f64; 7])>> {
    let forms = py
        .detach(|| radaudit::stats::icc::icc(&ratings))
        .map_err(PyValueError::new_err)?;
    Ok(forms
        .iter()
        .map(|f| {
            (
                f.kind.name().to_string(),
                [f.icc, f.f, f.df1, f.df2, f.p, f.ci_low, f.ci_high],
            )
        })
        .collect())
}

/// The rows of a `features` x `width` C-contiguous float64 array (native byte order) handed
/// over as its bytes (how the Python side passes numpy arrays: one copy, no per-value Python
/// conversion), after checking the sizes agree.
fn rows(bytes: &[u8], features: usize, width: usize, what: &str) -> PyResult<Vec<Vec<f64>>> {
    let expected = features.checked_mul(width).and_then(|n| n.checked_mul(8));
    if expected != Some(bytes.len()) {
        return Err(PyValueError::new_err(format!(
            "{what}: {} bytes are not {features} features x {width} subjects of float64",
            bytes.len()
        )));
    }
    Ok((0..features)
        .map(|f| {
            bytes[f * width * 8..(f + 1) * width * 8]
                .chunks_exact(8)
                .map(|b| f64::from_ne_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
                .collect()
        })
        .collect())
}

/// Rows of float64 values as one bytearray in native byte order, for a writable
/// numpy.frombuffer without another copy.
fn float_bytes<'py>(py: Python<'py>, rows: &[Vec<f64>]) -> PyResult<Bound<'py, PyByteArray>> {
    let len = rows.iter().map(Vec::len).sum::<usize>() * 8;
    PyByteArray::new_with(py, len, |buffer| {
        for (slot, v) in buffer.chunks_exact_mut(8).zip(rows.iter().flatten()) {
            slot.copy_from_slice(&v.to_ne_bytes());
        }
        Ok(())
    })
}

/// Covariates in neuroCombat's design order: the categorical ones, then the continuous ones.
fn covariates(
    categorical: Vec<(String, Vec<String>)>,
    continuous: Vec<(String, Vec<f64>)>,
) -> Vec<Covariate> {
    categorical
        .into_iter()
        .map(|(name, values)| Covariate::Categorical { name, values })
        .chain(
            continuous
                .into_iter()
                .map(|(name, values)| Covariate::Continuous { name, values }),
        )
        .collect()
}

/// ComBat (radaudit's, neuroCombat's arithmetic with its defects mended): `dat` the bytes of a
/// features x subjects float64 array, one batch per subject. Returns a dict of the harmonized
/// data (a bytearray, features x subjects), the design (a bytearray, subjects x columns), the estimates
/// and the fitted model (JSON) for `combat_apply`.
#[pyfunction]
#[pyo3(signature = (dat, feature_names, subjects, batch, categorical, continuous, eb=true, parametric=true, mean_only=false, ref_batch=None))]
#[allow(clippy::too_many_arguments)]
fn combat<'py>(
    py: Python<'py>,
    dat: &[u8],
    feature_names: Vec<String>,
    subjects: Vec<String>,
    batch: Vec<String>,
    categorical: Vec<(String, Vec<String>)>,
    continuous: Vec<(String, Vec<f64>)>,
    eb: bool,
    parametric: bool,
    mean_only: bool,
    ref_batch: Option<String>,
) -> PyResult<Bound<'py, PyDict>> {
    use radaudit::stats::combat::{self, CombatData, CombatOptions, design};
    let n = batch.len();
    if subjects.len() != n {
        return Err(PyValueError::new_err(format!(
            "{} subject names for {n} subjects",
            subjects.len()
        )));
    }
    let values = rows(dat, feature_names.len(), n, "dat")?;
    let covariates = covariates(categorical, continuous);
    let options = CombatOptions {
        eb,
        parametric,
        mean_only,
        ref_batch,
        ..CombatOptions::default()
    };
    let data = CombatData {
        feature_names: &feature_names,
        values: &values,
        subjects: &subjects,
        batch: &batch,
        covariates: &covariates,
    };
    let (fit, mod_mean) = py
        .detach(|| {
            let fit = combat::fit(&data, &options)?;
            let mod_mean = fit.model.covariate_effects(&covariates, n)?;
            Ok::<_, String>((fit, mod_mean))
        })
        .map_err(PyValueError::new_err)?;
    // The design as the fit built it, for neuroCombat's `info["design"]`.
    let encodings = design::encodings(&covariates);
    let (covariate_rows, covariate_names) =
        design::covariate_columns(&encodings, &covariates, n).map_err(PyValueError::new_err)?;
    let batches = &fit.model.batches;
    let batch_index: Vec<usize> = design::level_indices(batches, &batch)
        .into_iter()
        .map(|i| i.unwrap_or(0))
        .collect();
    let reference = options
        .ref_batch
        .as_ref()
        .and_then(|r| design::level_index(batches, r));
    let (matrix, _) = design::design_matrix(
        &batch_index,
        batches,
        reference,
        &covariate_rows,
        &covariate_names,
    );
    let e = &fit.estimates;
    let out = PyDict::new(py);
    out.set_item("harmonized", float_bytes(py, &fit.harmonized)?)?;
    let design_rows: Vec<Vec<f64>> = matrix
        .row_iter()
        .map(|r| r.iter().copied().collect())
        .collect();
    out.set_item("design", float_bytes(py, &design_rows)?)?;
    out.set_item("design_columns", e.design_columns.clone())?;
    out.set_item("batches", batches.clone())?;
    out.set_item("batch_sizes", fit.model.batch_sizes.clone())?;
    out.set_item("ref_level", reference)?;
    out.set_item("stand_mean", e.stand_mean.clone())?;
    out.set_item("var_pooled", e.var_pooled.clone())?;
    out.set_item("mod_mean", float_bytes(py, &mod_mean)?)?;
    out.set_item("gamma_hat", e.gamma_hat.clone())?;
    out.set_item("delta_hat", e.delta_hat.clone())?;
    out.set_item("gamma_star", e.gamma_star.clone())?;
    out.set_item("delta_star", e.delta_star.clone())?;
    // Per batch: (gamma_bar, t2, a, b), None without EB.
    type Prior = (f64, f64, Option<f64>, Option<f64>);
    let priors: Vec<Option<Prior>> = e
        .priors
        .iter()
        .map(|p| p.map(|p| (p.gamma_bar, p.t2, p.a, p.b)))
        .collect();
    out.set_item("priors", priors)?;
    let model = serde_json::to_string(&fit.model)
        .map_err(|e| PyValueError::new_err(format!("the model: {e}")))?;
    out.set_item("model", model)?;
    out.set_item("notes", fit.notes.clone())?;
    Ok(out)
}

/// Harmonizes new subjects with a fitted ComBat model (`combat`'s "model"): `dat` the bytes
/// of a features x subjects float64 array in the model's feature order; each subject's
/// batch must be one the model knows and its covariates are the model's. Returns the bytes of
/// the harmonized array.
#[pyfunction]
#[pyo3(signature = (model, dat, subjects, batch, categorical, continuous))]
fn combat_apply<'py>(
    py: Python<'py>,
    model: &str,
    dat: &[u8],
    subjects: Vec<String>,
    batch: Vec<String>,
    categorical: Vec<(String, Vec<String>)>,
    continuous: Vec<(String, Vec<f64>)>,
) -> PyResult<Bound<'py, PyByteArray>> {
    use radaudit::stats::combat::{CombatModel, model::NewSubjects};
    let model: CombatModel = serde_json::from_str(model)
        .map_err(|e| PyValueError::new_err(format!("the ComBat model: {e}")))?;
    model
        .check()
        .map_err(|e| PyValueError::new_err(format!("the ComBat model: {e}")))?;
    let n = batch.len();
    if subjects.len() != n {
        return Err(PyValueError::new_err(format!(
            "{} subject names for {n} subjects",
            subjects.len()
        )));
    }
    let values = rows(dat, model.features.len(), n, "dat")?;
    let covariates = covariates(categorical, continuous);
    let new = NewSubjects {
        values: &values,
        subjects: &subjects,
        batch: &batch,
        covariates: &covariates,
    };
    let harmonized = py
        .detach(|| model.apply(&new))
        .map_err(PyValueError::new_err)?;
    float_bytes(py, &harmonized)
}

/// The robustness audit of a protocol, as `radaudit audit` runs it (the GIL released):
/// (run folder, report.html or None, whether the acceptance rule held, the closing lines).
#[pyfunction]
#[pyo3(signature = (protocol, out=None, threads=None))]
fn audit(
    py: Python<'_>,
    protocol: PathBuf,
    out: Option<PathBuf>,
    threads: Option<usize>,
) -> PyResult<(PathBuf, Option<PathBuf>, bool, String)> {
    let ran = py
        .detach(|| radaudit::commands::audit::audit_protocol(&protocol, out, threads))
        .map_err(python_error)?;
    Ok((ran.run_dir, ran.report, ran.passed, ran.text))
}

/// The AUC of `scores` for `labels` (true: a case; a higher score means a case) with its
/// DeLong variance and 95% CI: (auc, variance, ci_low, ci_high).
#[pyfunction]
fn roc_auc(scores: Vec<f64>, labels: Vec<bool>) -> PyResult<(f64, f64, f64, f64)> {
    let a = radaudit::stats::roc::auc(&scores, &labels).map_err(PyValueError::new_err)?;
    Ok((a.auc, a.variance, a.ci_low, a.ci_high))
}

/// DeLong's paired test of two scores' AUCs on the same subjects: (auc1, auc2, covariance,
/// difference, z, p two-sided, p greater, p less, CI low, CI high of the difference).
#[pyfunction]
fn roc_paired(scores1: Vec<f64>, scores2: Vec<f64>, labels: Vec<bool>) -> PyResult<[f64; 10]> {
    let t = radaudit::stats::roc::paired_test(&scores1, &scores2, &labels)
        .map_err(PyValueError::new_err)?;
    Ok([
        t.auc1,
        t.auc2,
        t.covariance,
        t.diff,
        t.z,
        t.p_two_sided,
        t.p_greater,
        t.p_less,
        t.ci_low,
        t.ci_high,
    ])
}

/// A parameter file's content (YAML or JSON) as JSON text, read by radaudit's bounded reader
/// (the Python side needs no YAML library).
#[pyfunction]
fn read_params(path: PathBuf) -> PyResult<String> {
    let doc = FeatureSet::document(&path).map_err(python_error)?;
    serde_json::to_string(&doc)
        .map_err(|e| PyValueError::new_err(format!("{}: {e}", path.display())))
}

/// The label number of `label` (a number, or a structure name) for the mask at `mask`: a name
/// is looked up in `label_table` (`totalsegmentator`, `totalsegmentator-v1` or a CSV of
/// `id,name`), else in the mask's own RTSTRUCT ROIs, SEG segments or per-structure files.
#[pyfunction]
#[pyo3(signature = (mask, label, label_table=None))]
fn resolve_label(mask: PathBuf, label: &str, label_table: Option<&str>) -> PyResult<u16> {
    use radaudit::volume::labels::{LabelRef, LabelTable};
    let table = label_table
        .map(LabelTable::load)
        .transpose()
        .map_err(python_error)?;
    let label = LabelRef::parse(label).map_err(PyValueError::new_err)?;
    radaudit::features::resolve_label(&label, &mask, table.as_ref()).map_err(python_error)
}

/// The native module.
#[pymodule]
fn _radaudit(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(extract, m)?)?;
    m.add_function(wrap_pyfunction!(extract_batch, m)?)?;
    m.add_function(wrap_pyfunction!(feature_names, m)?)?;
    m.add_function(wrap_pyfunction!(icc, m)?)?;
    m.add_function(wrap_pyfunction!(combat, m)?)?;
    m.add_function(wrap_pyfunction!(combat_apply, m)?)?;
    m.add_function(wrap_pyfunction!(audit, m)?)?;
    m.add_function(wrap_pyfunction!(roc_auc, m)?)?;
    m.add_function(wrap_pyfunction!(roc_paired, m)?)?;
    m.add_function(wrap_pyfunction!(resolve_label, m)?)?;
    m.add_function(wrap_pyfunction!(read_params, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
