//! `radaudit calibrate`: a site's scanner calibration from a phantom scan, with its report.

use std::path::PathBuf;

use super::Outcome;
use crate::calibrate::{self, CalibrateArgs};
use crate::error::Result;
use crate::output::write_bytes;

/// Calibrate a site's scanner from a scan of a QCT phantom: find the phantom, measure its
/// rods, fit HU = a + b x density, convert a vertebral ROI to vBMD (ACR category), and
/// compare with a reference site's calibration.json against the phantom file's limits.
/// Writes calibration.json and report.html; exit code 1 when a limit fails.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The phantom scan.
    #[arg(long)]
    scan: PathBuf,
    /// The phantom definition (YAML), e.g. phantoms/qct-ha-4.yaml.
    #[arg(long)]
    phantom: PathBuf,
    /// A vertebral trabecular ROI (mask on the scan's grid) to convert to vBMD.
    #[arg(long)]
    vertebra_mask: Option<PathBuf>,
    /// A reference site's calibration.json to compare with.
    #[arg(long)]
    reference: Option<PathBuf>,
    /// A reference scanner's texture_features.csv (repeat, at least 2): the site's
    /// phantom texture features are checked against their distribution.
    #[arg(long)]
    features: Vec<PathBuf>,
    /// The output folder.
    #[arg(long, value_name = "DIR", default_value = "calibration")]
    out: PathBuf,
}

/// Runs `radaudit calibrate`.
pub fn run(a: Args) -> Result<Outcome> {
    let outcome = calibrate::run(&CalibrateArgs {
        scan: a.scan,
        phantom: a.phantom,
        vertebra_mask: a.vertebra_mask,
        reference: a.reference,
        features: a.features,
        out: a.out.clone(),
    })?;
    let html = crate::report::calibrate::render(&outcome)?;
    write_bytes(&a.out.join("report.html"), html.as_bytes())?;
    eprint!("{}", outcome.summary);
    Ok(Outcome::checked(outcome.result.passed))
}
