//! DXA T-scores derived from areal BMD (g/cm²), sex and site: T = (BMD - mean) / SD of a
//! young-adult reference group. The built-in references are NHANES III non-Hispanic white
//! adults aged 20-29 (Looker AC et al., "Updated data on proximal femur bone mineral levels of
//! US adults", Osteoporos Int 1998;8:468-489), the WHO reference standard for the hip (Kanis
//! JA et al., Bone 2008;42:467-475):
//!
//! | site | women mean (SD) | men mean (SD) |
//! |---|---|---|
//! | femoral neck | 0.858 (0.120) | 0.934 (0.137) |
//! | total hip | 0.942 (0.122) | 1.041 (0.144) |
//!
//! NHANES III did not scan the spine, so a lumbar-spine T-score needs the device maker's
//! reference, given in the protocol (`female:`/`male:`). `reference: female` applies the
//! women's reference to men as well (ISCD's uniform white-female reference); the default is
//! sex-specific. The values hold for Hologic-calibrated BMD; other devices need their
//! cross-calibration first.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::table::Table;

/// A skeletal site of the DXA measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Site {
    FemoralNeck,
    TotalHip,
    LumbarSpine,
}

/// Which young-adult group men are compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceGroup {
    /// Women against women, men against men.
    #[default]
    SexSpecific,
    /// Everyone against young women (ISCD's uniform reference).
    Female,
}

/// A reference group's mean and SD of areal BMD, g/cm².
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeanSd {
    pub mean: f64,
    pub sd: f64,
}

/// One T-score column to derive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TScoreSpec {
    /// The new column's name (refer to it from `references`).
    pub column: String,
    /// The areal BMD column, g/cm².
    pub bmd: String,
    pub site: Site,
    /// The sex column (F/M or female/male); needed unless `reference: female`.
    #[serde(default)]
    pub sex: Option<String>,
    #[serde(default)]
    pub reference: ReferenceGroup,
    /// Overrides of the built-in reference (needed for the lumbar spine).
    #[serde(default)]
    pub female: Option<MeanSd>,
    #[serde(default)]
    pub male: Option<MeanSd>,
}

/// The NHANES III young-adult reference (see the module note), if it covers the site.
pub fn nhanes3(site: Site, female: bool) -> Option<MeanSd> {
    let (mean, sd) = match (site, female) {
        (Site::FemoralNeck, true) => (0.858, 0.120),
        (Site::FemoralNeck, false) => (0.934, 0.137),
        (Site::TotalHip, true) => (0.942, 0.122),
        (Site::TotalHip, false) => (1.041, 0.144),
        (Site::LumbarSpine, _) => return None,
    };
    Some(MeanSd { mean, sd })
}

/// Plausible areal BMD, g/cm²: values outside are most likely in another unit.
const BMD_RANGE: (f64, f64) = (0.1, 3.0);

impl TScoreSpec {
    /// The reference for one patient.
    fn reference_for(&self, female: bool) -> std::result::Result<MeanSd, String> {
        let female = female || self.reference == ReferenceGroup::Female;
        let given = if female { self.female } else { self.male };
        let r = given.or_else(|| nhanes3(self.site, female)).ok_or_else(|| {
            format!(
                "t_scores, column {}: NHANES III has no {:?} reference; give `{}: {{mean, sd}}` (the device maker's)",
                self.column,
                self.site,
                if female { "female" } else { "male" }
            )
        })?;
        if !(r.sd > 0.0 && r.mean > 0.0) {
            return Err(format!(
                "t_scores, column {}: the reference needs a positive mean and SD",
                self.column
            ));
        }
        Ok(r)
    }

    /// The T-scores of every row; errors name the row and column.
    pub fn derive(&self, table: &Table) -> Result<Vec<f64>> {
        let bmd = table.numbers(&self.bmd)?;
        let sexes: Vec<Option<bool>> = match &self.sex {
            Some(col) => table
                .text(col)?
                .iter()
                .enumerate()
                .map(|(k, v)| match v.trim().to_ascii_lowercase().as_str() {
                    "f" | "female" => Ok(Some(true)),
                    "m" | "male" => Ok(Some(false)),
                    other => Err(Error::input(
                        &table.path,
                        format!(
                            "row {}, column {col}: sex must be F, M, female or male, got {other:?}",
                            k + 2
                        ),
                    )),
                })
                .collect::<Result<_>>()?,
            None if self.reference == ReferenceGroup::Female => vec![None; bmd.len()],
            None => {
                return Err(Error::input(
                    &table.path,
                    format!(
                        "t_scores, column {}: a sex-specific T-score needs `sex:` (a column), or set `reference: female`",
                        self.column
                    ),
                ));
            }
        };
        bmd.iter()
            .zip(&sexes)
            .enumerate()
            .map(|(k, (&b, &female))| {
                if !(BMD_RANGE.0..=BMD_RANGE.1).contains(&b) {
                    return Err(Error::input(
                        &table.path,
                        format!(
                            "row {}, column {}: areal BMD {b} is outside {} to {} g/cm2",
                            k + 2,
                            self.bmd,
                            BMD_RANGE.0,
                            BMD_RANGE.1
                        ),
                    ));
                }
                let r = self
                    .reference_for(female.unwrap_or(true))
                    .map_err(|e| Error::input(&table.path, e))?;
                Ok((b - r.mean) / r.sd)
            })
            .collect()
    }
}

/// Adds the derived T-score columns to the cohort table (a name already present is refused).
pub fn add_columns(table: &mut Table, specs: &[TScoreSpec]) -> Result<Vec<(String, Vec<f64>)>> {
    let mut added = Vec::new();
    for spec in specs {
        if table.headers().contains(&spec.column) {
            return Err(Error::input(
                &table.path,
                format!(
                    "t_scores: column {} already exists in the cohort",
                    spec.column
                ),
            ));
        }
        let values = spec.derive(table)?;
        let cells: Vec<String> = values
            .iter()
            .map(|v| crate::table::format_number(*v))
            .collect();
        table.add_column(&spec.column, &cells)?;
        added.push((spec.column.clone(), values));
    }
    Ok(added)
}
