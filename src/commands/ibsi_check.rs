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
    /// IBSI chapter: 1 (features) or 2 (filters: phase 1's digital phantoms against the
    /// reference response maps, every map written to DIR/phase1/ID.nii.gz and the table to
    /// DIR/phase1.csv; phase 2's configurations on the CT phantom to DIR/phase2.csv; both in
    /// DIR/report.html, with each map beside the reference's and their difference).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    chapter: u8,
    /// Data set: dig, A, B, C, D, E or all (chapter 1).
    #[arg(long, default_value = "all")]
    config: String,
    /// The IBSI reference folder: chapter 1's (digital_phantom/, ct_phantom/, the reference
    /// tables) [default: $RADAUDIT_REFERENCE/ibsi1, else ../shared/reference/ibsi1], or
    /// chapter 2's (phase1/) [default: .../ibsi2].
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

/// The reference folder of `chapter` (`ibsi1`, `ibsi2`) when `--reference` is not given.
fn default_reference(chapter: &str) -> PathBuf {
    match std::env::var_os("RADAUDIT_REFERENCE") {
        Some(dir) => PathBuf::from(dir).join(chapter),
        None => PathBuf::from("../shared/reference").join(chapter),
    }
}

/// Chapter 2: phase 1's tests and phase 2's configurations, with the report; exit 1 unless
/// every test with a reference map passes and every phase 2 value is met.
fn chapter2(a: Args) -> Result<Outcome> {
    let reference = a.reference.unwrap_or_else(|| default_reference("ibsi2"));
    let rows = ibsi_check::chapter2::phase1(&reference, &a.out)?;
    ibsi_check::chapter2::write_csv(&rows, &a.out.join("phase1.csv"))?;
    let phase2 = ibsi_check::chapter2::phase2(&reference)?;
    ibsi_check::chapter2::write_phase2(&phase2, &a.out.join("phase2.csv"))?;
    print_stdout(&format!(
        "{}{}",
        ibsi_check::chapter2::table(&rows),
        ibsi_check::chapter2::phase2_table(&phase2)
    ))?;
    let html = crate::report::ibsi2::render(&rows, &phase2)?;
    write_bytes(&a.out.join("report.html"), html.as_bytes())?;
    eprintln!(
        "wrote {0}/phase1.csv, the response maps in {0}/phase1/, {0}/phase2.csv and {0}/report.html",
        a.out.display()
    );
    let passed = rows
        .iter()
        .filter(|r| r.tolerance.is_some())
        .all(|r| r.status == "pass")
        && phase2.iter().all(|r| r.pass);
    Ok(Outcome::checked(passed))
}

/// Runs `radaudit ibsi-check`. The pass table is the result (stdout); where the files went is
/// said on stderr.
pub fn run(a: Args) -> Result<Outcome> {
    if a.chapter == 2 {
        return chapter2(a);
    }
    let outcome = ibsi_check::run(&CheckArgs {
        config: a.config,
        reference: a.reference.unwrap_or_else(|| default_reference("ibsi1")),
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
