//! radaudit: audits radiomic features for reproducibility and harmonization.
//!
//! The library behind the `radaudit` command. `volume` reads and writes medical volumes
//! (NIfTI, NRRD, DICOM series) on ITK's LPS grid; `features` and `extract` compute
//! PyRadiomics-compatible features; `stats` holds ICC, CCC, ComBat, batch-effect tests, ROC,
//! calibration and decision curves, and `commands` their table-in, table-out front ends;
//! `phantom` holds built-in test volumes; `table` reads CSV tables; `output` writes files
//! atomically; `error` is the error type every function returns.

// 3x3 geometry reads best as index loops over rows and columns.
#![allow(clippy::needless_range_loop)]

pub mod audit;
pub mod calibrate;
pub mod claims;
pub mod commands;
pub mod compare;
pub mod error;
pub mod extract;
pub mod features;
pub mod ibsi;
pub mod output;
pub mod perturb;
pub mod phantom;
pub mod protocol;
pub mod report;
pub mod stats;
pub mod table;
pub mod volume;

pub use error::{Error, Result};
