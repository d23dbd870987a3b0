//! `radaudit extract`: the features of one image and mask, to a file or standard output, or of
//! every case of a cases CSV in parallel.

use std::path::PathBuf;

use clap::ValueEnum;

use super::{Outcome, print_stdout};
use crate::error::{Error, Result};
use crate::extract;
use crate::features::{Convention, FeatureSet, extract_files};
use crate::volume::io::ReadOptions;
use crate::volume::labels::{LabelRef, LabelTable};

/// Extract PyRadiomics-compatible features (107 by default) from an image and mask, or
/// from every case of a cases CSV in parallel. Feature names are PyRadiomics'
/// (original_glcm_Contrast); with --convention ibsi, IBSI 1 features named by IBSI tag. Exit code 2 if the input is bad or any batch case failed.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The image (file, DICOM folder or builtin:NAME).
    #[arg(long, required_unless_present = "cases", conflicts_with = "cases")]
    image: Option<PathBuf>,
    /// The mask: a label map on the image's grid (or one holding its voxel lattice on a
    /// flipped or permuted grid), an RTSTRUCT whose ROI --label names, or a DICOM SEG whose
    /// segment --label names.
    #[arg(long, required_unless_present = "cases", conflicts_with = "cases")]
    mask: Option<PathBuf>,
    /// Batch mode: a CSV with columns case,image,mask and optionally label (paths relative
    /// to the CSV's folder). Requires --out; failures go to <out>.errors.csv.
    #[arg(long, requires = "out")]
    cases: Option<PathBuf>,
    /// A parameter file (YAML or JSON): PyRadiomics' layout, or IBSI's with
    /// `convention: ibsi`; the convention's defaults without it.
    #[arg(long)]
    params: Option<PathBuf>,
    /// Feature convention: pyradiomics (default; PyRadiomics names) or ibsi (IBSI 1
    /// definitions, features named by IBSI tag, e.g. cm_joint_max_3D_comb). Must agree
    /// with the parameter file's `convention:`.
    #[arg(long, value_enum)]
    convention: Option<Convention>,
    /// The ROI label, a number (1-65535) or a structure name looked up in --label-table, or
    /// in an RTSTRUCT mask's ROI names or a SEG mask's segment labels (overrides the parameter file's `label`; in batch mode,
    /// for every case whose row gives no label).
    #[arg(long)]
    label: Option<String>,
    /// The table that --label names are looked up in: totalsegmentator (v2 `total` task),
    /// totalsegmentator-v1, or a CSV of id,name rows.
    #[arg(long, value_name = "TABLE")]
    label_table: Option<String>,
    /// Output file (standard output when absent, single case only).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    format: Format,
    /// Print the time spent per stage (read, prepare, each class) to standard error.
    #[arg(long)]
    timings: bool,
    /// The SeriesInstanceUID to read from DICOM folders holding several series.
    #[arg(long)]
    series: Option<String>,
}

/// Output formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// `feature,value` (a batch: `case,feature,value`).
    Csv,
    /// A JSON object of features (a batch: one per case).
    Json,
    /// Batches: one row per case, with the cases CSV's other columns (site, age ...) and
    /// a DICOM series' scanner facts (manufacturer, model, kernel, kvp, slice_thickness_mm,
    /// exposure_mas, tube_current_ma, reconstruction_diameter_mm, contrast_agent), the table
    /// `harmonize` takes.
    Wide,
}

/// Runs `radaudit extract`: one case to a file or standard output, or a batch (exit code 2
/// when any batch case failed).
pub fn run(a: Args) -> Result<Outcome> {
    let params = match &a.params {
        Some(p) => FeatureSet::from_file(p, a.convention)?,
        None => FeatureSet::defaults(a.convention.unwrap_or_default()),
    };
    if let Err(e) = params.validate() {
        return Err(match &a.params {
            Some(p) => Error::input(p, e),
            None => Error::Usage(e),
        });
    }
    let format = match a.format {
        Format::Csv => extract::Format::Csv,
        Format::Json => extract::Format::Json,
        Format::Wide => extract::Format::Wide,
    };
    if matches!(format, extract::Format::Wide) && a.cases.is_none() {
        return Err(Error::Usage(
            "--format wide makes one row per case of a --cases batch".into(),
        ));
    }
    // A name resolves through --label-table, else through the mask's own names (an
    // RTSTRUCT's ROIs, a SEG's segments), case by case in batch mode.
    let table = a.label_table.as_deref().map(LabelTable::load).transpose()?;
    let label = a
        .label
        .as_deref()
        .map(LabelRef::parse)
        .transpose()
        .map_err(|why| Error::Usage(format!("--label: {why}")))?;
    let read = ReadOptions { series: a.series };
    if let Some(cases_path) = &a.cases {
        let out = a
            .out
            .as_deref()
            .ok_or_else(|| Error::Usage("--cases needs --out".into()))?;
        let mut cases = extract::read_cases(cases_path)?;
        // A label on the command line applies to every case whose row gives none.
        for case in cases.iter_mut().filter(|c| c.label.is_none()) {
            case.label = label.clone();
        }
        let summary = extract::run_batch(&cases, &params, table.as_ref(), &read, out, format)?;
        eprintln!(
            "{} of {} cases extracted to {}",
            summary.succeeded,
            cases.len(),
            out.display()
        );
        if let Some(errors) = &summary.errors_path {
            eprintln!(
                "{} case(s) failed; see {}",
                summary.failed.len(),
                errors.display()
            );
            return Ok(Outcome::CasesFailed);
        }
        return Ok(Outcome::Done);
    }
    let (Some(image), Some(mask)) = (&a.image, &a.mask) else {
        return Err(Error::Usage(
            "extract needs --image and --mask, or --cases".into(),
        ));
    };
    let label = params.label_for(label.as_ref(), mask, table.as_ref())?;
    let (values, timings) = extract_files(image, mask, &params, label, &read)?;
    if a.timings {
        for (stage, t) in &timings.stages {
            eprintln!("{stage:>12}: {:.4} s", t.as_secs_f64());
        }
    }
    let text = extract::render_case(&values, format);
    match &a.out {
        Some(path) => crate::output::write_bytes(path, text.as_bytes())?,
        None => print_stdout(&text)?,
    }
    Ok(Outcome::Done)
}
