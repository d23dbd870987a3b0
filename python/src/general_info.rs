//! PyRadiomics' `diagnostics_Image-original_*` and `diagnostics_Mask-original_*` entries
//! (its `generalinfo.GeneralInfo`), computed from the image and mask files as radaudit reads
//! them: hashes, grids, intensity range, the ROI's bounding box, voxel and component counts
//! and centre of mass.

use std::path::Path;

use radaudit::error::Result;
use radaudit::volume::Volume;
use radaudit::volume::io::{ReadOptions, read_volume};
use radaudit::volume::pixel::PixelType;
use sha1::{Digest, Sha1};

/// One diagnostics value, as PyRadiomics gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(f64),
    Count(u64),
    Numbers(Vec<f64>),
    Counts(Vec<u64>),
}

/// The entries, keys without the `diagnostics_` prefix, in PyRadiomics' order.
pub fn original(image: &Path, mask: &Path, label: u16) -> Result<Vec<(String, Value)>> {
    let options = ReadOptions::default();
    let image = read_volume(image, &options)?;
    let mask = read_volume(mask, &options)?;
    let mut out = Vec::new();
    let mut push = |key: &str, value: Value| out.push((key.to_string(), value));
    if let Some(hash) = buffer_hash(&image) {
        push("Image-original_Hash", Value::Text(hash));
    }
    push("Image-original_Dimensionality", Value::Text("3D".into()));
    push(
        "Image-original_Spacing",
        Value::Numbers(image.geometry.spacing.to_vec()),
    );
    push("Image-original_Size", Value::Counts(sizes(&image)));
    let (mean, min, max) = mean_min_max(image.voxels.iter().map(|&v| f64::from(v)));
    push("Image-original_Mean", Value::Number(mean));
    push("Image-original_Minimum", Value::Number(min));
    push("Image-original_Maximum", Value::Number(max));
    push("Mask-original_Hash", Value::Text(mask_hash(&mask)));
    push(
        "Mask-original_Spacing",
        Value::Numbers(mask.geometry.spacing.to_vec()),
    );
    push("Mask-original_Size", Value::Counts(sizes(&mask)));
    let roi = mask.voxels.mapv(|v| v == f32::from(label));
    let (nz, ny, nx) = roi.dim();
    let (mut lo, mut hi) = ([usize::MAX; 3], [0usize; 3]);
    let (mut count, mut sum) = (0u64, [0.0f64; 3]);
    for ((z, y, x), &inside) in roi.indexed_iter() {
        if inside {
            for (a, c) in [x, y, z].into_iter().enumerate() {
                lo[a] = lo[a].min(c);
                hi[a] = hi[a].max(c);
                sum[a] += c as f64;
            }
            count += 1;
        }
    }
    if count > 0 {
        let bounding = [
            lo[0],
            lo[1],
            lo[2],
            hi[0] - lo[0] + 1,
            hi[1] - lo[1] + 1,
            hi[2] - lo[2] + 1,
        ];
        push(
            "Mask-original_BoundingBox",
            Value::Counts(bounding.map(|v| v as u64).to_vec()),
        );
    }
    push("Mask-original_VoxelNum", Value::Count(count));
    push(
        "Mask-original_VolumeNum",
        Value::Count(components(&roi, [nz, ny, nx])),
    );
    if count > 0 {
        let centre = sum.map(|s| s / count as f64);
        push(
            "Mask-original_CenterOfMassIndex",
            Value::Numbers(centre.to_vec()),
        );
        push(
            "Mask-original_CenterOfMass",
            Value::Numbers(physical(&mask, centre).to_vec()),
        );
    }
    Ok(out)
}

/// (x, y, z) voxel counts.
fn sizes(v: &Volume) -> Vec<u64> {
    v.geometry.size.iter().map(|&s| s as u64).collect()
}

/// The mean (numpy's pairwise order is not needed at 1e-6), minimum and maximum.
fn mean_min_max(values: impl Iterator<Item = f64>) -> (f64, f64, f64) {
    let (mut sum, mut n, mut min, mut max) = (0.0, 0usize, f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        sum += v;
        n += 1;
        min = min.min(v);
        max = max.max(v);
    }
    (sum / n as f64, min, max)
}

/// SimpleITK's `Hash` (SHA1 of the pixel buffer, x fastest, in the file's pixel type, little
/// endian) when the voxels as radaudit holds them (float32) give that buffer exactly: 8- and
/// 16-bit integers and float32. None for the other types.
fn buffer_hash(v: &Volume) -> Option<String> {
    let mut hasher = Sha1::new();
    let voxels = v.voxels.as_slice()?;
    match v.stored_type {
        PixelType::U8 => hasher.update(voxels.iter().map(|&x| x as u8).collect::<Vec<_>>()),
        PixelType::I8 => hasher.update(
            voxels
                .iter()
                .flat_map(|&x| (x as i8).to_le_bytes())
                .collect::<Vec<_>>(),
        ),
        PixelType::U16 => hasher.update(
            voxels
                .iter()
                .flat_map(|&x| (x as u16).to_le_bytes())
                .collect::<Vec<_>>(),
        ),
        PixelType::I16 => hasher.update(
            voxels
                .iter()
                .flat_map(|&x| (x as i16).to_le_bytes())
                .collect::<Vec<_>>(),
        ),
        PixelType::F32 => hasher.update(
            voxels
                .iter()
                .flat_map(|&x| x.to_le_bytes())
                .collect::<Vec<_>>(),
        ),
        _ => return None,
    }
    Some(
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

/// PyRadiomics' mask hash: it casts the mask to UInt32 first (`imageoperations.getMask`), so
/// the SHA1 of the labels as little-endian u32 (C's conversion: truncation, negatives wrap).
fn mask_hash(v: &Volume) -> String {
    let bytes: Vec<u8> = v
        .voxels
        .iter()
        .flat_map(|&x| ((x as i64) as u32).to_le_bytes())
        .collect();
    hex(&Sha1::digest(&bytes))
}

/// Lower-case hexadecimal, as SimpleITK's Hash writes a digest.
fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The physical point (LPS mm) of a continuous index (x, y, z).
fn physical(v: &Volume, index: [f64; 3]) -> [f64; 3] {
    let g = &v.geometry;
    let mut p = g.origin;
    for (r, row) in g.direction.iter().enumerate() {
        for c in 0..3 {
            p[r] += row[c] * index[c] * g.spacing[c];
        }
    }
    p
}

/// Connected components of the ROI, 26-connected (SimpleITK's ConnectedComponent with
/// FullyConnectedOn, as PyRadiomics counts `VolumeNum`).
fn components(roi: &ndarray::Array3<bool>, dims: [usize; 3]) -> u64 {
    let mut seen = ndarray::Array3::<bool>::from_elem(roi.dim(), false);
    let mut stack = Vec::new();
    let mut count = 0;
    for ((z, y, x), &inside) in roi.indexed_iter() {
        if !inside || seen[(z, y, x)] {
            continue;
        }
        count += 1;
        seen[(z, y, x)] = true;
        stack.push([z, y, x]);
        while let Some(p) = stack.pop() {
            for dz in -1i64..=1 {
                for dy in -1i64..=1 {
                    for dx in -1i64..=1 {
                        let q = [p[0] as i64 + dz, p[1] as i64 + dy, p[2] as i64 + dx];
                        if (0..3).any(|a| q[a] < 0 || q[a] >= dims[a] as i64) {
                            continue;
                        }
                        let q = (q[0] as usize, q[1] as usize, q[2] as usize);
                        if roi[q] && !seen[q] {
                            seen[q] = true;
                            stack.push([q.0, q.1, q.2]);
                        }
                    }
                }
            }
        }
    }
    count
}
