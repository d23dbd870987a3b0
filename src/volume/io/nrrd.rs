//! NRRD (`.nrrd`, detached `.nhdr`): reading and writing 3-D scalar volumes in LPS space.
//!
//! Written by hand: no maintained Rust crate reads NRRD. Follows the NRRD0001-0005 format
//! specification (teem.sourceforge.net/nrrd/format.html) for the fields medical volumes use:
//! type, dimension, sizes, endian, encoding (raw, gzip, ascii), space (LPS, RAS, LAS),
//! space directions, space origin, spacings (without a space), byte skip, line skip and a
//! single detached data file. Spacing is the length of each space direction and the direction
//! its unit vector, as ITK reads it; RAS and LAS are converted to LPS.

use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;

use super::payload::{SampleError, Stream, open};
use super::unrepresentable;
use crate::error::{Error, Result};
use crate::volume::pixel::{Endian, PixelType, Rescale, Sample, encode_le};
use crate::volume::{Geometry, Mask, Volume};

/// How to store the voxel block when writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    #[default]
    /// gzip-compressed voxels.
    Gzip,
    /// Raw voxels.
    Raw,
}

/// Reads an attached (`.nrrd`) or detached (`.nhdr`) NRRD file.
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
    let (mut reader, file_len) = open(path).map_err(|p| Error::input(path, p))?;
    let (text, header_len) = read_header(&mut reader).map_err(|p| Error::input(path, p))?;
    let h = Header::parse(&text).map_err(|p| Error::input(path, p))?;
    let geometry = h.geometry().map_err(|p| Error::input(path, p))?;
    let count = geometry.voxel_count();
    let (data_path, result) = match &h.data_file {
        Some(name) => {
            let data_path = resolve_data_file(path, name).map_err(|p| Error::input(path, p))?;
            let (data, data_len) = open(&data_path)
                .map_err(|p| Error::input(&data_path, format!("data file: {p}")))?;
            let r = read_voxels::<T>(&h, data, data_len, count);
            (data_path, r)
        }
        None => (
            path.to_path_buf(),
            read_voxels::<T>(&h, reader, file_len.saturating_sub(header_len), count),
        ),
    };
    match result {
        Ok(voxels) => Ok((geometry, voxels, h.ty)),
        Err(SampleError::Format(p)) => Err(Error::input(&data_path, p)),
        Err(SampleError::Unrepresentable(k)) => {
            Err(Error::input(&data_path, unrepresentable::<T>(&geometry, k)))
        }
    }
}

/// Longest header accepted; a "header" without its blank line within this is not NRRD.
const MAX_HEADER: usize = 1 << 20;

/// The header text (through the blank line, or to the end of a detached header) and its
/// length in bytes.
fn read_header(reader: &mut impl BufRead) -> std::result::Result<(String, usize), String> {
    let mut header = Vec::new();
    loop {
        let start = header.len();
        let n = reader
            .by_ref()
            .take((MAX_HEADER - start) as u64)
            .read_until(b'\n', &mut header)
            .map_err(|e| format!("cannot read: {e}"))?;
        if start == 0 && !header.starts_with(b"NRRD000") {
            return Err("not a NRRD file: it does not start with \"NRRD000\"".into());
        }
        let line = &header[start..];
        if n == 0 || line == b"\n" || line == b"\r\n" {
            break;
        }
        if header.len() >= MAX_HEADER {
            return Err(format!(
                "header has no end (no blank line in its first {MAX_HEADER} bytes)"
            ));
        }
    }
    let len = header.len();
    let text = String::from_utf8(header)
        .map_err(|_| "header is not valid text (UTF-8/ASCII)".to_string())?;
    Ok((text, len))
}

/// Where a detached header's data file is: in the header's folder or below it. A header
/// naming a file elsewhere (`../../etc/passwd`, an absolute path, a link out of the folder)
/// is refused unless `RADAUDIT_ALLOW_OUTSIDE_DATA=1` says the user trusts it.
fn resolve_data_file(header_path: &Path, name: &str) -> std::result::Result<PathBuf, String> {
    let folder = header_path.parent().unwrap_or(Path::new("."));
    let p = Path::new(name);
    let resolved = if p.is_absolute() {
        p.to_path_buf()
    } else {
        folder.join(p)
    };
    if std::env::var("RADAUDIT_ALLOW_OUTSIDE_DATA").is_ok_and(|v| v == "1") {
        return Ok(resolved);
    }
    let climbs = p.is_absolute()
        || p.components()
            .any(|c| matches!(c, std::path::Component::ParentDir));
    let escapes = match (resolved.canonicalize(), folder.canonicalize()) {
        (Ok(file), Ok(dir)) => !file.starts_with(dir),
        _ => false,
    };
    if climbs || escapes {
        return Err(format!(
            "data file '{name}' is outside the header's folder; set RADAUDIT_ALLOW_OUTSIDE_DATA=1 to read it anyway"
        ));
    }
    Ok(resolved)
}

/// The fields of a NRRD header that radaudit uses.
struct Header {
    ty: PixelType,
    sizes: [usize; 3],
    endian: Option<Endian>,
    encoding: DataEncoding,
    lps_flip: [f64; 3],
    directions: Option<[[f64; 3]; 3]>,
    origin: [f64; 3],
    spacings: Option<[f64; 3]>,
    byte_skip: i64,
    line_skip: usize,
    data_file: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum DataEncoding {
    Raw,
    Gzip,
    Ascii,
}

impl Header {
    fn parse(text: &str) -> std::result::Result<Header, String> {
        let mut fields = BTreeMap::new();
        for line in text.lines().skip(1) {
            let line = line.trim_end_matches('\r');
            if line.is_empty() || line.starts_with('#') || line.contains(":=") {
                continue; // comments and key/value pairs
            }
            let (key, value) = line
                .split_once(": ")
                .ok_or_else(|| format!("header line {line:?} is not \"field: value\""))?;
            fields.insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
        }
        let get = |k: &str| fields.get(k).map(String::as_str);
        let require = |k: &str| get(k).ok_or_else(|| format!("required field '{k}' is missing"));

        let dimension: usize = require("dimension")?
            .parse()
            .map_err(|_| format!("dimension {:?} is not a number", get("dimension")))?;
        if dimension != 3 {
            return Err(format!(
                "dimension is {dimension}: radaudit reads 3-D scalar volumes only"
            ));
        }
        let ty = pixel_type(require("type")?)?;
        let sizes = parse_sizes(require("sizes")?)?;
        let encoding = match require("encoding")? {
            "raw" => DataEncoding::Raw,
            "gzip" | "gz" => DataEncoding::Gzip,
            "ascii" | "text" | "txt" => DataEncoding::Ascii,
            other => {
                return Err(format!(
                    "encoding '{other}' is not supported (raw, gzip and ascii are)"
                ));
            }
        };
        let endian = match get("endian") {
            Some("little") => Some(Endian::Little),
            Some("big") => Some(Endian::Big),
            Some(other) => return Err(format!("endian '{other}' is neither little nor big")),
            None if ty.size() > 1 && encoding != DataEncoding::Ascii => {
                return Err(format!(
                    "field 'endian' is missing; it is required for the {}-byte type {}",
                    ty.size(),
                    ty.name()
                ));
            }
            None => None,
        };
        let space = get("space").or(get("space dimension").map(|_| "unknown"));
        let lps_flip = match space {
            None => [1.0, 1.0, 1.0],
            Some(s) => match s.to_ascii_lowercase().as_str() {
                "left-posterior-superior" | "lps" => [1.0, 1.0, 1.0],
                "right-anterior-superior" | "ras" => [-1.0, -1.0, 1.0],
                "left-anterior-superior" | "las" => [1.0, -1.0, 1.0],
                other => {
                    return Err(format!(
                        "space '{other}' is not supported (LPS, RAS and LAS patient spaces are)"
                    ));
                }
            },
        };
        let directions = get("space directions").map(parse_directions).transpose()?;
        if space.is_some() != directions.is_some() {
            return Err("'space' and 'space directions' must be given together".into());
        }
        let origin = match get("space origin") {
            Some(v) => parse_vector(v).map_err(|e| format!("space origin: {e}"))?,
            None => [0.0; 3],
        };
        let spacings = match get("spacings") {
            Some(v) if directions.is_none() => Some(parse_numbers(v, "spacings")?),
            _ => None,
        };
        let byte_skip = match get("byte skip") {
            Some(v) => v
                .parse()
                .map_err(|_| format!("byte skip {v:?} is not an integer"))?,
            None => 0,
        };
        if byte_skip < -1 || (byte_skip == -1 && encoding != DataEncoding::Raw) {
            return Err(format!(
                "byte skip {byte_skip}: only -1 with raw encoding, or a count >= 0, is valid"
            ));
        }
        let line_skip = match get("line skip") {
            Some(v) => v
                .parse()
                .map_err(|_| format!("line skip {v:?} is not a count"))?,
            None => 0,
        };
        let data_file = match get("data file").or(get("datafile")) {
            Some(v) if v.starts_with("LIST") || v.contains('%') || v.contains(' ') => {
                return Err(format!(
                    "data file '{v}': multi-file data is not supported (one data file is)"
                ));
            }
            v => v.map(str::to_string),
        };
        Ok(Header {
            ty,
            sizes,
            endian,
            encoding,
            lps_flip,
            directions,
            origin,
            spacings,
            byte_skip,
            line_skip,
            data_file,
        })
    }

    /// The LPS grid: spacing = length of each space direction, direction = its unit vector.
    fn geometry(&self) -> std::result::Result<Geometry, String> {
        let origin = [0, 1, 2].map(|r| self.lps_flip[r] * self.origin[r]);
        let (spacing, direction) = match self.directions {
            Some(dirs) => {
                let mut spacing = [0.0; 3];
                let mut direction = [[0.0; 3]; 3];
                for (axis, v) in dirs.iter().enumerate() {
                    spacing[axis] = v.iter().map(|x| x * x).sum::<f64>().sqrt();
                    for r in 0..3 {
                        direction[r][axis] = self.lps_flip[r] * v[r] / spacing[axis];
                    }
                }
                (spacing, direction)
            }
            None => (
                self.spacings.unwrap_or([1.0; 3]),
                crate::volume::geometry::IDENTITY,
            ),
        };
        Geometry::new(self.sizes, spacing, origin, direction)
    }
}

fn pixel_type(name: &str) -> std::result::Result<PixelType, String> {
    Ok(match name {
        "signed char" | "int8" | "int8_t" => PixelType::I8,
        "uchar" | "unsigned char" | "uint8" | "uint8_t" => PixelType::U8,
        "short" | "short int" | "signed short" | "signed short int" | "int16" | "int16_t" => {
            PixelType::I16
        }
        "ushort" | "unsigned short" | "unsigned short int" | "uint16" | "uint16_t" => {
            PixelType::U16
        }
        "int" | "signed int" | "int32" | "int32_t" => PixelType::I32,
        "uint" | "unsigned int" | "uint32" | "uint32_t" => PixelType::U32,
        "longlong"
        | "long long"
        | "long long int"
        | "signed long long"
        | "signed long long int"
        | "int64"
        | "int64_t" => PixelType::I64,
        "ulonglong" | "unsigned long long" | "unsigned long long int" | "uint64" | "uint64_t" => {
            PixelType::U64
        }
        "float" => PixelType::F32,
        "double" => PixelType::F64,
        other => return Err(format!("unknown or unsupported type '{other}'")),
    })
}

fn parse_sizes(v: &str) -> std::result::Result<[usize; 3], String> {
    let parts: Vec<&str> = v.split_whitespace().collect();
    if parts.len() != 3 {
        return Err(format!("sizes {v:?} must list 3 numbers"));
    }
    let mut out = [0; 3];
    for (o, p) in out.iter_mut().zip(&parts) {
        *o = p
            .parse()
            .map_err(|_| format!("sizes {v:?}: {p:?} is not a count"))?;
        if *o == 0 {
            return Err(format!("sizes {v:?}: a zero dimension"));
        }
    }
    Ok(out)
}

fn parse_numbers(v: &str, what: &str) -> std::result::Result<[f64; 3], String> {
    let parts: Vec<f64> = v
        .split_whitespace()
        .map(|p| {
            p.parse::<f64>()
                .map_err(|_| format!("{what}: {p:?} is not a number"))
        })
        .collect::<std::result::Result<_, _>>()?;
    <[f64; 3]>::try_from(parts).map_err(|_| format!("{what} {v:?} must list 3 numbers"))
}

/// A vector written "(x,y,z)".
fn parse_vector(v: &str) -> std::result::Result<[f64; 3], String> {
    let inner = v
        .trim()
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| format!("{v:?} is not a vector \"(x,y,z)\""))?;
    parse_numbers(&inner.replace(',', " "), "vector")
}

fn parse_directions(v: &str) -> std::result::Result<[[f64; 3]; 3], String> {
    let vectors: Vec<&str> = v.split_whitespace().collect();
    if vectors.contains(&"none") {
        return Err(
            "space directions hold 'none': a non-spatial axis (vector or time \
                    data), which radaudit does not read"
                .into(),
        );
    }
    if vectors.len() != 3 {
        return Err(format!("space directions {v:?} must list 3 vectors"));
    }
    let mut out = [[0.0; 3]; 3];
    for (o, s) in out.iter_mut().zip(vectors) {
        *o = parse_vector(s).map_err(|e| format!("space directions: {e}"))?;
    }
    Ok(out)
}

/// Decodes the data section: skips lines and bytes, decompresses, checks the length.
fn read_voxels<T: Sample>(
    h: &Header,
    mut body: impl BufRead,
    body_len: usize,
    count: usize,
) -> std::result::Result<Vec<T>, SampleError> {
    let mut skipped = 0;
    for _ in 0..h.line_skip {
        let mut line = Vec::new();
        let n = body
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("cannot read: {e}"))?;
        if n == 0 {
            return Err("data ends inside the lines 'line skip' asks to skip".into());
        }
        skipped += n;
    }
    let body_len = body_len.saturating_sub(skipped);
    let endian = h.endian.unwrap_or(Endian::Little);
    match h.encoding {
        DataEncoding::Ascii => {
            let mut text = Vec::new();
            body.read_to_end(&mut text)
                .map_err(|e| format!("cannot read: {e}"))?;
            let values = read_ascii(&text, count)?;
            values
                .iter()
                .enumerate()
                .map(|(k, v)| T::convert(*v).ok_or(SampleError::Unrepresentable(k)))
                .collect()
        }
        encoding => {
            let gzip = encoding == DataEncoding::Gzip;
            let mut stream = Stream::new(body, body_len, gzip);
            let skip = if h.byte_skip == -1 {
                // Raw data sits at the end of the file.
                let len = count.saturating_mul(h.ty.size());
                body_len.checked_sub(len).ok_or_else(|| {
                    SampleError::Format(format!(
                        "header promises {len} bytes of voxel data but the file holds only {body_len}"
                    ))
                })?
            } else {
                h.byte_skip as usize
            };
            stream.skip(skip, "bytes 'byte skip' asks to skip")?;
            stream.read_samples(count, h.ty, endian, Rescale::IDENTITY)
        }
    }
}

fn read_ascii(body: &[u8], count: usize) -> std::result::Result<Vec<f64>, String> {
    let text = std::str::from_utf8(body).map_err(|_| "ascii data is not text".to_string())?;
    let mut out = Vec::with_capacity(count.min(body.len() / 2 + 1));
    for token in text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
    {
        if out.len() == count {
            break;
        }
        let v: f64 = token.parse().map_err(|_| {
            format!(
                "ascii value {token:?} (number {}) is not a number",
                out.len() + 1
            )
        })?;
        out.push(v);
    }
    if out.len() < count {
        return Err(format!(
            "header promises {count} ascii values but the data holds only {}",
            out.len()
        ));
    }
    Ok(out)
}

/// Writes `volume` as an attached NRRD in LPS space, little-endian, in the narrowest type that
/// holds its values exactly. Coordinates are printed with Rust's shortest round-trip formatting,
/// so the grid reads back bit for bit up to the spacing/direction split.
pub fn write(volume: &Volume, path: &Path, encoding: Encoding) -> Result<()> {
    let g = &volume.geometry;
    let ty = PixelType::narrowest_for(volume.as_slice(), volume.stored_type);
    let vector = |v: [f64; 3]| format!("({},{},{})", v[0], v[1], v[2]);
    let dirs: Vec<String> = (0..3)
        .map(|c| vector([0, 1, 2].map(|r| g.direction[r][c] * g.spacing[c])))
        .collect();
    let header = format!(
        "NRRD0004\n# written by radaudit {}\ntype: {}\ndimension: 3\nspace: left-posterior-superior\n\
         sizes: {} {} {}\nspace directions: {}\nkinds: domain domain domain\nendian: little\n\
         encoding: {}\nspace origin: {}\n\n",
        env!("CARGO_PKG_VERSION"),
        nrrd_type_name(ty),
        g.size[0],
        g.size[1],
        g.size[2],
        dirs.join(" "),
        if encoding == Encoding::Gzip {
            "gzip"
        } else {
            "raw"
        },
        vector(g.origin),
    );
    let data = encode_le(volume.as_slice(), ty);
    let mut out = header.into_bytes();
    match encoding {
        Encoding::Raw => out.extend_from_slice(&data),
        Encoding::Gzip => {
            let mut enc = GzEncoder::new(out, Compression::fast());
            enc.write_all(&data)
                .map_err(|e| Error::output(path, e.to_string()))?;
            out = enc
                .finish()
                .map_err(|e| Error::output(path, e.to_string()))?;
        }
    }
    crate::output::write_bytes(path, &out)
}

fn nrrd_type_name(ty: PixelType) -> &'static str {
    match ty {
        PixelType::U8 => "uint8",
        PixelType::I8 => "int8",
        PixelType::U16 => "uint16",
        PixelType::I16 => "int16",
        PixelType::U32 => "uint32",
        PixelType::I32 => "int32",
        PixelType::U64 => "uint64",
        PixelType::I64 => "int64",
        PixelType::F32 => "float",
        PixelType::F64 => "double",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ras_space_is_converted_to_lps() {
        let h = Header::parse(
            "NRRD0004\ntype: short\ndimension: 3\nspace: right-anterior-superior\nsizes: 2 3 4\n\
             space directions: (-0.5,0,0) (0,0.5,0) (0,0,2)\nendian: little\nencoding: raw\n\
             space origin: (10,20,30)\n",
        )
        .unwrap();
        let g = h.geometry().unwrap();
        assert_eq!(g.origin, [-10.0, -20.0, 30.0]);
        assert_eq!(g.spacing, [0.5, 0.5, 2.0]);
        assert_eq!(
            g.direction,
            [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]]
        );
    }

    #[test]
    fn ascii_data_and_missing_endian() {
        let h = Header::parse(
            "NRRD0004\ntype: float\ndimension: 3\nsizes: 2 1 1\nencoding: ascii\nspacings: 1 1 1\n",
        )
        .unwrap();
        let v: Vec<f32> = read_voxels(&h, &b"1.5 -2\n"[..], 7, 2).unwrap();
        assert_eq!(v, [1.5, -2.0]);
        let err =
            Header::parse("NRRD0004\ntype: short\ndimension: 3\nsizes: 2 1 1\nencoding: raw\n")
                .err()
                .unwrap();
        assert!(err.contains("'endian' is missing"), "{err}");
    }
}
