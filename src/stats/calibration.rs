//! Calibration of predicted risks against binary outcomes: the Brier score, the calibration
//! slope (logistic regression y ~ 1 + logit p) and calibration-in-the-large (y ~ 1 with offset
//! logit p), with standard errors, fitted by iteratively reweighted least squares as a
//! binomial GLM.

/// Calibration summary of one risk score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    /// Brier score.
    pub brier: f64,
    /// Calibration slope (logistic regression of the outcome on logit p).
    pub slope: f64,
    /// The intercept of that regression.
    pub slope_intercept: f64,
    /// Standard error of the slope.
    pub slope_se: f64,
    /// Calibration-in-the-large: the intercept with logit p as offset.
    pub intercept: f64,
    /// Standard error of the calibration-in-the-large.
    pub intercept_se: f64,
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Binomial GLM by IRLS with an intercept and optionally one covariate, plus an offset.
/// Returns (coefficients, standard errors).
fn logistic(x: Option<&[f64]>, offset: &[f64], y: &[f64]) -> Result<(Vec<f64>, Vec<f64>), String> {
    let p = if x.is_some() { 2 } else { 1 };
    let row = |i: usize| -> [f64; 2] { [1.0, x.map_or(0.0, |v| v[i])] };
    let mut beta = vec![0.0; p];
    let mut info = [[0.0; 2]; 2];
    for _ in 0..100 {
        let mut xtwx = [[0.0; 2]; 2];
        let mut xtwz = [0.0; 2];
        for i in 0..y.len() {
            let r = row(i);
            let eta = offset[i] + (0..p).map(|k| r[k] * beta[k]).sum::<f64>();
            let mu = expit(eta);
            let w = mu * (1.0 - mu);
            if w <= 0.0 {
                return Err("fitted risks reach 0 or 1: the logistic fit does not converge".into());
            }
            let z = eta - offset[i] + (y[i] - mu) / w;
            for a in 0..p {
                xtwz[a] += r[a] * w * z;
                for b in 0..p {
                    xtwx[a][b] += r[a] * w * r[b];
                }
            }
        }
        info = xtwx;
        let new: Vec<f64> = if p == 1 {
            vec![xtwz[0] / xtwx[0][0]]
        } else {
            let det = xtwx[0][0] * xtwx[1][1] - xtwx[0][1] * xtwx[1][0];
            if det == 0.0 {
                return Err("the risks do not vary: the calibration slope is undefined".into());
            }
            vec![
                (xtwx[1][1] * xtwz[0] - xtwx[0][1] * xtwz[1]) / det,
                (xtwx[0][0] * xtwz[1] - xtwx[1][0] * xtwz[0]) / det,
            ]
        };
        let change = new
            .iter()
            .zip(&beta)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        beta = new;
        if change < 1e-13 {
            break;
        }
    }
    // Standard errors from the information matrix at the estimate.
    let se = if p == 1 {
        vec![(1.0 / info[0][0]).sqrt()]
    } else {
        let det = info[0][0] * info[1][1] - info[0][1] * info[1][0];
        vec![(info[1][1] / det).sqrt(), (info[0][0] / det).sqrt()]
    };
    Ok((beta, se))
}

/// Brier score, calibration slope and calibration-in-the-large of `risk` for outcomes `y`
/// (0/1). Risks must lie strictly between 0 and 1.
pub fn calibration(risk: &[f64], y: &[f64]) -> Result<Calibration, String> {
    if risk.len() != y.len() {
        return Err(format!("{} risks for {} outcomes", risk.len(), y.len()));
    }
    if let Some(r) = risk.iter().find(|r| !(**r > 0.0 && **r < 1.0)) {
        return Err(format!("risk {r} is not strictly between 0 and 1"));
    }
    if y.iter().any(|v| *v != 0.0 && *v != 1.0) {
        return Err("outcomes must be 0 or 1".into());
    }
    let n = y.len() as f64;
    let brier = risk
        .iter()
        .zip(y)
        .map(|(p, o)| (p - o).powi(2))
        .sum::<f64>()
        / n;
    let lp: Vec<f64> = risk.iter().map(|p| logit(*p)).collect();
    let zeros = vec![0.0; y.len()];
    let (b1, se1) = logistic(Some(&lp), &zeros, y)?;
    let (b0, se0) = logistic(None, &lp, y)?;
    Ok(Calibration {
        brier,
        slope: b1[1],
        slope_intercept: b1[0],
        slope_se: se1[1],
        intercept: b0[0],
        intercept_se: se0[0],
    })
}
