//! Features as the Image Biomarker Standardisation Initiative defines them (IBSI 1, Zwanenburg
//! et al., Radiology 2020), the alternative to the PyRadiomics convention of `features`.
//!
//! `settings` reads IBSI parameter files, `prepare` does IBSI's image processing, and each
//! family is one module: `morphology` (with `hull` and `autocorrelation`), `intensity` (local
//! intensity, statistics, histogram, intensity-volume histogram) and `texture` (GLCM, GLRLM,
//! GLSZM, GLDZM, NGTDM, NGLDM with every aggregation). Features are named by their IBSI tags
//! (`cm_joint_max_3D_comb`), as in the IBSI reference tables. `check` runs the IBSI phantoms
//! against those tables.
//!
//! Where PyRadiomics departs from IBSI (its documentation lists the places): fixed-bin-size
//! edges start at the re-segmentation minimum here, not at 0; the interpolation grid is
//! centred, not aligned on the first voxel; interpolated intensities can be rounded; the mask
//! is interpolated linearly with a partial-volume threshold, not nearest-neighbour; kurtosis
//! is excess kurtosis; energy has no shift; GLCM features come in six aggregations.

pub(crate) mod autocorrelation;
pub mod filters;
pub(crate) mod hull;
pub(crate) mod intensity;
pub(crate) mod interpolate;
pub(crate) mod morphology;
pub(crate) mod prepare;
pub mod settings;
pub(crate) mod texture;

use self::intensity::IvhAxis;
use self::prepare::{Region, discretise, prepare};
use self::settings::{Dimension, Discretisation, IbsiSettings};
use self::texture::Levels;
use crate::features::value::FeatureValue;
use crate::features::value::PrepareError;
use crate::volume::{GeometryTolerance, Mask, Volume};

/// The eleven IBSI 1 families, with the tag prefix of their features.
pub const FAMILIES: [(&str, &str); 11] = [
    ("morphology", "morph_"),
    ("local_intensity", "loc_"),
    ("intensity_statistics", "stat_"),
    ("intensity_histogram", "ih_"),
    ("intensity_volume_histogram", "ivh_"),
    ("glcm", "cm_"),
    ("glrlm", "rlm_"),
    ("glszm", "szm_"),
    ("gldzm", "dzm_"),
    ("ngtdm", "ngt_"),
    ("ngldm", "ngl_"),
];

/// The family a tag belongs to.
pub fn family_of(tag: &str) -> Option<&'static str> {
    FAMILIES
        .iter()
        .find(|(_, prefix)| tag.starts_with(prefix))
        .map(|(f, _)| *f)
}

/// Suffixes of a texture family for the asked dimensionalities.
fn suffixes(directional: bool, dims: &[Dimension]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for d in dims {
        match (d, directional) {
            (Dimension::D2, true) => out.extend(["2D_avg", "2D_comb"]),
            (Dimension::D25, true) => out.extend(["2_5D_avg", "2_5D_comb"]),
            (Dimension::D3, true) => out.extend(["3D_avg", "3D_comb"]),
            (Dimension::D2, false) => out.push("2D"),
            (Dimension::D25, false) => out.push("2_5D"),
            (Dimension::D3, false) => out.push("3D"),
        }
    }
    out
}

/// Every tag computed with these dimensionalities, in output order.
pub fn all_tags(dims: &[Dimension]) -> Vec<String> {
    let mut out: Vec<String> = morphology::TAGS
        .iter()
        .chain(intensity::LOCAL_TAGS)
        .chain(intensity::STAT_TAGS)
        .chain(intensity::HIST_TAGS)
        .chain(intensity::IVH_TAGS)
        .map(|t| t.to_string())
        .collect();
    let texture: [(&str, &[&str], bool); 6] = [
        ("cm_", texture::glcm::NAMES, true),
        ("rlm_", texture::glrlm::NAMES, true),
        ("szm_", texture::zones::SZM_NAMES, false),
        ("dzm_", texture::zones::DZM_NAMES, false),
        ("ngt_", texture::neighbourhood::NGTDM_NAMES, false),
        ("ngl_", texture::neighbourhood::NGLDM_NAMES, false),
    ];
    for (prefix, names, directional) in texture {
        for suffix in suffixes(directional, dims) {
            for n in names {
                out.push(format!("{prefix}{n}_{suffix}"));
            }
        }
    }
    out
}

/// The tags `compute` computes: the selected ones, intensity statistics by default on a
/// filtered image.
fn computed_tags(s: &IbsiSettings) -> std::result::Result<Vec<String>, String> {
    match (&s.filter, &s.features) {
        // A filtered image's features are IBSI 2's: intensity statistics.
        (Some(_), None) => selected_tags(&IbsiSettings {
            features: Some(vec!["intensity_statistics".into()]),
            ..s.clone()
        }),
        _ => selected_tags(s),
    }
}

/// The names `compute` gives its values, in its order: the tags computed, prefixed by the
/// filter's identity (`<identity>_<tag>`) when the settings filter the image.
pub fn output_names(s: &IbsiSettings) -> std::result::Result<Vec<String>, String> {
    let prefix = s
        .filter
        .as_ref()
        .map_or(String::new(), |f| format!("{}_", f.identity()));
    Ok(computed_tags(s)?
        .into_iter()
        .map(|t| format!("{prefix}{t}"))
        .collect())
}

/// The tags to compute: all, or those the settings' `features` name (families or tags).
/// An unknown name is an error saying what exists.
pub fn selected_tags(s: &IbsiSettings) -> std::result::Result<Vec<String>, String> {
    let all = all_tags(&s.dimensions);
    let Some(wanted) = &s.features else {
        return Ok(all);
    };
    let mut keep = vec![false; all.len()];
    for w in wanted {
        if FAMILIES.iter().any(|(f, _)| f == w) {
            for (k, t) in all.iter().enumerate() {
                keep[k] |= family_of(t) == Some(w.as_str());
            }
        } else if let Some(k) = all.iter().position(|t| t == w) {
            keep[k] = true;
        } else if all_tags(&[Dimension::D2, Dimension::D25, Dimension::D3]).contains(w) {
            return Err(format!(
                "features: {w} needs a texture dimensionality not in `texture` ({})",
                s.dimensions
                    .iter()
                    .map(|d| d.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        } else {
            return Err(format!(
                "features: no IBSI feature or family is called {w:?}; families are {}, tags as in the IBSI reference tables (e.g. cm_joint_max_3D_comb)",
                FAMILIES.map(|f| f.0).join(", ")
            ));
        }
    }
    Ok(all
        .into_iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(t, _)| t)
        .collect())
}

/// The intensity-volume histogram's axis for these settings.
fn ivh_axis(region: &prepare::Roi, s: &IbsiSettings) -> std::result::Result<IvhAxis, String> {
    let raw = prepare::masked(&region.image, &region.intensity);
    let min = raw.iter().copied().fold(f64::INFINITY, f64::min);
    let max = raw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let range = s
        .resegment_range
        .filter(|[lo, hi]| lo.is_finite() && hi.is_finite())
        .map(|[lo, hi]| (lo, hi));
    Ok(match s.ivh {
        Discretisation::None => {
            let levels = if raw.iter().all(|v| v.fract() == 0.0) {
                (min as i64..=max as i64).map(|v| v as f64).collect()
            } else {
                let mut u = raw.clone();
                u.sort_by(f64::total_cmp);
                u.dedup();
                u
            };
            IvhAxis {
                values: raw,
                levels,
                range: range.unwrap_or((min, max)),
            }
        }
        Discretisation::BinSize(w) => {
            let base = range.map(|r| r.0).unwrap_or(min);
            let bin = |v: f64| ((v - base) / w).floor() + 1.0;
            let centre = |d: f64| base + (d - 0.5) * w;
            let top = bin(max);
            prepare::check_bins(top, w).map_err(|e| format!("ivh: {e}"))?;
            IvhAxis {
                values: raw.iter().map(|&v| centre(bin(v))).collect(),
                levels: (1..=top as i64).map(|d| centre(d as f64)).collect(),
                range: range.unwrap_or((centre(1.0), centre(top))),
            }
        }
        Discretisation::BinNumber(n) => {
            let d = discretise(&region.image, &region.intensity, s.ivh, None)?;
            IvhAxis {
                values: prepare::masked(&d.levels, &region.intensity)
                    .into_iter()
                    .map(f64::from)
                    .collect(),
                levels: (1..=n).map(|k| k as f64).collect(),
                range: (1.0, n as f64),
            }
        }
    })
}

/// Computes the selected IBSI features of `label` in an image, named by tag, in output order.
/// The error says whether the image's intensities or the ROI (mask, label, grid) are at fault;
/// settings are checked by `selected_tags` before.
pub fn compute(
    image: &Volume,
    mask: &Mask,
    s: &IbsiSettings,
) -> std::result::Result<Vec<FeatureValue>, PrepareError> {
    mask.check_matches(image, GeometryTolerance::default())
        .map_err(|e| PrepareError::Roi(e.to_string()))?;
    let tags = computed_tags(s).map_err(PrepareError::Roi)?;
    let wants = |family: &str| tags.iter().any(|t| family_of(t) == Some(family));
    let region: Region = prepare(image, mask, s)?;
    let roi = region.cropped();
    let mut values: Vec<(String, f64)> = Vec::new();
    let mut push = |names: &[&str], v: Vec<f64>| {
        values.extend(names.iter().map(|n| n.to_string()).zip(v));
    };
    if wants("morphology") {
        push(morphology::TAGS, morphology::features(&roi));
    }
    if wants("local_intensity") {
        push(
            intensity::LOCAL_TAGS,
            intensity::local_peaks(&region).map_err(PrepareError::Roi)?,
        );
    }
    if wants("intensity_statistics") {
        push(
            intensity::STAT_TAGS,
            intensity::statistics(&roi.image, &roi.intensity),
        );
    }
    if wants("intensity_volume_histogram") {
        let axis = ivh_axis(&roi, s).map_err(PrepareError::Image)?;
        push(intensity::IVH_TAGS, intensity::volume_histogram(&axis));
    }
    let texture_families = ["glcm", "glrlm", "glszm", "gldzm", "ngtdm", "ngldm"];
    if wants("intensity_histogram") || texture_families.iter().any(|f| wants(f)) {
        let range_min = s.resegment_range.map(|r| r[0]);
        let levels = discretise(&roi.image, &roi.intensity, s.discretisation, range_min)
            .map_err(PrepareError::Image)?;
        if wants("intensity_histogram") {
            push(
                intensity::HIST_TAGS,
                intensity::histogram(&levels.levels, &roi.intensity, levels.count),
            );
        }
        let lattice = Levels::new(&levels.levels);
        let dims = &s.dimensions;
        let mut texture = |prefix: &str, names: &[&str], groups: Vec<(&str, Vec<f64>)>| {
            for (suffix, v) in groups {
                for (n, x) in names.iter().zip(v) {
                    values.push((format!("{prefix}{n}_{suffix}"), x));
                }
            }
        };
        if wants("glcm") {
            let g = texture::glcm::family(&lattice, levels.count, dims);
            texture("cm_", texture::glcm::NAMES, g);
        }
        if wants("glrlm") {
            texture(
                "rlm_",
                texture::glrlm::NAMES,
                texture::glrlm::family(&lattice, dims),
            );
        }
        if wants("glszm") || wants("gldzm") {
            let (szm, dzm) = texture::zones::families(&lattice, &roi.morph, dims);
            texture("szm_", texture::zones::SZM_NAMES, szm);
            texture("dzm_", texture::zones::DZM_NAMES, dzm);
        }
        if wants("ngtdm") || wants("ngldm") {
            let (ngt, ngl) = texture::neighbourhood::families(&lattice, dims);
            texture("ngt_", texture::neighbourhood::NGTDM_NAMES, ngt);
            texture("ngl_", texture::neighbourhood::NGLDM_NAMES, ngl);
        }
    }
    // Output in the canonical order, only what was asked, every tag present (NaN where a
    // family has nothing to measure), so that tables of many cases line up. A filtered
    // image's features carry the filter's identity: `<identity>_<tag>`.
    let prefix = s
        .filter
        .as_ref()
        .map_or(String::new(), |f| format!("{}_", f.identity()));
    Ok(tags
        .into_iter()
        .map(|tag| {
            let value = values
                .iter()
                .find(|(n, _)| *n == tag)
                .map_or(f64::NAN, |(_, v)| *v);
            FeatureValue {
                name: format!("{prefix}{tag}"),
                value,
            }
        })
        .collect())
}
