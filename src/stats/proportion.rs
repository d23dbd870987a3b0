//! Proportions with confidence intervals: the Wilson score interval (Wilson, JASA 1927;
//! recommended over the Wald interval by Brown, Cai and DasGupta, Stat Sci 2001), used for
//! sensitivity, specificity, PPV and NPV.

/// The 97.5% standard normal quantile.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A proportion `successes / n` with its 95% Wilson interval; `None` when n = 0.
pub fn wilson(successes: usize, n: usize) -> Option<(f64, f64, f64)> {
    if n == 0 || successes > n {
        return None;
    }
    let (k, n) = (successes as f64, n as f64);
    let p = k / n;
    let z2 = Z95 * Z95;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z95 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some((p, (centre - half).max(0.0), (centre + half).min(1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_published_examples() {
        // Newcombe (Stat Med 1998) table I: 81/263 -> 0.2553 to 0.3662; 15/148 -> 0.0624 to 0.1605.
        let (_, lo, hi) = wilson(81, 263).unwrap();
        assert!(
            (lo - 0.2553).abs() < 5e-5 && (hi - 0.3662).abs() < 5e-5,
            "{lo} {hi}"
        );
        let (_, lo, hi) = wilson(15, 148).unwrap();
        assert!(
            (lo - 0.0624).abs() < 5e-5 && (hi - 0.1605).abs() < 5e-5,
            "{lo} {hi}"
        );
        // 0/10 -> 0 to 0.2775.
        let (_, lo, hi) = wilson(0, 10).unwrap();
        assert!(lo == 0.0 && (hi - 0.2775).abs() < 5e-5);
        assert!(wilson(1, 0).is_none());
    }
}
