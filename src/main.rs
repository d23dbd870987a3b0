//! The `radaudit` command line: parses arguments, calls the library, maps errors to exit codes
//! (0 success, 2 bad input or usage, 3 internal error).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use radaudit::audit::AuditArgs;
use radaudit::commands::{
    self, harmonize::HarmonizeArgs, icc::IccArgs, perturb::PerturbArgs, phantom::VertebraArgs,
    roc::RocArgs,
};
use radaudit::extract;
use radaudit::features::set::{Convention, FeatureSet};
use radaudit::stats::combat::CombatOptions;
use radaudit::volume::info::{VolumeInfo, describe, name_suggests_mask};
use radaudit::volume::io::{self, NrrdEncoding, ReadOptions, WriteOptions};
use radaudit::volume::{GeometryTolerance, Mask};
use radaudit::{Error, Result};

/// Audits radiomic features for reproducibility and harmonization.
#[derive(Parser)]
#[command(name = "radaudit", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a volume's size, spacing, origin, direction, pixel type and value range, and for a
    /// mask its labels with voxel counts. PATH is a .nii/.nii.gz/.nrrd/.nhdr file, a DICOM
    /// folder, or builtin:ibsi-digital / builtin:ibsi-digital-mask.
    Info {
        /// The image (or mask) to describe.
        path: PathBuf,
        /// A mask to describe too, and to check against the image's grid.
        #[arg(long)]
        mask: Option<PathBuf>,
        /// Describe PATH as a label map (automatic when its name holds label, mask or seg).
        #[arg(long)]
        as_mask: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// The SeriesInstanceUID to read from a DICOM folder holding several series.
        #[arg(long)]
        series: Option<String>,
        /// Image-mask grid tolerance, relative to the first spacing (as PyRadiomics'
        /// geometryTolerance / SimpleITK's coordinate tolerance).
        #[arg(long, default_value_t = 1e-6)]
        geometry_tolerance: f64,
    },
    /// Convert a volume (file, DICOM folder or built-in) to NIfTI (.nii, .nii.gz) or NRRD
    /// (.nrrd), keeping its geometry and, where values allow, its pixel type.
    Convert {
        /// Input file, DICOM folder or builtin:NAME.
        input: PathBuf,
        /// Output file; the extension picks the format.
        output: PathBuf,
        /// The SeriesInstanceUID to read from a DICOM folder holding several series.
        #[arg(long)]
        series: Option<String>,
        /// NRRD voxel encoding.
        #[arg(long, value_enum, default_value_t = EncodingArg::Gzip)]
        nrrd_encoding: EncodingArg,
    },
    /// Extract PyRadiomics-compatible features (107 by default) from an image and mask, or
    /// from every case of a cases CSV in parallel. Feature names are PyRadiomics'
    /// (original_glcm_Contrast); with --convention ibsi, IBSI 1 features named by IBSI tag. Exit code 2 if the input is bad or any batch case failed.
    Extract {
        /// The image (file, DICOM folder or builtin:NAME).
        #[arg(long, required_unless_present = "cases", conflicts_with = "cases")]
        image: Option<PathBuf>,
        /// The mask (label map) on the image's grid.
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
        /// The ROI label (overrides the parameter file's `label`).
        #[arg(long)]
        label: Option<u16>,
        /// Output file (standard output when absent, single case only).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = FormatArg::Csv)]
        format: FormatArg,
        /// Print the time spent per stage (read, prepare, each class) to standard error.
        #[arg(long)]
        timings: bool,
        /// The SeriesInstanceUID to read from DICOM folders holding several series.
        #[arg(long)]
        series: Option<String>,
    },
    /// Intraclass correlation (pingouin's six forms, F test, 95% CI, Koo & Li class) per
    /// feature, from a long table with one rating per row. Subjects missing a rating are
    /// dropped from that feature and counted.
    Icc {
        /// The long CSV table.
        #[arg(long)]
        input: PathBuf,
        /// The subject (target) column.
        #[arg(long)]
        subject: String,
        /// The rater (or repeat, or perturbation) column.
        #[arg(long)]
        rater: String,
        /// The value column.
        #[arg(long)]
        value: String,
        /// The feature column (without it the table is one feature).
        #[arg(long)]
        feature: Option<String>,
        /// Output CSV: feature,type,icc,f,df1,df2,p,ci_low,ci_high,class.
        #[arg(long)]
        out: PathBuf,
    },
    /// ComBat harmonization (neuroCombat-compatible) of a wide table, one row per subject:
    /// writes the same table with the feature columns harmonized, and batch-effect tests
    /// (Kruskal-Wallis, pairwise KS, BH q) before and after to <out stem>.batch_effect.csv.
    Harmonize {
        /// The wide CSV table.
        #[arg(long)]
        input: PathBuf,
        /// The batch (site, scanner) column.
        #[arg(long)]
        batch: String,
        /// Covariates to preserve, comma-separated (continuous unless listed in --categorical).
        #[arg(long, value_delimiter = ',', conflicts_with = "apply")]
        covariates: Vec<String>,
        /// Categorical covariates, comma-separated.
        #[arg(long, value_delimiter = ',', conflicts_with = "apply")]
        categorical: Vec<String>,
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
        #[arg(long)]
        out: PathBuf,
    },
    /// Run a robustness audit: perturb every case along the protocol's axes, recompute the
    /// features, measure each feature's stability per axis (ICC, CCC, CoV) before and after
    /// ComBat, and write the run folder (features.csv/.parquet, stability.csv,
    /// harmonized_stability.csv, errors.csv, summary.json, manifest.json, report.html).
    /// Exit code 1 when the protocol's acceptance rule fails, 0 when it holds.
    Audit {
        /// The protocol (YAML), e.g. protocols/vertebra-ct.yaml.
        protocol: PathBuf,
        /// The run folder (default: runs/<protocol name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Continue an interrupted run in the same folder, skipping finished cases.
        #[arg(long)]
        resume: bool,
        /// Worker threads (default: all cores). Results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// Print the job count and the shard layout (for --shards N) and stop.
        #[arg(long)]
        plan: bool,
        /// Shards for --plan.
        #[arg(long, default_value_t = 1)]
        shards: usize,
        /// Run only shard I of N (e.g. 0/4): writes shards/I.parquet and shards/I.json into
        /// the run folder; `radaudit merge` joins them.
        #[arg(long)]
        shard: Option<radaudit::audit::shard::ShardSpec>,
    },
    /// Join the shards of a sharded audit (shards/I.parquet and I.json in RUN_DIR) after
    /// checking that every one is present, complete and made from the same protocol and tool
    /// version; then compute and write exactly what a single run writes.
    Merge {
        /// The run folder the shards wrote into.
        run_dir: PathBuf,
        /// Worker threads for the statistics.
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Write (and with --submit, submit) an audit as a SLURM job array of N shards plus a
    /// merge job that runs after the array succeeds (--dependency=afterok). Scripts go to
    /// RUN_DIR/slurm/; shards and merge share RUN_DIR, which every node must see.
    Slurm {
        /// The audit protocol.
        protocol: PathBuf,
        /// The run folder (on a filesystem every node shares).
        #[arg(long)]
        out: PathBuf,
        /// Number of shards (array tasks).
        #[arg(long)]
        shards: usize,
        #[arg(long)]
        partition: Option<String>,
        /// Time limit per task, HH:MM:SS.
        #[arg(long, default_value = "04:00:00")]
        time: String,
        #[arg(long, default_value_t = 1)]
        cpus_per_task: usize,
        /// Submit with sbatch and print the job ids.
        #[arg(long)]
        submit: bool,
        /// Submit only the shards whose outputs are missing (after a failure), then the merge.
        #[arg(long)]
        only_missing: bool,
    },
    /// Write an audit as a Kubernetes Indexed Job of N shards (the shard from
    /// JOB_COMPLETION_INDEX) plus the merge Job, on a PersistentVolumeClaim all pods mount.
    K8s {
        /// The protocol's path as the pods see it (on the volume).
        protocol: PathBuf,
        #[arg(long)]
        shards: usize,
        /// The container image with radaudit on its PATH.
        #[arg(long)]
        image: String,
        /// The PersistentVolumeClaim holding the inputs and the run folder.
        #[arg(long)]
        pvc: String,
        /// Where the pods mount the volume.
        #[arg(long, default_value = "/data")]
        mount: String,
        /// The run folder as the pods see it.
        #[arg(long, default_value = "/data/runs/audit")]
        run_dir: String,
        /// CPUs per pod (and threads per shard).
        #[arg(long, default_value_t = 1)]
        cpus: usize,
        /// Name prefix of the Jobs.
        #[arg(long, default_value = "radaudit")]
        name: String,
        /// The manifest file to write.
        #[arg(long, default_value = "radaudit-k8s.yaml")]
        out: PathBuf,
    },
    /// Compare a radiomic model with the clinical references (DXA T-score, FRAX, L1 HU) on
    /// the same patients: AUCs with DeLong CIs and paired tests, sensitivity/specificity/PPV/
    /// NPV with Wilson CIs at declared thresholds, calibration, decision curves, NRI/IDI and
    /// kappa. A model fitted here (LASSO-logistic, nested cross-validation or a declared
    /// split) is judged on held-out predictions only. Writes CSV tables, results.json,
    /// manifest.json and report.html to DIR. Give a protocol, or the common case as flags:
    /// `--cohort C.csv --outcome osteoporosis --feature-prefix original_ --t-score t_score`.
    Compare {
        /// The comparison protocol (YAML); or use --cohort and the flags below.
        #[arg(required_unless_present = "cohort", conflicts_with = "cohort")]
        protocol: Option<PathBuf>,
        /// The output folder.
        #[arg(long)]
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
        /// A column holding the model's score (higher means the outcome).
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
    },
    /// Check a study's reported numbers for consistency (for reviewers): counts and subsets
    /// that must add up, percentages against whole counts, rates against one confusion
    /// matrix, AUC CIs against Hanley-McNeil, an operating point against its AUC, p-values
    /// against their statistics, ICC CIs against subjects and raters, events per feature.
    /// Writes claims.json and report.html; exit code 1 if any claim is impossible.
    Claims {
        /// The claims file (YAML), e.g. protocols/claims/osteoporosis-review.yaml.
        file: PathBuf,
        /// The output folder.
        #[arg(long, default_value = "claims")]
        out: PathBuf,
    },
    /// Check IBSI 1 compliance: run the IBSI digital phantom and CT phantom configurations
    /// A-E through IBSI mode and compare every feature with the IBSI reference values.
    /// Prints pass/fail per family and data set; writes ibsi_check.csv, ibsi_check.json and
    /// report.html. Exit code 1 when a row fails.
    IbsiCheck {
        /// Data set: dig, A, B, C, D, E or all.
        #[arg(long, default_value = "all")]
        config: String,
        /// The IBSI 1 reference folder (digital_phantom/, ct_phantom/, the reference tables).
        #[arg(long, default_value = "../shared/reference/ibsi1")]
        reference: PathBuf,
        /// The output folder.
        #[arg(long, default_value = "ibsi-check")]
        out: PathBuf,
    },
    /// Calibrate a site's scanner from a scan of a QCT phantom: find the phantom, measure its
    /// rods, fit HU = a + b x density, convert a vertebral ROI to vBMD (ACR category), and
    /// compare with a reference site's calibration.json against the phantom file's limits.
    /// Writes calibration.json and report.html; exit code 1 when a limit fails.
    Calibrate {
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
        #[arg(long, default_value = "calibration")]
        out: PathBuf,
    },
    /// Apply a perturbation chain to an image and its ROI and write the results (to look at
    /// what an audit's perturbations do). Random draws come from the seed, the case id and
    /// the chain, never from the thread count.
    #[command(after_help = radaudit::perturb::spec::HELP)]
    Perturb {
        /// The image (file, DICOM folder or builtin:NAME).
        #[arg(long)]
        image: PathBuf,
        /// The mask (label map) on the image's grid.
        #[arg(long)]
        mask: PathBuf,
        /// The ROI's label in the mask.
        #[arg(long, default_value_t = 1)]
        label: u16,
        /// The chain, e.g. "noise:sd=20,peak=0.3; blur:fwhm=1.2; kvp:80; spacing:0.8x0.8x2;
        /// erode:mm=1" (elements below).
        #[arg(long = "apply")]
        chain: String,
        /// Seed of the random streams.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Case id for the random streams (default: the image's file name without extension).
        #[arg(long)]
        case_id: Option<String>,
        /// The perturbed image (.nii, .nii.gz or .nrrd).
        #[arg(long)]
        out_image: PathBuf,
        /// The perturbed ROI.
        #[arg(long)]
        out_mask: Option<PathBuf>,
    },
    /// Build a synthetic phantom: `vertebra` writes a vertebral body with a trabecular lattice
    /// of requested vBMD, acquired through a scanner profile (image, trabecular ROI, body mask
    /// and phantom.json with the measured truth); `cohort` a synthetic osteoporosis cohort;
    /// `qct` a scan of a QCT calibration phantom.
    Phantom {
        #[command(subcommand)]
        kind: PhantomKind,
    },
    /// ROC analysis: AUC, DeLong variance and 95% CI per score, and paired DeLong tests
    /// between scores, written to DIR/auc.csv and DIR/delong_paired.csv.
    Roc {
        /// The CSV table.
        #[arg(long)]
        input: PathBuf,
        /// The label column (0/1 or false/true; 1 = positive).
        #[arg(long)]
        label: String,
        /// Score columns, comma-separated; `name:lower` when lower values mean positive.
        #[arg(long, value_delimiter = ',', required = true)]
        score: Vec<String>,
        /// Output folder.
        #[arg(long)]
        out_dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum PhantomKind {
    /// A synthetic scan of a QCT calibration phantom (phantoms/qct-*.yaml) through the
    /// scanner and kV models, placed with a shift and a rotation about z.
    Qct {
        /// The phantom definition (YAML).
        #[arg(long)]
        phantom: PathBuf,
        /// Scanner profile (smooth, standard, sharp, or none for the ideal image).
        #[arg(long, default_value = "standard")]
        scanner: String,
        /// Tube voltage, kV (80-140).
        #[arg(long, default_value_t = 120.0)]
        kvp: f64,
        /// The scan to write (.nii.gz, .nrrd, ...).
        #[arg(long)]
        out: PathBuf,
        /// The phantom's centre, mm from the scan centre.
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        shift_x: f64,
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        shift_y: f64,
        /// Rotation about z, degrees.
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        rotate: f64,
        /// In-plane field of view, mm.
        #[arg(long, default_value_t = 250.0)]
        fov: f64,
        /// Seed of the noise.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// A synthetic osteoporosis cohort with known truth: demographics, true vBMD, simulated
    /// DXA T-score (with its confounders) and FRAX-like scores, fractures, and each patient's
    /// vertebra phantom with its L1 HU and 107 features, in DIR/cohort.csv.
    Cohort {
        /// Patients (10-5000).
        #[arg(long)]
        n: usize,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Seed of every draw.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Also write each patient's image and ROI to DIR/images/<id>/.
        #[arg(long)]
        images: bool,
    },
    /// The synthetic vertebra (definition: phantoms/vertebra.yaml; the built-in defaults equal it).
    Vertebra {
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// A phantom definition (YAML); missing keys take the defaults.
        #[arg(long)]
        spec: Option<PathBuf>,
        /// Trabecular vBMD, mg/cm3 hydroxyapatite.
        #[arg(long)]
        vbmd: Option<f64>,
        /// Trabecular thickness, mm.
        #[arg(long)]
        trabecular_thickness: Option<f64>,
        /// Scanner profile (smooth, standard, sharp, or none for the ideal image).
        #[arg(long)]
        scanner: Option<String>,
        /// Tube voltage, kV (80-140).
        #[arg(long)]
        kvp: Option<f64>,
        /// Seed of the lattice and noise.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Case id for the random streams.
        #[arg(long, default_value = "vertebra")]
        case_id: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Csv,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum EncodingArg {
    Gzip,
    Raw,
}

/// Writes to standard output; a closed pipe (`radaudit info X | head`) ends quietly instead
/// of panicking as `println!` would.
fn out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: cannot write to standard output: {e}");
        std::process::exit(2);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn run(command: Command) -> Result<u8> {
    match command {
        Command::Icc {
            input,
            subject,
            rater,
            value,
            feature,
            out,
        } => {
            let summary = commands::icc::run(&IccArgs {
                input,
                subject,
                rater,
                value,
                feature,
                out: out.clone(),
            })?;
            eprint!("{}", summary.describe(&out));
            Ok(0)
        }
        Command::Harmonize {
            input,
            batch,
            covariates,
            categorical,
            id,
            features,
            no_eb,
            nonparametric,
            mean_only,
            ref_batch,
            save_model,
            apply,
            out,
        } => {
            let summary = commands::harmonize::run(&HarmonizeArgs {
                input,
                batch,
                covariates,
                categorical,
                id,
                features,
                options: CombatOptions {
                    eb: !no_eb,
                    parametric: !nonparametric,
                    mean_only,
                    ref_batch,
                },
                save_model,
                apply,
                out: out.clone(),
                tests_out: None,
            })?;
            eprint!("{}", summary.describe(&out));
            Ok(0)
        }
        Command::Audit {
            protocol,
            out,
            resume,
            threads,
            plan,
            shards,
            shard,
        } => {
            if plan {
                print!("{}", radaudit::audit::plan_text(&protocol, shards)?);
                return Ok(0);
            }
            let outcome = radaudit::audit::run(&AuditArgs {
                protocol,
                out,
                resume,
                threads,
                shard,
            })?;
            eprint!("{}", outcome.summary);
            Ok(if outcome.passed { 0 } else { 1 })
        }
        Command::Merge { run_dir, threads } => {
            let outcome = radaudit::audit::shard::merge(&run_dir, threads)?;
            eprint!("{}", outcome.summary);
            Ok(if outcome.passed { 0 } else { 1 })
        }
        Command::Slurm {
            protocol,
            out,
            shards,
            partition,
            time,
            cpus_per_task,
            submit,
            only_missing,
        } => {
            let text = commands::cluster::slurm(&commands::cluster::SlurmArgs {
                protocol,
                out,
                shards,
                partition,
                time,
                cpus_per_task,
                submit,
                only_missing,
            })?;
            eprint!("{text}");
            Ok(0)
        }
        Command::K8s {
            protocol,
            shards,
            image,
            pvc,
            mount,
            run_dir,
            cpus,
            name,
            out,
        } => {
            let text = commands::cluster::k8s(&commands::cluster::K8sArgs {
                protocol,
                shards,
                image,
                pvc,
                mount,
                run_dir,
                cpus,
                name,
                out,
            })?;
            eprint!("{text}");
            Ok(0)
        }
        Command::Compare {
            protocol,
            out,
            cohort,
            id,
            outcomes,
            score,
            feature_prefix,
            t_score,
            frax_mof,
            frax_hip,
            l1_hu,
            seed,
        } => {
            let flags = radaudit::compare::spec::Flags {
                cohort,
                id,
                outcomes,
                score,
                feature_prefix,
                t_score,
                frax_mof,
                frax_hip,
                l1_hu,
                seed,
            };
            let outcome = radaudit::compare::run(&radaudit::compare::CompareArgs {
                protocol,
                flags,
                out,
            })?;
            eprint!("{}", outcome.summary);
            Ok(0)
        }
        Command::IbsiCheck {
            config,
            reference,
            out,
        } => {
            let outcome = radaudit::ibsi::check::run(&radaudit::ibsi::check::CheckArgs {
                config,
                reference,
                out,
            })?;
            eprint!("{}", outcome.summary);
            let failed = outcome.results.iter().any(|r| r.passed() < r.rows.len());
            Ok(if failed { 1 } else { 0 })
        }
        Command::Claims { file, out } => {
            let outcome = radaudit::claims::run(&radaudit::claims::ClaimsArgs { file, out })?;
            eprint!("{}", outcome.summary);
            Ok(if outcome.impossible > 0 { 1 } else { 0 })
        }
        Command::Perturb {
            image,
            mask,
            label,
            chain,
            seed,
            case_id,
            out_image,
            out_mask,
        } => {
            let summary = commands::perturb::run(&PerturbArgs {
                image,
                mask,
                label,
                chain,
                seed,
                case_id,
                out_image,
                out_mask,
            })?;
            eprint!("{summary}");
            Ok(0)
        }
        Command::Phantom {
            kind:
                PhantomKind::Qct {
                    phantom,
                    scanner,
                    kvp,
                    out,
                    shift_x,
                    shift_y,
                    rotate,
                    fov,
                    seed,
                },
        } => {
            let p = radaudit::phantom::qct::QctPhantom::load(&phantom)?;
            let pose = radaudit::phantom::qct::Pose {
                x: shift_x,
                y: shift_y,
                angle: rotate,
            };
            let image = radaudit::phantom::qct::scan(&p, pose, fov, kvp, &scanner, seed)?;
            io::write_volume(&image, &out, &WriteOptions::default())?;
            eprintln!(
                "wrote {} ({}, {scanner} at {kvp} kV)",
                out.display(),
                p.name
            );
            Ok(0)
        }
        Command::Calibrate {
            scan,
            phantom,
            vertebra_mask,
            reference,
            features,
            out,
        } => {
            let outcome = radaudit::calibrate::run(&radaudit::calibrate::CalibrateArgs {
                scan,
                phantom,
                vertebra_mask,
                reference,
                features,
                out,
            })?;
            eprint!("{}", outcome.summary);
            Ok(if outcome.passed { 0 } else { 1 })
        }
        Command::Phantom {
            kind:
                PhantomKind::Cohort {
                    n,
                    out,
                    seed,
                    images,
                },
        } => {
            radaudit::phantom::cohort::build(n, seed, &out, images)?;
            eprintln!("wrote {} ({n} patients)", out.join("cohort.csv").display());
            Ok(0)
        }
        Command::Phantom {
            kind:
                PhantomKind::Vertebra {
                    out,
                    spec,
                    vbmd,
                    trabecular_thickness,
                    scanner,
                    kvp,
                    seed,
                    case_id,
                },
        } => {
            let summary = commands::phantom::run(&VertebraArgs {
                spec,
                vbmd,
                trabecular_thickness,
                scanner,
                kvp,
                seed,
                case_id,
                out,
            })?;
            eprint!("{summary}");
            Ok(0)
        }
        Command::Roc {
            input,
            label,
            score,
            out_dir,
        } => {
            let summary = commands::roc::run(&RocArgs {
                input,
                label,
                scores: score,
                out_dir: out_dir.clone(),
            })?;
            eprint!("{}", summary.describe(&out_dir));
            Ok(0)
        }
        Command::Extract {
            image,
            mask,
            cases,
            params,
            convention,
            label,
            out,
            format,
            timings,
            series,
        } => extract_command(ExtractArgs {
            image,
            mask,
            cases,
            params,
            convention,
            label,
            out,
            format,
            timings,
            read: ReadOptions { series },
        }),
        Command::Info {
            path,
            mask,
            as_mask,
            json,
            series,
            geometry_tolerance,
        } => info(
            &path,
            mask.as_deref(),
            as_mask,
            json,
            series,
            geometry_tolerance,
        )
        .map(|()| 0),
        Command::Convert {
            input,
            output,
            series,
            nrrd_encoding,
        } => {
            let volume = io::read_volume(&input, &ReadOptions { series })?;
            let options = WriteOptions {
                nrrd_encoding: match nrrd_encoding {
                    EncodingArg::Gzip => NrrdEncoding::Gzip,
                    EncodingArg::Raw => NrrdEncoding::Raw,
                },
            };
            io::write_volume(&volume, &output, &options)?;
            out(&format!("wrote {}\n", output.display()));
            Ok(0)
        }
    }
}

/// Reads and describes one volume; as a mask when asked or when its name says so.
fn describe_path(
    path: &Path,
    as_mask: bool,
    options: &ReadOptions,
) -> Result<(VolumeInfo, Option<Mask>, radaudit::volume::Volume)> {
    let format = io::detect_format(path)?;
    let volume = io::read_volume(path, options)?;
    let mask = if as_mask {
        Some(Mask::from_volume(volume.clone()).map_err(|p| Error::input(path, p))?)
    } else if name_suggests_mask(path) {
        Mask::from_volume(volume.clone()).ok()
    } else {
        None
    };
    let info = describe(path, format.name(), &volume, mask.as_ref());
    Ok((info, mask, volume))
}

fn info(
    path: &Path,
    mask_path: Option<&Path>,
    as_mask: bool,
    json: bool,
    series: Option<String>,
    tolerance: f64,
) -> Result<()> {
    if !(tolerance.is_finite() && tolerance >= 0.0) {
        return Err(Error::Usage(format!(
            "--geometry-tolerance {tolerance}: must be a finite number >= 0"
        )));
    }
    let options = ReadOptions { series };
    let (image_info, _, image) = describe_path(path, as_mask, &options)?;
    let Some(mask_path) = mask_path else {
        out(&format!("{}\n", render(&image_info, json)?));
        return Ok(());
    };
    let (mask_info, mask, _) = describe_path(mask_path, true, &ReadOptions::default())?;
    let mask = mask.ok_or_else(|| Error::Internal("mask was not kept".into()))?;
    let tol = GeometryTolerance {
        coordinate: tolerance,
        ..GeometryTolerance::default()
    };
    mask.check_matches(&image, tol).map_err(|e| match e {
        Error::Mismatch(m) => Error::input(mask_path, format!("{m} (image {})", path.display())),
        other => other,
    })?;
    if json {
        let both =
            serde_json::json!({ "image": image_info, "mask": mask_info, "geometry_match": true });
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&both).map_err(|e| Error::Internal(e.to_string()))?
        ));
    } else {
        out(&format!(
            "{}\n{}\nimage and mask grids agree (tolerance {tolerance:e} x spacing)\n",
            image_info.to_text(),
            mask_info.to_text()
        ));
    }
    Ok(())
}

struct ExtractArgs {
    image: Option<PathBuf>,
    mask: Option<PathBuf>,
    cases: Option<PathBuf>,
    params: Option<PathBuf>,
    convention: Option<Convention>,
    label: Option<u16>,
    out: Option<PathBuf>,
    format: FormatArg,
    timings: bool,
    read: ReadOptions,
}

/// `radaudit extract`: one case to a file or standard output, or a batch; exit 2 when any
/// batch case failed.
fn extract_command(a: ExtractArgs) -> Result<u8> {
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
        FormatArg::Csv => extract::Format::Csv,
        FormatArg::Json => extract::Format::Json,
    };
    if let Some(cases_path) = &a.cases {
        let out = a
            .out
            .as_deref()
            .ok_or_else(|| Error::Usage("--cases needs --out".into()))?;
        let cases = extract::read_cases(cases_path)?;
        let summary = extract::run_batch(&cases, &params, &a.read, out, format)?;
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
            return Ok(2);
        }
        return Ok(0);
    }
    let (Some(image), Some(mask)) = (&a.image, &a.mask) else {
        return Err(Error::Usage(
            "extract needs --image and --mask, or --cases".into(),
        ));
    };
    let (values, timings) = extract::extract_case(image, mask, &params, a.label, &a.read)?;
    if a.timings {
        for (stage, t) in &timings.stages {
            eprintln!("{stage:>12}: {:.4} s", t.as_secs_f64());
        }
    }
    let text = extract::render_case(&values, format);
    match &a.out {
        Some(path) => radaudit::output::write_bytes(path, text.as_bytes())?,
        None => out(&text),
    }
    Ok(0)
}

fn render(info: &VolumeInfo, json: bool) -> Result<String> {
    if json {
        serde_json::to_string_pretty(info).map_err(|e| Error::Internal(e.to_string()))
    } else {
        Ok(info.to_text())
    }
}
