//! The k-sample Anderson-Darling test of Scholz & Stephens (1987, "K-sample Anderson-Darling
//! tests", JASA 82:918-924): do k samples come from one distribution? It is the test Horng et
//! al. (Sci Rep 2022) count batch effects with when they choose the order of nested ComBat.
//!
//! The statistic is the paper's version for samples with ties (A²akN, built on midranks, its
//! eq. 7; without ties it is A²kN), standardised by its mean k - 1 and variance under the null
//! (eq. 4-5): T = (A² - (k - 1)) / σ. The paper's critical points of T for m = k - 1 are
//! interpolated as t_m(α) = b0 + b1 / √m + b2 / m with its Table 1 coefficients; a sample set
//! differs at 5% when T exceeds t_m(0.05). scipy's `anderson_ksamp` (midrank, the default)
//! computes the same statistic and critical points; the tests compare with it.

/// The result of one test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AndersonDarling {
    /// A²akN.
    pub statistic: f64,
    /// T = (A²akN - (k - 1)) / σ.
    pub standardized: f64,
    /// The critical point of T at 5%.
    pub critical_5: f64,
}

impl AndersonDarling {
    /// Whether the samples differ at the 5% level.
    pub fn significant_5(&self) -> bool {
        self.standardized > self.critical_5
    }
}

/// Scholz & Stephens' Table 1 interpolation coefficients (b0, b1, b2) at α = 0.05.
const CRITICAL_5: (f64, f64, f64) = (1.645, 0.678, -0.362);

/// The k-sample test of `groups` (each at least one value, all finite; at least 2 groups and
/// 4 values in all, not all equal).
pub fn anderson_darling_k(groups: &[Vec<f64>]) -> Result<AndersonDarling, String> {
    let k = groups.len();
    if k < 2 {
        return Err(format!(
            "the Anderson-Darling test needs at least 2 groups, got {k}"
        ));
    }
    if let Some(i) = groups.iter().position(Vec::is_empty) {
        return Err(format!("group {i} is empty"));
    }
    if groups.iter().flatten().any(|v| !v.is_finite()) {
        return Err("the Anderson-Darling test needs finite values".into());
    }
    let mut pooled: Vec<f64> = groups.iter().flatten().copied().collect();
    pooled.sort_by(f64::total_cmp);
    let n_all = pooled.len();
    if n_all < 4 {
        return Err(format!(
            "the Anderson-Darling test needs at least 4 values in all, got {n_all}"
        ));
    }
    // The distinct values, with how many pooled values lie below each (B's left count) and
    // how many equal it (l_j).
    let mut distinct: Vec<(f64, usize, usize)> = Vec::new();
    for (at, &v) in pooled.iter().enumerate() {
        match distinct.last_mut() {
            Some((last, _, count)) if *last == v => *count += 1,
            _ => distinct.push((v, at, 1)),
        }
    }
    if distinct.len() < 2 {
        return Err("all values are equal: the Anderson-Darling test is undefined".into());
    }
    let n = n_all as f64;
    let mut statistic = 0.0;
    for group in groups {
        let mut sorted = group.clone();
        sorted.sort_by(f64::total_cmp);
        let size = sorted.len() as f64;
        let (mut below, mut inner) = (0usize, 0.0);
        for &(value, left, count) in &distinct {
            while below < sorted.len() && sorted[below] < value {
                below += 1;
            }
            let equal = sorted[below..].iter().take_while(|&&v| v == value).count();
            let l = count as f64;
            let b = left as f64 + l / 2.0;
            let m = below as f64 + equal as f64 / 2.0;
            inner += l / n * (n * m - b * size).powi(2) / (b * (n - b) - n * l / 4.0);
        }
        statistic += inner / size;
    }
    statistic *= (n - 1.0) / n;
    let sigma = null_variance(groups, n_all).sqrt();
    let m = (k - 1) as f64;
    let (b0, b1, b2) = CRITICAL_5;
    Ok(AndersonDarling {
        statistic,
        standardized: (statistic - m) / sigma,
        critical_5: b0 + b1 / m.sqrt() + b2 / m,
    })
}

/// The variance of A²kN under the null (Scholz & Stephens' eq. 5), for k groups of `groups`'
/// sizes, `n_all` values in all (at least 4).
fn null_variance(groups: &[Vec<f64>], n_all: usize) -> f64 {
    let k = groups.len() as f64;
    let n = n_all as f64;
    let big_h: f64 = groups.iter().map(|g| 1.0 / g.len() as f64).sum();
    // h = sum_{i=1}^{N-1} 1/i; g = sum_{i=1}^{N-2} sum_{j=i+1}^{N-1} 1/((N - i) j), the inner
    // sum being h_{N-1} - h_i.
    let harmonic: Vec<f64> = (0..n_all)
        .scan(0.0, |s, i| {
            if i > 0 {
                *s += 1.0 / i as f64;
            }
            Some(*s)
        })
        .collect();
    let h = harmonic[n_all - 1];
    let g: f64 = (1..=n_all - 2)
        .map(|i| (h - harmonic[i]) / (n - i as f64))
        .sum();
    let a = (4.0 * g - 6.0) * (k - 1.0) + (10.0 - 6.0 * g) * big_h;
    let b = (2.0 * g - 4.0) * k * k + 8.0 * h * k + (2.0 * g - 14.0 * h - 4.0) * big_h - 8.0 * h
        + 4.0 * g
        - 6.0;
    let c = (6.0 * h + 2.0 * g - 2.0) * k * k
        + (4.0 * h - 4.0 * g + 6.0) * k
        + (2.0 * h - 6.0) * big_h
        + 4.0 * h;
    let d = (2.0 * h + 6.0) * k * k - 4.0 * h * k;
    (a * n.powi(3) + b * n * n + c * n + d) / ((n - 1.0) * (n - 2.0) * (n - 3.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bad input is refused with a reason, never a NaN result.
    #[test]
    fn degenerate_samples_are_refused() {
        assert!(anderson_darling_k(&[vec![1.0, 2.0, 3.0]]).is_err());
        assert!(anderson_darling_k(&[vec![1.0, 2.0], vec![]]).is_err());
        assert!(anderson_darling_k(&[vec![1.0], vec![2.0]]).is_err());
        assert!(anderson_darling_k(&[vec![1.0, 1.0], vec![1.0, 1.0]]).is_err());
        assert!(anderson_darling_k(&[vec![1.0, f64::NAN], vec![1.0, 2.0]]).is_err());
    }

    /// Equal to scipy's `anderson_ksamp` (midrank) on five sample sets with and without ties
    /// (`tests/data/make_anderson_ksamp.py`): the standardised statistic and the 5% critical
    /// point, and so the verdict.
    #[test]
    fn equals_scipy_on_the_golden_sets() {
        let golden: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/data/anderson_ksamp_golden.json"))
                .unwrap();
        let sets = golden["sets"].as_object().unwrap();
        assert_eq!(sets.len(), 5);
        let mut verdicts = Vec::new();
        for (name, set) in sets {
            let groups: Vec<Vec<f64>> = set["groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| {
                    g.as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_f64().unwrap())
                        .collect()
                })
                .collect();
            let r = anderson_darling_k(&groups).unwrap();
            let t = set["statistic_standardized"].as_f64().unwrap();
            let c = set["critical_5"].as_f64().unwrap();
            assert!(
                (r.standardized - t).abs() <= 1e-10 * t.abs().max(1.0),
                "{name}: {r:?} vs {t}"
            );
            assert!((r.critical_5 - c).abs() <= 1e-12, "{name}: {r:?} vs {c}");
            verdicts.push((name.clone(), r.significant_5()));
        }
        // The sets were drawn so that both verdicts occur.
        assert!(verdicts.iter().any(|v| v.1) && verdicts.iter().any(|v| !v.1));
    }

    /// The critical point for two samples is Scholz & Stephens' t_1(0.05) = 1.961.
    #[test]
    fn the_two_sample_critical_point_is_the_published_one() {
        let r = anderson_darling_k(&[vec![1.0, 2.0, 3.0], vec![2.5, 3.5, 4.0]]).unwrap();
        assert!((r.critical_5 - 1.961).abs() < 1e-12);
    }
}
