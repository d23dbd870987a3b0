//! `radaudit compare`: a radiomic model side by side with the clinical references, with its
//! report.

use std::path::PathBuf;

use super::Outcome;
use crate::compare::{self, CompareArgs, spec::Flags};
use crate::error::Result;
use crate::output::write_bytes;

/// Compare a radiomic model with the clinical references (DXA T-score, FRAX, L1 HU) on
/// the same patients: AUCs with DeLong CIs and paired tests, sensitivity/specificity/PPV/
/// NPV with Wilson CIs at declared thresholds, calibration, decision curves, NRI/IDI and
/// kappa. A model fitted here (LASSO-logistic, nested cross-validation or a declared
/// split) is judged on held-out predictions only. Writes CSV tables, results.json,
/// manifest.json and report.html to DIR. Give a protocol, or the common case as flags:
/// `--cohort C.csv --outcome osteoporosis_true --feature-prefix original_ --t-score t_score`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The comparison protocol (YAML); or use --cohort and the flags below.
    #[arg(required_unless_present = "cohort", conflicts_with = "cohort")]
    protocol: Option<PathBuf>,
    /// The output folder.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The cohort CSV (one row per patient), instead of a protocol.
    #[arg(long)]
    cohort: Option<PathBuf>,
    /// The patient id column.
    #[arg(long, default_value = "id")]
    id: String,
    /// A 0/1 outcome column (repeat for several outcomes).
    #[arg(long = "outcome")]
    outcomes: Vec<String>,
    /// A column holding the model's score: COL (higher means the outcome) or COL:lower.
    #[arg(long)]
    score: Option<String>,
    /// Fit LASSO-logistic on every column starting with this prefix.
    #[arg(long)]
    feature_prefix: Option<String>,
    /// DXA T-score column (threshold -2.5).
    #[arg(long)]
    t_score: Option<String>,
    /// FRAX major-osteoporotic probability column, percent (threshold 20).
    #[arg(long)]
    frax_mof: Option<String>,
    /// FRAX hip probability column, percent (threshold 3).
    #[arg(long)]
    frax_hip: Option<String>,
    /// L1 trabecular attenuation column, HU (thresholds 110 and 160).
    #[arg(long)]
    l1_hu: Option<String>,
    /// Seed of the folds and bootstraps.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Runs `radaudit compare`.
pub fn run(a: Args) -> Result<Outcome> {
    let flags = Flags {
        cohort: a.cohort,
        id: a.id,
        outcomes: a.outcomes,
        score: a.score,
        feature_prefix: a.feature_prefix,
        t_score: a.t_score,
        frax_mof: a.frax_mof,
        frax_hip: a.frax_hip,
        l1_hu: a.l1_hu,
        seed: a.seed,
    };
    let compared = compare::run(&CompareArgs {
        protocol: a.protocol,
        flags,
        out: a.out.clone(),
    })?;
    let html = crate::report::compare::render(&compared)?;
    write_bytes(&a.out.join("report.html"), html.as_bytes())?;
    eprint!("{}", compared.summary);
    Ok(Outcome::Done)
}
