//! The audit's plan: the cases (from a CSV or the synthetic cohort) and, for each case, the
//! perturbations to run, each a chain (baseline acquisition with one axis level, or a random
//! draw of one level per axis) with a stable id.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::RngExt;

use crate::audit::protocol::{DesignKind, Loaded};
use crate::error::{Error, Result};
use crate::perturb::{Chain, random};
use crate::volume::labels::LabelTable;
use crate::yaml::resolve;

/// Where a case's image and ROI come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A user's image and mask, and the ROI label.
    Files {
        /// The image file.
        image: PathBuf,
        /// The mask file.
        mask: PathBuf,
        /// The ROI label.
        label: u16,
    },
    /// A synthetic vertebra.
    Vertebra {
        /// Its vBMD, mg/cm3 HA.
        vbmd: f64,
        /// Its body size factors (x, y, z).
        scale: [f64; 3],
    },
}

/// One case of the audit.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseInfo {
    /// The case id.
    pub id: String,
    /// Where its image and ROI come from.
    pub source: Source,
    /// Covariates by name (vbmd for the synthetic cohort; CSV columns otherwise).
    pub covariates: BTreeMap<String, f64>,
}

/// One perturbation of one case.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// `baseline`, `AXIS=LEVEL` or `drawNN`.
    pub id: String,
    /// The level of each axis this job applies ("" where it applies none).
    pub levels: Vec<String>,
    /// The chain applied.
    pub chain: Chain,
}

/// The whole plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The axis names, in protocol order.
    pub axes: Vec<String>,
    /// The cases, in plan order.
    pub cases: Vec<CaseInfo>,
    baseline: Chain,
    /// Every axis' levels, parsed.
    levels: Vec<Vec<(String, Chain)>>,
    design: DesignKind,
    draws: usize,
    seed: u64,
}

impl Plan {
    /// Builds the plan of a loaded protocol (reads the cases CSV).
    pub fn new(loaded: &Loaded) -> Result<Plan> {
        let p = &loaded.protocol;
        let baseline = loaded.baseline.clone();
        let levels = loaded.levels.clone();
        let cases = match (&p.cases.csv, &p.cases.synthetic_vertebra) {
            (Some(csv), _) => {
                let table = p
                    .cases
                    .label_table
                    .as_deref()
                    .map(|spec| match spec {
                        "totalsegmentator" | "totalsegmentator-v2" | "totalsegmentator-v1" => {
                            LabelTable::load(spec)
                        }
                        file => LabelTable::load(
                            &resolve(&loaded.path, Path::new(file)).to_string_lossy(),
                        ),
                    })
                    .transpose()?;
                read_case_table(
                    &resolve(&loaded.path, csv),
                    p.harmonization
                        .as_ref()
                        .map_or(&[][..], |h| &h.covariates[..]),
                    table.as_ref(),
                    &loaded.features,
                )?
            }
            (None, Some(c)) => (0..c.count)
                .map(|i| {
                    let t = if c.count > 1 {
                        i as f64 / (c.count - 1) as f64
                    } else {
                        0.0
                    };
                    let vbmd = c.vbmd[0] + t * (c.vbmd[1] - c.vbmd[0]);
                    let id = format!("vertebra-{:03}", i + 1);
                    let mut rng = random::stream(p.seed, &id, "cohort|size");
                    let v = c.size_variation;
                    let scale = [0; 3].map(|_| 1.0 - v + 2.0 * v * rng.random::<f64>());
                    CaseInfo {
                        id,
                        source: Source::Vertebra { vbmd, scale },
                        covariates: BTreeMap::from([("vbmd".to_string(), vbmd)]),
                    }
                })
                .collect(),
            (None, None) => return Err(Error::Internal("protocol without cases".into())),
        };
        Ok(Plan {
            axes: p.perturbations.iter().map(|a| a.axis.clone()).collect(),
            cases,
            baseline,
            levels,
            design: p.design.kind,
            draws: p.design.draws.unwrap_or(0),
            seed: p.seed,
        })
    }

    /// The same plan over the cases `range` only (a shard). A case's jobs and random draws
    /// depend on its id, not its position, so they are the same as in the whole plan.
    pub fn with_cases(&self, range: std::ops::Range<usize>) -> Plan {
        Plan {
            cases: self.cases[range].to_vec(),
            ..self.clone()
        }
    }

    /// Jobs per case (the same for every case).
    pub fn jobs_per_case(&self) -> usize {
        1 + match self.design {
            DesignKind::PerAxis => self.levels.iter().map(Vec::len).sum(),
            DesignKind::Combined => self.draws,
        }
    }

    /// The jobs of one case, baseline first. Combined draws come from the case's own stream.
    pub fn jobs(&self, case: &CaseInfo) -> Vec<Job> {
        let none = vec![String::new(); self.axes.len()];
        let mut jobs = vec![Job {
            id: "baseline".into(),
            levels: none.clone(),
            chain: self.baseline.clone(),
        }];
        match self.design {
            DesignKind::PerAxis => {
                for (a, axis) in self.axes.iter().enumerate() {
                    for (label, chain) in &self.levels[a] {
                        let mut levels = none.clone();
                        levels[a] = label.clone();
                        jobs.push(Job {
                            id: format!("{axis}={label}"),
                            levels,
                            chain: self.baseline.overridden_by(chain),
                        });
                    }
                }
            }
            DesignKind::Combined => {
                let mut rng = random::stream(self.seed, &case.id, "audit|combined-draws");
                for d in 0..self.draws {
                    let mut chain = self.baseline.clone();
                    let mut levels = none.clone();
                    for (a, axis_levels) in self.levels.iter().enumerate() {
                        let pick = rng.random_range(0..axis_levels.len());
                        let (label, level) = &axis_levels[pick];
                        chain = chain.overridden_by(level);
                        levels[a] = label.clone();
                    }
                    jobs.push(Job {
                        id: format!("draw{:02}", d + 1),
                        levels,
                        chain,
                    });
                }
            }
        }
        jobs
    }

    /// Each axis' perturbation indices within a case's job list (per-axis design), or the
    /// single `combined` axis.
    pub fn axis_jobs(&self) -> Vec<(String, Vec<usize>)> {
        match self.design {
            DesignKind::PerAxis => {
                let mut next = 1;
                self.axes
                    .iter()
                    .zip(&self.levels)
                    .map(|(axis, levels)| {
                        let idx: Vec<usize> = (next..next + levels.len()).collect();
                        next += levels.len();
                        (axis.clone(), idx)
                    })
                    .collect()
            }
            DesignKind::Combined => vec![("combined".into(), (1..=self.draws).collect())],
        }
    }
}

/// The scanner fact `name` of a case whose image is a DICOM series, from its header.
fn acquisition_number(image: &Path, name: &str, csv: &Path, row: usize, id: &str) -> Result<f64> {
    let refuse = |why: String| {
        Error::input(
            csv,
            format!("row {row} (case {id}): covariate {name}: {why}"),
        )
    };
    if crate::volume::io::detect_format(image)? != crate::volume::io::Format::Dicom {
        return Err(refuse(
            "not a column of the CSV, and the image is not DICOM (whose header would give it)"
                .into(),
        ));
    }
    crate::volume::io::dicom::acquisition(image, None)?
        .number(name)
        .ok_or_else(|| refuse(format!("not in the header of {}", image.display())))
}

/// Reads the cases CSV: case,image,mask[,label][,scanner] plus the covariate columns; a label
/// given by name is resolved through `table`, else the mask's own names (RTSTRUCT, SEG).
fn read_case_table(
    path: &std::path::Path,
    covariates: &[String],
    labels: Option<&LabelTable>,
    features: &crate::features::FeatureSet,
) -> Result<Vec<CaseInfo>> {
    let cases = crate::extract::read_cases(path)?;
    let table = crate::table::Table::read(path)?;
    let mut columns = Vec::new();
    for name in covariates {
        let values = match table.headers().iter().any(|h| h == name) {
            true => table.numbers(name)?,
            // Not a column: a DICOM case's scanner fact of that name (kvp, exposure_mas ...).
            false if crate::volume::io::dicom::Acquisition::NUMBERS.contains(&name.as_str()) => {
                cases
                    .iter()
                    .enumerate()
                    .map(|(row, c)| acquisition_number(&c.image, name, path, row + 2, &c.id))
                    .collect::<Result<Vec<f64>>>()?
            }
            false => table.numbers(name)?,
        };
        columns.push((name.clone(), values));
    }
    cases
        .into_iter()
        .enumerate()
        .map(|(row, c)| {
            // The row's label, else the parameters' label name, else 1.
            let label = features
                .label_for(c.label.as_ref(), &c.mask, labels)
                .map_err(|e| Error::input(path, format!("row {} (case {}): {e}", row + 2, c.id)))?
                .unwrap_or(1);
            Ok(CaseInfo {
                id: c.id,
                source: Source::Files {
                    image: c.image,
                    mask: c.mask,
                    label,
                },
                covariates: columns.iter().map(|(n, v)| (n.clone(), v[row])).collect(),
            })
        })
        .collect()
}
