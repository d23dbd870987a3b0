//! The ComBat design matrix, built as neuroCombat 0.2.12 builds it: the batch one-hot in sorted
//! level order (with a reference batch, its column is all ones and acts as the intercept),
//! then each categorical covariate one-hot without its first sorted level, then each
//! continuous covariate. Also the check that the design has full rank, naming the covariate
//! that is confounded with batch (or with earlier covariates) when it does not.

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use serde::{Deserialize, Serialize};

use super::smooth;

/// A covariate to preserve during harmonization, one value per subject.
#[derive(Debug, Clone, PartialEq)]
pub enum Covariate {
    /// A numeric covariate entered as is (e.g. age).
    Continuous {
        /// Its name (a column of the table).
        name: String,
        /// One value per subject.
        values: Vec<f64>,
    },
    /// A categorical covariate entered as dummies for all levels but the first (e.g. sex).
    Categorical {
        /// Its name (a column of the table).
        name: String,
        /// One level per subject.
        values: Vec<String>,
    },
}

impl Covariate {
    /// The covariate's name.
    pub fn name(&self) -> &str {
        match self {
            Covariate::Continuous { name, .. } | Covariate::Categorical { name, .. } => name,
        }
    }

    /// Subjects it has values for.
    pub fn len(&self) -> usize {
        match self {
            Covariate::Continuous { values, .. } => values.len(),
            Covariate::Categorical { values, .. } => values.len(),
        }
    }

    /// Whether it has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How a covariate is encoded in the design; saved with a model so new subjects are encoded
/// the same way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum CovariateEncoding {
    /// A numeric covariate, one column.
    Continuous {
        /// Its name.
        name: String,
    },
    /// `levels` in sorted order; the first is the baseline and has no column.
    Categorical {
        /// Its name.
        name: String,
        /// Its levels, sorted.
        levels: Vec<String>,
    },
    /// A numeric covariate with a smooth (penalised cubic spline) effect: the basis on these
    /// knots without its first function (see `smooth`).
    Smooth {
        /// Its name.
        name: String,
        /// The full knot sequence, boundary knots repeated.
        knots: Vec<f64>,
    },
}

impl CovariateEncoding {
    /// The covariate's name.
    pub fn name(&self) -> &str {
        match self {
            CovariateEncoding::Continuous { name }
            | CovariateEncoding::Categorical { name, .. }
            | CovariateEncoding::Smooth { name, .. } => name,
        }
    }

    /// The number of design columns this covariate takes.
    pub fn width(&self) -> usize {
        match self {
            CovariateEncoding::Continuous { .. } => 1,
            CovariateEncoding::Categorical { levels, .. } => levels.len().saturating_sub(1),
            CovariateEncoding::Smooth { .. } => smooth::SMOOTH_WIDTH,
        }
    }
}

/// The distinct values in the order numpy's `np.unique` gives them: numerically when every
/// value is a number, else by byte order.
pub fn sorted_levels(values: &[String]) -> Vec<String> {
    let distinct: std::collections::BTreeSet<&str> = values.iter().map(String::as_str).collect();
    let mut levels: Vec<String> = distinct.into_iter().map(str::to_string).collect();
    let numbers: Option<Vec<f64>> = levels.iter().map(|v| v.parse::<f64>().ok()).collect();
    if let Some(numbers) = numbers {
        let mut pairs: Vec<(f64, String)> = numbers.into_iter().zip(levels).collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        // "1" and "1.0" are one level numerically; keep the first spelling.
        pairs.dedup_by(|a, b| a.0 == b.0);
        levels = pairs.into_iter().map(|p| p.1).collect();
    }
    levels
}

/// The index of `value` among `levels`, matching numerically when the levels are numbers.
pub fn level_index(levels: &[String], value: &str) -> Option<usize> {
    levels.iter().position(|l| l == value).or_else(|| {
        let v = value.parse::<f64>().ok()?;
        levels.iter().position(|l| l.parse::<f64>().ok() == Some(v))
    })
}

/// Each value's level index (`None` when it is not a level), looking each distinct value up
/// once.
pub fn level_indices(levels: &[String], values: &[String]) -> Vec<Option<usize>> {
    let mut cache: std::collections::HashMap<&str, Option<usize>> =
        std::collections::HashMap::new();
    values
        .iter()
        .map(|v| {
            *cache
                .entry(v.as_str())
                .or_insert_with(|| level_index(levels, v))
        })
        .collect()
}

/// The encodings of the covariates as fitted on these subjects.
pub fn encodings(covariates: &[Covariate]) -> Vec<CovariateEncoding> {
    covariates
        .iter()
        .map(|c| match c {
            Covariate::Continuous { name, .. } => {
                CovariateEncoding::Continuous { name: name.clone() }
            }
            Covariate::Categorical { name, values } => CovariateEncoding::Categorical {
                name: name.clone(),
                levels: sorted_levels(values),
            },
        })
        .collect()
}

/// The encodings with the covariates named in `smooth` (continuous ones, at most one) as smooth
/// terms, their knots placed on these subjects' values.
pub fn encodings_with_smooth(
    covariates: &[Covariate],
    smooth: &[String],
) -> Result<Vec<CovariateEncoding>, String> {
    if smooth.len() > 1 {
        return Err(format!(
            "one smooth covariate is supported; {} were given ({})",
            smooth.len(),
            smooth.join(", ")
        ));
    }
    for name in smooth {
        match covariates.iter().find(|c| c.name() == name) {
            Some(Covariate::Continuous { .. }) => {}
            Some(Covariate::Categorical { .. }) => {
                return Err(format!(
                    "smooth covariate {name:?} is categorical; a smooth effect needs a numeric covariate"
                ));
            }
            None => {
                return Err(format!(
                    "smooth covariate {name:?} is not among the covariates"
                ));
            }
        }
    }
    encodings(covariates)
        .into_iter()
        .zip(covariates)
        .map(|(encoding, covariate)| match covariate {
            Covariate::Continuous { name, values } if smooth.contains(name) => {
                Ok(CovariateEncoding::Smooth {
                    name: name.clone(),
                    knots: smooth::knots(name, values)?,
                })
            }
            _ => Ok(encoding),
        })
        .collect()
}

/// The covariate part of the design (subjects x columns, row-major) with its column names.
/// A categorical value outside the encoding's levels is an error naming it.
pub fn covariate_columns(
    encodings: &[CovariateEncoding],
    covariates: &[Covariate],
    n: usize,
) -> Result<(Vec<Vec<f64>>, Vec<String>), String> {
    let mut names = Vec::new();
    let mut rows = vec![Vec::new(); n];
    for enc in encodings {
        let cov = covariates
            .iter()
            .find(|c| c.name() == enc.name())
            .ok_or_else(|| format!("covariate {:?} is missing", enc.name()))?;
        if cov.len() != n {
            return Err(format!(
                "covariate {:?} has {} values for {n} subjects",
                enc.name(),
                cov.len()
            ));
        }
        match (enc, cov) {
            (CovariateEncoding::Continuous { name }, Covariate::Continuous { values, .. }) => {
                names.push(name.clone());
                for (row, v) in rows.iter_mut().zip(values) {
                    row.push(*v);
                }
            }
            (
                CovariateEncoding::Categorical { name, levels },
                Covariate::Categorical { values, .. },
            ) => {
                names.extend(levels.iter().skip(1).map(|l| format!("{name}={l}")));
                for ((row, v), k) in rows
                    .iter_mut()
                    .zip(values)
                    .zip(level_indices(levels, values))
                {
                    let k = k.ok_or_else(|| {
                        format!(
                            "covariate {name:?} has the level {v:?}, which the model was not fitted with (its levels: {})",
                            levels.join(", ")
                        )
                    })?;
                    row.extend((1..levels.len()).map(|l| if l == k { 1.0 } else { 0.0 }));
                }
            }
            (CovariateEncoding::Smooth { name, knots }, Covariate::Continuous { values, .. }) => {
                names.extend((1..=smooth::SMOOTH_WIDTH).map(|k| format!("{name}:s{k}")));
                for (row, v) in rows.iter_mut().zip(values) {
                    if !v.is_finite() {
                        return Err(format!(
                            "smooth covariate {name:?} has the value {v}, which is not a finite number"
                        ));
                    }
                    if !smooth::in_range(knots, *v) {
                        return Err(format!(
                            "smooth covariate {name:?} has the value {v}, outside the range its curve was \
                             fitted on ({} to {}); a spline is not extrapolated",
                            knots[0],
                            knots[knots.len() - 1]
                        ));
                    }
                    row.extend(smooth::basis_row(knots, *v));
                }
            }
            _ => {
                return Err(format!(
                    "covariate {:?} is continuous in one place and categorical in another",
                    enc.name()
                ));
            }
        }
    }
    Ok((rows, names))
}

/// The full design (subjects x columns) and column names: batch one-hot (reference column all
/// ones), then covariate columns.
pub fn design_matrix(
    batch_index: &[usize],
    batches: &[String],
    reference: Option<usize>,
    covariate_rows: &[Vec<f64>],
    covariate_names: &[String],
) -> (DMatrix<f64>, Vec<String>) {
    let n = batch_index.len();
    let nb = batches.len();
    let p = nb + covariate_names.len();
    let design = DMatrix::from_fn(n, p, |i, c| {
        if c < nb {
            if Some(c) == reference || batch_index[i] == c {
                1.0
            } else {
                0.0
            }
        } else {
            covariate_rows[i][c - nb]
        }
    });
    let mut names: Vec<String> = batches.iter().map(|b| format!("batch={b}")).collect();
    names.extend(covariate_names.iter().cloned());
    (design, names)
}

/// Checks the design has full column rank. Columns are added one at a time; the first that
/// makes the (column-normalised) Gram matrix singular is named in the error.
pub fn check_full_rank(design: &DMatrix<f64>, names: &[String]) -> Result<(), String> {
    if let Some(c) = design.column_iter().position(|c| c.amax() == 0.0) {
        return Err(format!(
            "design column {} is zero for every subject",
            names[c]
        ));
    }
    // Each column divided by its largest magnitude first, then by its norm, so that huge
    // values (1e300) do not overflow nor tiny ones (1e-300) underflow.
    let units: Vec<DVector<f64>> = design
        .column_iter()
        .map(|c| {
            let u = c / c.amax();
            let norm = u.norm();
            u / norm
        })
        .collect();
    if let Some(c) = units.iter().position(|u| u.iter().any(|v| !v.is_finite())) {
        return Err(format!(
            "design column {} holds a value that is not a finite number",
            names[c]
        ));
    }
    let scaled = DMatrix::from_columns(&units);
    let gram = scaled.transpose() * &scaled;
    for c in 1..gram.ncols() {
        let sub = gram.view((0, 0), (c + 1, c + 1)).into_owned();
        let eig = SymmetricEigen::new(sub);
        let min = eig
            .eigenvalues
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        // Eigenvalues of a normalised Gram matrix are squared singular values: 1e-12 means
        // the column is a combination of the earlier ones to about 1e-6.
        if min < 1e-12 {
            return Err(format!(
                "the design is singular: column {} is a combination of the earlier columns ({}), so its \
                 effect cannot be separated from them; a covariate confounded with batch cannot be \
                 preserved by ComBat; drop it or merge batches",
                names[c],
                names[..c].join(", ")
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_sort_numerically_when_numbers() {
        let v: Vec<String> = ["10", "9", "2", "9"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(sorted_levels(&v), vec!["2", "9", "10"]);
        let v: Vec<String> = ["b", "B", "a"].iter().map(|s| s.to_string()).collect();
        assert_eq!(sorted_levels(&v), vec!["B", "a", "b"]);
        assert_eq!(
            level_index(&["0".to_string(), "1".to_string()], "1.0"),
            Some(1)
        );
    }

    #[test]
    fn confounded_covariate_is_named() {
        let batch = vec![0, 0, 1, 1];
        let batches = vec!["A".to_string(), "B".to_string()];
        let rows = vec![vec![1.0], vec![1.0], vec![0.0], vec![0.0]];
        let (d, names) = design_matrix(&batch, &batches, None, &rows, &["site_flag".to_string()]);
        let e = check_full_rank(&d, &names).unwrap_err();
        assert!(e.contains("site_flag"), "{e}");
        let rows = vec![vec![1.0], vec![2.0], vec![0.0], vec![5.0]];
        let (d, names) = design_matrix(&batch, &batches, None, &rows, &["age".to_string()]);
        assert!(check_full_rank(&d, &names).is_ok());
    }
}
