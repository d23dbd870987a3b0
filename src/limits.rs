//! Limits on the work an input may ask for, stated once and used by every parser that sizes
//! an allocation from a number the user gives (parameter files, IBSI settings, perturbation
//! chains): past them the tool refuses with an error naming the setting, rather than asking
//! the allocator for terabytes.

/// The most voxels a grid made from a user's spacing may hold (the interpolated
/// neighbourhood of the IBSI path, PyRadiomics' resampled grid, a perturbation's new grid):
/// 5e8 voxels are 4 GB of f64 intensities, ten times a whole-body CT; a spacing typed in the
/// wrong unit (0.001 for 1 mm) asks for far more.
pub const MAX_VOXELS: f64 = 5e8;

/// The most grey levels a discretisation may make: no texture matrix needs more, and a bin
/// width tiny against the ROI's range would otherwise ask for more memory than there is.
pub const MAX_BINS: f64 = 100_000.0;

/// The voxels of a grid of `extent` mm per axis at `spacing` mm (at least one per axis).
pub fn grid_voxels(extent: [f64; 3], spacing: [f64; 3]) -> f64 {
    (0..3)
        .map(|a| (extent[a] / spacing[a]).ceil().max(1.0))
        .product()
}

/// `count` grid points (of `unit`) against [`MAX_VOXELS`]: None within it, else what to say
/// (`2.352e13 voxels (at most 5e8)`). NaN is over.
pub fn over_budget(count: f64, unit: &str) -> Option<String> {
    (count.is_nan() || count > MAX_VOXELS)
        .then(|| format!("{count:.3e} {unit} (at most {MAX_VOXELS:e})"))
}
