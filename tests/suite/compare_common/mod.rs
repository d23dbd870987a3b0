//! Shared by the compare tests: a simulated cohort with a latent bone state, its protocol, and
//! table look-ups.
#![allow(dead_code)]

use std::path::Path;

use radaudit::table::Table;
use rand::RngExt;

/// The row whose cells equal `key`.
pub fn row(t: &Table, key: &[(&str, &str)]) -> usize {
    (0..t.rows.len())
        .find(|&r| {
            key.iter()
                .all(|(c, v)| t.rows[r][t.column(c).unwrap()] == **v)
        })
        .unwrap_or_else(|| panic!("no row {key:?}"))
}

/// A cell as a number.
pub fn num(t: &Table, r: usize, c: &str) -> f64 {
    t.rows[r][t.column(c).unwrap()].parse().unwrap()
}

/// A cohort where osteoporosis follows a latent bone state that the features, the T-score,
/// FRAX and L1 HU all see with noise.
pub fn cohort(dir: &Path, n: usize, events_scale: f64) -> std::path::PathBuf {
    let mut rng = radaudit::perturb::random::stream(9, "compare", "cohort");
    let mut normal = || {
        let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random::<f64>());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    };
    let mut text = String::from("id,osteoporosis,f1,f2,f3,f4,f5,f6,t_score,frax_mof,l1_hu\n");
    for i in 0..n {
        let bone = normal();
        let p = 1.0 / (1.0 + (-(events_scale - 1.8 * bone)).exp());
        let y = u8::from(normal().abs() < 1.0 && p > 0.5 || p > 0.85);
        let f: Vec<f64> = (0..6)
            .map(|j| {
                if j < 3 {
                    50.0 * (bone + 0.6 * normal()) + 100.0
                } else {
                    normal()
                }
            })
            .collect();
        let t = (-1.5 + bone + 0.5 * normal()).clamp(-6.0, 4.0);
        let frax = (100.0 / (1.0 + (2.0 + bone + 0.7 * normal()).exp())).clamp(0.1, 99.0);
        let hu = 140.0 + 40.0 * bone + 15.0 * normal();
        text += &format!(
            "p{i},{y},{},{t},{frax},{hu}\n",
            f.iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(",")
        );
    }
    let path = dir.join("cohort.csv");
    std::fs::write(&path, text).unwrap();
    path
}

/// The protocol comparing a fitted model with T-score, FRAX MOF and L1 HU on `cohort`.
pub fn protocol(dir: &Path, name: &str, cohort: &Path) -> std::path::PathBuf {
    let text = format!(
        r#"name: "{name}"
seed: 4
cohort: {}
id: id
outcome: osteoporosis
model:
  name: radiomics
  feature_prefix: f
  folds: 5
  inner_folds: 4
references:
  - {{name: T-score, column: t_score, direction: lower, scale: tscore, thresholds: [-2.5]}}
  - {{name: FRAX MOF, column: frax_mof, scale: percent, thresholds: [20]}}
  - {{name: L1 HU, column: l1_hu, direction: lower, scale: hu, thresholds: [110, 160]}}
reclassification:
  cut_points: [0.2, 0.5]
  bootstrap: 200
"#,
        cohort.display()
    );
    let p = dir.join("compare.yaml");
    std::fs::write(&p, text).unwrap();
    p
}
