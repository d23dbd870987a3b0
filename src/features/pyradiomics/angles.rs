//! Neighbour offsets ("angles") for texture matrices, in PyRadiomics' order and with its rules
//! (`cmatrices.c: get_angle_count/build_angles`): every offset whose Chebyshev norm is one of
//! the requested distances, no longer than the ROI is wide along any axis, without movement
//! along the out-of-plane axis in 2-D mode. Offsets are (z, y, x); generation runs from
//! (+d, +d, +d) downwards, so the first half are the "forward" directions used when a matrix
//! counts each direction once (GLCM, GLRLM).

/// A neighbour offset (dz, dy, dx).
pub type Offset = [i32; 3];

/// The offsets for an ROI whose bounding box is `size` voxels (z, y, x).
/// `bidirectional` keeps both directions of each angle; `plane_axis` (0 = z, 1 = y, 2 = x)
/// excludes movement along that axis (PyRadiomics `force2D` / `force2Ddimension`).
pub fn offsets(
    size: [usize; 3],
    distances: &[usize],
    bidirectional: bool,
    plane_axis: Option<usize>,
) -> Vec<Offset> {
    let max_d = distances.iter().copied().max().unwrap_or(0) as i32;
    if max_d < 1 {
        return Vec::new();
    }
    let n = 2 * max_d + 1;
    let mut all = Vec::new();
    for idx in 0..n * n * n {
        let o: Offset = [idx / (n * n), (idx / n) % n, idx % n].map(|k| max_d - k);
        let fits = (0..3).all(|d| {
            let within = o[d].unsigned_abs() < size[d] as u32;
            within && !(plane_axis == Some(d) && o[d] != 0)
        });
        let dist = o.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0) as usize;
        if fits && dist >= 1 && distances.contains(&dist) {
            all.push(o);
        }
    }
    if !bidirectional {
        all.truncate(all.len() / 2);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirteen_forward_angles_in_3d_and_four_in_plane() {
        let a = offsets([10, 10, 10], &[1], false, None);
        assert_eq!(a.len(), 13);
        assert_eq!(a[0], [1, 1, 1]);
        assert_eq!(a[12], [0, 0, 1]);
        assert_eq!(offsets([10, 10, 10], &[1], true, None).len(), 26);
        // A single-slice ROI only moves in-plane; so does force2D on axis 0.
        assert_eq!(offsets([1, 10, 10], &[1], false, None).len(), 4);
        assert_eq!(offsets([10, 10, 10], &[1], false, Some(0)).len(), 4);
        // Distance 2 in 3-D: 5^3 - 3^3 = 98 offsets, 49 forward.
        assert_eq!(offsets([10, 10, 10], &[2], false, None).len(), 49);
    }
}
