//! Decision-curve analysis (Vickers & Elkin 2006), as the dcurves package computes it: at
//! threshold probability t, a patient is treated when risk >= t, and
//! NB(t) = TP/N - t/(1 - t) · FP/N; "treat all" has NB = prevalence - t/(1-t)(1 - prevalence);
//! interventions avoided per patient = (NB - NB_all) / (t / (1 - t)).

/// Net benefit of one strategy at one threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetBenefit {
    /// The threshold probability.
    pub threshold: f64,
    /// Share of subjects the strategy calls positive.
    pub test_pos_rate: f64,
    /// True positives over all subjects.
    pub tp_rate: f64,
    /// False positives over all subjects.
    pub fp_rate: f64,
    /// Net benefit: tp_rate - fp_rate x pt / (1 - pt).
    pub net_benefit: f64,
    /// Net interventions avoided per subject.
    pub net_intervention_avoided: f64,
}

/// The thresholds 0.01, 0.02, ..., 0.99 (computed as i / 100, as dcurves' users pass them).
pub fn percent_thresholds() -> Vec<f64> {
    (1..100).map(|i| i as f64 / 100.0).collect()
}

/// Net benefit of treating by `risk` (outcomes `y`, 0/1) at each threshold.
pub fn net_benefit(risk: &[f64], y: &[f64], thresholds: &[f64]) -> Vec<NetBenefit> {
    let n = y.len() as f64;
    let prevalence = y.iter().sum::<f64>() / n;
    thresholds
        .iter()
        .map(|&t| {
            let (mut pos, mut tp, mut fp) = (0usize, 0usize, 0usize);
            for (r, o) in risk.iter().zip(y) {
                if *r >= t {
                    pos += 1;
                    if *o == 1.0 {
                        tp += 1;
                    } else {
                        fp += 1;
                    }
                }
            }
            let odds = t / (1.0 - t);
            let (tp_rate, fp_rate) = (tp as f64 / n, fp as f64 / n);
            let nb = tp_rate - odds * fp_rate;
            let nb_all = prevalence - odds * (1.0 - prevalence);
            NetBenefit {
                threshold: t,
                test_pos_rate: pos as f64 / n,
                tp_rate,
                fp_rate,
                net_benefit: nb,
                net_intervention_avoided: (nb - nb_all) / odds,
            }
        })
        .collect()
}

/// Net benefit of treating everyone.
pub fn treat_all(y: &[f64], thresholds: &[f64]) -> Vec<NetBenefit> {
    net_benefit(&vec![1.0; y.len()], y, thresholds)
}
