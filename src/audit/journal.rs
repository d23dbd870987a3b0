//! The run's journal: each finished case is appended as one JSON line as soon as it is
//! done (flushed and synced), so `--resume` can skip it after a crash. The first line names
//! the protocol (its SHA-256) and tool version; a resumed run refuses a journal of another
//! protocol. A line cut short by a kill is dropped, and the file is truncated back to the
//! last complete line before new cases are appended.
//!
//! Values are written as text by the shortest round-trip formatting, so they read back
//! bit for bit.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The journal's first line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The journal format's version.
    pub journal: u32,
    /// The SHA-256 of the protocol's text (a resume with another protocol is refused).
    pub protocol_sha256: String,
    /// The radaudit version that wrote it.
    pub tool_version: String,
}

/// One finished case: feature names, and per job (in plan order) its id and values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseRecord {
    /// The case id.
    pub case: String,
    /// Its job ids, in plan order.
    pub jobs: Vec<String>,
    /// The feature names, in output order.
    pub features: Vec<String>,
    /// values[job][feature], as text (`nan` for a NaN).
    pub values: Vec<Vec<String>>,
}

impl CaseRecord {
    /// The values as numbers.
    pub fn numbers(&self) -> Vec<Vec<f64>> {
        self.values
            .iter()
            .map(|row| {
                row.iter()
                    .map(|v| v.parse::<f64>().unwrap_or(f64::NAN))
                    .collect()
            })
            .collect()
    }
}

/// An open journal, ready to append.
pub struct Journal {
    path: PathBuf,
    file: File,
}

impl Journal {
    /// The journal file of a run folder.
    pub fn path_in(run_dir: &Path) -> PathBuf {
        run_dir.join("journal.jsonl")
    }

    /// Starts a new journal (replacing any) with `header`.
    pub fn create(run_dir: &Path, header: &Header) -> Result<Journal> {
        let path = Journal::path_in(run_dir);
        let mut file = File::create(&path).map_err(|e| Error::output(&path, e.to_string()))?;
        let line = serde_json::to_string(header).map_err(|e| Error::Internal(e.to_string()))?;
        file.write_all(format!("{line}\n").as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| Error::output(&path, e.to_string()))?;
        Ok(Journal { path, file })
    }

    /// Opens an existing journal for `--resume`: checks its header against `header`, reads
    /// the complete case records, drops a cut-off last line, and positions for appending.
    pub fn resume(run_dir: &Path, header: &Header) -> Result<(Journal, Vec<CaseRecord>)> {
        let path = Journal::path_in(run_dir);
        if !path.is_file() {
            return Ok((Journal::create(run_dir, header)?, Vec::new()));
        }
        let reader = File::open(&path).map_err(|e| Error::input(&path, e.to_string()))?;
        let mut reader = BufReader::new(reader);
        let mut good_end = 0u64;
        let mut records = Vec::new();
        let mut line = String::new();
        let mut first = true;
        loop {
            line.clear();
            let n = reader
                .read_line(&mut line)
                .map_err(|e| Error::input(&path, e.to_string()))?;
            if n == 0 || !line.ends_with('\n') {
                break; // end, or a line cut short by a kill
            }
            if first {
                let found: Header = serde_json::from_str(&line)
                    .map_err(|_| Error::input(&path, "not a radaudit journal (bad first line)"))?;
                if found.protocol_sha256 != header.protocol_sha256 {
                    return Err(Error::input(
                        &path,
                        "this run folder holds a run of another protocol (SHA-256 differs); \
                         use another --out or run without --resume",
                    ));
                }
                first = false;
            } else {
                match serde_json::from_str::<CaseRecord>(&line) {
                    Ok(r) => records.push(r),
                    Err(_) => break,
                }
            }
            good_end += n as u64;
        }
        if first {
            return Ok((Journal::create(run_dir, header)?, Vec::new()));
        }
        let mut file = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|e| Error::output(&path, e.to_string()))?;
        file.set_len(good_end)
            .and_then(|()| file.seek(SeekFrom::End(0)).map(|_| ()))
            .map_err(|e| Error::output(&path, e.to_string()))?;
        Ok((Journal { path, file }, records))
    }

    /// Appends one finished case and syncs it to disk.
    pub fn append(&mut self, record: &CaseRecord) -> Result<()> {
        let line = serde_json::to_string(record).map_err(|e| Error::Internal(e.to_string()))?;
        self.file
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| Error::output(&self.path, e.to_string()))
    }
}
