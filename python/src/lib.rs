//! `radaudit._radaudit`: the native module of the Python package. Each function takes plain
//! Python values (paths, a JSON parameter document, nested lists), releases the GIL while
//! radaudit works, and turns radaudit's errors into Python exceptions with radaudit's message
//! (FileNotFoundError for a missing file, ValueError otherwise); nothing here panics on input.

use std::path::PathBuf;

use pyo3::exceptions::{PyFileNotFoundError, PyValueError};
use pyo3::prelude::*;
use radaudit::error::Error;
use radaudit::features::{FeatureSet, extract_files};
use radaudit::volume::io::ReadOptions;

/// radaudit's error as the Python exception a caller expects.
fn python_error(e: Error) -> PyErr {
    match &e {
        Error::Input { path, .. } if !path.exists() => PyFileNotFoundError::new_err(e.to_string()),
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
/// (PyRadiomics' for the PyRadiomics convention). `label` overrides the parameters'.
#[pyfunction]
#[pyo3(signature = (image, mask, params_json=None, params_file=None, label=None))]
fn extract(
    py: Python<'_>,
    image: PathBuf,
    mask: PathBuf,
    params_json: Option<&str>,
    params_file: Option<PathBuf>,
    label: Option<u16>,
) -> PyResult<Vec<(String, f64)>> {
    let set = feature_set(params_json, params_file)?;
    let values = py
        .detach(|| extract_files(&image, &mask, &set, label, &ReadOptions::default()))
        .map_err(python_error)?
        .0;
    Ok(values.into_iter().map(|v| (v.name, v.value)).collect())
}

/// The most threads `extract_batch` starts (a pool is built before any work).
const MAX_THREADS: usize = 1024;

/// One case's outcome: its (name, value) pairs, or the error's message.
type CaseResult = (Vec<(String, f64)>, Option<String>);

/// The features of many cases, in parallel on `threads` threads (all cores when None), the GIL
/// released: per case (in the given order) its (name, value) pairs and None, or no pairs and
/// the error's message.
#[pyfunction]
#[pyo3(signature = (cases, params_json=None, params_file=None, threads=None))]
fn extract_batch(
    py: Python<'_>,
    cases: Vec<(PathBuf, PathBuf, Option<u16>)>,
    params_json: Option<&str>,
    params_file: Option<PathBuf>,
    threads: Option<usize>,
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
    Ok(py.detach(|| {
        pool.install(|| {
            cases
                .par_iter()
                .map(|(image, mask, label)| {
                    match extract_files(image, mask, &set, *label, &ReadOptions::default()) {
                        Ok((values, _)) => (
                            values.into_iter().map(|v| (v.name, v.value)).collect(),
                            None,
                        ),
                        Err(e) => (Vec::new(), Some(e.to_string())),
                    }
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

/// The native module.
#[pymodule]
fn _radaudit(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(extract, m)?)?;
    m.add_function(wrap_pyfunction!(extract_batch, m)?)?;
    m.add_function(wrap_pyfunction!(feature_names, m)?)?;
    m.add_function(wrap_pyfunction!(icc, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
