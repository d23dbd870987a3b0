//! A check of a DICOM file's element lengths against the file's size, made before dicom-rs
//! parses it. dicom-rs reserves and zero-fills the length an element header states before it
//! reads the value, so a header claiming 0xFFFFFFF0 bytes in a 1 KB file makes it hold 4 GB
//! before it fails; no crate offers this bound, so the element headers (never the values) are
//! walked here: the file meta group in explicit VR little endian, then the data set in its
//! transfer syntax's encoding, descending into sequences and items, with encapsulated pixel
//! data's fragments skipped as opaque items and a UN sequence read as implicit VR (PS3.5 6.2.2).
//! A deflated data set is not walked (its lengths bound the inflated stream, not the file).

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use crate::error::{Error, Result};

/// An element length meaning "until a delimiter".
const UNDEFINED: u32 = 0xFFFF_FFFF;
const ITEM: (u16, u16) = (0xFFFE, 0xE000);
const SEQUENCE_END: (u16, u16) = (0xFFFE, 0xE0DD);
const PIXEL_DATA: (u16, u16) = (0x7FE0, 0x0010);
const TRANSFER_SYNTAX: (u16, u16) = (0x0002, 0x0010);
/// The meta elements a rebuilt meta group keeps (group 0002): media storage SOP class and
/// instance UIDs, transfer syntax UID, implementation class UID.
const ESSENTIAL_META: [u16; 4] = [0x0002, 0x0003, 0x0010, 0x0012];
const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";
const DEFLATED: &str = "1.2.840.10008.1.2.1.99";

/// What the walk learnt on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Walked {
    /// The transfer syntax UID of the file meta group.
    pub transfer_syntax: String,
    /// The byte length of a top-level native (not encapsulated) Pixel Data element.
    pub native_pixel_bytes: Option<u64>,
    /// The file meta group's UIDs (element number in group 0002, text): media storage SOP
    /// class and instance, transfer syntax, implementation class.
    pub meta_uids: Vec<(u16, String)>,
    /// Where the file meta group ends and the data set begins.
    pub meta_end: u64,
}

/// How the elements of one level are encoded.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Encoding {
    explicit: bool,
    big_endian: bool,
}

/// A level opened by an element or item of undefined length, closed by a delimiter.
#[derive(Debug, Clone, Copy)]
enum Level {
    /// Items holding elements, in this encoding.
    Sequence(Encoding),
    /// Items holding encapsulated pixel data fragments (opaque bytes).
    Fragments,
}

/// A reader that knows its position and the file's length.
struct Cursor {
    inner: BufReader<File>,
    pos: u64,
    len: u64,
}

impl Cursor {
    fn bytes<const N: usize>(&mut self) -> Option<[u8; N]> {
        let mut b = [0u8; N];
        self.inner.read_exact(&mut b).ok()?;
        self.pos += N as u64;
        Some(b)
    }

    fn u16(&mut self, big: bool) -> Option<u16> {
        self.bytes::<2>().map(|b| {
            if big {
                u16::from_be_bytes(b)
            } else {
                u16::from_le_bytes(b)
            }
        })
    }

    fn u32(&mut self, big: bool) -> Option<u32> {
        self.bytes::<4>().map(|b| {
            if big {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        })
    }

    fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }

    fn skip(&mut self, n: u64) -> Option<()> {
        self.inner.seek_relative(i64::try_from(n).ok()?).ok()?;
        self.pos += n;
        Some(())
    }
}

/// One element or item header: tag, VR (explicit encodings only) and stated length.
struct Header {
    tag: (u16, u16),
    vr: [u8; 2],
    length: u32,
}

fn read_header(c: &mut Cursor, e: Encoding) -> Option<Header> {
    let tag = (c.u16(e.big_endian)?, c.u16(e.big_endian)?);
    if tag.0 == 0xFFFE || !e.explicit {
        // Items and delimiters carry no VR in any encoding.
        return Some(Header {
            tag,
            vr: *b"  ",
            length: c.u32(e.big_endian)?,
        });
    }
    let vr = c.bytes::<2>()?;
    let long = matches!(
        &vr,
        b"OB"
            | b"OD"
            | b"OF"
            | b"OL"
            | b"OV"
            | b"OW"
            | b"SQ"
            | b"SV"
            | b"UC"
            | b"UN"
            | b"UR"
            | b"UT"
            | b"UV"
    );
    let length = if long {
        c.skip(2)?;
        c.u32(e.big_endian)?
    } else {
        u32::from(c.u16(e.big_endian)?)
    };
    Some(Header { tag, vr, length })
}

/// Walks `path`'s element headers and refuses any stated length that runs past the file's
/// end, naming the element. A file cut inside a header is left to the parser to report.
pub fn check(path: &Path) -> Result<Walked> {
    let file = File::open(path).map_err(|e| Error::input(path, format!("cannot open: {e}")))?;
    let len = file
        .metadata()
        .map_err(|e| Error::input(path, format!("cannot read its size: {e}")))?
        .len();
    let mut c = Cursor {
        inner: BufReader::new(file),
        pos: 0,
        len,
    };
    let mut walked = Walked {
        transfer_syntax: String::new(),
        native_pixel_bytes: None,
        meta_uids: Vec::new(),
        meta_end: 132,
    };
    if c.skip(132).is_none() || c.pos > len {
        return Ok(walked);
    }
    let meta = Encoding {
        explicit: true,
        big_endian: false,
    };
    let too_long = |h: &Header, at: u64, left: u64| {
        Error::input(
            path,
            format!(
                "DICOM element ({:04X},{:04X}) at byte {at} states a length of {} bytes, but only \
                 {left} bytes follow: the file is truncated or corrupt",
                h.tag.0, h.tag.1, h.length
            ),
        )
    };
    // The file meta group (group 0002), always explicit VR little endian.
    loop {
        let at = c.pos;
        let mut peek = [0u8; 2];
        if c.inner.read_exact(&mut peek).is_err() || u16::from_le_bytes(peek) != 0x0002 {
            c.inner
                .seek(std::io::SeekFrom::Start(at))
                .map_err(|e| Error::input(path, e.to_string()))?;
            break;
        }
        c.inner
            .seek(std::io::SeekFrom::Start(at))
            .map_err(|e| Error::input(path, e.to_string()))?;
        let Some(h) = read_header(&mut c, meta) else {
            return Ok(walked);
        };
        if u64::from(h.length) > c.remaining() {
            return Err(too_long(&h, at, c.remaining()));
        }
        if ESSENTIAL_META.contains(&h.tag.1) && h.length <= 64 {
            let mut uid = vec![0u8; h.length as usize];
            c.inner
                .read_exact(&mut uid)
                .map_err(|e| Error::input(path, e.to_string()))?;
            c.pos += u64::from(h.length);
            let text = String::from_utf8_lossy(&uid)
                .trim_end_matches(['\0', ' '])
                .to_string();
            if h.tag == TRANSFER_SYNTAX {
                walked.transfer_syntax = text.clone();
            }
            walked.meta_uids.push((h.tag.1, text));
        } else if c.skip(u64::from(h.length)).is_none() {
            return Ok(walked);
        }
        walked.meta_end = c.pos;
    }
    let top = match walked.transfer_syntax.as_str() {
        DEFLATED => return Ok(walked),
        IMPLICIT_LE => Encoding {
            explicit: false,
            big_endian: false,
        },
        EXPLICIT_BE => Encoding {
            explicit: true,
            big_endian: true,
        },
        _ => meta, // explicit VR little endian, and every compressed syntax
    };
    let implicit_le = Encoding {
        explicit: false,
        big_endian: false,
    };
    let mut levels: Vec<Level> = Vec::new();
    while c.remaining() > 0 {
        let at = c.pos;
        let encoding = match levels.last() {
            Some(Level::Sequence(e)) => *e,
            _ => top,
        };
        let Some(h) = read_header(&mut c, encoding) else {
            break;
        };
        let defined = h.length != UNDEFINED;
        if defined && u64::from(h.length) > c.remaining() {
            return Err(too_long(&h, at, c.remaining()));
        }
        match h.tag {
            ITEM => {
                // An item of fragments is skipped; an item of elements is entered (defined
                // or not, its elements follow).
                if matches!(levels.last(), Some(Level::Fragments)) && defined {
                    c.skip(u64::from(h.length));
                }
            }
            SEQUENCE_END => {
                levels.pop();
            }
            (0xFFFE, _) => {} // item delimiter
            tag if !defined => levels.push(if tag == PIXEL_DATA {
                Level::Fragments
            } else if &h.vr == b"UN" {
                Level::Sequence(implicit_le)
            } else {
                Level::Sequence(encoding)
            }),
            tag => {
                if tag == PIXEL_DATA && levels.is_empty() {
                    walked.native_pixel_bytes = Some(u64::from(h.length));
                }
                // A sequence of defined length is entered; any other value is skipped. In
                // implicit VR the dictionary says which tags are sequences, as it tells the
                // parser (whose items would otherwise go unchecked).
                let sequence = &h.vr == b"SQ" || (!encoding.explicit && is_sequence(tag));
                if !sequence {
                    c.skip(u64::from(h.length));
                }
            }
        }
    }
    Ok(walked)
}

/// Whether the standard data dictionary gives `tag` the VR SQ.
fn is_sequence(tag: (u16, u16)) -> bool {
    use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry, VirtualVr};
    dicom_dictionary_std::StandardDataDictionary
        .by_tag(dicom_core::Tag(tag.0, tag.1))
        .is_some_and(|e| matches!(e.vr(), VirtualVr::Exact(dicom_core::VR::SQ)))
}

/// The file's bytes with its meta group rebuilt from the essential UIDs (and a group length
/// that is right): for files whose meta group dicom-rs refuses over an optional element, e.g.
/// DCMTK's 18-byte SourceApplicationEntityTitle (AE holds at most 16) with a group length that
/// leaves it out. Starts at "DICM" (no preamble).
pub fn with_rebuilt_meta(path: &Path, walked: &Walked) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| Error::input(path, e.to_string()))?;
    let mut body = Vec::new();
    let element = |body: &mut Vec<u8>, elem: u16, vr: &[u8; 2], value: &[u8]| {
        body.extend_from_slice(&0x0002u16.to_le_bytes());
        body.extend_from_slice(&elem.to_le_bytes());
        body.extend_from_slice(vr);
        if vr == b"OB" {
            body.extend_from_slice(&[0, 0]);
            body.extend_from_slice(&(value.len() as u32).to_le_bytes());
        } else {
            body.extend_from_slice(&(value.len() as u16).to_le_bytes());
        }
        body.extend_from_slice(value);
    };
    element(&mut body, 0x0001, b"OB", &[0, 1]);
    for (elem, text) in &walked.meta_uids {
        let mut value = text.clone().into_bytes();
        if value.len() % 2 == 1 {
            value.push(0);
        }
        element(&mut body, *elem, b"UI", &value);
    }
    let mut out = b"DICM".to_vec();
    element(&mut out, 0x0000, b"UL", &(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    let start = usize::try_from(walked.meta_end).unwrap_or(usize::MAX);
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal explicit VR little endian file: preamble, meta group, then `body`.
    fn file_with(body: &[u8]) -> tempfile::NamedTempFile {
        let ts = b"1.2.840.10008.1.2.1\0";
        let mut bytes = vec![0u8; 128];
        bytes.extend_from_slice(b"DICM");
        bytes.extend_from_slice(&[0x02, 0x00, 0x10, 0x00, b'U', b'I']);
        bytes.extend_from_slice(&(ts.len() as u16).to_le_bytes());
        bytes.extend_from_slice(ts);
        bytes.extend_from_slice(body);
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), bytes).unwrap();
        f
    }

    fn element(group: u16, elem: u16, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&group.to_le_bytes());
        b.extend_from_slice(&elem.to_le_bytes());
        b.extend_from_slice(vr);
        b.extend_from_slice(&(value.len() as u16).to_le_bytes());
        b.extend_from_slice(value);
        b
    }

    #[test]
    fn lengths_within_the_file_pass_and_native_pixel_data_is_measured() {
        let mut body = element(0x0028, 0x0010, b"US", &[2, 0]);
        // Pixel Data, OW, 8 bytes.
        body.extend_from_slice(&[0xE0, 0x7F, 0x10, 0x00, b'O', b'W', 0, 0, 8, 0, 0, 0]);
        body.extend_from_slice(&[0u8; 8]);
        let f = file_with(&body);
        let w = check(f.path()).unwrap();
        assert_eq!(w.transfer_syntax, "1.2.840.10008.1.2.1");
        assert_eq!(w.native_pixel_bytes, Some(8));
    }

    /// Implicit VR: a sequence of defined length (its VR from the dictionary) is walked into,
    /// so an element inside its item that claims more than the file holds is refused (the
    /// parser would otherwise zero-fill 4 GB for it: found by the RTSTRUCT fuzz target).
    #[test]
    fn implicit_vr_sequences_of_defined_length_are_walked_into() {
        let implicit = |value_length: u32| {
            let ts = b"1.2.840.10008.1.2\0";
            let mut bytes = vec![0u8; 128];
            bytes.extend_from_slice(b"DICM");
            bytes.extend_from_slice(&[0x02, 0x00, 0x10, 0x00, b'U', b'I']);
            bytes.extend_from_slice(&(ts.len() as u16).to_le_bytes());
            bytes.extend_from_slice(ts);
            // (0008,1155) ReferencedSOPInstanceUID, 4 bytes held, `value_length` stated.
            let mut inner = vec![0x08, 0x00, 0x55, 0x11];
            inner.extend_from_slice(&value_length.to_le_bytes());
            inner.extend_from_slice(b"1.2\0");
            // An item of defined length, in (0008,1140) ReferencedImageSequence (SQ).
            let mut item = vec![0xFE, 0xFF, 0x00, 0xE0];
            item.extend_from_slice(&(inner.len() as u32).to_le_bytes());
            item.extend_from_slice(&inner);
            bytes.extend_from_slice(&[0x08, 0x00, 0x40, 0x11]);
            bytes.extend_from_slice(&(item.len() as u32).to_le_bytes());
            bytes.extend_from_slice(&item);
            let f = tempfile::NamedTempFile::new().unwrap();
            std::fs::write(f.path(), bytes).unwrap();
            f
        };
        assert!(check(implicit(4).path()).is_ok());
        let e = check(implicit(0xFF00_003A).path()).unwrap_err().to_string();
        assert!(e.contains("(0008,1155)") && e.contains("4278190138"), "{e}");
    }

    #[test]
    fn a_length_past_the_end_is_refused_naming_the_element() {
        // Pixel Data claiming 0xFFFFFFF0 bytes, 8 present.
        let mut body = vec![
            0xE0, 0x7F, 0x10, 0x00, b'O', b'W', 0, 0, 0xF0, 0xFF, 0xFF, 0xFF,
        ];
        body.extend_from_slice(&[0u8; 8]);
        let f = file_with(&body);
        let e = check(f.path()).unwrap_err().to_string();
        assert!(
            e.contains("element (7FE0,0010)") && e.contains("4294967280 bytes"),
            "{e}"
        );
        // Inside an undefined-length sequence's item too.
        let mut body = vec![
            0x08, 0x00, 0x15, 0x11, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ];
        body.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        body.extend_from_slice(&[0x08, 0x00, 0x50, 0x11, b'U', b'T', 0, 0, 0, 0, 0, 0x40]);
        let f = file_with(&body);
        let e = check(f.path()).unwrap_err().to_string();
        assert!(e.contains("element (0008,1150)"), "{e}");
    }

    #[test]
    fn encapsulated_fragments_are_skipped_not_parsed() {
        // Pixel Data of undefined length: offset table item, one fragment whose bytes would
        // read as a huge element header if parsed, then the sequence delimiter.
        let mut body = vec![
            0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ];
        body.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0]);
        body.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 12, 0, 0, 0]);
        body.extend_from_slice(&[0x08, 0x00, 0x50, 0x11, b'U', b'T', 0, 0, 0, 0, 0, 0x40]);
        body.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
        let f = file_with(&body);
        assert_eq!(check(f.path()).unwrap().native_pixel_bytes, None);
    }
}
