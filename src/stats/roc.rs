//! ROC analysis: AUC, DeLong variance and CI, the DeLong covariance of several scores on the
//! same subjects, the paired DeLong test, and pROC's test for two independent AUCs.
//!
//! Placements follow Sun & Xu (2014)'s midrank algorithm: for case i, V10(i) is the share of
//! controls it outranks (ties count ½), for control j, V01(j) the share of cases outranking
//! it. AUC = mean V10; Var(AUC) = S10/m + S01/n with S the sample covariances of the
//! placements (DeLong, DeLong & Clarke-Pearson 1988); the Wald CI is clipped to [0, 1], as
//! pROC does. Higher scores mean the positive class (pROC direction "<").

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// Midranks (1-based, ties averaged) of `values`.
fn midranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = rank;
        }
        i = j + 1;
    }
    ranks
}

/// DeLong placements of one score.
#[derive(Debug, Clone, PartialEq)]
pub struct Placements {
    /// The AUC (Mann-Whitney).
    pub auc: f64,
    /// One per case, in data order.
    pub v10: Vec<f64>,
    /// One per control, in data order.
    pub v01: Vec<f64>,
}

/// Checks labels have both classes; returns (cases, controls) counts.
fn classes(labels: &[bool]) -> Result<(usize, usize), String> {
    let m = labels.iter().filter(|l| **l).count();
    let n = labels.len() - m;
    if m == 0 || n == 0 {
        return Err(format!(
            "ROC analysis needs both classes; the labels hold {m} positive and {n} negative subjects"
        ));
    }
    Ok((m, n))
}

/// Placements and AUC of `scores` against `labels` (true = positive, the case).
pub fn placements(scores: &[f64], labels: &[bool]) -> Result<Placements, String> {
    if scores.len() != labels.len() {
        return Err(format!(
            "{} scores for {} labels",
            scores.len(),
            labels.len()
        ));
    }
    if scores.iter().any(|s| !s.is_finite()) {
        return Err("scores must be finite numbers".into());
    }
    let (m, n) = classes(labels)?;
    let cases: Vec<f64> = scores
        .iter()
        .zip(labels)
        .filter(|(_, l)| **l)
        .map(|(s, _)| *s)
        .collect();
    let controls: Vec<f64> = scores
        .iter()
        .zip(labels)
        .filter(|(_, l)| !**l)
        .map(|(s, _)| *s)
        .collect();
    let all: Vec<f64> = cases.iter().chain(&controls).copied().collect();
    let tz = midranks(&all);
    let tx = midranks(&cases);
    let ty = midranks(&controls);
    let v10: Vec<f64> = (0..m).map(|i| (tz[i] - tx[i]) / n as f64).collect();
    let v01: Vec<f64> = (0..n)
        .map(|j| 1.0 - (tz[m + j] - ty[j]) / m as f64)
        .collect();
    let auc = v10.iter().sum::<f64>() / m as f64;
    Ok(Placements { auc, v10, v01 })
}

fn covariance(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / (n - 1.0)
}

/// AUCs and their DeLong covariance matrix for several scores of the same subjects.
pub fn delong_covariance(
    scores: &[&[f64]],
    labels: &[bool],
) -> Result<(Vec<f64>, Vec<Vec<f64>>), String> {
    let p: Vec<Placements> = scores
        .iter()
        .map(|s| placements(s, labels))
        .collect::<Result<_, _>>()?;
    let (m, n) = classes(labels)?;
    let k = p.len();
    let mut cov = vec![vec![0.0; k]; k];
    for a in 0..k {
        for b in 0..k {
            cov[a][b] = covariance(&p[a].v10, &p[b].v10) / m as f64
                + covariance(&p[a].v01, &p[b].v01) / n as f64;
        }
    }
    Ok((p.iter().map(|x| x.auc).collect(), cov))
}

/// An AUC with its DeLong variance and 95% CI.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Auc {
    /// The AUC.
    pub auc: f64,
    /// Its DeLong variance.
    pub variance: f64,
    /// Lower end of the 95% CI.
    pub ci_low: f64,
    /// Upper end of the 95% CI.
    pub ci_high: f64,
}

fn z975() -> f64 {
    Normal::standard().inverse_cdf(0.975)
}

/// AUC, DeLong variance and Wald 95% CI (clipped to [0, 1]).
pub fn auc(scores: &[f64], labels: &[bool]) -> Result<Auc, String> {
    let (aucs, cov) = delong_covariance(&[scores], labels)?;
    let (a, v) = (aucs[0], cov[0][0]);
    let half = z975() * v.sqrt();
    Ok(Auc {
        auc: a,
        variance: v,
        ci_low: (a - half).max(0.0),
        ci_high: (a + half).min(1.0),
    })
}

/// A paired DeLong test of two AUCs on the same subjects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedTest {
    /// The first score's AUC.
    pub auc1: f64,
    /// The second score's AUC.
    pub auc2: f64,
    /// DeLong covariance of the two AUCs.
    pub covariance: f64,
    /// AUC difference, first minus second.
    pub diff: f64,
    /// The z statistic.
    pub z: f64,
    /// Two-sided p-value.
    pub p_two_sided: f64,
    /// One-sided p-value, first AUC greater.
    pub p_greater: f64,
    /// One-sided p-value, first AUC less.
    pub p_less: f64,
    /// Lower end of the difference's 95% CI.
    pub ci_low: f64,
    /// Upper end of the difference's 95% CI.
    pub ci_high: f64,
}

/// The paired DeLong test: Z = (AUC1 - AUC2) / sd, sd² = V1 + V2 - 2 Cov.
pub fn paired_test(a: &[f64], b: &[f64], labels: &[bool]) -> Result<PairedTest, String> {
    let (aucs, cov) = delong_covariance(&[a, b], labels)?;
    let d = aucs[0] - aucs[1];
    let sd = (cov[0][0] + cov[1][1] - 2.0 * cov[0][1]).sqrt();
    let z = if d == 0.0 && sd == 0.0 { 0.0 } else { d / sd };
    let norm = Normal::standard();
    Ok(PairedTest {
        auc1: aucs[0],
        auc2: aucs[1],
        covariance: cov[0][1],
        diff: d,
        z,
        p_two_sided: 2.0 * norm.sf(z.abs()),
        p_greater: norm.sf(z),
        p_less: norm.cdf(z),
        ci_low: d - z975() * sd,
        ci_high: d + z975() * sd,
    })
}

/// pROC's test of two AUCs from independent samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnpairedTest {
    /// The AUC difference over its standard error.
    pub d: f64,
    /// Degrees of freedom (Welch-Satterthwaite, as pROC).
    pub df: f64,
    /// Two-sided p-value.
    pub p_two_sided: f64,
    /// One-sided p-value, first AUC greater.
    pub p_greater: f64,
    /// One-sided p-value, first AUC less.
    pub p_less: f64,
}

/// D = (AUC1 - AUC2) / sqrt(V1 + V2) against Student's t with Welch-Satterthwaite df on
/// N = cases + controls of each sample (pROC `roc.test(paired = FALSE)`).
pub fn unpaired_test(
    a: &[f64],
    la: &[bool],
    b: &[f64],
    lb: &[bool],
) -> Result<UnpairedTest, String> {
    let x = auc(a, la)?;
    let y = auc(b, lb)?;
    let (v1, v2) = (x.variance, y.variance);
    let (n1, n2) = (la.len() as f64, lb.len() as f64);
    let d = (x.auc - y.auc) / (v1 + v2).sqrt();
    let df = (v1 + v2).powi(2) / (v1.powi(2) / (n1 - 1.0) + v2.powi(2) / (n2 - 1.0));
    let t = StudentsT::new(0.0, 1.0, df).map_err(|e| format!("t distribution: {e}"))?;
    Ok(UnpairedTest {
        d,
        df,
        p_two_sided: 2.0 * t.sf(d.abs()),
        p_greater: t.sf(d),
        p_less: t.cdf(d),
    })
}

/// One score column and its direction.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreSpec {
    /// The column.
    pub column: String,
    /// Lower values mean the positive class (`name:lower`).
    pub lower_is_positive: bool,
}

/// Parses a score column as `roc` and `compare` take it: `name`, `name:lower` or
/// `name:higher`.
pub fn parse_score(spec: &str) -> Result<ScoreSpec, String> {
    let (column, direction) = match spec.rsplit_once(':') {
        Some((c, d)) => (c, Some(d)),
        None => (spec, None),
    };
    let lower_is_positive = match direction {
        None | Some("higher") => false,
        Some("lower") => true,
        Some(other) => {
            return Err(format!(
                "score {spec:?}: the direction {other:?} is not 'lower' or 'higher'"
            ));
        }
    };
    if column.is_empty() {
        return Err(format!("score {spec:?} has no column name"));
    }
    Ok(ScoreSpec {
        column: column.to_string(),
        lower_is_positive,
    })
}
