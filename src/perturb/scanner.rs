//! Scanner perturbations: noise texture and spatial resolution.
//!
//! Noise: zero-mean Gaussian noise whose in-plane noise power spectrum (NPS) has the shape
//! `f * exp(-f^2 / (2 fp^2))`, a ramp (filtered back-projection) times a Gaussian apodisation
//! window, whose radial profile peaks at `f = fp`. White noise is shaped slice by slice in
//! the Fourier domain and scaled so that its variance is exactly `sd^2` in expectation; the
//! NPS is zero at f = 0, so every slice's noise sums to zero and the mean is untouched.
//! Dose: quantum noise SD scales as 1/sqrt(mAs), so `mas` and `ref_mas` rescale `sd`.
//!
//! Resolution: a Gaussian point-spread function in-plane (FWHM in mm, or the MTF50 it has:
//! MTF(f) = exp(-2 pi^2 sigma^2 f^2) = 0.5 at f50 = sqrt(ln 2 / 2) / (pi sigma)) and a Gaussian
//! slice sensitivity profile along z (FWHM in mm). The blur adds to whatever resolution the
//! input already has (Gaussian widths add in quadrature).
//!
//! Named profiles give typical values of body kernels: noise-texture peaks from about
//! 0.2 mm^-1 (smooth) to 0.45 mm^-1 (sharp), the range Solomon, Christianson and Samei
//! (Med Phys 2012, noise texture across CT manufacturers) report, and MTF50 from 4 to 6.5
//! lp/cm. They are assumptions to perturb with, not the calibration of any scanner.

use ndarray::{Array3, Axis};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::spectral;
use crate::volume::Volume;

/// FWHM = 2 sqrt(2 ln 2) sigma.
pub const FWHM_PER_SIGMA: f64 = 2.354_820_045_030_949;

/// Correlated Gaussian noise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Noise {
    /// Noise SD in HU at the reference dose.
    pub sd: f64,
    /// Peak frequency of the radial NPS, in mm^-1.
    pub peak: f64,
    /// Dose of this acquisition and of the reference, in mAs: SD scales by sqrt(ref/mas).
    pub dose: Option<(f64, f64)>,
}

impl Noise {
    /// The SD after dose scaling.
    pub fn effective_sd(&self) -> f64 {
        match self.dose {
            Some((mas, reference)) => self.sd * (reference / mas).sqrt(),
            None => self.sd,
        }
    }
}

/// A Gaussian point-spread function.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Blur {
    /// In-plane FWHM in mm (0: none).
    pub fwhm_xy: f64,
    /// Slice sensitivity profile FWHM along z in mm (0: none).
    pub fwhm_z: f64,
}

/// The in-plane FWHM (mm) of a Gaussian PSF whose MTF falls to 0.5 at `lp_per_cm`.
pub fn fwhm_from_mtf50(lp_per_cm: f64) -> f64 {
    let f50 = lp_per_cm / 10.0; // cycles per mm
    let sigma = (std::f64::consts::LN_2 / 2.0).sqrt() / (std::f64::consts::PI * f50);
    sigma * FWHM_PER_SIGMA
}

/// A named scanner profile: the noise and blur one acquisition adds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    pub name: &'static str,
    pub noise: Noise,
    pub blur: Blur,
}

/// The built-in profiles (see the module notes for where the numbers come from).
pub const PROFILES: [Profile; 3] = [
    Profile {
        name: "smooth",
        noise: Noise {
            sd: 8.0,
            peak: 0.20,
            dose: None,
        },
        blur: Blur {
            fwhm_xy: 1.1,
            fwhm_z: 1.0,
        },
    },
    Profile {
        name: "standard",
        noise: Noise {
            sd: 12.0,
            peak: 0.30,
            dose: None,
        },
        blur: Blur {
            fwhm_xy: 0.9,
            fwhm_z: 1.0,
        },
    },
    Profile {
        name: "sharp",
        noise: Noise {
            sd: 25.0,
            peak: 0.45,
            dose: None,
        },
        blur: Blur {
            fwhm_xy: 0.7,
            fwhm_z: 1.0,
        },
    },
];

/// The profile called `name`, if there is one.
pub fn profile(name: &str) -> Option<Profile> {
    PROFILES.iter().copied().find(|p| p.name == name)
}

/// The radial NPS shape (unnormalised) at frequency `f` for a peak at `peak`.
pub fn nps_shape(f: f64, peak: f64) -> f64 {
    f * (-f * f / (2.0 * peak * peak)).exp()
}

/// Adds noise to every voxel of `image`, drawing the white noise slice by slice, row by row
/// from `rng` (so the draw order is fixed), then shaping each slice.
pub fn add_noise(image: &mut Volume, noise: &Noise, rng: &mut ChaCha8Rng) {
    let sd = noise.effective_sd();
    if sd == 0.0 {
        return;
    }
    let (nz, ny, nx) = image.voxels.dim();
    let spacing = [image.geometry.spacing[0], image.geometry.spacing[1]];
    let mut field = Array3::from_shape_simple_fn((nz, ny, nx), || {
        let v: f64 = StandardNormal.sample(&mut *rng);
        v
    });
    // Normalise so that the shaped noise has unit variance: with unit white noise, the
    // filtered variance is the mean of |H|^2 over the discrete frequencies.
    let mut power = 0.0;
    for j in 0..ny {
        let fy = spectral::frequency(j, ny, spacing[1]);
        for i in 0..nx {
            let fx = spectral::frequency(i, nx, spacing[0]);
            power += nps_shape(fx.hypot(fy), noise.peak);
        }
    }
    let mean_power = power / (nx * ny) as f64;
    if mean_power <= 0.0 {
        return; // a 1x1 slice: no non-zero frequency to carry noise
    }
    let peak = noise.peak;
    let gain = sd / mean_power.sqrt();
    spectral::filter_axial_slices(&mut field, spacing, &|fx, fy| {
        gain * nps_shape(fx.hypot(fy), peak).sqrt()
    });
    for (v, n) in image.voxels.iter_mut().zip(&field) {
        *v = (f64::from(*v) + n) as f32;
    }
}

/// A normalised Gaussian kernel of `sigma` voxels sampled at integer offsets -r..=r.
pub(crate) fn gaussian_kernel(sigma: f64) -> Vec<f64> {
    let radius = (4.0 * sigma).ceil().max(1.0) as i64;
    let mut k: Vec<f64> = (-radius..=radius)
        .map(|d| (-(d * d) as f64 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f64 = k.iter().sum();
    k.iter_mut().for_each(|v| *v /= sum);
    k
}

/// Convolves `data` along `axis` (0 = z, 1 = y, 2 = x) with a centred odd-length `kernel`,
/// replicating edge voxels, so a uniform region stays exactly uniform.
pub fn convolve_axis(data: &mut Array3<f64>, axis: usize, kernel: &[f64]) {
    let r = (kernel.len() / 2) as i64;
    let n = data.shape()[axis] as i64;
    let mut line = vec![0.0; n as usize];
    for mut lane in data.lanes_mut(Axis(axis)) {
        for (dst, v) in line.iter_mut().zip(lane.iter()) {
            *dst = *v;
        }
        for (t, out) in lane.iter_mut().enumerate() {
            let mut sum = 0.0;
            for (o, w) in kernel.iter().enumerate() {
                let s = (t as i64 + o as i64 - r).clamp(0, n - 1);
                sum += w * line[s as usize];
            }
            *out = sum;
        }
    }
}

/// Blurs `image` by the Gaussian PSF and slice profile. Widths below 0.05 voxel are skipped
/// (their sampled kernel is a delta).
pub fn blur(image: &mut Volume, blur: &Blur) {
    let g = &image.geometry;
    let sigmas = [
        (2, blur.fwhm_xy / FWHM_PER_SIGMA / g.spacing[0]),
        (1, blur.fwhm_xy / FWHM_PER_SIGMA / g.spacing[1]),
        (0, blur.fwhm_z / FWHM_PER_SIGMA / g.spacing[2]),
    ];
    if sigmas.iter().all(|&(_, s)| s < 0.05) {
        return;
    }
    let mut data = image.voxels.mapv(f64::from);
    for (axis, sigma) in sigmas {
        if sigma >= 0.05 && data.shape()[axis] > 1 {
            convolve_axis(&mut data, axis, &gaussian_kernel(sigma));
        }
    }
    image.voxels = data.mapv(|v| v as f32);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mtf50_and_fwhm_convert_consistently() {
        // A Gaussian PSF of FWHM 1 mm has MTF50 = 2 sqrt(2 ln2) sqrt(ln2 / 2) / pi cycles/mm.
        let fwhm = fwhm_from_mtf50(10.0 * 2.0 * std::f64::consts::LN_2 / std::f64::consts::PI);
        assert!((fwhm - 1.0).abs() < 1e-12);
        assert!((nps_shape(0.3, 0.3) - 0.3 * (-0.5f64).exp()).abs() < 1e-15);
    }
}
