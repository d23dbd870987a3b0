//! `radaudit perturb` and `radaudit phantom vertebra` from the command line: the documented
//! example chain, byte-identical output whatever the thread count (acceptance 7), and bad
//! input refused with exit 2 naming the perturbation and parameter (acceptance 8).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use ndarray::Array3;
use radaudit::volume::geometry::IDENTITY;
use radaudit::volume::io::{self, ReadOptions, WriteOptions};
use radaudit::volume::{Geometry, Mask, PixelType, Volume};

/// Writes a 48 x 48 x 16 textured image with a spherical ROI (label 1) into `dir`.
fn inputs(dir: &Path) -> (PathBuf, PathBuf) {
    let g = Geometry::new([48, 48, 16], [0.6, 0.6, 1.5], [10.0, -4.0, 2.0], IDENTITY).unwrap();
    let voxels = Array3::from_shape_fn(g.shape_zyx(), |(k, j, i)| {
        (40.0 + 60.0 * ((i as f32) * 0.7).sin() * ((j as f32) * 0.5).cos() + 5.0 * k as f32).round()
    });
    let labels = Array3::from_shape_fn(g.shape_zyx(), |(k, j, i)| {
        let d = ((i as f64 - 24.0) * 0.6).powi(2)
            + ((j as f64 - 22.0) * 0.6).powi(2)
            + ((k as f64 - 8.0) * 1.5).powi(2);
        u16::from(d <= 64.0)
    });
    let image = Volume {
        geometry: g.clone(),
        voxels,
        stored_type: PixelType::I16,
    };
    let mask = Mask {
        geometry: g,
        labels,
    };
    let (ip, mp) = (dir.join("case.nii.gz"), dir.join("case_mask.nii.gz"));
    io::write_volume(&image, &ip, &WriteOptions::default()).unwrap();
    io::write_mask(&mask, &mp, &WriteOptions::default()).unwrap();
    (ip, mp)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn the_documented_example_chain_runs_and_sets_the_new_grid() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = inputs(dir.path());
    let (oi, om) = (
        dir.path().join("out.nii.gz"),
        dir.path().join("out_mask.nii.gz"),
    );
    let run = common::radaudit([
        "perturb",
        "--image",
        s(&image),
        "--mask",
        s(&mask),
        "--apply",
        "noise:sd=20,peak=0.3; blur:fwhm=1.2; kvp:80; spacing:0.8x0.8x2; erode:mm=1",
        "--seed",
        "3",
        "--out-image",
        s(&oi),
        "--out-mask",
        s(&om),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("kvp:80; blur:fwhm=1.2; spacing:0.8x0.8x2; noise:sd=20,peak=0.3; erode:mm=1"),
        "{}",
        run.stderr
    );
    let out = io::read_volume(&oi, &ReadOptions::default()).unwrap();
    let m = io::read_mask(&om, &ReadOptions::default()).unwrap();
    let want = [0.8, 0.8, 2.0];
    assert!(
        (0..3).all(|a| (out.geometry.spacing[a] - want[a]).abs() < 1e-6),
        "{:?}",
        out.geometry.spacing
    );
    assert_eq!(m.geometry, out.geometry);
    assert!(m.count(1) > 0);
    let help = common::radaudit(["perturb", "--help"]);
    assert!(
        help.stdout.contains("supervoxel:count=N"),
        "{}",
        help.stdout
    );
}

fn run_with_threads(threads: &str, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_radaudit"))
        .env("RAYON_NUM_THREADS", threads)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_same_seed_gives_byte_identical_images_with_1_and_2_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = inputs(dir.path());
    let chain = "scanner:sharp; spacing:0.5x0.5x1; rotate:deg=7; supervoxel:count=12,rep=2";
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let oi = dir.path().join(format!("p{threads}.nii.gz"));
        let om = dir.path().join(format!("p{threads}_mask.nii.gz"));
        run_with_threads(
            threads,
            &[
                "perturb",
                "--image",
                s(&image),
                "--mask",
                s(&mask),
                "--apply",
                chain,
                "--seed",
                "9",
                "--out-image",
                s(&oi),
                "--out-mask",
                s(&om),
            ],
        );
        let pd = dir.path().join(format!("phantom{threads}"));
        run_with_threads(
            threads,
            &[
                "phantom",
                "vertebra",
                "--out",
                s(&pd),
                "--vbmd",
                "90",
                "--scanner",
                "sharp",
                "--seed",
                "4",
            ],
        );
        outputs.push(
            [
                oi,
                om,
                pd.join("image.nii.gz"),
                pd.join("trabecular_mask.nii.gz"),
                pd.join("phantom.json"),
            ]
            .map(|p| std::fs::read(p).unwrap()),
        );
    }
    for (a, b) in outputs[0].iter().zip(&outputs[1]) {
        assert!(a == b, "outputs differ between 1 and 2 threads");
    }
    // And another seed changes the noise.
    let oi = dir.path().join("other.nii.gz");
    run_with_threads(
        "2",
        &[
            "perturb",
            "--image",
            s(&image),
            "--mask",
            s(&mask),
            "--apply",
            chain,
            "--seed",
            "10",
            "--out-image",
            s(&oi),
        ],
    );
    assert_ne!(std::fs::read(oi).unwrap(), outputs[0][0]);
}

#[test]
fn bad_perturbations_are_refused_naming_element_and_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = inputs(dir.path());
    let out = dir.path().join("never.nii.gz");
    let refuse = |chain: &str, names: &str, problem: &str| {
        common::refuses(
            &[
                "perturb",
                "--image",
                s(&image),
                "--mask",
                s(&mask),
                "--apply",
                chain,
                "--out-image",
                s(&out),
            ],
            names,
            problem,
        );
    };
    refuse(
        "noise:sd=20,peak=0.3; wobble:amount=3",
        "unknown perturbation `wobble`",
        "known: kvp",
    );
    // Hostile numbers (issue 20): each refused with its valid range, none panics or aborts.
    for (chain, names, problem) in [
        (
            "blur:fwhm=1e308",
            "perturbation `blur`, parameter `fwhm`",
            "must be >= 0 and <= 100, got 1e308",
        ),
        (
            "slice:thickness=1e-300",
            "perturbation `slice`, parameter `thickness`",
            "must be >= 0.01 and <= 100, got 1e-300",
        ),
        (
            "spacing:0.001x0.001x0.001",
            "perturbation `spacing`, parameter `spacing`",
            "must be >= 0.01 and <= 100, got 0.001",
        ),
        (
            "spacing:0.01x0.01x0.01",
            "perturbation `spacing`, parameter `spacing`",
            "voxels (at most 5e8)",
        ),
        (
            "noise:sd=1e308,peak=0.3",
            "perturbation `noise`, parameter `sd`",
            "<= 10000, got 1e308",
        ),
        (
            "translate:x=1e308",
            "perturbation `translate`, parameter `x`",
            "must be >= -1000 and <= 1000",
        ),
        (
            "noise:sd=20,peak=0.3,mas=1e300,ref_mas=100",
            "perturbation `noise`, parameter `mas`",
            "<= 100000",
        ),
    ] {
        refuse(chain, names, problem);
    }
    refuse(
        "noise:sd=-1,peak=0.3",
        "perturbation `noise`, parameter `sd`",
        "must be >= 0 and <= 10000, got -1",
    );
    refuse(
        "volume:fraction=0",
        "perturbation `volume`, parameter `fraction`",
        "must be > 0",
    );
    refuse(
        "volume:fraction=-0.5",
        "perturbation `volume`, parameter `fraction`",
        "must be > 0",
    );
    refuse(
        "spacing:0.8x0x2",
        "perturbation `spacing`, parameter `spacing`",
        "must be >= 0.01 and <= 100, got 0",
    );
    refuse(
        "spacing:0.8x0.8",
        "perturbation `spacing`, parameter `spacing`",
        "is not XxYxZ",
    );
    refuse(
        "erode:mm=50",
        "perturbation `erode`, parameter `mm`",
        "leaves the ROI empty",
    );
    refuse(
        "blur:fwhm=1,mtf50=4",
        "perturbation `blur`, parameter `mtf50`",
        "not both",
    );
    refuse(
        "noise:sd=10,peak=0.3,colour=pink",
        "perturbation `noise`, parameter `colour`",
        "unknown",
    );
    refuse(
        "kvp:60",
        "perturbation `kvp`, parameter `kv`",
        "outside the table's range 80-140",
    );
    refuse(
        "scanner:ultra",
        "perturbation `scanner`, parameter `profile`",
        "unknown `ultra`",
    );
    refuse(
        "noise:sd=5,peak=0.3; scanner:smooth",
        "perturbation `noise` appears twice",
        "each kind once",
    );
    refuse(
        "noise:sd=abc,peak=0.3",
        "parameter `sd`",
        "not a finite number",
    );
    assert!(!out.exists(), "nothing written for a refused chain");
    // A mask without the label, and a phantom definition with an unknown key.
    common::refuses(
        &[
            "perturb",
            "--image",
            s(&image),
            "--mask",
            s(&mask),
            "--label",
            "4",
            "--apply",
            "blur:fwhm=1",
            "--out-image",
            s(&out),
        ],
        "case_mask.nii.gz",
        "no voxel with label 4",
    );
    let spec = dir.path().join("bad.yaml");
    std::fs::write(&spec, "vbmd: 100\nbone_colour: white\n").unwrap();
    common::refuses(
        &[
            "phantom",
            "vertebra",
            "--spec",
            s(&spec),
            "--out",
            s(&dir.path().join("p")),
        ],
        "bad.yaml",
        "bone_colour",
    );
    common::refuses(
        &[
            "phantom",
            "vertebra",
            "--vbmd=-3",
            "--out",
            s(&dir.path().join("p")),
        ],
        "`vbmd`",
        "must be > 0",
    );
}

/// Issue 19, acceptance 4: blur and noise near the edge of the field of view leave the
/// out-of-field padding (-3024 HU) out of the ROI's values, and the padding stays as it was.
/// The field holds 0-100 HU: a blur that pulled padding in would take edge voxels far below.
#[test]
fn blur_and_noise_at_the_field_of_view_edge_leave_padding_out() {
    let dir = tempfile::tempdir().unwrap();
    let g = Geometry::new([40, 40, 6], [0.7, 0.7, 1.5], [0.0; 3], IDENTITY).unwrap();
    let radius = |i: usize, j: usize| (i as f64 - 19.5).hypot(j as f64 - 19.5);
    let voxels = Array3::from_shape_fn(g.shape_zyx(), |(k, j, i)| {
        if radius(i, j) > 18.0 {
            -3024.0
        } else {
            (50.0 + 50.0 * ((i as f32) * 0.9).sin() * ((j as f32 + k as f32) * 0.4).cos()).round()
        }
    });
    // The ROI: the field's outer 3 voxels on the right.
    let labels = Array3::from_shape_fn(g.shape_zyx(), |(_, j, i)| {
        u16::from(i > 25 && (15.0..=18.0).contains(&radius(i, j)))
    });
    let image = Volume {
        geometry: g.clone(),
        voxels: voxels.clone(),
        stored_type: PixelType::I16,
    };
    let (ip, mp) = (
        dir.path().join("fov.nii.gz"),
        dir.path().join("fov_mask.nii.gz"),
    );
    io::write_volume(&image, &ip, &WriteOptions::default()).unwrap();
    io::write_mask(
        &Mask {
            geometry: g,
            labels: labels.clone(),
        },
        &mp,
        &WriteOptions::default(),
    )
    .unwrap();
    for (chain, low, high) in [
        ("blur:fwhm=3", 0.0, 100.0),
        ("noise:sd=10,peak=0.3; blur:fwhm=2", -80.0, 180.0),
    ] {
        let out = dir.path().join("out.nii.gz");
        let run = common::radaudit([
            "perturb",
            "--image",
            s(&ip),
            "--mask",
            s(&mp),
            "--apply",
            chain,
            "--seed",
            "4",
            "--out-image",
            s(&out),
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let result = io::read_volume(&out, &ReadOptions::default()).unwrap();
        let mut roi_values = 0;
        for ((v, l), original) in result.voxels.iter().zip(&labels).zip(&voxels) {
            if *original == -3024.0 {
                assert_eq!(*v, -3024.0, "{chain}: padding changed");
            } else if *l == 1 {
                roi_values += 1;
                assert!(
                    (low..=high).contains(&f64::from(*v)),
                    "{chain}: ROI value {v}"
                );
            }
        }
        assert!(roi_values > 100);
    }
}

/// Decodes a PNG file to (width, height, RGB).
fn read_png(path: &Path) -> (usize, usize, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width as usize, info.height as usize, buf)
}

/// Issue 23: `perturb --preview` writes before and after side by side, each with its ROI
/// outline (the eroded ROI's is shorter), and the difference when the grid is kept (not
/// after a spacing change); the soft window maps 40 HU to mid grey; Chromium renders it; a
/// bad window is refused naming it.
#[test]
fn the_preview_shows_before_and_after_with_their_outlines() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = inputs(dir.path());
    let out = dir.path().join("out.nii.gz");
    let preview = |chain: &str, name: &str, window: &str| {
        let png = dir.path().join(name);
        let run = common::radaudit([
            "perturb",
            "--image",
            s(&image),
            "--mask",
            s(&mask),
            "--apply",
            chain,
            "--out-image",
            s(&out),
            "--preview",
            s(&png),
            "--window",
            window,
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        png
    };
    let outline = |rgb: &[u8], w: usize, x0: usize, x1: usize| {
        rgb.chunks(3)
            .enumerate()
            .filter(|(k, p)| (x0..x1).contains(&(k % w)) && *p == [255, 64, 0])
            .count()
    };
    let kept = preview("noise:sd=30,peak=0.3; erode:mm=1", "kept.png", "soft");
    let (w, h, rgb) = read_png(&kept);
    // Three panels of equal width and 4-pixel gaps: before, after, difference.
    let panel = (w - 4) / 3 - 4;
    let columns = |k: usize| (4 + k * (panel + 4), 4 + k * (panel + 4) + panel);
    let (b0, b1) = columns(0);
    let (a0, a1) = columns(1);
    let (d0, d1) = columns(2);
    let (before, after) = (outline(&rgb, w, b0, b1), outline(&rgb, w, a0, a1));
    println!("preview {w} x {h}: outline {before} before, {after} after erosion");
    assert!(
        before > 50 && after > 20 && after < before,
        "{before} {after}"
    );
    assert_eq!(outline(&rgb, w, d0, d1), 0, "no outline on the difference");
    let difference_greys: std::collections::BTreeSet<u8> = rgb
        .chunks(3)
        .enumerate()
        .filter(|(k, p)| (d0..d1).contains(&(k % w)) && p[0] == p[1] && p[1] == p[2])
        .map(|(_, p)| p[0])
        .collect();
    assert!(difference_greys.len() > 20, "a flat difference");
    // Without the chain changing intensities nor the grid: grey = round(255 (v + 160) / 400).
    let plain = preview("erode:mm=0.1", "plain.png", "40/400");
    let (pw, _, prgb) = read_png(&plain);
    let input = io::read_volume(&image, &ReadOptions::default()).unwrap();
    // The ROI's centre slice (k = 8), away from the scale bar at the bottom left.
    let values: Vec<f32> = (10..34)
        .flat_map(|j| (12..36).map(move |i| (j, i)))
        .map(|(j, i)| input.voxels[(8, j, i)])
        .collect();
    let greys: std::collections::BTreeSet<u8> = prgb
        .chunks(3)
        .enumerate()
        .filter(|(k, p)| (4..4 + panel).contains(&(k % pw)) && p[0] == p[1] && p[1] == p[2])
        .map(|(_, p)| p[0])
        .collect();
    for v in &values {
        let g = ((f64::from(*v) + 160.0) / 400.0 * 255.0)
            .round()
            .clamp(0.0, 255.0) as u8;
        assert!(greys.contains(&g), "value {v} should show as grey {g}");
    }
    // A new grid: before and after, no difference.
    let moved = preview("spacing:0.8x0.8x2", "moved.png", "bone");
    let (mw, _, _) = read_png(&moved);
    assert!(
        mw < w,
        "{mw} vs {w}: no difference panel after a spacing change"
    );
    if let Some(browser) = common::chromium() {
        let ink = common::screenshot_ink(&browser, &kept, dir.path());
        assert!(ink > 0.01, "Chromium drew nothing of the preview");
    }
    common::refuses(
        &[
            "perturb",
            "--image",
            s(&image),
            "--mask",
            s(&mask),
            "--apply",
            "erode:mm=1",
            "--out-image",
            s(&out),
            "--preview",
            s(&dir.path().join("x.png")),
            "--window",
            "40/0",
        ],
        "--window",
        "LEVEL/WIDTH",
    );
}
