//! PyRadiomics' `gradient` image: SimpleITK's GradientMagnitudeImageFilter, the magnitude of
//! the central-difference gradient with the border voxel repeated outside the image (ITK's
//! zero-flux Neumann condition), per mm or per voxel, stored as float32 as SimpleITK does.

use ndarray::Array3;

/// The gradient magnitude of `image` (z, y, x) with `spacing` (x, y, z), on the box
/// `lo..=hi` (x, y, z, inclusive).
pub fn magnitude(
    image: &Array3<f64>,
    spacing: [f64; 3],
    use_spacing: bool,
    lo: [usize; 3],
    hi: [usize; 3],
) -> Array3<f64> {
    let (nz, ny, nx) = image.dim();
    let size = [nz, ny, nx];
    // Array axis a (z, y, x) has spacing (x, y, z)[2 - a].
    let step = |a: usize| if use_spacing { spacing[2 - a] } else { 1.0 };
    let mut out = Array3::<f64>::zeros((hi[2] - lo[2] + 1, hi[1] - lo[1] + 1, hi[0] - lo[0] + 1));
    for ((bz, by, bx), o) in out.indexed_iter_mut() {
        let index = [bz + lo[2], by + lo[1], bx + lo[0]];
        let mut sum = 0.0;
        for a in 0..3 {
            let (mut before, mut after) = (index, index);
            before[a] = index[a].saturating_sub(1);
            after[a] = (index[a] + 1).min(size[a] - 1);
            let d = (0.5 * image[after] - 0.5 * image[before]) / step(a);
            sum += d * d;
        }
        *o = sum.sqrt() as f32 as f64;
    }
    out
}
