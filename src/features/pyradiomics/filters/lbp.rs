//! PyRadiomics' `LBP2D` image type: scikit-image's `local_binary_pattern` on every slice along
//! `force2Ddimension` (axial slices by default), written back into the image's own pixel type
//! as numpy does (a float code into an integer image is truncated).
//!
//! Per pixel, P points on a circle of radius R (offsets rounded to 5 decimals) are sampled by
//! bilinear interpolation with zeros outside the slice, and each is 1 when it is at least the
//! centre. `default` weighs point i by 2^i; `ror` takes the smallest of the P rotations;
//! `uniform` counts the 1s when the chain of points (not closed into a circle, as in
//! scikit-image) changes at most twice, else P + 1; `var` is the variance of the P samples
//! (NaN when it is zero), as scikit-image 0.25 computes it.
//! (scikit-image's `nri_uniform` is not among the methods PyRadiomics' schema accepts.)

use ndarray::{Array3, ArrayView2, Axis};

use crate::volume::pixel::PixelType;

/// One of scikit-image's LBP methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `default`.
    Default,
    /// `ror`.
    Ror,
    /// `uniform`.
    Uniform,
    /// `var`.
    Var,
}

impl Method {
    /// The method of this `lbp2DMethod` name.
    pub fn from_name(name: &str) -> Option<Method> {
        Some(match name {
            "default" => Method::Default,
            "ror" => Method::Ror,
            "uniform" => Method::Uniform,
            "var" => Method::Var,
            _ => return None,
        })
    }
}

/// The most points on an LBP circle (`lbp2DSamples`): codes are built in 64 bits, and 32
/// bounds the work per pixel.
pub const MAX_SAMPLES: usize = 32;

/// numpy's `round(x, 5)`: scale, round half to even, scale back.
fn round5(x: f64) -> f64 {
    (x * 1e5).round_ties_even() / 1e5
}

/// numpy's sum of up to 128 values (pairwise: eight running sums, then combined in pairs).
fn numpy_sum(v: &[f64]) -> f64 {
    if v.len() < 8 {
        return v.iter().fold(0.0, |s, x| s + x);
    }
    let mut r = [0.0; 8];
    r.copy_from_slice(&v[..8]);
    let mut i = 8;
    while i + 8 <= v.len() {
        for (k, r) in r.iter_mut().enumerate() {
            *r += v[i + k];
        }
        i += 8;
    }
    let mut sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for x in &v[i..] {
        sum += x;
    }
    sum
}

/// numpy's `var` of the samples.
fn numpy_var(v: &[f64]) -> f64 {
    let mean = numpy_sum(v) / v.len() as f64;
    let squares: Vec<f64> = v.iter().map(|x| (x - mean) * (x - mean)).collect();
    numpy_sum(&squares) / v.len() as f64
}

/// The LBP code of one slice pixel.
struct Pattern {
    samples: usize,
    method: Method,
    rows: Vec<f64>,
    cols: Vec<f64>,
}

/// Where a point reads along one axis of a slice: its two neighbouring indices (`None` off
/// the slice, where the value is 0) and its fraction past the lower one. A point's coordinate
/// on one axis depends on the pixel's on that axis only, so the taps are found once per
/// (index, point) rather than once per pixel.
#[derive(Clone, Copy)]
struct AxisTap {
    lo: Option<usize>,
    hi: Option<usize>,
    d: f64,
}

impl AxisTap {
    /// At coordinate `x` of an axis of `len` pixels.
    fn new(x: f64, len: usize) -> AxisTap {
        let at = |v: f64| {
            let v = v as i64;
            (v >= 0 && v < len as i64).then_some(v as usize)
        };
        let (lo, hi) = (x.floor(), x.ceil());
        AxisTap {
            lo: at(lo),
            hi: at(hi),
            d: x - lo,
        }
    }
}

impl Pattern {
    fn new(samples: usize, radius: f64, method: Method) -> Pattern {
        let angle = |i: usize| 2.0 * std::f64::consts::PI * i as f64 / samples as f64;
        Pattern {
            samples,
            method,
            rows: (0..samples)
                .map(|i| round5(-radius * angle(i).sin()))
                .collect(),
            cols: (0..samples)
                .map(|i| round5(radius * angle(i).cos()))
                .collect(),
        }
    }

    /// Per index 0..len along an axis of that length, the taps of the pattern's points
    /// (`offsets`, one axis of each), point by point.
    fn taps(offsets: &[f64], len: usize) -> Vec<AxisTap> {
        (0..len)
            .flat_map(|k| offsets.iter().map(move |o| AxisTap::new(k as f64 + o, len)))
            .collect()
    }

    /// scikit-image's bilinear interpolation with zeros outside the slice, at the point whose
    /// taps are `r` and `c`.
    fn sample(slice: ArrayView2<f64>, r: &AxisTap, c: &AxisTap) -> f64 {
        let get = |r: Option<usize>, c: Option<usize>| match (r, c) {
            (Some(r), Some(c)) => slice[(r, c)],
            _ => 0.0,
        };
        let (dr, dc) = (r.d, c.d);
        let top = (1.0 - dc) * get(r.lo, c.lo) + dc * get(r.lo, c.hi);
        let bottom = (1.0 - dc) * get(r.hi, c.lo) + dc * get(r.hi, c.hi);
        (1.0 - dr) * top + dr * bottom
    }

    /// The code of pixel (r, c), whose points' taps are `rows` and `cols`.
    fn code(
        &self,
        slice: ArrayView2<f64>,
        (r, c): (usize, usize),
        rows: &[AxisTap],
        cols: &[AxisTap],
    ) -> f64 {
        let p = self.samples;
        // lbp2DSamples is at most MAX_SAMPLES (settings check it): no allocation per pixel.
        let mut texture = [0.0; MAX_SAMPLES];
        let mut signed = [0u8; MAX_SAMPLES];
        let centre = slice[(r, c)];
        for i in 0..p {
            texture[i] = Self::sample(slice, &rows[i], &cols[i]);
            signed[i] = u8::from(texture[i] - centre >= 0.0);
        }
        let (texture, signed) = (&texture[..p], &signed[..p]);
        match self.method {
            Method::Default | Method::Ror => {
                let code: u64 = (0..p).map(|i| u64::from(signed[i]) << i).sum();
                if self.method == Method::Default {
                    return code as f64;
                }
                let mask = (1u64 << p) - 1;
                (0..p)
                    .map(|k| ((code >> k) | (code << (p - k))) & mask)
                    .min()
                    .unwrap_or(code) as f64
            }
            Method::Uniform | Method::Var => {
                let changes: usize = (0..p - 1)
                    .map(|i| usize::from(signed[i] != signed[i + 1]))
                    .sum();
                if self.method == Method::Var {
                    let var = numpy_var(texture);
                    return if var != 0.0 { var } else { f64::NAN };
                }
                if changes <= 2 {
                    signed.iter().map(|s| f64::from(*s)).sum()
                } else {
                    (p + 1) as f64
                }
            }
        }
    }
}

/// A float stored into an array of `pixel` type as numpy stores it (integers truncated and
/// wrapped, float32 rounded).
fn store(v: f64, pixel: PixelType) -> f64 {
    let whole = v as i64;
    match pixel {
        PixelType::U8 => whole as u8 as f64,
        PixelType::I8 => whole as i8 as f64,
        PixelType::U16 => whole as u16 as f64,
        PixelType::I16 => whole as i16 as f64,
        PixelType::U32 => whole as u32 as f64,
        PixelType::I32 => whole as i32 as f64,
        PixelType::U64 | PixelType::I64 => whole as f64,
        PixelType::F32 => v as f32 as f64,
        PixelType::F64 => v,
    }
}

/// The LBP image on the box `lo..=hi` (x, y, z): slices along array axis `axis` (0 = z), each
/// coded whole-slice (the zeros outside are the slice's borders, not the box's).
#[allow(clippy::too_many_arguments)]
pub fn lbp2d(
    image: &Array3<f64>,
    pixel: PixelType,
    axis: usize,
    samples: usize,
    radius: f64,
    method: Method,
    lo: [usize; 3],
    hi: [usize; 3],
) -> Array3<f64> {
    let pattern = Pattern::new(samples, radius, method);
    let (blo, bhi) = ([lo[2], lo[1], lo[0]], [hi[2], hi[1], hi[0]]);
    let mut out = Array3::<f64>::zeros((
        bhi[0] - blo[0] + 1,
        bhi[1] - blo[1] + 1,
        bhi[2] - blo[2] + 1,
    ));
    // The slice's two axes, in array order.
    let plane: Vec<usize> = (0..3).filter(|a| *a != axis).collect();
    let p = pattern.samples;
    let row_taps = Pattern::taps(&pattern.rows, image.len_of(Axis(plane[0])));
    let col_taps = Pattern::taps(&pattern.cols, image.len_of(Axis(plane[1])));
    for k in blo[axis]..=bhi[axis] {
        let slice = image.index_axis(Axis(axis), k);
        for r in blo[plane[0]]..=bhi[plane[0]] {
            let rows = &row_taps[r * p..][..p];
            for c in blo[plane[1]]..=bhi[plane[1]] {
                let mut at = [0usize; 3];
                at[axis] = k - blo[axis];
                at[plane[0]] = r - blo[plane[0]];
                at[plane[1]] = c - blo[plane[1]];
                let code = pattern.code(slice, (r, c), rows, &col_taps[c * p..][..p]);
                out[at] = store(code, pixel);
            }
        }
    }
    out
}
