//! Helpers shared by the integration tests: where the reference data lives, and running the
//! `radaudit` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The reference data folder: `$RADAUDIT_REFERENCE`, else `<crate root>/../shared/reference`.
/// `None` (after printing one line saying where it looked) when absent, so the test skips;
/// with `RADAUDIT_REQUIRE_REFERENCE` set (as `.ci/run` sets it), a missing folder fails the
/// test instead.
pub fn reference() -> Option<PathBuf> {
    let dir = std::env::var_os("RADAUDIT_REFERENCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference"));
    if dir.is_dir() {
        Some(dir)
    } else {
        assert!(
            std::env::var_os("RADAUDIT_REQUIRE_REFERENCE").is_none(),
            "RADAUDIT_REQUIRE_REFERENCE is set but there is no reference data at {}",
            dir.display()
        );
        println!("skipped: no reference data at {}", dir.display());
        None
    }
}

/// Skips the test (returns) when the reference data is absent; else binds its folder.
#[macro_export]
macro_rules! reference_or_skip {
    () => {
        match common::reference() {
            Some(dir) => dir,
            None => return,
        }
    };
}

/// The outcome of one `radaudit` run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the `radaudit` binary with `args`.
pub fn radaudit<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_radaudit"))
        .args(args)
        .output()
        .expect("radaudit runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The arguments of `extract` on the built-in IBSI digital phantom with parameter file `params`.
pub fn extract_builtin_args(params: &str) -> [&str; 7] {
    [
        "extract",
        "--image",
        "builtin:ibsi-digital",
        "--mask",
        "builtin:ibsi-digital-mask",
        "--params",
        params,
    ]
}

/// Checks that `extract` on the built-in IBSI digital phantom refuses the parameter file
/// `params` (the bad-input contract of [`refuses`]).
pub fn extract_refuses(params: &str, names: &str, problem: &str) {
    refuses(&extract_builtin_args(params), names, problem);
}

/// A JSON array of numbers (a peer's size, spacing, origin ...).
pub fn numbers(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Runs `radaudit ARGS` and checks the bad-input contract: exit code 2 and exactly one line on
/// standard error, starting "error: ", naming `names` (the file or field) and saying `problem`.
pub fn refuses(args: &[&str], names: &str, problem: &str) {
    let run = radaudit(args);
    assert_eq!(
        run.code, 2,
        "{args:?}: exit {} stderr {}",
        run.code, run.stderr
    );
    let line = run.stderr.trim_end();
    assert_eq!(line.lines().count(), 1, "{args:?}: not one line: {line}");
    assert!(line.starts_with("error: "), "{line}");
    assert!(
        line.contains(names),
        "{args:?}: does not name {names}: {line}"
    );
    assert!(
        line.contains(problem),
        "{args:?}: does not say {problem:?}: {line}"
    );
    assert!(!line.contains("panicked"), "{line}");
}

/// Whether the report's only script element is radaudit's own (so user text that reads
/// `<script>` arrived escaped).
pub fn only_own_script(html: &str) -> bool {
    html.matches("<script").count() == 1 && html.contains("<script>//<![CDATA[")
}

/// Checks a self-contained HTML report: it parses as well-formed (XHTML-compatible) markup,
/// every SVG is in the SVG namespace and draws something, and nothing would be fetched (no
/// script with a src, no href, no src but an inline PNG, no URL but the SVG namespace name).
/// Returns the SVG count.
pub fn check_report(html: &str) -> usize {
    let doc = roxmltree::Document::parse_with_options(
        html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .expect("the report is well-formed");
    let svgs: Vec<_> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "svg")
        .collect();
    for svg in &svgs {
        assert_eq!(
            svg.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        assert!(
            svg.descendants()
                .any(|n| matches!(n.tag_name().name(), "rect" | "circle" | "polyline"))
        );
    }
    for node in doc.descendants() {
        for a in node.attributes() {
            match a.name() {
                "href" => panic!("an href: {}", a.value()),
                "src" => assert!(
                    node.tag_name().name() == "img"
                        && a.value().starts_with("data:image/png;base64,"),
                    "a src that is not an inline PNG: {}",
                    &a.value()[..a.value().len().min(60)]
                ),
                _ => {}
            }
        }
    }
    let without_ns = html.replace("http://www.w3.org/2000/svg", "");
    assert!(
        !without_ns.contains("http://")
            && !without_ns.contains("https://")
            && !without_ns.contains("url("),
        "an external URL"
    );
    svgs.len()
}

/// Chromium's path, or None (after saying so) when it is missing and not required; when
/// RADAUDIT_REQUIRE_BROWSER is set (as `.ci/run` does), a missing browser fails the test.
pub fn chromium() -> Option<PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var("RADAUDIT_REQUIRE_BROWSER").is_err(),
            "Chromium is required here but missing"
        );
        println!("skipped: no Chromium");
    }
    found
}

/// Headless Chromium's flags, offline, with a fresh profile in `profile`.
fn browser_flags(profile: &Path) -> Vec<String> {
    vec![
        "--headless".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-background-networking".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        format!("--user-data-dir={}", profile.display()),
    ]
}

/// The DOM Chromium builds from `report` (scratch files go to `scratch`).
pub fn rendered_dom(browser: &Path, report: &Path, scratch: &Path) -> String {
    let out = Command::new(browser)
        .args(browser_flags(&scratch.join("profile-dom")))
        .arg("--dump-dom")
        .arg(format!("file://{}", report.display()))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The DOM Chromium builds from `report` after `script` ran (injected as the page's last
/// script, so it acts on the loaded page as a user would; its `load` handlers run after the
/// images decode).
pub fn dom_after_script(browser: &Path, report: &Path, scratch: &Path, script: &str) -> String {
    let html = std::fs::read_to_string(report).unwrap();
    let at = html.rfind("</body>").expect("a body");
    let page = scratch.join("with-script.html");
    std::fs::write(
        &page,
        format!("{}<script>{script}</script>{}", &html[..at], &html[at..]),
    )
    .unwrap();
    let out = Command::new(browser)
        .args(browser_flags(&scratch.join("profile-script")))
        .arg("--virtual-time-budget=10000")
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A script for [`dom_after_script`]: on load, every `img` of `selector` is drawn on a
/// canvas and its pixel statistics written to its `data-stats` attribute as
/// `outline=N,grey_levels=N,saturated=F,pixels=N` (outline: pixels of radaudit's ROI outline
/// colour 255,64,0; saturated: the share of pure black or white grey pixels).
pub fn pixel_stats_script(selector: &str) -> String {
    format!(
        r#"window.addEventListener('load', function () {{
  document.querySelectorAll('{selector}').forEach(function (img) {{
    var c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    var g = c.getContext('2d'); g.drawImage(img, 0, 0);
    var d = g.getImageData(0, 0, c.width, c.height).data;
    var outline = 0, greys = {{}}, grey = 0, saturated = 0;
    for (var k = 0; k < d.length; k += 4) {{
      if (d[k] === 255 && d[k + 1] === 64 && d[k + 2] === 0) {{ outline += 1; }}
      else if (d[k] === d[k + 1] && d[k] === d[k + 2]) {{
        grey += 1; greys[d[k]] = 1;
        if (d[k] === 0 || d[k] === 255) {{ saturated += 1; }}
      }}
    }}
    img.setAttribute('data-stats', 'outline=' + outline + ',grey_levels=' + Object.keys(greys).length
      + ',saturated=' + (saturated / Math.max(grey, 1)).toFixed(3) + ',pixels=' + (d.length / 4));
  }});
}});"#
    )
}

/// The `data-stats` of each element of `dom` whose opening tag holds `marker`, as maps.
pub fn pixel_stats(dom: &str, marker: &str) -> Vec<std::collections::BTreeMap<String, f64>> {
    dom.split('<')
        .filter(|tag| tag.contains(marker))
        .filter_map(|tag| {
            let at = tag.find("data-stats=\"")? + "data-stats=\"".len();
            let value = &tag[at..at + tag[at..].find('"')?];
            Some(
                value
                    .split(',')
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.parse().unwrap()))
                    .collect(),
            )
        })
        .collect()
}

/// The fraction of non-white pixels of a 1200x1600 screenshot of `report`.
pub fn screenshot_ink(browser: &Path, report: &Path, scratch: &Path) -> f64 {
    let shot = scratch.join("shot.png");
    let status = Command::new(browser)
        .args(browser_flags(&scratch.join("profile-shot")))
        .arg("--window-size=1200,1600")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", report.display()))
        .output()
        .unwrap();
    assert!(
        shot.is_file(),
        "no screenshot: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels = &buf[..info.buffer_size()];
    let total = pixels.len() / channels;
    let coloured = pixels
        .chunks(channels)
        .filter(|p| p[..3].iter().any(|&c| c < 200))
        .count();
    coloured as f64 / total as f64
}
