//! PyRadiomics' `diagnostics_Image-*` and `diagnostics_Mask-*` entries (its
//! `generalinfo.GeneralInfo`), computed from the image and mask files as radaudit reads them:
//! hashes, grids, intensity range, the ROI's bounding box, voxel and component counts and
//! centre of mass, of the original files and, after resampling, of the interpolated ones.

use std::path::Path;

use ndarray::Array3;
use radaudit::error::Result;
use radaudit::features::pyradiomics::prepare;
use radaudit::features::{FeatureSet, mask_for};
use radaudit::volume::io::{ReadOptions, read_volume};
use radaudit::volume::pixel::PixelType;
use radaudit::volume::{Geometry, Volume};
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

/// The entries, keys without the `diagnostics_` prefix, in PyRadiomics' order: the original
/// image and mask, then (when `set` resamples) the interpolated ones.
pub fn entries(
    image_path: &Path,
    mask_path: &Path,
    label: u16,
    set: &FeatureSet,
) -> Result<Vec<(String, Value)>> {
    let options = ReadOptions::default();
    let image = read_volume(image_path, &options)?;
    let mask = read_volume(mask_path, &options)?;
    let mut out = Vec::new();
    let mut push = |key: String, value: Value| out.push((key, value));
    if let Some(hash) = buffer_hash(&image) {
        push("Image-original_Hash".into(), Value::Text(hash));
    }
    push(
        "Image-original_Dimensionality".into(),
        Value::Text("3D".into()),
    );
    let values = image.voxels.mapv(f64::from);
    for (key, value) in image_entries("original", &image.geometry, &values) {
        push(key, value);
    }
    push("Mask-original_Hash".into(), Value::Text(mask_hash(&mask)));
    let roi = mask.voxels.mapv(|v| v == f32::from(label));
    for (key, value) in mask_entries("original", &mask.geometry, &roi, None) {
        push(key, value);
    }
    if let FeatureSet::Pyradiomics(params) = set.with_label(label) {
        let on_grid = mask_for(&image, image_path, mask_path, &options, label)?;
        let resampled = prepare::interpolated(&image, &on_grid, &params.settings)
            .map_err(|e| e.naming(image_path, mask_path))?;
        if let Some(grid) = resampled {
            let (geometry, values) = (&grid.geometry, &grid.values);
            for (key, value) in image_entries("interpolated", geometry, values) {
                push(key, value);
            }
            let roi = grid.labels.mapv(|l| l == label);
            for (key, value) in mask_entries("interpolated", geometry, &roi, Some(values)) {
                push(key, value);
            }
        }
    }
    Ok(out)
}

/// An image's `Spacing`, `Size`, `Mean`, `Minimum` and `Maximum` entries.
fn image_entries(prefix: &str, geometry: &Geometry, values: &Array3<f64>) -> Vec<(String, Value)> {
    let (mean, min, max) = mean_min_max(values.iter().copied());
    vec![
        (
            format!("Image-{prefix}_Spacing"),
            Value::Numbers(geometry.spacing.to_vec()),
        ),
        (
            format!("Image-{prefix}_Size"),
            Value::Counts(sizes(geometry)),
        ),
        (format!("Image-{prefix}_Mean"), Value::Number(mean)),
        (format!("Image-{prefix}_Minimum"), Value::Number(min)),
        (format!("Image-{prefix}_Maximum"), Value::Number(max)),
    ]
}

/// A mask's `Spacing`, `Size`, `BoundingBox`, `VoxelNum`, `VolumeNum`, `CenterOfMassIndex`
/// and `CenterOfMass` entries for the ROI `roi` (array order z, y, x), then with `image` the
/// ROI's `Mean`, `Minimum` and `Maximum` intensities.
fn mask_entries(
    prefix: &str,
    geometry: &Geometry,
    roi: &Array3<bool>,
    image: Option<&Array3<f64>>,
) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let key = |name: &str| format!("Mask-{prefix}_{name}");
    out.push((key("Spacing"), Value::Numbers(geometry.spacing.to_vec())));
    out.push((key("Size"), Value::Counts(sizes(geometry))));
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
        out.push((
            key("BoundingBox"),
            Value::Counts(bounding.map(|v| v as u64).to_vec()),
        ));
    }
    out.push((key("VoxelNum"), Value::Count(count)));
    out.push((
        key("VolumeNum"),
        Value::Count(components(roi, [nz, ny, nx])),
    ));
    if count > 0 {
        let centre = sum.map(|s| s / count as f64);
        out.push((key("CenterOfMassIndex"), Value::Numbers(centre.to_vec())));
        out.push((
            key("CenterOfMass"),
            Value::Numbers(physical(geometry, centre).to_vec()),
        ));
        if let Some(image) = image {
            let inside = image
                .iter()
                .zip(roi.iter())
                .filter(|(_, m)| **m)
                .map(|(v, _)| *v);
            let (mean, min, max) = mean_min_max(inside);
            out.push((key("Mean"), Value::Number(mean)));
            out.push((key("Minimum"), Value::Number(min)));
            out.push((key("Maximum"), Value::Number(max)));
        }
    }
    out
}

/// (x, y, z) voxel counts.
fn sizes(geometry: &Geometry) -> Vec<u64> {
    geometry.size.iter().map(|&s| s as u64).collect()
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
fn physical(g: &Geometry, index: [f64; 3]) -> [f64; 3] {
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
