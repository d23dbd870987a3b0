//! PyRadiomics' image types: the Original image and the filtered images derived from it
//! (`imageoperations.get<Type>Image` in PyRadiomics 3.1), each yielding one or more images
//! named as PyRadiomics names them (`wavelet-LLH`, `square`, ...). Every feature class but
//! shape is computed on each of them.
//!
//! A filter works on the image as PyRadiomics loads it ([`LoadedImage`]: after normalisation
//! and resampling, before re-segmentation and cropping), and yields images one at a time, so a
//! case never holds all its filtered images at once.

mod gradient;
mod lbp;
mod lbp3d;
mod log;
mod pointwise;
mod wavelet;
#[rustfmt::skip]
mod wavelet_banks;

use std::borrow::Cow;

use ndarray::{Array3, s};

use super::prepare::LoadedImage;
use super::settings::Settings;
use crate::volume::pixel::PixelType;

pub use lbp::MAX_SAMPLES as LBP2D_MAX_SAMPLES;
pub use lbp::Method as LbpMethod;
pub use wavelet::wavelet_names;

/// The region `from..=to` (array axes z, y, x, inclusive) of `image`: the image itself when
/// the region is all of it, else a copy. Filters whose response on the ROI's box depends on
/// a margin around it run on this.
fn region(image: &Array3<f64>, from: [usize; 3], to: [usize; 3]) -> Cow<'_, Array3<f64>> {
    let (nz, ny, nx) = image.dim();
    if from == [0; 3] && to == [nz - 1, ny - 1, nx - 1] {
        Cow::Borrowed(image)
    } else {
        Cow::Owned(
            image
                .slice(s![from[0]..=to[0], from[1]..=to[1], from[2]..=to[2]])
                .to_owned(),
        )
    }
}

/// One of PyRadiomics' image types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageType {
    /// The image itself (`original`).
    Original,
    /// Undecimated wavelet decompositions (`wavelet-LLH`, ..., `wavelet-LLL`).
    Wavelet,
    /// Laplacian of Gaussian per sigma (`log-sigma-1-0-mm-3D`).
    LoG,
    /// `square`: (x / sqrt(max |x|))^2.
    Square,
    /// `squareroot`: sign(x) sqrt(|x| max |x|).
    SquareRoot,
    /// `logarithm`: sign(x) log(|x| + 1), rescaled to the original maximum.
    Logarithm,
    /// `exponential`: exp(x log(max |x|) / max |x|).
    Exponential,
    /// `gradient`: the gradient magnitude.
    Gradient,
    /// Local binary pattern per slice (`lbp-2D`).
    Lbp2D,
    /// Local binary pattern in 3D (`lbp-3D-m1`, ...).
    Lbp3D,
}

impl ImageType {
    /// Every image type, in PyRadiomics' documentation order.
    pub const ALL: [ImageType; 10] = [
        ImageType::Original,
        ImageType::Wavelet,
        ImageType::LoG,
        ImageType::Square,
        ImageType::SquareRoot,
        ImageType::Logarithm,
        ImageType::Exponential,
        ImageType::Gradient,
        ImageType::Lbp2D,
        ImageType::Lbp3D,
    ];

    /// The name in a parameter file's `imageType` (`Wavelet`, `LoG`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ImageType::Original => "Original",
            ImageType::Wavelet => "Wavelet",
            ImageType::LoG => "LoG",
            ImageType::Square => "Square",
            ImageType::SquareRoot => "SquareRoot",
            ImageType::Logarithm => "Logarithm",
            ImageType::Exponential => "Exponential",
            ImageType::Gradient => "Gradient",
            ImageType::Lbp2D => "LBP2D",
            ImageType::Lbp3D => "LBP3D",
        }
    }

    /// The type of this `imageType` name.
    pub fn from_name(name: &str) -> Option<ImageType> {
        ImageType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The settings that configure this type's filter (and no other type's).
    pub fn own_settings(self) -> &'static [&'static str] {
        match self {
            ImageType::Wavelet => &["wavelet", "start_level", "level"],
            ImageType::LoG => &["sigma"],
            ImageType::Gradient => &["gradientUseSpacing"],
            ImageType::Lbp2D => &["lbp2DRadius", "lbp2DSamples", "lbp2DMethod"],
            ImageType::Lbp3D => &[
                "lbp3DLevels",
                "lbp3DIcosphereRadius",
                "lbp3DIcosphereSubdivision",
            ],
            _ => &[],
        }
    }
}

/// The settings of the filters (PyRadiomics' defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct FilterSettings {
    /// `sigma` (none): LoG widths in mm.
    pub sigma: Vec<f64>,
    /// `wavelet` (coif1): a PyWavelets discrete wavelet name.
    pub wavelet: String,
    /// `start_level` (0): decompositions computed and discarded before the first kept level.
    pub start_level: usize,
    /// `level` (1): decomposition levels kept.
    pub level: usize,
    /// `gradientUseSpacing` (true): derivatives per mm rather than per voxel.
    pub gradient_use_spacing: bool,
    /// `lbp2DRadius` (1): the LBP circle's radius in voxels.
    pub lbp2d_radius: f64,
    /// `lbp2DSamples` (8): points on the circle.
    pub lbp2d_samples: usize,
    /// `lbp2DMethod` (uniform).
    pub lbp2d_method: LbpMethod,
    /// `lbp3DLevels` (2): spherical harmonic degrees, one image each.
    pub lbp3d_levels: usize,
    /// `lbp3DIcosphereRadius` (1): the sampling sphere's radius in voxels.
    pub lbp3d_radius: f64,
    /// `lbp3DIcosphereSubdivision` (1): times the icosahedron's faces are split in four.
    pub lbp3d_subdivision: usize,
}

impl Default for FilterSettings {
    fn default() -> Self {
        FilterSettings {
            sigma: Vec::new(),
            wavelet: "coif1".into(),
            start_level: 0,
            level: 1,
            gradient_use_spacing: true,
            lbp2d_radius: 1.0,
            lbp2d_samples: 8,
            lbp2d_method: LbpMethod::Uniform,
            lbp3d_levels: 2,
            lbp3d_radius: 1.0,
            lbp3d_subdivision: 1,
        }
    }
}

/// Whether `name` is a wavelet PyRadiomics accepts (PyWavelets' discrete wavelets).
pub fn is_wavelet(name: &str) -> bool {
    wavelet_banks::BANKS.iter().any(|b| b.0 == name)
}

/// A PyWavelets discrete wavelet's decomposition filters (low pass, high pass), by name.
pub(crate) fn wavelet_filters(name: &str) -> Option<(&'static [f64], &'static [f64])> {
    wavelet_banks::BANKS
        .iter()
        .find(|b| b.0 == name)
        .map(|b| (b.1, b.2))
}

/// The wavelet names radaudit knows, for error messages.
pub fn wavelet_families() -> &'static str {
    "haar, db1-db38, sym2-sym20, coif1-coif17, bior1.1-bior6.8, rbio1.1-rbio6.8, dmey"
}

/// Receives each filtered image with its name (`wavelet-LLH`).
pub type Emit<'a, E> = dyn FnMut(&str, Array3<f64>) -> Result<(), E> + 'a;

/// The names (`wavelet-LLH`, `square`) of the images a type yields with these settings, in
/// the order it yields them.
pub fn image_names(kind: ImageType, s: &FilterSettings, force2d: Option<usize>) -> Vec<String> {
    match kind {
        ImageType::Original => vec!["original".into()],
        ImageType::Wavelet => wavelet_names(s.level, force2d),
        ImageType::LoG => s
            .sigma
            .iter()
            .map(|sigma| format!("log-sigma-{}-mm-3D", python_float(*sigma).replace('.', "-")))
            .collect(),
        ImageType::Square => vec!["square".into()],
        ImageType::SquareRoot => vec!["squareroot".into()],
        ImageType::Logarithm => vec!["logarithm".into()],
        ImageType::Exponential => vec!["exponential".into()],
        ImageType::Gradient => vec!["gradient".into()],
        ImageType::Lbp2D => vec!["lbp-2D".into()],
        ImageType::Lbp3D => lbp3d::Lbp3d::names(s.lbp3d_levels),
    }
}

/// A number as Python's `str(float)` writes it for the values a setting takes (`1.0`, `0.5`):
/// PyRadiomics builds LoG image names from it.
fn python_float(v: f64) -> String {
    let s = format!("{v:?}");
    if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") {
        s
    } else {
        format!("{s}.0")
    }
}

/// Runs the filter of `kind` on the loaded image and hands each image it yields, with its
/// name and cropped to the ROI's box, to `emit` (the filter sees the whole image; only the box
/// is computed where the filter allows). `roi` is the mask over the box (LBP3D is computed
/// on its voxels only). A LoG
/// sigma PyRadiomics would skip (too large for the image) is handed over as an empty image,
/// after a warning on stderr, so that its features can be reported as missing.
pub fn apply<E>(
    kind: ImageType,
    image: &LoadedImage,
    roi: &Array3<bool>,
    settings: &Settings,
    emit: &mut Emit<E>,
) -> Result<(), E> {
    let s = &settings.filter;
    let force2d = settings.texture.plane_axis;
    // The voxel-wise filters scale by the whole image, then map the box.
    let pointwise = |f: fn(&Array3<f64>, Array3<f64>) -> Array3<f64>| {
        f(&image.values, image.crop(&image.values))
    };
    match kind {
        ImageType::Original => emit("original", image.crop(&image.values)),
        ImageType::Square => emit("square", pointwise(pointwise::square)),
        ImageType::SquareRoot => emit("squareroot", pointwise(pointwise::square_root)),
        ImageType::Logarithm => emit("logarithm", pointwise(pointwise::logarithm)),
        ImageType::Exponential => emit("exponential", pointwise(pointwise::exponential)),
        ImageType::Gradient => emit(
            "gradient",
            gradient::magnitude(
                &image.values,
                image.spacing,
                s.gradient_use_spacing,
                image.lo,
                image.hi,
            ),
        ),
        // PyWavelets computes a float32 image in float32.
        ImageType::Wavelet => wavelet::decompose(
            &image.values,
            s,
            force2d,
            image.lo,
            image.hi,
            image.pixel == PixelType::F32,
            emit,
        ),
        ImageType::LoG => {
            let (z, y, x) = image.values.dim();
            let names = image_names(kind, s, force2d);
            for (sigma, name) in s.sigma.iter().zip(&names) {
                match log::skipped(*sigma, [z, y, x], image.spacing) {
                    // PyRadiomics skips it with a warning: an empty image says so.
                    Some(why) => {
                        eprintln!("warning: {name} skipped, as PyRadiomics skips it: {why}");
                        emit(name, Array3::zeros((0, 0, 0)))?;
                    }
                    None => emit(
                        name,
                        log::laplacian_of_gaussian(
                            &image.values,
                            image.spacing,
                            *sigma,
                            image.lo,
                            image.hi,
                        ),
                    )?,
                }
            }
            Ok(())
        }
        ImageType::Lbp2D => emit(
            "lbp-2D",
            lbp::lbp2d(
                &image.values,
                image.pixel,
                settings.force2d_dimension,
                s.lbp2d_samples,
                s.lbp2d_radius,
                s.lbp2d_method,
                image.lo,
                image.hi,
            ),
        ),
        ImageType::Lbp3D => {
            let lbp = lbp3d::Lbp3d::new(s.lbp3d_levels, s.lbp3d_radius, s.lbp3d_subdivision);
            let images = lbp.images(&image.values, image.pixel, roi, image.lo, image.hi);
            let names = image_names(kind, s, force2d);
            for (name, filtered) in names.iter().zip(images) {
                emit(name, filtered)?;
            }
            Ok(())
        }
    }
}
