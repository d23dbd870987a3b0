//! ICC and Lin's CCC against `reference/stats/icc` (pingouin 0.7, R psych via the published
//! Shrout & Fleiss example, and the Lin/epiR formulas): ICC to 1e-9, F/df/p/CI to 1e-6 on every
//! golden data set, the published values at their printed precision, CCC to 1e-12.

use crate::common;

use std::path::Path;

use radaudit::stats::agreement::lin_ccc;
use radaudit::stats::icc::{IccType, anova, icc};
use radaudit::table::Table;

/// One row per subject, one column per rater (the first column is the subject).
fn wide(path: &Path) -> Vec<Vec<f64>> {
    let t = Table::read(path).unwrap();
    t.rows
        .iter()
        .map(|r| r.iter().skip(1).map(|c| c.parse().unwrap()).collect())
        .collect()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn six_iccs_match_pingouin_on_every_golden_set() {
    let dir = reference_or_skip!().join("stats/icc");
    for set in [
        "shrout_fleiss",
        "a_50x3",
        "b_200x5_bias",
        "c_30x2_nearperfect",
    ] {
        let ratings = wide(&dir.join(format!("{set}_wide.csv")));
        let ours = icc(&ratings).unwrap();
        let gold = Table::read(&dir.join(format!("{set}_pingouin.csv"))).unwrap();
        let names = gold.text("sf_name").unwrap();
        for (k, name) in names.iter().enumerate() {
            let kind = IccType::from_name(name).unwrap();
            let r = ours.iter().find(|r| r.kind == kind).unwrap();
            let g = |col: &str| gold.numbers(col).unwrap()[k];
            assert!(
                close(r.icc, g("ICC"), 1e-9),
                "{set} {name} ICC {} vs {}",
                r.icc,
                g("ICC")
            );
            for (ours, col) in [
                (r.f, "F"),
                (r.df1, "df1"),
                (r.df2, "df2"),
                (r.p, "pval"),
                (r.ci_low, "ci95_lower"),
                (r.ci_high, "ci95_upper"),
            ] {
                assert!(
                    close(ours, g(col), 1e-6),
                    "{set} {name} {col}: {ours} vs {}",
                    g(col)
                );
            }
        }
        // The ANOVA mean squares too.
        let a = anova(&ratings);
        let gold = Table::read(&dir.join(format!("{set}_anova.csv"))).unwrap();
        for (ours, col) in [
            (a.msr, "MSR"),
            (a.msc, "MSC"),
            (a.mse, "MSE"),
            (a.msw, "MSW"),
        ] {
            let g = gold.numbers(col).unwrap()[0];
            assert!(
                close(ours, g, 1e-9 * g.abs().max(1.0)),
                "{set} {col}: {ours} vs {g}"
            );
        }
    }
}

#[test]
fn shrout_fleiss_published_values_at_their_precision() {
    let dir = reference_or_skip!().join("stats/icc");
    let ours = icc(&wide(&dir.join("shrout_fleiss_wide.csv"))).unwrap();
    let published = Table::read(&dir.join("shrout_fleiss_published.csv")).unwrap();
    let names = published.text("sf_name").unwrap();
    let round = |v: f64, dp: i32| (v * 10f64.powi(dp)).round() / 10f64.powi(dp);
    for (k, name) in names.iter().enumerate() {
        let r = ours
            .iter()
            .find(|r| r.kind == IccType::from_name(name).unwrap())
            .unwrap();
        let p = |col: &str| published.numbers(col).unwrap()[k];
        assert_eq!(round(r.icc, 2), p("ICC_published_2dp"), "{name}");
        assert_eq!(round(r.f, 1), p("F_psych_1dp"), "{name}");
        assert_eq!(r.df1, p("df1"));
        assert_eq!(r.df2, p("df2"));
        // psych prints p to 5 dp (0.16472 for 0.164768...: psych's own F p value).
        assert!(close(r.p, p("pval_psych_5dp"), 6e-5), "{name} p {}", r.p);
        assert_eq!(round(r.ci_low, 2), p("ci95_lower_psych_2dp"), "{name}");
        assert_eq!(round(r.ci_high, 2), p("ci95_upper_psych_2dp"), "{name}");
    }
    // The published 2-dp values: 0.17 / 0.29 / 0.71 / 0.44 / 0.62 / 0.91 (Shrout & Fleiss 1979).
    let published_icc = [0.17, 0.29, 0.71, 0.44, 0.62, 0.91];
    for (r, want) in ours.iter().zip(published_icc) {
        assert_eq!(round(r.icc, 2), want, "{:?}", r.kind);
    }
}

#[test]
fn lin_ccc_matches_the_golden_pairs() {
    let dir = reference_or_skip!().join("stats/icc");
    let gold = Table::read(&dir.join("lin_ccc.csv")).unwrap();
    for (k, pair) in gold.text("pair").unwrap().iter().enumerate() {
        let (set, cols) = pair.split_once(':').unwrap();
        let (cx, cy) = cols.split_once("_vs_").unwrap();
        let t = Table::read(&dir.join(format!("{set}_wide.csv"))).unwrap();
        let c = lin_ccc(&t.numbers(cx).unwrap(), &t.numbers(cy).unwrap()).unwrap();
        let g = |col: &str| gold.numbers(col).unwrap()[k];
        assert!(
            close(c.ccc, g("ccc"), 1e-12),
            "{pair}: {} vs {}",
            c.ccc,
            g("ccc")
        );
        assert!(close(c.pearson_r, g("pearson_r"), 1e-12));
        assert!(close(c.bias_correction, g("bias_correction_Cb"), 1e-12));
        assert!(close(c.location_shift, g("location_shift_u"), 1e-12));
        assert!(close(c.se, g("se_ccc_asymptotic"), 1e-12));
        assert!(close(c.ci_low, g("ci95_lower_ztransform"), 1e-12), "{pair}");
        assert!(
            close(c.ci_high, g("ci95_upper_ztransform"), 1e-12),
            "{pair}"
        );
    }
}
