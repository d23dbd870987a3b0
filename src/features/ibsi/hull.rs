//! The 3-D convex hull of a mesh's vertices, for IBSI's convex-hull densities and the maximum
//! 3-D diameter. Mesh vertices sit on a half-voxel lattice, so the hull is built on integer
//! coordinates with exact orientation tests (no epsilon, no failure on the many coplanar
//! points a voxel mesh has). Written here because the Rust hull crates work in floating point.
//!
//! Incremental construction: a point strictly outside the current hull removes the faces it
//! sees and joins their horizon edges.

use std::collections::{HashMap, HashSet};

/// The hull's faces, as triangles of points, oriented outward.
pub struct Hull {
    pub points: Vec<[i64; 3]>,
    pub faces: Vec<[usize; 3]>,
}

fn sub(a: [i64; 3], b: [i64; 3]) -> [i128; 3] {
    [0, 1, 2].map(|d| (a[d] - b[d]) as i128)
}

fn cross(a: [i128; 3], b: [i128; 3]) -> [i128; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Six times the signed volume of (a, b, c, d): positive when d is above the plane of a, b, c
/// (counter-clockwise seen from d).
fn orient(a: [i64; 3], b: [i64; 3], c: [i64; 3], d: [i64; 3]) -> i128 {
    let n = cross(sub(b, a), sub(c, a));
    let v = sub(d, a);
    n[0] * v[0] + n[1] * v[1] + n[2] * v[2]
}

/// Points that are the first or last on each of their three axis-parallel lines: every other
/// point lies between two points and cannot be a hull vertex.
fn line_extremes(points: &[[i64; 3]]) -> Vec<[i64; 3]> {
    let mut keep = vec![0u8; points.len()];
    for axis in 0..3 {
        let (u, v) = ((axis + 1) % 3, (axis + 2) % 3);
        let mut ends: HashMap<(i64, i64), (usize, usize)> = HashMap::new();
        for (i, p) in points.iter().enumerate() {
            let e = ends.entry((p[u], p[v])).or_insert((i, i));
            if p[axis] < points[e.0][axis] {
                e.0 = i;
            }
            if p[axis] > points[e.1][axis] {
                e.1 = i;
            }
        }
        for (a, b) in ends.into_values() {
            keep[a] |= 1 << axis;
            keep[b] |= 1 << axis;
        }
    }
    let mut out: Vec<[i64; 3]> = points
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k == 7)
        .map(|(p, _)| *p)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The convex hull, or `None` when the points are coplanar (a flat ROI has no hull volume).
pub fn convex_hull(points: &[[i64; 3]]) -> Option<Hull> {
    let pts = line_extremes(points);
    if pts.len() < 4 {
        return None;
    }
    // A starting tetrahedron: two far-apart points, the point farthest from their line, the
    // point farthest from that plane.
    let a = 0;
    let b = (0..pts.len()).max_by_key(|&i| {
        let d = sub(pts[i], pts[a]);
        d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
    })?;
    let c = (0..pts.len()).max_by_key(|&i| {
        let n = cross(sub(pts[b], pts[a]), sub(pts[i], pts[a]));
        n[0] * n[0] + n[1] * n[1] + n[2] * n[2]
    })?;
    let d = (0..pts.len()).max_by_key(|&i| orient(pts[a], pts[b], pts[c], pts[i]).abs())?;
    if orient(pts[a], pts[b], pts[c], pts[d]) == 0 {
        return None;
    }
    let mut faces: Vec<[usize; 3]> = Vec::new();
    for f in [[a, b, c], [a, b, d], [a, c, d], [b, c, d]] {
        let other = [a, b, c, d].into_iter().find(|p| !f.contains(p))?;
        if orient(pts[f[0]], pts[f[1]], pts[f[2]], pts[other]) > 0 {
            faces.push([f[0], f[2], f[1]]);
        } else {
            faces.push(f);
        }
    }
    for p in 0..pts.len() {
        if [a, b, c, d].contains(&p) {
            continue;
        }
        let q = pts[p];
        let visible: Vec<bool> = faces
            .iter()
            .map(|f| orient(pts[f[0]], pts[f[1]], pts[f[2]], q) > 0)
            .collect();
        if !visible.iter().any(|&v| v) {
            continue;
        }
        let seen: HashSet<(usize, usize)> = faces
            .iter()
            .zip(&visible)
            .filter(|(_, v)| **v)
            .flat_map(|(f, _)| [(f[0], f[1]), (f[1], f[2]), (f[2], f[0])])
            .collect();
        let mut next: Vec<[usize; 3]> = faces
            .iter()
            .zip(&visible)
            .filter(|(_, v)| !**v)
            .map(|(f, _)| *f)
            .collect();
        // Horizon edges: edges of visible faces whose twin belongs to a hidden face. The
        // HashSet's order does not matter: the face set is the same whatever the order.
        let mut horizon: Vec<(usize, usize)> = seen
            .iter()
            .filter(|(u, v)| !seen.contains(&(*v, *u)))
            .copied()
            .collect();
        horizon.sort();
        for (u, v) in horizon {
            next.push([u, v, p]);
        }
        faces = next;
    }
    Some(Hull { points: pts, faces })
}

impl Hull {
    /// Volume and area with the lattice scaled to mm by `scale` (z, y, x).
    pub fn volume_area(&self, scale: [f64; 3]) -> (f64, f64) {
        let mm = |p: [i64; 3]| [0, 1, 2].map(|d| p[d] as f64 * scale[d]);
        let (mut volume6, mut area2) = (0.0, 0.0);
        for f in &self.faces {
            let [a, b, c] = f.map(|i| mm(self.points[i]));
            let u = [0, 1, 2].map(|d| b[d] - a[d]);
            let v = [0, 1, 2].map(|d| c[d] - a[d]);
            let n = [
                u[1] * v[2] - u[2] * v[1],
                u[2] * v[0] - u[0] * v[2],
                u[0] * v[1] - u[1] * v[0],
            ];
            volume6 += n[0] * a[0] + n[1] * a[1] + n[2] * a[2];
            area2 += (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
        }
        (volume6.abs() / 6.0, area2 / 2.0)
    }

    /// The largest distance between two hull vertices (mm).
    pub fn diameter(&self, scale: [f64; 3]) -> f64 {
        let mut used: Vec<usize> = self.faces.iter().flatten().copied().collect();
        used.sort_unstable();
        used.dedup();
        let mm: Vec<[f64; 3]> = used
            .iter()
            .map(|&i| [0, 1, 2].map(|d| self.points[i][d] as f64 * scale[d]))
            .collect();
        let mut best = 0.0f64;
        for (k, a) in mm.iter().enumerate() {
            for b in &mm[k + 1..] {
                let d2: f64 = (0..3).map(|d| (a[d] - b[d]).powi(2)).sum();
                best = best.max(d2);
            }
        }
        best.sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hull_of_a_cube_lattice_is_the_cube() {
        // All points of a 5x5x5 lattice: many coplanar and collinear points.
        let mut pts = Vec::new();
        for z in 0..5 {
            for y in 0..5 {
                for x in 0..5 {
                    pts.push([z, y, x]);
                }
            }
        }
        let h = convex_hull(&pts).expect("a cube");
        let (v, a) = h.volume_area([1.0, 2.0, 0.5]);
        assert!((v - 4.0 * 8.0 * 2.0).abs() < 1e-9, "volume {v}");
        assert!(
            (a - 2.0 * (4.0 * 8.0 + 4.0 * 2.0 + 8.0 * 2.0)).abs() < 1e-9,
            "area {a}"
        );
        assert!((h.diameter([1.0, 1.0, 1.0]) - 48f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn an_octahedron_and_a_flat_set() {
        let pts = [
            [1, 0, 0],
            [-1, 0, 0],
            [0, 1, 0],
            [0, -1, 0],
            [0, 0, 1],
            [0, 0, -1],
            [0, 0, 0],
        ];
        let h = convex_hull(&pts).expect("an octahedron");
        let (v, a) = h.volume_area([1.0; 3]);
        assert!((v - 4.0 / 3.0).abs() < 1e-12);
        assert!((a - 8.0 * 3f64.sqrt() / 2.0).abs() < 1e-12);
        assert!(convex_hull(&[[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [2, 3, 0]]).is_none());
    }
}
