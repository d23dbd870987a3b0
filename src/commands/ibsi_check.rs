//! `radaudit ibsi-check`: IBSI 1 compliance on the IBSI phantoms, with its report.

use std::path::PathBuf;

use super::{Outcome, print_stdout};
use crate::error::Result;
use crate::ibsi_check::{self, CheckArgs, CtSource};
use crate::output::write_bytes;

/// Check IBSI 1 compliance: run the IBSI digital phantom and CT phantom configurations
/// A-E through IBSI mode and compare every feature with the IBSI reference values.
/// Prints pass/fail per family and data set; writes ibsi_check.csv, ibsi_check.json and
/// report.html. Exit code 1 when a row fails.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Data set: dig, A, B, C, D, E or all.
    #[arg(long, default_value = "all")]
    config: String,
    /// The IBSI 1 reference folder (digital_phantom/, ct_phantom/, the reference tables)
    /// [default: $RADAUDIT_REFERENCE/ibsi1, else ../shared/reference/ibsi1].
    #[arg(long)]
    reference: Option<PathBuf>,
    /// The output folder.
    #[arg(long, value_name = "DIR", default_value = "ibsi-check")]
    out: PathBuf,
    /// Where the CT phantom (A-E) is read from: nifti, or dicom (its DICOM series and
    /// RTSTRUCT, rasterised on the series' grid).
    #[arg(long, value_enum, default_value_t = CtSource::Nifti)]
    ct_from: CtSource,
}

/// The reference folder when `--reference` is not given.
fn default_reference() -> PathBuf {
    match std::env::var_os("RADAUDIT_REFERENCE") {
        Some(dir) => PathBuf::from(dir).join("ibsi1"),
        None => PathBuf::from("../shared/reference/ibsi1"),
    }
}

/// Runs `radaudit ibsi-check`. The pass table is the result (stdout); where the files went is
/// said on stderr.
pub fn run(a: Args) -> Result<Outcome> {
    let outcome = ibsi_check::run(&CheckArgs {
        config: a.config,
        reference: a.reference.unwrap_or_else(default_reference),
        out: a.out.clone(),
        ct_from: a.ct_from,
    })?;
    let html = crate::report::ibsi::render(&outcome.results)?;
    write_bytes(&a.out.join("report.html"), html.as_bytes())?;
    print_stdout(&outcome.summary)?;
    eprintln!(
        "wrote {}/ibsi_check.csv, ibsi_check.json and report.html",
        a.out.display()
    );
    Ok(Outcome::checked(outcome.results.passed()))
}
