//! The design behind a study's numbers, recovered from them: the split of its positives and
//! negatives between two sets that lets each set's rates fit one confusion matrix, a set's
//! positives when its rates allow only one count, and negatives reported as subgroups (e.g.
//! osteopenia and normal BMD among the patients without osteoporosis) with the false positives
//! of each, all against one confusion matrix.

use super::checks::{ClaimVerdict, Finding, Rates, finding, matrices};
use super::reporting::Conventions;

/// Which printing conventions let one confusion matrix of `total` patients (with `positives`,
/// if known) give every reported rate, and the positive counts that fit (rounded values
/// first, else truncated ones). None with fewer than two rates, or a search too long.
pub fn conventions(
    total: u64,
    positives: Option<u64>,
    rates: &Rates,
) -> Option<(Conventions, Vec<u64>)> {
    if rates.given().len() < 2 || total == 0 {
        return None;
    }
    let rounded = matrices(total, positives, rates, false, 100_000)?;
    let truncated = matrices(total, positives, rates, true, 100_000)?;
    let fitting = if rounded.is_empty() {
        &truncated
    } else {
        &rounded
    };
    let mut counts: Vec<u64> = fitting.iter().map(|m| m.0).collect();
    counts.dedup();
    Some((
        Conventions {
            rounded: !rounded.is_empty(),
            truncated: !truncated.is_empty(),
        },
        counts,
    ))
}

/// Whether some confusion matrix of p positives and n negatives gives every rate, rounded or
/// truncated.
fn fits(p: u64, n: u64, rates: &Rates) -> bool {
    [false, true].into_iter().any(|truncated| {
        matrices(p + n, Some(p), rates, truncated, 1).is_some_and(|m| !m.is_empty())
    })
}

/// The splits of a study's `positives` and `negatives` between two sets, each given by its
/// name and rates, that let both sets' rates fit (with at least one positive and one negative
/// each), and a finding naming them: the unique split, several, or none.
pub fn infer_split(
    positives: u64,
    negatives: u64,
    sets: [(&str, &Rates); 2],
) -> (Finding, Option<[(u64, u64); 2]>) {
    let mut found = Vec::new();
    let claim = format!(
        "{} and {} split {positives} positive and {negatives} negative patients (the split is not stated)",
        sets[0].0, sets[1].0
    );
    let check = "split inferred from the rates";
    // The search is P x N splits, each up to four matrix searches of P + N steps.
    let work = positives as f64 * negatives as f64 * 4.0 * (positives + negatives + 2) as f64;
    if work > super::checks::MAX_SEARCH {
        return (
            finding(
                check,
                claim,
                format!("{positives} x {negatives} splits are too many to search"),
                ClaimVerdict::CannotCheck,
                "How many patients with and without the condition did each set hold?",
            ),
            None,
        );
    }
    for p in 1..positives {
        for n in 1..negatives {
            if fits(p, n, sets[0].1) && fits(positives - p, negatives - n, sets[1].1) {
                found.push([(p, n), (positives - p, negatives - n)]);
            }
        }
    }
    let total = positives + negatives;
    let show = |s: &[(u64, u64); 2]| {
        format!(
            "{} {}/{} ({:.1}%), {} {}/{}",
            sets[0].0,
            s[0].0,
            s[0].1,
            100.0 * (s[0].0 + s[0].1) as f64 / total as f64,
            sets[1].0,
            s[1].0,
            s[1].1
        )
    };
    match found.len() {
        0 => (
            finding(
                check,
                claim,
                "no split lets both sets' rates fit a confusion matrix, rounded or truncated"
                    .into(),
                ClaimVerdict::Impossible,
                "No split of the patients between the sets gives their reported rates: how many patients with and without the condition did each set hold?",
            ),
            None,
        ),
        1 => (
            finding(
                check,
                claim,
                format!(
                    "only one split (positive/negative) lets every rate fit: {}",
                    show(&found[0])
                ),
                ClaimVerdict::Consistent,
                "",
            ),
            Some(found[0]),
        ),
        k => (
            finding(
                check,
                claim,
                format!(
                    "{k} splits fit, e.g. {}; the sets' sizes cannot be recovered",
                    show(&found[0])
                ),
                ClaimVerdict::CannotCheck,
                "How many patients with and without the condition did each set hold?",
            ),
            None,
        ),
    }
}

/// A set's negatives as named subgroups (total, false positives if given).
pub struct Group<'a> {
    pub name: &'a str,
    pub total: u64,
    pub false_positives: Option<u64>,
}

/// Negatives in subgroups: the subgroups add up to the negatives (and with the positives to
/// the set), their false positives to the set's, each within its subgroup; then the rates of
/// the one confusion matrix they make: specificity, PPV (with the true positives) and each
/// subgroup's false-positive rate.
pub fn negative_groups(
    total: Option<u64>,
    positives: Option<u64>,
    true_positives: Option<u64>,
    false_positives: Option<u64>,
    groups: &[Group],
) -> Finding {
    let negatives: u64 = groups.iter().map(|g| g.total).sum();
    let names = groups
        .iter()
        .map(|g| format!("{} {}", g.total, g.name))
        .collect::<Vec<_>>()
        .join(" + ");
    let mut steps = Vec::new();
    let mut ok = true;
    match (positives, total) {
        (Some(p), Some(t)) => {
            steps.push(format!(
                "{p} positive + {names} = {} (stated {t})",
                p + negatives
            ));
            ok &= p + negatives == t;
        }
        _ => steps.push(format!("negatives {names} = {negatives}")),
    }
    for g in groups {
        if let Some(fp) = g.false_positives
            && fp > g.total
        {
            steps.push(format!("{} false positives of {} {}", fp, g.total, g.name));
            ok = false;
        }
    }
    let group_fps: Option<Vec<u64>> = groups.iter().map(|g| g.false_positives).collect();
    let fp = match (&group_fps, false_positives) {
        (Some(each), Some(stated)) => {
            let sum: u64 = each.iter().sum();
            steps.push(format!(
                "false positives {} = {sum} (stated {stated})",
                each.iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(" + ")
            ));
            ok &= sum == stated;
            Some(stated)
        }
        (Some(each), None) => Some(each.iter().sum()),
        (None, stated) => stated,
    };
    if let (Some(fp), true) = (fp, ok) {
        if fp <= negatives && negatives > 0 {
            let tn = negatives - fp;
            steps.push(format!(
                "specificity {tn}/{negatives} = {:.3}",
                tn as f64 / negatives as f64
            ));
        }
        if let Some(tp) = true_positives
            && tp + fp > 0
        {
            steps.push(format!(
                "PPV {tp}/{} = {:.3}",
                tp + fp,
                tp as f64 / (tp + fp) as f64
            ));
        }
        for g in groups {
            if let (Some(f), true) = (g.false_positives, g.total > 0) {
                steps.push(format!(
                    "{} false-positive rate {f}/{} = {:.1}%",
                    g.name,
                    g.total,
                    100.0 * f as f64 / g.total as f64
                ));
            }
        }
    }
    finding(
        "negatives in subgroups",
        format!(
            "{} negatives: {names}{}",
            negatives,
            fp.map_or(String::new(), |f| format!(", {f} false positives"))
        ),
        steps.join("; "),
        ClaimVerdict::unless(ok, ClaimVerdict::Impossible),
        "The subgroups do not add up to the set (or their false positives to the set's): which counts are right?",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::spec::{Reported, Written};

    fn rep(text: &str) -> Reported {
        Reported::read(&Written::Text(text.into()), true).unwrap()
    }

    fn rates(sens: &str, spec: &str, acc: &str) -> Rates {
        Rates {
            sensitivity: Some(rep(sens)),
            specificity: Some(rep(spec)),
            accuracy: Some(rep(acc)),
            ..Rates::default()
        }
    }

    #[test]
    fn one_split_fits_the_lumbar_mri_rates() {
        // Zhen et al.: 86 low BMD and 74 normal, training 0.758/0.78/0.768, internal
        // 0.792/0.875/0.833: only 62/50 and 24/24 (47/62, 39/50; 19/24, 21/24).
        let (f, split) = infer_split(
            86,
            74,
            [
                ("training", &rates("0.758", "0.78", "0.768")),
                ("internal", &rates("0.792", "0.875", "0.833")),
            ],
        );
        assert_eq!(f.verdict, ClaimVerdict::Consistent, "{}", f.computation);
        assert_eq!(split, Some([(62, 50), (24, 24)]));
        assert!(f.computation.contains("training 62/50 (70.0%)"));
        // Rates no split gives.
        let (f, split) = infer_split(
            10,
            10,
            [
                ("a", &rates("0.333", "0.5", "0.5")),
                ("b", &rates("0.333", "0.5", "0.5")),
            ],
        );
        assert_eq!(f.verdict, ClaimVerdict::Impossible);
        assert!(split.is_none());
    }

    #[test]
    fn conventions_tell_rounding_from_truncation() {
        // External: 35 patients, 0.764/0.833/0.8: truncated only, 17 positive (13/17 = 0.7647).
        let (c, positives) = conventions(35, None, &rates("0.764", "0.833", "0.8")).unwrap();
        assert_eq!((c.rounded, c.truncated), (false, true));
        assert_eq!(positives, vec![17]);
        // Internal 24/24: 19/24 = 0.7917 prints 0.792 only when rounded.
        let (c, _) = conventions(48, Some(24), &rates("0.792", "0.875", "0.833")).unwrap();
        assert_eq!((c.rounded, c.truncated), (true, false));
    }

    #[test]
    fn subgroups_of_negatives_make_one_matrix() {
        // Kim et al.: 74 osteoporosis (66 detected), 227 osteopenia (61 false positives) and
        // 143 normal (3): 444 radiographs, 64 false positives; specificity 306/370, PPV 66/130.
        let groups = [
            Group {
                name: "osteopenia",
                total: 227,
                false_positives: Some(61),
            },
            Group {
                name: "normal",
                total: 143,
                false_positives: Some(3),
            },
        ];
        let f = negative_groups(Some(444), Some(74), Some(66), Some(64), &groups);
        assert_eq!(f.verdict, ClaimVerdict::Consistent, "{}", f.computation);
        assert!(f.computation.contains("specificity 306/370 = 0.827"));
        assert!(f.computation.contains("PPV 66/130 = 0.508"));
        assert!(
            f.computation
                .contains("normal false-positive rate 3/143 = 2.1%")
        );
        // Subgroups that do not add up to the set, or false positives that do not.
        let f = negative_groups(Some(440), Some(74), Some(66), Some(64), &groups);
        assert_eq!(f.verdict, ClaimVerdict::Impossible);
        let f = negative_groups(Some(444), Some(74), Some(66), Some(60), &groups);
        assert_eq!(f.verdict, ClaimVerdict::Impossible);
    }
}
