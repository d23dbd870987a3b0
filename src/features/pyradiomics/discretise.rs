//! Grey-level discretisation as PyRadiomics does it (`imageoperations.getBinEdges` and
//! `binImage`): fixed bin width with edges starting at a multiple of the width below the ROI
//! minimum (IBSI starts them at the minimum itself), or a fixed bin count over the ROI range
//! with the last edge widened by 1; levels are `numpy.digitize` indices, 1-based.
//!
//! Edges are generated with numpy's own float arithmetic (`arange`, `linspace`) so that a
//! value lying exactly on an edge falls in the same bin as in PyRadiomics.

use ndarray::{Array3, Zip};

/// How intensities are binned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Binning {
    /// Bins of this width (PyRadiomics `binWidth`).
    Width(f64),
    /// This many bins over the ROI range (PyRadiomics `binCount`).
    Count(usize),
}

/// The ROI's smallest and largest values (NaN left out), and how many are NaN or infinite:
/// found once per image for the checks and the bin edges.
#[derive(Debug, Clone, Copy)]
pub struct RoiRange {
    pub min: f64,
    pub max: f64,
    pub not_finite: usize,
}

impl RoiRange {
    pub fn of(image: &Array3<f64>, mask: &Array3<bool>) -> RoiRange {
        let (mut min, mut max, mut not_finite) = (f64::INFINITY, f64::NEG_INFINITY, 0);
        Zip::from(image).and(mask).for_each(|&v, &m| {
            if m {
                min = min.min(v);
                max = max.max(v);
                not_finite += usize::from(!v.is_finite());
            }
        });
        RoiRange {
            min,
            max,
            not_finite,
        }
    }
}

/// Why a bin width gives too many bins over the ROI's values (None when it does not).
pub fn too_many_bins(range: RoiRange, binning: Binning) -> Option<String> {
    let Binning::Width(width) = binning else {
        return None;
    };
    let RoiRange { min, max, .. } = range;
    let shown = if (1e-3..1e6).contains(&width) {
        format!("{width}")
    } else {
        format!("{width:e}")
    };
    // bin_edges spans [min - (min mod w), max + 2w).
    if !(max + 2.0 * width).is_finite() || !(min - width).is_finite() {
        return Some(format!(
            "binWidth {shown} is too wide: the bin edges past the ROI's values overflow"
        ));
    }
    let bins = ((max - min) / width).ceil() + 3.0;
    (bins.is_nan() || bins > crate::limits::MAX_BINS).then(|| {
        format!(
            "binWidth {shown} makes {bins:.3e} bins over the ROI's values {min} to {max}; at most {} (raise binWidth or use binCount)",
            crate::limits::MAX_BINS
        )
    })
}

/// A discretised ROI: levels 1.. inside the mask, 0 outside.
#[derive(Debug, Clone)]
pub struct Discretised {
    /// Grey level per voxel, shape (z, y, x); 0 outside the mask.
    pub levels: Array3<u32>,
    /// The levels present in the ROI, ascending.
    pub gray_levels: Vec<u32>,
    /// The highest level present (PyRadiomics' `Ng`).
    pub ng: u32,
}

/// Python's float modulo: the result has the sign of the divisor.
fn py_mod(a: f64, b: f64) -> f64 {
    let m = a % b;
    if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
        m + b
    } else {
        m
    }
}

/// `numpy.arange(start, stop, step)` for floats: length ceil((stop - start) / step), values
/// `start + i * delta` with delta = (start + step) - start, as numpy fills them.
fn numpy_arange(start: f64, stop: f64, step: f64) -> Vec<f64> {
    let len = ((stop - start) / step).ceil();
    if len.is_nan() || len <= 0.0 {
        return Vec::new();
    }
    let len = len as usize;
    let mut out = Vec::with_capacity(len);
    out.push(start);
    if len > 1 {
        let second = start + step;
        out.push(second);
        let delta = second - start;
        for i in 2..len {
            out.push(start + i as f64 * delta);
        }
    }
    out
}

/// The bin edges PyRadiomics uses for these ROI values.
pub fn bin_edges(min: f64, max: f64, binning: Binning) -> Vec<f64> {
    match binning {
        Binning::Width(width) => {
            let low = min - py_mod(min, width);
            let high = max + 2.0 * width;
            let edges = numpy_arange(low, high, width);
            if edges.len() == 1 {
                vec![edges[0] - 0.5, edges[0] + 0.5]
            } else {
                edges
            }
        }
        Binning::Count(count) => {
            // numpy.histogram(values, count)[1], then the last edge + 1.
            let (first, last) = if min == max {
                (min - 0.5, max + 0.5)
            } else {
                (min, max)
            };
            let step = (last - first) / count as f64;
            let mut edges: Vec<f64> = (0..=count)
                .map(|i| {
                    if step == 0.0 {
                        i as f64 / count as f64 * (last - first) + first
                    } else {
                        i as f64 * step + first
                    }
                })
                .collect();
            edges[count] = last + 1.0;
            edges
        }
    }
}

/// `numpy.digitize(x, edges)` for increasing edges: the number of edges <= x.
pub fn digitize(x: f64, edges: &[f64]) -> u32 {
    edges.partition_point(|&e| e <= x) as u32
}

/// A first guess of a value's bin from the mean edge spacing, corrected against the actual
/// edges, so digitising costs O(1) for evenly spaced edges and stays exact.
struct Guess {
    first: f64,
    step: f64,
}

impl Guess {
    fn new(edges: &[f64]) -> Self {
        let n = edges.len();
        let step = if n > 1 {
            (edges[n - 1] - edges[0]) / (n - 1) as f64
        } else {
            1.0
        };
        Guess {
            first: edges.first().copied().unwrap_or(0.0),
            step: if step > 0.0 { step } else { 1.0 },
        }
    }

    /// `numpy.digitize(x, edges)`: the number of edges <= x.
    fn digitize(&self, x: f64, edges: &[f64]) -> u32 {
        let n = edges.len();
        // For g >= 0 its floor is its truncation, which `as` does inline (floor() is a libm
        // call without SSE4.1); NaN and out-of-range guesses take the exact search.
        let g = (x - self.first) / self.step;
        if !(g >= 0.0 && g < n as f64) {
            return digitize(x, edges);
        }
        // k = number of edges <= x; start from the guess and step to the exact answer.
        let mut k = g as usize + 1;
        while k < n && edges[k] <= x {
            k += 1;
        }
        while k > 0 && edges[k - 1] > x {
            k -= 1;
        }
        k as u32
    }
}

/// Discretises the image inside the mask, whose values span `range`.
pub fn discretise(
    image: &Array3<f64>,
    mask: &Array3<bool>,
    binning: Binning,
    range: RoiRange,
) -> Discretised {
    let edges = bin_edges(range.min, range.max, binning);
    let mut levels = Array3::<u32>::zeros(image.dim());
    let mut present = vec![false; edges.len() + 2];
    let guess = Guess::new(&edges);
    Zip::from(&mut levels)
        .and(image)
        .and(mask)
        .for_each(|l, &v, &m| {
            if m {
                *l = guess.digitize(v, &edges);
                present[*l as usize] = true;
            }
        });
    let gray_levels: Vec<u32> = (0..present.len() as u32)
        .filter(|&l| present[l as usize])
        .collect();
    let ng = gray_levels.last().copied().unwrap_or(0);
    Discretised {
        levels,
        gray_levels,
        ng,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_width_edges_start_at_a_multiple_of_the_width() {
        // PyRadiomics: min -1010 -> low bound -1025 (python modulo), edges every 25 up to
        // max + 2 widths.
        let e = bin_edges(-1010.0, -960.0, Binning::Width(25.0));
        assert_eq!(e, vec![-1025.0, -1000.0, -975.0, -950.0, -925.0]);
        assert_eq!(digitize(-1010.0, &e), 1);
        assert_eq!(digitize(-1000.0, &e), 2); // on an edge: the upper bin
        assert_eq!(digitize(-960.0, &e), 3);
    }

    #[test]
    fn fixed_count_edges_span_the_range_with_a_widened_last_edge() {
        let e = bin_edges(0.0, 10.0, Binning::Count(4));
        assert_eq!(e, vec![0.0, 2.5, 5.0, 7.5, 11.0]);
        assert_eq!(digitize(10.0, &e), 4);
        // A flat ROI gets one bin around its value.
        let e = bin_edges(3.0, 3.0, Binning::Count(2));
        assert_eq!(e, vec![2.5, 3.0, 4.5]);
    }

    #[test]
    fn a_single_edge_is_widened_to_a_bin() {
        // min == max == 0 with width 5000: arange(0, 10000, 5000) = [0, 5000] (two edges).
        assert_eq!(
            bin_edges(0.0, 0.0, Binning::Width(5000.0)),
            vec![0.0, 5000.0]
        );
        assert_eq!(py_mod(-7.0, 5.0), 3.0);
    }
}
