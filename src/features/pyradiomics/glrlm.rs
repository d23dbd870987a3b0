//! Grey Level Run Length Matrix features, PyRadiomics `glrlm` (16 features; IBSI "grey level
//! run length based features", 3D averaged when angles are averaged).
//!
//! P(i, j | θ) counts runs of j consecutive ROI voxels of grey level i along direction θ; a run
//! ends at a level change or where the line leaves the ROI. Example: the row [1 1 2] along x
//! gives P(1, 2) = 1 and P(2, 1) = 1. As PyRadiomics does, a direction along which no line meets
//! two ROI voxels is dropped, and features are averaged over the remaining directions (or the
//! matrices are merged with `weightingNorm`, weighted by the offset's length in mm).

use super::discretise::Discretised;
use super::roi::Roi;
use super::size_matrix::SizeMatrix;
use super::texture::{Lattice, TextureSettings, nanmean};
use crate::features::value::feature_values;

/// Run-length matrices (levels x run lengths) per direction, with the longest possible run.
///
/// For each direction θ, an ROI voxel whose predecessor p - θ does not hold the same level
/// starts a run, which continues while p + kθ does; the padding (level 0) ends every line, so
/// each ROI voxel is visited about twice per direction. PyRadiomics drops a direction along
/// which no line meets two ROI voxels; a run longer than 1 proves one does, and only when every
/// run is a single voxel are the lines walked to decide.
fn matrices(
    roi: &Roi,
    disc: &Discretised,
    lattice: &Lattice,
    s: &TextureSettings,
) -> (Vec<Vec<f64>>, usize) {
    let n = disc.gray_levels.len();
    let size = roi.size_zyx();
    let nr = size[0].max(size[1]).max(size[2]);
    let angles = s.offsets(size, &[1], false);
    let strides = lattice.flat_offsets(&angles);
    let cells = &lattice.cells;
    let mut out = Vec::with_capacity(angles.len());
    // Run length so far at each cell, along the current direction.
    let mut run = vec![0u32; cells.len()];
    for (o, &stride) in angles.iter().zip(&strides) {
        // Integer counting: repeated increments of one cell (most runs are short) chain
        // through memory, and integer adds are shorter links than float adds. Column 0
        // collects the voxels that end no run, so the loop has no data-dependent branch.
        let width = nr + 1;
        let mut tally = vec![0u32; n * width];
        // Runs along θ and -θ are the same runs: walk with a positive stride so that a
        // voxel's predecessor (earlier in array order) is done before it.
        let step = stride.unsigned_abs();
        for &p in &lattice.roi {
            let c = cells[p];
            let previous = run[p - step];
            let len = if cells[p - step] == c {
                previous + 1
            } else {
                1
            };
            run[p] = len;
            let ends = cells[p + step] != c;
            tally[(c as usize - 1) * width + usize::from(ends) * len as usize] += 1;
        }
        let mut longest = 0usize;
        let tally: Vec<u32> = tally
            .chunks_exact(width)
            .flat_map(|row| {
                if let Some(j) = row[1..].iter().rposition(|&v| v != 0) {
                    longest = longest.max(j + 1);
                }
                row[1..].iter().copied()
            })
            .collect();
        let mut tally = tally;
        if longest < 2 && !line_meets_two(lattice, size, o) {
            tally.fill(0);
        }
        out.push(tally.into_iter().map(f64::from).collect::<Vec<f64>>());
    }
    if let Some(norm) = s.weighting {
        let spacing = roi.spacing_zyx();
        let mut merged = vec![0f64; n * nr];
        for (p, o) in out.iter().zip(&angles) {
            let w = norm.distance(o, spacing);
            merged.iter_mut().zip(p).for_each(|(m, v)| *m += v * w);
        }
        out = vec![merged];
    }
    (out, nr)
}

/// Whether some line along `o` through the ROI box holds two ROI voxels (not necessarily
/// adjacent): PyRadiomics keeps a direction only then.
fn line_meets_two(lattice: &Lattice, size: [usize; 3], o: &[i32; 3]) -> bool {
    let pad = lattice.pad;
    let [_, py, px] = lattice.dims;
    for &p in &lattice.roi {
        let (z, y, x) = (p / (py * px) - pad, (p / px) % py - pad, p % px - pad);
        let mut pos = [z as isize, y as isize, x as isize];
        loop {
            for d in 0..3 {
                pos[d] += o[d] as isize;
            }
            if (0..3).any(|d| pos[d] < 0 || pos[d] as usize >= size[d]) {
                break;
            }
            let q =
                ((pos[0] as usize + pad) * py + pos[1] as usize + pad) * px + pos[2] as usize + pad;
            if lattice.cells[q] != 0 {
                return true;
            }
        }
    }
    false
}

feature_values! {
    /// GLRLM feature names, alphabetical (PyRadiomics' order).
    pub const NAMES;
    /// One value per GLRLM feature.
    pub struct Values {
        GrayLevelNonUniformity,
        GrayLevelNonUniformityNormalized,
        GrayLevelVariance,
        HighGrayLevelRunEmphasis,
        LongRunEmphasis,
        LongRunHighGrayLevelEmphasis,
        LongRunLowGrayLevelEmphasis,
        LowGrayLevelRunEmphasis,
        RunEntropy,
        RunLengthNonUniformity,
        RunLengthNonUniformityNormalized,
        RunPercentage,
        RunVariance,
        ShortRunEmphasis,
        ShortRunHighGrayLevelEmphasis,
        ShortRunLowGrayLevelEmphasis,
    }
}

/// The GLRLM features, in `NAMES` order. Each direction's matrix is a (grey level x run
/// length) count matrix, summarised like GLSZM's, then averaged over directions; a lone
/// direction without runs gives NaN (PyRadiomics divides by Nr = NaN).
pub fn features(roi: &Roi, disc: &Discretised, lattice: &Lattice, s: &TextureSettings) -> Vec<f64> {
    let (mut mats, nr) = matrices(roi, disc, lattice, s);
    if mats.len() > 1 {
        mats.retain(|p| p.iter().any(|v| *v != 0.0));
    }
    let rows: Vec<Vec<f64>> = mats
        .iter()
        .map(|p| {
            if p.iter().all(|v| *v == 0.0) {
                return Values::nan().to_vec();
            }
            let m = SizeMatrix::from_dense(p, nr, &disc.gray_levels).summary();
            Values {
                GrayLevelNonUniformity: m.gln,
                GrayLevelNonUniformityNormalized: m.glnn,
                GrayLevelVariance: m.gl_variance,
                HighGrayLevelRunEmphasis: m.high,
                LongRunEmphasis: m.large,
                LongRunHighGrayLevelEmphasis: m.large_high,
                LongRunLowGrayLevelEmphasis: m.large_low,
                LowGrayLevelRunEmphasis: m.low,
                RunEntropy: m.entropy,
                RunLengthNonUniformity: m.sn,
                RunLengthNonUniformityNormalized: m.snn,
                RunPercentage: m.percentage,
                RunVariance: m.size_variance,
                ShortRunEmphasis: m.small,
                ShortRunHighGrayLevelEmphasis: m.small_high,
                ShortRunLowGrayLevelEmphasis: m.small_low,
            }
            .to_vec()
        })
        .collect();
    (0..NAMES.len())
        .map(|k| nanmean(&rows.iter().map(|r| r[k]).collect::<Vec<_>>()))
        .collect()
}
