//! Reading CSV tables for the statistics commands: a header and string cells, with typed
//! accessors whose errors name the file, the row (as numbered in the file, header = 1) and
//! the column.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A CSV table held as text (one buffer per row, so million-cell tables read quickly).
#[derive(Debug, Clone)]
pub struct Table {
    /// The file it was read from (named in errors).
    pub path: PathBuf,
    /// The header's column names (read with [`Table::headers`]; changed only through
    /// [`Table::add_column`], which keeps the index).
    headers: Vec<String>,
    /// The rows, as read.
    pub rows: Vec<csv::StringRecord>,
    /// Each column's index by name, so that looking up every column of a wide table takes
    /// linear time.
    index: HashMap<String, usize>,
}

impl Table {
    /// Reads a CSV file with a header row. Every row must have as many cells as the header.
    pub fn read(path: &Path) -> Result<Table> {
        let (mut reader, header) = open_csv(path, true)?;
        let headers: Vec<String> = header.iter().map(str::to_string).collect();
        if headers.is_empty() || headers.iter().all(String::is_empty) {
            return Err(Error::input(path, "the header row is empty"));
        }
        let mut index = HashMap::with_capacity(headers.len());
        for (k, h) in headers.iter().enumerate() {
            if index.insert(h.clone(), k).is_some() {
                return Err(Error::input(
                    path,
                    format!("column {h:?} appears twice in the header"),
                ));
            }
        }
        let mut rows = Vec::new();
        for (k, record) in reader.records().enumerate() {
            let line = k + 2;
            let record = record
                .map_err(|e| Error::input(path, format!("row {line}: {}", csv_problem(&e))))?;
            if record.len() != headers.len() {
                return Err(Error::input(
                    path,
                    format!(
                        "row {line} has {} cells, the header has {}",
                        record.len(),
                        headers.len()
                    ),
                ));
            }
            rows.push(record);
        }
        if rows.is_empty() {
            return Err(Error::input(path, "no data rows (only a header)"));
        }
        Ok(Table {
            path: path.to_path_buf(),
            headers,
            rows,
            index,
        })
    }

    /// The header's column names, in order.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// Appends a column of `cells`, one per row; a name already present is an error.
    pub fn add_column(&mut self, name: &str, cells: &[String]) -> Result<()> {
        if self.index.contains_key(name) {
            return Err(Error::input(
                &self.path,
                format!("column {name:?} already exists"),
            ));
        }
        if cells.len() != self.rows.len() {
            return Err(Error::Internal(format!(
                "column {name:?}: {} cells for {} rows",
                cells.len(),
                self.rows.len()
            )));
        }
        self.index.insert(name.to_string(), self.headers.len());
        self.headers.push(name.to_string());
        for (row, cell) in self.rows.iter_mut().zip(cells) {
            row.push_field(cell);
        }
        Ok(())
    }

    /// The index of a column, or an error naming the columns there are (the closest ones
    /// first when there are many).
    pub fn column(&self, name: &str) -> Result<usize> {
        self.index.get(name).copied().ok_or_else(|| {
            Error::input(
                &self.path,
                format!("no column {name:?}; {}", columns_hint(&self.headers, name)),
            )
        })
    }

    /// The text cells of a column.
    pub fn text(&self, name: &str) -> Result<Vec<&str>> {
        let c = self.column(name)?;
        Ok(self.rows.iter().map(|r| &r[c]).collect())
    }

    /// The text cells of a column, every one filled in; an empty or NA cell is an error
    /// naming its row.
    pub fn required_text(&self, name: &str) -> Result<Vec<String>> {
        let c = self.column(name)?;
        self.rows
            .iter()
            .enumerate()
            .map(|(k, r)| {
                if is_missing(&r[c]) {
                    Err(self.empty_cell(k, name, &r[c]))
                } else {
                    Ok(r[c].to_string())
                }
            })
            .collect()
    }

    fn empty_cell(&self, k: usize, name: &str, cell: &str) -> Error {
        let what = if cell.is_empty() {
            "the cell is empty".to_string()
        } else {
            format!("the cell is {cell:?}, a missing value")
        };
        Error::input(&self.path, format!("row {}, column {name}: {what}", k + 2))
    }

    /// The cells of a column as numbers; an empty, non-numeric or non-finite cell is an error
    /// naming its row.
    pub fn numbers(&self, name: &str) -> Result<Vec<f64>> {
        let c = self.column(name)?;
        self.rows
            .iter()
            .enumerate()
            .map(|(k, r)| self.parse_cell(&r[c], k, name))
            .collect()
    }

    /// The cells of a column as numbers, with `None` for empty or NA cells; a non-numeric cell
    /// is an error naming its row.
    pub fn optional_numbers(&self, name: &str) -> Result<Vec<Option<f64>>> {
        let c = self.column(name)?;
        self.rows
            .iter()
            .enumerate()
            .map(|(k, r)| {
                if is_missing(&r[c]) {
                    Ok(None)
                } else {
                    self.parse_cell(&r[c], k, name).map(Some)
                }
            })
            .collect()
    }

    fn parse_cell(&self, cell: &str, k: usize, name: &str) -> Result<f64> {
        if is_missing(cell) {
            return Err(self.empty_cell(k, name, cell));
        }
        match cell.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            Ok(_) => Err(Error::input(
                &self.path,
                format!(
                    "row {}, column {name}: {} is not finite",
                    k + 2,
                    shown(cell)
                ),
            )),
            Err(_) => Err(Error::input(
                &self.path,
                format!(
                    "row {}, column {name}: {} is not a number",
                    k + 2,
                    shown(cell)
                ),
            )),
        }
    }

    /// Whether every non-missing cell of a column parses as a number.
    pub fn is_numeric(&self, c: usize) -> bool {
        self.rows
            .iter()
            .all(|r| is_missing(&r[c]) || r[c].parse::<f64>().is_ok())
    }
}

/// Opens a CSV file and reads its header row; cells are trimmed. With `flexible`, rows may
/// differ in width (the caller checks); without it a row of the wrong width is an error.
/// Errors name the file.
pub fn open_csv(
    path: &Path,
    flexible: bool,
) -> Result<(csv::Reader<std::fs::File>, csv::StringRecord)> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(flexible)
        .from_path(path)
        .map_err(|e| Error::input(path, format!("cannot read: {}", csv_problem(&e))))?;
    let headers = reader
        .headers()
        .map_err(|e| {
            Error::input(
                path,
                format!("cannot read the header row: {}", csv_problem(&e)),
            )
        })?
        .clone();
    Ok((reader, headers))
}

/// A cell as an error message quotes it: whole when short, else its start and its length
/// (a 50 MB cell is not echoed).
pub fn shown(cell: &str) -> String {
    const KEEP: usize = 40;
    if cell.chars().count() <= 2 * KEEP {
        format!("{cell:?}")
    } else {
        let start: String = cell.chars().take(KEEP).collect();
        format!("{start:?}... ({} characters)", cell.chars().count())
    }
}

/// Empty, NA, NaN and nan cells count as missing.
pub fn is_missing(cell: &str) -> bool {
    matches!(cell, "" | "NA" | "NaN" | "nan" | "na" | "N/A")
}

fn csv_problem(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
            "no such file".into()
        }
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8 text".into(),
        _ => e.to_string(),
    }
}

/// A CSV field: quoted (with doubled quotes) when it holds a comma, a quote or a line break.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The columns of a table for an error message: all of them when they are few, else the
/// (up to 5) closest to `wanted` by edit distance, and how many there are.
pub fn columns_hint(headers: &[String], wanted: &str) -> String {
    const ALL_UP_TO: usize = 12;
    if headers.len() <= ALL_UP_TO {
        return format!("the columns are {}", headers.join(", "));
    }
    format!(
        "the closest of its {} columns are {}",
        headers.len(),
        closest(headers, wanted, 5).join(", ")
    )
}

/// The (up to `n`) names of `candidates` closest to `wanted` by edit distance, ignoring case.
pub fn closest(candidates: &[String], wanted: &str, n: usize) -> Vec<String> {
    let mut ranked: Vec<(usize, &String)> = candidates
        .iter()
        .map(|c| (edit_distance(&c.to_lowercase(), &wanted.to_lowercase()), c))
        .collect();
    ranked.sort();
    ranked.into_iter().take(n).map(|(_, c)| c.clone()).collect()
}

/// Levenshtein distance between two short strings (column names).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// A number as radaudit writes it: the shortest decimal that reads back to the same f64 (ryu),
/// in exponent form when very small or large (1e-300, not 300 zeros); `nan` for NaN.
pub fn format_number(v: f64) -> String {
    let mut buffer = ryu::Buffer::new();
    write_number(&mut buffer, v).to_string()
}

/// A number for people to read (messages, not tables): at most `decimals` decimals, trailing
/// zeros dropped, never `-0` (a float32 spacing of 0.7 reads `0.7`, a tilt of -0.01 deg at one
/// decimal reads `0`).
pub fn format_short(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    if s == "-0" { "0".into() } else { s.into() }
}

/// `format_number` into a reusable buffer (no allocation), for large tables.
pub fn write_number(buffer: &mut ryu::Buffer, v: f64) -> &str {
    if v.is_nan() {
        return "nan";
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" };
    }
    let text = buffer.format_finite(v);
    // ryu writes integral values as "5.0"; "5" reads the same and is what people expect.
    text.strip_suffix(".0").unwrap_or(text)
}

/// Writes rows as CSV text (header first), quoting where needed.
pub fn to_csv(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let _ = w.write_record(headers);
        for r in rows {
            let _ = w.write_record(r);
        }
        let _ = w.flush();
    }
    String::from_utf8(out).unwrap_or_default()
}
