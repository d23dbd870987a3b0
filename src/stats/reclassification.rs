//! Agreement and reclassification between two risk scores or categorisations: Cohen's kappa
//! with its confusion matrix, the net reclassification improvement (categorical, with
//! declared cut points, and continuous) and the integrated discrimination improvement
//! (Pencina et al., Stat Med 2008 and 2011), with percentile bootstrap CIs from a seeded
//! ChaCha8 stream.

use rand::RngExt;

use crate::perturb::random;

/// Cohen's kappa of two categorisations (category indices 0..k) of the same subjects, and
/// the k x k confusion matrix (rows: first rater).
pub fn cohen_kappa(a: &[usize], b: &[usize], k: usize) -> Result<(f64, Vec<Vec<usize>>), String> {
    if a.len() != b.len() || a.is_empty() {
        return Err("kappa needs two equally long, non-empty categorisations".into());
    }
    let mut m = vec![vec![0usize; k]; k];
    for (&x, &y) in a.iter().zip(b) {
        if x >= k || y >= k {
            return Err(format!("category {} is outside 0..{k}", x.max(y)));
        }
        m[x][y] += 1;
    }
    let n = a.len() as f64;
    let observed = (0..k).map(|i| m[i][i]).sum::<usize>() as f64 / n;
    let expected: f64 = (0..k)
        .map(|i| {
            let row: usize = m[i].iter().sum();
            let col: usize = m.iter().map(|r| r[i]).sum();
            row as f64 * col as f64 / (n * n)
        })
        .sum();
    if expected == 1.0 {
        return Err("both raters put every subject in one category: kappa is undefined".into());
    }
    Ok(((observed - expected) / (1.0 - expected), m))
}

/// NRI and IDI of a new risk against an old one.
#[derive(Debug, Clone, PartialEq)]
pub struct Reclassification {
    /// Categorical NRI with the declared cut points (events' net up minus non-events' net up).
    pub nri_categorical: f64,
    pub nri_events: f64,
    pub nri_nonevents: f64,
    /// Continuous (category-free) NRI.
    pub nri_continuous: f64,
    pub idi: f64,
}

fn category(p: f64, cuts: &[f64]) -> usize {
    cuts.iter().filter(|&&c| p >= c).count()
}

/// Counts for one outcome class: moves across a cut point, any rise or fall, the summed
/// change in risk, and the class size.
#[derive(Default)]
struct Moves {
    up: f64,
    down: f64,
    rises: f64,
    falls: f64,
    change: f64,
    n: f64,
}

/// The reclassification measures on the subjects `idx`.
fn measures(
    old: &[f64],
    new: &[f64],
    events: &[bool],
    cuts: &[f64],
    idx: &[usize],
) -> Option<Reclassification> {
    let mut by_class = [Moves::default(), Moves::default()]; // non-events, events
    for &i in idx {
        let m = &mut by_class[usize::from(events[i])];
        let (co, cn) = (category(old[i], cuts), category(new[i], cuts));
        let d = new[i] - old[i];
        m.n += 1.0;
        m.change += d;
        m.up += f64::from(u8::from(cn > co));
        m.down += f64::from(u8::from(cn < co));
        m.rises += f64::from(u8::from(d > 0.0));
        m.falls += f64::from(u8::from(d < 0.0));
    }
    let [non, ev] = by_class;
    if ev.n == 0.0 || non.n == 0.0 {
        return None;
    }
    let nri_events = (ev.up - ev.down) / ev.n;
    let nri_nonevents = (non.down - non.up) / non.n;
    Some(Reclassification {
        nri_categorical: nri_events + nri_nonevents,
        nri_events,
        nri_nonevents,
        nri_continuous: (ev.rises - ev.falls) / ev.n + (non.falls - non.rises) / non.n,
        idi: ev.change / ev.n - non.change / non.n,
    })
}

/// The measures with 95% percentile bootstrap CIs over `resamples` resamples of subjects.
/// Each CI is (low, high) in the order of the fields of `Reclassification`.
pub fn reclassification(
    old: &[f64],
    new: &[f64],
    events: &[bool],
    cuts: &[f64],
    resamples: usize,
    seed: u64,
) -> Result<(Reclassification, [(f64, f64); 5]), String> {
    let n = old.len();
    if new.len() != n || events.len() != n {
        return Err("old, new and outcome differ in length".into());
    }
    let all: Vec<usize> = (0..n).collect();
    let point =
        measures(old, new, events, cuts, &all).ok_or("both events and non-events are needed")?;
    let mut rng = random::stream(seed, "reclassification", "bootstrap");
    let mut draws: [Vec<f64>; 5] = Default::default();
    let mut idx = vec![0usize; n];
    for _ in 0..resamples {
        for v in idx.iter_mut() {
            *v = rng.random_range(0..n);
        }
        if let Some(m) = measures(old, new, events, cuts, &idx) {
            for (d, v) in draws.iter_mut().zip([
                m.nri_categorical,
                m.nri_events,
                m.nri_nonevents,
                m.nri_continuous,
                m.idi,
            ]) {
                d.push(v);
            }
        }
    }
    let ci = draws.map(|mut d| {
        if d.is_empty() {
            return (f64::NAN, f64::NAN);
        }
        d.sort_by(f64::total_cmp);
        (super::percentile(&d, 0.025), super::percentile(&d, 0.975))
    });
    Ok((point, ci))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kappa_of_the_textbook_two_by_two() {
        // 50 items: both yes 20, first yes second no 5, first no second yes 10, both no 15:
        // p_o = 0.7, p_e = 0.5, kappa = 0.4.
        let mut a = Vec::new();
        let mut b = Vec::new();
        for (x, y, count) in [(1, 1, 20), (1, 0, 5), (0, 1, 10), (0, 0, 15)] {
            for _ in 0..count {
                a.push(x);
                b.push(y);
            }
        }
        let (k, m) = cohen_kappa(&a, &b, 2).unwrap();
        assert!((k - 0.4).abs() < 1e-12);
        assert_eq!(m, vec![vec![15, 10], vec![5, 20]]);
    }

    #[test]
    fn nri_and_idi_by_hand() {
        // Events 0-2, non-events 3-5; cut point 0.2.
        let old = [0.10, 0.30, 0.25, 0.10, 0.30, 0.15];
        let new = [0.30, 0.35, 0.15, 0.05, 0.10, 0.25];
        let events = [true, true, true, false, false, false];
        let (m, ci) = reclassification(&old, &new, &events, &[0.2], 200, 3).unwrap();
        // Events: 0 up, 2 down (0.25 -> 0.15 crosses 0.2): NRI_e = 0; non-events: 4 down
        // (0.30 -> 0.10), 5 up (0.15 -> 0.25): NRI_ne = 0.
        assert!((m.nri_events - 0.0).abs() < 1e-12 && (m.nri_nonevents - 0.0).abs() < 1e-12);
        // Continuous: events up 2, down 1 -> 1/3; non-events down 2, up 1 -> 1/3.
        assert!((m.nri_continuous - 2.0 / 3.0).abs() < 1e-12);
        // IDI: events' mean change (0.2 + 0.05 - 0.1) / 3 = 0.05; non-events' (-0.05 - 0.2 + 0.1) / 3 = -0.05.
        assert!((m.idi - 0.1).abs() < 1e-12);
        assert!(ci[4].0 <= m.idi && m.idi <= ci[4].1);
    }
}
