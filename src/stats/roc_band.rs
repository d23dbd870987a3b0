//! The empirical ROC curve and a pointwise confidence band for it: at each specificity of a
//! grid, the 95% percentile interval of the sensitivity over stratified bootstrap resamples
//! (events and non-events resampled separately, as pROC's `ci.se` does by default). The
//! sensitivity at a specificity is read off the curve's polyline: the top of a vertical step,
//! linear between the corners of a diagonal (tied) segment.

use rand::RngExt;

use crate::perturb::random;

/// ROC curve points (1 - specificity, sensitivity) of scores where higher means the event,
/// from (0, 0) to (1, 1); tied scores make one diagonal segment.
pub fn roc_points(scores: &[f64], labels: &[bool]) -> Vec<(f64, f64)> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let pos = labels.iter().filter(|&&l| l).count() as f64;
    let neg = labels.len() as f64 - pos;
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut points = vec![(0.0, 0.0)];
    let mut k = 0;
    while k < order.len() {
        let v = scores[order[k]];
        while k < order.len() && scores[order[k]] == v {
            if labels[order[k]] {
                tp += 1.0
            } else {
                fp += 1.0
            }
            k += 1;
        }
        points.push((fp / neg, tp / pos));
    }
    points
}

/// The sensitivity of a curve from [`roc_points`] at false-positive rate `fpr`.
pub fn sensitivity_at(points: &[(f64, f64)], fpr: f64) -> f64 {
    let mut best = f64::NEG_INFINITY;
    for w in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if x0 <= fpr && fpr <= x1 {
            let y = if x1 > x0 {
                y0 + (y1 - y0) * (fpr - x0) / (x1 - x0)
            } else {
                y1.max(y0)
            };
            best = best.max(y);
        }
    }
    best
}

/// One point of the band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandPoint {
    /// The specificity.
    pub specificity: f64,
    /// Lower end of the sensitivity's 95% band.
    pub low: f64,
    /// Upper end of the sensitivity's 95% band.
    pub high: f64,
}

/// The 95% band of sensitivity at specificities 0, 1/steps, ..., 1 over `resamples` stratified
/// bootstrap resamples from the seeded stream named by `seed` and `name`.
pub fn sensitivity_band(
    scores: &[f64],
    labels: &[bool],
    steps: usize,
    resamples: usize,
    seed: u64,
    name: &str,
) -> Vec<BandPoint> {
    let events: Vec<usize> = (0..labels.len()).filter(|&i| labels[i]).collect();
    let others: Vec<usize> = (0..labels.len()).filter(|&i| !labels[i]).collect();
    if events.is_empty() || others.is_empty() || resamples == 0 || steps == 0 {
        return Vec::new();
    }
    let mut rng = random::stream(seed, "roc band", name);
    let mut draws = vec![Vec::with_capacity(resamples); steps + 1];
    let (mut s, mut l) = (Vec::new(), Vec::new());
    for _ in 0..resamples {
        s.clear();
        l.clear();
        for group in [&events, &others] {
            for _ in 0..group.len() {
                let i = group[rng.random_range(0..group.len())];
                s.push(scores[i]);
                l.push(labels[i]);
            }
        }
        let curve = roc_points(&s, &l);
        for (k, d) in draws.iter_mut().enumerate() {
            d.push(sensitivity_at(&curve, 1.0 - k as f64 / steps as f64));
        }
    }
    draws
        .into_iter()
        .enumerate()
        .map(|(k, mut d)| {
            d.sort_by(f64::total_cmp);
            BandPoint {
                specificity: k as f64 / steps as f64,
                low: super::percentile(&d, 0.025),
                high: super::percentile(&d, 0.975),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitivity_is_read_off_steps_and_tied_diagonals() {
        // Scores 4 (event), 3 (non-event), 2 and 2 (one of each), 1 (event): 3 events, 2 not.
        let labels = [true, false, true, false, true];
        let points = roc_points(&[4.0, 3.0, 2.0, 2.0, 1.0], &labels);
        assert_eq!(
            points,
            vec![
                (0.0, 0.0),
                (0.0, 1.0 / 3.0),
                (0.5, 1.0 / 3.0),
                (1.0, 2.0 / 3.0),
                (1.0, 1.0)
            ]
        );
        // The vertical step at fpr 0 gives its top; the tied segment is linear.
        assert_eq!(sensitivity_at(&points, 0.0), 1.0 / 3.0);
        assert!((sensitivity_at(&points, 0.75) - 0.5).abs() < 1e-12);
        assert_eq!(sensitivity_at(&points, 1.0), 1.0);
    }

    #[test]
    fn a_perfect_classifier_has_a_degenerate_band_and_chance_a_wide_one() {
        let labels: Vec<bool> = (0..60).map(|i| i % 2 == 0).collect();
        let perfect: Vec<f64> = labels.iter().map(|&l| f64::from(u8::from(l))).collect();
        for b in sensitivity_band(&perfect, &labels, 10, 200, 1, "t") {
            assert_eq!((b.low, b.high), (1.0, 1.0));
        }
        let noise: Vec<f64> = (0..60).map(|i| ((i * 37) % 61) as f64).collect();
        let band = sensitivity_band(&noise, &labels, 10, 400, 1, "t");
        assert_eq!(band.len(), 11);
        let mid = band[5];
        assert!(
            mid.low < 0.5 && mid.high > 0.5 && mid.high - mid.low > 0.2,
            "{mid:?}"
        );
        assert_eq!(band[0].specificity, 0.0);
        assert_eq!((band[0].low, band[0].high), (1.0, 1.0));
    }
}
