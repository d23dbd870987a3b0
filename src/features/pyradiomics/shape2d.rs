//! PyRadiomics' `shape2D` class: the shape of a ROI that lies in one slice (with `force2D`,
//! the slice across `force2Ddimension`). The outline is found by marching squares on the
//! zero-padded slice mask, each square's lines taken from a 16-case table with vertices at
//! edge midpoints; the mesh surface is half the summed cross products of the lines' end
//! points, the perimeter their summed lengths, the maximum diameter the largest distance
//! between outline vertices, and the axis lengths come from the eigenvalues of the pixel
//! coordinates' covariance (PyRadiomics 3.1, `cshape.c` and `shape2D.py`).

use ndarray::{Array2, Array3, Axis};

/// The features, in PyRadiomics' (alphabetical) order; `SphericalDisproportion` is deprecated
/// (1 / Sphericity) and not computed.
pub const NAMES: &[&str] = &[
    "Elongation",
    "MajorAxisLength",
    "MaximumDiameter",
    "MeshSurface",
    "MinorAxisLength",
    "Perimeter",
    "PerimeterSurfaceRatio",
    "PixelSurface",
    "Sphericity",
];

/// The square's corners as (row, column) offsets, bit i of a square's case for corner i.
const CORNERS: [(usize, usize); 4] = [(0, 0), (0, 1), (1, 1), (1, 0)];
/// Edge midpoints: top, right, bottom, left, as (row, column) offsets.
const EDGE_POINTS: [(f64, f64); 4] = [(0.0, 0.5), (0.5, 1.0), (1.0, 0.5), (0.5, 0.0)];
/// Per case, the outline's line segments as pairs of edges (marching squares; the two
/// saddle cases 5 and 10 have two lines).
const LINES: [&[(usize, usize)]; 16] = [
    &[],
    &[(3, 0)],
    &[(0, 1)],
    &[(3, 1)],
    &[(1, 2)],
    &[(1, 2), (3, 0)],
    &[(0, 2)],
    &[(3, 2)],
    &[(2, 3)],
    &[(2, 0)],
    &[(0, 1), (2, 3)],
    &[(2, 1)],
    &[(1, 3)],
    &[(1, 0)],
    &[(0, 3)],
    &[],
];

/// The 2-D shape of `mask` (z, y, x), which must span one slice along array axis `plane`;
/// `spacing` is (x, y, z). The error says why it cannot be computed.
pub fn features(mask: &Array3<bool>, spacing: [f64; 3], plane: usize) -> Result<Vec<f64>, String> {
    if mask.len_of(Axis(plane)) > 1 {
        return Err(format!(
            "shape2D: the ROI spans {} slices along force2Ddimension {plane}; PyRadiomics computes 2-D shape only for a ROI in one slice",
            mask.len_of(Axis(plane))
        ));
    }
    let slice = mask.index_axis(Axis(plane), 0);
    // Spacing of the slice's two axes, in array order (row, column).
    let axes: Vec<usize> = (0..3).filter(|a| *a != plane).collect();
    let step = [spacing[2 - axes[0]], spacing[2 - axes[1]]];
    let (rows, cols) = slice.dim();
    let padded = Array2::from_shape_fn((rows + 2, cols + 2), |(r, c)| {
        r >= 1 && c >= 1 && r <= rows && c <= cols && slice[(r - 1, c - 1)]
    });
    let (mut surface, mut perimeter) = (0.0, 0.0);
    let mut vertices: Vec<(i64, i64)> = Vec::new();
    for r in 0..rows + 1 {
        for c in 0..cols + 1 {
            let case = CORNERS
                .iter()
                .enumerate()
                .filter(|(_, (dr, dc))| padded[(r + dr, c + dc)])
                .fold(0usize, |k, (i, _)| k | 1 << i);
            if case == 0 || case == 15 {
                continue;
            }
            for &(from, to) in LINES[case] {
                let point = |e: usize| {
                    [
                        (r as f64 + EDGE_POINTS[e].0) * step[0],
                        (c as f64 + EDGE_POINTS[e].1) * step[1],
                    ]
                };
                let (a, b) = (point(from), point(to));
                surface += a[0] * b[1] - b[0] * a[1];
                let (dr, dc) = (a[0] - b[0], a[1] - b[1]);
                perimeter += (dr * dr + dc * dc).sqrt();
            }
            // Each outline vertex once: those on this square's left and bottom edges, which
            // exist when corner 0 (left) or corner 2 (bottom) differs from its neighbour.
            let flipped = if case > 7 { case ^ 15 } else { case };
            for (corner, edge) in [(0usize, 3usize), (2, 2)] {
                if flipped & (1 << corner) != 0 {
                    vertices.push((
                        2 * r as i64 + (2.0 * EDGE_POINTS[edge].0) as i64,
                        2 * c as i64 + (2.0 * EDGE_POINTS[edge].1) as i64,
                    ));
                }
            }
        }
    }
    let surface = surface / 2.0;
    let (half_r, half_c) = (0.5 * step[0], 0.5 * step[1]);
    let mut diameter_sq = 0.0f64;
    for (i, a) in vertices.iter().enumerate() {
        for b in &vertices[i + 1..] {
            let (dr, dc) = ((a.0 - b.0) as f64 * half_r, (a.1 - b.1) as f64 * half_c);
            diameter_sq = diameter_sq.max(dr * dr + dc * dc);
        }
    }
    let diameter = diameter_sq.sqrt();
    // Covariance of the pixel coordinates (of the padded slice, as PyRadiomics; the shift
    // cancels), divided by the pixel count.
    let points: Vec<[f64; 2]> = padded
        .indexed_iter()
        .filter(|(_, m)| **m)
        .map(|((r, c), _)| [r as f64 * step[0], c as f64 * step[1]])
        .collect();
    let n = points.len() as f64;
    let mean = [0, 1].map(|k| points.iter().map(|p| p[k]).sum::<f64>() / n);
    let scale = n.sqrt();
    let centred: Vec<[f64; 2]> = points
        .iter()
        .map(|p| [(p[0] - mean[0]) / scale, (p[1] - mean[1]) / scale])
        .collect();
    let cov = |i: usize, j: usize| centred.iter().map(|p| p[i] * p[j]).sum::<f64>();
    let (a, b, d) = (cov(0, 0), cov(0, 1), cov(1, 1));
    let half_trace = 0.5 * (a + d);
    let root = (0.25 * (a - d) * (a - d) + b * b).sqrt();
    let fix = |v: f64| if v < 0.0 && v > -1e-10 { 0.0 } else { v };
    let (small, large) = (fix(half_trace - root), fix(half_trace + root));
    let axis_length = |v: f64| if v < 0.0 { f64::NAN } else { v.sqrt() * 4.0 };
    let elongation = if small < 0.0 || large <= 0.0 {
        f64::NAN
    } else {
        (small / large).sqrt()
    };
    let pixel_surface = n * step[0] * step[1];
    Ok(vec![
        elongation,
        axis_length(large),
        diameter,
        surface,
        axis_length(small),
        perimeter,
        perimeter / surface,
        pixel_surface,
        (2.0 * (std::f64::consts::PI * surface).sqrt()) / perimeter,
    ])
}
