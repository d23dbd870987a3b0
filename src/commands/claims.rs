//! `radaudit claims`: a reviewer's consistency check of a study's reported numbers, with its
//! report.

use std::path::PathBuf;

use super::Outcome;
use crate::claims::{self, ClaimsArgs};
use crate::error::Result;
use crate::output::write_bytes;

/// Check a study's reported numbers for consistency (for reviewers): counts and subsets
/// that must add up, percentages against whole counts, rates against one confusion
/// matrix, AUC CIs against Hanley-McNeil, an operating point against its AUC, p-values
/// against their statistics, ICC CIs against subjects and raters, events per feature.
/// Writes claims.json and report.html; exit code 1 if any claim is impossible.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The claims file (YAML), e.g. protocols/claims/osteoporosis-review.yaml.
    file: PathBuf,
    /// The output folder.
    #[arg(long, value_name = "DIR", default_value = "claims")]
    out: PathBuf,
}

/// Runs `radaudit claims`.
pub fn run(a: Args) -> Result<Outcome> {
    let outcome = claims::run(&ClaimsArgs {
        file: a.file,
        out: a.out.clone(),
    })?;
    let html = crate::report::claims::render(&outcome.results)?;
    write_bytes(&a.out.join("report.html"), html.as_bytes())?;
    eprint!("{}", outcome.summary);
    Ok(Outcome::checked(outcome.results.tally.impossible == 0))
}
