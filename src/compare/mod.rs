//! `radaudit compare`: a radiomic model side by side with the clinical references (DXA
//! T-score, FRAX, L1 attenuation) on the same patients: AUC with DeLong CIs and ROC bands,
//! paired DeLong tests, sensitivity/specificity/PPV/NPV with Wilson CIs at the declared
//! thresholds, calibration and decision curves for the predictors that are probabilities, NRI
//! and IDI against each probability reference, and agreement (Cohen's kappa) with each
//! reference's classification, for one outcome or several. A model fitted here
//! (LASSO-logistic, `model`) is judged only on patients it was not fitted on.

pub mod analysis;
pub mod model;
pub mod results;
pub mod spec;
pub mod tables;
pub mod tscore;

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::error::{Error, Result};
use crate::output::{Tool, write_bytes, write_json};
use crate::progress::Progress;
use crate::table::{Table, format_number};
use crate::yaml::{parse as parse_yaml, resolve};
use results::{Manifest, OutcomeResults, Results};
use spec::{CompareProtocol, Direction, Reference, Scale};

/// What `radaudit compare` was asked to do: a protocol file, or the common case from flags.
#[derive(Debug, Clone)]
pub struct CompareArgs {
    pub protocol: Option<PathBuf>,
    pub flags: spec::Flags,
    pub out: PathBuf,
}

/// One predictor's values on every patient, oriented so that higher means the outcome.
#[derive(Debug, Clone)]
pub struct Predictor {
    pub name: String,
    pub values: Vec<f64>,
    pub direction: Direction,
    pub thresholds: Vec<f64>,
    /// Probabilities (for calibration, decision curves and reclassification), if it is one.
    pub probability: Option<Vec<f64>>,
    /// A fitted model's own classification (threshold chosen on its training folds).
    pub classification: Option<Vec<bool>>,
}

impl Predictor {
    /// A predictor read from a cohort column (a reference, or a model's given score).
    pub fn from_column(table: &Table, r: &Reference) -> Result<Predictor> {
        let values = column(table, &r.column, r.scale)?;
        Ok(Predictor {
            name: r.name.clone(),
            probability: r
                .scale
                .to_probability()
                .map(|f| values.iter().map(|v| v * f).collect()),
            values,
            direction: r.direction,
            thresholds: r.thresholds.clone(),
            classification: None,
        })
    }

    /// The predictor on the rows `rows` only (in that order).
    pub fn subset(self, rows: &[usize]) -> Predictor {
        let pick = |v: &[f64]| rows.iter().map(|&i| v[i]).collect::<Vec<f64>>();
        Predictor {
            values: pick(&self.values),
            probability: self.probability.as_deref().map(pick),
            classification: self
                .classification
                .map(|c| rows.iter().map(|&i| c[i]).collect()),
            ..self
        }
    }

    /// Values with higher meaning the outcome (for ROC analysis).
    pub fn oriented(&self) -> Vec<f64> {
        match self.direction {
            Direction::Higher => self.values.clone(),
            Direction::Lower => self.values.iter().map(|v| -v).collect(),
        }
    }

    /// Positive at threshold t: value >= t, or value <= t for `lower`.
    pub fn positive(&self, t: f64) -> Vec<bool> {
        self.values
            .iter()
            .map(|&v| match self.direction {
                Direction::Higher => v >= t,
                Direction::Lower => v <= t,
            })
            .collect()
    }
}

/// A column of the cohort checked against its scale; errors name the row and column.
fn column(table: &Table, name: &str, scale: Scale) -> Result<Vec<f64>> {
    let values = table.numbers(name)?;
    let (lo, hi) = scale.range();
    if let Some((k, v)) = values
        .iter()
        .enumerate()
        .find(|(_, v)| **v < lo || **v > hi)
    {
        return Err(Error::input(
            &table.path,
            format!(
                "row {}, column {name}: {v} is outside {lo} to {hi} for a {scale:?} value",
                k + 2
            ),
        ));
    }
    Ok(values)
}

/// The outcome column as 0/1, with both classes present.
fn outcome(table: &Table, name: &str) -> Result<Vec<f64>> {
    let values = table.numbers(name)?;
    if let Some((k, v)) = values
        .iter()
        .enumerate()
        .find(|(_, v)| **v != 0.0 && **v != 1.0)
    {
        return Err(Error::input(
            &table.path,
            format!(
                "row {}, column {name}: the outcome must be 0 or 1, got {v}",
                k + 2
            ),
        ));
    }
    let events = values.iter().filter(|&&v| v == 1.0).count();
    if events == 0 || events == values.len() {
        return Err(Error::input(
            &table.path,
            format!(
                "column {name}: the outcome has one class only ({events} events of {})",
                values.len()
            ),
        ));
    }
    Ok(values)
}

/// Which rows a comparison is judged on, and (for a declared split) which it is fitted on.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub rows: Vec<usize>,
    pub train: Option<Vec<usize>>,
}

impl Evaluation {
    /// Every row (nested cross-validation), or the split's test rows.
    fn of(table: &Table, split: Option<&spec::Split>) -> Result<Evaluation> {
        let Some(s) = split else {
            return Ok(Evaluation {
                rows: (0..table.rows.len()).collect(),
                train: None,
            });
        };
        let sets = table.text(&s.column)?;
        let mut train = Vec::new();
        let mut test = Vec::new();
        for (k, set) in sets.iter().enumerate() {
            if *set == s.train {
                train.push(k)
            } else if *set == s.test {
                test.push(k)
            } else {
                return Err(Error::input(
                    &table.path,
                    format!(
                        "row {}, column {}: {set:?} is neither {:?} nor {:?}",
                        k + 2,
                        s.column,
                        s.train,
                        s.test
                    ),
                ));
            }
        }
        Ok(Evaluation {
            rows: test,
            train: Some(train),
        })
    }
}

/// A finished comparison: what was written, typed, for the report and the terminal.
pub struct Compared {
    pub protocol: CompareProtocol,
    /// The protocol's text (or the protocol made from flags, as JSON).
    pub protocol_text: String,
    pub outcomes: Vec<Analysed>,
    pub results: Results,
    pub manifest: Manifest,
    /// A few lines for the terminal.
    pub summary: String,
}

/// The protocol (from its file, or from the flags), its text, and the path relative paths in
/// it are resolved against.
fn load(args: &CompareArgs) -> Result<(CompareProtocol, String, PathBuf)> {
    match &args.protocol {
        Some(path) => {
            let (p, text) = read_protocol(path)?;
            Ok((p, text, path.clone()))
        }
        None => {
            let p = CompareProtocol::from_flags(&args.flags)?;
            p.check_ranges().map_err(Error::Usage)?;
            let text =
                serde_json::to_string_pretty(&p).map_err(|e| Error::Internal(e.to_string()))?;
            // Paths given as flags are relative to the working folder.
            Ok((p, text, PathBuf::from("./flags")))
        }
    }
}

/// Reads a comparison protocol file and checks its numbers' ranges; returns it and its text.
pub(crate) fn read_protocol(path: &Path) -> Result<(CompareProtocol, String)> {
    let text = crate::yaml::read_text(path)?;
    let p: CompareProtocol = parse_yaml(path, &text)?;
    p.check_ranges().map_err(|e| Error::input(path, e))?;
    Ok((p, text))
}

/// Refuses a patient id that appears twice, naming both rows.
fn check_unique_ids(table: &Table, id: &str) -> Result<Vec<String>> {
    let ids = table.required_text(id)?;
    let mut seen = std::collections::HashMap::new();
    for (k, v) in ids.iter().enumerate() {
        if let Some(first) = seen.insert(v.as_str(), k) {
            return Err(Error::input(
                &table.path,
                format!(
                    "rows {} and {}, column {id}: patient id {v:?} appears twice",
                    first + 2,
                    k + 2
                ),
            ));
        }
    }
    Ok(ids)
}

/// Both classes among the rows `rows`, else an error naming the outcome and the set.
fn check_classes(table: &Table, name: &str, y: &[f64], rows: &[usize], set: &str) -> Result<()> {
    let events = rows.iter().filter(|&&i| y[i] == 1.0).count();
    if events == 0 || events == rows.len() {
        return Err(Error::input(
            &table.path,
            format!(
                "column {name}: the outcome has one class only in the {set} ({events} events of {})",
                rows.len()
            ),
        ));
    }
    Ok(())
}

/// One outcome analysed: its predictors (for the report) and its results.
pub struct Analysed {
    pub predictors: Vec<Predictor>,
    pub labels: Vec<bool>,
    pub results: OutcomeResults,
}

/// Analyses the outcome column `name`.
fn analyse_outcome(
    p: &CompareProtocol,
    base: &Path,
    table: &Table,
    name: &str,
    evaluation: &Evaluation,
    progress: &Progress,
) -> Result<Analysed> {
    let y_all = outcome(table, name)?;
    match &evaluation.train {
        Some(train) => {
            check_classes(table, name, &y_all, train, "training set")?;
            check_classes(table, name, &y_all, &evaluation.rows, "test set")?;
        }
        None => check_classes(table, name, &y_all, &evaluation.rows, "cohort")?,
    }
    let mut warnings = Vec::new();
    let mut predictors = Vec::new();
    let mut model_info = None;
    if let Some(m) = &p.model {
        let (pr, info) =
            model::model_predictor(p, m, base, table, &y_all, evaluation, &mut warnings)?;
        predictors.push(pr);
        model_info = info;
        // An audit's stability filter: the same model on every candidate feature beside it,
        // so the report shows what the filter costs or gains (paired DeLong included).
        if m.stability.is_some() {
            let unfiltered = spec::Model {
                name: format!("{}, without the stability filter", m.name),
                stability: None,
                site: None,
                validation: None,
                ..m.clone()
            };
            let (pr, _) = model::model_predictor(
                p,
                &unfiltered,
                base,
                table,
                &y_all,
                evaluation,
                &mut warnings,
            )?;
            predictors.push(pr);
        }
    }
    progress.inc(1);
    for r in &p.references {
        predictors.push(Predictor::from_column(table, r)?.subset(&evaluation.rows));
    }
    if predictors.is_empty() {
        return Err(Error::input(
            base,
            "no model and no references: nothing to compare",
        ));
    }
    let y: Vec<f64> = evaluation.rows.iter().map(|&i| y_all[i]).collect();
    let labels: Vec<bool> = y.iter().map(|&v| v == 1.0).collect();
    let results = analysis::analyse(p, name, &predictors, &y, &labels, warnings, model_info)?;
    progress.inc(1);
    Ok(Analysed {
        predictors,
        labels,
        results,
    })
}

/// Runs the comparison and writes DIR/{auc,roc_bands,paired,thresholds,calibration,dca,
/// reclassification,agreement}.csv (t_scores.csv when T-scores were derived), results.json and
/// manifest.json (the report is the command's).
pub fn run(args: &CompareArgs) -> Result<Compared> {
    let started = Instant::now();
    let (p, text, base) = load(args)?;
    let cohort = match (&p.cohort, &p.synthetic) {
        (Some(c), None) => resolve(&base, c),
        (None, Some(sy)) => {
            let dir = args.out.join("cohort");
            crate::phantom::cohort::build(sy.patients, p.seed, &dir, false)?;
            dir.join("cohort.csv")
        }
        _ => {
            return Err(Error::input(
                &base,
                "give exactly one of cohort and synthetic",
            ));
        }
    };
    let mut table = Table::read(&cohort)?;
    let ids = check_unique_ids(&table, &p.id)?;
    let derived = tscore::add_columns(&mut table, &p.t_scores)?;
    let evaluation = Evaluation::of(&table, p.split.as_ref())?;
    let names = p.outcome.names();
    // Two steps per outcome: the model (nested cross-validation), then the statistics.
    let progress = Progress::new("compare", 2 * names.len() as u64, "steps");
    let outcomes: Vec<Analysed> = names
        .iter()
        .map(|name| analyse_outcome(&p, &base, &table, name, &evaluation, &progress))
        .collect::<Result<_>>()?;
    progress.finish();
    std::fs::create_dir_all(&args.out).map_err(|e| Error::output(&args.out, e.to_string()))?;
    let per_outcome: Vec<OutcomeResults> = outcomes.iter().map(|a| a.results.clone()).collect();
    tables::write_tables(&args.out, &per_outcome)?;
    if !derived.is_empty() {
        let mut csv = String::from("id");
        for (name, _) in &derived {
            csv += &format!(",{}", crate::table::csv_field(name));
        }
        csv.push('\n');
        for (k, id) in ids.iter().enumerate() {
            csv += &crate::table::csv_field(id);
            for (_, values) in &derived {
                csv += &format!(",{}", format_number(values[k]));
            }
            csv.push('\n');
        }
        write_bytes(&args.out.join("t_scores.csv"), csv.as_bytes())?;
    }
    let results = Results {
        protocol: p.name.clone(),
        patients: ids.len(),
        evaluation: format!(
            "{}{}",
            if p.split.is_some() {
                "declared split (test rows)"
            } else {
                "nested cross-validation (all rows)"
            },
            match p.model.as_ref().and_then(|m| m.harmonization.as_ref()) {
                Some(h) => format!("; the model's {}", h.describe()),
                None => String::new(),
            }
        ),
        evaluated_patients: evaluation.rows.len(),
        t_scores: p.t_scores.clone(),
        outcomes: per_outcome,
    };
    write_json(&args.out.join("results.json"), &results)?;
    let manifest = Manifest {
        tool: Tool::this(),
        protocol: crate::output::ProtocolFile {
            path: args.protocol.as_ref().map(|p| p.display().to_string()),
            sha256: crate::audit::outputs::sha256_bytes(text.as_bytes()),
        },
        inputs: vec![crate::output::Input {
            role: "cohort".into(),
            path: cohort.display().to_string(),
            sha256: Some(crate::audit::outputs::sha256(&cohort)?),
        }],
        seed: p.seed,
        settings: p.clone(),
        seconds: started.elapsed().as_secs_f64(),
    };
    write_json(&args.out.join("manifest.json"), &manifest)?;
    let mut summary = format!(
        "wrote {} ({} patients, {} evaluated)\n",
        args.out.display(),
        ids.len(),
        evaluation.rows.len()
    );
    for o in &results.outcomes {
        summary += &format!("{} ({} events):\n", o.outcome, o.events);
        for a in &o.auc {
            summary += &format!(
                "  {}: AUC {:.3} ({:.3}-{:.3})\n",
                a.predictor, a.auc, a.ci_low, a.ci_high
            );
        }
    }
    Ok(Compared {
        protocol: p,
        protocol_text: text,
        outcomes,
        results,
        manifest,
        summary,
    })
}
