//! Checks of how a study reported its numbers rather than of what they say: the same quantity
//! given twice with different values, a confidence interval lopsided beyond what its bounded
//! scale explains, and one rounding convention across a study's rates.
//!
//! Sources: an AUC's CI on the logit scale, symmetric there and lopsided towards 0.5 on the
//! AUC's own scale (Pepe MS, The Statistical Evaluation of Medical Tests for Classification and
//! Prediction, Oxford 2003; Qin G, Hotilovac L, Stat Methods Med Res 2008;17:207-221); a Wald
//! CI is symmetric. Rounding against truncation: a printed value admits the true values that
//! round to it, or with truncation those that truncate to it (as in the GRIM checks).

use super::checks::{ClaimVerdict, Finding, finding, show};
use super::spec::Reported;

/// The same quantity reported twice (`name`, each value with where it is given): the values
/// must have a true value in common.
pub fn conflicting_reports(
    name: &str,
    first: (&Reported, &str),
    second: (&Reported, &str),
) -> Finding {
    let (a, b) = (first.0, second.0);
    let overlap = a.high.min(b.high) - a.low.max(b.low);
    let range = |r: &Reported| format!("{:.4}-{:.4}", r.low, r.high);
    let (verdict, common) = if overlap > 1e-9 {
        (
            ClaimVerdict::Consistent,
            "they share true values".to_string(),
        )
    } else if overlap >= -1e-9 {
        (
            ClaimVerdict::Implausible,
            format!(
                "only a true value of exactly {:.4} prints as both",
                a.high.min(b.high)
            ),
        )
    } else {
        (
            ClaimVerdict::Impossible,
            "no true value prints as both".to_string(),
        )
    };
    finding(
        "conflicting reports",
        format!(
            "{name} {} ({}) and {} ({})",
            show(a),
            first.1,
            show(b),
            second.1
        ),
        format!(
            "{} stands for {}, {} for {}: {common}",
            show(a),
            range(a),
            show(b),
            range(b)
        ),
        verdict,
        "The same quantity is reported with two different values: which one is right?",
    )
}

/// The logistic function.
fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// For an AUC `a` and a CI width `w`, the ratio lower arm / upper arm of the CI that is
/// symmetric on the logit scale (None when no such CI has that width).
fn logit_arm_ratio(a: f64, w: f64) -> Option<f64> {
    if !(a > 0.0 && a < 1.0 && w > 0.0 && w < 1.0) {
        return None;
    }
    let center = (a / (1.0 - a)).ln();
    let width = |d: f64| expit(center + d) - expit(center - d);
    let (mut lo, mut hi) = (0.0, 60.0);
    if width(hi) < w {
        return None;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if width(mid) < w {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let d = 0.5 * (lo + hi);
    Some((a - expit(center - d)) / (expit(center + d) - a))
}

/// An AUC's CI against the shapes a CI of its width can have: between symmetric (Wald) and
/// symmetric on the logit scale, where the arm towards 0.5 is the longer. The reported arms
/// are read as leniently as their rounding allows; a ratio of arms beyond that range by more
/// than a quarter is implausible. None without a CI or at an AUC of 0 or 1.
pub fn ci_shape(a: &Reported, lo: &Reported, hi: &Reported) -> Option<Finding> {
    let expected = logit_arm_ratio(a.value, hi.value - lo.value)?;
    let (low_expected, high_expected) = (expected.min(1.0), expected.max(1.0));
    // The lower arm over the upper, at its smallest and largest over the readings.
    let least = (a.low - lo.high).max(0.0) / (hi.high - a.low);
    let most = if hi.low - a.high > 0.0 {
        (a.high - lo.low) / (hi.low - a.high)
    } else {
        f64::INFINITY
    };
    let ok = least <= high_expected * 1.25 && most >= low_expected / 1.25;
    Some(finding(
        "AUC CI shape on its bounded scale",
        format!("AUC {} ({}-{})", show(a), show(lo), show(hi)),
        format!(
            "arms -{:.3}/+{:.3}: lower over upper {least:.2} to {} as rounded; a CI of this width is between symmetric (1) and symmetric on the logit scale ({expected:.2})",
            a.value - lo.value,
            hi.value - a.value,
            if most.is_finite() {
                format!("{most:.2}")
            } else {
                "unbounded".into()
            },
        ),
        ClaimVerdict::unless(ok, ClaimVerdict::Implausible),
        "The interval is far more lopsided than the AUC's bounded scale explains: how was it computed?",
    ))
}

/// Which printing conventions fit one set's rates: rounding, truncation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conventions {
    pub rounded: bool,
    pub truncated: bool,
}

/// One study's sets (name, conventions that fit their rates together) printed with one
/// convention: a set that fits only rounding beside one that fits only truncation means the
/// report mixes them. None with fewer than two sets to compare.
pub fn one_rounding_convention(sets: &[(String, Conventions)]) -> Option<Finding> {
    if sets.len() < 2 {
        return None;
    }
    let only = |rounded: bool| -> Vec<&str> {
        sets.iter()
            .filter(|(_, c)| c.rounded == rounded && c.truncated != rounded)
            .map(|(n, _)| n.as_str())
            .collect()
    };
    let (rounded, truncated) = (only(true), only(false));
    let mixed = !rounded.is_empty() && !truncated.is_empty();
    let describe = |c: &Conventions| match (c.rounded, c.truncated) {
        (true, true) => "either",
        (true, false) => "rounding only",
        (false, true) => "truncation only",
        (false, false) => "neither",
    };
    Some(finding(
        "one rounding convention",
        format!(
            "the rates of {}",
            sets.iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!(
            "{}{}",
            sets.iter()
                .map(|(n, c)| format!("{n}: {}", describe(c)))
                .collect::<Vec<_>>()
                .join("; "),
            if mixed {
                format!(
                    ": {} fit only rounded values, {} only truncated ones",
                    rounded.join(", "),
                    truncated.join(", ")
                )
            } else {
                String::new()
            }
        ),
        ClaimVerdict::unless(!mixed, ClaimVerdict::Implausible),
        "Some rates fit only if rounded and others only if truncated: how were the values printed, and can the confusion matrices be given?",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::spec::Written;

    fn rep(text: &str) -> Reported {
        Reported::read(&Written::Text(text.into()), true).unwrap()
    }

    #[test]
    fn a_value_reported_twice_must_share_a_true_value() {
        let f = conflicting_reports("AUC", (&rep("0.96"), "text"), (&rep("0.955"), "table"));
        assert_eq!(f.verdict, ClaimVerdict::Consistent);
        // 0.96 is 0.955-0.965 and 0.95 is 0.945-0.955: only 0.955 itself prints as both.
        let f = conflicting_reports("AUC", (&rep("0.96"), "text"), (&rep("0.95"), "Table 1"));
        assert_eq!(f.verdict, ClaimVerdict::Implausible);
        assert!(f.computation.contains("0.9550"), "{}", f.computation);
        let f = conflicting_reports("AUC", (&rep("0.96"), "text"), (&rep("0.93"), "Table 1"));
        assert_eq!(f.verdict, ClaimVerdict::Impossible);
    }

    #[test]
    fn the_logit_ci_is_lopsided_towards_one_half() {
        // Symmetric on the logit scale: expit(logit(a) -+ d). For a = 0.9 and d = 0.5 the
        // arms are 0.9 - expit(1.697) = 0.0549 and expit(2.697) - 0.9 = 0.0369.
        let a: f64 = 0.9;
        let l = (a / (1.0 - a)).ln();
        let (lo, hi) = (expit(l - 0.5), expit(l + 0.5));
        let r = logit_arm_ratio(a, hi - lo).unwrap();
        assert!((r - (a - lo) / (hi - a)).abs() < 1e-9 && r > 1.4, "{r}");
        assert!((logit_arm_ratio(0.5, 0.2).unwrap() - 1.0).abs() < 1e-9);
        assert!(logit_arm_ratio(1.0, 0.1).is_none());
    }

    #[test]
    fn a_ci_lopsided_beyond_its_scale_is_implausible() {
        // Wang et al. training: 0.938 (0.903-0.952), arms -0.035/+0.014.
        let f = ci_shape(&rep("0.938"), &rep("0.903"), &rep("0.952")).unwrap();
        assert_eq!(f.verdict, ClaimVerdict::Implausible, "{}", f.computation);
        // Symmetric, and logit-shaped, intervals are fine.
        let f = ci_shape(&rep("0.824"), &rep("0.678"), &rep("0.969")).unwrap();
        assert_eq!(f.verdict, ClaimVerdict::Consistent, "{}", f.computation);
        let f = ci_shape(&rep("0.988"), &rep("0.967"), &rep("0.998")).unwrap();
        assert_eq!(f.verdict, ClaimVerdict::Consistent, "{}", f.computation);
        // The long arm on the wrong side (towards 1) for an AUC of 0.8.
        let f = ci_shape(&rep("0.800"), &rep("0.790"), &rep("0.900")).unwrap();
        assert_eq!(f.verdict, ClaimVerdict::Implausible, "{}", f.computation);
    }

    #[test]
    fn mixed_rounding_conventions_are_named() {
        let c = |rounded, truncated| Conventions { rounded, truncated };
        let f = one_rounding_convention(&[
            ("training".into(), c(true, false)),
            ("external".into(), c(false, true)),
        ])
        .unwrap();
        assert_eq!(f.verdict, ClaimVerdict::Implausible);
        assert!(f.computation.contains("training fit only rounded values"));
        let f = one_rounding_convention(&[
            ("training".into(), c(true, false)),
            ("internal".into(), c(true, true)),
        ])
        .unwrap();
        assert_eq!(f.verdict, ClaimVerdict::Consistent);
        assert!(one_rounding_convention(&[("a".into(), c(true, true))]).is_none());
    }
}
