//! 3-D shape features, PyRadiomics `shape` (14 features; IBSI "morphological features").
//!
//! The surface is a marching-cubes mesh of the ROI mask (zero-padded by one voxel), vertices at
//! the midpoints of edges between an ROI and a non-ROI voxel. MeshVolume sums the signed volumes
//! of the tetrahedra the triangles span with the origin (divergence theorem), SurfaceArea the
//! triangle areas. The maximum diameters are the largest vertex-to-vertex distances: overall, and
//! between vertices sharing a z (slice), a y (column) or an x (row) coordinate. Axis lengths come
//! from the principal components of the ROI voxel centres: 4·sqrt(eigenvalue).

use nalgebra::{Matrix3, SymmetricEigen};
use ndarray::Array3;

use super::mesh_table::TRIANGLES;

/// Cube corners as (z, y, x) offsets, in the marching-cubes table's numbering.
const CORNERS: [[usize; 3]; 8] = [
    [0, 0, 0],
    [0, 0, 1],
    [0, 1, 1],
    [0, 1, 0],
    [1, 0, 0],
    [1, 0, 1],
    [1, 1, 1],
    [1, 1, 0],
];

/// Cube edges as pairs of corners, in the table's numbering.
const EDGES: [[usize; 2]; 12] = [
    [0, 1],
    [1, 2],
    [2, 3],
    [3, 0],
    [4, 5],
    [5, 6],
    [6, 7],
    [7, 4],
    [0, 4],
    [1, 5],
    [2, 6],
    [3, 7],
];

/// Edge midpoints in (z, y, x) cube coordinates.
fn midpoints() -> [[f64; 3]; 12] {
    EDGES.map(|[a, b]| [0, 1, 2].map(|d| (CORNERS[a][d] + CORNERS[b][d]) as f64 / 2.0))
}

/// The corner configuration of the cube at (z, y, x): bit k set when corner k is in the ROI.
fn configuration(mask: &Array3<bool>, z: usize, y: usize, x: usize) -> usize {
    let mut config = 0;
    for (k, c) in CORNERS.iter().enumerate() {
        if mask[(z + c[0], y + c[1], x + c[2])] {
            config |= 1 << k;
        }
    }
    config
}

/// Area and signed volume (times 6) that the triangles of one cube contribute. `config` is
/// the corner configuration; complements of configurations with corner 7 set use the
/// complement's triangles with the volume sign reversed.
pub fn cube_contribution(config: usize, cube: [usize; 3], spacing_zyx: [f64; 3]) -> (f64, f64) {
    let mid = midpoints();
    let (config, sign) = if config & 0x80 != 0 {
        (config ^ 0xff, -1.0)
    } else {
        (config, 1.0)
    };
    let row = &TRIANGLES[config];
    let (mut area, mut volume6) = (0.0, 0.0);
    let point = |e: i8| -> [f64; 3] {
        [0, 1, 2].map(|d| (cube[d] as f64 + mid[e as usize][d]) * spacing_zyx[d])
    };
    for t in row.chunks(3).take_while(|t| t[0] >= 0) {
        let (mut a, mut b, c) = (point(t[0]), point(t[1]), point(t[2]));
        volume6 += sign * dot(cross(a, b), c);
        for d in 0..3 {
            a[d] -= c[d];
            b[d] -= c[d];
        }
        let n = cross(a, b);
        area += 0.5 * (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
    }
    (area, volume6)
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - b[1] * a[2],
        a[2] * b[0] - b[2] * a[0],
        a[0] * b[1] - b[0] * a[1],
    ]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Mesh area, volume and the vertices (each grid edge once) of a zero-padded mask.
fn mesh(padded: &Array3<bool>, spacing_zyx: [f64; 3]) -> (f64, f64, Vec<[f64; 3]>) {
    let mid = midpoints();
    let (nz, ny, nx) = padded.dim();
    let (mut area, mut volume6) = (0.0, 0.0);
    let mut vertices = Vec::new();
    // Edges 6, 7 and 11 meet at corner 7; they hold a vertex when corners 6, 4 and 3 differ
    // from corner 7, i.e. are set once the configuration is flipped to have corner 7 clear.
    const OWN_EDGES: [(usize, usize); 3] = [(6, 6), (4, 7), (3, 11)];
    for z in 0..nz.saturating_sub(1) {
        for y in 0..ny.saturating_sub(1) {
            for x in 0..nx.saturating_sub(1) {
                let config = configuration(padded, z, y, x);
                let flipped = if config & 0x80 != 0 {
                    config ^ 0xff
                } else {
                    config
                };
                for (corner, edge) in OWN_EDGES {
                    if flipped & (1 << corner) != 0 {
                        vertices.push([
                            (z as f64 + mid[edge][0]) * spacing_zyx[0],
                            (y as f64 + mid[edge][1]) * spacing_zyx[1],
                            (x as f64 + mid[edge][2]) * spacing_zyx[2],
                        ]);
                    }
                }
                if flipped == 0 {
                    continue;
                }
                let (a, v) = cube_contribution(config, [z, y, x], spacing_zyx);
                area += a;
                volume6 += v;
            }
        }
    }
    (area, volume6 / 6.0, vertices)
}

/// Squared distance as PyRadiomics sums it (z, then y, then x).
fn dist2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let d = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
}

/// The largest squared distance between any two of `points` (indices into `all`), exactly:
/// a pair at distance >= D0 (a known pair's distance) needs both points at least D0 - R from
/// the centroid (R the largest centroid distance), which leaves few candidates to compare.
fn max_dist2(all: &[[f64; 3]], points: &[usize]) -> f64 {
    if points.len() < 2 {
        return 0.0;
    }
    let n = points.len() as f64;
    let c = [0, 1, 2].map(|d| points.iter().map(|&i| all[i][d]).sum::<f64>() / n);
    let r: Vec<f64> = points.iter().map(|&i| dist2(&all[i], &c).sqrt()).collect();
    let far = (0..points.len())
        .max_by(|&a, &b| r[a].total_cmp(&r[b]))
        .unwrap_or(0);
    let other = points
        .iter()
        .max_by(|&&a, &&b| {
            dist2(&all[points[far]], &all[a]).total_cmp(&dist2(&all[points[far]], &all[b]))
        })
        .copied()
        .unwrap_or(points[0]);
    let d0 = dist2(&all[points[far]], &all[other]).sqrt();
    let big_r = r[far];
    // Generous slack against rounding: the bound only prunes, the final maxima are exact.
    let threshold = d0 - big_r - 1e-9 * (1.0 + d0);
    let keep: Vec<usize> = (0..points.len())
        .filter(|&k| r[k] >= threshold)
        .map(|k| points[k])
        .collect();
    let mut best = d0 * d0;
    best = best.max(dist2(&all[points[far]], &all[other]));
    for (k, &a) in keep.iter().enumerate() {
        for &b in &keep[k + 1..] {
            let d = dist2(&all[a], &all[b]);
            if d > best {
                best = d;
            }
        }
    }
    best
}

/// Maximum diameters: [slice (same z), column (same y), row (same x), 3-D].
fn diameters(vertices: &[[f64; 3]]) -> [f64; 4] {
    let all: Vec<usize> = (0..vertices.len()).collect();
    let mut out = [0.0; 4];
    for axis in 0..3 {
        let mut groups: std::collections::HashMap<u64, Vec<usize>> =
            std::collections::HashMap::new();
        for (i, v) in vertices.iter().enumerate() {
            groups.entry(v[axis].to_bits()).or_default().push(i);
        }
        out[axis] = groups
            .values()
            .map(|g| max_dist2(vertices, g))
            .fold(0.0, f64::max)
            .sqrt();
    }
    out[3] = max_dist2(vertices, &all).sqrt();
    out
}

/// Eigenvalues of the ROI's voxel-centre covariance, ascending (PyRadiomics rounds tiny
/// negative ones, > -1e-10, to 0).
fn principal_eigenvalues(mask: &Array3<bool>, spacing_zyx: [f64; 3]) -> [f64; 3] {
    let pts: Vec<[f64; 3]> = mask
        .indexed_iter()
        .filter(|(_, m)| **m)
        .map(|((z, y, x), _)| {
            [
                z as f64 * spacing_zyx[0],
                y as f64 * spacing_zyx[1],
                x as f64 * spacing_zyx[2],
            ]
        })
        .collect();
    let n = pts.len() as f64;
    let mean = [0, 1, 2].map(|d| pts.iter().map(|p| p[d]).sum::<f64>() / n);
    let scale = n.sqrt();
    let mut cov = Matrix3::<f64>::zeros();
    for p in &pts {
        let c = [0, 1, 2].map(|d| (p[d] - mean[d]) / scale);
        for a in 0..3 {
            for b in 0..3 {
                cov[(a, b)] += c[a] * c[b];
            }
        }
    }
    let mut ev: Vec<f64> = SymmetricEigen::new(cov)
        .eigenvalues
        .iter()
        .copied()
        .collect();
    for v in ev.iter_mut() {
        if *v < 0.0 && *v > -1e-10 {
            *v = 0.0;
        }
    }
    ev.sort_by(f64::total_cmp);
    [ev[0], ev[1], ev[2]]
}

/// The 14 shape features of a mask (cropped to its bounding box) with spacing (x, y, z).
pub fn features(mask: &Array3<bool>, spacing: [f64; 3]) -> Vec<(&'static str, f64)> {
    let spacing_zyx = [spacing[2], spacing[1], spacing[0]];
    let (nz, ny, nx) = mask.dim();
    let mut padded = Array3::<bool>::from_elem((nz + 2, ny + 2, nx + 2), false);
    padded
        .slice_mut(ndarray::s![1..nz + 1, 1..ny + 1, 1..nx + 1])
        .assign(mask);
    let (area, volume, vertices) = mesh(&padded, spacing_zyx);
    let d = diameters(&vertices);
    let np_ = mask.iter().filter(|m| **m).count() as f64;
    let ev = principal_eigenvalues(mask, spacing_zyx);
    let axis = |v: f64| if v < 0.0 { f64::NAN } else { v.sqrt() * 4.0 };
    let ratio = |a: f64, b: f64| {
        if a < 0.0 || b < 0.0 {
            f64::NAN
        } else {
            (a / b).sqrt()
        }
    };
    let [sz, sy, sx] = spacing_zyx;
    vec![
        ("Elongation", ratio(ev[1], ev[2])),
        ("Flatness", ratio(ev[0], ev[2])),
        ("LeastAxisLength", axis(ev[0])),
        ("MajorAxisLength", axis(ev[2])),
        ("Maximum2DDiameterColumn", d[1]),
        ("Maximum2DDiameterRow", d[2]),
        ("Maximum2DDiameterSlice", d[0]),
        ("Maximum3DDiameter", d[3]),
        ("MeshVolume", volume),
        ("MinorAxisLength", axis(ev[1])),
        (
            "Sphericity",
            (36.0 * std::f64::consts::PI * volume.powi(2)).powf(1.0 / 3.0) / area,
        ),
        ("SurfaceArea", area),
        ("SurfaceVolumeRatio", area / volume),
        ("VoxelVolume", np_ * (sz * sx * sy)),
    ]
}
