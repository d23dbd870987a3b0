//! The perturbation language: `name:param=value,...` elements separated by `;`, e.g.
//! `noise:sd=20,peak=0.3; blur:fwhm=1.2; kvp:80; spacing:0.8x0.8x2; erode:mm=1`.
//!
//! Every element is checked here (known name, known parameters, values in range), so a bad
//! chain fails before any voxel is touched, with a message naming the element and parameter.

use std::collections::BTreeMap;

use super::kvp::{self, KvFactors};
use super::scanner::{self, Blur, Noise};
use super::segmentation::RotationCentre;
use super::voxel::MaskRule;
use super::warp::Interp;

/// One perturbation with its checked parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Perturbation {
    /// A named scanner profile: its blur and its noise.
    Scanner {
        /// The profile (its MTF and noise power).
        profile: scanner::Profile,
        /// The tube current-time product and its reference (mAs), scaling the noise.
        dose: Option<(f64, f64)>,
    },
    /// Correlated noise.
    Noise(Noise),
    /// Blur by a Gaussian point-spread function and slice profile.
    Blur(Blur),
    /// A tube voltage, as factors of the two-material model.
    Kvp(KvFactors),
    /// Resampling to another voxel size.
    Spacing {
        /// The new spacing (x, y, z), mm.
        spacing: [f64; 3],
        /// The image interpolator.
        interp: Interp,
        /// How the ROI follows.
        mask: MaskRule,
    },
    /// Thicker slices: averages under a box profile.
    Slice {
        /// Slice thickness, mm.
        thickness: f64,
        /// Distance between slice centres, mm.
        step: f64,
    },
    /// ROI erosion.
    Erode {
        /// By this distance between voxel centres, mm.
        mm: f64,
    },
    /// ROI dilation.
    Dilate {
        /// By this distance between voxel centres, mm.
        mm: f64,
    },
    /// ROI volume change to round(fraction x voxels) by signed distance.
    Volume {
        /// The new volume over the old.
        fraction: f64,
    },
    /// Image translation under a fixed ROI.
    Translate {
        /// The shift (x, y, z) in voxels.
        shift: [f64; 3],
        /// The image interpolator.
        interp: Interp,
    },
    /// Rotation of image and ROI about z.
    Rotate {
        /// The angle, degrees (-360 to 360).
        degrees: f64,
        /// The axis' position: the ROI's centroid or the grid's centre.
        centre: RotationCentre,
        /// The image interpolator.
        interp: Interp,
    },
    /// Supervoxel contour randomisation.
    Supervoxel {
        /// Supervoxels over the ROI's neighbourhood.
        count: usize,
        /// SLIC compactness.
        compactness: f64,
        /// Repetition index (another random draw with the same settings).
        rep: u64,
    },
}

type Params = BTreeMap<String, String>;

/// An error about one element's parameter.
fn bad(name: &str, param: &str, problem: impl std::fmt::Display) -> String {
    format!("perturbation `{name}`, parameter `{param}`: {problem}")
}

/// Reads parameter `key` as a finite number; `None` when absent.
fn number(name: &str, params: &Params, key: &str) -> Result<Option<f64>, String> {
    params
        .get(key)
        .map(|text| {
            text.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(name, key, format!("`{text}` is not a finite number")))
        })
        .transpose()
}

fn required(name: &str, params: &Params, key: &str) -> Result<f64, String> {
    number(name, params, key)?.ok_or_else(|| bad(name, key, "missing"))
}

/// Checks `value` against an open or closed lower bound and an optional upper bound.
fn in_range(
    name: &str,
    key: &str,
    value: f64,
    min: f64,
    min_inclusive: bool,
    max: Option<f64>,
) -> Result<f64, String> {
    let low_ok = if min_inclusive {
        value >= min
    } else {
        value > min
    };
    let high_ok = max.is_none_or(|m| value <= m);
    if low_ok && high_ok {
        return Ok(value);
    }
    let op = if min_inclusive { ">=" } else { ">" };
    let upper = max.map(|m| format!(" and <= {m}")).unwrap_or_default();
    let shown = if value == 0.0 || (1e-4..1e9).contains(&value.abs()) {
        format!("{value}")
    } else {
        format!("{value:e}")
    };
    Err(bad(
        name,
        key,
        format!("must be {op} {min}{upper}, got {shown}"),
    ))
}

fn interp(name: &str, params: &Params, default: Interp) -> Result<Interp, String> {
    match params.get("interp") {
        None => Ok(default),
        Some(t) => Interp::parse(t.trim())
            .ok_or_else(|| bad(name, "interp", format!("`{t}` is not linear or bspline"))),
    }
}

fn dose(name: &str, params: &Params) -> Result<Option<(f64, f64)>, String> {
    match (
        number(name, params, "mas")?,
        number(name, params, "ref_mas")?,
    ) {
        (None, None) => Ok(None),
        (Some(m), Some(r)) => Ok(Some((
            in_range(name, "mas", m, 0.0, false, Some(1e5))?,
            in_range(name, "ref_mas", r, 0.0, false, Some(1e5))?,
        ))),
        _ => Err(bad(name, "mas", "mas and ref_mas go together")),
    }
}

/// Splits `a=1,b=2` (or a bare value, stored under `value`) into parameters.
fn split_params(name: &str, text: &str) -> Result<Params, String> {
    let mut params = Params::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = match part.split_once('=') {
            Some((k, v)) => (k.trim().to_string(), v.trim().to_string()),
            None => ("value".to_string(), part.to_string()),
        };
        if params.insert(key.clone(), value).is_some() {
            return Err(bad(name, &key, "given twice"));
        }
    }
    Ok(params)
}

/// Refuses parameters outside `allowed`.
fn only(name: &str, params: &Params, allowed: &[&str]) -> Result<(), String> {
    match params.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) if k == "value" => Err(format!(
            "perturbation `{name}`: a bare value is not understood here; use {}",
            allowed
                .iter()
                .map(|a| format!("{a}=..."))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Some(k) => Err(bad(
            name,
            k,
            format!("unknown; known: {}", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

/// One element of the language: its name, the parameters it takes (`value` is a bare value, as
/// in `kvp:80`), its line of help, and its parser. Adding an element is one entry of
/// [`ELEMENTS`], one parser and one variant of [`Perturbation`].
pub struct Element {
    pub name: &'static str,
    pub params: &'static [&'static str],
    /// How it is written, for the help.
    pub usage: &'static str,
    /// What it does, for the help.
    pub help: &'static str,
    parse: fn(&Params, &[KvFactors]) -> Result<Perturbation, String>,
}

/// Every element, in the order a chain applies them (see `Chain`).
pub const ELEMENTS: [Element; 12] = [
    Element {
        name: "kvp",
        params: &["value", "kv"],
        usage: "kvp:KV",
        help: "tube voltage (80-140 kV; two-material model, 120 kV reference)",
        parse: parse_kvp,
    },
    Element {
        name: "scanner",
        params: &["value", "mas", "ref_mas"],
        usage: "scanner:smooth|standard|sharp[,mas=M,ref_mas=R]",
        help: "a profile's blur, then its noise",
        parse: parse_scanner,
    },
    Element {
        name: "blur",
        params: &["fwhm", "mtf50", "z"],
        usage: "blur:fwhm=MM|mtf50=LP_PER_CM[,z=MM]",
        help: "Gaussian PSF in-plane, slice profile along z",
        parse: parse_blur,
    },
    Element {
        name: "slice",
        params: &["thickness", "step"],
        usage: "slice:thickness=MM[,step=MM]",
        help: "average slices under a box profile (step defaults to thickness)",
        parse: parse_slice,
    },
    Element {
        name: "spacing",
        params: &["value", "interp", "mask"],
        usage: "spacing:XxYxZ[,interp=bspline|linear][,mask=pv|nearest]",
        help: "resample to a voxel size in mm",
        parse: parse_spacing,
    },
    Element {
        name: "noise",
        params: &["sd", "peak", "mas", "ref_mas"],
        usage: "noise:sd=HU,peak=PER_MM[,mas=M,ref_mas=R]",
        help: "correlated noise, NPS f*exp(-f^2/2peak^2)",
        parse: parse_noise,
    },
    Element {
        name: "translate",
        params: &["x", "y", "z", "interp"],
        usage: "translate:x=VX,y=VX,z=VX[,interp=linear|bspline]",
        help: "move the image by voxel fractions under the ROI",
        parse: parse_translate,
    },
    Element {
        name: "rotate",
        params: &["deg", "about", "interp"],
        usage: "rotate:deg=D[,about=roi|grid][,interp=linear|bspline]",
        help: "turn image and ROI about z",
        parse: parse_rotate,
    },
    Element {
        name: "erode",
        params: &["mm"],
        usage: "erode:mm=MM",
        help: "shrink the ROI",
        parse: parse_erode,
    },
    Element {
        name: "dilate",
        params: &["mm"],
        usage: "dilate:mm=MM",
        help: "grow the ROI",
        parse: parse_dilate,
    },
    Element {
        name: "volume",
        params: &["fraction"],
        usage: "volume:fraction=F",
        help: "shrink or grow the ROI to F times its voxels",
        parse: parse_volume,
    },
    Element {
        name: "supervoxel",
        params: &["count", "compactness", "rep"],
        usage: "supervoxel:count=N[,compactness=M][,rep=R]",
        help: "supervoxel contour randomisation",
        parse: parse_supervoxel,
    },
];

/// The help text for the language, shown by `radaudit perturb --help`.
pub fn help() -> String {
    let mut text = String::from(
        "Elements (separated by ';', applied in this order whatever order they are written in):",
    );
    for e in &ELEMENTS {
        text.push_str(&format!("\n  {:<50} {}", e.usage, e.help));
    }
    text
}

/// Parses one element, e.g. `noise:sd=20,peak=0.3`, with the kV table to use.
pub fn parse_element(text: &str, kv_table: &[KvFactors]) -> Result<Perturbation, String> {
    let (name, rest) = text.split_once(':').unwrap_or((text, ""));
    let name = name.trim();
    if name.is_empty() {
        return Err("an empty perturbation element (two ';' in a row?)".into());
    }
    let element = ELEMENTS.iter().find(|e| e.name == name).ok_or_else(|| {
        let known: Vec<&str> = ELEMENTS.iter().map(|e| e.name).collect();
        format!("unknown perturbation `{name}`; known: {}", known.join(", "))
    })?;
    let params = split_params(name, rest)?;
    only(name, &params, element.params)?;
    (element.parse)(&params, kv_table)
}

fn parse_scanner(p: &Params, _: &[KvFactors]) -> Result<Perturbation, String> {
    let n = "scanner";
    let profile_name = p.get("value").ok_or_else(|| bad(n, "profile", "missing"))?;
    let profile = scanner::profile(profile_name).ok_or_else(|| {
        let known: Vec<&str> = scanner::PROFILES.iter().map(|p| p.name).collect();
        bad(
            n,
            "profile",
            format!("unknown `{profile_name}`; known: {}", known.join(", ")),
        )
    })?;
    Ok(Perturbation::Scanner {
        profile,
        dose: dose(n, p)?,
    })
}

fn parse_noise(p: &Params, _: &[KvFactors]) -> Result<Perturbation, String> {
    let n = "noise";
    Ok(Perturbation::Noise(Noise {
        // Noise beyond 10,000 HU SD is no CT; an NPS peak beyond 10 mm^-1 is past any
        // scanner's Nyquist frequency.
        sd: in_range(n, "sd", required(n, p, "sd")?, 0.0, true, Some(1e4))?,
        peak: in_range(n, "peak", required(n, p, "peak")?, 0.0, false, Some(10.0))?,
        dose: dose(n, p)?,
    }))
}

fn parse_blur(p: &Params, _: &[KvFactors]) -> Result<Perturbation, String> {
    let n = "blur";
    let fwhm_xy = match (number(n, p, "fwhm")?, number(n, p, "mtf50")?) {
        // A blur wider than 100 mm (or an MTF50 past 100 lp/cm) describes no scanner.
        (Some(f), None) => in_range(n, "fwhm", f, 0.0, true, Some(100.0))?,
        (None, Some(m)) => {
            scanner::fwhm_from_mtf50(in_range(n, "mtf50", m, 0.01, true, Some(100.0))?)
        }
        (None, None) => 0.0,
        (Some(_), Some(_)) => return Err(bad(n, "mtf50", "give fwhm or mtf50, not both")),
    };
    let fwhm_z = in_range(
        n,
        "z",
        number(n, p, "z")?.unwrap_or(0.0),
        0.0,
        true,
        Some(100.0),
    )?;
    Ok(Perturbation::Blur(Blur { fwhm_xy, fwhm_z }))
}

fn parse_kvp(p: &Params, kv_table: &[KvFactors]) -> Result<Perturbation, String> {
    let n = "kvp";
    let kv = match (number(n, p, "value")?, number(n, p, "kv")?) {
        (Some(v), None) | (None, Some(v)) => v,
        _ => return Err(bad(n, "kv", "give the voltage once, e.g. kvp:80")),
    };
    let range = |t: &[KvFactors]| {
        let lo = t.iter().map(|e| e.kv).fold(f64::INFINITY, f64::min);
        let hi = t.iter().map(|e| e.kv).fold(f64::NEG_INFINITY, f64::max);
        format!("{lo}-{hi}")
    };
    let f = kvp::factors(kv_table, kv).ok_or_else(|| {
        bad(
            n,
            "kv",
            format!(
                "{kv} kV is outside the table's range {} kV",
                range(kv_table)
            ),
        )
    })?;
    Ok(Perturbation::Kvp(f))
}

fn parse_spacing(p: &Params, _: &[KvFactors]) -> Result<Perturbation, String> {
    let n = "spacing";
    let text = p
        .get("value")
        .ok_or_else(|| bad(n, "spacing", "missing, e.g. spacing:0.8x0.8x2"))?;
    let parts: Vec<&str> = text.split('x').collect();
    if parts.len() != 3 {
        return Err(bad(n, "spacing", format!("`{text}` is not XxYxZ in mm")));
    }
    let mut spacing = [0.0; 3];
    for (a, part) in parts.iter().enumerate() {
        let v = part.trim().parse::<f64>().ok().filter(|v| v.is_finite());
        let v = v.ok_or_else(|| bad(n, "spacing", format!("`{part}` is not a number")))?;
        // 0.01 to 100 mm: beyond either no scanner; the grid is also held to the voxel budget.
        spacing[a] = in_range(n, "spacing", v, 0.01, true, Some(100.0))?;
    }
    let mask = match p.get("mask").map(String::as_str) {
        None | Some("pv") => MaskRule::PartialVolume,
        Some("nearest") => MaskRule::Nearest,
        Some(other) => {
            return Err(bad(n, "mask", format!("`{other}` is not pv or nearest")));
        }
    };
    Ok(Perturbation::Spacing {
        spacing,
        interp: interp(n, p, Interp::BSpline)?,
        mask,
    })
}

fn parse_slice(p: &Params, _: &[KvFactors]) -> Result<Perturbation, String> {
    let n = "slice";
    // Slices of 0.01 to 100 mm, as the spacing.
    let thickness = in_range(
        n,
        "thickness",
        required(n, p, "thickness")?,
        0.01,
        true,
        Some(100.0),
    )?;
    let step = number(n, p, "step")?.unwrap_or(thickness);
    Ok(Perturbation::Slice {
        thickness,
        step: in_range(n, "step", step, 0.01, true, Some(100.0))?,
    })
}

fn parse_erode(p: &Params, _: &[KvFactors]) -> Result<Perturbation, String> {
    // A margin beyond 100 mm removes or grows any ROI past the body.
    let mm = in_range(
        "erode",
        "mm",
        required("erode", p, "mm")?,
        0.0,
        false,
        Some(100.0),
    )?;
    Ok(Perturbation::Erode { mm })
}

fn parse_dilate(p: &Params, _: &[KvFactors]) -> Result<Perturbation, String> {
    let mm = in_range(
        "dilate",
        "mm",
        required("dilate", p, "mm")?,
        0.0,
        false,
        Some(100.0),
    )?;
    Ok(Perturbation::Dilate { mm })
}

fn parse_volume(p: &Params, _: &[KvFactors]) -> Result<Perturbation, String> {
    let n = "volume";
    let fraction = in_range(
        n,
        "fraction",
        required(n, p, "fraction")?,
        0.0,
        false,
        Some(10.0),
    )?;
    Ok(Perturbation::Volume { fraction })
}

fn parse_translate(p: &Params, _: &[KvFactors]) -> Result<Perturbation, String> {
    let n = "translate";
    let mut shift = [0.0; 3];
    for (a, key) in ["x", "y", "z"].into_iter().enumerate() {
        // A shift beyond a metre moves the ROI off any scan.
        shift[a] = in_range(
            n,
            key,
            number(n, p, key)?.unwrap_or(0.0),
            -1000.0,
            true,
            Some(1000.0),
        )?;
    }
    Ok(Perturbation::Translate {
        shift,
        interp: interp(n, p, Interp::Linear)?,
    })
}

fn parse_rotate(p: &Params, _: &[KvFactors]) -> Result<Perturbation, String> {
    let n = "rotate";
    let degrees = in_range(n, "deg", required(n, p, "deg")?, -360.0, true, Some(360.0))?;
    let centre = match p.get("about").map(String::as_str) {
        None | Some("roi") => RotationCentre::Roi,
        Some("grid") => RotationCentre::Grid,
        Some(other) => {
            return Err(bad(n, "about", format!("`{other}` is not roi or grid")));
        }
    };
    Ok(Perturbation::Rotate {
        degrees,
        centre,
        interp: interp(n, p, Interp::Linear)?,
    })
}

/// A whole number in `[min, max]` (the parameter's default when absent).
fn whole(n: &str, p: &Params, key: &str, default: f64, min: f64, max: f64) -> Result<f64, String> {
    let v = in_range(
        n,
        key,
        number(n, p, key)?.unwrap_or(default),
        min,
        true,
        Some(max),
    )?;
    if v.fract() != 0.0 {
        return Err(bad(n, key, format!("must be a whole number, got {v}")));
    }
    Ok(v)
}

fn parse_supervoxel(p: &Params, _: &[KvFactors]) -> Result<Perturbation, String> {
    let n = "supervoxel";
    let count = whole(n, p, "count", 30.0, 1.0, 100_000.0)?;
    let compactness = in_range(
        n,
        "compactness",
        number(n, p, "compactness")?.unwrap_or(1.0),
        0.0,
        false,
        Some(1e6),
    )?;
    let rep = whole(n, p, "rep", 0.0, 0.0, 1e9)?;
    Ok(Perturbation::Supervoxel {
        count: count as usize,
        compactness,
        rep: rep as u64,
    })
}

impl Perturbation {
    /// The element's name in the language.
    pub fn name(&self) -> &'static str {
        match self {
            Perturbation::Scanner { .. } => "scanner",
            Perturbation::Noise(_) => "noise",
            Perturbation::Blur(_) => "blur",
            Perturbation::Kvp(_) => "kvp",
            Perturbation::Spacing { .. } => "spacing",
            Perturbation::Slice { .. } => "slice",
            Perturbation::Erode { .. } => "erode",
            Perturbation::Dilate { .. } => "dilate",
            Perturbation::Volume { .. } => "volume",
            Perturbation::Translate { .. } => "translate",
            Perturbation::Rotate { .. } => "rotate",
            Perturbation::Supervoxel { .. } => "supervoxel",
        }
    }

    /// Where the element runs in a chain (its position in `ELEMENTS`).
    pub fn stage(&self) -> usize {
        ELEMENTS
            .iter()
            .position(|e| e.name == self.name())
            .unwrap_or(ELEMENTS.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One written example per element, in `ELEMENTS` order.
    const EXAMPLES: [&str; 12] = [
        "kvp:80",
        "scanner:sharp",
        "blur:fwhm=1.2",
        "slice:thickness=2",
        "spacing:0.8x0.8x2",
        "noise:sd=20,peak=0.3",
        "translate:x=0.5",
        "rotate:deg=10",
        "erode:mm=1",
        "dilate:mm=1",
        "volume:fraction=0.9",
        "supervoxel:count=8",
    ];

    #[test]
    fn every_element_parses_to_its_own_variant_in_chain_order() {
        for (k, (element, example)) in ELEMENTS.iter().zip(EXAMPLES).enumerate() {
            let p = parse_element(example, &kvp::DEFAULT_TABLE).unwrap();
            assert_eq!(p.name(), element.name, "{example}");
            assert_eq!(p.stage(), k, "{example}");
            assert!(help().contains(element.usage));
        }
    }

    #[test]
    fn parameters_outside_an_elements_list_are_refused_by_name() {
        let e = parse_element("erode:mm=1,depth=2", &kvp::DEFAULT_TABLE).unwrap_err();
        assert_eq!(
            e,
            "perturbation `erode`, parameter `depth`: unknown; known: mm"
        );
        let e = parse_element("blurr:fwhm=1", &kvp::DEFAULT_TABLE).unwrap_err();
        assert!(e.starts_with("unknown perturbation `blurr`; known: kvp, scanner"));
    }
}
