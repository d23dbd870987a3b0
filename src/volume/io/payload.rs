//! Streaming a file's voxel block into f32 voxels: optional gzip, exact-length checks that tell
//! a truncated or corrupt stream apart from a header that promises too much, and a two-stage
//! pipeline (this thread inflates, a second converts) so decompression and conversion overlap.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::mpsc::sync_channel;

use flate2::bufread::MultiGzDecoder;

use crate::volume::pixel::{Endian, PixelType, Rescale, Sample, decode_into};

/// Deflate cannot expand data by more than about 1032:1; a header promising more than this
/// from a compressed stream is refused before any allocation.
const MAX_DEFLATE_RATIO: usize = 1032;
/// Bytes per pipeline chunk: small enough to stay in cache between the two stages.
const CHUNK_BYTES: usize = 1 << 20;
/// File read buffer.
const READ_BUFFER: usize = 1 << 20;

/// A buffered reader over a file, with its length.
pub fn open(path: &Path) -> Result<(BufReader<File>, usize), String> {
    let file = File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        _ => format!("cannot open: {e}"),
    })?;
    let meta = file.metadata().map_err(|e| format!("cannot read: {e}"))?;
    if meta.is_dir() {
        return Err("is a folder, not a file".into());
    }
    Ok((
        BufReader::with_capacity(READ_BUFFER, file),
        meta.len() as usize,
    ))
}

/// Whether the reader's next bytes are the gzip magic number (nothing is consumed).
pub fn starts_with_gzip(reader: &mut impl BufRead) -> Result<bool, String> {
    let head = reader.fill_buf().map_err(|e| format!("cannot read: {e}"))?;
    Ok(head.starts_with(&[0x1f, 0x8b]))
}

/// Why a voxel block could not be read.
#[derive(Debug)]
pub enum SampleError {
    /// The file is damaged or inconsistent; the message says how.
    Format(String),
    /// The value at this voxel (flat index) does not fit the requested sample type.
    Unrepresentable(usize),
}

impl From<String> for SampleError {
    fn from(s: String) -> Self {
        SampleError::Format(s)
    }
}

impl From<&str> for SampleError {
    fn from(s: &str) -> Self {
        SampleError::Format(s.to_string())
    }
}

/// A byte stream over (part of) a file, gunzipped when it is gzip.
pub struct Stream<'a> {
    reader: Box<dyn Read + 'a>,
    gzip: bool,
    /// Bytes available before decompression (the bound for plausibility checks).
    stored_len: usize,
    /// Bytes consumed so far (decompressed when gzip).
    position: usize,
}

impl<'a> Stream<'a> {
    /// A stream over `reader`, which holds `stored_len` bytes, decompressing when `gzip`.
    pub fn new(reader: impl BufRead + 'a, stored_len: usize, gzip: bool) -> Self {
        let reader: Box<dyn Read + 'a> = if gzip {
            Box::new(MultiGzDecoder::new(reader))
        } else {
            Box::new(reader)
        };
        Stream {
            reader,
            gzip,
            stored_len,
            position: 0,
        }
    }

    fn what(&self) -> &'static str {
        if self.gzip {
            "the decompressed gzip stream"
        } else {
            "the file"
        }
    }

    fn corrupt(&self, e: &std::io::Error) -> String {
        if self.gzip {
            format!("gzip stream is corrupt or truncated ({e})")
        } else {
            format!("read failed ({e})")
        }
    }

    /// Fills `buf` as far as the stream allows; the count read, or why reading failed.
    fn fill(&mut self, buf: &mut [u8], what: &str) -> Result<usize, String> {
        let mut got = 0;
        while got < buf.len() {
            match self.reader.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.position += got;
                    return Err(format!(
                        "{} after {} bytes of the {what}",
                        self.corrupt(&e),
                        got
                    ));
                }
            }
        }
        self.position += got;
        Ok(got)
    }

    fn ended_inside(&self, what: &str) -> String {
        format!(
            "{} ends after {} bytes, inside the {what}",
            self.what(),
            self.position
        )
    }

    /// Reads exactly `len` bytes (a header), or explains why not.
    pub fn read_exact(&mut self, len: usize, what: &str) -> Result<Vec<u8>, String> {
        let mut buf = vec![0u8; len];
        if self.fill(&mut buf, what)? < len {
            return Err(self.ended_inside(what));
        }
        Ok(buf)
    }

    /// Discards `len` bytes (extensions, byte skips).
    pub fn skip(&mut self, len: usize, what: &str) -> Result<(), String> {
        let mut copied = std::io::copy(
            &mut (&mut self.reader).take(len as u64),
            &mut std::io::sink(),
        )
        .map_err(|e| self.corrupt(&e))? as usize;
        self.position += copied;
        copied = copied.min(len);
        if copied < len {
            return Err(self.ended_inside(what));
        }
        Ok(())
    }

    /// Reads `count` samples of type `ty` and converts them (applying `rescale`), then reads
    /// on to the end of a gzip stream so that a damaged trailer (CRC, length) is caught.
    /// With more than one rayon thread, decompression and conversion run on two threads.
    /// A value `T` cannot hold fails with `Err(Unrepresentable(index))`.
    pub fn read_samples<T: Sample>(
        &mut self,
        count: usize,
        ty: PixelType,
        endian: Endian,
        rescale: Rescale,
    ) -> Result<Vec<T>, SampleError> {
        let len = count
            .checked_mul(ty.size())
            .ok_or("voxel block size overflows the address space")?;
        self.check_plausible(len)?;
        let mut out = vec![T::default(); count];
        let chunk = CHUNK_BYTES - CHUNK_BYTES % ty.size();
        let mut got = 0usize;
        let mut bad: Option<usize> = None;
        if rayon::current_num_threads() < 2 {
            let mut buf = vec![0u8; chunk];
            while got < len && bad.is_none() {
                let want = (len - got).min(chunk);
                let n = self.fill(&mut buf[..want], "voxel data")?;
                let at = got / ty.size();
                if let Err(k) = decode_into(&buf[..n], &mut out[at..], ty, endian, rescale) {
                    bad = Some(at + k);
                }
                got += n;
                if n < want {
                    break;
                }
            }
        } else {
            let (full_tx, full_rx) = sync_channel::<(Vec<u8>, usize)>(2);
            let (empty_tx, empty_rx) = sync_channel::<Vec<u8>>(3);
            for _ in 0..3 {
                let _ = empty_tx.send(vec![0u8; chunk]);
            }
            let result = std::thread::scope(|scope| {
                let out = &mut out;
                let converter = scope.spawn(move || {
                    let mut at = 0;
                    for (buf, filled) in full_rx {
                        if let Err(k) =
                            decode_into(&buf[..filled], &mut out[at..], ty, endian, rescale)
                        {
                            return Some(at + k);
                        }
                        at += filled / ty.size();
                        let _ = empty_tx.send(buf);
                    }
                    None
                });
                let mut produce = || -> Result<(), String> {
                    while got < len {
                        let Ok(mut buf) = empty_rx.recv() else { break };
                        let want = (len - got).min(chunk);
                        let n = self.fill(&mut buf[..want], "voxel data")?;
                        got += n;
                        if full_tx.send((buf, n)).is_err() || n < want {
                            break;
                        }
                    }
                    Ok(())
                };
                let produced = produce();
                drop(full_tx);
                bad = converter.join().unwrap_or(None);
                produced
            });
            result?;
        }
        if let Some(index) = bad {
            return Err(SampleError::Unrepresentable(index));
        }
        if got < len {
            return Err(format!(
                "header promises {len} bytes of voxel data but {} holds only {got}",
                self.what()
            )
            .into());
        }
        if self.gzip {
            std::io::copy(&mut self.reader, &mut std::io::sink()).map_err(|e| {
                format!("gzip stream is corrupt or truncated after the voxel data ({e})")
            })?;
        }
        Ok(out)
    }

    /// Refuses, before allocating, a block the stored bytes cannot possibly hold.
    fn check_plausible(&self, len: usize) -> Result<(), String> {
        if self.gzip {
            if len > self.stored_len.saturating_mul(MAX_DEFLATE_RATIO) {
                return Err(format!(
                    "header promises {len} bytes of voxel data, more than a {}-byte gzip stream \
                     can hold",
                    self.stored_len
                ));
            }
        } else {
            let left = self.stored_len.saturating_sub(self.position);
            if len > left {
                return Err(format!(
                    "header promises {len} bytes of voxel data but the file holds only {left}"
                ));
            }
        }
        Ok(())
    }
}
