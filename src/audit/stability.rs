//! Per-feature stability on each axis: the cases are the subjects and the baseline plus the
//! axis' levels are the raters. ICC(1,1) with its 95% CI, ICC(2,1), ICC(3,1) (Shrout and
//! Fleiss, as `stats::icc`), Lin's CCC of every level against the baseline (pairs pooled over
//! levels), the mean within-case coefficient of variation, the Koo-Li class of the ICC(1,1)
//! CI, and the robustness verdict of the acceptance rule.

use crate::audit::protocol::{Acceptance, Metric};
use crate::stats::agreement::{coefficient_of_variation, lin_ccc};
use crate::stats::icc::{IccType, icc, koo_li_class};

/// The stability of one feature on one axis. Undefined values (a constant feature, a
/// non-finite value) are `None` and `note` says why.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row {
    pub feature: String,
    /// The image type (`original`, `wavelet-LLH`, ...).
    pub image: String,
    pub family: String,
    pub axis: String,
    pub n_cases: usize,
    pub n_raters: usize,
    pub icc1: Option<f64>,
    pub icc1_ci_low: Option<f64>,
    pub icc1_ci_high: Option<f64>,
    pub icc21: Option<f64>,
    pub icc31: Option<f64>,
    pub ccc: Option<f64>,
    pub cov: Option<f64>,
    pub koo_li: String,
    pub robust: bool,
    pub note: String,
}

/// The image and class of a PyRadiomics name (`wavelet-LLH_glcm_Contrast` -> `wavelet-LLH`,
/// `glcm`): image names hold no `_`, and the class is one of PyRadiomics'.
fn pyradiomics_parts(feature: &str) -> Option<(&str, &str)> {
    let mut parts = feature.splitn(3, '_');
    let (image, class) = (parts.next()?, parts.next()?);
    parts.next()?;
    crate::features::pyradiomics::FeatureClass::from_name(class).map(|_| (image, class))
}

/// The filter identity and tag of a filtered IBSI name (`log-sigma-1.5-cutoff-4_stat_mean` ->
/// `log-sigma-1.5-cutoff-4`, `stat_mean`): identities hold no `_` and start with an IBSI 2
/// filter's name.
fn ibsi_parts(feature: &str) -> Option<(&str, &str)> {
    let (identity, tag) = feature.split_once('_')?;
    let filter = identity.split('-').next()?;
    let known = crate::features::ibsi::filters::NAMES
        .iter()
        .any(|n| n.eq_ignore_ascii_case(filter));
    (known && crate::features::ibsi::family_of(tag).is_some()).then_some((identity, tag))
}

/// The feature family of a PyRadiomics name (`wavelet-LLH_glcm_Contrast` -> `glcm`) or an IBSI
/// tag, filtered or not (`cm_joint_max_3D_comb` -> `glcm`, `log-sigma-1.5_stat_mean` ->
/// `intensity_statistics`).
pub fn family(feature: &str) -> &str {
    if let Some((_, class)) = pyradiomics_parts(feature) {
        return class;
    }
    let tag = ibsi_parts(feature).map_or(feature, |(_, tag)| tag);
    crate::features::ibsi::family_of(tag).unwrap_or("")
}

/// The image type a feature was computed on (`original`, `wavelet-LLH`,
/// `log-sigma-1-0-mm-3D`; an IBSI 2 filter's identity, `log-sigma-1.5-cutoff-4`);
/// `original` for unfiltered IBSI tags.
pub fn image(feature: &str) -> &str {
    pyradiomics_parts(feature)
        .or_else(|| ibsi_parts(feature))
        .map_or("original", |(image, _)| image)
}

impl Row {
    /// The value the acceptance rule judges.
    pub fn metric(&self, m: Metric) -> Option<f64> {
        match m {
            Metric::Icc1 => self.icc1,
            Metric::Icc1CiLow => self.icc1_ci_low,
            Metric::Icc2 => self.icc21,
            Metric::Icc3 => self.icc31,
            Metric::Ccc => self.ccc,
        }
    }
}

/// Every feature's stability on every axis (feature-major, axes in plan order), from
/// `values[case][job][feature]` of the complete cases; each axis rated on its jobs with the
/// baseline (job 0) as one more rater. Features run in parallel on the current pool.
pub fn assess_all(
    features: &[String],
    values: &[Vec<Vec<f64>>],
    axis_jobs: &[(String, Vec<usize>)],
    rule: &Acceptance,
) -> Vec<Row> {
    use rayon::prelude::*;
    (0..features.len())
        .into_par_iter()
        .map(|f| {
            axis_jobs
                .iter()
                .map(|(axis, idx)| {
                    let ratings: Vec<Vec<f64>> = values
                        .iter()
                        .map(|case| {
                            std::iter::once(0)
                                .chain(idx.iter().copied())
                                .map(|j| case[j][f])
                                .collect()
                        })
                        .collect();
                    assess(&features[f], axis, &ratings, rule)
                })
                .collect::<Vec<_>>()
        })
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .collect()
}

/// The stability of `feature` from `ratings[case][rater]` (rater 0 is the baseline).
pub fn assess(feature: &str, axis: &str, ratings: &[Vec<f64>], rule: &Acceptance) -> Row {
    let n_raters = ratings.first().map_or(0, Vec::len);
    let mut row = Row {
        feature: feature.to_string(),
        image: image(feature).to_string(),
        family: family(feature).to_string(),
        axis: axis.to_string(),
        n_cases: ratings.len(),
        n_raters,
        icc1: None,
        icc1_ci_low: None,
        icc1_ci_high: None,
        icc21: None,
        icc31: None,
        ccc: None,
        cov: None,
        koo_li: "undefined".into(),
        robust: false,
        note: String::new(),
    };
    if ratings.iter().flatten().any(|v| !v.is_finite()) {
        row.note = "non-finite values".into();
        return row;
    }
    match icc(ratings) {
        Ok(all) => {
            let get = |t: IccType| all.iter().find(|i| i.kind == t);
            if let Some(i1) = get(IccType::Icc1).filter(|i| i.icc.is_finite()) {
                row.icc1 = Some(i1.icc);
                row.icc1_ci_low = Some(i1.ci_low).filter(|v| v.is_finite());
                row.icc1_ci_high = Some(i1.ci_high).filter(|v| v.is_finite());
                row.koo_li = koo_li_class(i1.ci_low, i1.ci_high);
            } else {
                row.note = "ICC undefined (no variation)".into();
            }
            row.icc21 = get(IccType::Icc2).map(|i| i.icc).filter(|v| v.is_finite());
            row.icc31 = get(IccType::Icc3).map(|i| i.icc).filter(|v| v.is_finite());
        }
        Err(e) => row.note = e,
    }
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for r in ratings {
        for v in &r[1..] {
            x.push(r[0]);
            y.push(*v);
        }
    }
    row.ccc = lin_ccc(&x, &y)
        .ok()
        .map(|c| c.ccc)
        .filter(|v| v.is_finite());
    let cvs: Vec<f64> = ratings
        .iter()
        .map(|r| coefficient_of_variation(r).abs())
        .filter(|v| v.is_finite())
        .collect();
    if !cvs.is_empty() {
        row.cov = Some(cvs.iter().sum::<f64>() / cvs.len() as f64);
    }
    row.robust = row.metric(rule.metric).is_some_and(|v| v >= rule.threshold);
    row
}

/// The CSV header of stability rows.
pub const HEADER: &str = "feature,image,family,axis,n_cases,n_raters,icc1,icc1_ci_low,icc1_ci_high,icc21,icc31,ccc,cov,koo_li,robust,note";

fn number(v: Option<f64>) -> String {
    v.map(crate::table::format_number).unwrap_or_default()
}

/// One CSV line (no newline).
pub fn csv_line(r: &Row) -> String {
    use crate::table::csv_field;
    [
        csv_field(&r.feature),
        csv_field(&r.image),
        csv_field(&r.family),
        csv_field(&r.axis),
        r.n_cases.to_string(),
        r.n_raters.to_string(),
        number(r.icc1),
        number(r.icc1_ci_low),
        number(r.icc1_ci_high),
        number(r.icc21),
        number(r.icc31),
        number(r.ccc),
        number(r.cov),
        csv_field(&r.koo_li),
        r.robust.to_string(),
        csv_field(&r.note),
    ]
    .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_image_and_family_in_both_conventions() {
        let cases = [
            ("wavelet-LLH_glcm_Contrast", "wavelet-LLH", "glcm"),
            ("original_firstorder_Mean", "original", "firstorder"),
            ("cm_joint_max_3D_comb", "original", "glcm"),
            ("stat_mean", "original", "intensity_statistics"),
            (
                "log-sigma-1.5-cutoff-4-boundary-mirror_stat_mean",
                "log-sigma-1.5-cutoff-4-boundary-mirror",
                "intensity_statistics",
            ),
            ("LoG-sigma-3_cm_joint_max_3D_comb", "LoG-sigma-3", "glcm"),
            (
                "simoncelli-level-2-dims-2D_stat_p90",
                "simoncelli-level-2-dims-2D",
                "intensity_statistics",
            ),
        ];
        for (name, want_image, want_family) in cases {
            assert_eq!(image(name), want_image, "{name}");
            assert_eq!(family(name), want_family, "{name}");
        }
        // Not a filter's identity: left whole.
        assert_eq!(image("median-3_stat_mean"), "original");
    }
}
