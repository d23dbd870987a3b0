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
    // The hostile strings arrive as text.
    assert!(!html.contains("<script"), "an unescaped <script>");
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
