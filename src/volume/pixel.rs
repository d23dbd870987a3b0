//! Voxel sample types on disk, and the conversion of raw sample bytes to and from f32.
//!
//! Readers hand over the bytes of a file's voxel block with their type and byte order; this
//! module turns them into f32 voxels (applying a linear rescale in f64 when the file has one)
//! and back. It knows nothing about file formats.

use rayon::prelude::*;
use serde::Serialize;

/// Samples per parallel conversion chunk: large enough that rayon's overhead is negligible.
const CHUNK_SAMPLES: usize = 1 << 20;

/// A voxel sample type as stored in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PixelType {
    /// 8-bit unsigned.
    U8,
    /// 8-bit signed.
    I8,
    /// 16-bit unsigned.
    U16,
    /// 16-bit signed.
    I16,
    /// 32-bit unsigned.
    U32,
    /// 32-bit signed.
    I32,
    /// 64-bit unsigned.
    U64,
    /// 64-bit signed.
    I64,
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
}

/// Byte order of multi-byte samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

/// A linear map `stored * slope + intercept` applied in f64 (NIfTI scl_*, DICOM Rescale*).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rescale {
    /// The factor.
    pub slope: f64,
    /// The offset.
    pub intercept: f64,
}

impl Rescale {
    /// The identity map.
    pub const IDENTITY: Rescale = Rescale {
        slope: 1.0,
        intercept: 0.0,
    };

    fn is_identity(&self) -> bool {
        self.slope == 1.0 && self.intercept == 0.0
    }
}

impl PixelType {
    /// Bytes per sample.
    pub fn size(self) -> usize {
        match self {
            PixelType::U8 | PixelType::I8 => 1,
            PixelType::U16 | PixelType::I16 => 2,
            PixelType::U32 | PixelType::I32 | PixelType::F32 => 4,
            PixelType::U64 | PixelType::I64 | PixelType::F64 => 8,
        }
    }

    /// The conventional name (`int16`, `float32`, ...).
    pub fn name(self) -> &'static str {
        match self {
            PixelType::U8 => "uint8",
            PixelType::I8 => "int8",
            PixelType::U16 => "uint16",
            PixelType::I16 => "int16",
            PixelType::U32 => "uint32",
            PixelType::I32 => "int32",
            PixelType::U64 => "uint64",
            PixelType::I64 => "int64",
            PixelType::F32 => "float32",
            PixelType::F64 => "float64",
        }
    }

    /// Whether the type holds integers.
    pub fn is_integer(self) -> bool {
        !matches!(self, PixelType::F32 | PixelType::F64)
    }

    /// The smallest and largest value the type holds (as f64).
    pub fn range(self) -> (f64, f64) {
        match self {
            PixelType::U8 => (0.0, u8::MAX as f64),
            PixelType::I8 => (i8::MIN as f64, i8::MAX as f64),
            PixelType::U16 => (0.0, u16::MAX as f64),
            PixelType::I16 => (i16::MIN as f64, i16::MAX as f64),
            PixelType::U32 => (0.0, u32::MAX as f64),
            PixelType::I32 => (i32::MIN as f64, i32::MAX as f64),
            PixelType::U64 => (0.0, u64::MAX as f64),
            PixelType::I64 => (i64::MIN as f64, i64::MAX as f64),
            PixelType::F32 => (f32::MIN as f64, f32::MAX as f64),
            PixelType::F64 => (f64::MIN, f64::MAX),
        }
    }

    /// The smallest integer type holding every value of `values` (all integral), else float32.
    /// Used to write a volume back in the type it came from when nothing made it fractional.
    pub fn narrowest_for(values: &[f32], preferred: PixelType) -> PixelType {
        let (mut lo, mut hi, mut integral) = (f32::INFINITY, f32::NEG_INFINITY, true);
        for &v in values {
            lo = lo.min(v);
            hi = hi.max(v);
            integral &= v.fract() == 0.0;
        }
        if !integral || values.is_empty() {
            return if values.is_empty() && preferred.is_integer() {
                preferred
            } else {
                PixelType::F32
            };
        }
        let fits = |t: PixelType| {
            let (a, b) = t.range();
            (lo as f64) >= a && (hi as f64) <= b
        };
        if preferred.is_integer() && preferred.size() <= 4 && fits(preferred) {
            return preferred;
        }
        [PixelType::U8, PixelType::I16, PixelType::I32]
            .into_iter()
            .find(|&t| fits(t))
            .unwrap_or(PixelType::F32)
    }
}

/// What a voxel block can be decoded into: image intensities (f32) or mask labels (u16).
pub trait Sample: Copy + Default + Send + Sync + 'static {
    /// What a value this sample cannot hold is, for the error naming the voxel.
    const CANNOT_HOLD: &'static str;
    /// The sample for a decoded (and rescaled) value, or `None` when it cannot hold it.
    fn convert(v: f64) -> Option<Self>;
    /// The sample for an integer stored without rescaling (the fast path).
    fn from_int(v: i64) -> Option<Self>;
}

impl Sample for f32 {
    const CANNOT_HOLD: &'static str = "is beyond float32's range (+-3.4e38), the precision intensities are held in: check the data type and the rescale slope and intercept";
    /// Intensities: a finite value beyond float32's range would silently become infinite.
    #[inline]
    fn convert(v: f64) -> Option<f32> {
        let f = v as f32;
        (f.is_finite() || !v.is_finite()).then_some(f)
    }
    #[inline]
    fn from_int(v: i64) -> Option<f32> {
        Some(v as f32)
    }
}

impl Sample for u16 {
    const CANNOT_HOLD: &'static str =
        "is not a label: a mask must hold non-negative integer labels up to 65535";
    /// Labels: non-negative integers up to 65535.
    #[inline]
    fn convert(v: f64) -> Option<u16> {
        (v.fract() == 0.0 && (0.0..=u16::MAX as f64).contains(&v)).then_some(v as u16)
    }
    #[inline]
    fn from_int(v: i64) -> Option<u16> {
        u16::try_from(v).ok()
    }
}

/// How a stored sample type becomes a `Sample` without rescaling.
trait Stored: Copy {
    fn to_sample<T: Sample>(self) -> Option<T>;
    fn to_f64(self) -> f64;
}

macro_rules! stored_int {
    ($($t:ty),*) => {$(
        impl Stored for $t {
            #[inline]
            fn to_sample<T: Sample>(self) -> Option<T> {
                // u64 beyond i64::MAX wraps negative and is refused as a label; f32 rounds.
                T::from_int(self as i64)
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}
stored_int!(u8, i8, u16, i16, u32, i32, i64);

impl Stored for u64 {
    #[inline]
    fn to_sample<T: Sample>(self) -> Option<T> {
        // Beyond i64: only f32 (a float) can take it; labels cannot.
        i64::try_from(self).map_or_else(|_| T::convert(self as f64), T::from_int)
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self as f64
    }
}

macro_rules! stored_float {
    ($($t:ty),*) => {$(
        impl Stored for $t {
            #[inline]
            fn to_sample<T: Sample>(self) -> Option<T> {
                T::convert(self as f64)
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}
stored_float!(f32, f64);

macro_rules! decode_as {
    ($bytes:expr, $out:expr, $n:literal, $t:ty, $endian:expr, $rescale:expr) => {{
        let (chunks, _) = $bytes.as_chunks::<$n>();
        let identity = $rescale.is_identity();
        for (k, (dst, c)) in $out.iter_mut().zip(chunks).enumerate() {
            let v = match $endian {
                Endian::Little => <$t>::from_le_bytes(*c),
                Endian::Big => <$t>::from_be_bytes(*c),
            };
            let converted = if identity {
                Stored::to_sample::<T>(v)
            } else {
                T::convert(Stored::to_f64(v) * $rescale.slope + $rescale.intercept)
            };
            match converted {
                Some(s) => *dst = s,
                None => return Err(k),
            }
        }
        Ok(())
    }};
}

/// Converts raw sample bytes into `out` (as many as both hold), applying `rescale` in f64.
/// Fails with the position of the first value `T` cannot hold. Trailing bytes that do not
/// fill a whole sample are ignored.
pub fn decode_into<T: Sample>(
    bytes: &[u8],
    out: &mut [T],
    ty: PixelType,
    endian: Endian,
    rescale: Rescale,
) -> Result<(), usize> {
    match ty {
        PixelType::U8 => decode_as!(bytes, out, 1, u8, endian, rescale),
        PixelType::I8 => decode_as!(bytes, out, 1, i8, endian, rescale),
        PixelType::U16 => decode_as!(bytes, out, 2, u16, endian, rescale),
        PixelType::I16 => decode_as!(bytes, out, 2, i16, endian, rescale),
        PixelType::U32 => decode_as!(bytes, out, 4, u32, endian, rescale),
        PixelType::I32 => decode_as!(bytes, out, 4, i32, endian, rescale),
        PixelType::U64 => decode_as!(bytes, out, 8, u64, endian, rescale),
        PixelType::I64 => decode_as!(bytes, out, 8, i64, endian, rescale),
        PixelType::F32 => decode_as!(bytes, out, 4, f32, endian, rescale),
        PixelType::F64 => decode_as!(bytes, out, 8, f64, endian, rescale),
    }
}

/// Converts raw sample bytes to f32 voxels (in parallel for large blocks), applying
/// `rescale` in f64. Trailing bytes that do not fill a whole sample are ignored.
pub fn decode(bytes: &[u8], ty: PixelType, endian: Endian, rescale: Rescale) -> Vec<f32> {
    let size = ty.size();
    let mut out = vec![0f32; bytes.len() / size];
    out.par_chunks_mut(CHUNK_SAMPLES)
        .zip(bytes.par_chunks(CHUNK_SAMPLES * size))
        .for_each(|(o, b)| {
            // f32 holds every value.
            let _ = decode_into(b, o, ty, endian, rescale);
        });
    out
}

/// Converts f32 voxels to little-endian bytes of type `ty`. Integer targets round to nearest;
/// callers choose `ty` with [`PixelType::narrowest_for`] so nothing is clipped or rounded.
pub fn encode_le(values: &[f32], ty: PixelType) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * ty.size());
    macro_rules! put {
        ($t:ty) => {
            for &v in values {
                out.extend_from_slice(&(v.round() as $t).to_le_bytes());
            }
        };
    }
    match ty {
        PixelType::U8 => put!(u8),
        PixelType::I8 => put!(i8),
        PixelType::U16 => put!(u16),
        PixelType::I16 => put!(i16),
        PixelType::U32 => put!(u32),
        PixelType::I32 => put!(i32),
        PixelType::U64 => put!(u64),
        PixelType::I64 => put!(i64),
        PixelType::F32 => values
            .iter()
            .for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
        PixelType::F64 => values
            .iter()
            .for_each(|&v| out.extend_from_slice(&(v as f64).to_le_bytes())),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_both_byte_orders_and_rescales_in_f64() {
        let le = [0x18u8, 0xFC]; // -1000 as little-endian i16
        assert_eq!(
            decode(&le, PixelType::I16, Endian::Little, Rescale::IDENTITY),
            [-1000.0]
        );
        let be = [0xFCu8, 0x18];
        assert_eq!(
            decode(&be, PixelType::I16, Endian::Big, Rescale::IDENTITY),
            [-1000.0]
        );
        // CT: stored 24 with slope 1, intercept -1024 gives -1000 HU.
        let r = Rescale {
            slope: 1.0,
            intercept: -1024.0,
        };
        assert_eq!(
            decode(&24u16.to_le_bytes(), PixelType::U16, Endian::Little, r),
            [-1000.0]
        );
    }

    #[test]
    fn narrowest_type_keeps_integers_and_falls_back_to_float() {
        assert_eq!(
            PixelType::narrowest_for(&[0.0, 1.0, 7.0], PixelType::F32),
            PixelType::U8
        );
        assert_eq!(
            PixelType::narrowest_for(&[-1000.0, 3000.0], PixelType::I16),
            PixelType::I16
        );
        assert_eq!(
            PixelType::narrowest_for(&[-1000.0, 3000.0], PixelType::U8),
            PixelType::I16
        );
        assert_eq!(
            PixelType::narrowest_for(&[0.5], PixelType::I16),
            PixelType::F32
        );
    }

    #[test]
    fn encode_then_decode_is_exact() {
        let v = [-1024.0f32, 0.0, 3071.0];
        let b = encode_le(&v, PixelType::I16);
        assert_eq!(
            decode(&b, PixelType::I16, Endian::Little, Rescale::IDENTITY),
            v
        );
    }
}
