//! Perturbations that mimic how acquisitions differ: scanner noise texture and resolution
//! (`scanner`), tube voltage (`kvp`), voxel size and slice thickness (`voxel`), and the
//! segmentation (`segmentation`, `supervoxel`), chained in a fixed physical order and driven
//! by seeded ChaCha8 streams (`random`) so results never depend on thread scheduling.
//!
//! A chain is written in a small language (`spec`), e.g. `kvp:80; blur:fwhm=1.2; noise:sd=20,
//! peak=0.3; erode:mm=1`. Whatever order the elements are written in, they run as an
//! acquisition would: tube voltage (what the materials read), blur (the scanner's PSF),
//! slice thickness, reconstruction grid, noise (on the reconstructed grid), then the
//! segmentation changes (translation, rotation, erosion/dilation/volume, supervoxels).

pub(crate) mod distance;
pub mod kvp;
pub mod random;
pub(crate) mod scanner;
pub mod segmentation;
pub(crate) mod spec;
pub(crate) mod spectral;
pub mod supervoxel;
pub(crate) mod voxel;
pub(crate) mod warp;

use ndarray::Array3;

pub use spec::Perturbation;

use crate::error::{Error, Result};
use crate::volume::{GeometryTolerance, Mask, PixelType, Volume, padding};

/// An image and its ROI (a binary mask on the image's grid).
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// The image.
    pub image: Volume,
    /// The ROI, shape (z, y, x) of the image's grid.
    pub roi: Array3<bool>,
    /// The image's out-of-field padding (found on the whole image, kept when cropped): the
    /// perturbations see the field's edge extended over it, and it is put back after them.
    pub padding: Option<f32>,
}

impl Case {
    /// The case made of `image` and the voxels of `mask` that hold `label`.
    pub fn new(image: Volume, mask: &Mask, label: u16) -> Result<Case> {
        mask.geometry
            .check_same(&image.geometry, GeometryTolerance::default())
            .map_err(|e| Error::Mismatch(format!("image and mask grids differ: {e}")))?;
        let roi = mask.labels.mapv(|l| l == label);
        if !roi.iter().any(|&v| v) {
            return Err(Error::Usage(format!(
                "the mask holds no voxel with label {label}"
            )));
        }
        let padding = padding::detect(&image.voxels).map(|p| p.value);
        Ok(Case {
            image,
            roi,
            padding,
        })
    }

    /// The ROI as a mask with `label` on the image's grid.
    pub fn mask(&self, label: u16) -> Mask {
        Mask {
            geometry: self.image.geometry.clone(),
            labels: self.roi.mapv(|v| if v { label } else { 0 }),
        }
    }

    /// The case cropped to the ROI's bounding box plus `margin_mm` on every side (within the
    /// grid), so perturbations and features touch only the voxels they need.
    pub fn cropped(&self, margin_mm: f64) -> Case {
        let g = &self.image.geometry;
        let (mut lo, mut hi) = ([usize::MAX; 3], [0usize; 3]);
        for ((k, j, i), &v) in self.roi.indexed_iter() {
            if v {
                for (a, x) in [i, j, k].into_iter().enumerate() {
                    lo[a] = lo[a].min(x);
                    hi[a] = hi[a].max(x);
                }
            }
        }
        if lo[0] == usize::MAX {
            return self.clone();
        }
        for a in 0..3 {
            let m = (margin_mm / g.spacing[a]).ceil() as usize;
            lo[a] = lo[a].saturating_sub(m);
            hi[a] = (hi[a] + m).min(g.size[a] - 1);
        }
        let size = [0, 1, 2].map(|a| hi[a] - lo[a] + 1);
        let slice = ndarray::s![lo[2]..=hi[2], lo[1]..=hi[1], lo[0]..=hi[0]];
        Case {
            image: Volume {
                geometry: g.sub_grid(lo, size),
                voxels: self.image.voxels.slice(slice).to_owned(),
                stored_type: self.image.stored_type,
            },
            roi: self.roi.slice(slice).to_owned(),
            padding: self.padding,
        }
    }

    /// Voxels in the ROI.
    pub fn roi_voxels(&self) -> usize {
        self.roi.iter().filter(|&&v| v).count()
    }
}

/// A checked chain of perturbations in application order, with a canonical text that
/// identifies it (and seeds its random streams).
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    /// The elements, in application order.
    pub elements: Vec<Perturbation>,
    /// Each element's text as written (whitespace removed); a scanner profile's blur and
    /// noise both carry the profile's text.
    pub texts: Vec<String>,
    /// The distinct element texts in application order, joined by "; ".
    pub id: String,
}

impl Chain {
    /// Parses a chain with the default kV table.
    pub fn parse(text: &str) -> Result<Chain> {
        Chain::parse_with(text, &kvp::DEFAULT_TABLE)
    }

    /// Parses a chain; `kv_table` gives the tube-voltage factors.
    pub fn parse_with(text: &str, kv_table: &[kvp::KvFactors]) -> Result<Chain> {
        let mut parts: Vec<(String, Perturbation)> = Vec::new();
        for raw in text.split(';') {
            let raw = raw.trim();
            if raw.is_empty() && text.trim().is_empty() {
                continue;
            }
            let p = spec::parse_element(raw, kv_table).map_err(Error::Usage)?;
            let canonical = raw.split_whitespace().collect::<Vec<_>>().join("");
            let expanded = match p {
                Perturbation::Scanner { profile, dose } => vec![
                    Perturbation::Blur(profile.blur),
                    Perturbation::Noise(scanner::Noise {
                        dose,
                        ..profile.noise
                    }),
                ],
                other => vec![other],
            };
            for e in expanded {
                if let Some(prev) = parts.iter().find(|(_, q)| q.name() == e.name()) {
                    return Err(Error::Usage(format!(
                        "perturbation `{}` appears twice (in `{}` and `{canonical}`); a chain \
                         holds each kind once",
                        e.name(),
                        prev.0
                    )));
                }
                parts.push((canonical.clone(), e));
            }
        }
        Ok(Chain::from_parts(parts))
    }

    /// A chain of checked elements (each kind once), put in application order.
    fn from_parts(mut parts: Vec<(String, Perturbation)>) -> Chain {
        parts.sort_by_key(|(_, p)| p.stage());
        let mut id_parts: Vec<String> = Vec::new();
        for (text, _) in &parts {
            if !id_parts.contains(text) {
                id_parts.push(text.clone());
            }
        }
        let (texts, elements) = parts.into_iter().unzip();
        Chain {
            elements,
            texts,
            id: id_parts.join("; "),
        }
    }

    /// This chain with `level`'s elements in place of its own elements of the same kind
    /// (a baseline acquisition with one thing changed).
    pub fn overridden_by(&self, level: &Chain) -> Chain {
        let mut parts: Vec<(String, Perturbation)> = self
            .texts
            .iter()
            .zip(&self.elements)
            .filter(|(_, e)| !level.elements.iter().any(|l| l.name() == e.name()))
            .map(|(t, e)| (t.clone(), e.clone()))
            .collect();
        parts.extend(
            level
                .texts
                .iter()
                .cloned()
                .zip(level.elements.iter().cloned()),
        );
        Chain::from_parts(parts)
    }

    /// Applies the chain to `case`. Random elements draw from the stream of
    /// (`seed`, `case_id`, this chain's id and the element's name).
    pub fn apply(&self, case: &mut Case, seed: u64, case_id: &str) -> Result<()> {
        let Some(value) = case.padding else {
            return self.apply_elements(case, seed, case_id);
        };
        // Padding out of the perturbations' way: the field extended over it, then put back
        // (on the new grid, if a perturbation resampled).
        let before = case.image.geometry.clone();
        let padded = padding::fill(&mut case.image.voxels, value);
        let result = self.apply_elements(case, seed, case_id);
        padding::restore(
            &mut case.image.voxels,
            &case.image.geometry,
            &padded,
            &before,
            value,
        );
        result
    }

    /// Applies the chain's elements in order.
    fn apply_elements(&self, case: &mut Case, seed: u64, case_id: &str) -> Result<()> {
        for element in &self.elements {
            let name = element.name();
            let fail = |problem: String| Error::Usage(format!("perturbation `{name}`: {problem}"));
            let fail_on = |param: &'static str| {
                move |problem: String| {
                    Error::Usage(format!(
                        "perturbation `{name}`, parameter `{param}`: {problem}"
                    ))
                }
            };
            let rng = || random::stream(seed, case_id, &format!("{}|{name}", self.id));
            match element {
                Perturbation::Scanner { .. } => {
                    return Err(Error::Internal(
                        "scanner profiles are expanded when parsed".into(),
                    ));
                }
                Perturbation::Noise(noise) => {
                    scanner::add_noise(&mut case.image, noise, &mut rng())
                }
                Perturbation::Blur(blur) => scanner::blur(&mut case.image, blur),
                Perturbation::Kvp(f) => {
                    case.image
                        .voxels
                        .mapv_inplace(|v| kvp::convert(f64::from(v), f) as f32);
                }
                Perturbation::Spacing {
                    spacing,
                    interp,
                    mask,
                } => {
                    voxel::resample_spacing(case, *spacing, *interp, *mask)
                        .map_err(fail_on("spacing"))?;
                }
                Perturbation::Slice { thickness, step } => {
                    voxel::thicken_slices(case, *thickness, *step).map_err(fail_on("step"))?
                }
                Perturbation::Erode { mm } => {
                    segmentation::erode(case, *mm).map_err(fail_on("mm"))?
                }
                Perturbation::Dilate { mm } => segmentation::dilate(case, *mm),
                Perturbation::Volume { fraction } => {
                    segmentation::scale_volume(case, *fraction).map_err(fail_on("fraction"))?;
                }
                Perturbation::Translate { shift, interp } => {
                    segmentation::translate(case, *shift, *interp)
                }
                Perturbation::Rotate {
                    degrees,
                    centre,
                    interp,
                } => {
                    segmentation::rotate(case, *degrees, *centre, *interp)
                        .map_err(fail_on("deg"))?;
                }
                Perturbation::Supervoxel {
                    count,
                    compactness,
                    rep,
                } => {
                    let settings = supervoxel::Settings {
                        count: *count,
                        compactness: *compactness,
                    };
                    let mut r = random::stream(seed, case_id, &format!("{}|{name}|{rep}", self.id));
                    supervoxel::randomise(case, &settings, &mut r).map_err(fail)?;
                }
            }
            if case.roi_voxels() == 0 {
                return Err(fail("the ROI is empty afterwards".into()));
            }
        }
        case.image.stored_type = PixelType::F32;
        Ok(())
    }
}
