//! Issue 7 acceptance 5: report.html parses (it is written as well-formed XHTML-compatible
//! HTML, so a strict XML parser reads all of it, every SVG included), loads nothing from the
//! network, and escapes user strings (`<script>` in the protocol name and in a case id). Then
//! a real browser: headless Chromium renders it; the charts are in the rendered DOM and the
//! screenshot is not blank. `.ci/run` installs Chromium and sets RADAUDIT_REQUIRE_BROWSER=1;
//! elsewhere the browser part is skipped when Chromium is absent.

use crate::audit_common;
use crate::common;

use std::path::{Path, PathBuf};

use ndarray::Array3;
use radaudit::volume::geometry::IDENTITY;
use radaudit::volume::io::{self, WriteOptions};
use radaudit::volume::{Geometry, Mask, PixelType, Volume};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A CSV-cases protocol with two real cases and a third whose id holds `<script>` and whose
/// image is missing (so it shows up in the report's failure table).
fn hostile_protocol(dir: &Path) -> PathBuf {
    let g = Geometry::new([30, 30, 10], [0.8, 0.8, 2.0], [0.0; 3], IDENTITY).unwrap();
    for (n, shift) in [("a", 0.0f32), ("b", 35.0)] {
        let voxels = Array3::from_shape_fn(g.shape_zyx(), |(k, j, i)| {
            shift + 50.0 * ((i as f32 * 0.9).sin() + (j as f32 * 0.4).cos()) + 3.0 * k as f32
        });
        let labels = Array3::from_shape_fn(g.shape_zyx(), |(k, j, i)| {
            u16::from((8..22).contains(&i) && (8..22).contains(&j) && (2..8).contains(&k))
        });
        io::write_volume(
            &Volume {
                geometry: g.clone(),
                voxels,
                stored_type: PixelType::I16,
            },
            &dir.join(format!("{n}.nii.gz")),
            &WriteOptions::default(),
        )
        .unwrap();
        io::write_mask(
            &Mask {
                geometry: g.clone(),
                labels,
            },
            &dir.join(format!("{n}_mask.nii.gz")),
            &WriteOptions::default(),
        )
        .unwrap();
    }
    std::fs::write(
        dir.join("cases.csv"),
        "case,image,mask\na,a.nii.gz,a_mask.nii.gz\nb,b.nii.gz,b_mask.nii.gz\n<script>alert(1)</script>,gone.nii.gz,a_mask.nii.gz\n",
    )
    .unwrap();
    let protocol = dir.join("hostile.yaml");
    std::fs::write(
        &protocol,
        r#"name: "<script>alert('name')</script> & co"
seed: 3
cases:
  csv: cases.csv
perturbations:
  - axis: noise
    levels: ["noise:sd=5,peak=0.3", "noise:sd=15,peak=0.3"]
"#,
    )
    .unwrap();
    protocol
}

#[test]
fn the_report_is_well_formed_offline_and_escapes_user_strings() {
    let dir = tempfile::tempdir().unwrap();
    let protocol = hostile_protocol(dir.path());
    let out = dir.path().join("run");
    let run = common::radaudit(["audit", s(&protocol), "--out", s(&out)]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let charts = common::check_report(&html);
    assert!(charts >= 2, "{charts} charts");
    // The hostile strings arrive as text: the page's one script is radaudit's own.
    assert!(common::only_own_script(&html), "an unescaped <script>");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;")
            || html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"),
        "the case id is shown escaped"
    );
    assert!(
        html.contains("&lt;script&gt;alert("),
        "the protocol name is shown escaped"
    );
    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap();
    let text: String = doc
        .descendants()
        .filter(|n| n.is_text())
        .map(|n| n.text().unwrap_or(""))
        .collect();
    assert!(
        text.contains("<script>alert(1)</script>"),
        "the browser shows the id as written"
    );
}

#[test]
fn chromium_renders_the_charts() {
    let Some(browser) = common::chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let protocol = audit_common::reduced_protocol(dir.path(), 4, "browser <check>");
    let out = dir.path().join("run");
    let run = common::radaudit(["audit", s(&protocol), "--out", s(&out)]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let report = out.join("report.html");
    let dom = common::rendered_dom(&browser, &report, dir.path());
    for id in ["heatmap", "forest", "combat-bars"] {
        let at = dom
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("{id} not in the rendered DOM"));
        assert!(dom[at..].contains("<svg"), "{id} holds no svg");
    }
    assert!(dom.matches("<rect").count() > 100, "heatmap cells rendered");
    assert!(dom.contains("browser &lt;check&gt;"));
    let ink = common::screenshot_ink(&browser, &report, dir.path());
    println!("screenshot: {:.1}% non-white pixels", 100.0 * ink);
    assert!(ink > 0.01, "the screenshot is blank");
}

/// Issue 23 acceptance 1: the audit's image panels are in the rendered DOM with non-blank
/// pictures (the ROI outline's colour present, the window applied: many grey levels, few
/// clipped), a difference picture beside each noise-free scanner level, and the filter box
/// narrows the per-feature table to a typed name (typed key by key, with input events).
#[test]
fn chromium_shows_the_image_panels_and_the_filter_box_narrows_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let protocol = audit_common::reduced_protocol(dir.path(), 4, "panels");
    let out = dir.path().join("run");
    let run = common::radaudit(["audit", s(&protocol), "--out", s(&out)]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let report = out.join("report.html");
    let html = std::fs::read_to_string(&report).unwrap();
    common::check_report(&html);
    // Baseline and three levels for each of two cases; the two scanner levels keep the grid
    // and change intensities, so each has a difference picture.
    assert_eq!(html.matches("<img class=\"slice\"").count(), 8);
    let differences: Vec<&str> = html
        .split("<img class=\"difference\"")
        .skip(1)
        .filter_map(|tag| tag.split("data-job=\"").nth(1)?.split('"').next())
        .collect();
    assert_eq!(
        differences
            .iter()
            .filter(|j| j.starts_with("scanner="))
            .count(),
        4,
        "{differences:?}"
    );
    assert!(html.contains("the case whose least robust features"));
    println!("report: {} bytes", html.len());
    let Some(browser) = common::chromium() else {
        return;
    };
    let typed = "GrayLevelVariance";
    let script = format!(
        "{}\nwindow.addEventListener('load', function () {{
  var box = document.getElementById('feature-filter');
  var text = '{typed}';
  for (var k = 1; k <= text.length; k += 1) {{
    box.value = text.slice(0, k);
    box.dispatchEvent(new Event('input', {{ bubbles: true }}));
  }}
  var rows = document.querySelectorAll('#feature-table tbody tr');
  var shown = Array.from(rows).filter(function (r) {{ return !r.hidden; }});
  document.body.setAttribute('data-shown', shown.map(function (r) {{ return r.dataset.feature; }}).join(' '));
  document.body.setAttribute('data-rows', rows.length);
  box.value = '';
  box.dispatchEvent(new Event('input', {{ bubbles: true }}));
  document.querySelectorAll('#feature-table thead th')[3].click();
  var sorted = Array.from(document.querySelectorAll('#feature-table tbody tr')).map(function (r) {{ return r.cells[3].textContent.trim(); }});
  document.body.setAttribute('data-sorted', sorted.join(' '));
}});",
        common::pixel_stats_script("img.slice, img.difference")
    );
    let dom = common::dom_after_script(&browser, &report, dir.path(), &script);
    let slices = common::pixel_stats(&dom, "class=\"slice\"");
    assert_eq!(slices.len(), 8, "slice panels in the DOM with statistics");
    for stats in &slices {
        assert!(stats["outline"] > 20.0, "no ROI outline: {stats:?}");
        assert!(stats["grey_levels"] > 30.0, "window not applied: {stats:?}");
        assert!(stats["saturated"] < 0.5, "mostly clipped: {stats:?}");
    }
    let difference_stats = common::pixel_stats(&dom, "class=\"difference\"");
    assert_eq!(difference_stats.len(), differences.len());
    for stats in &difference_stats {
        assert_eq!(stats["outline"], 0.0);
        assert!(stats["grey_levels"] > 10.0, "a blank difference: {stats:?}");
    }
    let attribute = |name: &str| {
        let at = dom.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        dom[at..at + dom[at..].find('"').unwrap()].to_string()
    };
    let mut shown: Vec<String> = attribute("data-shown")
        .split_whitespace()
        .map(String::from)
        .collect();
    shown.sort();
    let rows: usize = attribute("data-rows").parse().unwrap();
    // PyRadiomics has GrayLevelVariance in GLRLM, GLSZM and GLDM (GLCM has none).
    assert_eq!(
        shown,
        [
            "original_gldm_GrayLevelVariance",
            "original_glrlm_GrayLevelVariance",
            "original_glszm_GrayLevelVariance"
        ],
        "of {rows} rows"
    );
    assert!(rows >= 100, "{rows} rows");
    // A click on the first axis' heading sorts the rows by it, undefined values last.
    let sorted: Vec<String> = attribute("data-sorted")
        .split_whitespace()
        .map(String::from)
        .collect();
    assert_eq!(sorted.len(), rows);
    let numbers: Vec<f64> = sorted.iter().map_while(|v| v.parse().ok()).collect();
    assert!(numbers.len() > rows / 2, "{sorted:?}");
    assert!(numbers.windows(2).all(|w| w[0] <= w[1]), "{numbers:?}");
    assert!(
        sorted[numbers.len()..].iter().all(|v| v == "-"),
        "{sorted:?}"
    );
}
