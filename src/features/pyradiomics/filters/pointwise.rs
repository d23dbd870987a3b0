//! PyRadiomics' voxel-wise filters (`getSquareImage`, `getSquareRootImage`,
//! `getLogarithmImage`, `getExponentialImage`). Each is scaled by the largest absolute value
//! of the whole loaded image, not of the ROI, so that the filtered range stays comparable to
//! the original's; each takes the whole image (for that maximum) and the region to filter.

use ndarray::Array3;

/// The largest absolute value of the image.
fn max_abs(image: &Array3<f64>) -> f64 {
    image.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

/// `square`: (x / sqrt(M))^2 with M the largest |x|.
pub fn square(image: &Array3<f64>, region: Array3<f64>) -> Array3<f64> {
    let coefficient = 1.0 / max_abs(image).sqrt();
    region.mapv(|v| (coefficient * v).powi(2))
}

/// `squareroot`: sqrt(x M) for x > 0, -sqrt(-x M) for x < 0.
pub fn square_root(image: &Array3<f64>, region: Array3<f64>) -> Array3<f64> {
    let coefficient = max_abs(image);
    region.mapv(|v| {
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
pub fn logarithm(image: &Array3<f64>, region: Array3<f64>) -> Array3<f64> {
    let log = |v: f64| {
        if v > 0.0 {
            (v + 1.0).ln()
        } else if v < 0.0 {
            -(-(v - 1.0)).ln()
        } else {
            v
        }
    };
    let original_max = max_abs(image);
    // The largest |log| is log(1 + M), at the largest |x| = M (the map grows with |x| on
    // either side, and both sides compute it as the same float).
    let logged_max = log(original_max);
    let scale = original_max / logged_max;
    region.mapv(|v| log(v) * scale)
}

/// `exponential`: exp(x log(M) / M).
pub fn exponential(image: &Array3<f64>, region: Array3<f64>) -> Array3<f64> {
    let m = max_abs(image);
    let coefficient = m.ln() / m;
    region.mapv(|v| (coefficient * v).exp())
}
