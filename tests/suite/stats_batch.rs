//! Batch-effect tests against scipy 1.17 (fixture made by tests/data/make_batch_tests.py):
//! Kruskal-Wallis H and p with ties, two-sample KS D and its asymptotic Kolmogorov p, and
//! Benjamini-Hochberg q values, all to 1e-12.

use std::path::Path;

use radaudit::stats::batch_tests::{benjamini_hochberg, kolmogorov_smirnov, kruskal_wallis};
use radaudit::table::Table;

#[test]
fn kruskal_ks_and_bh_match_scipy() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let input = Table::read(&data.join("batch_tests_input.csv")).unwrap();
    let (features, batches) = (input.text("feature").unwrap(), input.text("batch").unwrap());
    let values = input.numbers("value").unwrap();
    let group = |f: &str, b: &str| -> Vec<f64> {
        (0..values.len())
            .filter(|&i| features[i] == f && batches[i] == b)
            .map(|i| values[i])
            .collect()
    };
    let gold = Table::read(&data.join("batch_tests_scipy.csv")).unwrap();
    let (gf, test, pair) = (
        gold.text("feature").unwrap(),
        gold.text("test").unwrap(),
        gold.text("pair").unwrap(),
    );
    let stat = gold.optional_numbers("statistic").unwrap();
    let p = gold.numbers("p").unwrap();
    let mut kruskal_p = Vec::new();
    let mut checked = 0;
    for k in 0..gf.len() {
        match test[k] {
            "kruskal" => {
                let groups: Vec<Vec<f64>> =
                    ["A", "B", "C"].iter().map(|b| group(gf[k], b)).collect();
                let (h, pk) = kruskal_wallis(&groups).unwrap();
                assert!((h - stat[k].unwrap()).abs() <= 1e-12, "{} H {h}", gf[k]);
                assert!((pk - p[k]).abs() <= 1e-12, "{} p {pk} vs {}", gf[k], p[k]);
                kruskal_p.push(pk);
            }
            "ks" => {
                let (a, b) = pair[k].split_once('-').unwrap();
                let (d, pk) = kolmogorov_smirnov(&group(gf[k], a), &group(gf[k], b)).unwrap();
                assert!(
                    (d - stat[k].unwrap()).abs() <= 1e-12,
                    "{} {} D",
                    gf[k],
                    pair[k]
                );
                assert!(
                    (pk - p[k]).abs() <= 1e-12,
                    "{} {} p {pk} vs {}",
                    gf[k],
                    pair[k],
                    p[k]
                );
            }
            "bh_q_of_kruskal" => {}
            other => panic!("{other}"),
        }
        checked += 1;
    }
    let q = benjamini_hochberg(&kruskal_p);
    let gold_q: Vec<f64> = (0..gf.len())
        .filter(|&k| test[k] == "bh_q_of_kruskal")
        .map(|k| p[k])
        .collect();
    assert_eq!(q.len(), gold_q.len());
    for (a, b) in q.iter().zip(&gold_q) {
        assert!((a - b).abs() <= 1e-12, "q {a} vs {b}");
    }
    assert_eq!(checked, 40);
    // The fixture holds both kinds of feature: some with a batch effect, some without.
    assert!(kruskal_p.iter().any(|p| *p < 0.01) && kruskal_p.iter().any(|p| *p > 0.2));
}
