//! PyRadiomics' voxel-wise filters (`getSquareImage`, `getSquareRootImage`,
//! `getLogarithmImage`, `getExponentialImage`). Each is scaled by the largest absolute value
//! of the whole loaded image, not of the ROI, so that the filtered range stays comparable to
//! the original's.

use ndarray::Array3;

/// The largest absolute value of the image.
fn max_abs(image: &Array3<f64>) -> f64 {
    image.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

/// `square`: (x / sqrt(M))^2 with M the largest |x|.
pub fn square(image: &Array3<f64>) -> Array3<f64> {
    let coefficient = 1.0 / max_abs(image).sqrt();
    image.mapv(|v| (coefficient * v).powi(2))
}

/// `squareroot`: sqrt(x M) for x > 0, -sqrt(-x M) for x < 0.
pub fn square_root(image: &Array3<f64>) -> Array3<f64> {
    let coefficient = max_abs(image);
    image.mapv(|v| {
        if v > 0.0 {
            (v * coefficient).sqrt()
        } else if v < 0.0 {
            -(-v * coefficient).sqrt()
        } else {
            v
        }
    })
}

/// `logarithm`: log(x + 1) for x > 0, -log(1 - x) for x < 0, then scaled so that its largest
/// absolute value is the original's.
pub fn logarithm(image: &Array3<f64>) -> Array3<f64> {
    let original_max = max_abs(image);
    let logged = image.mapv(|v| {
        if v > 0.0 {
            (v + 1.0).ln()
        } else if v < 0.0 {
            -(-(v - 1.0)).ln()
        } else {
            v
        }
    });
    let scale = original_max / max_abs(&logged);
    logged.mapv(|v| v * scale)
}

/// `exponential`: exp(x log(M) / M).
pub fn exponential(image: &Array3<f64>) -> Array3<f64> {
    let m = max_abs(image);
    let coefficient = m.ln() / m;
    image.mapv(|v| (coefficient * v).exp())
}
