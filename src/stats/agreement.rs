//! Agreement between repeated measurements beyond the ICC: Lin's concordance correlation
//! coefficient with its CI, the coefficient of variation, and the within-subject SD.

use statrs::distribution::{ContinuousCDF, Normal};

use super::mean_var;

/// Lin's (1989) concordance correlation coefficient and its pieces.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ccc {
    /// Pairs used.
    pub n: usize,
    /// The concordance correlation coefficient.
    pub ccc: f64,
    /// Pearson's correlation r (precision).
    pub pearson_r: f64,
    /// Bias correction factor C_b = ccc / r (accuracy).
    pub bias_correction: f64,
    /// Location shift u = (mean_y - mean_x) / (s_x² s_y²)^¼.
    pub location_shift: f64,
    /// Lin's asymptotic standard error of the CCC.
    pub se: f64,
    /// 95% CI on the Fisher z scale (as R epiR::epi.ccc, ci = "z-transform").
    pub ci_low: f64,
    /// Upper end of the 95% CI.
    pub ci_high: f64,
}

/// Lin's CCC of paired measurements, with 1/n moments:
/// ρc = 2 s_xy / (s_x² + s_y² + (mean_x - mean_y)²). The CI uses Lin's asymptotic SE on the
/// Fisher z scale (Lin 1989, 2000). Needs at least 3 pairs and some variation.
pub fn lin_ccc(x: &[f64], y: &[f64]) -> Result<Ccc, String> {
    let n = x.len();
    if n != y.len() {
        return Err(format!("CCC needs paired values: {} and {}", n, y.len()));
    }
    if n < 3 {
        return Err(format!("CCC needs at least 3 pairs, got {n}"));
    }
    let nf = n as f64;
    let mx = x.iter().sum::<f64>() / nf;
    let my = y.iter().sum::<f64>() / nf;
    let sx2 = x.iter().map(|v| (v - mx).powi(2)).sum::<f64>() / nf;
    let sy2 = y.iter().map(|v| (v - my).powi(2)).sum::<f64>() / nf;
    let sxy = x
        .iter()
        .zip(y)
        .map(|(a, b)| (a - mx) * (b - my))
        .sum::<f64>()
        / nf;
    if sx2 == 0.0 || sy2 == 0.0 {
        return Err("CCC is undefined when a measurement does not vary".into());
    }
    let p = 2.0 * sxy / (sx2 + sy2 + (mx - my).powi(2));
    let r = sxy / (sx2 * sy2).sqrt();
    let u = (my - mx) / (sx2 * sy2).powf(0.25);
    let se = (((1.0 - r.powi(2)) * p.powi(2) * (1.0 - p.powi(2)) / r.powi(2)
        + 2.0 * p.powi(3) * (1.0 - p) * u.powi(2) / r
        - 0.5 * p.powi(4) * u.powi(4) / r.powi(2))
        / (nf - 2.0))
        .sqrt();
    let zq = Normal::standard().inverse_cdf(1.0 - 0.05 / 2.0);
    let z = p.atanh();
    let se_z = se / (1.0 - p.powi(2));
    Ok(Ccc {
        n,
        ccc: p,
        pearson_r: r,
        bias_correction: p / r,
        location_shift: u,
        se,
        ci_low: (z - zq * se_z).tanh(),
        ci_high: (z + zq * se_z).tanh(),
    })
}

/// Coefficient of variation: sample SD (n - 1) over the mean.
pub fn coefficient_of_variation(values: &[f64]) -> f64 {
    let (mean, var) = mean_var(values);
    var.sqrt() / mean
}

/// Within-subject SD: the root of the mean within-subject variance (each with n_i - 1), over
/// subjects with at least two measurements (Bland & Altman 1996).
pub fn within_subject_sd(subjects: &[Vec<f64>]) -> f64 {
    let variances: Vec<f64> = subjects
        .iter()
        .filter(|s| s.len() >= 2)
        .map(|s| mean_var(s).1)
        .collect();
    (variances.iter().sum::<f64>() / variances.len() as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_subject_sd_and_cv_by_hand() {
        // Pairs (10, 12) and (20, 23): variances 2 and 4.5, mean 3.25, wSD = sqrt(3.25).
        let w = within_subject_sd(&[vec![10.0, 12.0], vec![20.0, 23.0]]);
        assert!((w - 3.25f64.sqrt()).abs() < 1e-15);
        // 2, 4, 6: SD 2, mean 4.
        assert!((coefficient_of_variation(&[2.0, 4.0, 6.0]) - 0.5).abs() < 1e-15);
    }
}
