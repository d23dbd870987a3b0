//! NIfTI-1 and NIfTI-2 (`.nii`, `.nii.gz`): reading into LPS geometry, and writing `.nii(.gz)`.
//!
//! NIfTI-1 headers are parsed and files written with the `nifti` crate. That crate does not
//! read NIfTI-2 (540-byte header, 64-bit fields), so its header is parsed here by hand from
//! the layout in the NIfTI-2 specification (nifti2.h). Both end in the same `Fields`.
//!
//! Geometry follows ITK (what SimpleITK and PyRadiomics see): NIfTI's world frame is RAS, so
//! the affine's x and y rows are negated to get LPS. The sform is used when its code is set and
//! it is a rotation times a scaling; otherwise the qform; with neither, NIfTI's "method 1"
//! (pixdim along the axes). Intensities are `stored * scl_slope + scl_inter` when scl_slope is
//! finite and non-zero (NIfTI's rule), computed in f64.

use std::path::Path;

use nalgebra::Matrix4;
use nifti::writer::WriterOptions;
use nifti::{NiftiHeader, XForm};

use super::payload::{SampleError, Stream, open, starts_with_gzip};
use super::{Failure, unrepresentable};
use crate::error::{Error, Result};
use crate::volume::pixel::{Endian, PixelType, Rescale, Sample};
use crate::volume::{Geometry, Mask, Volume};

const NIFTI1_HEADER_LEN: usize = 348;
const NIFTI2_HEADER_LEN: usize = 540;

/// The header fields radaudit uses, common to NIfTI-1 and NIfTI-2.
struct Fields {
    dim: [i64; 8],
    datatype: i16,
    pixdim: [f64; 8],
    vox_offset: f64,
    scl_slope: f64,
    scl_inter: f64,
    qform_code: i32,
    sform_code: i32,
    quatern: [f64; 3],
    qoffset: [f64; 3],
    srow: [[f64; 4]; 3],
    endian: Endian,
    header_len: usize,
}

/// Reads a `.nii` or `.nii.gz` file (NIfTI-1 or NIfTI-2).
pub fn read(path: &Path) -> Result<Volume> {
    let (geometry, voxels, ty) = read_as::<f32>(path)?;
    Volume::from_vec(geometry, voxels, ty).map_err(|p| Error::input(path, p))
}

/// Reads a label map straight into labels (no intermediate f32 image).
pub fn read_labels(path: &Path) -> Result<Mask> {
    let (geometry, labels, _) = read_as::<u16>(path)?;
    Mask::from_vec(geometry, labels).map_err(|p| Error::input(path, p))
}

fn read_as<T: Sample>(path: &Path) -> Result<(Geometry, Vec<T>, PixelType)> {
    read_stream::<T>(path).map_err(|e| match e {
        Failure::Format(p) => Error::input(path, p),
        Failure::Unrepresentable(g, k) => Error::input(path, unrepresentable::<T>(&g, k)),
    })
}

fn read_stream<T: Sample>(
    path: &Path,
) -> std::result::Result<(Geometry, Vec<T>, PixelType), Failure> {
    let (mut reader, file_len) = open(path)?;
    let gzip = starts_with_gzip(&mut reader)?;
    let mut stream = Stream::new(reader, file_len, gzip);
    let start = stream.read_exact(4, "header")?;
    let first = [start[0], start[1], start[2], start[3]];
    let (header_len, endian) = match (i32::from_le_bytes(first), i32::from_be_bytes(first)) {
        (348, _) => (NIFTI1_HEADER_LEN, Endian::Little),
        (_, 348) => (NIFTI1_HEADER_LEN, Endian::Big),
        (540, _) => (NIFTI2_HEADER_LEN, Endian::Little),
        (_, 540) => (NIFTI2_HEADER_LEN, Endian::Big),
        (v, _) => {
            return Err(Failure::Format(format!(
                "not a NIfTI file: sizeof_hdr is {v}, expected 348 (NIfTI-1) or 540 (NIfTI-2)"
            )));
        }
    };
    let mut header = start;
    header.extend(stream.read_exact(header_len - 4, "header")?);
    let fields = if header_len == NIFTI1_HEADER_LEN {
        parse_nifti1(&header)?
    } else {
        parse_nifti2(&header, endian)?
    };
    let size = volume_size(&fields.dim)?;
    let ty = pixel_type(fields.datatype)?;
    let geometry = geometry(&fields, size)?;
    if !(fields.vox_offset.is_finite() && fields.vox_offset >= fields.header_len as f64) {
        return Err(Failure::Format(format!(
            "vox_offset {} is before the end of the {}-byte header",
            fields.vox_offset, fields.header_len
        )));
    }
    stream.skip(
        fields.vox_offset as usize - fields.header_len,
        "header extensions",
    )?;
    match stream.read_samples(geometry.voxel_count(), ty, fields.endian, rescale(&fields)) {
        Ok(voxels) => Ok((geometry, voxels, ty)),
        Err(SampleError::Format(p)) => Err(Failure::Format(p)),
        Err(SampleError::Unrepresentable(k)) => {
            Err(Failure::Unrepresentable(Box::new(geometry), k))
        }
    }
}

fn parse_nifti1(header: &[u8]) -> std::result::Result<Fields, String> {
    let h = NiftiHeader::from_reader(header).map_err(|e| format!("invalid NIfTI-1 header: {e}"))?;
    if &h.magic != b"n+1\0" {
        return Err(format!(
            "magic {:?} is not \"n+1\": a .hdr/.img pair or an ANALYZE file, which radaudit does \
             not read (convert it to .nii)",
            String::from_utf8_lossy(&h.magic)
        ));
    }
    let f = |v: f32| v as f64;
    Ok(Fields {
        dim: h.dim.map(|d| d as i16 as i64),
        datatype: h.datatype,
        pixdim: h.pixdim.map(f),
        vox_offset: f(h.vox_offset),
        scl_slope: f(h.scl_slope),
        scl_inter: f(h.scl_inter),
        qform_code: h.qform_code as i32,
        sform_code: h.sform_code as i32,
        quatern: [f(h.quatern_b), f(h.quatern_c), f(h.quatern_d)],
        qoffset: [f(h.quatern_x), f(h.quatern_y), f(h.quatern_z)],
        srow: [h.srow_x.map(f), h.srow_y.map(f), h.srow_z.map(f)],
        endian: match h.endianness {
            nifti::Endianness::Little => Endian::Little,
            nifti::Endianness::Big => Endian::Big,
        },
        header_len: NIFTI1_HEADER_LEN,
    })
}

/// NIfTI-2 header: byte offsets from nifti2.h (540 bytes, no padding).
fn parse_nifti2(h: &[u8], endian: Endian) -> std::result::Result<Fields, String> {
    if &h[4..8] != b"n+2\0" {
        return Err(format!(
            "magic {:?} is not \"n+2\": NIfTI-2 header/image pairs are not read (convert to .nii)",
            String::from_utf8_lossy(&h[4..8])
        ));
    }
    let take = |at: usize| -> [u8; 8] {
        let mut b = [0u8; 8];
        b.copy_from_slice(&h[at..at + 8]);
        b
    };
    let i64_at = |at| match endian {
        Endian::Little => i64::from_le_bytes(take(at)),
        Endian::Big => i64::from_be_bytes(take(at)),
    };
    let f64_at = |at| match endian {
        Endian::Little => f64::from_le_bytes(take(at)),
        Endian::Big => f64::from_be_bytes(take(at)),
    };
    let i32_at = |at: usize| {
        let b = [h[at], h[at + 1], h[at + 2], h[at + 3]];
        match endian {
            Endian::Little => i32::from_le_bytes(b),
            Endian::Big => i32::from_be_bytes(b),
        }
    };
    let datatype = match endian {
        Endian::Little => i16::from_le_bytes([h[12], h[13]]),
        Endian::Big => i16::from_be_bytes([h[12], h[13]]),
    };
    let vox_offset = i64_at(168);
    Ok(Fields {
        dim: std::array::from_fn(|i| i64_at(16 + 8 * i)),
        datatype,
        pixdim: std::array::from_fn(|i| f64_at(104 + 8 * i)),
        vox_offset: vox_offset as f64,
        scl_slope: f64_at(176),
        scl_inter: f64_at(184),
        qform_code: i32_at(344),
        sform_code: i32_at(348),
        quatern: [f64_at(352), f64_at(360), f64_at(368)],
        qoffset: [f64_at(376), f64_at(384), f64_at(392)],
        srow: std::array::from_fn(|r| std::array::from_fn(|c| f64_at(400 + 32 * r + 8 * c))),
        endian,
        header_len: NIFTI2_HEADER_LEN,
    })
}

/// The (x, y, z) size; dimensions past the third must be 1 (radaudit reads 3-D volumes).
fn volume_size(dim: &[i64; 8]) -> std::result::Result<[usize; 3], String> {
    let ndim = dim[0];
    if !(1..=7).contains(&ndim) {
        return Err(format!(
            "dim[0] = {ndim}: the number of dimensions must be 1 to 7"
        ));
    }
    let mut size = [1usize; 3];
    for d in 1..=ndim as usize {
        let n = dim[d];
        if n <= 0 {
            return Err(format!("dim[{d}] = {n}: a zero or negative dimension"));
        }
        if d <= 3 {
            size[d - 1] = usize::try_from(n).map_err(|_| format!("dim[{d}] = {n} is too large"))?;
        } else if n > 1 {
            return Err(format!(
                "dim[{d}] = {n}: a {ndim}-D image; radaudit reads 3-D volumes only"
            ));
        }
    }
    Ok(size)
}

/// NIfTI datatype codes (nifti1.h) radaudit reads.
fn pixel_type(code: i16) -> std::result::Result<PixelType, String> {
    Ok(match code {
        2 => PixelType::U8,
        4 => PixelType::I16,
        8 => PixelType::I32,
        16 => PixelType::F32,
        64 => PixelType::F64,
        256 => PixelType::I8,
        512 => PixelType::U16,
        768 => PixelType::U32,
        1024 => PixelType::I64,
        1280 => PixelType::U64,
        1 | 32 | 128 | 1536 | 1792 | 2048 | 2304 => {
            return Err(format!(
                "datatype {code} (binary, complex, RGB or float128) is not a scalar type radaudit \
                 reads"
            ));
        }
        _ => return Err(format!("unknown datatype code {code}")),
    })
}

fn rescale(f: &Fields) -> Rescale {
    if f.scl_slope.is_finite() && f.scl_slope != 0.0 {
        Rescale {
            slope: f.scl_slope,
            intercept: if f.scl_inter.is_finite() {
                f.scl_inter
            } else {
                0.0
            },
        }
    } else {
        Rescale::IDENTITY
    }
}

/// pixdim[1..=3], which must be finite and positive.
fn spacing(f: &Fields) -> std::result::Result<[f64; 3], String> {
    let s = [f.pixdim[1], f.pixdim[2], f.pixdim[3]];
    for (a, v) in s.iter().enumerate() {
        if !(v.is_finite() && *v > 0.0) {
            return Err(format!(
                "pixdim[{}] = {v}: voxel spacing must be finite and positive",
                a + 1
            ));
        }
    }
    Ok(s)
}

/// RAS (NIfTI) to LPS (ITK): negate the x and y rows.
const RAS_TO_LPS: [f64; 3] = [-1.0, -1.0, 1.0];

/// The LPS grid of the header: sform if usable, else qform, else NIfTI method 1.
fn geometry(f: &Fields, size: [usize; 3]) -> std::result::Result<Geometry, String> {
    let sform = (f.sform_code > 0).then(|| sform_geometry(f, size));
    match sform {
        Some(Ok(g)) => Ok(g),
        Some(Err(why)) if f.qform_code <= 0 => Err(format!("sform is unusable: {why}")),
        _ if f.qform_code > 0 => {
            qform_geometry(f, spacing(f)?, size).map_err(|why| format!("qform is unusable: {why}"))
        }
        _ => Geometry::new(
            size,
            spacing(f)?,
            [0.0; 3],
            [[-1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]],
        ),
    }
}

fn sform_geometry(f: &Fields, size: [usize; 3]) -> std::result::Result<Geometry, String> {
    let mut spacing = [0.0; 3];
    let mut direction = [[0.0; 3]; 3];
    for c in 0..3 {
        spacing[c] = (0..3).map(|r| f.srow[r][c].powi(2)).sum::<f64>().sqrt();
        for r in 0..3 {
            direction[r][c] = RAS_TO_LPS[r] * f.srow[r][c] / spacing[c];
        }
    }
    let origin = [0, 1, 2].map(|r| RAS_TO_LPS[r] * f.srow[r][3]);
    Geometry::new(size, spacing, origin, direction)
}

/// The qform: a unit quaternion (b, c, d) with a = sqrt(1 - b² - c² - d²), the rotation
/// matrix formula of nifti1.h, qfac = pixdim[0] flipping the third axis.
fn qform_geometry(
    f: &Fields,
    pixdim: [f64; 3],
    size: [usize; 3],
) -> std::result::Result<Geometry, String> {
    let [mut b, mut c, mut d] = f.quatern;
    let aa = 1.0 - (b * b + c * c + d * d);
    let a = if aa < 1e-7 {
        // Rounding pushed the quaternion past unit length: renormalise (a 180° rotation).
        let n = (b * b + c * c + d * d).sqrt();
        if n == 0.0 || !n.is_finite() {
            return Err("quaternion is not finite".into());
        }
        (b, c, d) = (b / n, c / n, d / n);
        0.0
    } else {
        aa.sqrt()
    };
    let r = [
        [
            a * a + b * b - c * c - d * d,
            2.0 * (b * c - a * d),
            2.0 * (b * d + a * c),
        ],
        [
            2.0 * (b * c + a * d),
            a * a + c * c - b * b - d * d,
            2.0 * (c * d - a * b),
        ],
        [
            2.0 * (b * d - a * c),
            2.0 * (c * d + a * b),
            a * a + d * d - c * c - b * b,
        ],
    ];
    let qfac = if f.pixdim[0] < 0.0 { -1.0 } else { 1.0 };
    let mut direction = [[0.0; 3]; 3];
    for row in 0..3 {
        for col in 0..3 {
            let flip = if col == 2 { qfac } else { 1.0 };
            direction[row][col] = RAS_TO_LPS[row] * r[row][col] * flip;
        }
    }
    let origin = [0, 1, 2].map(|row| RAS_TO_LPS[row] * f.qoffset[row]);
    Geometry::new(size, pixdim, origin, direction)
}

/// Writes `volume` as NIfTI-1 (`.nii`, or gzip for `.nii.gz`), in the narrowest type that holds
/// its values exactly, with sform and qform both set (code 1, scanner anatomical) to its grid.
pub fn write(volume: &Volume, path: &Path) -> Result<()> {
    let g = &volume.geometry;
    // LPS -> RAS affine: negate x and y rows.
    let mut affine = Matrix4::<f64>::identity();
    for r in 0..3 {
        for c in 0..3 {
            affine[(r, c)] = RAS_TO_LPS[r] * g.direction[r][c] * g.spacing[c];
        }
        affine[(r, 3)] = RAS_TO_LPS[r] * g.origin[r];
    }
    let mut header = NiftiHeader::default();
    header.set_sform(&affine, XForm::ScannerAnat);
    header.set_qform(&affine, XForm::ScannerAnat);
    header.xyzt_units = 2; // millimetres
    // The crate's Io error prints as Debug (`Io(Os { ... })`): say the OS's message.
    let fail = |e: nifti::NiftiError| match e {
        nifti::NiftiError::Io(io) => Error::output(path, io.to_string()),
        other => Error::output(path, other.to_string()),
    };
    header.set_description_str("radaudit").map_err(fail)?;
    let ty = PixelType::narrowest_for(volume.as_slice(), volume.stored_type);
    crate::output::write_atomically(path, |tmp| {
        let options = WriterOptions::new(tmp).reference_header(&header);
        // The crate writes an (x, y, z)-indexed array in NIfTI's x-fastest order; the reversed
        // view of our (z, y, x) array is exactly that, without a copy.
        macro_rules! write_as {
            ($t:ty) => {
                options.write_nifti(&volume.voxels.mapv(|v| v.round() as $t).t())
            };
        }
        match ty {
            PixelType::U8 => write_as!(u8),
            PixelType::I8 => write_as!(i8),
            PixelType::U16 => write_as!(u16),
            PixelType::I16 => write_as!(i16),
            PixelType::U32 => write_as!(u32),
            PixelType::I32 => write_as!(i32),
            PixelType::U64 => write_as!(u64),
            PixelType::I64 => write_as!(i64),
            PixelType::F32 => options.write_nifti(&volume.voxels.t()),
            PixelType::F64 => options.write_nifti(&volume.voxels.mapv(f64::from).t()),
        }
        .map_err(fail)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields_with(qform_code: i32, sform_code: i32) -> Fields {
        Fields {
            dim: [3, 4, 5, 6, 1, 1, 1, 1],
            datatype: 4,
            pixdim: [1.0, 0.5, 0.75, 2.0, 0.0, 0.0, 0.0, 0.0],
            vox_offset: 352.0,
            scl_slope: 0.0,
            scl_inter: 0.0,
            qform_code,
            sform_code,
            quatern: [0.0, 0.0, 1.0], // 180 degrees about z: RAS x,y flipped = LPS identity
            qoffset: [10.0, 20.0, 30.0],
            srow: [
                [-0.5, 0.0, 0.0, 10.0],
                [0.0, -0.75, 0.0, 20.0],
                [0.0, 0.0, 2.0, 30.0],
            ],
            endian: Endian::Little,
            header_len: NIFTI1_HEADER_LEN,
        }
    }

    #[test]
    fn qform_with_180_degree_z_rotation_is_lps_identity() {
        let f = fields_with(1, 0);
        let g = geometry(&f, [4, 5, 6]).unwrap();
        assert_eq!(g.origin, [-10.0, -20.0, 30.0]);
        for r in 0..3 {
            for c in 0..3 {
                let expected = if r == c { 1.0 } else { 0.0 };
                assert!(
                    (g.direction[r][c] - expected).abs() < 1e-12,
                    "{:?}",
                    g.direction
                );
            }
        }
    }

    #[test]
    fn sheared_sform_falls_back_to_qform_like_itk() {
        let mut f = fields_with(1, 1);
        f.srow[0][1] = 0.3; // shear
        let g = geometry(&f, [4, 5, 6]).unwrap();
        assert_eq!(g.spacing, [0.5, 0.75, 2.0]);
        f.qform_code = 0;
        let err = geometry(&f, [4, 5, 6]).unwrap_err();
        assert!(
            err.contains("sform is unusable") && err.contains("not orthonormal"),
            "{err}"
        );
    }

    #[test]
    fn nan_slope_means_no_scaling() {
        let mut f = fields_with(1, 0);
        f.scl_slope = f64::NAN;
        assert_eq!(rescale(&f), Rescale::IDENTITY);
        f.scl_slope = 2.0;
        f.scl_inter = -1024.0;
        assert_eq!(
            rescale(&f),
            Rescale {
                slope: 2.0,
                intercept: -1024.0
            }
        );
    }
}
