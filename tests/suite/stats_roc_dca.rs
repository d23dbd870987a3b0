//! ROC/DeLong against the 36 values pROC publishes for its aSAH data (printed precision where
//! printed, 1e-9 otherwise), the placements pROC's tests expect, and decision curves /
//! calibration against dcurves and statsmodels golden files (`reference/stats/{roc,dca}`).

use crate::common;

use radaudit::stats::calibration::calibration;
use radaudit::stats::dca::{net_benefit, percent_thresholds, treat_all};
use radaudit::stats::roc::{auc, delong_covariance, paired_test, placements, unpaired_test};
use radaudit::table::Table;

struct Asah {
    labels: Vec<bool>,
    female: Vec<bool>,
    markers: Vec<(String, Vec<f64>)>,
}

fn asah(dir: &std::path::Path) -> Asah {
    let t = Table::read(&dir.join("aSAH.csv")).unwrap();
    Asah {
        labels: t
            .numbers("y_poor")
            .unwrap()
            .iter()
            .map(|v| *v == 1.0)
            .collect(),
        female: t
            .text("gender")
            .unwrap()
            .iter()
            .map(|g| *g == "Female")
            .collect(),
        markers: ["wfns", "s100b", "ndka"]
            .iter()
            .map(|m| (m.to_string(), t.numbers(m).unwrap()))
            .collect(),
    }
}

impl Asah {
    fn marker(&self, name: &str) -> &[f64] {
        &self.markers.iter().find(|(n, _)| n == name).unwrap().1
    }
}

fn round_significant(v: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits - 1 - v.abs().log10().floor() as i32);
    (v * scale).round() / scale
}

#[test]
fn the_36_published_proc_values() {
    let dir = reference_or_skip!().join("stats/roc");
    let data = asah(&dir);
    let published = Table::read(&dir.join("pROC_published.csv")).unwrap();
    let quantities = published.text("quantity").unwrap();
    let markers = published.text("markers").unwrap();
    let values = published.numbers("published_value").unwrap();
    let sources = published.text("source").unwrap();
    // 36 distinct values plus the CI midpoint of ndka, which repeats its AUC.
    assert_eq!(values.len(), 37);
    for k in 0..values.len() {
        let (q, m, want) = (quantities[k], markers[k], values[k]);
        let ours = if let Some(single) = m.strip_suffix("[gender==Female]") {
            let keep: Vec<usize> = (0..data.labels.len()).filter(|&i| data.female[i]).collect();
            let s: Vec<f64> = keep.iter().map(|&i| data.marker(single)[i]).collect();
            let l: Vec<bool> = keep.iter().map(|&i| data.labels[i]).collect();
            let a = auc(&s, &l).unwrap();
            match q {
                "auc" => a.auc,
                "ci95_lower_delong" => a.ci_low,
                "ci95_upper_delong" => a.ci_high,
                _ => panic!("{q}"),
            }
        } else if let Some((m1, m2)) = m.split_once(',') {
            let (a, b) = (data.marker(m1), data.marker(m2));
            let p = paired_test(a, b, &data.labels).unwrap();
            let u = unpaired_test(a, &data.labels, b, &data.labels).unwrap();
            match q {
                "cov_delong" => delong_covariance(&[a, b], &data.labels).unwrap().1[0][1],
                "paired_Z" => p.z,
                "paired_p_two_sided" => p.p_two_sided,
                "paired_p_greater" => p.p_greater,
                "paired_p_less" => p.p_less,
                "paired_diff_ci95_lower" => p.ci_low,
                "paired_diff_ci95_upper" => p.ci_high,
                "unpaired_D" => u.d,
                "unpaired_p_two_sided" => u.p_two_sided,
                "unpaired_p_greater" => u.p_greater,
                "unpaired_p_less" => u.p_less,
                _ => panic!("{q}"),
            }
        } else {
            let a = auc(data.marker(m), &data.labels).unwrap();
            match q {
                "auc" | "ci95_mid_delong" => a.auc,
                "var_delong" => a.variance,
                "ci95_lower_delong" => a.ci_low,
                "ci95_upper_delong" => a.ci_high,
                _ => panic!("{q}"),
            }
        };
        if sources[k].contains("printed, 4 significant digits") {
            assert_eq!(round_significant(ours, 4), want, "{q} {m}: {ours}");
        } else if m.contains("[gender==Female]") {
            // Published to 10 decimals.
            assert!((ours - want).abs() <= 5e-11, "{q} {m}: {ours} vs {want}");
        } else {
            assert!((ours - want).abs() <= 1e-9, "{q} {m}: {ours} vs {want}");
        }
    }
}

#[test]
fn placements_equal_procs_expected() {
    let dir = reference_or_skip!().join("stats/roc");
    let data = asah(&dir);
    for marker in ["wfns", "s100b", "ndka"] {
        let p = placements(data.marker(marker), &data.labels).unwrap();
        let t = Table::read(&dir.join(format!("placements_{marker}.csv"))).unwrap();
        let kinds = t.text("kind").unwrap();
        let expected = t.numbers("placement_pROC").unwrap();
        let (cases, controls): (Vec<_>, Vec<_>) =
            (0..kinds.len()).partition(|&k| kinds[k] == "case");
        assert_eq!(cases.len(), p.v10.len());
        for (ours, k) in p.v10.iter().zip(&cases).chain(p.v01.iter().zip(&controls)) {
            assert!((ours - expected[*k]).abs() <= 1e-12, "{marker}");
        }
    }
}

#[test]
fn decision_curves_match_dcurves_at_99_thresholds() {
    let dir = reference_or_skip!().join("stats/dca");
    let data = Table::read(&dir.join("dca_data.csv")).unwrap();
    let y = data.numbers("y").unwrap();
    let gold = Table::read(&dir.join("dcurves_net_benefit.csv")).unwrap();
    let models = gold.text("model").unwrap();
    let thresholds = percent_thresholds();
    assert_eq!(thresholds.len(), 99);
    let mut checked = 0;
    for model in ["model_a", "model_b", "all"] {
        let ours = if model == "all" {
            treat_all(&y, &thresholds)
        } else {
            net_benefit(&data.numbers(model).unwrap(), &y, &thresholds)
        };
        let rows: Vec<usize> = (0..models.len()).filter(|&k| models[k] == model).collect();
        assert_eq!(rows.len(), 99, "{model}");
        for (nb, &k) in ours.iter().zip(&rows) {
            let g = |c: &str| gold.numbers(c).unwrap()[k];
            assert_eq!(nb.threshold, g("threshold"));
            for (v, c) in [
                (nb.net_benefit, "net_benefit"),
                (nb.test_pos_rate, "test_pos_rate"),
                (nb.tp_rate, "tp_rate"),
                (nb.fp_rate, "fp_rate"),
            ] {
                assert!(
                    (v - g(c)).abs() <= 1e-12,
                    "{model} t={} {c}: {v} vs {}",
                    nb.threshold,
                    g(c)
                );
            }
            if model != "all" {
                let v = nb.net_intervention_avoided;
                assert!(
                    (v - g("net_intervention_avoided")).abs() <= 1e-12,
                    "{model} {}",
                    nb.threshold
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 297);
}

#[test]
fn brier_and_calibration_match_sklearn_and_statsmodels() {
    let dir = reference_or_skip!().join("stats/dca");
    let data = Table::read(&dir.join("dca_data.csv")).unwrap();
    let y = data.numbers("y").unwrap();
    let gold: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("discrimination_calibration_reference.json")).unwrap(),
    )
    .unwrap();
    for model in ["model_a", "model_b"] {
        let risk = data.numbers(model).unwrap();
        let c = calibration(&risk, &y).unwrap();
        let g = |k: &str| gold[model][k].as_f64().unwrap();
        for (ours, key) in [
            (c.brier, "brier"),
            (c.slope, "cal_slope"),
            (c.slope_intercept, "cal_slope_intercept"),
            (c.slope_se, "cal_slope_se"),
            (c.intercept, "citl_intercept"),
            (c.intercept_se, "citl_se"),
        ] {
            assert!(
                (ours - g(key)).abs() <= 1e-6,
                "{model} {key}: {ours} vs {}",
                g(key)
            );
        }
        let labels: Vec<bool> = y.iter().map(|v| *v == 1.0).collect();
        let a = auc(&risk, &labels).unwrap();
        assert!((a.auc - g("auc_sklearn")).abs() <= 1e-12);
        assert!((a.variance - g("var_delong")).abs() <= 1e-12);
    }
    let labels: Vec<bool> = y.iter().map(|v| *v == 1.0).collect();
    let p = paired_test(
        &data.numbers("model_a").unwrap(),
        &data.numbers("model_b").unwrap(),
        &labels,
    )
    .unwrap();
    let g = &gold["paired_delong_model_a_vs_model_b"];
    assert!((p.z - g["Z"].as_f64().unwrap()).abs() <= 1e-9);
    assert!((p.p_two_sided - g["p_two_sided"].as_f64().unwrap()).abs() <= 1e-12);
}
