//! The consistency checks, each a pure function of reported numbers that returns a finding:
//! what was checked, the computation, a verdict and the question a reviewer could ask.
//! Reported numbers are intervals (the true values that print as them), so a check calls a
//! claim impossible only when no value inside its rounding fits.
//!
//! Sources: Hanley JA, McNeil BJ, Radiology 1982;143:29-36 (SE of an AUC); Brown NJL, Heathers
//! JAJ, Soc Psychol Personal Sci 2017;8:363-369 (GRIM: a rounded mean or proportion against
//! integer counts); Nuijten MB et al., Behav Res Methods 2016;48:1205-1226 (statcheck: a p-value
//! against its statistic); McGraw KO, Wong SP, Psychol Methods 1996;1:30-46 (ICC CIs from the F
//! distribution); Peduzzi P et al., J Clin Epidemiol 1996;49:1373-1379 (events per variable).
//! The AUC bounds of one ROC point are geometry: a monotone curve through (x, y) from (0, 0) to
//! (1, 1) has area between y(1 - x) and 1 - x(1 - y); a concave (proper) one at least
//! (1 + y - x) / 2, the balanced accuracy.

use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};

use super::spec::Reported;
use crate::stats::icc::{f_quantile, f_sf};

/// A check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimVerdict {
    Consistent,
    Implausible,
    Impossible,
    CannotCheck,
}

impl ClaimVerdict {
    /// Consistent when `ok`, else `otherwise`.
    pub fn unless(ok: bool, otherwise: ClaimVerdict) -> ClaimVerdict {
        if ok {
            ClaimVerdict::Consistent
        } else {
            otherwise
        }
    }
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub check: String,
    pub claim: String,
    pub computation: String,
    pub verdict: ClaimVerdict,
    pub question: String,
}

pub(super) fn finding(
    check: &str,
    claim: String,
    computation: String,
    verdict: ClaimVerdict,
    question: &str,
) -> Finding {
    Finding {
        check: check.into(),
        claim,
        computation,
        verdict,
        question: if verdict == ClaimVerdict::Consistent {
            String::new()
        } else {
            question.into()
        },
    }
}

/// Prints a reported number as given (a percentage as a percentage).
pub fn show(r: &Reported) -> String {
    if r.percent {
        format!("{:.*}%", r.decimals as usize, r.value * 100.0)
    } else {
        format!("{:.*}", r.decimals as usize, r.value)
    }
}

/// Positives + negatives = total.
pub fn counts(total: u64, positives: u64, negatives: u64) -> Finding {
    let sum = positives + negatives;
    let verdict = ClaimVerdict::unless(sum == total, ClaimVerdict::Impossible);
    finding(
        "counts add up",
        format!("{total} patients: {positives} positive, {negatives} negative"),
        format!("{positives} + {negatives} = {sum}"),
        verdict,
        "The positives and negatives do not add up to the stated total: which count is right, and were patients excluded?",
    )
}

/// The sets that split a study add up to its total (and its positives, where given).
pub fn partition(
    total: u64,
    positives: Option<u64>,
    parts: &[(String, u64, Option<u64>)],
) -> Finding {
    let sum: u64 = parts.iter().map(|p| p.1).sum();
    let names: Vec<String> = parts.iter().map(|p| format!("{} {}", p.0, p.1)).collect();
    let mut computation = format!("{} = {sum} (stated {total})", names.join(" + "));
    let mut ok = sum == total;
    if let (Some(pos), true) = (positives, parts.iter().all(|p| p.2.is_some())) {
        let sp: u64 = parts.iter().filter_map(|p| p.2).sum();
        computation += &format!("; positives {sp} (stated {pos})");
        ok &= sp == pos;
    }
    finding(
        "subsets add up",
        format!("{} split the {total} patients", parts.len()),
        computation,
        ClaimVerdict::unless(ok, ClaimVerdict::Impossible),
        "The data sets do not add up to the study's sample: were patients excluded or counted twice, and where is that reported?",
    )
}

/// The integer counts k of `n` whose proportion prints as `r`.
fn counts_that_print(r: &Reported, n: u64, truncated: bool) -> Vec<u64> {
    (0..=n)
        .filter(|&k| {
            let x = k as f64 / n as f64;
            if truncated {
                r.admits_truncated(x)
            } else {
                r.admits(x)
            }
        })
        .collect()
}

/// GRIM for a proportion: a reported proportion of `n` (and its count, if given).
pub fn proportion(name: &str, r: &Reported, n: Option<u64>, count: Option<(u64, u64)>) -> Finding {
    let claim = match count {
        Some((k, m)) => format!("{name} {} ({k}/{m})", show(r)),
        None => format!("{name} {}", show(r)),
    };
    let question = "No whole number of patients gives this percentage of the stated denominator: which count and denominator were used?";
    if let Some((k, m)) = count {
        if k > m || m == 0 {
            return finding(
                &format!("{name}: count"),
                claim,
                format!("{k} of {m}"),
                ClaimVerdict::Impossible,
                "The count exceeds its denominator: which numbers are right?",
            );
        }
        if let Some(n) = n.filter(|&n| n != m) {
            return finding(
                &format!("{name}: count"),
                claim,
                format!("the count's denominator {m} is not the set's {n}"),
                ClaimVerdict::Impossible,
                "The denominator of this proportion differs from the set's size: were some patients left out, and why?",
            );
        }
        let x = k as f64 / m as f64;
        return finding(
            &format!("{name}: count"),
            claim,
            format!("{k}/{m} = {x:.5}, reported {}", show(r)),
            ClaimVerdict::unless(r.admits(x), ClaimVerdict::Impossible),
            "The count does not give the reported percentage: which is right?",
        );
    }
    let Some(n) = n.filter(|&n| n > 0) else {
        return finding(
            &format!("{name}: whole counts"),
            claim,
            "no denominator is stated".into(),
            ClaimVerdict::CannotCheck,
            "How many patients is this proportion of?",
        );
    };
    let fits = counts_that_print(r, n, false);
    let computation = if fits.is_empty() {
        let truncated = counts_that_print(r, n, true);
        let near = (r.value * n as f64).round() as u64;
        format!(
            "no k of {n} rounds to {} (nearest {near}/{n} = {:.5}){}",
            show(r),
            near as f64 / n as f64,
            if truncated.is_empty() {
                String::new()
            } else {
                format!(
                    "; truncated instead of rounded, {}/{n} would print so",
                    truncated[0]
                )
            }
        )
    } else {
        format!(
            "{}/{n} = {:.5} prints as {}",
            fits[0],
            fits[0] as f64 / n as f64,
            show(r)
        )
    };
    finding(
        &format!("{name}: whole counts"),
        claim,
        computation,
        ClaimVerdict::unless(!fits.is_empty(), ClaimVerdict::Impossible),
        question,
    )
}

/// What a data set reports of its confusion matrix.
#[derive(Debug, Clone, Default)]
pub struct Rates {
    pub sensitivity: Option<Reported>,
    pub specificity: Option<Reported>,
    pub accuracy: Option<Reported>,
    pub ppv: Option<Reported>,
    pub npv: Option<Reported>,
    pub false_positive_rate: Option<Reported>,
}

impl Rates {
    /// The rates reported, with their names.
    pub(super) fn given(&self) -> Vec<(&'static str, Reported)> {
        [
            ("sensitivity", self.sensitivity),
            ("specificity", self.specificity),
            ("accuracy", self.accuracy),
            ("PPV", self.ppv),
            ("NPV", self.npv),
            ("false-positive rate", self.false_positive_rate),
        ]
        .into_iter()
        .filter_map(|(n, r)| r.map(|r| (n, r)))
        .collect()
    }
}

/// The most candidate counts a search over confusion matrices or splits may try (a second or
/// two): a study of a few thousand patients takes far fewer; a count typed wrong (1e9) would
/// otherwise run for hours.
pub(super) const MAX_SEARCH: f64 = 2e8;

/// Confusion matrices (positives, TP, TN) of `total` patients that print as every reported
/// rate; at most `limit` of them, and None when the search would be too long.
pub(super) fn matrices(
    total: u64,
    positives: Option<u64>,
    rates: &Rates,
    truncated: bool,
    limit: usize,
) -> Option<Vec<(u64, u64, u64)>> {
    let fits = |r: &Option<Reported>, x: f64| {
        r.is_none_or(|r| {
            if truncated {
                r.admits_truncated(x)
            } else {
                r.admits(x)
            }
        })
    };
    let ratio = |a: u64, b: u64| {
        if b == 0 {
            f64::NAN
        } else {
            a as f64 / b as f64
        }
    };
    let range = match positives {
        Some(p) => p..p + 1,
        None => 1..total,
    };
    // Each candidate positive count scans every TP and TN: past this the search is refused.
    if (range.end - range.start) as f64 * (total as f64 + 2.0) > MAX_SEARCH {
        return None;
    }
    let mut work = 0u64;
    let mut found = Vec::new();
    for p in range {
        let n = total - p;
        let tps: Vec<u64> = (0..=p)
            .filter(|&tp| fits(&rates.sensitivity, ratio(tp, p)))
            .collect();
        let tns: Vec<u64> = (0..=n)
            .filter(|&tn| {
                fits(&rates.specificity, ratio(tn, n))
                    && fits(&rates.false_positive_rate, ratio(n - tn, n))
            })
            .collect();
        work += (tps.len() * tns.len()) as u64;
        if work > 50_000_000 {
            return None;
        }
        for &tp in &tps {
            for &tn in &tns {
                let (fp, fn_) = (n - tn, p - tp);
                if fits(&rates.accuracy, ratio(tp + tn, total))
                    && fits(&rates.ppv, ratio(tp, tp + fp))
                    && fits(&rates.npv, ratio(tn, tn + fn_))
                {
                    found.push((p, tp, tn));
                    if found.len() >= limit {
                        return Some(found);
                    }
                }
            }
        }
    }
    Some(found)
}

/// Sensitivity, specificity, accuracy, PPV and NPV together: is there a confusion matrix of
/// the set's patients (with its positives, if stated) that gives every reported value?
pub fn confusion(total: u64, positives: Option<u64>, rates: &Rates) -> Option<Finding> {
    let given = rates.given();
    if given.len() < 2 || total == 0 {
        return None;
    }
    let claim = format!(
        "{} of {total} patients{}",
        given
            .iter()
            .map(|(n, r)| format!("{n} {}", show(r)))
            .collect::<Vec<_>>()
            .join(", "),
        positives.map_or(String::new(), |p| format!(" ({p} positive)"))
    );
    let check = "rates agree with one confusion matrix";
    let Some(found) = matrices(total, positives, rates, false, 5) else {
        return Some(finding(
            check,
            claim,
            "too many candidate matrices to search".into(),
            ClaimVerdict::CannotCheck,
            "",
        ));
    };
    let show_matrix = |(p, tp, tn): (u64, u64, u64)| {
        format!(
            "{p} positive: TP {tp}, FN {}, TN {tn}, FP {}",
            p - tp,
            total - p - tn
        )
    };
    if let Some(&first) = found.first() {
        return Some(finding(
            check,
            claim,
            format!(
                "{} matrix{} fit{}, e.g. {}",
                if found.len() >= 5 {
                    "5 or more".to_string()
                } else {
                    found.len().to_string()
                },
                if found.len() == 1 { "" } else { "es" },
                if found.len() == 1 { "s" } else { "" },
                show_matrix(first)
            ),
            ClaimVerdict::Consistent,
            "",
        ));
    }
    let truncated = matrices(total, positives, rates, true, 1).unwrap_or_default();
    let split = match positives {
        Some(p) => format!("{p} positive and {} negative", total - p),
        None => format!("any split of the {total} into positives and negatives"),
    };
    let computation = format!(
        "no confusion matrix of {split} gives all of them at the printed precision (rounded){}",
        match truncated.first() {
            Some(&m) => format!(
                "; if the values were truncated rather than rounded: {}",
                show_matrix(m)
            ),
            None => "; nor truncated".into(),
        }
    );
    Some(finding(
        check,
        claim,
        computation,
        ClaimVerdict::Impossible,
        "No whole numbers of true and false positives and negatives give these values together: please give the confusion matrix (and say whether values were rounded or truncated).",
    ))
}

/// The Hanley-McNeil standard error of an AUC `a` with `p` positives and `n` negatives.
pub fn hanley_mcneil_se(a: f64, p: u64, n: u64) -> f64 {
    let (q1, q2) = (a / (2.0 - a), 2.0 * a * a / (1.0 + a));
    let (p, n) = (p as f64, n as f64);
    ((a * (1.0 - a) + (p - 1.0) * (q1 - a * a) + (n - 1.0) * (q2 - a * a)) / (p * n)).sqrt()
}

/// The 95% CI a + / - 1.96 SE, clipped to [0, 1].
fn hm_ci(a: f64, p: u64, n: u64) -> (f64, f64) {
    let se = hanley_mcneil_se(a, p, n);
    ((a - 1.959964 * se).max(0.0), (a + 1.959964 * se).min(1.0))
}

/// The AUC checks: its CI contains it and lies in [0, 1]; its width against the
/// Hanley-McNeil CI for the set's positives and negatives (or the narrowest any split of its
/// total allows); the AUC as a whole number of pairs out of P x N.
pub fn auc(
    a: &Reported,
    ci: Option<(Reported, Reported)>,
    positives: Option<u64>,
    negatives: Option<u64>,
    total: Option<u64>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let claim = match ci {
        Some((lo, hi)) => format!("AUC {} ({}-{})", show(a), show(&lo), show(&hi)),
        None => format!("AUC {}", show(a)),
    };
    if !(0.0..=1.0).contains(&a.value) {
        out.push(finding(
            "AUC in 0-1",
            claim.clone(),
            format!("{} is outside 0 to 1", show(a)),
            ClaimVerdict::Impossible,
            "An AUC lies between 0 and 1: what was reported?",
        ));
        return out;
    }
    if let Some((lo, hi)) = ci {
        let ok = lo.value <= a.value && a.value <= hi.value && lo.value >= 0.0 && hi.value <= 1.0;
        out.push(finding(
            "AUC CI contains the AUC",
            claim.clone(),
            format!("{} <= {} <= {}, within 0 to 1", show(&lo), show(a), show(&hi)),
            ClaimVerdict::unless(ok, ClaimVerdict::Impossible),
            "The confidence interval does not contain its estimate (or leaves 0 to 1): which numbers are right?",
        ));
    }
    let check = "AUC CI against Hanley-McNeil";
    let question_narrow = "The CI is much narrower than the sample size allows (Hanley-McNeil): how was it computed, and on how many patients?";
    match (positives, negatives) {
        (Some(p), Some(n)) if p > 0 && n > 0 => {
            let (l, h) = hm_ci(a.value, p, n);
            let expected = h - l;
            match ci {
                Some((lo, hi)) => {
                    let ratio = (hi.value - lo.value) / expected;
                    out.push(finding(
                        check,
                        claim.clone(),
                        format!(
                            "SE {:.4} for {p} positive and {n} negative; 95% CI {l:.3}-{h:.3} (width {expected:.3}); reported width {:.3}, {ratio:.2} of it",
                            hanley_mcneil_se(a.value, p, n),
                            hi.value - lo.value
                        ),
                        ClaimVerdict::unless(ratio >= 0.6, ClaimVerdict::Implausible),
                        question_narrow,
                    ));
                }
                None => out.push(finding(
                    check,
                    claim.clone(),
                    format!(
                        "no CI reported; for {p} positive and {n} negative the Hanley-McNeil 95% CI is {l:.3}-{h:.3} (SE {:.4})",
                        hanley_mcneil_se(a.value, p, n)
                    ),
                    ClaimVerdict::CannotCheck,
                    "Please report the AUC's confidence interval: with this few patients it is wide.",
                )),
            }
            // A whole number of (positive, negative) pairs, ties counting half.
            let pairs = 2 * p * n;
            let m = (a.value * pairs as f64).round() as i64;
            let hit = (m - 2..=m + 2)
                .filter(|&k| k >= 0 && k as u64 <= pairs)
                .find(|&k| a.admits(k as f64 / pairs as f64));
            out.push(finding(
                "AUC from whole pairs",
                claim.clone(),
                match hit {
                    Some(k) => format!("{k}/{pairs} half-pairs = {:.5}", k as f64 / pairs as f64),
                    None => format!("no k/{pairs} (half-pairs of {p} x {n}) prints as {}", show(a)),
                },
                ClaimVerdict::unless(hit.is_some(), ClaimVerdict::Impossible),
                "No AUC of this many positives and negatives prints as the reported value: which set was it computed on?",
            ));
        }
        _ => match (ci, total) {
            (Some((lo, hi)), Some(t)) if t >= 2 => {
                let (best_p, best) = (1..t)
                    .map(|p| {
                        let (l, h) = hm_ci(a.value, p, t - p);
                        (p, h - l)
                    })
                    .min_by(|x, y| x.1.total_cmp(&y.1))
                    .unwrap_or((1, f64::NAN));
                let ratio = (hi.value - lo.value) / best;
                out.push(finding(
                    check,
                    claim.clone(),
                    format!(
                        "the split of {t} patients is not stated; the narrowest Hanley-McNeil 95% CI any split allows is {best:.3} wide ({best_p} positive); reported {:.3}, {ratio:.2} of it",
                        hi.value - lo.value
                    ),
                    ClaimVerdict::unless(ratio >= 0.6, ClaimVerdict::Implausible),
                    question_narrow,
                ));
            }
            _ => out.push(finding(
                check,
                claim,
                "the numbers of positives and negatives are not stated".into(),
                ClaimVerdict::CannotCheck,
                "How many patients with and without the outcome was the AUC computed on?",
            )),
        },
    }
    out
}

/// An AUC's reported p-value against 0.5, from the Mann-Whitney statistic's normal
/// approximation: the AUC is U / (P N), whose SE under the null is sqrt((P + N + 1) / (12 P N))
/// (Mann and Whitney, Ann Math Stat 1947; Hanley and McNeil 1982), over the AUC's rounding.
pub fn auc_p_value(a: &Reported, p: &Reported, positives: u64, negatives: u64) -> Finding {
    let (np, nn) = (positives as f64, negatives as f64);
    let se = ((np + nn + 1.0) / (12.0 * np * nn)).sqrt();
    let normal = Normal::new(0.0, 1.0).expect("the standard normal");
    let two_sided = |auc: f64| 2.0 * normal.sf(((auc - 0.5) / se).abs());
    let (at_low, at_high) = (two_sided(a.low), two_sided(a.high));
    // The p-value falls from 1 at 0.5 on both sides: over a range across 0.5 it reaches 1.
    let (least, most) = if a.low <= 0.5 && a.high >= 0.5 {
        (at_low.min(at_high), 1.0)
    } else {
        (at_low.min(at_high), at_low.max(at_high))
    };
    let ok = least <= p.high + 1e-12 && most >= p.low - 1e-12;
    finding(
        "AUC p-value (Mann-Whitney)",
        format!(
            "AUC {} with p {}{}, {positives} positive and {negatives} negative",
            show(a),
            if p.high.is_finite() && p.low == f64::NEG_INFINITY {
                "<"
            } else {
                ""
            },
            show(p)
        ),
        format!(
            "SE under the null {se:.4}; z = {:.2}, two-sided p {least:.4} to {most:.4} over the AUC's rounding",
            (a.value - 0.5) / se
        ),
        ClaimVerdict::unless(ok, ClaimVerdict::Implausible),
        "The p-value does not follow from the AUC and the numbers of patients: which test, and on how many patients?",
    )
}

/// One operating point (sensitivity, specificity) against the AUC of the same ROC curve.
pub fn operating_point(a: &Reported, sens: &Reported, spec: &Reported) -> Finding {
    // The most lenient reading of each rounded value.
    let lower = sens.low.max(0.0) * spec.low.max(0.0);
    let upper = 1.0 - (1.0 - spec.high.min(1.0)) * (1.0 - sens.high.min(1.0));
    let balanced = (sens.low + spec.low) / 2.0;
    let claim = format!(
        "AUC {} with sensitivity {} and specificity {}",
        show(a),
        show(sens),
        show(spec)
    );
    let computation = format!(
        "a ROC curve through this point has AUC {lower:.3} to {upper:.3}; a concave one at least (sens + spec) / 2 = {balanced:.3}"
    );
    let verdict = if a.high < lower - 1e-12 || a.low > upper + 1e-12 {
        ClaimVerdict::Impossible
    } else {
        ClaimVerdict::unless(a.high >= balanced - 1e-12, ClaimVerdict::Implausible)
    };
    finding(
        "operating point against AUC",
        claim,
        computation,
        verdict,
        "The operating point does not fit the reported AUC: are they from the same model and data set, and how was the threshold chosen?",
    )
}

/// The p-value of a test statistic: two-sided for z and t unless one-sided; upper tail for
/// chi2 and F. None for an unknown test or missing degrees of freedom.
pub fn p_of(test: &str, s: f64, df: Option<f64>, df2: Option<f64>, one_sided: bool) -> Option<f64> {
    let sides = if one_sided { 1.0 } else { 2.0 };
    match test.to_ascii_lowercase().as_str() {
        "z" => Normal::new(0.0, 1.0)
            .ok()
            .map(|d| (sides * d.sf(s.abs())).min(1.0)),
        "t" => StudentsT::new(0.0, 1.0, df?)
            .ok()
            .map(|d| (sides * d.sf(s.abs())).min(1.0)),
        "chi2" => ChiSquared::new(df?).ok().map(|d| d.sf(s)),
        "f" => Some(f_sf(s, df?, df2?)),
        _ => None,
    }
}

/// A p-value against its statistic and degrees of freedom (statcheck).
pub fn p_value(
    label: &str,
    test: &str,
    statistic: &Reported,
    df: Option<f64>,
    df2: Option<f64>,
    p: &Reported,
    one_sided: bool,
) -> Finding {
    let claim = format!(
        "{label}{test}{} = {}, p {}",
        match (df, df2) {
            (Some(a), Some(b)) => format!("({a}, {b})"),
            (Some(a), None) => format!("({a})"),
            _ => String::new(),
        },
        show(statistic),
        if p.low.is_infinite() {
            format!("< {}", show(p))
        } else {
            format!("= {}", show(p))
        }
    );
    let half = (statistic.high - statistic.low) / 2.0;
    let magnitude = statistic.value.abs();
    let ends = [magnitude + half, (magnitude - half).max(0.0)];
    let sign = if test.eq_ignore_ascii_case("chi2") || test.eq_ignore_ascii_case("f") {
        1.0
    } else {
        statistic.value.signum().max(0.0) * 2.0 - 1.0
    };
    let bounds: Option<Vec<f64>> = ends
        .iter()
        .map(|&e| p_of(test, sign * e, df, df2, one_sided))
        .collect();
    let Some(b) = bounds.filter(|b| b.iter().all(|v| v.is_finite())) else {
        return finding(
            "p-value against its statistic",
            claim,
            format!("cannot compute a p-value for test {test:?} with these degrees of freedom"),
            ClaimVerdict::CannotCheck,
            "Which test, and with how many degrees of freedom?",
        );
    };
    let (p_low, p_high) = (b[0].min(b[1]), b[0].max(b[1]));
    let exact = p_of(test, statistic.value, df, df2, one_sided).unwrap_or(f64::NAN);
    let ok = p_high >= p.low - 1e-12 && p_low <= p.high + 1e-12;
    let flips = (exact < 0.05) != (p.value < 0.05 || p.high <= 0.05);
    finding(
        "p-value against its statistic",
        claim,
        format!(
            "the statistic gives p = {exact:.4} ({p_low:.4} to {p_high:.4} over its rounding){}",
            if !ok && flips {
                "; the conclusion at 0.05 differs"
            } else {
                ""
            }
        ),
        ClaimVerdict::unless(ok, ClaimVerdict::Impossible),
        "The p-value does not follow from the reported statistic and degrees of freedom: which is right?",
    )
}

/// The 95% CI of a single-measures ICC of `n` subjects and `k` raters from the F
/// distribution: one-way (icc1) with n(k - 1) error df, two-way (icc3; icc2 approximated by
/// it) with (n - 1)(k - 1).
pub fn icc_ci(r: f64, n: u64, k: u64, model: &str) -> (f64, f64) {
    let (nf, kf) = (n as f64, k as f64);
    let df1 = nf - 1.0;
    let df2 = if model == "icc1" {
        nf * (kf - 1.0)
    } else {
        (nf - 1.0) * (kf - 1.0)
    };
    let f0 = (1.0 + (kf - 1.0) * r) / (1.0 - r);
    let fl = f0 / f_quantile(0.975, df1, df2);
    let fu = f0 * f_quantile(0.975, df2, df1);
    ((fl - 1.0) / (fl + kf - 1.0), (fu - 1.0) / (fu + kf - 1.0))
}

/// An ICC: in its range, inside its CI, and its CI's width against what n and k allow.
pub fn icc(
    r: &Reported,
    ci: Option<(Reported, Reported)>,
    n: u64,
    k: u64,
    model: &str,
) -> Vec<Finding> {
    let claim = match ci {
        Some((lo, hi)) => format!(
            "{} {} ({}-{}), {n} subjects, {k} raters",
            model.to_uppercase(),
            show(r),
            show(&lo),
            show(&hi)
        ),
        None => format!(
            "{} {}, {n} subjects, {k} raters",
            model.to_uppercase(),
            show(r)
        ),
    };
    let mut out = Vec::new();
    let floor = -1.0 / (k.max(2) - 1) as f64;
    if n < 2 || k < 2 || r.value < floor || r.value >= 1.0 {
        out.push(finding(
            "ICC in range",
            claim,
            format!("an ICC of {n} subjects and {k} raters lies in [{floor:.3}, 1)"),
            ClaimVerdict::Impossible,
            "The ICC or its design is impossible as reported: how many subjects and raters, and which ICC?",
        ));
        return out;
    }
    let (l, h) = icc_ci(r.value, n, k, model);
    let Some((lo, hi)) = ci else {
        out.push(finding(
            "ICC CI against subjects and raters",
            claim,
            format!("no CI reported; the F-based 95% CI is {l:.3}-{h:.3}"),
            ClaimVerdict::CannotCheck,
            "Please report the ICC's confidence interval.",
        ));
        return out;
    };
    let inside = lo.value <= r.value && r.value <= hi.value;
    out.push(finding(
        "ICC CI contains the ICC",
        claim.clone(),
        format!("{} <= {} <= {}", show(&lo), show(r), show(&hi)),
        ClaimVerdict::unless(inside, ClaimVerdict::Impossible),
        "The confidence interval does not contain its estimate: which numbers are right?",
    ));
    let ratio = (hi.value - lo.value) / (h - l);
    out.push(finding(
        "ICC CI against subjects and raters",
        claim,
        format!(
            "F-based 95% CI {l:.3}-{h:.3} (width {:.3}){}; reported width {:.3}, {ratio:.2} of it",
            h - l,
            if model == "icc2" {
                ", two-way consistency df as an approximation"
            } else {
                ""
            },
            hi.value - lo.value
        ),
        ClaimVerdict::unless((0.5..=2.0).contains(&ratio), ClaimVerdict::Implausible),
        "The ICC's CI is far from what this many subjects and raters give: which ICC form and how many subjects were used?",
    ));
    out
}

/// Events per candidate (and per selected) feature: the smaller class over the features.
pub fn events_per_feature(
    events: u64,
    candidates: Option<u64>,
    selected: Option<u64>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (what, count) in [("candidate", candidates), ("selected", selected)] {
        let Some(f) = count.filter(|&f| f > 0) else {
            continue;
        };
        let epv = events as f64 / f as f64;
        out.push(finding(
            &format!("events per {what} feature"),
            format!("{events} events (smaller class), {f} {what} features"),
            format!("{epv:.2} events per {what} feature (at least 10 is the usual minimum)"),
            ClaimVerdict::unless(epv >= 10.0, ClaimVerdict::Implausible),
            "There are far fewer events than features the model could choose from: how was overfitting prevented, and does the performance hold on external data?",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::spec::Written;

    fn rep(text: &str) -> Reported {
        Reported::read(&Written::Text(text.into()), true).unwrap()
    }

    #[test]
    fn reported_numbers_keep_their_printed_precision() {
        let r = rep("89%");
        assert!((r.low - 0.885).abs() < 1e-12 && (r.high - 0.895).abs() < 1e-12);
        let r = rep("0.80");
        assert_eq!(r.decimals, 2);
        assert!(rep("<0.001").admits(0.0002) && !rep("<0.001").admits(0.002));
        assert!(rep("0.764").admits_truncated(13.0 / 17.0) && !rep("0.764").admits(13.0 / 17.0));
    }

    #[test]
    fn an_auc_p_value_follows_from_the_mann_whitney_statistic() {
        // Martel et al.: AUC 0.751 with 15 fractures and 30 controls: SE0 = sqrt(46 / 5400)
        // = 0.0923, z = 2.72, p = 0.0065: "p < 0.05" is consistent, "p = 0.30" is not.
        let f = auc_p_value(&rep("0.751"), &rep("<0.05"), 15, 30);
        assert_eq!(f.verdict, ClaimVerdict::Consistent, "{}", f.computation);
        assert!(f.computation.contains("z = 2.72"), "{}", f.computation);
        let f = auc_p_value(&rep("0.751"), &rep("0.30"), 15, 30);
        assert_eq!(f.verdict, ClaimVerdict::Implausible);
    }

    #[test]
    fn counts_and_subsets() {
        assert_eq!(counts(160, 86, 74).verdict, ClaimVerdict::Consistent);
        assert_eq!(counts(160, 86, 75).verdict, ClaimVerdict::Impossible);
        let parts = |a, b| {
            vec![
                ("training".to_string(), a, Some(30)),
                ("validation".to_string(), b, Some(12)),
            ]
        };
        assert_eq!(
            partition(164, Some(42), &parts(114, 50)).verdict,
            ClaimVerdict::Consistent
        );
        assert_eq!(
            partition(164, Some(42), &parts(114, 49)).verdict,
            ClaimVerdict::Impossible
        );
        assert_eq!(
            partition(164, Some(43), &parts(114, 50)).verdict,
            ClaimVerdict::Impossible
        );
    }

    #[test]
    fn grim_for_proportions() {
        // 66/74 = 89.19% prints as 89%; 3/143 = 2.10% as 2%.
        assert_eq!(
            proportion("sensitivity", &rep("89%"), Some(74), Some((66, 74))).verdict,
            ClaimVerdict::Consistent
        );
        assert_eq!(
            proportion("FPR", &rep("2%"), Some(143), None).verdict,
            ClaimVerdict::Consistent
        );
        // 65/74 = 87.8%: not 89%. And no k of 7 gives 50%.
        assert_eq!(
            proportion("sensitivity", &rep("89%"), Some(74), Some((65, 74))).verdict,
            ClaimVerdict::Impossible
        );
        let f = proportion("sensitivity", &rep("50%"), Some(7), None);
        assert_eq!(f.verdict, ClaimVerdict::Impossible);
        assert!(f.computation.contains("no k of 7"), "{}", f.computation);
        assert_eq!(
            proportion("sensitivity", &rep("89%"), Some(70), Some((66, 74))).verdict,
            ClaimVerdict::Impossible
        );
        assert_eq!(
            proportion("x", &rep("89%"), None, None).verdict,
            ClaimVerdict::CannotCheck
        );
    }

    #[test]
    fn rates_must_share_one_confusion_matrix() {
        // 20 positive, 30 negative: TP 16, TN 24 gives sens 0.80, spec 0.80, acc 0.80.
        let rates = Rates {
            sensitivity: Some(rep("0.80")),
            specificity: Some(rep("0.80")),
            accuracy: Some(rep("0.80")),
            ..Rates::default()
        };
        assert_eq!(
            confusion(50, Some(20), &rates).unwrap().verdict,
            ClaimVerdict::Consistent
        );
        // Accuracy 0.90 cannot come with sensitivity and specificity of 0.80.
        let bad = Rates {
            accuracy: Some(rep("0.90")),
            ..rates.clone()
        };
        assert_eq!(
            confusion(50, Some(20), &bad).unwrap().verdict,
            ClaimVerdict::Impossible
        );
        // Unknown split: searched over all of them.
        assert_eq!(
            confusion(50, None, &rates).unwrap().verdict,
            ClaimVerdict::Consistent
        );
        assert!(
            confusion(
                50,
                None,
                &Rates {
                    sensitivity: Some(rep("0.8")),
                    ..Rates::default()
                }
            )
            .is_none()
        );
    }

    #[test]
    fn hanley_mcneil_standard_error() {
        // Hanley and McNeil 1982, Table III: A = 0.90 with 50 and 50 gives SE 0.032 (printed to
        // 3 decimals); the formula gives 0.03212.
        assert!((hanley_mcneil_se(0.9, 50, 50) - 0.032).abs() < 5e-4);
        let a = rep("0.90");
        let ok = auc(
            &a,
            Some((rep("0.84"), rep("0.96"))),
            Some(50),
            Some(50),
            None,
        );
        assert!(
            ok.iter().all(|f| f.verdict == ClaimVerdict::Consistent),
            "{ok:?}"
        );
        let narrow = auc(
            &a,
            Some((rep("0.89"), rep("0.91"))),
            Some(50),
            Some(50),
            None,
        );
        assert!(
            narrow
                .iter()
                .any(|f| f.verdict == ClaimVerdict::Implausible)
        );
        let outside = auc(
            &a,
            Some((rep("0.91"), rep("0.96"))),
            Some(50),
            Some(50),
            None,
        );
        assert!(
            outside
                .iter()
                .any(|f| f.verdict == ClaimVerdict::Impossible)
        );
        // AUC 0.5 of 1 x 1 cannot print as 0.3.
        let pairs = auc(&rep("0.3"), None, Some(1), Some(1), None);
        assert!(
            pairs
                .iter()
                .any(|f| f.check == "AUC from whole pairs" && f.verdict == ClaimVerdict::Impossible)
        );
    }

    #[test]
    fn one_operating_point_bounds_the_auc() {
        // (sens 0.8, spec 0.8): monotone curves give 0.64 to 0.96, concave ones >= 0.8.
        assert_eq!(
            operating_point(&rep("0.85"), &rep("0.80"), &rep("0.80")).verdict,
            ClaimVerdict::Consistent
        );
        assert_eq!(
            operating_point(&rep("0.70"), &rep("0.80"), &rep("0.80")).verdict,
            ClaimVerdict::Implausible
        );
        assert_eq!(
            operating_point(&rep("0.99"), &rep("0.80"), &rep("0.80")).verdict,
            ClaimVerdict::Impossible
        );
        assert_eq!(
            operating_point(&rep("0.60"), &rep("0.80"), &rep("0.80")).verdict,
            ClaimVerdict::Impossible
        );
    }

    #[test]
    fn p_values_follow_from_their_statistics() {
        // t(28) = 2.20 gives two-sided p = 0.0362; z = 1.96 gives 0.05; chi2(1) = 3.84 gives 0.05.
        assert_eq!(
            p_value(
                "",
                "t",
                &rep("2.20"),
                Some(28.0),
                None,
                &rep("0.036"),
                false
            )
            .verdict,
            ClaimVerdict::Consistent
        );
        assert_eq!(
            p_value("", "t", &rep("2.20"), Some(28.0), None, &rep("0.01"), false).verdict,
            ClaimVerdict::Impossible
        );
        assert_eq!(
            p_value("", "z", &rep("1.96"), None, None, &rep("0.05"), false).verdict,
            ClaimVerdict::Consistent
        );
        assert_eq!(
            p_value(
                "",
                "chi2",
                &rep("3.84"),
                Some(1.0),
                None,
                &rep("0.05"),
                false
            )
            .verdict,
            ClaimVerdict::Consistent
        );
        assert_eq!(
            p_value(
                "",
                "chi2",
                &rep("3.84"),
                Some(1.0),
                None,
                &rep("<0.01"),
                false
            )
            .verdict,
            ClaimVerdict::Impossible
        );
        assert_eq!(
            p_value(
                "",
                "f",
                &rep("4.20"),
                Some(1.0),
                Some(30.0),
                &rep("0.049"),
                false
            )
            .verdict,
            ClaimVerdict::Consistent
        );
        assert_eq!(
            p_value("", "t", &rep("2.2"), None, None, &rep("0.04"), false).verdict,
            ClaimVerdict::CannotCheck
        );
    }

    #[test]
    fn icc_cis_follow_from_subjects_and_raters() {
        let (l, h) = icc_ci(0.8, 30, 3, "icc1");
        assert!(l < 0.8 && h > 0.8 && l > 0.6 && h < 0.92, "{l} {h}");
        let fine = icc(
            &rep("0.80"),
            Some((rep(&format!("{l:.2}")), rep(&format!("{h:.2}")))),
            30,
            3,
            "icc1",
        );
        assert!(
            fine.iter().all(|f| f.verdict == ClaimVerdict::Consistent),
            "{fine:?}"
        );
        let narrow = icc(
            &rep("0.80"),
            Some((rep("0.79"), rep("0.81"))),
            30,
            3,
            "icc1",
        );
        assert!(
            narrow
                .iter()
                .any(|f| f.verdict == ClaimVerdict::Implausible)
        );
        let outside = icc(
            &rep("0.80"),
            Some((rep("0.82"), rep("0.90"))),
            30,
            3,
            "icc1",
        );
        assert!(
            outside
                .iter()
                .any(|f| f.verdict == ClaimVerdict::Impossible)
        );
        assert_eq!(
            icc(&rep("-0.9"), None, 30, 3, "icc1")[0].verdict,
            ClaimVerdict::Impossible
        );
    }

    #[test]
    fn icc_ci_equals_the_icc_module_which_matches_pingouin() {
        // 12 subjects x 3 raters with rater offsets and noise.
        let ratings: Vec<Vec<f64>> = (0..12)
            .map(|i| {
                (0..3)
                    .map(|j| i as f64 * 2.0 + j as f64 * 0.7 + ((i * 7 + j * 3) % 5) as f64 * 0.9)
                    .collect()
            })
            .collect();
        let all = crate::stats::icc::icc(&ratings).unwrap();
        for (k, model) in [(0, "icc1"), (2, "icc3")] {
            let (l, h) = icc_ci(all[k].icc, 12, 3, model);
            assert!(
                (l - all[k].ci_low).abs() < 1e-9 && (h - all[k].ci_high).abs() < 1e-9,
                "{model}"
            );
        }
    }

    #[test]
    fn events_per_feature() {
        assert_eq!(
            super::events_per_feature(30, Some(107), None)[0].verdict,
            ClaimVerdict::Implausible
        );
        assert_eq!(
            super::events_per_feature(300, Some(20), None)[0].verdict,
            ClaimVerdict::Consistent
        );
    }
}
