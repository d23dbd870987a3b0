//! Image grid geometry in LPS physical space, exactly as ITK/SimpleITK define it.
//!
//! A voxel with continuous index `(i, j, k)` (i along x, fastest in memory) sits at the
//! physical point `origin + D * diag(spacing) * (i, j, k)`, in millimetres, in the patient's
//! LPS frame (x to the patient's left, y posterior, z superior). `D` is the direction matrix:
//! its column `c` is the unit vector of index axis `c`. This module holds that grid, checks it
//! is usable, converts between indices and points, and compares two grids with a tolerance.
//! It does not hold voxels (see `Volume` and `Mask`).

use serde::Serialize;

/// Orthonormality tolerance for a direction matrix read from a file. Files written in single
/// precision (NIfTI-1 quaternions) carry errors near 1e-7; a genuine shear is far larger.
const ORTHONORMAL_TOLERANCE: f64 = 1e-4;

/// The grid of a 3-D image: size, spacing, origin and direction in LPS space.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Geometry {
    /// Voxels along x, y, z (ITK index order i, j, k).
    pub size: [usize; 3],
    /// Distance between voxel centres along each index axis, in mm.
    pub spacing: [f64; 3],
    /// Physical LPS position of the centre of voxel (0, 0, 0), in mm.
    pub origin: [f64; 3],
    /// Row-major direction cosines; column `c` is the unit direction of index axis `c`.
    pub direction: [[f64; 3]; 3],
}

/// How closely two grids must agree to be "the same" (image and mask, say).
///
/// These are ITK's rules, which PyRadiomics uses through SimpleITK: origins and spacings may
/// differ by at most `coordinate * spacing_x` mm, direction cosines by at most `direction`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeometryTolerance {
    /// Relative to the first spacing (SimpleITK's global coordinate tolerance).
    pub coordinate: f64,
    /// Absolute, per direction cosine (SimpleITK's global direction tolerance).
    pub direction: f64,
}

impl Default for GeometryTolerance {
    /// SimpleITK's defaults (1e-6 and 1e-6).
    fn default() -> Self {
        GeometryTolerance {
            coordinate: 1e-6,
            direction: 1e-6,
        }
    }
}

/// The identity direction matrix.
pub const IDENTITY: [[f64; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

const AXES: [&str; 3] = ["x", "y", "z"];

impl Geometry {
    /// A grid, checked for usability (see [`Geometry::validate`]).
    pub fn new(
        size: [usize; 3],
        spacing: [f64; 3],
        origin: [f64; 3],
        direction: [[f64; 3]; 3],
    ) -> Result<Self, String> {
        let g = Geometry {
            size,
            spacing,
            origin,
            direction,
        };
        g.validate()?;
        Ok(g)
    }

    /// Checks that every dimension is non-zero, every spacing finite and positive, the origin
    /// finite and the direction matrix orthonormal. The message says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.size.contains(&0) {
            return Err(format!(
                "size {} x {} x {} has a zero dimension",
                self.size[0], self.size[1], self.size[2]
            ));
        }
        if self
            .size
            .iter()
            .try_fold(1usize, |acc, &n| acc.checked_mul(n))
            .is_none()
        {
            return Err("size overflows the address space".into());
        }
        for (axis, s) in self.spacing.iter().enumerate() {
            if !(s.is_finite() && *s > 0.0) {
                return Err(format!(
                    "spacing along {} is {s}: it must be finite and positive",
                    AXES[axis]
                ));
            }
        }
        if self.origin.iter().any(|v| !v.is_finite()) {
            return Err(format!("origin {:?} is not finite", self.origin));
        }
        if let Some(problem) = orthonormality_problem(&self.direction) {
            return Err(format!(
                "direction matrix {:?} is not orthonormal ({problem}); only rotations and \
                 reflections are supported, not shear or scaling",
                self.direction
            ));
        }
        Ok(())
    }

    /// Number of voxels.
    pub fn voxel_count(&self) -> usize {
        self.size.iter().product()
    }

    /// The ndarray shape of the voxels: (z, y, x), x fastest.
    pub fn shape_zyx(&self) -> (usize, usize, usize) {
        (self.size[2], self.size[1], self.size[0])
    }

    /// The physical point of a continuous index (i, j, k).
    pub fn index_to_point(&self, index: [f64; 3]) -> [f64; 3] {
        let mut p = self.origin;
        for (r, pr) in p.iter_mut().enumerate() {
            for c in 0..3 {
                *pr += self.direction[r][c] * self.spacing[c] * index[c];
            }
        }
        p
    }

    /// The continuous index (i, j, k) of a physical point (the inverse of `index_to_point`;
    /// the direction matrix is orthonormal, so its inverse is its transpose).
    pub fn point_to_index(&self, point: [f64; 3]) -> [f64; 3] {
        let d = [
            point[0] - self.origin[0],
            point[1] - self.origin[1],
            point[2] - self.origin[2],
        ];
        let mut idx = [0.0; 3];
        for (c, ic) in idx.iter_mut().enumerate() {
            let along: f64 = (0..3).map(|r| self.direction[r][c] * d[r]).sum();
            *ic = along / self.spacing[c];
        }
        idx
    }

    /// The grid of the box starting at voxel `start` with `size` voxels: same spacing and
    /// direction, origin moved to the box's first voxel.
    pub fn sub_grid(&self, start: [usize; 3], size: [usize; 3]) -> Geometry {
        Geometry {
            size,
            spacing: self.spacing,
            origin: self.index_to_point([start[0] as f64, start[1] as f64, start[2] as f64]),
            direction: self.direction,
        }
    }

    /// Compares two grids under `tol` (ITK's rules). The error names the first disagreement.
    pub fn check_same(&self, other: &Geometry, tol: GeometryTolerance) -> Result<(), String> {
        if self.size != other.size {
            return Err(format!("size differs: {:?} vs {:?}", self.size, other.size));
        }
        let coord_tol = (tol.coordinate * self.spacing[0]).abs();
        for a in 0..3 {
            if (self.spacing[a] - other.spacing[a]).abs() > coord_tol {
                return Err(format!(
                    "spacing differs along {}: {} vs {} mm (tolerance {coord_tol:e} mm)",
                    AXES[a], self.spacing[a], other.spacing[a]
                ));
            }
        }
        for a in 0..3 {
            if (self.origin[a] - other.origin[a]).abs() > coord_tol {
                return Err(format!(
                    "origin differs along {}: {} vs {} mm (tolerance {coord_tol:e} mm)",
                    AXES[a], self.origin[a], other.origin[a]
                ));
            }
        }
        for r in 0..3 {
            for c in 0..3 {
                if (self.direction[r][c] - other.direction[r][c]).abs() > tol.direction {
                    return Err(format!(
                        "direction differs: {:?} vs {:?} (tolerance {:e})",
                        self.direction, other.direction, tol.direction
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Why `m` is not orthonormal, or `None` when it is (within `ORTHONORMAL_TOLERANCE`).
fn orthonormality_problem(m: &[[f64; 3]; 3]) -> Option<String> {
    if m.iter().flatten().any(|v| !v.is_finite()) {
        return Some("it holds a non-finite value".into());
    }
    for a in 0..3 {
        for b in a..3 {
            let dot: f64 = (0..3).map(|r| m[r][a] * m[r][b]).sum();
            let expected = if a == b { 1.0 } else { 0.0 };
            if (dot - expected).abs() > ORTHONORMAL_TOLERANCE {
                return Some(if a == b {
                    format!("column {a} has length {:.6}", dot.sqrt())
                } else {
                    format!("columns {a} and {b} have dot product {dot:.6}")
                });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oblique() -> Geometry {
        // 30 degree rotation about z, flipped y, anisotropic spacing.
        let (s, c) = 30f64.to_radians().sin_cos();
        Geometry::new(
            [10, 20, 5],
            [0.7, 0.8, 2.5],
            [-12.0, 30.5, 7.25],
            [[c, s, 0.0], [s, -c, 0.0], [0.0, 0.0, 1.0]],
        )
        .unwrap()
    }

    #[test]
    fn index_point_round_trip_on_an_oblique_grid() {
        let g = oblique();
        let idx = [3.5, -1.0, 4.25];
        let back = g.point_to_index(g.index_to_point(idx));
        for a in 0..3 {
            assert!((back[a] - idx[a]).abs() < 1e-12, "{back:?}");
        }
    }

    #[test]
    fn index_to_point_follows_the_itk_definition() {
        // ITK: p = origin + D * diag(spacing) * index. Index (1,0,0) moves one x-spacing
        // along D's first column.
        let g = oblique();
        let p = g.index_to_point([1.0, 0.0, 0.0]);
        let (s, c) = 30f64.to_radians().sin_cos();
        assert!((p[0] - (-12.0 + 0.7 * c)).abs() < 1e-12);
        assert!((p[1] - (30.5 + 0.7 * s)).abs() < 1e-12);
        assert!((p[2] - 7.25).abs() < 1e-12);
    }

    #[test]
    fn invalid_grids_are_refused_with_the_reason() {
        let g = oblique();
        let mut bad = g.clone();
        bad.size[1] = 0;
        assert!(bad.validate().unwrap_err().contains("zero dimension"));
        for s in [0.0, -1.0, f64::NAN] {
            let mut bad = g.clone();
            bad.spacing[2] = s;
            assert!(bad.validate().unwrap_err().contains("spacing along z"));
        }
        let mut bad = g.clone();
        bad.direction[0][1] = 0.3;
        assert!(bad.validate().unwrap_err().contains("not orthonormal"));
    }

    #[test]
    fn tolerance_is_relative_to_the_first_spacing() {
        let g = oblique();
        let mut near = g.clone();
        near.origin[0] += 0.5e-6 * 0.7;
        assert!(g.check_same(&near, GeometryTolerance::default()).is_ok());
        near.origin[0] += 1e-6 * 0.7;
        let msg = g
            .check_same(&near, GeometryTolerance::default())
            .unwrap_err();
        assert!(msg.contains("origin differs along x"), "{msg}");
    }
}
