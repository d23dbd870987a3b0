//! Finding the phantom in a scan: its centre from the body (voxels above -500 HU, averaged over
//! the slices), its rotation about z by a search that matches the rods' expected contrast,
//! then both refined by a rigid least-squares fit (2-D Procrustes) of the rods' nominal
//! centres to their measured centroids.

use crate::phantom::qct::{Pose, QctPhantom};
use crate::volume::Volume;

/// A point (x, y) in mm.
type Point = (f64, f64);

/// The slice-averaged image and its physical x-y coordinates.
pub struct Plane {
    pub values: Vec<f64>,
    pub nx: usize,
    pub ny: usize,
    x0: f64,
    y0: f64,
    dx: f64,
    dy: f64,
}

impl Plane {
    /// The mean over the slices of the scan (axial, identity direction assumed in-plane).
    pub fn of(v: &Volume) -> Plane {
        let [nx, ny, nz] = v.geometry.size;
        let mut values = vec![0.0; nx * ny];
        for ((_, j, i), &x) in v.voxels.indexed_iter() {
            values[j * nx + i] += f64::from(x) / nz as f64;
        }
        Plane {
            values,
            nx,
            ny,
            x0: v.geometry.origin[0],
            y0: v.geometry.origin[1],
            dx: v.geometry.spacing[0],
            dy: v.geometry.spacing[1],
        }
    }

    pub fn xy(&self, i: usize, j: usize) -> (f64, f64) {
        (self.x0 + i as f64 * self.dx, self.y0 + j as f64 * self.dy)
    }

    /// Whether a disc lies inside the field of view.
    pub fn holds_disc(&self, x: f64, y: f64, r: f64) -> bool {
        let (xa, ya) = self.xy(0, 0);
        let (xb, yb) = self.xy(self.nx - 1, self.ny - 1);
        x - r >= xa - self.dx / 2.0
            && x + r <= xb + self.dx / 2.0
            && y - r >= ya - self.dy / 2.0
            && y + r <= yb + self.dy / 2.0
    }

    /// Indices of the pixels within `r` of (x, y).
    pub fn disc(&self, x: f64, y: f64, r: f64) -> Vec<usize> {
        let lo_i = (((x - r - self.x0) / self.dx).floor().max(0.0)) as usize;
        let hi_i =
            (((x + r - self.x0) / self.dx).ceil().max(0.0) as usize).min(self.nx.saturating_sub(1));
        let lo_j = (((y - r - self.y0) / self.dy).floor().max(0.0)) as usize;
        let hi_j =
            (((y + r - self.y0) / self.dy).ceil().max(0.0) as usize).min(self.ny.saturating_sub(1));
        let mut out = Vec::new();
        for j in lo_j..=hi_j {
            for i in lo_i..=hi_i {
                let (px, py) = self.xy(i, j);
                if (px - x).powi(2) + (py - y).powi(2) <= r * r {
                    out.push(j * self.nx + i);
                }
            }
        }
        out
    }

    fn mean(&self, idx: &[usize]) -> f64 {
        if idx.is_empty() {
            return f64::NAN;
        }
        idx.iter().map(|&k| self.values[k]).sum::<f64>() / idx.len() as f64
    }
}

/// How well a pose puts the dense rods on bright pixels: the density-weighted mean HU in
/// the inner half of each rod.
fn score(plane: &Plane, p: &QctPhantom, pose: Pose) -> f64 {
    p.inserts
        .iter()
        .map(|i| {
            let (x, y) = pose.place(i.x, i.y);
            let m = plane.mean(&plane.disc(x, y, i.diameter / 4.0));
            (i.density - p.inserts[0].density) * if m.is_finite() { m } else { -1000.0 }
        })
        .sum()
}

/// Finds the phantom: within 1 mm and 2 degrees for shifts up to 20 mm and rotations up to
/// 15 degrees (tests/calibrate.rs); the search covers +/- 30 degrees.
pub fn locate(plane: &Plane, p: &QctPhantom) -> Option<Pose> {
    // The body's centre.
    let (mut sx, mut sy, mut n) = (0.0, 0.0, 0.0);
    for j in 0..plane.ny {
        for i in 0..plane.nx {
            if plane.values[j * plane.nx + i] > -500.0 {
                let (x, y) = plane.xy(i, j);
                sx += x;
                sy += y;
                n += 1.0;
            }
        }
    }
    if n == 0.0 {
        return None;
    }
    let centre = (sx / n, sy / n);
    let best_angle = |from: f64, to: f64, step: f64, at: (f64, f64)| {
        let steps = ((to - from) / step).round() as usize;
        (0..=steps)
            .map(|k| from + k as f64 * step)
            .map(|a| {
                (
                    a,
                    score(
                        plane,
                        p,
                        Pose {
                            x: at.0,
                            y: at.1,
                            angle: a,
                        },
                    ),
                )
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(a, _)| a)
            .unwrap_or(0.0)
    };
    let coarse = best_angle(-30.0, 30.0, 1.0, centre);
    let mut pose = Pose {
        x: centre.0,
        y: centre.1,
        angle: best_angle(coarse - 1.0, coarse + 1.0, 0.1, centre),
    };
    // Refine with the rods' centroids of contrast above the body.
    for _ in 0..3 {
        let mut pairs = Vec::new();
        for i in p
            .inserts
            .iter()
            .filter(|i| (i.density - p.inserts[0].density).abs() > 1e-9)
        {
            let (x, y) = pose.place(i.x, i.y);
            let r = i.diameter / 2.0;
            let ring = plane.disc(x, y, r + 3.0);
            let background = p.body_hu.min(plane.mean(&ring));
            let (mut wx, mut wy, mut w) = (0.0, 0.0, 0.0);
            for &k in &plane.disc(x, y, r + 2.0) {
                let c = (plane.values[k] - background).max(0.0);
                let (px, py) = plane.xy(k % plane.nx, k / plane.nx);
                wx += c * px;
                wy += c * py;
                w += c;
            }
            if w > 0.0 {
                pairs.push(((i.x, i.y), (wx / w, wy / w)));
            }
        }
        if pairs.len() < 2 {
            break;
        }
        pose = procrustes(&pairs);
    }
    Some(pose)
}

/// The rigid 2-D transform (rotation, then shift) that best maps nominal points onto measured
/// ones in least squares.
fn procrustes(pairs: &[(Point, Point)]) -> Pose {
    let n = pairs.len() as f64;
    let (ax, ay) = pairs
        .iter()
        .fold((0.0, 0.0), |s, ((x, y), _)| (s.0 + x / n, s.1 + y / n));
    let (bx, by) = pairs
        .iter()
        .fold((0.0, 0.0), |s, (_, (x, y))| (s.0 + x / n, s.1 + y / n));
    let (mut sc, mut ss) = (0.0, 0.0);
    for ((x, y), (u, v)) in pairs {
        let (x, y, u, v) = (x - ax, y - ay, u - bx, v - by);
        sc += x * u + y * v;
        ss += x * v - y * u;
    }
    let angle = ss.atan2(sc);
    let (s, c) = angle.sin_cos();
    Pose {
        x: bx - (c * ax - s * ay),
        y: by - (s * ax + c * ay),
        angle: angle.to_degrees(),
    }
}
