//! `radaudit harmonize`: ComBat on a wide table (one row per subject), writing the same table
//! with the feature columns harmonized, optionally saving the fitted model or applying a saved
//! one, plus per-feature batch-effect tests before and after (on the values with the fitted
//! covariate effects removed, so preserved biology is not counted as a batch effect).

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::Outcome;
use crate::error::{Error, Result};
use crate::output::write_bytes;
use crate::stats::batch_tests::{batch_effect, benjamini_hochberg};
use crate::stats::combat::design::{CovariateEncoding, level_indices, sorted_levels};
use crate::stats::combat::model::NewSubjects;
use crate::stats::combat::nested::{
    BatchFactor, NESTED_MODEL_FORMAT, NestedData, NestedFit, NestedModel, OrderScore, fit_nested,
};
use crate::stats::combat::{
    self, CombatData, CombatModel, CombatOptions, Covariate, SmoothPenalty, smooth,
};
use crate::table::{Table, format_number, is_missing, to_csv, write_number};

/// ComBat harmonization (neuroCombat-compatible) of a wide table, one row per subject:
/// writes the same table with the feature columns harmonized, and batch-effect tests
/// (Kruskal-Wallis, pairwise KS, BH q) before and after to <out stem>.batch_effect.csv.
/// Several batch columns (vendor,kernel) run nested ComBat (Horng et al. 2022), in the
/// OPNested order unless --order gives one.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The wide CSV table.
    #[arg(long)]
    input: PathBuf,
    /// The batch (site, scanner) column, or several comma-separated for nested ComBat.
    #[arg(long, value_delimiter = ',', required = true)]
    batch: Vec<String>,
    /// Nested ComBat's order of the batch columns, comma-separated (default: the order after
    /// which the fewest features still differ by a batch column, OPNested).
    #[arg(long, value_delimiter = ',', conflicts_with = "apply")]
    order: Option<Vec<String>>,
    /// Covariates to preserve, comma-separated (continuous unless listed in --categorical).
    #[arg(long, value_delimiter = ',', conflicts_with = "apply")]
    covariates: Vec<String>,
    /// Categorical covariates, comma-separated.
    #[arg(long, value_delimiter = ',', conflicts_with = "apply")]
    categorical: Vec<String>,
    /// A continuous covariate with a smooth, nonlinear effect (ComBat-GAM, as neuroHarmonize's
    /// smooth_terms: a penalised cubic spline of 10 degrees of freedom); it is preserved like
    /// the other covariates.
    #[arg(long, conflicts_with = "apply")]
    smooth: Option<String>,
    /// The smooth term's penalty weight: `gcv` (each feature's weight chosen by generalised
    /// cross-validation on neuroHarmonize's grid 1 to 1e7) or a number in (0, 1e12].
    #[arg(long, default_value = "gcv", requires = "smooth")]
    smooth_penalty: String,
    /// The subject id column (carried through, named in messages).
    #[arg(long)]
    id: Option<String>,
    /// Feature columns, comma-separated (default: every other column holding numbers).
    #[arg(long, value_delimiter = ',', conflicts_with = "apply")]
    features: Option<Vec<String>>,
    /// Plain location/scale adjustment without empirical Bayes.
    #[arg(long, conflicts_with_all = ["nonparametric", "apply"])]
    no_eb: bool,
    /// Non-parametric empirical Bayes priors.
    #[arg(long, conflicts_with = "apply")]
    nonparametric: bool,
    /// Adjust batch means only, not variances.
    #[arg(long, conflicts_with = "apply")]
    mean_only: bool,
    /// Align every batch to this one, which is left unchanged.
    #[arg(long, conflicts_with = "apply")]
    ref_batch: Option<String>,
    /// Save the fitted model (JSON) to harmonize later subjects with --apply.
    #[arg(long, conflicts_with = "apply")]
    save_model: Option<PathBuf>,
    /// Harmonize with a saved model instead of fitting (subjects of known batches).
    #[arg(long)]
    apply: Option<PathBuf>,
    /// Output CSV.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// `--smooth-penalty`: `gcv` or a weight in its range.
fn parse_penalty(text: &str) -> Result<SmoothPenalty> {
    if text.eq_ignore_ascii_case("gcv") {
        return Ok(SmoothPenalty::Gcv);
    }
    let alpha: f64 = text.parse().map_err(|_| {
        Error::Usage(format!(
            "--smooth-penalty: {text:?} is neither gcv nor a number"
        ))
    })?;
    smooth::check_alpha(alpha).map_err(|e| Error::Usage(format!("--smooth-penalty: {e}")))?;
    Ok(SmoothPenalty::Fixed(alpha))
}

/// Runs `radaudit harmonize`.
pub fn run(a: Args) -> Result<Outcome> {
    let mut covariates = a.covariates;
    if let Some(s) = &a.smooth
        && !covariates.contains(s)
    {
        covariates.push(s.clone());
    }
    let summary = harmonize(&HarmonizeArgs {
        input: a.input,
        batch: a.batch,
        order: a.order,
        covariates,
        categorical: a.categorical,
        id: a.id,
        features: a.features,
        options: CombatOptions {
            eb: !a.no_eb,
            parametric: !a.nonparametric,
            mean_only: a.mean_only,
            ref_batch: a.ref_batch,
            smooth: a.smooth.into_iter().collect(),
            smooth_penalty: parse_penalty(&a.smooth_penalty)?,
        },
        save_model: a.save_model,
        apply: a.apply,
        out: a.out.clone(),
        tests_out: None,
    })?;
    eprint!("{}", summary.describe(&a.out));
    Ok(Outcome::Done)
}

/// What the harmonization was asked, checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct HarmonizeArgs {
    pub input: PathBuf,
    /// The batch columns: one for ComBat, several for nested ComBat.
    pub batch: Vec<String>,
    /// Nested ComBat's order of the batch columns (default: OPNested's).
    pub order: Option<Vec<String>>,
    pub covariates: Vec<String>,
    pub categorical: Vec<String>,
    pub id: Option<String>,
    /// Explicit feature columns; otherwise every other column holding numbers.
    pub features: Option<Vec<String>>,
    pub options: CombatOptions,
    pub save_model: Option<PathBuf>,
    pub apply: Option<PathBuf>,
    pub out: PathBuf,
    /// Where the batch-effect tests go (default: `<out stem>.batch_effect.csv`).
    pub tests_out: Option<PathBuf>,
}

/// What the command did, for the summary it prints.
#[derive(Debug, Clone)]
pub(crate) struct HarmonizeSummary {
    pub subjects: usize,
    pub features: Vec<String>,
    /// Per batch column, its levels and its batch effect before and after.
    pub batches: Vec<BatchColumnSummary>,
    pub notes: Vec<String>,
    pub tests_path: Option<PathBuf>,
}

/// One batch column's levels and batch effect.
#[derive(Debug, Clone)]
pub(crate) struct BatchColumnSummary {
    pub column: String,
    pub levels: Vec<String>,
    /// Features with a batch effect (Kruskal-Wallis BH q < 0.05) before and after, of those
    /// testable.
    pub significant_before: (usize, usize),
    pub significant_after: (usize, usize),
}

impl HarmonizeSummary {
    /// A few lines for the terminal.
    pub fn describe(&self, out: &Path) -> String {
        let levels: Vec<String> = self.batches.iter().map(|b| b.levels.join(", ")).collect();
        let mut text = format!(
            "wrote {} ({} subjects, {} features, batches {})\n",
            out.display(),
            self.subjects,
            self.features.len(),
            levels.join("; ")
        );
        for n in &self.notes {
            text += &format!("note: {n}\n");
        }
        if let Some(p) = &self.tests_path {
            for b in &self.batches {
                text += &format!(
                    "batch effect of {} (Kruskal-Wallis, BH q < 0.05): {} of {} features before, {} of {} after\n",
                    b.column,
                    b.significant_before.0,
                    b.significant_before.1,
                    b.significant_after.0,
                    b.significant_after.1,
                );
            }
            text += &format!("details in {}\n", p.display());
        }
        text
    }
}

/// The batch-effect tests file next to `out`: `harmonized.csv` -> `harmonized.batch_effect.csv`.
pub(crate) fn default_tests_path(out: &Path) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!("{stem}.batch_effect.csv"))
}

fn subject_names(table: &Table, id: Option<&str>) -> Result<Vec<String>> {
    Ok(match id {
        Some(c) => table.text(c)?.iter().map(|s| s.to_string()).collect(),
        None => (0..table.rows.len())
            .map(|k| format!("row {}", k + 2))
            .collect(),
    })
}

/// The covariates as the fit or the model wants them.
fn read_covariates(
    table: &Table,
    continuous: &[String],
    categorical: &[String],
) -> Result<Vec<Covariate>> {
    let mut out = Vec::new();
    for name in categorical {
        out.push(Covariate::Categorical {
            name: name.clone(),
            values: table.required_text(name)?,
        });
    }
    for name in continuous {
        out.push(Covariate::Continuous {
            name: name.clone(),
            values: table.numbers(name)?,
        });
    }
    Ok(out)
}

/// Feature columns: the named ones, or every column that is not the batch, id or a covariate
/// and holds at least one number (columns of text only are carried through untouched).
fn feature_columns(table: &Table, args: &HarmonizeArgs, reserved: &[&str]) -> Result<Vec<String>> {
    if let Some(list) = &args.features {
        for f in list {
            table.column(f)?;
            if reserved.contains(&f.as_str()) {
                return Err(Error::Usage(format!(
                    "{f} is the batch, id or a covariate; it cannot also be a feature"
                )));
            }
        }
        return Ok(list.clone());
    }
    let picked: Vec<String> = table
        .headers()
        .iter()
        .enumerate()
        .filter(|(_, h)| !reserved.contains(&h.as_str()))
        .filter(|(c, _)| {
            table
                .rows
                .iter()
                .any(|r| !is_missing(&r[*c]) && r[*c].parse::<f64>().is_ok())
        })
        .map(|(_, h)| h.clone())
        .collect();
    if picked.is_empty() {
        return Err(Error::input(
            &table.path,
            "no numeric feature columns besides the batch, id and covariates",
        ));
    }
    Ok(picked)
}

/// Says which columns were taken as features when `--features` was not given.
fn picked_note(features: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut names = features
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if features.len() > SHOWN {
        names += &format!(" and {} more", features.len() - SHOWN);
    }
    format!(
        "no --features given: harmonized every column holding numbers but the batch, id and covariates ({} columns: {names}); give --features to choose",
        features.len()
    )
}

/// Reads the table, fits (or applies) ComBat and writes the harmonized table and the tests.
pub(crate) fn harmonize(args: &HarmonizeArgs) -> Result<HarmonizeSummary> {
    let table = Table::read(&args.input)?;
    let path = &table.path;
    let nested = args.batch.len() > 1;
    if args.batch.is_empty() {
        return Err(Error::Usage("harmonize needs a --batch column".into()));
    }
    if !nested && args.order.is_some() {
        return Err(Error::Usage(
            "--order orders several --batch columns (nested ComBat); one was given".into(),
        ));
    }
    let batch_columns: Vec<Vec<String>> = args
        .batch
        .iter()
        .map(|b| table.required_text(b))
        .collect::<Result<_>>()?;
    let subjects = subject_names(&table, args.id.as_deref())?;
    let model_in = args.apply.as_deref().map(load_saved_model).transpose()?;
    if let Some(m) = &model_in {
        m.check_batch_columns(&args.batch)
            .map_err(|e| Error::Usage(format!("{e} (model {})", show(&args.apply))))?;
    }

    let (continuous, categorical): (Vec<String>, Vec<String>) = match &model_in {
        Some(m) => {
            let mut cont = Vec::new();
            let mut cat = Vec::new();
            for c in &m.first().covariates {
                match c {
                    CovariateEncoding::Continuous { name }
                    | CovariateEncoding::Smooth { name, .. } => cont.push(name.clone()),
                    CovariateEncoding::Categorical { name, .. } => cat.push(name.clone()),
                }
            }
            (cont, cat)
        }
        None => {
            for c in &args.categorical {
                if !args.covariates.contains(c) {
                    table.column(c)?;
                }
            }
            let cat: Vec<String> = args.categorical.clone();
            let cont = args
                .covariates
                .iter()
                .filter(|c| !cat.contains(c))
                .cloned()
                .collect();
            (cont, cat)
        }
    };
    let mut reserved: Vec<&str> = args.batch.iter().map(String::as_str).collect();
    reserved.extend(args.id.as_deref());
    reserved.extend(continuous.iter().map(String::as_str));
    reserved.extend(categorical.iter().map(String::as_str));
    let features = match &model_in {
        Some(m) => {
            for f in &m.first().features {
                table.column(f).map_err(|_| {
                    Error::input(
                        path,
                        format!(
                            "no column {f:?}, a feature of the model {}",
                            show(&args.apply)
                        ),
                    )
                })?;
            }
            m.first().features.clone()
        }
        None => feature_columns(&table, args, &reserved)?,
    };
    let values: Vec<Vec<f64>> = features
        .iter()
        .map(|f| table.numbers(f))
        .collect::<Result<_>>()?;
    let covariates = read_covariates(&table, &continuous, &categorical)?;

    let factors: Vec<BatchFactor> = args
        .batch
        .iter()
        .zip(&batch_columns)
        .map(|(name, levels)| BatchFactor { name, levels })
        .collect();
    let (harmonized, saved, notes) = match model_in {
        Some(model) => {
            let out = model
                .apply(&values, &subjects, &factors, &covariates)
                .map_err(|e| Error::input(path, format!("{e} (model {})", show(&args.apply))))?;
            (out, model, Vec::new())
        }
        None if nested => {
            let data = NestedData {
                feature_names: &features,
                values: &values,
                subjects: &subjects,
                factors: &factors,
                covariates: &covariates,
            };
            let fit = fit_nested(&data, &args.options, args.order.as_deref())
                .map_err(|e| Error::input(path, e))?;
            nested_outcome(fit)?
        }
        None => {
            let data = CombatData {
                feature_names: &features,
                values: &values,
                subjects: &subjects,
                batch: &batch_columns[0],
                covariates: &covariates,
            };
            let fit = combat::fit(&data, &args.options).map_err(|e| Error::input(path, e))?;
            (
                fit.harmonized,
                SavedModel::Combat(Box::new(fit.model)),
                fit.notes,
            )
        }
    };
    let mut notes = notes;
    if args.features.is_none() && args.apply.is_none() {
        notes.insert(0, picked_note(&features));
    }

    write_bytes(&args.out, &harmonized_csv(&table, &features, &harmonized)?)?;
    if let Some(m) = &args.save_model {
        write_bytes(m, saved.to_json()?.as_bytes())?;
    }

    // Test values with the covariate effects taken out: ComBat keeps those on purpose (e.g.
    // age differing between sites), and they are not batch effects. (Nested ComBat: the
    // effects its last step estimated.)
    let effects = saved
        .last()
        .covariate_effects(&covariates, subjects.len())
        .map_err(|e| Error::input(path, e))?;
    let adjusted = |v: &[Vec<f64>]| -> Vec<Vec<f64>> {
        v.iter()
            .zip(&effects)
            .map(|(row, e)| row.iter().zip(e).map(|(a, b)| a - b).collect())
            .collect()
    };
    let (adjusted_before, adjusted_after) = (adjusted(&values), adjusted(&harmonized));
    let mut batches = Vec::new();
    let mut out_rows = Vec::new();
    for (column, batch) in args.batch.iter().zip(&batch_columns) {
        let levels = sorted_levels(batch);
        let mut summary = BatchColumnSummary {
            column: column.clone(),
            levels: levels.clone(),
            significant_before: (0, 0),
            significant_after: (0, 0),
        };
        if levels.len() >= 2 {
            let before = batch_tests(&adjusted_before, batch, &levels);
            let after = batch_tests(&adjusted_after, batch, &levels);
            summary.significant_before = count_significant(&before);
            summary.significant_after = count_significant(&after);
            for (stage, tests) in [("before", &before), ("after", &after)] {
                for (f, t) in tests.iter().enumerate() {
                    out_rows.push(t.row(&features[f], column, stage));
                }
            }
        }
        batches.push(summary);
    }
    let mut tests_path = None;
    if !out_rows.is_empty() {
        let target = args
            .tests_out
            .clone()
            .unwrap_or_else(|| default_tests_path(&args.out));
        let headers = [
            "feature", "batch", "stage", "kw_h", "kw_p", "kw_q", "ks_max_d", "ks_min_p", "ks_q",
            "note",
        ];
        write_bytes(&target, to_csv(&headers, &out_rows).as_bytes())?;
        tests_path = Some(target);
    }
    Ok(HarmonizeSummary {
        subjects: subjects.len(),
        features,
        batches,
        notes,
        tests_path,
    })
}

/// Nested ComBat's harmonized table, its last step's model (whose covariate effects the
/// batch tests take out) and its notes: the order used and why, then each step's own.
fn nested_outcome(fit: NestedFit) -> Result<(Vec<Vec<f64>>, SavedModel, Vec<String>)> {
    let score = |s: &OrderScore| format!("{} ({} differing)", s.order.join(" then "), s.total());
    let mut notes = vec![if fit.scores.len() > 1 {
        format!(
            "nested ComBat in the order {} of those tried: {} (features still differing by a \
             batch column, Anderson-Darling 5%, summed over the columns)",
            fit.order.join(" then "),
            fit.scores.iter().map(score).collect::<Vec<_>>().join("; ")
        )
    } else {
        format!(
            "nested ComBat in the order given: {}",
            fit.order.join(" then ")
        )
    }];
    notes.extend(fit.step_notes());
    if fit.steps.is_empty() {
        return Err(Error::Internal("nested ComBat ran no step".into()));
    }
    let model = SavedModel::Nested(NestedModel::from_fit(&fit));
    Ok((fit.harmonized, model, notes))
}

/// The output table: the input with the feature cells replaced by the harmonized values.
fn harmonized_csv(table: &Table, features: &[String], harmonized: &[Vec<f64>]) -> Result<Vec<u8>> {
    // Which harmonized feature (if any) each column holds.
    let mut feature_of = vec![None; table.headers().len()];
    for (f, name) in features.iter().enumerate() {
        feature_of[table.column(name)?] = Some(f);
    }
    let mut out = Vec::with_capacity(harmonized.len() * table.rows.len() * 12);
    let mut writer = csv::Writer::from_writer(&mut out);
    let mut buffer = ryu::Buffer::new();
    let failed = |e: csv::Error| Error::Internal(format!("formatting the output: {e}"));
    writer.write_record(table.headers()).map_err(failed)?;
    for (i, row) in table.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            match feature_of[c] {
                Some(f) => writer.write_field(write_number(&mut buffer, harmonized[f][i])),
                None => writer.write_field(cell),
            }
            .map_err(failed)?;
        }
        writer.write_record(None::<&[u8]>).map_err(failed)?;
    }
    writer.flush().map_err(|e| Error::Internal(e.to_string()))?;
    drop(writer);
    Ok(out)
}

fn show(p: &Option<PathBuf>) -> String {
    p.as_ref()
        .map_or(String::new(), |p| p.display().to_string())
}

/// A saved harmonization: ComBat by one batch column, or nested ComBat by several.
pub(crate) enum SavedModel {
    Combat(Box<CombatModel>),
    Nested(NestedModel),
}

impl SavedModel {
    /// The (first) ComBat model: its features and covariates are every step's.
    fn first(&self) -> &CombatModel {
        match self {
            SavedModel::Combat(m) => m,
            SavedModel::Nested(n) => &n.steps[0],
        }
    }

    /// The last ComBat step, whose covariate effects the batch tests take out.
    fn last(&self) -> &CombatModel {
        match self {
            SavedModel::Combat(m) => m,
            SavedModel::Nested(n) => n.steps.last().unwrap_or(&n.steps[0]),
        }
    }

    /// Checks the --batch columns given are the ones the model harmonizes.
    fn check_batch_columns(&self, given: &[String]) -> std::result::Result<(), String> {
        match self {
            SavedModel::Combat(_) if given.len() != 1 => Err(format!(
                "the model is ComBat by one batch column; {} were given ({})",
                given.len(),
                given.join(", ")
            )),
            SavedModel::Nested(n) => {
                let mut a: Vec<&String> = n.order.iter().collect();
                let mut b: Vec<&String> = given.iter().collect();
                a.sort();
                b.sort();
                if a == b {
                    Ok(())
                } else {
                    Err(format!(
                        "the model is nested ComBat by {}; --batch gave {}",
                        n.order.join(", "),
                        given.join(", ")
                    ))
                }
            }
            SavedModel::Combat(_) => Ok(()),
        }
    }

    fn apply(
        &self,
        values: &[Vec<f64>],
        subjects: &[String],
        factors: &[BatchFactor],
        covariates: &[Covariate],
    ) -> std::result::Result<Vec<Vec<f64>>, String> {
        match self {
            SavedModel::Combat(m) => m.apply(&NewSubjects {
                values,
                subjects,
                batch: factors[0].levels,
                covariates,
            }),
            SavedModel::Nested(n) => n.apply(values, subjects, factors, covariates),
        }
    }

    fn to_json(&self) -> Result<String> {
        match self {
            SavedModel::Combat(m) => serde_json::to_string_pretty(m),
            SavedModel::Nested(n) => serde_json::to_string_pretty(n),
        }
        .map_err(|e| Error::Internal(e.to_string()))
    }
}

/// Reads and checks a saved model of either kind, by its `format` field.
pub(crate) fn load_saved_model(path: &Path) -> Result<SavedModel> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::input(path, format!("cannot read: {e}")))?;
    let format = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("format").and_then(|f| f.as_str()).map(str::to_string));
    if format.as_deref() == Some(NESTED_MODEL_FORMAT) {
        let model: NestedModel = serde_json::from_str(&text)
            .map_err(|e| Error::input(path, format!("not a radaudit nested ComBat model: {e}")))?;
        model
            .check()
            .map_err(|e| Error::input(path, format!("not a usable nested ComBat model: {e}")))?;
        return Ok(SavedModel::Nested(model));
    }
    let model: CombatModel = serde_json::from_str(&text)
        .map_err(|e| Error::input(path, format!("not a radaudit ComBat model: {e}")))?;
    model
        .check()
        .map_err(|e| Error::input(path, format!("not a usable ComBat model: {e}")))?;
    Ok(SavedModel::Combat(Box::new(model)))
}

/// One feature's batch-effect tests at one stage.
struct FeatureTests {
    kruskal: Option<(f64, f64)>,
    ks: Option<(f64, f64)>,
    kruskal_q: Option<f64>,
    ks_q: Option<f64>,
    note: String,
}

impl FeatureTests {
    fn row(&self, feature: &str, batch: &str, stage: &str) -> Vec<String> {
        let num = |v: Option<f64>| v.map_or(String::new(), format_number);
        vec![
            feature.to_string(),
            batch.to_string(),
            stage.to_string(),
            num(self.kruskal.map(|k| k.0)),
            num(self.kruskal.map(|k| k.1)),
            num(self.kruskal_q),
            num(self.ks.map(|k| k.0)),
            num(self.ks.map(|k| k.1)),
            num(self.ks_q),
            self.note.clone(),
        ]
    }
}

/// Kruskal-Wallis and pairwise KS per feature, BH-adjusted across features.
fn batch_tests(values: &[Vec<f64>], batch: &[String], levels: &[String]) -> Vec<FeatureTests> {
    let index: Vec<usize> = level_indices(levels, batch)
        .into_iter()
        .map(|i| i.unwrap_or(0))
        .collect();
    let mut tests: Vec<FeatureTests> = values
        .par_iter()
        .map(|v| {
            let mut groups: Vec<Vec<f64>> = vec![Vec::new(); levels.len()];
            for (x, &b) in v.iter().zip(&index) {
                groups[b].push(*x);
            }
            match batch_effect(&groups) {
                Ok(e) => FeatureTests {
                    kruskal: Some((e.kruskal_h, e.kruskal_p)),
                    ks: Some((e.ks_max_d, e.ks_min_p)),
                    kruskal_q: None,
                    ks_q: None,
                    note: String::new(),
                },
                Err(why) => FeatureTests {
                    kruskal: None,
                    ks: None,
                    kruskal_q: None,
                    ks_q: None,
                    note: format!("not tested: {why}"),
                },
            }
        })
        .collect();
    let kp: Vec<f64> = tests
        .iter()
        .map(|t| t.kruskal.map_or(f64::NAN, |k| k.1))
        .collect();
    let sp: Vec<f64> = tests
        .iter()
        .map(|t| t.ks.map_or(f64::NAN, |k| k.1))
        .collect();
    for ((t, kq), sq) in tests
        .iter_mut()
        .zip(benjamini_hochberg(&kp))
        .zip(benjamini_hochberg(&sp))
    {
        t.kruskal_q = (!kq.is_nan()).then_some(kq);
        t.ks_q = (!sq.is_nan()).then_some(sq);
    }
    tests
}

fn count_significant(tests: &[FeatureTests]) -> (usize, usize) {
    let tested = tests.iter().filter(|t| t.kruskal_q.is_some()).count();
    let significant = tests
        .iter()
        .filter(|t| t.kruskal_q.is_some_and(|q| q < 0.05))
        .count();
    (significant, tested)
}
