//! PyRadiomics' `getLBP3DImage`, the rotation-invariant 3-D local binary pattern of Banerjee
//! et al. (ACCV 2012 workshops, doi:10.1007/978-3-642-37410-4_3). At every ROI voxel the image
//! is sampled at the vertices of an icosphere (scipy's cubic B-spline `map_coordinates`), each
//! sample is compared with the voxel (1 if >= it), the binary pattern is expanded in spherical
//! harmonics and the energy of each degree is one image (`lbp-3D-m1`, ...); the kurtosis of the
//! samples is one more (`lbp-3D-k`).
//!
//! Because the pattern compares interpolated samples with the voxel, a sample that equals it
//! in exact arithmetic (a flat region) falls either way by one rounding: the spline
//! coefficients are scipy's bit for bit (its prefilter's order of operations), and each sample
//! is summed separably, then again in scipy's exact order wherever the two sums could round
//! to different pixel values (samples are stored in the image's pixel type as scipy stores
//! them, integers rounded half away from zero) or compare differently with the voxel. The
//! harmonics are scipy's bit for bit too, and the sums over them follow numpy's order.
//!
//! What PyRadiomics does and radaudit reproduces, although it is odd: the polar angle is
//! passed where scipy's `sph_harm` takes the azimuth and the other way round; samples beyond
//! the image's edge are 0 (map_coordinates' mode 'constant'). What radaudit does differently:
//! `lbp3DLevels: 1` crashes PyRadiomics 3.1 (an IndexError on a one-column harmonic table);
//! radaudit yields its two images, equal to the first and last of `lbp3DLevels: 2`. And
//! radaudit follows numpy's portable arithmetic: on a CPU with AVX2 or AVX-512, numpy fuses
//! the multiply-adds of its complex products and takes arccos and arctan2 from SVML, so
//! PyRadiomics' own level images change in the last bit from one CPU to another.

use ndarray::{Array2, Array3, Axis, s};
use rayon::prelude::*;

use crate::volume::pixel::PixelType;

/// The icosphere and the harmonic degrees of one LBP3D setting.
pub struct Lbp3d {
    /// Sample offsets (array axes 0, 1, 2) in voxels.
    vertices: Vec<[f64; 3]>,
    /// Per vertex, Y of every (degree, order) in PyRadiomics' column order (n = 0, then
    /// n = 1 with m = -1, 0, 1, ...).
    harmonics: Harmonics,
    /// Degrees used (`lbp3DLevels`).
    levels: usize,
    /// Degree 0's energy by the number of samples >= the voxel, when Y_0^0 is one value at
    /// every vertex (it is: a constant): its coefficient is then that many copies of Y_0^0
    /// added in turn, so the energy depends on the count alone, to the bit.
    degree0: Option<Vec<f64>>,
}

/// A complex number, as numpy's complex128 arithmetic computes with it.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Complex {
    re: f64,
    im: f64,
}

impl Complex {
    const ZERO: Complex = Complex { re: 0.0, im: 0.0 };

    fn add(self, o: Complex) -> Complex {
        Complex {
            re: self.re + o.re,
            im: self.im + o.im,
        }
    }

    /// The product as numpy's portable code computes it (its AVX2 and AVX-512 code fuses the
    /// multiply-adds, which changes the last bit).
    fn mul(self, o: Complex) -> Complex {
        Complex {
            re: self.re * o.re - self.im * o.im,
            im: self.re * o.im + self.im * o.re,
        }
    }

    /// The real part of the principal square root (C99 `csqrt`).
    fn sqrt_re(self) -> f64 {
        if self.im == 0.0 {
            return if self.re >= 0.0 { self.re.sqrt() } else { 0.0 };
        }
        let d = self.re.hypot(self.im);
        if self.re > 0.0 {
            (0.5 * (d + self.re)).sqrt()
        } else {
            (0.5 * (self.im / (0.5 * (d - self.re)).sqrt())).abs()
        }
    }
}

impl Lbp3d {
    /// The sphere of `subdivisions` and `radius` (voxels) with the harmonics of degrees
    /// 0..levels.
    pub fn new(levels: usize, radius: f64, subdivisions: usize) -> Lbp3d {
        let vertices = icosphere(subdivisions, radius);
        let rows = vertices
            .iter()
            .map(|v| {
                // PyRadiomics: theta = arccos(z / r), phi = arctan2(y, x), then
                // sph_harm(m, n, theta, phi), whose third argument is the azimuth.
                let theta = (v[2] / radius).acos();
                let phi = v[1].atan2(v[0]);
                let mut row = Vec::with_capacity(levels * levels);
                for n in 0..levels as i64 {
                    for m in -n..=n {
                        row.push(spherical_harmonic(m, n, theta, phi));
                    }
                }
                row
            })
            .collect::<Vec<Vec<Complex>>>();
        let harmonics = Harmonics {
            columns: levels * levels,
            table: rows.concat(),
        };
        let y00 = rows.first().map(|row| row[0]);
        let constant = y00.is_some_and(|y| {
            rows.iter().all(|row| {
                row[0].re.to_bits() == y.re.to_bits() && row[0].im.to_bits() == y.im.to_bits()
            })
        });
        let degree0 = constant.then(|| {
            let y = y00.unwrap_or(Complex::ZERO);
            let mut c = Complex::ZERO;
            (0..=rows.len())
                .map(|count| {
                    if count > 0 {
                        c = c.add(y);
                    }
                    degree_energy(&harmonics, &[c], 0)
                })
                .collect()
        });
        Lbp3d {
            vertices,
            harmonics,
            levels,
            degree0,
        }
    }

    /// The images' names, in the order [`Lbp3d::images`] returns them.
    pub fn names(levels: usize) -> Vec<String> {
        (1..=levels)
            .map(|l| format!("lbp-3D-m{l}"))
            .chain(std::iter::once("lbp-3D-k".to_string()))
            .collect()
    }

    /// The level images then the kurtosis image over the ROI's box `lo..=hi` (x, y, z) of
    /// `image` (the loaded image, array order z, y, x, in `pixel` type), set on the voxels of
    /// `roi` (the box's mask) and 0 elsewhere.
    pub fn images(
        &self,
        image: &Array3<f64>,
        pixel: PixelType,
        roi: &Array3<bool>,
        lo: [usize; 3],
        hi: [usize; 3],
    ) -> Vec<Array3<f64>> {
        let (blo, bhi) = ([lo[2], lo[1], lo[0]], [hi[2], hi[1], hi[0]]);
        let dims = [image.dim().0, image.dim().1, image.dim().2];
        // Coefficients are needed within the farthest sample plus the cubic's reach.
        let reach = self
            .vertices
            .iter()
            .flat_map(|v| v.iter().map(|c| c.abs()))
            .fold(0.0f64, f64::max)
            .ceil() as usize
            + 2;
        let keep_lo = blo.map(|v| v.saturating_sub(reach));
        let keep_hi = [0, 1, 2].map(|a| (bhi[a] + reach).min(dims[a] - 1));
        let spline = Spline::new(image, keep_lo, keep_hi);
        // A sample's coordinate on one axis depends on the voxel's on that axis and the
        // vertex's only: per axis, the taps of every (coordinate, vertex).
        let nv = self.vertices.len();
        let axis_taps: Vec<Vec<Option<AxisTap>>> = (0..3)
            .map(|a| {
                (blo[a]..=bhi[a])
                    .flat_map(|c| {
                        self.vertices
                            .iter()
                            .map(move |v| (c, v[a]))
                            .collect::<Vec<_>>()
                    })
                    .map(|(c, v)| spline.axis_tap(a, c as f64 + v))
                    .collect()
            })
            .collect();
        let voxels: Vec<[usize; 3]> = roi
            .indexed_iter()
            .filter(|(_, m)| **m)
            .map(|((z, y, x), _)| [z, y, x])
            .collect();
        let nbox = [0, 1, 2].map(|a| bhi[a] - blo[a] + 1);
        let fast = spline.sample_grid(&axis_taps, &self.vertices, &voxels, nbox);
        let precision32 = pixel == PixelType::F32;
        let width = self.levels + 1;
        let mut per_voxel = vec![0.0; voxels.len() * width];
        per_voxel
            .par_chunks_mut(width)
            .zip(voxels.par_iter())
            .enumerate()
            .for_each_init(
                || Scratch::new(nv, self.levels * self.levels),
                |scratch, (k, (out, &[z, y, x]))| {
                    let center = image[[blo[0] + z, blo[1] + y, blo[2] + x]];
                    let tap = |v: usize| {
                        let row = |a: usize, c: usize| axis_taps[a][c * nv + v].as_ref();
                        Some(Tap {
                            axes: [row(0, z)?, row(1, y)?, row(2, x)?],
                        })
                    };
                    fast.voxel(k, &mut scratch.samples);
                    spline.refine(&mut scratch.samples, tap, |v, bound| {
                        (v - center).abs() <= bound
                            || stored(v - bound, pixel) != stored(v + bound, pixel)
                    });
                    self.voxel(scratch, center, pixel, precision32, out);
                },
            );
        let shape = roi.dim();
        let mut out = vec![Array3::<f64>::zeros(shape); width];
        for (v, values) in voxels.iter().zip(per_voxel.chunks(width)) {
            for (img, value) in out.iter_mut().zip(values) {
                img[*v] = *value;
            }
        }
        out
    }

    /// The level energies and the kurtosis, into `out`, at one voxel holding `center`, whose
    /// samples (scipy's, before they are stored in the pixel type) are in `scratch.samples`.
    fn voxel(
        &self,
        scratch: &mut Scratch,
        center: f64,
        pixel: PixelType,
        precision32: bool,
        out: &mut [f64],
    ) {
        let samples = &mut scratch.samples;
        for s in samples.iter_mut() {
            *s = stored(*s, pixel);
        }
        let kurtosis = if precision32 {
            scratch.narrow.clear();
            scratch.narrow.extend(samples.iter().map(|v| *v as f32));
            kurtosis(&scratch.narrow, &mut scratch.narrow_work)
        } else {
            kurtosis(samples, &mut scratch.work)
        };
        // c_j = sum over the vertices whose sample is >= the voxel of Y_j (degree 0's from
        // the table when there is one).
        let skip = usize::from(self.degree0.is_some());
        let c = &mut scratch.coefficients;
        let harmonics = &self.harmonics;
        // The default two levels with degree 0 tabled leave three columns: summed in
        // registers (a fixed width), the same adds in the same order.
        let count = match c.len() - skip {
            3 => coefficients_fixed::<3>(samples, center, harmonics, skip, c),
            8 => coefficients_fixed::<8>(samples, center, harmonics, skip, c),
            _ => {
                let sums = &mut c[skip..];
                sums.fill(Complex::ZERO);
                let width = sums.len();
                coefficients(samples, center, harmonics.columns_dyn(skip, width), sums)
            }
        };
        let mut first = 0;
        for (n, slot) in out.iter_mut().take(self.levels).enumerate() {
            let width = 2 * n + 1;
            *slot = match (&self.degree0, n) {
                (Some(table), 0) => table[count],
                _ => degree_energy(&self.harmonics, &c[first..first + width], first),
            };
            first += width;
        }
        out[self.levels] = kurtosis;
    }
}

/// The harmonic table: Y of every (degree, order) column at every vertex, one row per vertex,
/// the rows end to end (a fixed-width slice of a row is then a constant-size array, which the
/// sums below keep in registers).
struct Harmonics {
    columns: usize,
    table: Vec<Complex>,
}

impl Harmonics {
    /// Per vertex, its `W` columns from `first`.
    #[inline(always)]
    fn columns<const W: usize>(&self, first: usize) -> impl Iterator<Item = &[Complex; W]> {
        self.table.chunks_exact(self.columns).map(move |row| {
            row[first..first + W]
                .try_into()
                .expect("a degree's columns are within the row")
        })
    }

    /// Per vertex, its `width` columns from `first`.
    fn columns_dyn(&self, first: usize, width: usize) -> impl Iterator<Item = &[Complex]> {
        self.table
            .chunks_exact(self.columns)
            .map(move |row| &row[first..first + width])
    }
}

/// c_j (the columns from `skip`, as many as `sums` holds, each starting at +0) += the sum
/// over the vertices whose sample is >= `center` of Y_j, vertex by vertex; returns how many
/// vertices that is.
#[inline(always)]
fn coefficients<'a, Y: AsRef<[Complex]> + 'a>(
    samples: &[f64],
    center: f64,
    rows: impl Iterator<Item = Y>,
    sums: &mut [Complex],
) -> usize {
    let mut count = 0;
    for (sample, y) in samples.iter().zip(rows) {
        // Without a branch (the comparison falls either way at random): the vertices below
        // the voxel add +0, which leaves every sum's bits as they are (a sum that starts at
        // +0 is never -0).
        let above = *sample >= center;
        count += usize::from(above);
        // All ones or all zeros: Y_j's bits kept, or +0. Opaque to the optimiser, which
        // otherwise turns the mask back into a branch that mispredicts half the time.
        let keep = std::hint::black_box(u64::from(above).wrapping_neg());
        let masked = |v: f64| f64::from_bits(v.to_bits() & keep);
        for (sum, yj) in sums.iter_mut().zip(y.as_ref()) {
            *sum = sum.add(Complex {
                re: masked(yj.re),
                im: masked(yj.im),
            });
        }
    }
    count
}

/// [`coefficients`] of `W` columns summed in a fixed-size array (in registers: the default
/// levels leave 3), then stored in `c[skip..]`.
fn coefficients_fixed<const W: usize>(
    samples: &[f64],
    center: f64,
    harmonics: &Harmonics,
    skip: usize,
    c: &mut [Complex],
) -> usize {
    let mut sums = [Complex::ZERO; W];
    let count = coefficients(samples, center, harmonics.columns::<W>(skip), &mut sums);
    c[skip..skip + W].copy_from_slice(&sums);
    count
}

/// The energy of one degree: the square root of the real part of the sum over the vertices
/// (in turn) of f^2, f = sum_j c_j Y_j at the vertex in numpy's pairwise order, the degree's
/// harmonics (as many as `c` holds) starting at column `first` (PyRadiomics'
/// reconstruction). The first three degrees' widths are fixed sizes (unrolled, in registers).
fn degree_energy(harmonics: &Harmonics, c: &[Complex], first: usize) -> f64 {
    match c.len() {
        1 => energy_of::<1, _>(harmonics.columns::<1>(first), c),
        3 => energy_of::<3, _>(harmonics.columns::<3>(first), c),
        5 => energy_of::<5, _>(harmonics.columns::<5>(first), c),
        // Degree n has 2n + 1 orders: at most 19 (lbp3DLevels <= 10).
        width => energy_of::<19, _>(harmonics.columns_dyn(first, width), c),
    }
}

/// [`degree_energy`] over the vertices' `rows` of `c.len()` columns; `N` is the width when
/// it is fixed, else an upper bound.
#[inline(always)]
fn energy_of<'a, const N: usize, Y: AsRef<[Complex]> + 'a>(
    rows: impl Iterator<Item = Y>,
    c: &[Complex],
) -> f64 {
    let width = c.len();
    let mut terms = [Complex::ZERO; N];
    let mut energy = Complex::ZERO;
    for y in rows {
        for ((t, cj), yj) in terms.iter_mut().zip(c).zip(y.as_ref()) {
            *t = cj.mul(*yj);
        }
        let f = if width == 1 {
            terms[0]
        } else {
            pairwise_complex(&terms[..width])
        };
        energy = energy.add(f.mul(f));
    }
    energy.sqrt_re()
}

/// One thread's buffers for the voxels it computes.
struct Scratch {
    samples: Vec<f64>,
    work: Vec<f64>,
    narrow: Vec<f32>,
    narrow_work: Vec<f32>,
    coefficients: Vec<Complex>,
}

impl Scratch {
    fn new(vertices: usize, columns: usize) -> Scratch {
        Scratch {
            samples: vec![0.0; vertices],
            work: Vec::with_capacity(vertices),
            narrow: Vec::with_capacity(vertices),
            narrow_work: Vec::with_capacity(vertices),
            coefficients: vec![Complex::ZERO; columns],
        }
    }
}

/// The vertices of trimesh's icosphere: a regular icosahedron of unit circumradius, its
/// faces split into four `subdivisions` times (each new vertex at an edge's midpoint), every
/// vertex then pushed out to `radius` along its direction.
fn icosphere(subdivisions: usize, radius: f64) -> Vec<[f64; 3]> {
    // Vertices (0, ±1, ±t) cyclically permuted, t the golden ratio, scaled to radius 1.
    let t = (1.0 + 5f64.sqrt()) / 2.0;
    let scale = (1.0 + t * t).sqrt();
    let (a, b) = (1.0 / scale, t / scale);
    let mut vertices: Vec<[f64; 3]> = vec![
        [-a, b, 0.0],
        [a, b, 0.0],
        [-a, -b, 0.0],
        [a, -b, 0.0],
        [0.0, -a, b],
        [0.0, a, b],
        [0.0, -a, -b],
        [0.0, a, -b],
        [b, 0.0, -a],
        [b, 0.0, a],
        [-b, 0.0, -a],
        [-b, 0.0, a],
    ];
    // Faces: the triples of mutually nearest vertices (the edge is the shortest distance).
    let dist2 = |p: &[f64; 3], q: &[f64; 3]| (0..3).map(|k| (p[k] - q[k]).powi(2)).sum::<f64>();
    let edge2 = 4.0 * a * a;
    let adjacent = |i: usize, j: usize| (dist2(&vertices[i], &vertices[j]) - edge2).abs() < 1e-9;
    let mut faces = Vec::new();
    for i in 0..12 {
        for j in i + 1..12 {
            for k in j + 1..12 {
                if adjacent(i, j) && adjacent(j, k) && adjacent(i, k) {
                    faces.push([i, j, k]);
                }
            }
        }
    }
    let project = |vertices: &mut Vec<[f64; 3]>| {
        for v in vertices.iter_mut() {
            let norm = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
            for c in v.iter_mut() {
                *c += *c / norm * (radius - norm);
            }
        }
    };
    for _ in 0..subdivisions {
        // One midpoint per edge, numbered as trimesh numbers them (edges ordered by their
        // larger vertex index, then their smaller): the order the samples are summed in.
        let mut edges: Vec<(usize, usize)> = faces
            .iter()
            .flat_map(|f| [(f[0], f[1]), (f[1], f[2]), (f[2], f[0])])
            .map(|(p, q)| (p.max(q), p.min(q)))
            .collect();
        edges.sort_unstable();
        edges.dedup();
        let mut midpoint = std::collections::HashMap::new();
        for (hi, lo) in edges {
            let (u, w) = (vertices[lo], vertices[hi]);
            midpoint.insert((hi, lo), vertices.len());
            vertices.push([0, 1, 2].map(|k| (u[k] + w[k]) / 2.0));
        }
        let mid = |p: usize, q: usize| midpoint[&(p.max(q), p.min(q))];
        faces = faces
            .iter()
            .flat_map(|f| {
                let (ab, bc, ca) = (mid(f[0], f[1]), mid(f[1], f[2]), mid(f[2], f[0]));
                [[f[0], ab, ca], [ab, f[1], bc], [ca, bc, f[2]], [ab, bc, ca]]
            })
            .collect();
        project(&mut vertices);
    }
    if subdivisions == 0 {
        project(&mut vertices);
    }
    vertices
}

/// Y_n^m as scipy.special.sph_harm(m, n, azimuth, polar) computes it (scipy < 1.15), in its
/// order of operations (so bit for bit): Condon-Shortley phase, normalised to 1 over the
/// sphere, Y_n^-m from Y_n^m by the Pochhammer factor.
fn spherical_harmonic(m: i64, n: i64, azimuth: f64, polar: f64) -> Complex {
    let mp = m.abs();
    let mut value = legendre(n, mp, polar.cos());
    if m < 0 {
        let sign = if mp % 2 == 1 { -1.0 } else { 1.0 };
        value *= sign * pochhammer((n + mp + 1) as f64, (-2 * mp) as f64);
    }
    value *= ((2 * n + 1) as f64 * pochhammer((n + m + 1) as f64, (-2 * m) as f64)
        / (4.0 * std::f64::consts::PI))
        .sqrt();
    let angle = m as f64 * azimuth;
    Complex {
        re: value * angle.cos(),
        im: value * angle.sin(),
    }
}

/// The Pochhammer symbol (a)_m = Gamma(a + m) / Gamma(a) for an integer m, as Cephes' `poch`
/// reduces it: a product of (a + m - 1) ... a, or a quotient for m < 0.
fn pochhammer(a: f64, mut m: f64) -> f64 {
    let mut r = 1.0;
    while m >= 1.0 && a + m != 1.0 {
        m -= 1.0;
        r *= a + m;
    }
    while m <= -1.0 && a + m != 0.0 {
        r /= a + m;
        m += 1.0;
    }
    r
}

/// The associated Legendre function P_n^m(x) (integer degree n >= m >= 0, Condon-Shortley
/// phase) by Zhang & Jin's LPMV (Computation of Special Functions, 1996), which scipy's `lpmv`
/// is: the hypergeometric series in (1 + x) for low degrees, else the upward recurrence in
/// the degree from the two lowest.
fn legendre(n: i64, m: i64, x: f64) -> f64 {
    if n > 2 && n > m {
        let mut p0 = legendre_series(m, m, x);
        let mut p1 = legendre_series(m + 1, m, x);
        let mut p = p1;
        for j in m + 2..=n {
            let j = j as f64;
            let mf = m as f64;
            p = ((2.0 * j - 1.0) * x * p1 - (j - 1.0 + mf) * p0) / (j - mf);
            p0 = p1;
            p1 = p;
        }
        p
    } else {
        legendre_series(n, m, x)
    }
}

/// Zhang & Jin's LPMV0 for an integer degree: c0 * sum_k r_k, with
/// c0 = (1 - x^2)^(m/2) / 2^m / m! * v (v + m) prod_{j<m} (v^2 - j^2).
fn legendre_series(n: i64, m: i64, x: f64) -> f64 {
    let v = n as f64;
    let mut c0 = 1.0;
    if m != 0 {
        let mut rg = v * (v + m as f64);
        for j in 1..m {
            rg *= v * v - (j * j) as f64;
        }
        let xq = (1.0 - x * x).sqrt();
        let mut r0 = 1.0;
        for j in 1..=m {
            r0 = 0.5 * r0 * xq / j as f64;
        }
        c0 = r0 * rg;
    }
    let mut sum = 1.0;
    let mut r = 1.0;
    for k in 1..=n - m {
        let a = (-n + m + k) as f64 - 1.0;
        let b = (n + m + k) as f64;
        let c = (k * (k + m)) as f64;
        r = 0.5 * r * a * b / c * (1.0 + x);
        sum += r;
    }
    sum *= c0;
    if n % 2 == 1 { -sum } else { sum }
}

/// The sum of complex terms in numpy's pairwise order (four running sums from 4 terms on).
fn pairwise_complex(terms: &[Complex]) -> Complex {
    if terms.len() < 4 {
        return terms.iter().fold(Complex::ZERO, |a, t| a.add(*t));
    }
    let mut r = [terms[0], terms[1], terms[2], terms[3]];
    let whole = terms.len() - terms.len() % 4;
    for chunk in terms[4..whole].chunks(4) {
        for (acc, t) in r.iter_mut().zip(chunk) {
            *acc = acc.add(*t);
        }
    }
    let mut sum = r[0].add(r[1]).add(r[2].add(r[3]));
    for t in &terms[whole..] {
        sum = sum.add(*t);
    }
    sum
}

/// The arithmetic a kurtosis runs in (numpy keeps float32 data in float32).
trait Precision:
    Copy
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
{
    const ZERO: Self;
    const EPSILON: Self;
    const THREE: Self;
    fn from_usize(n: usize) -> Self;
    fn to_f64(self) -> f64;
}

impl Precision for f32 {
    const ZERO: f32 = 0.0;
    const EPSILON: f32 = f32::EPSILON;
    const THREE: f32 = 3.0;
    fn from_usize(n: usize) -> f32 {
        n as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Precision for f64 {
    const ZERO: f64 = 0.0;
    const EPSILON: f64 = f64::EPSILON;
    const THREE: f64 = 3.0;
    fn from_usize(n: usize) -> f64 {
        n as f64
    }
    fn to_f64(self) -> f64 {
        self
    }
}

/// numpy's pairwise sum of a contiguous row (eight running sums from 8 values on, halves
/// above 128).
fn pairwise<T: Precision>(a: &[T]) -> T {
    let n = a.len();
    if n < 8 {
        return a.iter().fold(T::ZERO, |s, v| s + *v);
    }
    if n <= 128 {
        let mut r = [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]];
        let whole = n - n % 8;
        // Whole chunks of eight: a fixed width, added as vectors.
        for chunk in a[8..whole].chunks_exact(8) {
            let chunk: &[T; 8] = chunk.try_into().expect("chunks of eight");
            for (acc, v) in r.iter_mut().zip(chunk) {
                *acc = *acc + *v;
            }
        }
        let mut sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for v in &a[whole..] {
            sum = sum + *v;
        }
        return sum;
    }
    let half = n / 2;
    let half = half - half % 8;
    pairwise(&a[..half]) + pairwise(&a[half..])
}

/// scipy.stats.kurtosis (Fisher, biased) of the samples: m4 / m2^2 - 3, NaN when the
/// samples are all equal (m2 <= (eps mean)^2).
fn kurtosis<T: Precision>(a: &[T], work: &mut Vec<T>) -> f64 {
    let n = T::from_usize(a.len());
    let mean = pairwise(a) / n;
    work.clear();
    work.extend(a.iter().map(|v| (*v - mean) * (*v - mean)));
    let m2 = pairwise(work) / n;
    for v in work.iter_mut() {
        *v = *v * *v;
    }
    let m4 = pairwise(work) / n;
    let floor = T::EPSILON * mean;
    if m2 <= floor * floor {
        return f64::NAN;
    }
    (m4 / (m2 * m2) - T::THREE).to_f64()
}

/// `x.trunc()`, inline: on x86-64 without SSE4.1 `f64::trunc` is a libm call, and [`stored`]
/// runs three times per sample. From 2^52 on every float is whole; the sign is kept
/// (trunc(-0.3) is -0).
#[inline]
fn trunc(x: f64) -> f64 {
    if x.abs() < 4_503_599_627_370_496.0 {
        (x as i64 as f64).copysign(x)
    } else {
        x
    }
}

/// A float as map_coordinates stores it in an array of `pixel` type: integers rounded half
/// away from zero (unsigned ones from 0) and clipped, float32 rounded.
#[inline(always)]
fn stored(t: f64, pixel: PixelType) -> f64 {
    let int = |lo: f64, hi: f64| {
        let r = if t > 0.0 { t + 0.5 } else { t - 0.5 };
        trunc(r.clamp(lo, hi))
    };
    let uint = |hi: f64| trunc((if t > 0.0 { t + 0.5 } else { 0.0 }).min(hi));
    match pixel {
        PixelType::U8 => uint(u8::MAX as f64),
        PixelType::U16 => uint(u16::MAX as f64),
        PixelType::U32 => uint(u32::MAX as f64),
        PixelType::U64 => uint(u64::MAX as f64),
        PixelType::I8 => int(i8::MIN as f64, i8::MAX as f64),
        PixelType::I16 => int(i16::MIN as f64, i16::MAX as f64),
        PixelType::I32 => int(i32::MIN as f64, i32::MAX as f64),
        PixelType::I64 => int(i64::MIN as f64, i64::MAX as f64),
        PixelType::F32 => t as f32 as f64,
        PixelType::F64 => t,
    }
}

/// The pole of the cubic B-spline's prefilter, sqrt(3) - 2 (Unser, Aldroubi & Eden 1991).
const POLE: f64 = -0.2679491924311227;

/// scipy.ndimage's cubic B-spline coefficients of an image (`spline_filter`, mirror
/// boundaries, along axis 0, then 1, then 2), kept over a region: each axis' pass runs on
/// whole lines, as scipy's does, so the kept values are scipy's bit for bit.
struct Spline {
    coefficients: Array3<f64>,
    /// How far a separable sum can be from scipy's: the weights are >= 0 and sum to 1, so
    /// both are within a few hundred roundings of the largest coefficient.
    bound: f64,
    /// The region's first index per axis.
    origin: [usize; 3],
    /// The whole image's size per axis.
    dims: [usize; 3],
}

/// How far beyond the kept region the prefilter reads the image. Its recursions along a line
/// start from values that depend on the whole line; started at a cropped end instead, they
/// differ by a term that shrinks by |POLE| = 0.268 per voxel, which reaches one rounding of a
/// coefficient within 30 to 50 voxels, and thereafter survives a step only when a rounding
/// falls on the other side by it (less than 27% per step). On this module's test image the
/// last differing coefficient is 30 voxels in; 96 leaves scipy's bits except with a
/// probability below 1e-20.
const SPLINE_MARGIN: usize = 96;

impl Spline {
    /// The coefficients over `keep_lo..=keep_hi` (array axes), computed on that region plus
    /// [`SPLINE_MARGIN`] (clipped to the image).
    fn new(image: &Array3<f64>, keep_lo: [usize; 3], keep_hi: [usize; 3]) -> Spline {
        let dims = [image.dim().0, image.dim().1, image.dim().2];
        let from = keep_lo.map(|v| v.saturating_sub(SPLINE_MARGIN));
        let to = [0, 1, 2].map(|a| (keep_hi[a] + SPLINE_MARGIN).min(dims[a] - 1));
        let region = super::region(image, from, to);
        let mut spline = Spline::on_whole_lines(&region, keep_lo, keep_hi, from);
        spline.dims = dims;
        spline
    }

    /// The coefficients over `keep_lo..=keep_hi` (array axes, of the image `offset` is the
    /// first voxel of) with `image`'s lines whole, as scipy filters them.
    fn on_whole_lines(
        image: &Array3<f64>,
        keep_lo: [usize; 3],
        keep_hi: [usize; 3],
        offset: [usize; 3],
    ) -> Spline {
        let local = |p: [usize; 3]| [0, 1, 2].map(|a| p[a] - offset[a]);
        let (lo, hi) = (local(keep_lo), local(keep_hi));
        let mut c = spline_pass(image, 0, lo[0]..=hi[0]);
        c = spline_pass(&c, 1, lo[1]..=hi[1]);
        c = spline_pass(&c, 2, lo[2]..=hi[2]);
        let largest = c.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        Spline {
            bound: 1e-12 * largest + 1e-300,
            coefficients: c,
            origin: keep_lo,
            dims: [image.dim().0, image.dim().1, image.dim().2],
        }
    }

    /// Where the spline reads its coefficients along axis `a` at coordinate `cc`, and with
    /// what weights, as map_coordinates(order=3, mode='constant') does; `None` beyond the
    /// image (the value is then 0). Coefficients past its edges are mirrored.
    fn axis_tap(&self, a: usize, cc: f64) -> Option<AxisTap> {
        let len = self.dims[a] as i64;
        if !(0.0..=(len - 1) as f64).contains(&cc) {
            return None;
        }
        let stride = match a {
            0 => self.coefficients.dim().1 * self.coefficients.dim().2,
            1 => self.coefficients.dim().2,
            _ => 1,
        };
        let floor = cc.floor();
        let start = floor as i64 - 1;
        let x = cc - floor;
        let (y, z) = (x, 1.0 - x);
        let mut w = [0.0; 4];
        w[1] = (y * y * (y - 2.0) * 3.0 + 4.0) / 6.0;
        w[2] = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0;
        w[0] = z * z * z / 6.0;
        // The weights sum to 1: the last is what remains (scipy's order).
        w[3] = 1.0 - w[0] - w[1] - w[2];
        let offsets = [0, 1, 2, 3].map(|l| (mirror(start + l, len) - self.origin[a]) * stride);
        Some(AxisTap {
            offsets,
            weights: w,
        })
    }

    /// The axis taps of a point (array order), or `None` beyond the image.
    #[cfg(test)]
    fn tap(&self, p: [f64; 3]) -> Option<[AxisTap; 3]> {
        let [z, y, x] = [0, 1, 2].map(|a| self.axis_tap(a, p[a]));
        Some([z?, y?, x?])
    }

    /// The spline at one tap, summed separably (84 multiply-adds rather than scipy's 256
    /// operations): the order [`Spline::sample_grid`] sums in, point by point.
    #[cfg(test)]
    fn fast(&self, t: &Tap, data: &[f64]) -> f64 {
        let mut sum = 0.0;
        for i in 0..4 {
            let mut plane = 0.0;
            for j in 0..4 {
                let row = &data[t.axes[0].offsets[i] + t.axes[1].offsets[j]..];
                let line = t.axes[2].weights[0] * row[t.axes[2].offsets[0]]
                    + t.axes[2].weights[1] * row[t.axes[2].offsets[1]]
                    + t.axes[2].weights[2] * row[t.axes[2].offsets[2]]
                    + t.axes[2].weights[3] * row[t.axes[2].offsets[3]];
                plane += t.axes[1].weights[j] * line;
            }
            sum += t.axes[0].weights[i] * plane;
        }
        sum
    }

    /// The spline at one tap as scipy sums it: the 64 weighted coefficients in its order.
    fn exact(&self, t: &Tap, data: &[f64]) -> f64 {
        let mut sum = 0.0;
        for i in 0..4 {
            for j in 0..4 {
                for k in 0..4 {
                    let mut c =
                        data[t.axes[0].offsets[i] + t.axes[1].offsets[j] + t.axes[2].offsets[k]];
                    c *= t.axes[0].weights[i];
                    c *= t.axes[1].weights[j];
                    c *= t.axes[2].weights[k];
                    sum += c;
                }
            }
        }
        sum
    }

    /// The spline at `voxel + vertex` for every ROI voxel (box coordinates, axes z, y, x) and
    /// every vertex, summed separably, 0 beyond the image: see [`SampleGrid`] for the layout.
    /// `axis_taps[a][c * vertices + v]` is where axis `a` reads at box coordinate `c` plus
    /// vertex `v`. The vertices sharing an x offset share the sums along x, and those sharing
    /// x and y offsets the sums along y too, so each is computed once over the box; each
    /// sample is then summed in [`Spline::fast`]'s order, to the same bits.
    fn sample_grid(
        &self,
        axis_taps: &[Vec<Option<AxisTap>>],
        vertices: &[[f64; 3]],
        voxels: &[[usize; 3]],
        nbox: [usize; 3],
    ) -> SampleGrid {
        let nv = vertices.len();
        let (cz, cy, cx) = self.coefficients.dim();
        let [_, ny, nx] = nbox;
        let data = self
            .coefficients
            .as_slice()
            .expect("coefficients are in standard layout");
        // Per x offset, its vertices grouped by y offset, in block order.
        let groups: Vec<Vec<Vec<usize>>> =
            same_offset(&(0..nv).collect::<Vec<_>>(), |v| vertices[v][2])
                .into_iter()
                .map(|along_x| same_offset(&along_x, |v| vertices[v][1]))
                .collect();
        let members: Vec<Vec<usize>> = groups.iter().map(|g| g.concat()).collect();
        let runs = Run::of(voxels);
        let mut samples = vec![0.0; voxels.len() * nv];
        let mut blocks = Vec::with_capacity(groups.len());
        let mut rest = samples.as_mut_slice();
        for m in &members {
            let (block, tail) = rest.split_at_mut(voxels.len() * m.len());
            blocks.push(block);
            rest = tail;
        }
        groups
            .par_iter()
            .zip(blocks.into_par_iter())
            .for_each(|(along_x, block)| {
                let width: usize = along_x.iter().map(Vec::len).sum();
                let first = along_x[0][0];
                // Sums along x: [coefficient z][coefficient y][box x].
                let mut lines = vec![0.0; cz * cy * nx];
                for (bx, tap) in (0..nx).map(|bx| (bx, &axis_taps[2][bx * nv + first])) {
                    let Some(t) = tap else { continue };
                    let (o, w) = (t.offsets, t.weights);
                    for (row, r) in data.chunks_exact(cx).enumerate() {
                        lines[row * nx + bx] =
                            w[0] * r[o[0]] + w[1] * r[o[1]] + w[2] * r[o[2]] + w[3] * r[o[3]];
                    }
                }
                // Sums along y of the sums along x: [coefficient z][box y][box x].
                let mut planes = vec![0.0; cz * ny * nx];
                let mut column = 0;
                for along_xy in along_x {
                    planes.fill(0.0);
                    for by in 0..ny {
                        let Some(t) = &axis_taps[1][by * nv + along_xy[0]] else {
                            continue;
                        };
                        for z in 0..cz {
                            let plane = &mut planes[(z * ny + by) * nx..][..nx];
                            for j in 0..4 {
                                let line = &lines[(z * cy + t.offsets[j] / cx) * nx..][..nx];
                                for (p, l) in plane.iter_mut().zip(line) {
                                    *p += t.weights[j] * l;
                                }
                            }
                        }
                    }
                    for v in along_xy {
                        // Per box z: where the planes start for each tap along z (no
                        // division per sample), or None off the image.
                        let along_z: Vec<Option<([usize; 4], [f64; 4])>> = (0..nbox[0])
                            .map(|z| {
                                axis_taps[0][z * nv + v].as_ref().map(|t| {
                                    (t.offsets.map(|o| o / (cy * cx) * ny * nx), t.weights)
                                })
                            })
                            .collect();
                        // Per box y and x, whether the sample is on the image (else it is 0).
                        let inside = |a: usize, n: usize| -> Vec<bool> {
                            (0..n).map(|c| axis_taps[a][c * nv + v].is_some()).collect()
                        };
                        let (inside_y, inside_x) = (inside(1, ny), inside(2, nx));
                        let mut slots = block.chunks_exact_mut(width).map(|row| &mut row[column]);
                        for run in &runs {
                            let on = along_z[run.z].as_ref().filter(|_| inside_y[run.y]);
                            let xs = run.x..run.x + run.len;
                            let Some((starts, weights)) = on else {
                                slots.by_ref().take(run.len).for_each(|slot| *slot = 0.0);
                                continue;
                            };
                            let at = run.y * nx;
                            // The four planes' stretches of this run, read along memory.
                            let [p0, p1, p2, p3] = starts.map(|s| &planes[s + at..][xs.clone()]);
                            let values = xs.clone().enumerate().map(|(i, x)| {
                                if !inside_x[x] {
                                    return 0.0;
                                }
                                let mut sum = 0.0;
                                sum += weights[0] * p0[i];
                                sum += weights[1] * p1[i];
                                sum += weights[2] * p2[i];
                                sum += weights[3] * p3[i];
                                sum
                            });
                            // The run's values first: zip then takes no slot past the run.
                            for (value, slot) in values.zip(slots.by_ref()) {
                                *slot = value;
                            }
                        }
                        column += 1;
                    }
                }
            });
        SampleGrid {
            samples,
            members,
            voxels: voxels.len(),
        }
    }

    /// Sums again in scipy's order the samples (from [`Spline::sample_grid`]) that could fall
    /// on different sides of a boundary that `ambiguous(value, bound)` names (a rounding to
    /// the pixel type, the comparison with the voxel), so what follows from a sample is what
    /// follows from scipy's. `tap(v)` is where vertex `v`'s sample reads, `None` beyond the
    /// image (the sample is then 0).
    fn refine<'a>(
        &self,
        samples: &mut [f64],
        tap: impl Fn(usize) -> Option<Tap<'a>>,
        ambiguous: impl Fn(f64, f64) -> bool,
    ) {
        let data = self
            .coefficients
            .as_slice()
            .expect("coefficients are in standard layout");
        for (v, sample) in samples.iter_mut().enumerate() {
            if ambiguous(*sample, self.bound)
                && let Some(t) = tap(v)
            {
                *sample = self.exact(&t, data);
            }
        }
    }
}

/// The spline's samples at every (ROI voxel, vertex), one block per group of vertices that
/// share an x offset (each computed by one task, into its own memory): block g holds, voxel
/// by voxel, the samples of the vertices `members[g]`, in that order. Read voxel by voxel,
/// that is a few sequential streams, and nothing is copied into another layout.
struct SampleGrid {
    samples: Vec<f64>,
    members: Vec<Vec<usize>>,
    voxels: usize,
}

impl SampleGrid {
    /// Voxel `k`'s samples, by vertex, into `out`.
    fn voxel(&self, k: usize, out: &mut [f64]) {
        let mut start = 0;
        for m in &self.members {
            let row = &self.samples[start + k * m.len()..][..m.len()];
            for (&v, value) in m.iter().zip(row) {
                out[v] = *value;
            }
            start += self.voxels * m.len();
        }
    }
}

/// A run of ROI voxels along x: `len` voxels from box coordinate (z, y, x).
struct Run {
    z: usize,
    y: usize,
    x: usize,
    len: usize,
}

impl Run {
    /// The runs of `voxels` (box coordinates z, y, x, in array order).
    fn of(voxels: &[[usize; 3]]) -> Vec<Run> {
        let mut runs: Vec<Run> = Vec::new();
        for &[z, y, x] in voxels {
            match runs.last_mut() {
                Some(r) if r.z == z && r.y == y && r.x + r.len == x => r.len += 1,
                _ => runs.push(Run { z, y, x, len: 1 }),
            }
        }
        runs
    }
}

/// `items` split into runs that share `offset(item)` bit for bit, in first-seen order.
fn same_offset(items: &[usize], offset: impl Fn(usize) -> f64) -> Vec<Vec<usize>> {
    let mut groups: Vec<(u64, Vec<usize>)> = Vec::new();
    for &item in items {
        let key = offset(item).to_bits();
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(item),
            None => groups.push((key, vec![item])),
        }
    }
    groups.into_iter().map(|(_, members)| members).collect()
}

/// The coefficient offsets and weights along one axis of one point of the spline.
#[derive(Clone, Copy)]
struct AxisTap {
    offsets: [usize; 4],
    weights: [f64; 4],
}

/// The coefficient offsets and weights, per axis, of one point of the spline.
#[derive(Clone, Copy)]
struct Tap<'a> {
    axes: [&'a AxisTap; 3],
}

/// An index mirrored into 0..len without repeating the edge (scipy's 'mirror').
fn mirror(idx: i64, len: i64) -> usize {
    if len <= 1 {
        return 0;
    }
    let s2 = 2 * len - 2;
    let mut i = idx;
    if i < 0 {
        i += s2 * (-i / s2);
        i = if i <= 1 - len { i + s2 } else { -i };
    } else if i >= len {
        i -= s2 * (i / s2);
        if i >= len {
            i = s2 - i;
        }
    }
    i as usize
}

/// One axis of the spline filter over whole lines of `image`, keeping `keep` along it; the
/// lines of one slab side by side (the same operations per line whatever the thread count).
fn spline_pass(
    image: &Array3<f64>,
    axis: usize,
    keep: std::ops::RangeInclusive<usize>,
) -> Array3<f64> {
    let mut shape = [image.dim().0, image.dim().1, image.dim().2];
    shape[axis] = keep.end() - keep.start() + 1;
    let mut out = Array3::<f64>::zeros(shape);
    let slab_axis = if axis == 0 { 1 } else { 0 };
    let slabs: Vec<_> = image
        .axis_iter(Axis(slab_axis))
        .zip(out.axis_iter_mut(Axis(slab_axis)))
        .collect();
    slabs.into_par_iter().for_each(|(source, target)| {
        // The pass axis first: rows are positions along it, columns the lines.
        let (source, mut target) = if axis == 2 {
            (source.reversed_axes(), target.reversed_axes())
        } else {
            (source, target)
        };
        // Copied in standard layout (rows along memory, whatever the view's order).
        let mut lines = Array2::<f64>::zeros(source.raw_dim());
        lines.assign(&source);
        let width = lines.ncols();
        filter_columns(
            lines
                .as_slice_mut()
                .expect("a new array is in standard layout"),
            width,
        );
        target.assign(&lines.slice(s![keep.clone(), ..]));
    });
    out
}

/// The cubic B-spline prefilter (gain, causal and anti-causal recursions with mirror initial
/// values) down each column of `c` (rows of `width` values end to end), in scipy's order of
/// operations; each step runs along whole rows, which are contiguous.
fn filter_columns(c: &mut [f64], width: usize) {
    let n = c.len() / width.max(1);
    if n <= 1 {
        return;
    }
    let z = POLE;
    let gain = (1.0 - z) * (1.0 - 1.0 / z);
    c.iter_mut().for_each(|v| *v *= gain);
    let row = |c: &[f64], i: usize| c[i * width..(i + 1) * width].to_vec();
    let z_n_1 = z.powf((n - 1) as f64);
    let last = row(c, n - 1);
    let mut first = row(c, 0);
    for (f, l) in first.iter_mut().zip(&last) {
        *f += z_n_1 * l;
    }
    let mut z_i = z;
    for i in 1..n - 1 {
        let (a, b) = (&c[i * width..][..width], &c[(n - 1 - i) * width..][..width]);
        for ((f, a), b) in first.iter_mut().zip(a).zip(b) {
            *f += z_i * (a + z_n_1 * b);
        }
        z_i *= z;
    }
    let denominator = 1.0 - z_n_1 * z_n_1;
    first.iter_mut().for_each(|f| *f /= denominator);
    c[..width].copy_from_slice(&first);
    for i in 1..n {
        let (done, rest) = c.split_at_mut(i * width);
        let prev = &done[(i - 1) * width..];
        for (v, p) in rest[..width].iter_mut().zip(prev) {
            *v += z * p;
        }
    }
    {
        let (before, last) = c.split_at_mut((n - 1) * width);
        let before = &before[(n - 2) * width..];
        for (v, b) in last.iter_mut().zip(before) {
            *v = (z * b + *v) * z / (z * z - 1.0);
        }
    }
    for i in (0..n - 1).rev() {
        let (head, next) = c.split_at_mut((i + 1) * width);
        let cur = &mut head[i * width..];
        for (v, nx) in cur.iter_mut().zip(&next[..width]) {
            *v = z * (nx - *v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_trunc_is_the_standard_one() {
        for x in [
            -0.3,
            -0.0,
            0.0,
            0.7,
            -1.5,
            2.5,
            -32768.5,
            4503599627370495.5,
            -4503599627370497.0,
            1e300,
            -1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            assert_eq!(trunc(x).to_bits(), x.trunc().to_bits(), "{x}");
        }
        assert!(trunc(f64::NAN).is_nan());
    }

    /// The regular icosahedron's coordinates (golden ratio t: (0, ±1, ±t) / sqrt(1 + t^2)),
    /// as trimesh stores them: 0.5257311121191336 and 0.85065080835204.
    #[test]
    fn the_icosphere_has_the_regular_icosahedrons_vertices_and_counts() {
        let v = icosphere(0, 1.0);
        assert_eq!(v.len(), 12);
        assert!(v.contains(&[-0.5257311121191336, 0.85065080835204, 0.0]));
        // 10 * 4^s + 2 vertices, all at the radius.
        for (s, n) in [(1, 42), (2, 162), (3, 642)] {
            let v = icosphere(s, 1.5);
            assert_eq!(v.len(), n);
            for p in v {
                let r = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
                assert!((r - 1.5).abs() < 1e-12);
            }
        }
    }

    /// Closed forms of Y_1^m and Y_2^m (Condon-Shortley phase), the published table.
    #[test]
    fn spherical_harmonics_equal_their_closed_forms() {
        let (az, pol): (f64, f64) = (0.7, 1.1);
        let pi = std::f64::consts::PI;
        let y10 = (3.0 / (4.0 * pi)).sqrt() * pol.cos();
        let y11 = -(3.0 / (8.0 * pi)).sqrt() * pol.sin();
        let y22 = 0.25 * (15.0 / (2.0 * pi)).sqrt() * pol.sin().powi(2);
        let close =
            |a: Complex, re: f64, im: f64| (a.re - re).abs() < 1e-14 && (a.im - im).abs() < 1e-14;
        assert!(close(spherical_harmonic(0, 1, az, pol), y10, 0.0));
        assert!(close(
            spherical_harmonic(1, 1, az, pol),
            y11 * az.cos(),
            y11 * az.sin()
        ));
        assert!(close(
            spherical_harmonic(-1, 1, az, pol),
            -y11 * az.cos(),
            y11 * az.sin()
        ));
        assert!(close(
            spherical_harmonic(2, 2, az, pol),
            y22 * (2.0 * az).cos(),
            y22 * (2.0 * az).sin()
        ));
        assert!(close(
            spherical_harmonic(0, 0, az, pol),
            0.5 / pi.sqrt(),
            0.0
        ));
    }

    /// A cubic B-spline reproduces the samples it was fitted to, and is 0 off the image.
    #[test]
    fn the_spline_interpolates_its_samples() {
        let image =
            Array3::from_shape_fn((5, 6, 7), |(z, y, x)| ((z * 7 + y * 3 + x * x) % 11) as f64);
        let spline = Spline::new(&image, [0, 0, 0], [4, 5, 6]);
        let data = spline.coefficients.as_slice().unwrap();
        let at = |p: [f64; 3]| {
            spline.tap(p).map(|a| {
                let tap = Tap {
                    axes: [&a[0], &a[1], &a[2]],
                };
                (spline.fast(&tap, data), spline.exact(&tap, data))
            })
        };
        for ((z, y, x), v) in image.indexed_iter() {
            let (fast, exact) = at([z as f64, y as f64, x as f64]).unwrap();
            assert!((fast - v).abs() < 1e-12 && (exact - v).abs() < 1e-12);
        }
        assert!(at([-0.01, 1.0, 1.0]).is_none());
        assert!(at([1.0, 5.01, 1.0]).is_none());
    }

    /// The coefficients over a region, computed on the region plus its margin, are those of
    /// the whole image's lines to the bit, on an image of large steps and fine texture (a
    /// CT's air, soft tissue and bone) whose lines run far beyond the margin.
    #[test]
    fn the_cropped_prefilter_gives_the_whole_images_coefficients() {
        let image = Array3::from_shape_fn((30, 260, 300), |(z, y, x)| {
            let step = match (x / 40 + y / 33 + z / 9) % 3 {
                0 => -1024.0,
                1 => 40.0,
                _ => 1500.0,
            };
            step + ((z * 37 + y * 11 + x * x * 7) % 23) as f64 * 0.37
        });
        let (lo, hi) = ([10, 120, 130], [20, 140, 160]);
        let cropped = Spline::new(&image, lo, hi);
        let whole = Spline::on_whole_lines(&image, lo, hi, [0, 0, 0]);
        assert_eq!(cropped.coefficients.dim(), (11, 21, 31));
        assert_eq!(cropped.dims, whole.dims);
        let differing = cropped
            .coefficients
            .iter()
            .zip(&whole.coefficients)
            .filter(|(a, b)| a.to_bits() != b.to_bits())
            .count();
        assert_eq!(differing, 0);
    }

    /// The samples summed over the box along x, then y, then z, are the point-wise separable
    /// sums to the bit, for every voxel of a ROI and every vertex of the sphere, 0 where the
    /// sample falls off the image.
    #[test]
    fn the_samples_over_the_box_are_the_point_sums_bit_for_bit() {
        let image = Array3::from_shape_fn((9, 8, 10), |(z, y, x)| {
            ((z * 37 + y * 11 + x * x * 7) % 23) as f64 * 1.37 - 9.0
        });
        let sphere = Lbp3d::new(2, 1.3, 1);
        let nv = sphere.vertices.len();
        // A box touching the image's low edges, so some samples fall outside it.
        let (blo, bhi) = ([0, 0, 1], [6, 5, 8]);
        let spline = Spline::new(&image, [0, 0, 0], [8, 7, 9]);
        let axis_taps: Vec<Vec<Option<AxisTap>>> = (0..3)
            .map(|a| {
                (blo[a]..=bhi[a])
                    .flat_map(|c| sphere.vertices.iter().map(move |v| (c, v[a])))
                    .map(|(c, v)| spline.axis_tap(a, c as f64 + v))
                    .collect()
            })
            .collect();
        let voxels: Vec<[usize; 3]> = (0..7)
            .flat_map(|z| (0..6).flat_map(move |y| (0..8).map(move |x| [z, y, x])))
            .filter(|[z, y, x]| (z + 2 * y + x) % 3 != 1)
            .collect();
        let grid = spline.sample_grid(&axis_taps, &sphere.vertices, &voxels, [7, 6, 8]);
        let data = spline.coefficients.as_slice().unwrap();
        let mut outside = 0;
        let mut samples = vec![0.0; nv];
        for (k, &[z, y, x]) in voxels.iter().enumerate() {
            grid.voxel(k, &mut samples);
            for (v, vertex) in sphere.vertices.iter().enumerate() {
                let p = [0, 1, 2].map(|a| (blo[a] + [z, y, x][a]) as f64 + vertex[a]);
                let expected = match spline.tap(p) {
                    Some(a) => spline.fast(
                        &Tap {
                            axes: [&a[0], &a[1], &a[2]],
                        },
                        data,
                    ),
                    None => {
                        outside += 1;
                        0.0
                    }
                };
                assert_eq!(samples[v].to_bits(), expected.to_bits(), "{k} {v}");
            }
        }
        assert!(outside > 0);
    }
}
