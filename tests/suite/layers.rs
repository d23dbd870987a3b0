//! The layering of `src/`: every `crate::` path a module writes points to its own layer or a
//! lower one of `radaudit::LAYERS`, the top-level modules import each other in no cycle, and
//! the two feature engines depend on neither the convention switch above them nor (for the
//! PyRadiomics engine) on each other. Comments are not code and are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// One `crate::a::b` path written in a file: its file, line, and first two segments.
#[derive(Debug)]
struct Import {
    file: String,
    line: usize,
    first: String,
    second: Option<String>,
}

/// The segment after `crate::` (or after it and `::`), as written.
fn segment(text: &str) -> Option<String> {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    (end > 0).then(|| text[..end].to_string())
}

/// Every `crate::` path in the code of `text` (outside `//` comments).
fn imports(file: &str, text: &str) -> Vec<Import> {
    let mut found = Vec::new();
    for (k, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            // `use crate::{a, b}` would hide its targets; the tree has none, and this says so.
            assert!(
                !after.starts_with('{'),
                "{file}:{}: write one `use crate::` per module",
                k + 1
            );
            if let Some(first) = segment(after) {
                let second = after[first.len()..].strip_prefix("::").and_then(segment);
                found.push(Import {
                    file: file.to_string(),
                    line: k + 1,
                    first,
                    second,
                });
            }
            rest = after;
        }
    }
    found
}

/// The top-level module of a file below `src/` (`audit` for `audit/plan.rs`).
fn top_module(relative: &Path) -> String {
    let first = relative.components().next().unwrap();
    let name = first.as_os_str().to_string_lossy();
    name.trim_end_matches(".rs").to_string()
}

#[test]
fn no_module_imports_a_higher_layer_or_forms_a_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layer_of: BTreeMap<&str, usize> = radaudit::LAYERS
        .iter()
        .enumerate()
        .flat_map(|(i, modules)| modules.iter().map(move |m| (*m, i)))
        .collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut violations = Vec::new();
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    let mut seen_modules = BTreeSet::new();
    for path in &files {
        let relative = path.strip_prefix(&src).unwrap();
        if relative == Path::new("main.rs") || relative == Path::new("lib.rs") {
            continue;
        }
        let from = top_module(relative);
        let Some(&from_layer) = layer_of.get(from.as_str()) else {
            violations.push(format!(
                "{}: module {from} is in no layer",
                relative.display()
            ));
            continue;
        };
        seen_modules.insert(from.clone());
        let text = std::fs::read_to_string(path).unwrap();
        let name = relative.display().to_string();
        for i in imports(&name, &text) {
            // The crate root's re-exports (`crate::Error`, `crate::Result`) are the ground's.
            if i.first == "Error" || i.first == "Result" {
                continue;
            }
            let Some(&to_layer) = layer_of.get(i.first.as_str()) else {
                violations.push(format!(
                    "{}:{}: crate::{} is in no layer",
                    i.file, i.line, i.first
                ));
                continue;
            };
            if to_layer > from_layer {
                violations.push(format!(
                    "{}:{}: {from} (layer {from_layer}) imports {} (layer {to_layer})",
                    i.file, i.line, i.first
                ));
            }
            if i.first != from {
                edges.insert((from.clone(), i.first.clone()));
            }
            // Inside the engines layer: each engine stands on `features::value` only, and
            // the PyRadiomics engine knows nothing of the IBSI one.
            let engine = if name.starts_with("features/pyradiomics/") {
                Some(&["pyradiomics", "value"][..])
            } else if name.starts_with("features/ibsi/") {
                Some(&["ibsi", "pyradiomics", "value"][..])
            } else {
                None
            };
            if let Some(allowed) = engine
                && i.first == "features"
                && !i.second.as_deref().is_some_and(|s| allowed.contains(&s))
            {
                violations.push(format!(
                    "{}:{}: an engine imports crate::features::{} (allowed: {allowed:?})",
                    i.file,
                    i.line,
                    i.second.as_deref().unwrap_or("")
                ));
            }
        }
    }
    // Every module of the layer table exists, and the table has every module.
    let listed: BTreeSet<String> = layer_of.keys().map(|s| s.to_string()).collect();
    assert_eq!(
        listed, seen_modules,
        "LAYERS and src/ list different modules"
    );
    // No cycle: a module reaches itself through no chain of imports.
    let reach = |start: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![start.to_string()];
        while let Some(m) = todo.pop() {
            for (a, b) in &edges {
                if *a == m && seen.insert(b.clone()) {
                    todo.push(b.clone());
                }
            }
        }
        seen
    };
    for m in &seen_modules {
        if reach(m).contains(m) {
            violations.push(format!("{m} is part of an import cycle"));
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
    // The check itself sees imports: the audit uses the volume layer.
    assert!(edges.contains(&("audit".to_string(), "volume".to_string())));
}

#[test]
fn the_checker_finds_an_upward_import_and_a_grouped_one() {
    let found = imports(
        "x.rs",
        "use crate::report::audit; // crate::commands\nlet a = 1;",
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].first, "report");
    assert_eq!(found[0].second.as_deref(), Some("audit"));
    let grouped = std::panic::catch_unwind(|| imports("y.rs", "use crate::{a, b};"));
    assert!(grouped.is_err());
}
