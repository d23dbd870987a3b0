//! PyRadiomics' `diagnostics_Image-*` and `diagnostics_Mask-*` entries (its
//! `generalinfo.GeneralInfo`), computed from the image and mask the extraction loaded (no
//! second read): hashes, grids, intensity range, the ROI's bounding box, voxel and component
//! counts and centre of mass, of the original image and mask and, after resampling, of the
//! interpolated ones.

use ndarray::{Array3, ArrayView3};
use radaudit::features::FeatureSet;
use radaudit::features::pyradiomics::prepare;
use radaudit::features::value::PrepareError;
use radaudit::volume::pixel::PixelType;
use radaudit::volume::{Geometry, Mask, Volume};
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
/// image and mask (the mask as the features use it, on the image's grid: the file's own
/// whenever the grids agree, as PyRadiomics requires; `mask_hash` is its [`mask_hash`]), then
/// (when `set` resamples) the interpolated ones.
pub fn entries(
    image: &Volume,
    mask: &Mask,
    mask_hash: String,
    label: u16,
    set: &FeatureSet,
) -> Result<Vec<(String, Value)>, PrepareError> {
    // The image's hash, the longest step left, runs beside its other entries.
    let (image_hash, (image_stats, mask_stats)) = rayon::join(
        || image_hash(image),
        || {
            let labels = mask.labels.view();
            (
                image_entries("original", &image.geometry, image.voxels.view()),
                mask_entries("original", &mask.geometry, labels, label, None),
            )
        },
    );
    let mut out = Vec::new();
    if let Some(hash) = image_hash {
        out.push(("Image-original_Hash".into(), Value::Text(hash)));
    }
    out.push((
        "Image-original_Dimensionality".into(),
        Value::Text("3D".into()),
    ));
    out.extend(image_stats);
    out.push(("Mask-original_Hash".into(), Value::Text(mask_hash)));
    out.extend(mask_stats);
    if let FeatureSet::Pyradiomics(params) = set.with_label(label)
        && let Some(grid) = prepare::interpolated(image, mask, &params.settings)?
    {
        let (geometry, values) = (&grid.geometry, &grid.values);
        out.extend(image_entries("interpolated", geometry, values.view()));
        out.extend(mask_entries(
            "interpolated",
            geometry,
            grid.labels.view(),
            label,
            Some(values),
        ));
    }
    Ok(out)
}

/// An image's `Spacing`, `Size`, `Mean`, `Minimum` and `Maximum` entries.
fn image_entries<T: Copy + Into<f64>>(
    prefix: &str,
    geometry: &Geometry,
    values: ArrayView3<T>,
) -> Vec<(String, Value)> {
    let (mean, min, max) = mean_min_max(&contiguous(values));
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
/// and `CenterOfMass` entries for the voxels of `labels` (array order z, y, x) holding
/// `label`, then with `image` the ROI's `Mean`, `Minimum` and `Maximum` intensities.
fn mask_entries(
    prefix: &str,
    geometry: &Geometry,
    labels: ArrayView3<u16>,
    label: u16,
    image: Option<&Array3<f64>>,
) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let key = |name: &str| format!("Mask-{prefix}_{name}");
    out.push((key("Spacing"), Value::Numbers(geometry.spacing.to_vec())));
    out.push((key("Size"), Value::Counts(sizes(geometry))));
    // Bounding box (x, y, z), voxel count and index sums, row by row.
    let (mut lo, mut hi) = ([usize::MAX; 3], [0usize; 3]);
    let (mut count, mut sum) = (0u64, [0.0f64; 3]);
    for (z, plane) in labels.outer_iter().enumerate() {
        for (y, row) in plane.outer_iter().enumerate() {
            for (x, _) in row.iter().enumerate().filter(|(_, l)| **l == label) {
                for (a, c) in [x, y, z].into_iter().enumerate() {
                    lo[a] = lo[a].min(c);
                    hi[a] = hi[a].max(c);
                    sum[a] += c as f64;
                }
                count += 1;
            }
        }
    }
    if count == 0 {
        out.push((key("VoxelNum"), Value::Count(0)));
        out.push((key("VolumeNum"), Value::Count(0)));
        return out;
    }
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
    out.push((key("VoxelNum"), Value::Count(count)));
    let inside = labels.slice(ndarray::s![lo[2]..=hi[2], lo[1]..=hi[1], lo[0]..=hi[0]]);
    let roi = inside.mapv(|l| l == label);
    out.push((key("VolumeNum"), Value::Count(components(&roi))));
    let centre = sum.map(|s| s / count as f64);
    out.push((key("CenterOfMassIndex"), Value::Numbers(centre.to_vec())));
    out.push((
        key("CenterOfMass"),
        Value::Numbers(physical(geometry, centre).to_vec()),
    ));
    if let Some(image) = image {
        let values = image.iter().zip(labels.iter());
        let inside: Vec<f64> = values
            .filter(|(_, l)| **l == label)
            .map(|(v, _)| *v)
            .collect();
        let (mean, min, max) = mean_min_max(&inside);
        out.push((key("Mean"), Value::Number(mean)));
        out.push((key("Minimum"), Value::Number(min)));
        out.push((key("Maximum"), Value::Number(max)));
    }
    out
}

/// (x, y, z) voxel counts.
fn sizes(geometry: &Geometry) -> Vec<u64> {
    geometry.size.iter().map(|&s| s as u64).collect()
}

/// The mean, minimum and maximum, over eight running sums and extremes (as numpy's pairwise
/// sum, and so that the adds of one do not wait on the previous): value k goes to lane k % 8.
fn mean_min_max<T: Copy + Into<f64>>(values: &[T]) -> (f64, f64, f64) {
    const LANES: usize = 8;
    let (mut sum, mut min, mut max) = (
        [0.0; LANES],
        [f64::INFINITY; LANES],
        [f64::NEG_INFINITY; LANES],
    );
    let mut add = |lanes: &[T]| {
        for (k, &v) in lanes.iter().enumerate() {
            let v: f64 = v.into();
            sum[k] += v;
            min[k] = min[k].min(v);
            max[k] = max[k].max(v);
        }
    };
    let (rows, rest) = values.as_chunks::<LANES>();
    for row in rows {
        add(row);
    }
    add(rest);
    let fold =
        |a: [f64; LANES], f: fn(f64, f64) -> f64| a.into_iter().reduce(f).unwrap_or(f64::NAN);
    (
        fold(sum, |a, b| a + b) / values.len() as f64,
        fold(min, f64::min),
        fold(max, f64::max),
    )
}

/// The array's values in array order (x fastest): borrowed when it is contiguous, as
/// radaudit's volumes are; copied otherwise.
fn contiguous<T: Copy>(values: ArrayView3<'_, T>) -> std::borrow::Cow<'_, [T]> {
    match values.to_slice() {
        Some(slice) => std::borrow::Cow::Borrowed(slice),
        None => std::borrow::Cow::Owned(values.iter().copied().collect()),
    }
}

/// SimpleITK's `Hash` of the mask as PyRadiomics hashes it: cast to UInt32 first
/// (`imageoperations.getMask`).
pub fn mask_hash(mask: &Mask) -> String {
    sha1_hex(mask.labels.view(), |l| u32::from(l).to_le_bytes())
}

/// SimpleITK's `Hash` of the image (SHA1 of the pixel buffer, x fastest, in the file's pixel
/// type, little endian) when the voxels as radaudit holds them (float32) give that buffer
/// exactly: 8- and 16-bit integers and float32. None for the other types.
fn image_hash(v: &Volume) -> Option<String> {
    let voxels = v.voxels.view();
    Some(match v.stored_type {
        PixelType::U8 => sha1_hex(voxels, |x| (x as u8).to_le_bytes()),
        PixelType::I8 => sha1_hex(voxels, |x| (x as i8).to_le_bytes()),
        PixelType::U16 => sha1_hex(voxels, |x| (x as u16).to_le_bytes()),
        PixelType::I16 => sha1_hex(voxels, |x| (x as i16).to_le_bytes()),
        PixelType::F32 => sha1_hex(voxels, |x| x.to_le_bytes()),
        _ => return None,
    })
}

/// The SHA1 (lower-case hexadecimal, as SimpleITK writes it) of `values` (array order: x
/// fastest) each written as `bytes` gives, converted and hashed block by block (no copy of
/// the whole buffer unless the array is not contiguous).
fn sha1_hex<T: Copy, const N: usize>(
    values: ArrayView3<T>,
    bytes: impl Fn(T) -> [u8; N],
) -> String {
    const BLOCK: usize = 1 << 16;
    let values = contiguous(values);
    let mut hasher = Sha1::new();
    let mut block = vec![0u8; BLOCK];
    for chunk in values.chunks(BLOCK / N) {
        let out = &mut block[..chunk.len() * N];
        for (to, &v) in out.chunks_exact_mut(N).zip(chunk) {
            to.copy_from_slice(&bytes(v));
        }
        hasher.update(&*out);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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
fn components(roi: &Array3<bool>) -> u64 {
    let (nz, ny, nx) = roi.dim();
    let mut seen = Array3::<bool>::from_elem(roi.dim(), false);
    let mut stack = Vec::new();
    let mut count = 0;
    for ((z, y, x), &inside) in roi.indexed_iter() {
        if !inside || seen[(z, y, x)] {
            continue;
        }
        count += 1;
        seen[(z, y, x)] = true;
        stack.push((z, y, x));
        while let Some((pz, py, px)) = stack.pop() {
            for qz in pz.saturating_sub(1)..=(pz + 1).min(nz - 1) {
                for qy in py.saturating_sub(1)..=(py + 1).min(ny - 1) {
                    for qx in px.saturating_sub(1)..=(px + 1).min(nx - 1) {
                        let q = (qz, qy, qx);
                        if roi[q] && !seen[q] {
                            seen[q] = true;
                            stack.push(q);
                        }
                    }
                }
            }
        }
    }
    count
}
