//! 3-D shape features, PyRadiomics `shape` (14 features; IBSI "morphological features").
//!
//! The surface is a marching-cubes mesh of the ROI mask (zero-padded by one voxel), vertices at
//! the midpoints of edges between an ROI and a non-ROI voxel. MeshVolume sums the signed volumes
//! of the tetrahedra the triangles span with the origin (divergence theorem), SurfaceArea the
//! triangle areas. The maximum diameters are the largest vertex-to-vertex distances: overall, and
//! between vertices sharing a z (slice), a y (column) or an x (row) coordinate. Axis lengths come
//! from the principal components of the ROI voxel centres: 4·sqrt(eigenvalue).

use nalgebra::Matrix3;
use ndarray::Array3;

use super::mesh_table::TRIANGLES;
use crate::features::value::feature_values;

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

/// Area and signed volume (times 6) that the triangles of one cube contribute. `config` is
/// the corner configuration; complements of configurations with corner 7 set use the
/// complement's triangles with the volume sign reversed. (The per-cube view of what `mesh`
/// sums, for checking the table cube by cube.)
pub fn cube_contribution(config: usize, cube: [usize; 3], spacing_zyx: [f64; 3]) -> (f64, f64) {
    let table = CubeTable::new(spacing_zyx);
    let p = [0, 1, 2].map(|d| cube[d] as f64 * spacing_zyx[d]);
    let config = config & 0xff;
    (
        table.area[config],
        table.k0[config] + dot(p, table.k1[config]),
    )
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

/// Per-configuration constants for one spacing: a cube's triangle area, and its signed volume
/// (times 6) split as K0 + P·K1 with P the cube's position in mm. For a triangle (P+a, P+b,
/// P+c), (A×B)·C = (a×b)·c + P·(a×b + b×c + c×a): the same tetrahedra PyRadiomics sums,
/// without recomputing the position-free part in every cube.
struct CubeTable {
    area: [f64; 256],
    k0: [f64; 256],
    k1: [[f64; 3]; 256],
}

impl CubeTable {
    fn new(spacing_zyx: [f64; 3]) -> Self {
        let mid = midpoints();
        let mut t = CubeTable {
            area: [0.0; 256],
            k0: [0.0; 256],
            k1: [[0.0; 3]; 256],
        };
        for config in 0..256usize {
            let (row, sign) = if config & 0x80 != 0 {
                (config ^ 0xff, -1.0)
            } else {
                (config, 1.0)
            };
            let point = |e: i8| [0, 1, 2].map(|d| mid[e as usize][d] * spacing_zyx[d]);
            for tri in TRIANGLES[row].chunks(3).take_while(|t| t[0] >= 0) {
                let (a, b, c) = (point(tri[0]), point(tri[1]), point(tri[2]));
                let ab = cross(a, b);
                t.k0[config] += sign * dot(ab, c);
                let (bc, ca) = (cross(b, c), cross(c, a));
                for d in 0..3 {
                    t.k1[config][d] += sign * (ab[d] + bc[d] + ca[d]);
                }
                let n = cross(
                    [0, 1, 2].map(|d| a[d] - c[d]),
                    [0, 1, 2].map(|d| b[d] - c[d]),
                );
                t.area[config] += 0.5 * (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
            }
        }
        t
    }
}

/// A mesh vertex: its position in mm and in doubled voxel units (exact integers, for hulls).
#[derive(Clone, Copy)]
struct Vertex {
    mm: [f64; 3],
    grid: [i64; 3],
}

/// Mesh area, volume and the vertices (each grid edge once) of a zero-padded mask, given as
/// a flat (z, y, x) array of 0/1.
fn mesh(padded: &[u8], dim: [usize; 3], spacing_zyx: [f64; 3]) -> (f64, f64, Vec<Vertex>) {
    let mid = midpoints();
    let table = CubeTable::new(spacing_zyx);
    let [nz, ny, nx] = dim;
    let (sy, sz) = (nx, nx * ny);
    let corner_offset: [usize; 8] = CORNERS.map(|c| c[0] * sz + c[1] * sy + c[2]);
    let (mut area, mut volume6) = (0.0, 0.0);
    let mut vertices = Vec::new();
    // Edges 6, 7 and 11 meet at corner 7; they hold a vertex when corners 6, 4 and 3 differ
    // from corner 7, i.e. are set once the configuration is flipped to have corner 7 clear.
    const OWN_EDGES: [(usize, usize); 3] = [(6, 6), (4, 7), (3, 11)];
    for z in 0..nz.saturating_sub(1) {
        for y in 0..ny.saturating_sub(1) {
            let row = z * sz + y * sy;
            for x in 0..nx.saturating_sub(1) {
                let base = row + x;
                let mut config = 0usize;
                for (k, off) in corner_offset.iter().enumerate() {
                    config |= (padded[base + off] as usize) << k;
                }
                if config == 0 || config == 0xff {
                    continue;
                }
                let flipped = if config & 0x80 != 0 {
                    config ^ 0xff
                } else {
                    config
                };
                let cube = [z, y, x];
                for (corner, edge) in OWN_EDGES {
                    if flipped & (1 << corner) != 0 {
                        let m = mid[edge];
                        vertices.push(Vertex {
                            mm: [0, 1, 2].map(|d| (cube[d] as f64 + m[d]) * spacing_zyx[d]),
                            grid: [0, 1, 2].map(|d| 2 * cube[d] as i64 + (2.0 * m[d]) as i64),
                        });
                    }
                }
                let p = [0, 1, 2].map(|d| cube[d] as f64 * spacing_zyx[d]);
                area += table.area[config];
                volume6 += table.k0[config] + dot(p, table.k1[config]);
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

/// The extreme points (as indices into `pts`) of the planar points `idx`, by Andrew's
/// monotone chain on exact integer coordinates; collinear points are not extreme.
fn hull_2d(pts: &[[i64; 2]], idx: &mut [usize]) -> Vec<usize> {
    idx.sort_by_key(|&i| pts[i]);
    if idx.len() < 3 {
        return idx.to_vec();
    }
    let cross = |o: usize, a: usize, b: usize| {
        (pts[a][0] - pts[o][0]) * (pts[b][1] - pts[o][1])
            - (pts[a][1] - pts[o][1]) * (pts[b][0] - pts[o][0])
    };
    let mut hull: Vec<usize> = Vec::with_capacity(idx.len() + 1);
    let chain = |order: &mut dyn Iterator<Item = usize>, hull: &mut Vec<usize>| {
        let start = hull.len();
        for i in order {
            while hull.len() >= start + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], i) <= 0
            {
                hull.pop();
            }
            hull.push(i);
        }
        hull.pop();
    };
    chain(&mut idx.iter().copied(), &mut hull);
    chain(&mut idx.iter().rev().copied(), &mut hull);
    hull
}

/// Maximum diameters [slice (same z), column (same y), row (same x), 3-D], as PyRadiomics
/// defines them over mesh vertices, computed exactly over fewer pairs: the farthest pair of a
/// set lies on its convex hull, so each plane's maximum comes from that plane's hull, and a
/// 3-D hull vertex is extreme in each of its three planes, so only points extreme in all three
/// are 3-D candidates.
fn diameters(vertices: &[Vertex]) -> [f64; 4] {
    let mut out = [0.0f64; 4];
    let mut extreme = vec![0u8; vertices.len()];
    for axis in 0..3 {
        let (u, v) = match axis {
            0 => (1, 2),
            1 => (0, 2),
            _ => (0, 1),
        };
        let mut groups: std::collections::HashMap<i64, Vec<usize>> =
            std::collections::HashMap::new();
        for (i, p) in vertices.iter().enumerate() {
            groups.entry(p.grid[axis]).or_default().push(i);
        }
        let pts: Vec<[i64; 2]> = vertices.iter().map(|p| [p.grid[u], p.grid[v]]).collect();
        for members in groups.values_mut() {
            let hull = hull_2d(&pts, members);
            for &i in &hull {
                extreme[i] += 1;
            }
            for (k, &a) in hull.iter().enumerate() {
                for &b in &hull[k + 1..] {
                    out[axis] = out[axis].max(dist2(&vertices[a].mm, &vertices[b].mm));
                }
            }
        }
    }
    // 3-D: candidates sorted by distance from their centroid, largest first; a pair can only
    // beat the best so far if the sum of their distances exceeds it (triangle inequality).
    // The 3-D maximum is at least every plane's, which seeds the bound.
    let mut candidates: Vec<usize> = (0..vertices.len()).filter(|&i| extreme[i] == 3).collect();
    let n = candidates.len().max(1) as f64;
    let c = [0, 1, 2].map(|d| candidates.iter().map(|&i| vertices[i].mm[d]).sum::<f64>() / n);
    let radius: Vec<f64> = vertices.iter().map(|v| dist2(&v.mm, &c).sqrt()).collect();
    candidates.sort_by(|&a, &b| radius[b].total_cmp(&radius[a]));
    let mut best = out[0].max(out[1]).max(out[2]);
    // Slack keeps rounding in the bound from ever skipping the true maximum.
    let slack = 1e-9;
    for (k, &a) in candidates.iter().enumerate() {
        let ra = radius[a];
        if ra + radius[candidates[0]] + slack < best.sqrt() {
            break;
        }
        for &b in &candidates[k + 1..] {
            if ra + radius[b] + slack < best.sqrt() {
                break;
            }
            best = best.max(dist2(&vertices[a].mm, &vertices[b].mm));
        }
    }
    out[3] = best;
    out.map(f64::sqrt)
}
/// The ROI's voxel count and the eigenvalues of its voxel-centre covariance, ascending
/// (PyRadiomics centres the coordinates in mm, divides by √N, takes XᵀX, and rounds tiny
/// negative eigenvalues, > -1e-10, to 0).
fn principal_eigenvalues(mask: &Array3<bool>, spacing_zyx: [f64; 3]) -> (f64, [f64; 3]) {
    let (nz, ny, nx) = mask.dim();
    let flat = mask.as_slice().unwrap_or(&[]);
    let each = |f: &mut dyn FnMut([f64; 3])| {
        for z in 0..nz {
            for y in 0..ny {
                let row = &flat[(z * ny + y) * nx..(z * ny + y + 1) * nx];
                for (x, _) in row.iter().enumerate().filter(|(_, m)| **m) {
                    f([
                        z as f64 * spacing_zyx[0],
                        y as f64 * spacing_zyx[1],
                        x as f64 * spacing_zyx[2],
                    ]);
                }
            }
        }
    };
    let (mut n, mut sum) = (0usize, [0.0f64; 3]);
    each(&mut |p| {
        n += 1;
        for d in 0..3 {
            sum[d] += p[d];
        }
    });
    let mean = sum.map(|s| s / n as f64);
    let scale = (n as f64).sqrt();
    let mut cov = Matrix3::<f64>::zeros();
    each(&mut |p| {
        let c = [0, 1, 2].map(|d| (p[d] - mean[d]) / scale);
        for a in 0..3 {
            for b in 0..3 {
                cov[(a, b)] += c[a] * c[b];
            }
        }
    });
    let mut ev: Vec<f64> = cov.symmetric_eigenvalues().iter().copied().collect();
    for v in ev.iter_mut() {
        if *v < 0.0 && *v > -1e-10 {
            *v = 0.0;
        }
    }
    ev.sort_by(f64::total_cmp);
    (n as f64, [ev[0], ev[1], ev[2]])
}

/// The marching-cubes mesh of a mask zero-padded by one voxel: area, volume, vertices.
fn padded_mesh(mask: &Array3<bool>, spacing_zyx: [f64; 3]) -> (f64, f64, Vec<Vertex>) {
    let (nz, ny, nx) = mask.dim();
    let dim = [nz + 2, ny + 2, nx + 2];
    let mut padded = vec![0u8; dim[0] * dim[1] * dim[2]];
    for ((z, y, x), &m) in mask.indexed_iter() {
        if m {
            padded[((z + 1) * dim[1] + y + 1) * dim[2] + x + 1] = 1;
        }
    }
    mesh(&padded, dim, spacing_zyx)
}

/// A mask's marching-cubes surface, for IBSI morphology.
#[derive(Debug, Clone)]
pub struct Surface {
    /// Mesh area (mm²).
    pub area: f64,
    /// Mesh volume (mm³).
    pub volume: f64,
    /// Vertices as twice their (z, y, x) index in the padded grid: integers, so that the
    /// convex hull can be built with exact arithmetic.
    pub vertices: Vec<[i64; 3]>,
}

/// The surface of a mask with spacing (x, y, z).
pub fn surface(mask: &Array3<bool>, spacing: [f64; 3]) -> Surface {
    let (area, volume, vertices) = padded_mesh(mask, [spacing[2], spacing[1], spacing[0]]);
    Surface {
        area,
        volume,
        vertices: vertices.into_iter().map(|v| v.grid).collect(),
    }
}

/// Eigenvalues (ascending) of the covariance of a mask's voxel centres in mm, spacing (x, y, z).
pub fn axis_eigenvalues(mask: &Array3<bool>, spacing: [f64; 3]) -> [f64; 3] {
    principal_eigenvalues(mask, [spacing[2], spacing[1], spacing[0]]).1
}

feature_values! {
    /// Shape feature names, alphabetical (PyRadiomics' order).
    pub const NAMES;
    /// One value per shape feature.
    pub struct Values {
        Elongation,
        Flatness,
        LeastAxisLength,
        MajorAxisLength,
        Maximum2DDiameterColumn,
        Maximum2DDiameterRow,
        Maximum2DDiameterSlice,
        Maximum3DDiameter,
        MeshVolume,
        MinorAxisLength,
        Sphericity,
        SurfaceArea,
        SurfaceVolumeRatio,
        VoxelVolume,
    }
}

/// The shape features (in `NAMES` order) of a mask cropped to its bounding box, with spacing
/// (x, y, z).
pub fn features(mask: &Array3<bool>, spacing: [f64; 3]) -> Vec<f64> {
    let spacing_zyx = [spacing[2], spacing[1], spacing[0]];
    let (area, volume, vertices) = padded_mesh(mask, spacing_zyx);
    let d = diameters(&vertices);
    let (np_, ev) = principal_eigenvalues(mask, spacing_zyx);
    let axis = |v: f64| if v < 0.0 { f64::NAN } else { v.sqrt() * 4.0 };
    let ratio = |a: f64, b: f64| {
        if a < 0.0 || b < 0.0 {
            f64::NAN
        } else {
            (a / b).sqrt()
        }
    };
    let [sz, sy, sx] = spacing_zyx;
    Values {
        Elongation: ratio(ev[1], ev[2]),
        Flatness: ratio(ev[0], ev[2]),
        LeastAxisLength: axis(ev[0]),
        MajorAxisLength: axis(ev[2]),
        Maximum2DDiameterColumn: d[1],
        Maximum2DDiameterRow: d[2],
        Maximum2DDiameterSlice: d[0],
        Maximum3DDiameter: d[3],
        MeshVolume: volume,
        MinorAxisLength: axis(ev[1]),
        Sphericity: (36.0 * std::f64::consts::PI * volume.powi(2)).powf(1.0 / 3.0) / area,
        SurfaceArea: area,
        SurfaceVolumeRatio: area / volume,
        VoxelVolume: np_ * (sz * sx * sy),
    }
    .to_vec()
}
