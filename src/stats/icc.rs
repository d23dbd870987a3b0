//! Intraclass correlation: the six Shrout & Fleiss (1979) / McGraw & Wong (1996) forms with
//! F test, p value and 95% CI, computed as pingouin 0.7 (and R psych) compute them, and the
//! Koo & Li (2016) reliability class of the CI.
//!
//! From the two-way ANOVA of n subjects x k raters (MSR subjects, MSC raters, MSE residual,
//! MSW = within-subject):
//! ICC1 = (MSR - MSW) / (MSR + (k-1) MSW)            one-way random, single rater
//! ICC2 = (MSR - MSE) / (MSR + (k-1) MSE + k (MSC - MSE) / n)   two-way random, absolute
//! ICC3 = (MSR - MSE) / (MSR + (k-1) MSE)            two-way mixed, consistency
//! and their k-rater (average) versions ICC1k, ICC2k, ICC3k. CIs: exact F limits for ICC1/3,
//! Satterthwaite for ICC2, and for ICC2k the Spearman-Brown transform of ICC2's limits.

use statrs::distribution::{ContinuousCDF, FisherSnedecor};

/// The six ICC forms, in pingouin's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IccType {
    /// ICC(1,1): one-way random effects, single rater.
    Icc1,
    /// ICC(2,1), ICC(A,1): two-way random effects, absolute agreement, single rater.
    Icc2,
    /// ICC(3,1), ICC(C,1): two-way mixed effects, consistency, single rater.
    Icc3,
    /// ICC(1,k): one-way random effects, mean of k raters.
    Icc1k,
    /// ICC(2,k), ICC(A,k): two-way random, absolute agreement, mean of k raters.
    Icc2k,
    /// ICC(3,k), ICC(C,k): two-way mixed, consistency, mean of k raters.
    Icc3k,
}

impl IccType {
    /// The six forms in pingouin's order.
    pub const ALL: [IccType; 6] = [
        IccType::Icc1,
        IccType::Icc2,
        IccType::Icc3,
        IccType::Icc1k,
        IccType::Icc2k,
        IccType::Icc3k,
    ];

    /// pingouin's short name (`ICC1`, ..., `ICC3k`).
    pub fn name(self) -> &'static str {
        match self {
            IccType::Icc1 => "ICC1",
            IccType::Icc2 => "ICC2",
            IccType::Icc3 => "ICC3",
            IccType::Icc1k => "ICC1k",
            IccType::Icc2k => "ICC2k",
            IccType::Icc3k => "ICC3k",
        }
    }

    /// Parses a name as `name()` gives it (case-insensitive).
    pub fn from_name(s: &str) -> Option<IccType> {
        IccType::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(s))
    }
}

/// One ICC estimate with its test and interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Icc {
    /// The form.
    pub kind: IccType,
    /// The coefficient.
    pub icc: f64,
    /// The F statistic of its test.
    pub f: f64,
    /// Numerator degrees of freedom.
    pub df1: f64,
    /// Denominator degrees of freedom.
    pub df2: f64,
    /// The p-value of the F test.
    pub p: f64,
    /// Lower end of the 95% CI.
    pub ci_low: f64,
    /// Upper end of the 95% CI.
    pub ci_high: f64,
}

/// The two-way ANOVA of a complete subjects x raters table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Anova {
    /// Subjects (rows).
    pub n: usize,
    /// Raters (columns).
    pub k: usize,
    /// Sum of squares between subjects.
    pub ss_rows: f64,
    /// Sum of squares between raters.
    pub ss_cols: f64,
    /// Residual sum of squares.
    pub ss_err: f64,
    /// Mean square between subjects.
    pub msr: f64,
    /// Mean square between raters.
    pub msc: f64,
    /// Residual mean square.
    pub mse: f64,
    /// Mean square within subjects (raters and residual).
    pub msw: f64,
}

/// The two-way ANOVA of `ratings` (one row per subject, one column per rater).
pub fn anova(ratings: &[Vec<f64>]) -> Anova {
    let n = ratings.len();
    let k = ratings.first().map_or(0, Vec::len);
    let total = (n * k) as f64;
    let grand = ratings.iter().flatten().sum::<f64>() / total;
    let ss_total: f64 = ratings.iter().flatten().map(|x| (x - grand).powi(2)).sum();
    let ss_rows = k as f64
        * ratings
            .iter()
            .map(|r| (r.iter().sum::<f64>() / k as f64 - grand).powi(2))
            .sum::<f64>();
    let ss_cols = n as f64
        * (0..k)
            .map(|j| (ratings.iter().map(|r| r[j]).sum::<f64>() / n as f64 - grand).powi(2))
            .sum::<f64>();
    let ss_err = ss_total - ss_rows - ss_cols;
    let (nf, kf) = (n as f64, k as f64);
    Anova {
        n,
        k,
        ss_rows,
        ss_cols,
        ss_err,
        msr: ss_rows / (nf - 1.0),
        msc: ss_cols / (kf - 1.0),
        mse: ss_err / ((nf - 1.0) * (kf - 1.0)),
        msw: (ss_cols + ss_err) / (nf * (kf - 1.0)),
    }
}

/// Degrees of freedom statrs can take without panicking (it panics on some out-of-range
/// arguments instead of returning an error).
fn usable_df(d1: f64, d2: f64) -> bool {
    d1.is_finite() && d2.is_finite() && d1 > 0.0 && d2 > 0.0
}

/// The upper (1 - alpha/2) quantile of F(d1, d2); NaN where it is undefined.
pub(crate) fn f_quantile(q: f64, d1: f64, d2: f64) -> f64 {
    if !(usable_df(d1, d2) && q > 0.0 && q < 1.0) {
        return f64::NAN;
    }
    FisherSnedecor::new(d1, d2).map_or(f64::NAN, |f| f.inverse_cdf(q))
}

/// P(F > x). Rounding can make an F ratio negative (a mean square of -1e-17) or infinite
/// (a zero error mean square): those get 1 and 0; NaN stays NaN.
pub(crate) fn f_sf(x: f64, d1: f64, d2: f64) -> f64 {
    if x.is_nan() || !usable_df(d1, d2) {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    FisherSnedecor::new(d1, d2).map_or(f64::NAN, |f| f.sf(x))
}

/// All six ICCs of a complete subjects x raters table, with 95% CIs. Needs at least two
/// subjects and two raters, and some variation in the data.
pub fn icc(ratings: &[Vec<f64>]) -> Result<[Icc; 6], String> {
    let n = ratings.len();
    let k = ratings.first().map_or(0, Vec::len);
    if n < 2 || k < 2 {
        return Err(format!(
            "an ICC needs at least 2 subjects and 2 raters, got {n} and {k}"
        ));
    }
    if ratings.iter().any(|r| r.len() != k) {
        return Err("every subject needs one rating per rater".into());
    }
    // Sums of squares overflow for ratings beyond about 1e150 (and underflow below 1e-150);
    // every ICC, F and CI is a ratio of mean squares, unchanged when the ratings are scaled by
    // a power of two (exact in floating point), so extreme ratings are scaled first.
    let largest = ratings.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    if !largest.is_finite() {
        return Err("a rating is not a finite number".into());
    }
    let scaled: Vec<Vec<f64>>;
    let ratings = if largest > 2f64.powi(500) || (largest > 0.0 && largest < 2f64.powi(-500)) {
        let factor = 2f64.powi(-(largest.log2().floor() as i32));
        scaled = ratings
            .iter()
            .map(|r| r.iter().map(|v| v * factor).collect())
            .collect();
        &scaled[..]
    } else {
        ratings
    };
    let a = anova(ratings);
    if a.msr + a.mse + a.msc == 0.0 {
        return Err("the ratings do not vary (all equal): the ICC is undefined".into());
    }
    let (nf, kf) = (n as f64, k as f64);
    let (msr, msc, mse, msw) = (a.msr, a.msc, a.mse, a.msw);
    let icc1 = (msr - msw) / (msr + (kf - 1.0) * msw);
    let icc2 = (msr - mse) / (msr + (kf - 1.0) * mse + kf * (msc - mse) / nf);
    let icc3 = (msr - mse) / (msr + (kf - 1.0) * mse);
    let icc1k = (msr - msw) / msr;
    let icc2k = (msr - mse) / (msr + (msc - mse) / nf);
    let icc3k = (msr - mse) / msr;

    let f1 = msr / msw;
    let df1 = nf - 1.0;
    let df1kd = nf * (kf - 1.0);
    let p1 = f_sf(f1, df1, df1kd);
    let f3 = msr / mse;
    let df2kd = (nf - 1.0) * (kf - 1.0);
    let p3 = f_sf(f3, df1, df2kd);

    let q = 1.0 - 0.05 / 2.0;
    let f1l = f1 / f_quantile(q, df1, df1kd);
    let f1u = f1 * f_quantile(q, df1kd, df1);
    let (l1, u1) = (
        (f1l - 1.0) / (f1l + (kf - 1.0)),
        (f1u - 1.0) / (f1u + (kf - 1.0)),
    );
    let f3l = f3 / f_quantile(q, df1, df2kd);
    let f3u = f3 * f_quantile(q, df2kd, df1);
    let (l3, u3) = (
        (f3l - 1.0) / (f3l + (kf - 1.0)),
        (f3u - 1.0) / (f3u + (kf - 1.0)),
    );
    // ICC2: Satterthwaite's approximate df (pingouin / psych).
    let fj = msc / mse;
    let vn = df2kd * (kf * icc2 * fj + nf * (1.0 + (kf - 1.0) * icc2) - kf * icc2).powi(2);
    let vd = df1 * (kf * icc2 * fj).powi(2) + (nf * (1.0 + (kf - 1.0) * icc2) - kf * icc2).powi(2);
    let v = vn / vd;
    let f2u = f_quantile(q, nf - 1.0, v);
    let f2l = f_quantile(q, v, nf - 1.0);
    let l2 = nf * (msr - f2u * mse) / (f2u * (kf * msc + (kf * nf - kf - nf) * mse) + nf * msr);
    let u2 = nf * (f2l * msr - mse) / (kf * msc + (kf * nf - kf - nf) * mse + nf * f2l * msr);

    let make = |kind, icc, f, d2, p, lo, hi| Icc {
        kind,
        icc,
        f,
        df1,
        df2: d2,
        p,
        ci_low: lo,
        ci_high: hi,
    };
    Ok([
        make(IccType::Icc1, icc1, f1, df1kd, p1, l1, u1),
        make(IccType::Icc2, icc2, f3, df2kd, p3, l2, u2),
        make(IccType::Icc3, icc3, f3, df2kd, p3, l3, u3),
        make(
            IccType::Icc1k,
            icc1k,
            f1,
            df1kd,
            p1,
            1.0 - 1.0 / f1l,
            1.0 - 1.0 / f1u,
        ),
        make(
            IccType::Icc2k,
            icc2k,
            f3,
            df2kd,
            p3,
            l2 * kf / (1.0 + l2 * (kf - 1.0)),
            u2 * kf / (1.0 + u2 * (kf - 1.0)),
        ),
        make(
            IccType::Icc3k,
            icc3k,
            f3,
            df2kd,
            p3,
            1.0 - 1.0 / f3l,
            1.0 - 1.0 / f3u,
        ),
    ])
}

/// Koo & Li (2016) reliability of a value: < 0.5 poor, 0.5-0.75 moderate, 0.75-0.9 good,
/// > 0.9 excellent.
pub fn koo_li(value: f64) -> &'static str {
    if value < 0.5 {
        "poor"
    } else if value < 0.75 {
        "moderate"
    } else if value <= 0.9 {
        "good"
    } else {
        "excellent"
    }
}

/// Koo & Li's class of a 95% CI: one class when both limits fall in it, else "a to b" (they
/// advise reading reliability off the CI, not the point estimate).
pub fn koo_li_class(ci_low: f64, ci_high: f64) -> String {
    if ci_low.is_nan() || ci_high.is_nan() {
        return "undefined".into();
    }
    let (lo, hi) = (koo_li(ci_low), koo_li(ci_high));
    if lo == hi {
        lo.to_string()
    } else {
        format!("{lo} to {hi}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_ratings_give_the_icc_of_their_scaled_values() {
        // The ICC is invariant under scaling: 1e300 times a table gives the table's ICCs.
        let table = vec![
            vec![1.0, 2.0, 1.5],
            vec![4.0, 5.0, 4.5],
            vec![2.0, 2.5, 2.0],
            vec![7.0, 6.0, 6.5],
        ];
        let big: Vec<Vec<f64>> = table
            .iter()
            .map(|r| r.iter().map(|v| v * 1e300).collect())
            .collect();
        let (a, b) = (icc(&table).unwrap(), icc(&big).unwrap());
        for (x, y) in a.iter().zip(&b) {
            assert!((x.icc - y.icc).abs() < 1e-12 && (x.ci_low - y.ci_low).abs() < 1e-12);
        }
        // One rating of 1e308 among ordinary ones: a finite ICC, not NaN.
        let mut one = table.clone();
        one[1][1] = 1e308;
        assert!(icc(&one).unwrap().iter().all(|i| i.icc.is_finite()));
    }

    #[test]
    fn degenerate_tables_give_numbers_or_nan_not_a_panic() {
        // Two identical raters (zero error mean square) and rounding-level differences.
        let same = vec![vec![1.0, 1.0], vec![2.0, 2.0], vec![4.0, 4.0]];
        let r = icc(&same).unwrap();
        assert_eq!(r[2].p, 0.0);
        let tiny = vec![vec![0.1 + 0.2, 0.3], vec![0.3, 0.1 + 0.2]];
        assert!(icc(&tiny).is_ok());
        assert_eq!(f_sf(-1e-17, 1.0, 2.0), 1.0);
        assert!(f_quantile(0.975, f64::NAN, 2.0).is_nan());
    }

    #[test]
    fn koo_li_bands() {
        assert_eq!(koo_li_class(0.83, 0.94), "good to excellent");
        assert_eq!(koo_li_class(0.91, 0.99), "excellent");
        assert_eq!(koo_li_class(0.2, 0.45), "poor");
        assert_eq!(koo_li(0.75), "good");
        assert_eq!(koo_li(0.9), "good");
    }
}
