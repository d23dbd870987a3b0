//! Supervoxel contour randomisation (Zwanenburg et al., Sci Rep 2019;9:614): the image
//! around the ROI is cut into SLIC supervoxels (Achanta et al., IEEE TPAMI 2012: k-means on
//! intensity and position, each centre searching a window 2S wide around it, S the grid step), and each
//! supervoxel is kept by its overlap with the ROI (the share of its voxels inside the ROI):
//! always at >= 0.90, never below 0.20, otherwise with probability equal to the overlap.
//! The kept supervoxels form the new ROI, closed by one voxel to fill seams.
//!
//! Intensities enter the distance divided by their SD over the region, so the compactness
//! weight means the same for any modality: D^2 = (dI / sd)^2 + (m * ds / S)^2.

use ndarray::Array3;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::Case;
use super::distance::squared_distance_to;

/// Overlap at or above which a supervoxel is always kept.
pub const ALWAYS_KEEP: f64 = 0.90;
/// Overlap below which a supervoxel is always dropped.
pub const ALWAYS_DROP: f64 = 0.20;
/// SLIC iterations.
const ITERATIONS: usize = 10;

/// Settings of one randomisation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// About how many supervoxels the ROI is cut into.
    pub count: usize,
    /// Spatial weight m of the SLIC distance.
    pub compactness: f64,
}

/// What a randomisation did: the supervoxel of every voxel of the grid (u32::MAX outside the
/// region considered), each supervoxel's overlap with the ROI, and which were kept.
#[derive(Debug, Clone)]
pub struct Randomised {
    /// The supervoxel of every voxel (u32::MAX outside the region considered).
    pub labels: Array3<u32>,
    /// Each supervoxel's overlap with the ROI (fraction of its voxels).
    pub overlaps: Vec<f64>,
    /// Which supervoxels were kept.
    pub kept: Vec<bool>,
}

/// A SLIC cluster centre: position in voxels (x, y, z) and normalised intensity.
#[derive(Clone, Copy)]
struct Centre {
    at: [f64; 3],
    value: f64,
}

/// SLIC supervoxels of `image` within the box `lo..hi` (voxel indices, x y z), grid step
/// `step` voxels per axis. Returns labels over the whole grid (u32::MAX outside the box) and
/// the number of supervoxels.
pub fn slic(
    image: &Array3<f32>,
    lo: [usize; 3],
    hi: [usize; 3],
    step: [usize; 3],
    spacing: [f64; 3],
    compactness: f64,
) -> (Array3<u32>, usize) {
    let at = |i: usize, j: usize, k: usize| f64::from(image[(k, j, i)]);
    // Intensity scale: the SD over the region (1 if flat).
    let mut stats = (0.0, 0.0, 0usize);
    for k in lo[2]..hi[2] {
        for j in lo[1]..hi[1] {
            for i in lo[0]..hi[0] {
                let v = at(i, j, k);
                stats = (stats.0 + v, stats.1 + v * v, stats.2 + 1);
            }
        }
    }
    let n = stats.2 as f64;
    let var = (stats.1 / n - (stats.0 / n).powi(2)).max(0.0);
    let scale = if var > 0.0 { var.sqrt() } else { 1.0 };
    // Grid step in mm (the geometric mean of the axes' steps) for the spatial term.
    let step_mm = (0..3)
        .map(|a| step[a] as f64 * spacing[a])
        .product::<f64>()
        .cbrt();
    let mut centres = Vec::new();
    let mut c = [0usize; 3];
    c[2] = lo[2] + step[2] / 2;
    while c[2] < hi[2] {
        c[1] = lo[1] + step[1] / 2;
        while c[1] < hi[1] {
            c[0] = lo[0] + step[0] / 2;
            while c[0] < hi[0] {
                centres.push(Centre {
                    at: c.map(|v| v as f64),
                    value: at(c[0], c[1], c[2]) / scale,
                });
                c[0] += step[0];
            }
            c[1] += step[1];
        }
        c[2] += step[2];
    }
    let mut labels = Array3::from_elem(image.dim(), u32::MAX);
    let mut best = Array3::from_elem(image.dim(), f64::INFINITY);
    let weight = compactness / step_mm;
    for _ in 0..ITERATIONS {
        best.fill(f64::INFINITY);
        for (label, centre) in centres.iter().enumerate() {
            let window = |a: usize| {
                let from = (centre.at[a] - step[a] as f64).floor().max(lo[a] as f64) as usize;
                let to = ((centre.at[a] + step[a] as f64).ceil() as usize + 1).min(hi[a]);
                from..to
            };
            for k in window(2) {
                for j in window(1) {
                    for i in window(0) {
                        let dv = at(i, j, k) / scale - centre.value;
                        let dx = (i as f64 - centre.at[0]) * spacing[0];
                        let dy = (j as f64 - centre.at[1]) * spacing[1];
                        let dz = (k as f64 - centre.at[2]) * spacing[2];
                        let d = dv * dv + weight * weight * (dx * dx + dy * dy + dz * dz);
                        if d < best[(k, j, i)] {
                            best[(k, j, i)] = d;
                            labels[(k, j, i)] = label as u32;
                        }
                    }
                }
            }
        }
        // New centres: the mean position and value of their voxels; empty ones stay.
        let mut sums = vec![[0.0f64; 5]; centres.len()];
        for k in lo[2]..hi[2] {
            for j in lo[1]..hi[1] {
                for i in lo[0]..hi[0] {
                    let l = labels[(k, j, i)];
                    if l != u32::MAX {
                        let s = &mut sums[l as usize];
                        s[0] += i as f64;
                        s[1] += j as f64;
                        s[2] += k as f64;
                        s[3] += at(i, j, k) / scale;
                        s[4] += 1.0;
                    }
                }
            }
        }
        for (centre, s) in centres.iter_mut().zip(&sums) {
            if s[4] > 0.0 {
                centre.at = [s[0] / s[4], s[1] / s[4], s[2] / s[4]];
                centre.value = s[3] / s[4];
            }
        }
    }
    // A voxel no window reached joins the spatially nearest centre.
    for k in lo[2]..hi[2] {
        for j in lo[1]..hi[1] {
            for i in lo[0]..hi[0] {
                if labels[(k, j, i)] == u32::MAX {
                    let p = [i as f64, j as f64, k as f64];
                    let nearest = centres
                        .iter()
                        .enumerate()
                        .map(|(l, c)| {
                            let d: f64 = (0..3)
                                .map(|a| ((p[a] - c.at[a]) * spacing[a]).powi(2))
                                .sum();
                            (d, l)
                        })
                        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
                        .map_or(0, |x| x.1);
                    labels[(k, j, i)] = nearest as u32;
                }
            }
        }
    }
    (labels, centres.len())
}

/// Applies the keep rules to `labels` with overlaps measured against `roi`, drawing one
/// uniform number from `rng` per supervoxel between the two limits, in label order.
pub fn randomise_by_overlap(
    labels: &Array3<u32>,
    count: usize,
    roi: &Array3<bool>,
    rng: &mut ChaCha8Rng,
) -> (Vec<f64>, Vec<bool>) {
    let mut inside = vec![0usize; count];
    let mut total = vec![0usize; count];
    for (&l, &r) in labels.iter().zip(roi) {
        if l != u32::MAX {
            total[l as usize] += 1;
            inside[l as usize] += usize::from(r);
        }
    }
    let overlaps: Vec<f64> = inside
        .iter()
        .zip(&total)
        .map(|(&a, &t)| if t == 0 { 0.0 } else { a as f64 / t as f64 })
        .collect();
    let kept = overlaps
        .iter()
        .map(|&o| {
            if o >= ALWAYS_KEEP {
                true
            } else if o < ALWAYS_DROP {
                false
            } else {
                rng.random::<f64>() < o
            }
        })
        .collect();
    (overlaps, kept)
}

/// Closes a binary mask by a ball of `radius` mm (dilation, then erosion).
pub fn close(mask: &Array3<bool>, spacing: [f64; 3], radius: f64) -> Array3<bool> {
    let r2 = radius * radius + 1e-9;
    let dilated = squared_distance_to(mask, spacing).mapv(|d| d <= r2);
    let outside = dilated.mapv(|v| !v);
    squared_distance_to(&outside, spacing).mapv(|d| d > r2)
}

/// Randomises the ROI's contour; returns what was done.
pub fn randomise(
    case: &mut Case,
    settings: &Settings,
    rng: &mut ChaCha8Rng,
) -> Result<Randomised, String> {
    let g = &case.image.geometry;
    let spacing = g.spacing;
    let volume = case.roi.iter().filter(|&&v| v).count();
    if volume == 0 {
        return Err("the ROI is empty".into());
    }
    let voxel_mm3: f64 = spacing.iter().product();
    let step_mm = (volume as f64 * voxel_mm3 / settings.count as f64).cbrt();
    let step = spacing.map(|s| ((step_mm / s).round() as usize).max(1));
    // The ROI's bounding box plus one grid step each way.
    let mut lo = [usize::MAX; 3];
    let mut hi = [0usize; 3];
    for ((k, j, i), &v) in case.roi.indexed_iter() {
        if v {
            for (a, x) in [i, j, k].into_iter().enumerate() {
                lo[a] = lo[a].min(x);
                hi[a] = hi[a].max(x + 1);
            }
        }
    }
    for a in 0..3 {
        lo[a] = lo[a].saturating_sub(step[a]);
        hi[a] = (hi[a] + step[a]).min(g.size[a]);
    }
    let (labels, count) = slic(
        &case.image.voxels,
        lo,
        hi,
        step,
        spacing,
        settings.compactness,
    );
    let (overlaps, kept) = randomise_by_overlap(&labels, count, &case.roi, rng);
    let union = labels.mapv(|l| l != u32::MAX && kept[l as usize]);
    let min_spacing = spacing.iter().copied().fold(f64::INFINITY, f64::min);
    let closed = close(&union, spacing, min_spacing);
    if !closed.iter().any(|&v| v) {
        return Err("no supervoxel was kept, the ROI would be empty".into());
    }
    case.roi = closed;
    Ok(Randomised {
        labels,
        overlaps,
        kept,
    })
}
