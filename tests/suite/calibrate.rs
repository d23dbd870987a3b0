//! Issue 9: site calibration from synthetic QCT phantom scans (acceptance 1-5): the fitted
//! slope follows the kV model and a test rod's vBMD is recovered; the phantom is found after
//! shifts and rotations; a site at 80 kV fails a 120 kV reference's limits; the report; bad
//! inputs.

use crate::common;

use std::path::{Path, PathBuf};

use radaudit::perturb::kvp;
use serde_json::Value;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn phantom() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("phantoms/qct-ha-4.yaml")
}

/// Writes a synthetic scan and returns its path.
fn scan(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join(format!("{name}.nii.gz"));
    let definition = phantom();
    let mut args = vec![
        "phantom",
        "qct",
        "--phantom",
        s(&definition),
        "--out",
        s(&out),
    ];
    args.extend_from_slice(extra);
    let r = common::radaudit(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    out
}

fn calibrate(dir: &Path, scan: &Path, name: &str, extra: &[&str]) -> (i32, Value, String) {
    let out = dir.join(name);
    let definition = phantom();
    let mut args = vec![
        "calibrate",
        "--scan",
        s(scan),
        "--phantom",
        s(&definition),
        "--out",
        s(&out),
    ];
    args.extend_from_slice(extra);
    let r = common::radaudit(&args);
    let json = std::fs::read_to_string(out.join("calibration.json"))
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or(Value::Null);
    (r.code, json, r.stderr)
}

/// `radaudit calibrate` on `scan` with the definition `definition` must refuse, naming `names`.
fn refuses(scan: &Path, definition: &Path, out: &Path, names: &str, problem: &str) {
    common::refuses(
        &[
            "calibrate",
            "--scan",
            s(scan),
            "--phantom",
            s(definition),
            "--out",
            s(out),
        ],
        names,
        problem,
    );
}

fn test_rod_vbmd(r: &Value) -> f64 {
    r["inserts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "test")
        .unwrap()["vbmd"]
        .as_f64()
        .unwrap()
}

#[test]
fn the_slope_follows_the_kv_model_and_a_test_rod_is_recovered() {
    let dir = tempfile::tempdir().unwrap();
    for kv in ["80", "100", "120", "140"] {
        let path = scan(
            dir.path(),
            &format!("kv{kv}"),
            &["--scanner", "none", "--kvp", kv],
        );
        let (code, r, err) = calibrate(dir.path(), &path, &format!("cal{kv}"), &[]);
        assert_eq!(code, 0, "{err}");
        // The kV model scales everything above water by the bone factor of that kV; the
        // phantom's rods are 1 HU per mg/cm3 at 120 kV.
        let factor = kvp::factors(&kvp::DEFAULT_TABLE, kv.parse().unwrap())
            .unwrap()
            .bone;
        let slope = r["calibration"]["slope"].as_f64().unwrap();
        assert!(
            (slope - factor).abs() < 2e-3 * factor,
            "{kv} kV: slope {slope} vs {factor}"
        );
        let vbmd = test_rod_vbmd(&r);
        println!(
            "{kv} kV, no noise: slope {slope:.4} (model {factor:.4}), test rod {vbmd:.2} mg/cm3"
        );
        assert!((vbmd - 150.0).abs() < 2.0, "{kv} kV: {vbmd}");
    }
    // A vertebral ROI converted through the calibration: here the test rod's core, selected
    // by thresholding the noise-free 120 kV scan (partial-volume edges excluded).
    let image =
        radaudit::volume::io::read_volume(&dir.path().join("kv120.nii.gz"), &Default::default())
            .unwrap();
    let mask = radaudit::volume::Mask {
        geometry: image.geometry.clone(),
        labels: image
            .voxels
            .mapv(|v| u16::from((149.5..=150.5).contains(&v))),
    };
    let mask_path = dir.path().join("roi.nii.gz");
    radaudit::volume::io::write_mask(&mask, &mask_path, &Default::default()).unwrap();
    let (code, r, err) = calibrate(
        dir.path(),
        &dir.path().join("kv120.nii.gz"),
        "roi",
        &["--vertebra-mask", s(&mask_path)],
    );
    assert_eq!(code, 0, "{err}");
    assert!((r["vertebra"]["vbmd"].as_f64().unwrap() - 150.0).abs() < 0.5);
    assert_eq!(r["vertebra"]["acr_category"], "normal");
    let noisy = scan(
        dir.path(),
        "noisy",
        &["--scanner", "standard", "--kvp", "120", "--seed", "3"],
    );
    let (code, r, err) = calibrate(dir.path(), &noisy, "noisy-cal", &[]);
    assert_eq!(code, 0, "{err}");
    let vbmd = test_rod_vbmd(&r);
    println!("120 kV, standard noise: test rod {vbmd:.2} mg/cm3");
    assert!((vbmd - 150.0).abs() < 5.0, "{vbmd}");
}

#[test]
fn the_phantom_is_found_after_shifts_and_rotations() {
    let dir = tempfile::tempdir().unwrap();
    for (k, (x, y, angle)) in [
        (20.0, 0.0, 15.0),
        (-20.0, 20.0, -15.0),
        (0.0, -20.0, 7.5),
        (14.0, -14.0, -10.0),
        (3.0, 5.0, 0.0),
    ]
    .into_iter()
    .enumerate()
    {
        let (xs, ys, a) = (format!("{x}"), format!("{y}"), format!("{angle}"));
        let path = scan(
            dir.path(),
            &format!("pose{k}"),
            &[
                "--scanner",
                "standard",
                "--shift-x",
                &xs,
                "--shift-y",
                &ys,
                "--rotate",
                &a,
                "--seed",
                &k.to_string(),
            ],
        );
        let (code, r, err) = calibrate(dir.path(), &path, &format!("pose{k}"), &[]);
        assert_eq!(code, 0, "{err}");
        let pose = &r["pose"];
        let d = ((pose["x"].as_f64().unwrap() - x).powi(2)
            + (pose["y"].as_f64().unwrap() - y).powi(2))
        .sqrt();
        let da = (pose["angle"].as_f64().unwrap() - angle).abs();
        println!("shift ({x}, {y}) mm, {angle} deg: found within {d:.3} mm and {da:.3} deg");
        assert!(d < 1.0 && da < 2.0, "pose {k}: {d} mm, {da} deg");
    }
}

#[test]
fn a_site_at_80_kv_fails_a_120_kv_reference_and_the_report_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let reference = scan(dir.path(), "reference", &["--kvp", "120", "--seed", "1"]);
    let (code, _, err) = calibrate(dir.path(), &reference, "reference", &[]);
    assert_eq!(code, 0, "{err}");
    let reference_json = dir.path().join("reference/calibration.json");
    let same = scan(dir.path(), "same", &["--kvp", "120", "--seed", "2"]);
    let (code, _, err) = calibrate(
        dir.path(),
        &same,
        "same",
        &["--reference", s(&reference_json)],
    );
    assert_eq!(code, 0, "a second 120 kV scan passes: {err}");
    let site = scan(dir.path(), "site", &["--kvp", "80", "--seed", "3"]);
    let (code, r, err) = calibrate(
        dir.path(),
        &site,
        "site",
        &["--reference", s(&reference_json)],
    );
    assert_eq!(code, 1, "{err}");
    let limits = r["comparison"]["limits"].as_array().unwrap();
    let slope = limits
        .iter()
        .find(|l| l["limit"] == "slope difference")
        .unwrap();
    assert_eq!(slope["passed"], false);
    assert!(slope["value"].as_f64().unwrap() > 5.0);
    let html = std::fs::read_to_string(dir.path().join("site/report.html")).unwrap();
    assert!(
        html.contains("FAIL") && html.contains("slope difference") && html.contains("FAILS by")
    );
    assert!(err.contains("slope difference"), "{err}");
    // Report: well-formed, offline, with its chart and the phantom picture's layer.
    assert_eq!(common::check_report(&html), 2);
}

#[test]
fn bad_inputs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    // An insert outside the field of view.
    let cut = scan(
        dir.path(),
        "cut",
        &["--scanner", "none", "--fov", "150", "--shift-x", "25"],
    );
    refuses(
        &cut,
        &phantom(),
        &out,
        "cut.nii.gz",
        "outside the field of view",
    );
    // Definitions: overlapping inserts, duplicate and non-monotonic densities.
    let text = std::fs::read_to_string(phantom()).unwrap();
    let bad = dir.path().join("bad.yaml");
    let good = scan(dir.path(), "good", &["--scanner", "none"]);
    let refuse = |edit: &str, names: &str, problem: &str| {
        std::fs::write(
            &bad,
            text.replace("{name: HA50, density: 50, x: 0, y: -45,", edit),
        )
        .unwrap();
        refuses(&good, &bad, &out, names, problem);
    };
    refuse(
        "{name: HA50, density: 50, x: -40, y: 5,",
        "inserts[0] (HA0) and inserts[1] (HA50)",
        "overlap",
    );
    refuse(
        "{name: HA50, density: 0, x: 0, y: -45,",
        "inserts[1] (HA50)",
        "duplicate density",
    );
    refuse(
        "{name: HA50, density: 120, x: 0, y: -45,",
        "inserts[2] (HA100)",
        "must increase",
    );
    // Hostile numbers (issue 20): a negative limit, a bin width of 1e-300 HU.
    for (from, to, names, problem) in [
        (
            "slope_percent: 5,",
            "slope_percent: -5,",
            "limits.slope_percent",
            "must be > 0 and <= 100, got -5",
        ),
        (
            "bin_width: 5}",
            "bin_width: 1e-300}",
            "texture (water)",
            "bin_width 0.01 to 10000 HU",
        ),
    ] {
        std::fs::write(&bad, text.replace(from, to)).unwrap();
        refuses(&good, &bad, &out, names, problem);
    }
    // Not a CT scan in HU.
    let mut image = radaudit::volume::io::read_volume(&good, &Default::default()).unwrap();
    image.voxels[(0, 0, 0)] = 5000.0;
    let hot = dir.path().join("hot.nii.gz");
    radaudit::volume::io::write_volume(&image, &hot, &Default::default()).unwrap();
    refuses(&hot, &phantom(), &out, "hot.nii.gz", "outside -1024..4000");
}

#[test]
fn the_feature_level_check_flags_a_different_scanner_and_not_the_same_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut references = Vec::new();
    for seed in 1..=4 {
        let path = scan(
            dir.path(),
            &format!("ref{seed}"),
            &["--seed", &seed.to_string()],
        );
        let (code, _, err) = calibrate(dir.path(), &path, &format!("ref{seed}"), &[]);
        assert_eq!(code, 0, "{err}");
        references.push(dir.path().join(format!("ref{seed}/texture_features.csv")));
    }
    let mut extra: Vec<&str> = Vec::new();
    for r in &references {
        extra.push("--features");
        extra.push(s(r));
    }
    let unusable = |r: &Value| r["feature_check"]["unusable"].as_array().unwrap().len();
    let same = scan(dir.path(), "same", &["--seed", "5"]);
    let (code, r, err) = calibrate(dir.path(), &same, "same", &extra);
    assert_eq!(code, 0, "{err}");
    let same_flags = unusable(&r);
    let sharp = scan(dir.path(), "sharp", &["--scanner", "sharp", "--seed", "6"]);
    let (_, r, _) = calibrate(dir.path(), &sharp, "sharp", &extra);
    let sharp_flags = unusable(&r);
    println!(
        "unusable features: same scanner {same_flags}, sharp kernel {sharp_flags} of {}",
        r["feature_check"]["features"]
    );
    assert!(
        same_flags <= 3 && sharp_flags >= 30,
        "{same_flags} {sharp_flags}"
    );
    // The z of one feature, recomputed here from the reference tables.
    let value = |path: &Path, feature: &str| -> f64 {
        let t = radaudit::table::Table::read(path).unwrap();
        let k = t
            .required_text("feature")
            .unwrap()
            .iter()
            .position(|f| f == feature)
            .unwrap();
        t.numbers(if t.headers().contains(&"value".to_string()) {
            "value"
        } else {
            "site"
        })
        .unwrap()[k]
    };
    let feature = "original_firstorder_Variance";
    let refs: Vec<f64> = references.iter().map(|p| value(p, feature)).collect();
    let mean = refs.iter().sum::<f64>() / 4.0;
    let sd = (refs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 3.0).sqrt();
    let site = value(&dir.path().join("sharp/texture_features.csv"), feature);
    let check = radaudit::table::Table::read(&dir.path().join("sharp/feature_check.csv")).unwrap();
    let k = check
        .required_text("feature")
        .unwrap()
        .iter()
        .position(|f| f == feature)
        .unwrap();
    assert!((check.numbers("z").unwrap()[k] - (site - mean) / sd).abs() < 1e-9);
    assert_eq!(check.required_text("usable").unwrap()[k], "false");
}

/// Issue 19, acceptance 4: a scan whose voxels outside the reconstruction circle hold -3024
/// HU (as GE and Siemens store them) calibrates to within 0.1 HU of the same scan clipped at
/// -1024, and `info` names the padding and leaves it out of the value range.
#[test]
fn a_scan_padded_outside_its_field_of_view_calibrates_as_the_clipped_scan() {
    let dir = tempfile::tempdir().unwrap();
    let base = scan(
        dir.path(),
        "base",
        &["--scanner", "standard", "--kvp", "120", "--seed", "5"],
    );
    let read = |p: &Path| radaudit::volume::io::read_volume(p, &Default::default()).unwrap();
    let mut padded = read(&base);
    let [nx, ny, _] = padded.geometry.size;
    let radius = nx.min(ny) as f64 / 2.0;
    let mut outside = 0;
    for ((_, j, i), v) in padded.voxels.indexed_iter_mut() {
        let (x, y) = (
            i as f64 + 0.5 - nx as f64 / 2.0,
            j as f64 + 0.5 - ny as f64 / 2.0,
        );
        if x.hypot(y) > radius {
            *v = -3024.0;
            outside += 1;
        }
    }
    assert!(outside > 1000);
    let mut clipped = padded.clone();
    clipped.voxels.mapv_inplace(|v| v.max(-1024.0));
    let paths = [
        dir.path().join("padded.nii.gz"),
        dir.path().join("clipped.nii.gz"),
    ];
    for (volume, path) in [&padded, &clipped].into_iter().zip(&paths) {
        radaudit::volume::io::write_volume(volume, path, &Default::default()).unwrap();
    }
    let (code, with_padding, err) = calibrate(dir.path(), &paths[0], "padded-cal", &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("outside the field of view"), "{err}");
    let (code, clipped_result, err) = calibrate(dir.path(), &paths[1], "clipped-cal", &[]);
    assert_eq!(code, 0, "{err}");
    let inserts = |r: &Value| r["inserts"].as_array().unwrap().clone();
    let (a, b) = (inserts(&with_padding), inserts(&clipped_result));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        let (hx, hy) = (
            x["mean_hu"].as_f64().unwrap(),
            y["mean_hu"].as_f64().unwrap(),
        );
        assert!((hx - hy).abs() < 0.1, "{}: {hx} vs {hy}", x["name"]);
    }
    let slope = |r: &Value| r["calibration"]["slope"].as_f64().unwrap();
    assert!((slope(&with_padding) - slope(&clipped_result)).abs() < 1e-4);
    // info: the padding named, with its voxel count, and not in min and mean.
    let info = common::radaudit(["info", s(&paths[0]), "--json"]);
    assert_eq!(info.code, 0, "{}", info.stderr);
    let info: Value = serde_json::from_str(&info.stdout).unwrap();
    assert_eq!(info["padding"]["value"], -3024.0);
    assert_eq!(info["padding"]["voxels"], outside);
    assert!(info["min"].as_f64().unwrap() > -1100.0, "{info}");
    let text = common::radaudit(["info", s(&paths[0])]);
    assert!(
        text.stdout.contains("padding:     -3024 in"),
        "{}",
        text.stdout
    );
    let clipped_info = common::radaudit(["info", s(&paths[1]), "--json"]);
    assert!(!clipped_info.stdout.contains("padding"));
}

/// The PNG of the `<img>` with `id` in a report, decoded to (width, height, RGB).
fn inline_png(html: &str, id: &str) -> (usize, usize, Vec<u8>) {
    use base64::Engine;
    let tag = &html[html.find(&format!("id=\"{id}\"")).unwrap()..];
    let at = tag.find("data:image/png;base64,").unwrap() + "data:image/png;base64,".len();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&tag[at..at + tag[at..].find('"').unwrap()])
        .unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width as usize, info.height as usize, buf)
}

/// A numeric attribute of an element's opening tag.
fn number(tag: &str, name: &str) -> f64 {
    let at = tag.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
    tag[at..at + tag[at..].find('"').unwrap()].parse().unwrap()
}

/// Issue 23 acceptance 3: the calibrate report's picture marks each rod where
/// calibration.json says it is (the layer's circle centres and radii, mapped back to mm), and
/// the marks sit on the rods in the picture: the grey inside each circle is the window's grey
/// of the rod's measured mean HU, and differs from the grey of a ring just outside for the
/// dense rods. Chromium renders the picture and the layer.
#[test]
fn the_calibrate_picture_marks_each_rod_where_calibration_json_says() {
    let dir = tempfile::tempdir().unwrap();
    let path = scan(
        dir.path(),
        "moved",
        &["--shift-x", "18", "--shift-y", "-12", "--rotate", "12"],
    );
    let (code, r, err) = calibrate(dir.path(), &path, "moved", &[]);
    assert_eq!(code, 0, "{err}");
    let report = dir.path().join("moved/report.html");
    let html = std::fs::read_to_string(&report).unwrap();
    common::check_report(&html);
    let layer = &html[html.find("id=\"phantom-layer\"").unwrap()..];
    let layer_tag = &layer[..layer.find('>').unwrap()];
    let (ox, oy, step) = (
        number(layer_tag, "data-origin-x-mm"),
        number(layer_tag, "data-origin-y-mm"),
        number(layer_tag, "data-pixel-mm"),
    );
    let (w, h, rgb) = inline_png(&html, "phantom-slice");
    let grey = |c: f64, r: f64| -> Option<f64> {
        let (c, r) = (c.floor(), r.floor());
        (c >= 0.0 && r >= 0.0 && (c as usize) < w && (r as usize) < h)
            .then(|| f64::from(rgb[3 * (r as usize * w + c as usize)]))
    };
    // Mean grey over the pixels whose centres lie between radii a and b (pixels) of (cx, cy).
    let ring = |cx: f64, cy: f64, a: f64, b: f64| {
        let mut values = Vec::new();
        for r in (cy - b - 1.0) as i64..=(cy + b + 1.0) as i64 {
            for c in (cx - b - 1.0) as i64..=(cx + b + 1.0) as i64 {
                let d = ((c as f64 + 0.5 - cx).powi(2) + (r as f64 + 0.5 - cy).powi(2)).sqrt();
                if d >= a
                    && d <= b
                    && let Some(g) = grey(c as f64, r as f64)
                {
                    values.push(g);
                }
            }
        }
        values.iter().sum::<f64>() / values.len() as f64
    };
    let inserts = r["inserts"].as_array().unwrap();
    let circles: Vec<&str> = layer.split("<circle class=\"rod\"").skip(1).collect();
    assert_eq!(circles.len(), inserts.len());
    for m in inserts {
        let name = m["name"].as_str().unwrap();
        let circle = circles
            .iter()
            .find(|c| c.contains(&format!("data-insert=\"{name}\"")))
            .unwrap_or_else(|| panic!("no mark for {name}"));
        let (cx, cy, radius) = (
            number(circle, "cx"),
            number(circle, "cy"),
            number(circle, "r"),
        );
        let centre = m["centre_mm"].as_array().unwrap();
        let (x, y) = (centre[0].as_f64().unwrap(), centre[1].as_f64().unwrap());
        // Circle coordinates are written to 0.01 pixel.
        assert!((ox + (cx - 0.5) * step - x).abs() < 0.01 * step, "{name} x");
        assert!((oy + (cy - 0.5) * step - y).abs() < 0.01 * step, "{name} y");
        assert!((radius * step - m["radius_mm"].as_f64().unwrap()).abs() < 0.01 * step);
        // The picture's window: 700 wide around 100 HU.
        let expected = ((m["mean_hu"].as_f64().unwrap() + 250.0) / 700.0 * 255.0).clamp(0.0, 255.0);
        let inside = ring(cx, cy, 0.0, 0.7 * radius);
        let outside = ring(cx, cy, 1.6 * radius, 2.0 * radius);
        println!(
            "{name}: grey inside {inside:.1} (mean HU gives {expected:.1}), ring outside {outside:.1}"
        );
        assert!(
            (inside - expected).abs() < 8.0,
            "{name}: the mark is not on the rod"
        );
        if m["density"].as_f64().unwrap() >= 100.0 {
            assert!(inside - outside > 15.0, "{name}: no rod under the mark");
        }
    }
    if let Some(browser) = common::chromium() {
        let dom = common::dom_after_script(
            &browser,
            &report,
            dir.path(),
            &common::pixel_stats_script("#phantom-slice"),
        );
        assert_eq!(dom.matches("class=\"rod\"").count(), inserts.len());
        let stats = common::pixel_stats(&dom, "id=\"phantom-slice\"");
        assert_eq!(stats.len(), 1);
        assert!(stats[0]["grey_levels"] > 30.0, "{:?}", stats[0]);
        // Air around the phantom is black: most of the slice.
        assert!(stats[0]["saturated"] < 0.9, "{:?}", stats[0]);
    }
}
