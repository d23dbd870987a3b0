//! IBSI 2 convolutional filters in the IBSI convention (Whybra et al., Radiology 2024; manual
//! arXiv:2006.05470): a filter is written `NAME:param=value,...` (`radaudit filter --apply`,
//! an IBSI parameter file's `filter:`), applied to a volume's voxels on its own grid (sigmas in
//! mm through the voxel spacing), with a boundary condition (`convolve::Boundary`) and in 3-D
//! or slice by slice in 2-D (the plane of array axes i and j).
//!
//! The filters: `mean`, `log` (IBSI's Laplacian of Gaussian), `laws` (with rotation
//! invariance, pooling and the energy map), `wavelet` (separable, undecimated, any level,
//! rotation invariant by averaging), `gabor`, `simoncelli` (the non-separable wavelet's B
//! map) and `riesz` (the Riesz transform of a LoG's or a Simoncelli wavelet's response). Not
//! built: the Riesz transform steered by a structure tensor (IBSI published no reference for
//! it).
//!
//! Axis convention (IBSI 2 reference maps): a kernel's letters or an order's components map to
//! the image index axes i, j, k in turn, which are array axes 2, 1, 0 here.

pub mod convolve;
mod gabor;
mod laws;
mod riesz;
mod simoncelli;
mod wavelet;

use ndarray::Array3;

pub use convolve::Boundary;
pub use gabor::Gabor;

/// The filters' names, as a specification starts (`log:sigma=1.5`).
pub const NAMES: [&str; 7] = [
    "mean",
    "log",
    "laws",
    "wavelet",
    "gabor",
    "simoncelli",
    "riesz",
];

/// The largest LoG sigma (mm): beyond, kernels would outgrow any image.
pub const MAX_SIGMA_MM: f64 = 1000.0;
/// The largest mean filter support (voxels).
pub const MAX_SUPPORT: usize = 1001;

/// 3-D, or 2-D in each slice (the i-j plane).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dims {
    /// Slice by slice in the i-j plane.
    Two,
    /// In 3-D.
    Three,
}

/// How rotated responses are pooled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    /// The largest response.
    Max,
    /// The mean response.
    Average,
    /// The smallest response.
    Min,
}

/// One filter with its parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Mean over a cube (square in 2-D) of `support` voxels per side.
    Mean {
        /// Voxels per side (odd).
        support: usize,
    },
    /// Laplacian of Gaussian of scale `sigma_mm`, truncated at `cutoff` sigmas.
    LoG {
        /// The Gaussian's scale, mm.
        sigma_mm: f64,
        /// The kernel's half-width in sigmas.
        cutoff: f64,
    },
    /// A Laws kernel (`E5L5S5`: one 1-D kernel per axis i, j, k), optionally pooled over the
    /// kernel's right-angle rotations, optionally followed by the energy map (mean |response|
    /// within `energy` voxels along each axis).
    Laws {
        /// One 1-D kernel per axis (i, j[, k]), unnormalised.
        kernel: Vec<&'static [f64]>,
        /// Pooling over the kernel's right-angle rotations, when rotation invariant.
        invariant: Option<Pooling>,
        /// The energy map's distance (voxels), when asked.
        energy: Option<usize>,
    },
    /// A separable wavelet's undecimated sub-band.
    Wavelet {
        /// PyWavelets' name (`db2`).
        name: String,
        /// Decomposition low and high pass filters.
        filters: (&'static [f64], &'static [f64]),
        /// Per axis (i, j[, k]): high pass.
        band: Vec<bool>,
        /// Decomposition level, 1 to MAX_LEVEL.
        level: usize,
        /// Averaged over the image's right-angle rotations.
        invariant: bool,
    },
    /// A Gabor filter (2-D, in one plane or averaged over the three).
    Gabor(Gabor),
    /// The Riesz transform of a Laplacian of Gaussian's response.
    RieszLoG {
        /// The LoG's scale, mm.
        sigma_mm: f64,
        /// The LoG kernel's half-width in sigmas.
        cutoff: f64,
        /// The transform's order along i, j, k.
        order: [usize; 3],
    },
    /// The Simoncelli wavelet's B map at a decomposition level, Riesz transformed when an
    /// order (along i, j, k) is given. Applied over the whole image, periodically.
    Simoncelli {
        /// Decomposition level, 1 to MAX_LEVEL.
        level: usize,
        /// The Riesz transform's order, when asked.
        order: Option<[usize; 3]>,
    },
}

/// The longest 1-D kernel a filter may use.
pub const MAX_TAPS: f64 = 1e5;
/// The most cells of a slice extended by a Gabor kernel's reach.
pub const MAX_CELLS: f64 = 1e8;
/// The most multiply-adds one filter may ask for (about an hour on one core).
pub const MAX_WORK: f64 = 1e13;

/// The deepest wavelet decomposition level.
pub const MAX_LEVEL: usize = 8;

/// The reach of a filter that reads the whole image (voxels): beyond any image's size.
pub const WHOLE_IMAGE: usize = 1 << 30;

/// A filter as written: its kind, boundary and dimensionality, and the text it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// What it computes.
    pub kind: Kind,
    /// How it sees beyond the image.
    pub boundary: Boundary,
    /// 2-D or 3-D.
    pub dims: Dims,
    /// The specification as given (for names and reports).
    pub text: String,
}

impl Filter {
    /// Parses `NAME:key=value,...`. Common keys: `boundary` (zero, nearest, periodic,
    /// mirror; default mirror), `dims` (2D or 3D; default 3D). `mean`: `support` (odd, 1 to
    /// 1001 voxels). `log`: `sigma` (mm, > 0 and <= 1000), `cutoff` (sigmas, > 0 and <= 20,
    /// default 4). `laws`: `kernel` (1-D kernels L3 E3 S3 L5 E5 S5 W5 R5, one per axis:
    /// `E5L5S5`, or two in 2-D), `invariance` (true/false, default false), `pooling` (max,
    /// average, min; default max), `energy` (distance in voxels, 0 to 500; absent: none).
    /// `wavelet`: `name` (a PyWavelets discrete wavelet), `band` (L/H per axis: `LHL`),
    /// `level` (1 to 8, default 1), `invariance` (true/false, default false). `gabor` (2-D):
    /// `sigma` and `lambda` (mm, > 0 and <= 1000), `gamma` (> 0 and <= 100), `theta`
    /// (radians) or `delta_theta` (rotation invariance over k delta, 2 pi / 361 to 2 pi),
    /// `pooling` (default average), `orthogonal` (average the i-j, i-k and j-k planes).
    /// `simoncelli`: `level` (1 to 8, default 1); Fourier-domain over the whole image, so
    /// `boundary` may only be periodic (its default here).
    /// `riesz` (3-D): the Riesz transform of a LoG's or a Simoncelli wavelet's response:
    /// `order` (three whole numbers 0 to 10 along i, j, k: `1/0/0`), `base` (log, the
    /// default, with `sigma` and `cutoff` as `log`; or simoncelli, with `level`).
    /// The message names the filter and the key.
    pub fn parse(text: &str) -> Result<Filter, String> {
        let text = text.trim();
        let (name, params) = text.split_once(':').unwrap_or((text, ""));
        let name = name.trim().to_ascii_lowercase();
        let mut values: Vec<(String, String)> = Vec::new();
        for part in params.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("filter `{name}`: `{part}` is not key=value"))?;
            let k = k.trim().to_string();
            if values.iter().any(|(seen, _)| *seen == k) {
                return Err(format!("filter `{name}`, parameter `{k}`: given twice"));
            }
            values.push((k, v.trim().to_string()));
        }
        let take = |key: &str, values: &mut Vec<(String, String)>| {
            values
                .iter()
                .position(|(k, _)| k == key)
                .map(|i| values.remove(i).1)
        };
        let bad =
            |key: &str, problem: String| format!("filter `{name}`, parameter `{key}`: {problem}");
        let fourier_only = name == "simoncelli"
            || (name == "riesz"
                && values
                    .iter()
                    .any(|(k, v)| k == "base" && v.eq_ignore_ascii_case("simoncelli")));
        let boundary = match take("boundary", &mut values) {
            Some(b) => Boundary::from_name(&b).ok_or_else(|| {
                bad(
                    "boundary",
                    format!("`{b}`: use zero, nearest, periodic or mirror"),
                )
            })?,
            None if fourier_only => Boundary::Periodic,
            None => Boundary::Mirror,
        };
        if fourier_only && boundary != Boundary::Periodic {
            return Err(bad(
                "boundary",
                "the Simoncelli wavelet is defined in the Fourier domain over the whole image: periodic only".into(),
            ));
        }
        let level = |values: &mut Vec<(String, String)>| match take("level", values) {
            None => Ok(1),
            Some(l) => l
                .parse::<usize>()
                .ok()
                .filter(|l| (1..=MAX_LEVEL).contains(l))
                .ok_or_else(|| bad("level", format!("`{l}`: 1 to {MAX_LEVEL}"))),
        };
        let dims_given = match take("dims", &mut values).as_deref() {
            None => None,
            Some("3D") | Some("3d") => Some(Dims::Three),
            Some("2D") | Some("2d") => Some(Dims::Two),
            Some(other) => return Err(bad("dims", format!("`{other}`: use 2D or 3D"))),
        };
        let dims = match (name.as_str(), dims_given) {
            ("gabor", Some(Dims::Three)) => {
                return Err(bad(
                    "dims",
                    "Gabor is a 2-D filter: dims=2D, with orthogonal=true to average the three planes".into(),
                ));
            }
            ("gabor", _) => Dims::Two,
            (_, given) => given.unwrap_or(Dims::Three),
        };
        let number = |key: &str, v: &str, lo: f64, hi: f64| -> Result<f64, String> {
            match v.parse::<f64>() {
                Ok(x) if x.is_finite() && x > lo && x <= hi => Ok(x),
                _ => Err(bad(key, format!("`{v}`: must be > {lo} and <= {hi}"))),
            }
        };
        let kind = match name.as_str() {
            "mean" => {
                let v =
                    take("support", &mut values).ok_or_else(|| bad("support", "missing".into()))?;
                let support = v
                    .parse::<usize>()
                    .ok()
                    .filter(|s| *s % 2 == 1 && *s <= MAX_SUPPORT)
                    .ok_or_else(|| {
                        bad(
                            "support",
                            format!("`{v}`: an odd number of voxels, 1 to {MAX_SUPPORT}"),
                        )
                    })?;
                Kind::Mean { support }
            }
            "log" => {
                let v = take("sigma", &mut values).ok_or_else(|| bad("sigma", "missing".into()))?;
                let sigma_mm = number("sigma", &v, 0.0, MAX_SIGMA_MM)?;
                let cutoff = match take("cutoff", &mut values) {
                    Some(c) => number("cutoff", &c, 0.0, 20.0)?,
                    None => 4.0,
                };
                Kind::LoG { sigma_mm, cutoff }
            }
            "laws" => {
                let v =
                    take("kernel", &mut values).ok_or_else(|| bad("kernel", "missing".into()))?;
                let kernel = laws::parse_kernel(&v).map_err(|e| bad("kernel", e))?;
                let wanted = if dims == Dims::Three { 3 } else { 2 };
                if kernel.len() != wanted {
                    return Err(bad(
                        "kernel",
                        format!(
                            "`{v}` has {} 1-D kernels; a {}-D filter needs {wanted}",
                            kernel.len(),
                            wanted
                        ),
                    ));
                }
                let invariance = match take("invariance", &mut values).as_deref() {
                    None | Some("false") | Some("no") => false,
                    Some("true") | Some("yes") => true,
                    Some(other) => {
                        return Err(bad("invariance", format!("`{other}`: true or false")));
                    }
                };
                let pooling = match take("pooling", &mut values).as_deref() {
                    None | Some("max") => Pooling::Max,
                    Some("average") | Some("mean") => Pooling::Average,
                    Some("min") => Pooling::Min,
                    Some(other) => {
                        return Err(bad("pooling", format!("`{other}`: max, average or min")));
                    }
                };
                let energy = match take("energy", &mut values) {
                    None => None,
                    Some(e) => Some(e.parse::<usize>().ok().filter(|d| *d <= 500).ok_or_else(
                        || bad("energy", format!("`{e}`: a distance of 0 to 500 voxels")),
                    )?),
                };
                Kind::Laws {
                    kernel,
                    invariant: invariance.then_some(pooling),
                    energy,
                }
            }
            "wavelet" => {
                let wavelet =
                    take("name", &mut values).ok_or_else(|| bad("name", "missing".into()))?;
                let filters = crate::features::pyradiomics::filters::wavelet_filters(&wavelet)
                    .ok_or_else(|| bad("name", format!("`{wavelet}`: not a discrete wavelet PyWavelets knows (haar, db2, coif1, sym4, bior1.3, ...)")))?;
                let text =
                    take("band", &mut values).ok_or_else(|| bad("band", "missing".into()))?;
                let band: Vec<bool> = text
                    .chars()
                    .map(|c| match c {
                        'L' | 'l' => Ok(false),
                        'H' | 'h' => Ok(true),
                        _ => Err(bad(
                            "band",
                            format!("`{text}`: letters L and H, one per axis"),
                        )),
                    })
                    .collect::<Result<_, _>>()?;
                let wanted = if dims == Dims::Three { 3 } else { 2 };
                if band.len() != wanted {
                    return Err(bad(
                        "band",
                        format!("`{text}`: a {wanted}-D filter needs {wanted} letters"),
                    ));
                }
                let level = level(&mut values)?;
                let invariant = match take("invariance", &mut values).as_deref() {
                    None | Some("false") | Some("no") => false,
                    Some("true") | Some("yes") => true,
                    Some(other) => {
                        return Err(bad("invariance", format!("`{other}`: true or false")));
                    }
                };
                Kind::Wavelet {
                    name: wavelet,
                    filters,
                    band,
                    level,
                    invariant,
                }
            }
            "gabor" => {
                let need = |key: &str, values: &mut Vec<(String, String)>| {
                    take(key, values).ok_or_else(|| bad(key, "missing".into()))
                };
                let sigma_mm = number("sigma", &need("sigma", &mut values)?, 0.0, MAX_SIGMA_MM)?;
                let lambda_mm = number("lambda", &need("lambda", &mut values)?, 0.0, MAX_SIGMA_MM)?;
                let gamma = number("gamma", &need("gamma", &mut values)?, 0.001, 100.0)?;
                let thetas = match (take("theta", &mut values), take("delta_theta", &mut values)) {
                    (Some(t), None) => {
                        let theta = t
                            .parse::<f64>()
                            .ok()
                            .filter(|v| v.is_finite() && v.abs() <= 1e3)
                            .ok_or_else(|| {
                                bad("theta", format!("`{t}`: radians, -1000 to 1000"))
                            })?;
                        vec![theta]
                    }
                    (None, Some(d)) => {
                        let delta = number(
                            "delta_theta",
                            &d,
                            2.0 * std::f64::consts::PI / 361.0,
                            2.0 * std::f64::consts::PI,
                        )?;
                        let steps = (2.0 * std::f64::consts::PI / delta).round().max(1.0) as usize;
                        (0..steps).map(|k| k as f64 * delta).collect()
                    }
                    (None, None) => vec![0.0],
                    (Some(_), Some(_)) => {
                        return Err(bad("theta", "give theta (one orientation) or delta_theta (rotation invariance), not both".into()));
                    }
                };
                let pooling = match take("pooling", &mut values).as_deref() {
                    None | Some("average") | Some("mean") => Pooling::Average,
                    Some("max") => Pooling::Max,
                    Some("min") => Pooling::Min,
                    Some(other) => {
                        return Err(bad("pooling", format!("`{other}`: max, average or min")));
                    }
                };
                let orthogonal = match take("orthogonal", &mut values).as_deref() {
                    None | Some("false") | Some("no") => false,
                    Some("true") | Some("yes") => true,
                    Some(other) => {
                        return Err(bad("orthogonal", format!("`{other}`: true or false")));
                    }
                };
                Kind::Gabor(Gabor {
                    sigma_mm,
                    lambda_mm,
                    gamma,
                    thetas,
                    pooling,
                    orthogonal,
                })
            }
            "riesz" => {
                if dims == Dims::Two {
                    return Err(bad(
                        "dims",
                        "the Riesz transform is built in 3-D only".into(),
                    ));
                }
                let simoncelli = match take("base", &mut values) {
                    None => false,
                    Some(b) if b.eq_ignore_ascii_case("log") => false,
                    Some(b) if b.eq_ignore_ascii_case("simoncelli") => true,
                    Some(other) => {
                        return Err(bad("base", format!("`{other}`: log or simoncelli")));
                    }
                };
                let text =
                    take("order", &mut values).ok_or_else(|| bad("order", "missing".into()))?;
                let parts: Vec<Option<usize>> = text
                    .split(|c: char| c == '/' || c.is_whitespace())
                    .filter(|p| !p.is_empty())
                    .map(|p| p.parse::<usize>().ok().filter(|l| *l <= 10))
                    .collect();
                let order = match parts.as_slice() {
                    [Some(a), Some(b), Some(c)] => [*a, *b, *c],
                    _ => {
                        return Err(bad(
                            "order",
                            format!(
                                "`{text}`: three whole numbers 0 to 10 (along i, j, k), as 1/0/0"
                            ),
                        ));
                    }
                };
                if simoncelli {
                    Kind::Simoncelli {
                        level: level(&mut values)?,
                        order: Some(order),
                    }
                } else {
                    let v =
                        take("sigma", &mut values).ok_or_else(|| bad("sigma", "missing".into()))?;
                    let sigma_mm = number("sigma", &v, 0.0, MAX_SIGMA_MM)?;
                    let cutoff = match take("cutoff", &mut values) {
                        Some(c) => number("cutoff", &c, 0.0, 20.0)?,
                        None => 4.0,
                    };
                    Kind::RieszLoG {
                        sigma_mm,
                        cutoff,
                        order,
                    }
                }
            }
            "simoncelli" => Kind::Simoncelli {
                level: level(&mut values)?,
                order: None,
            },
            other => {
                return Err(format!(
                    "filter `{other}`: unknown; use mean, log, laws, wavelet, gabor, simoncelli or riesz"
                ));
            }
        };
        if let Some((k, _)) = values.first() {
            return Err(format!("filter `{name}`: unknown parameter `{k}`"));
        }
        Ok(Filter {
            kind,
            boundary,
            dims,
            text: text.to_string(),
        })
    }

    /// How far (voxels along i, j, k, at `spacing` mm) the response at a voxel reads the
    /// image: the crop around an ROI must keep this much.
    pub fn reach(&self, spacing: [f64; 3]) -> [usize; 3] {
        let within = |mm: f64| spacing.map(|s| (mm / s).ceil().max(0.0) as usize);
        let reach = match &self.kind {
            Kind::Mean { support } => [support / 2; 3],
            Kind::LoG { sigma_mm, cutoff }
            | Kind::RieszLoG {
                sigma_mm, cutoff, ..
            } => within(cutoff * sigma_mm),
            Kind::Laws { kernel, energy, .. } => {
                let longest = kernel.iter().map(|k| k.len()).max().unwrap_or(1);
                [longest / 2 + energy.unwrap_or(0); 3]
            }
            Kind::Wavelet { filters, level, .. } => {
                let n = filters.0.len().max(filters.1.len());
                [n * ((1usize << level) - 1); 3]
            }
            Kind::Gabor(g) => within(4.0 * g.sigma_mm * (1.0 / g.gamma).max(1.0)),
            // The whole image.
            Kind::Simoncelli { .. } => [WHOLE_IMAGE; 3],
        };
        match self.dims {
            Dims::Three => reach,
            Dims::Two
                if matches!(
                    self.kind,
                    Kind::Gabor(Gabor {
                        orthogonal: true,
                        ..
                    })
                ) =>
            {
                reach
            }
            Dims::Two => [reach[0], reach[1], 0],
        }
    }

    /// The filter's identity in feature names: its specification with `:`, `,` and `=`
    /// turned into `-` (`log-sigma-1.5-cutoff-4-boundary-mirror`).
    pub fn identity(&self) -> String {
        self.text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| {
                if matches!(c, ':' | ',' | '=' | '/') {
                    '-'
                } else {
                    c
                }
            })
            .collect()
    }

    /// Checks that the filter's kernels and work on an image of `shape` (array order k, j, i)
    /// and `spacing` stay within bounds before anything is allocated: at most MAX_TAPS taps
    /// per 1-D kernel, at most MAX_CELLS cells in an extended Gabor slice, at most MAX_WORK
    /// multiply-adds in all. The message says which and how much.
    pub fn check(&self, shape: (usize, usize, usize), spacing: [f64; 3]) -> Result<(), String> {
        let voxels = (shape.0 * shape.1 * shape.2) as f64;
        self.check_level(shape)?;
        let per_axis = |mm: f64| -> Vec<f64> { spacing.iter().map(|s| mm / s).collect() };
        let (taps, work) = match &self.kind {
            Kind::Mean { support } => (*support as f64, voxels * *support as f64 * 3.0),
            Kind::LoG { sigma_mm, cutoff } => {
                let widest = per_axis(*sigma_mm)
                    .iter()
                    .map(|s| 2.0 * (cutoff * s).ceil() + 1.0)
                    .fold(0.0, f64::max);
                (widest, voxels * widest * 9.0)
            }
            Kind::Laws {
                invariant, energy, ..
            } => {
                let turns = if invariant.is_some() { 24.0 } else { 1.0 };
                let window = energy.map_or(0.0, |d| 2.0 * d as f64 + 1.0);
                (window.max(5.0), voxels * (turns * 15.0 + 3.0 * window))
            }
            Kind::Wavelet {
                filters,
                level,
                invariant,
                ..
            } => {
                let longest = ((filters.0.len().max(filters.1.len()) - 1) as f64)
                    * 2f64.powi(*level as i32 - 1)
                    + 1.0;
                let turns = if *invariant { 24.0 } else { 1.0 };
                (longest, voxels * longest * 3.0 * *level as f64 * turns)
            }
            Kind::RieszLoG {
                sigma_mm, cutoff, ..
            } => {
                let radii: Vec<f64> = per_axis(*sigma_mm)
                    .iter()
                    .map(|s| (cutoff * s).ceil())
                    .collect();
                let cells: f64 = [shape.2, shape.1, shape.0]
                    .iter()
                    .zip(&radii)
                    .map(|(n, r)| *n as f64 + 2.0 * r)
                    .product();
                if cells.is_nan() || cells > MAX_CELLS {
                    return Err(format!(
                        "filter `riesz`: the image extended by the LoG's reach would hold {cells:.3e} cells (at most {MAX_CELLS:e})"
                    ));
                }
                let widest = radii.iter().map(|r| 2.0 * r + 1.0).fold(0.0, f64::max);
                (widest, voxels * widest * 9.0 + cells * 200.0)
            }
            Kind::Simoncelli { .. } => {
                let cells = voxels;
                if cells > MAX_CELLS {
                    return Err(format!(
                        "filter `simoncelli`: the image holds {cells:.3e} voxels, transformed at once (at most {MAX_CELLS:e})"
                    ));
                }
                (1.0, cells * 400.0)
            }
            Kind::Gabor(g) => {
                let reach = per_axis(4.0 * g.sigma_mm * (1.0 / g.gamma).max(1.0));
                let sides = [
                    shape.2 as f64 + 2.0 * reach[0].ceil(),
                    shape.1 as f64 + 2.0 * reach[1].ceil(),
                    shape.0 as f64 + 2.0 * reach[2].ceil(),
                ];
                let cells = sides
                    .iter()
                    .fold(0.0f64, |m, a| sides.iter().map(|b| a * b).fold(m, f64::max));
                if cells.is_nan() || cells > MAX_CELLS {
                    return Err(format!(
                        "filter `gabor`: a slice extended by the kernel's reach would hold {cells:.3e} cells (at most {MAX_CELLS:e}); use a smaller sigma or larger gamma"
                    ));
                }
                let planes = if g.orthogonal { 3.0 } else { 1.0 };
                let slices = [shape.0, shape.1, shape.2]
                    .iter()
                    .copied()
                    .max()
                    .unwrap_or(1) as f64;
                (
                    1.0,
                    planes * slices * cells * (g.thetas.len() as f64 + 1.0) * 40.0,
                )
            }
        };
        if taps.is_nan() || taps > MAX_TAPS {
            return Err(format!(
                "filter `{}`: a kernel of {taps:.3e} taps at this voxel spacing (at most {MAX_TAPS:e})",
                self.text
            ));
        }
        if work.is_nan() || work > MAX_WORK {
            return Err(format!(
                "filter `{}`: {work:.3e} multiply-adds on this image (at most {MAX_WORK:e})",
                self.text
            ));
        }
        Ok(())
    }

    /// Refuses a decomposition level the image cannot hold: a separable wavelet whose dilated
    /// kernel ((taps - 1) 2^(level - 1) + 1) is longer than the image along a filtered axis, or
    /// a Simoncelli band whose upper edge (pi / 2^(level - 1)) lies below the first non-zero
    /// frequency of the longest filtered axis (2 pi / (n - 1)), so that it would be all zero.
    fn check_level(&self, shape: (usize, usize, usize)) -> Result<(), String> {
        // Lengths along i, j, k of the axes the filter runs along.
        let filtered: Vec<(char, usize)> = match self.dims {
            Dims::Three => vec![('i', shape.2), ('j', shape.1), ('k', shape.0)],
            Dims::Two => vec![('i', shape.2), ('j', shape.1)],
        };
        match &self.kind {
            Kind::Wavelet { filters, level, .. } => {
                let taps = filters.0.len().max(filters.1.len());
                let span = (taps - 1) * (1usize << (level - 1)) + 1;
                if let Some((axis, n)) = filtered.iter().find(|(_, n)| span > *n) {
                    return Err(format!(
                        "filter `{}`, parameter `level`: level {level} dilates the kernel to {span} voxels, longer than the image's {n} along {axis}",
                        self.text
                    ));
                }
            }
            Kind::Simoncelli { level, .. } => {
                let longest = filtered.iter().map(|(_, n)| *n).max().unwrap_or(1);
                if (1usize << (level - 1)) as f64 > (longest as f64 - 1.0) / 2.0 {
                    return Err(format!(
                        "filter `{}`, parameter `level`: level {level}'s band lies below the lowest frequency an image of {longest} voxels holds",
                        self.text
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The response map of `voxels` (array order k, j, i) with voxel `spacing` (mm along
    /// i, j, k), after [`Filter::check`].
    pub fn apply(&self, voxels: &Array3<f64>, spacing: [f64; 3]) -> Result<Array3<f64>, String> {
        self.check(voxels.dim(), spacing)?;
        Ok(self.response(voxels, spacing))
    }

    fn response(&self, voxels: &Array3<f64>, spacing: [f64; 3]) -> Array3<f64> {
        // Array axes of the filter's dimensions, in kernel order (i, j, k).
        let axes: &[usize] = match self.dims {
            Dims::Three => &[2, 1, 0],
            Dims::Two => &[2, 1],
        };
        match &self.kind {
            Kind::Mean { support } => {
                let kernel = vec![1.0 / *support as f64; *support];
                let mut kernels: [Option<&[f64]>; 3] = [None; 3];
                for &a in axes {
                    kernels[a] = Some(&kernel);
                }
                convolve::separable(voxels, kernels, self.boundary)
            }
            Kind::LoG { sigma_mm, cutoff } => {
                log(voxels, spacing, *sigma_mm, *cutoff, axes, self.boundary)
            }
            Kind::Laws {
                kernel,
                invariant,
                energy,
            } => laws::apply(voxels, kernel, *invariant, *energy, axes, self.boundary),
            Kind::Wavelet {
                filters,
                band,
                level,
                invariant,
                ..
            } => wavelet::apply(
                voxels,
                *filters,
                band,
                *level,
                *invariant,
                axes,
                self.boundary,
            ),
            Kind::Gabor(g) => g.apply(voxels, spacing, self.boundary),
            Kind::RieszLoG {
                sigma_mm,
                cutoff,
                order,
            } => {
                let response = log(voxels, spacing, *sigma_mm, *cutoff, axes, self.boundary);
                // Extended by the LoG kernel's reach along each array axis (k, j, i).
                let pad = [0, 1, 2].map(|a| (cutoff * sigma_mm / spacing[2 - a]).ceil() as usize);
                riesz::apply(&response, *order, pad, self.boundary)
            }
            Kind::Simoncelli { level, order } => {
                simoncelli::apply(voxels, *level, self.dims, *order)
            }
        }
    }
}

/// IBSI 2's Laplacian of Gaussian: the Laplacian of the D-dimensional Gaussian of scale sigma
/// (in voxels along each axis), sampled at whole voxel offsets within cutoff x sigma, as the
/// sum over the axes of (second derivative along that axis) x (Gaussian along the others):
/// (|x|^2 - D sigma^2) / sigma^4 (2 pi sigma^2)^(-D/2) exp(-|x|^2 / (2 sigma^2)).
fn log(
    voxels: &Array3<f64>,
    spacing: [f64; 3],
    sigma_mm: f64,
    cutoff: f64,
    axes: &[usize],
    boundary: Boundary,
) -> Array3<f64> {
    // Kernel order (i, j, k) -> spacing index 0, 1, 2; array axis 2 - that index.
    let kernels: Vec<(usize, Vec<f64>, Vec<f64>)> = axes
        .iter()
        .map(|&a| {
            let sigma = sigma_mm / spacing[2 - a];
            let radius = (cutoff * sigma).ceil().max(1.0) as isize;
            let offsets = -radius..=radius;
            let g: Vec<f64> = offsets
                .clone()
                .map(|x| {
                    let x = x as f64;
                    (-x * x / (2.0 * sigma * sigma)).exp()
                        / ((2.0 * std::f64::consts::PI).sqrt() * sigma)
                })
                .collect();
            let g2: Vec<f64> = offsets
                .zip(&g)
                .map(|(x, g)| {
                    let x = x as f64;
                    g * (x * x - sigma * sigma) / sigma.powi(4)
                })
                .collect();
            (a, g, g2)
        })
        .collect();
    let mut out = Array3::<f64>::zeros(voxels.raw_dim());
    for (d, (axis, _, g2)) in kernels.iter().enumerate() {
        let mut separable: [Option<&[f64]>; 3] = [None; 3];
        separable[*axis] = Some(g2);
        for (e, (other, g, _)) in kernels.iter().enumerate() {
            if e != d {
                separable[*other] = Some(g);
            }
        }
        out += &convolve::separable(voxels, separable, boundary);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_filters_are_refused_naming_the_key() {
        let cases = [
            ("mean:support=4", "`support`"),
            ("mean:support=15,boundary=reflect101", "`boundary`"),
            ("log:sigma=0", "`sigma`"),
            ("log:sigma=1e308", "`sigma`"),
            ("log:sigma=NaN", "`sigma`"),
            ("log:sigma=3,cutoff=1e9", "`cutoff`"),
            ("laws:kernel=E5L5", "`kernel`"),
            ("laws:kernel=E5L5Q5", "`kernel`"),
            ("laws:kernel=E5L5S5,energy=1e9", "`energy`"),
            ("laws:kernel=E5L5S5,colour=red", "`colour`"),
            ("mean:support=3,dims=4D", "`dims`"),
            ("gabor:sigma=10", "`lambda`"),
            ("gabor:sigma=10,lambda=4,gamma=0.5,dims=3D", "`dims`"),
            ("gabor:sigma=10,lambda=4,gamma=0,theta=1", "`gamma`"),
            (
                "gabor:sigma=10,lambda=4,gamma=1,delta_theta=1e-9",
                "`delta_theta`",
            ),
            (
                "gabor:sigma=10,lambda=4,gamma=1,theta=1,delta_theta=1",
                "`theta`",
            ),
            ("simoncelli:level=0", "`level`"),
            ("simoncelli:level=9", "`level`"),
            ("simoncelli:level=1,boundary=mirror", "`boundary`"),
            ("simoncelli:level=1,sigma=3", "`sigma`"),
            ("riesz:sigma=3,order=1/0", "`order`"),
            ("riesz:sigma=3,order=1/0/99", "`order`"),
            ("riesz:order=1/0/0,base=simoncelli,level=1e9", "`level`"),
            ("riesz:order=1/0/0,base=wavelet", "`base`"),
            ("riesz:sigma=3,order=1/0/0,dims=2D", "`dims`"),
            ("wavelet:name=db99,band=LHL", "`name`"),
            ("wavelet:name=db2,band=LHX", "`band`"),
            ("wavelet:name=db2,band=LH", "`band`"),
            ("wavelet:name=db2,band=LHL,level=0", "`level`"),
            ("wavelet:name=db2,band=LHL,level=1e9", "`level`"),
            ("median:support=3", "unknown"),
        ];
        for (text, names) in cases {
            let e = Filter::parse(text).unwrap_err();
            assert!(e.contains(names), "{text}: {e}");
        }
        // Every name in NAMES is a filter parse knows (it then asks for its parameters).
        for name in NAMES {
            let known = Filter::parse(name).map_or_else(|e| !e.contains("unknown;"), |_| true);
            assert!(known, "{name}");
        }
    }
}
