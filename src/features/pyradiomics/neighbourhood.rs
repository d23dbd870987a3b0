//! What GLDM and NGTDM read of each ROI voxel's neighbourhood (both directions of every angle
//! at the given distances), gathered in one walk for both: the number of in-ROI neighbours,
//! the sum of their grey levels, and the number whose level is within `gldm_a` of the voxel's.

use super::roi::Roi;
use super::texture::{Lattice, TextureSettings};

/// Per ROI voxel, in the lattice's ROI order.
pub struct Neighbourhood {
    /// In-ROI neighbours.
    pub count: Vec<u32>,
    /// The sum of their grey levels (whole numbers, so exact in integers).
    pub level_sum: Vec<u64>,
    /// Neighbours whose level differs from the voxel's by at most `gldm_a` (GLDM's
    /// dependence).
    pub dependent: Vec<u32>,
}

impl Neighbourhood {
    pub fn new(roi: &Roi, lattice: &Lattice, s: &TextureSettings) -> Neighbourhood {
        let offsets = lattice.flat_offsets(&s.offsets(roi.size_zyx(), &s.distances, true));
        let (Some(&lo), Some(&hi)) = (lattice.roi.first(), lattice.roi.last()) else {
            return Neighbourhood {
                count: Vec::new(),
                level_sum: Vec::new(),
                dependent: Vec::new(),
            };
        };
        let values = &lattice.level_values;
        // Levels are whole numbers below MAX_BINS: their sums fit 32 bits unless there are
        // very many offsets (large distances); 32-bit adds vectorise twice as wide.
        let largest = values.last().copied().unwrap_or(0.0);
        let level_sum = if largest * offsets.len() as f64 <= u32::MAX as f64 {
            sums::<u32>(lattice, &offsets, lo, hi)
        } else {
            sums::<u64>(lattice, &offsets, lo, hi)
        };
        let span = hi - lo + 1;
        let own = &lattice.cells[lo..=hi];
        let mut count = vec![0u32; span];
        let mut dependent = vec![0u32; span];
        // Levels within gldm_a of each other depend on each other; with gldm_a < 1 (levels
        // are whole numbers) only equal levels do.
        let equal_only = s.gldm_alpha < 1.0;
        let width = values.len() + 1;
        let table: Vec<u8> = (0..width * width)
            .map(|k| {
                let (a, b) = (k / width, k % width);
                u8::from(a != 0 && b != 0 && (values[a - 1] - values[b - 1]).abs() <= s.gldm_alpha)
            })
            .collect();
        for &o in &offsets {
            let start = (lo as isize + o) as usize;
            let cells = &lattice.cells[start..start + span];
            let both = count.iter_mut().zip(dependent.iter_mut());
            // One walk per offset counts both (the neighbours are read once).
            if equal_only {
                for ((c, d), (t, me)) in both.zip(cells.iter().zip(own)) {
                    *c += u32::from(*t != 0);
                    *d += u32::from(t == me);
                }
            } else {
                for ((c, d), (t, me)) in both.zip(cells.iter().zip(own)) {
                    *c += u32::from(*t != 0);
                    *d += u32::from(table[*me as usize * width + *t as usize]);
                }
            }
        }
        let at = |v: &[u32], i: usize| v[i - lo];
        Neighbourhood {
            count: lattice.roi.iter().map(|&i| at(&count, i)).collect(),
            level_sum: lattice.roi.iter().map(|&i| level_sum[i - lo]).collect(),
            dependent: lattice.roi.iter().map(|&i| at(&dependent, i)).collect(),
        }
    }
}

/// Per cell of the run `lo..=hi`, the sum of its neighbours' grey levels (0 outside the ROI),
/// one offset at a time over the whole run (non-ROI cells among it are computed and dropped):
/// each offset's neighbours are a contiguous run too, so the adds have no branch and
/// vectorise. The lattice's padding holds every neighbour of the run.
fn sums<T>(lattice: &Lattice, offsets: &[isize], lo: usize, hi: usize) -> Vec<u64>
where
    T: Copy + Default + std::ops::AddAssign + From<u32> + Into<u64>,
{
    let values = &lattice.level_values;
    let level: Vec<T> = lattice
        .cells
        .iter()
        .map(|&c| match c {
            0 => T::default(),
            c => T::from(values[c as usize - 1] as u32),
        })
        .collect();
    let span = hi - lo + 1;
    let mut total = vec![T::default(); span];
    for &o in offsets {
        let start = (lo as isize + o) as usize;
        for (t, l) in total.iter_mut().zip(&level[start..start + span]) {
            *t += *l;
        }
    }
    total.into_iter().map(Into::into).collect()
}
