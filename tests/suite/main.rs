//! radaudit's integration tests, one crate so that the library and the binary are linked
//! once: each module is one area (I/O, extraction, statistics, audit, ...). Reference data is
//! read from `$RADAUDIT_REFERENCE` or `../shared/reference`; with `RADAUDIT_REQUIRE_REFERENCE`
//! set (as `.ci/run` does) a missing reference is a failure instead of a skip.

#[macro_use]
mod common;
mod audit_common;
mod audit_filters;
mod compare_common;

mod audit_reference;
mod audit_report;
mod audit_run;
mod bad_input;
mod calibrate;
mod claims;
mod cli;
mod cli_grammar;
mod compare;
mod compare_options;
mod extract_cli;
mod extract_filters;
mod extract_peer_settings;
mod extract_reference;
mod ibsi;
mod ibsi2;
mod io_clinical;
mod io_fixtures;
mod io_reference;
mod io_roundtrip;
mod io_rtstruct;
mod io_seg;
mod io_transfer_syntaxes;
mod layers;
mod perturb_cli;
mod perturb_measured;
mod phantom_vertebra;
mod shape_mesh;
mod shard;
mod stats_batch;
mod stats_cli;
mod stats_combat;
mod stats_combat_gam;
mod stats_cv;
mod stats_icc;
mod stats_logistic;
mod stats_roc_dca;
