//! ROI labels by name: `--label vertebrae_T12` resolved to a label number through a label
//! table, TotalSegmentator's `total` task (v2, or v1 whose numbers differ) built in from
//! `data/labels/` (see its SOURCE.md), or a user's CSV of `id,name` rows; or to a file of a
//! folder of per-structure masks (TotalSegmentator's default output).

use std::path::Path;

use crate::error::{Error, Result};

/// TotalSegmentator v2's `total` task: (label, name) rows after a header.
const TOTALSEGMENTATOR_V2: &str = include_str!("../../data/labels/totalsegmentator_v2_total.csv");
/// TotalSegmentator v1's `total` task.
const TOTALSEGMENTATOR_V1: &str = include_str!("../../data/labels/totalsegmentator_v1_total.csv");

/// A label table: its name (for messages) and its (number, name) rows.
#[derive(Debug, Clone)]
pub struct LabelTable {
    /// What messages call it: the built-in table's name or the CSV's path.
    pub name: String,
    /// (label number, structure name), in the table's order.
    pub rows: Vec<(u16, String)>,
}

impl LabelTable {
    /// `totalsegmentator` (= `totalsegmentator-v2`), `totalsegmentator-v1`, or the path of a
    /// CSV whose rows are `id,name` (a header row is skipped when its first cell is not a
    /// number).
    pub fn load(spec: &str) -> Result<LabelTable> {
        let (name, text) = match spec {
            "totalsegmentator" | "totalsegmentator-v2" => (
                "TotalSegmentator v2 (total)".to_string(),
                TOTALSEGMENTATOR_V2.to_string(),
            ),
            "totalsegmentator-v1" => (
                "TotalSegmentator v1 (total)".to_string(),
                TOTALSEGMENTATOR_V1.to_string(),
            ),
            path => {
                let path = Path::new(path);
                let text = crate::yaml::read_text(path)?;
                (path.display().to_string(), text)
            }
        };
        let mut rows = Vec::new();
        for (k, line) in text.lines().enumerate() {
            let line = line.trim_start_matches('\u{feff}').trim();
            if line.is_empty() {
                continue;
            }
            let (id, label_name) = line.split_once(',').unwrap_or((line, ""));
            match id.trim().parse::<u16>() {
                Ok(0) | Err(_) if k == 0 => continue, // the header
                Ok(id) if id > 0 && !label_name.trim().is_empty() => {
                    rows.push((id, label_name.trim().trim_matches('"').to_string()));
                }
                _ => {
                    return Err(Error::input(
                        Path::new(&name),
                        format!(
                            "row {}: expected `id,name` with an id from 1 to 65535, got {}",
                            k + 1,
                            crate::table::shown(line)
                        ),
                    ));
                }
            }
        }
        if rows.is_empty() {
            return Err(Error::input(Path::new(&name), "no `id,name` rows"));
        }
        Ok(LabelTable { name, rows })
    }
}

/// A folder of one binary mask per structure, as TotalSegmentator writes by default
/// (`vertebrae_L1.nii.gz`, ...): its structures, by file name without the extension, sorted;
/// structure k (from 1) is the k-th.
#[derive(Debug, Clone)]
pub struct StructureFolder {
    /// The folder.
    pub path: std::path::PathBuf,
    /// (name, file), sorted by name.
    pub files: Vec<(String, std::path::PathBuf)>,
}

impl StructureFolder {
    /// The folder at `path` when it holds NIfTI files (`.nii.gz`, `.nii`); None otherwise (a
    /// DICOM series, a file).
    pub fn open(path: &Path) -> Option<StructureFolder> {
        if !path.is_dir() {
            return None;
        }
        let mut files: Vec<(String, std::path::PathBuf)> = std::fs::read_dir(path)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter_map(|p| {
                let name = p.file_name()?.to_str()?.to_string();
                let stem = name
                    .strip_suffix(".nii.gz")
                    .or_else(|| name.strip_suffix(".nii"))?;
                Some((stem.to_string(), p.clone()))
            })
            .collect();
        files.sort();
        (!files.is_empty()).then(|| StructureFolder {
            path: path.to_path_buf(),
            files,
        })
    }

    /// The structures as a label table: (position from 1, name).
    pub fn label_table(&self) -> LabelTable {
        LabelTable {
            name: self.path.display().to_string(),
            rows: self
                .files
                .iter()
                .enumerate()
                .filter_map(|(k, (name, _))| Some((u16::try_from(k + 1).ok()?, name.clone())))
                .collect(),
        }
    }
}

/// A label as a user writes it: a number, or a structure name to look up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelRef {
    /// A label number, 1 to 65535.
    Number(u16),
    /// A structure name (a label table's, an RTSTRUCT ROI's, a SEG segment's).
    Name(String),
}

impl LabelRef {
    /// A number from 1 to 65535, else a (non-empty) name.
    pub fn parse(text: &str) -> std::result::Result<LabelRef, String> {
        let text = text.trim();
        if let Ok(n) = text.parse::<u64>() {
            return u16::try_from(n)
                .ok()
                .filter(|n| *n > 0)
                .map(LabelRef::Number)
                .ok_or_else(|| format!("label {n}: a label is a number from 1 to 65535"));
        }
        if text.is_empty() {
            return Err("the label is empty".into());
        }
        Ok(LabelRef::Name(text.to_string()))
    }
}

impl std::fmt::Display for LabelRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LabelRef::Number(n) => write!(f, "{n}"),
            LabelRef::Name(name) => write!(f, "{name}"),
        }
    }
}

/// The label number `label` means: a number from 1 to 65535 as it is, or a name looked up in
/// `table`. An unknown name is refused with the closest names of the table.
pub fn resolve(label: &str, table: Option<&LabelTable>) -> Result<u16> {
    if let Ok(n) = label.trim().parse::<u32>() {
        return u16::try_from(n).ok().filter(|n| *n > 0).ok_or_else(|| {
            Error::Usage(format!("--label {n}: a label is a number from 1 to 65535"))
        });
    }
    let Some(table) = table else {
        return Err(Error::Usage(format!(
            "--label {label}: a name needs --label-table (totalsegmentator, totalsegmentator-v1 \
             or a CSV of id,name)"
        )));
    };
    if let Some((id, _)) = table.rows.iter().find(|(_, n)| n == label) {
        return Ok(*id);
    }
    let names: Vec<String> = table.rows.iter().map(|(_, n)| n.clone()).collect();
    Err(Error::Usage(format!(
        "--label {label}: no such structure in {}; the closest names are {}",
        table.name,
        crate::table::closest(&names, label, 5).join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vertebrae's numbers differ between the versions (TotalSegmentator's class maps).
    #[test]
    fn names_resolve_per_version_and_unknown_ones_name_the_closest() {
        let v2 = LabelTable::load("totalsegmentator").unwrap();
        let v1 = LabelTable::load("totalsegmentator-v1").unwrap();
        assert_eq!(resolve("vertebrae_T12", Some(&v2)).unwrap(), 32);
        assert_eq!(resolve("vertebrae_T12", Some(&v1)).unwrap(), 23);
        assert_eq!(resolve("vertebrae_L1", Some(&v2)).unwrap(), 31);
        assert_eq!(resolve("7", None).unwrap(), 7);
        let e = resolve("vertebra_T12", Some(&v2)).unwrap_err().to_string();
        assert!(e.contains("the closest names are vertebrae_T12"), "{e}");
        assert!(
            resolve("vertebrae_T12", None)
                .unwrap_err()
                .to_string()
                .contains("--label-table")
        );
        assert!(resolve("70000", None).is_err() && resolve("0", None).is_err());
    }
}
