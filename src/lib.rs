//! radaudit: audits radiomic features for reproducibility and harmonization.
//!
//! The library behind the `radaudit` command. Its modules stand in layers; a module may use
//! modules of its own layer or below, never above, and no two modules import each other
//! (`tests/suite/layers.rs` checks every `crate::` path in `src/` against [`LAYERS`]). From
//! the ground up:
//!
//! | layer | modules | what they are for |
//! | --- | --- | --- |
//! | ground | `error`, `limits`, `output`, `progress`, `table`, `yaml` | the error type; the limits on work an input may ask for; atomic writes, JSON; progress on stderr; CSV tables; YAML documents with key paths |
//! | volume | `volume` | volumes and masks on ITK's LPS grid, resampling, NIfTI/NRRD/DICOM I/O, built-in volumes (`builtin:ibsi-digital`) |
//! | engines | `features` | the two feature engines side by side, `features::pyradiomics` and `features::ibsi`, with the convention switch above both |
//! | perturb, stats | `perturb`, `stats` | acquisition perturbations, one file per axis; ICC, CCC, ComBat, ROC, calibration, decision curves, ... |
//! | jobs | `audit`, `calibrate`, `claims`, `compare`, `extract`, `ibsi_check`, `phantom` | pipelines that read their inputs, write their tables and return typed results |
//! | report | `report` | HTML reports (tera templates, inline SVG) drawn from the jobs' typed results |
//! | commands | `commands` | one front end per subcommand: clap arguments, the job, the report, the outcome |
//! | tests | `fuzz` (test builds only) | the seeded mutation harness over every front end that reads user input |
//!
//! The binary (`src/main.rs`) stands above `commands`: it declares the subcommands,
//! dispatches, and maps each [`commands::Outcome`] or [`Error`] to the exit code.
//!
//! The public API is what callers outside the crate use (the tests, the timing examples, a
//! future Python binding): [`volume`] (volumes, masks, geometry, reading and writing),
//! [`table`], [`features`] (the feature set, extraction from files or memory, each engine's
//! entry points), [`stats`], [`perturb`] (chains, seeded streams, the kV model),
//! [`phantom::vertebra`], [`audit`]'s protocol, plan, journal, outputs and shards,
//! [`ibsi_check`] and [`commands`]. Everything else, the reports, the comparison, the
//! claims and calibration pipelines and each engine's internals, is `pub(crate)`.

// 3x3 geometry reads best as index loops over rows and columns.
#![allow(clippy::needless_range_loop)]
#![warn(missing_docs)]

pub mod audit;
pub(crate) mod calibrate;
pub(crate) mod claims;
pub mod commands;
pub(crate) mod compare;
pub mod error;
pub(crate) mod extract;
pub mod features;
#[cfg(test)]
mod fuzz;
pub mod ibsi_check;
pub mod limits;
pub(crate) mod output;
pub mod perturb;
pub mod phantom;
pub(crate) mod progress;
pub(crate) mod report;
pub mod stats;
pub mod table;
pub mod volume;
pub(crate) mod yaml;

pub use error::{Error, Result};

/// The layers of the library, from the ground up, each with its top-level modules (see the
/// table above). A module may use modules of its own layer or below, never above.
pub const LAYERS: [&[&str]; 8] = [
    &["error", "limits", "output", "progress", "table", "yaml"],
    &["volume"],
    &["features"],
    &["perturb", "stats"],
    &[
        "audit",
        "calibrate",
        "claims",
        "compare",
        "extract",
        "ibsi_check",
        "phantom",
    ],
    &["report"],
    &["commands"],
    &["fuzz"],
];
