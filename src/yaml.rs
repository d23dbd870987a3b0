//! YAML (and JSON) documents as radaudit reads them: parsing into a typed structure with errors
//! that name the file and the offending key's path (`perturbations[1].sd`), the key-path
//! error itself for checks made after parsing, and paths written in a document resolved
//! against the document's folder.
//!
//! Every file a user writes by hand goes through here: audit and comparison protocols, claims
//! files, phantom definitions and parameter files. This module knows no schema; the callers
//! own their types.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result, first_line};

/// An error about the key at `key` (a YAML path such as `stability.acceptance.threshold`).
pub fn error_at(path: &Path, key: &str, problem: impl std::fmt::Display) -> Error {
    Error::input(path, format!("{key}: {problem}"))
}

/// The YAML path serde_path_to_error reports, ending in an unknown field's own name (which
/// the path already holds in current versions; it is appended only where it does not).
fn key_path(path: &serde_path_to_error::Path, message: &str) -> String {
    key_path_text(&path.to_string(), message)
}

fn key_path_text(base: &str, message: &str) -> String {
    let base = if base == "." { "" } else { base };
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some(name) = rest.split('`').next()
    {
        if base == name || base.ends_with(&format!(".{name}")) {
            return base.to_string();
        }
        return if base.is_empty() {
            name.to_string()
        } else {
            format!("{base}.{name}")
        };
    }
    if base.is_empty() {
        "(top level)".into()
    } else {
        base.to_string()
    }
}

/// Resolves `p`, written in the document at `document`, against the document's folder.
pub fn resolve(document: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        document.parent().unwrap_or(Path::new(".")).join(p)
    }
}

/// Parses YAML text into `T`, with errors that name `path` and the offending key's YAML
/// path (an unknown key, a wrong type).
pub fn parse<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T> {
    // YAML 1.2 booleans only: a column named `y`, `n`, `on` or `off` stays a string.
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    let value: Value = serde_saphyr::from_str_with_options(text, options)
        .map_err(|e| Error::input(path, format!("invalid YAML: {}", first_line(&e))))?;
    serde_path_to_error::deserialize(&value).map_err(|e| {
        let message = e.inner().to_string();
        error_at(path, &key_path(e.path(), &message), message)
    })
}

/// Reads a file and parses it as [`parse`] does.
pub fn read<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = read_text(path)?;
    parse(path, &text)
}

/// The largest settings document read (protocols, parameter files, phantom and claims
/// definitions): a few KB in practice; `/dev/zero` or a CT mistaken for one would otherwise be
/// read whole.
pub const MAX_DOCUMENT_BYTES: u64 = 16 << 20;

/// Reads a settings document's text, refusing one over [`MAX_DOCUMENT_BYTES`] or not UTF-8
/// (the error names the file, never echoes its content).
pub fn read_text(path: &Path) -> Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| {
        Error::input(
            path,
            if e.kind() == std::io::ErrorKind::NotFound {
                "no such file".to_string()
            } else {
                format!("cannot read: {e}")
            },
        )
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_DOCUMENT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::input(path, format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(Error::input(
            path,
            format!(
                "over {} MB: not a settings document (YAML or JSON)",
                MAX_DOCUMENT_BYTES >> 20
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        Error::input(
            path,
            "not text (UTF-8): not a settings document (YAML or JSON)",
        )
    })
}

/// Reads a parameter file's document untyped (YAML, or JSON when it ends in `.json`).
pub fn read_document(path: &Path) -> Result<Value> {
    let text = read_text(path)?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        serde_json::from_str(&text).map_err(|e| Error::input(path, format!("invalid JSON: {e}")))
    } else {
        serde_saphyr::from_str(&text)
            .map_err(|e| Error::input(path, format!("invalid YAML: {}", first_line(&e))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_key_is_named_once() {
        let unknown = "unknown field `sd`, expected `axis` or `levels`";
        assert_eq!(
            key_path_text("perturbations[1].sd", unknown),
            "perturbations[1].sd"
        );
        assert_eq!(
            key_path_text("perturbations[1]", unknown),
            "perturbations[1].sd"
        );
        assert_eq!(key_path_text("sd", unknown), "sd");
        assert_eq!(key_path_text(".", unknown), "sd");
        assert_eq!(key_path_text("seed", "invalid type"), "seed");
        assert_eq!(key_path_text(".", "invalid type"), "(top level)");
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Axis {
        axis: String,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        perturbations: Vec<Axis>,
    }

    #[test]
    fn a_parse_error_names_the_yaml_path_of_the_unknown_key() {
        let e = parse::<Doc>(
            Path::new("p.yaml"),
            "perturbations:\n  - axis: a\n  - axis: b\n    sd: 3\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("p.yaml: perturbations[1].sd: unknown field `sd`"),
            "{e}"
        );
    }
}
