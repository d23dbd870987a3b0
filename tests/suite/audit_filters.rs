//! `protocols/vertebra-ct-filters.yaml`, the default cohort audited with Wavelet and LoG
//! features (1,037 per case): it runs, 1 and 2 threads give byte-identical tables, every
//! stability row names its image type and class, the verdict counts per image type and
//! class, and the report groups them (a heatmap of image type x class x axis, per-feature
//! tables per image type), well-formed and rendered by headless Chromium where present.

use std::path::Path;

use crate::common;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn the_filters_protocol_audits_wavelet_and_log_features_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    let protocol = Path::new(env!("CARGO_MANIFEST_DIR")).join("protocols/vertebra-ct-filters.yaml");
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    let started = std::time::Instant::now();
    let run = common::radaudit(["audit", s(&protocol), "--out", s(&two), "--threads", "2"]);
    println!(
        "filters audit, 2 threads: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let run = common::radaudit(["audit", s(&protocol), "--out", s(&one), "--threads", "1"]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    for f in [
        "features.csv",
        "stability.csv",
        "harmonized_stability.csv",
        "summary.json",
    ] {
        assert!(
            std::fs::read(one.join(f)).unwrap() == std::fs::read(two.join(f)).unwrap(),
            "{f} differs between 1 and 2 threads"
        );
    }
    let stability = std::fs::read_to_string(two.join("stability.csv")).unwrap();
    let mut images = std::collections::BTreeSet::new();
    for line in stability.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let (feature, image, family) = (cells[0], cells[1], cells[2]);
        assert!(feature.starts_with(&format!("{image}_{family}_")), "{line}");
        images.insert(image.to_string());
    }
    // Original, 8 wavelet decompositions, 2 LoG sigmas.
    assert_eq!(images.len(), 11, "{images:?}");
    assert!(images.contains("wavelet-LLL") && images.contains("log-sigma-3-0-mm-3D"));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(two.join("summary.json")).unwrap()).unwrap();
    let families = summary["families"].as_array().unwrap();
    let on = |image: &str, family: &str, axis: &str| {
        families
            .iter()
            .find(|f| f["image"] == image && f["family"] == family && f["axis"] == axis)
            .map(|f| f["features"].as_u64().unwrap())
    };
    assert_eq!(on("wavelet-HHL", "glcm", "kvp"), Some(24));
    assert_eq!(on("original", "shape", "kvp"), Some(14));
    assert_eq!(on("log-sigma-1-0-mm-3D", "shape", "kvp"), None);

    let html = std::fs::read_to_string(two.join("report.html")).unwrap();
    common::check_report(&html);
    assert!(html.contains("id=\"grouped-heatmap\""));
    assert!(html.contains("wavelet-LLH · glcm"));
    let table_images: std::collections::BTreeSet<&str> = html
        .split("<tr data-feature=")
        .skip(1)
        .filter_map(|row| row.split("data-image=\"").nth(1)?.split('"').next())
        .collect();
    assert_eq!(
        table_images.len(),
        11,
        "every image type in the feature table"
    );
    assert_eq!(
        html.matches("<tr data-feature=").count(),
        stability
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        "one row per feature"
    );
    if let Some(browser) = common::chromium() {
        let dom = common::rendered_dom(&browser, &two.join("report.html"), dir.path());
        let at = dom
            .find("id=\"grouped-heatmap\"")
            .expect("grouped heatmap rendered");
        assert!(dom[at..].contains("<svg"));
        assert!(dom.contains("log-sigma-3-0-mm-3D_glcm_Contrast"));
    }
}
