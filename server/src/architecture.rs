//! Checks of the code's shape that keep `docs/ARCHITECTURE.md` true, run
//! with the unit tests:
//! - each table is named in SQL (`from`, `join`, `into`, `update`) by one
//!   feature folder only, its owner, apart from the reads listed in
//!   [`SHARED`];
//! - the feature folders of `app` do not import each other in a circle.
//!
//! Both read the source as text, as `../shared/tools/table-owners` does:
//! test modules (from the first `#[cfg(test)]` of a file on), `bin/` and
//! benchmark helpers are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Tables read by a folder other than their owner on purpose, with the
/// folder. None today: the search index, which once read the rule book's
/// tables to rebuild itself, is handed documents by their owners.
const SHARED: &[(&str, &str)] = &[];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// (feature folder, source without its tests) of every production file.
fn sources() -> Vec<(String, String)> {
    let root = root();
    let mut out = Vec::new();
    for krate in ["app/src", "server/src"] {
        let mut files = Vec::new();
        rust_files(&root.join(krate), &mut files);
        for f in files {
            let rel = f.strip_prefix(root.join(krate)).expect("under the crate");
            let rel_text = rel.to_string_lossy().to_string();
            if rel_text.starts_with("bin/") || rel_text.contains("bench") {
                continue;
            }
            let first = rel_text
                .split('/')
                .next()
                .unwrap_or_default()
                .trim_end_matches(".rs");
            let text = std::fs::read_to_string(&f).expect("a source file");
            let body = text.split("#[cfg(test)]").next().unwrap_or_default();
            out.push((format!("{krate}/{first}"), body.to_string()));
        }
    }
    out
}

/// The tables the migrations create.
fn tables() -> BTreeSet<String> {
    let re = regex::Regex::new(
        r"(?i)create\s+(?:virtual\s+)?table\s+(?:if\s+not\s+exists\s+)?([a-z_0-9]+)",
    )
    .expect("a valid pattern");
    let mut out = BTreeSet::new();
    // SQLite's migrations; `migrations/postgres/` creates the same tables.
    for entry in std::fs::read_dir(root().join("migrations")).expect("migrations") {
        let path = entry.expect("an entry").path();
        if path.extension().is_none_or(|e| e != "sql") {
            continue;
        }
        let text = std::fs::read_to_string(path).expect("a migration");
        for c in re.captures_iter(&text) {
            out.insert(c[1].to_ascii_lowercase());
        }
    }
    out
}

#[test]
fn each_table_has_one_owner() {
    let sources = sources();
    let mut problems = Vec::new();
    let tables = tables();
    assert!(tables.len() > 20, "the migrations were read: {tables:?}");
    for table in &tables {
        let re = regex::Regex::new(&format!(r"(?i)\b(from|join|into|update)\s+{table}\b"))
            .expect("a valid pattern");
        let folders: BTreeSet<&str> = sources
            .iter()
            .filter(|(_, body)| re.is_match(body))
            .map(|(folder, _)| folder.as_str())
            .filter(|folder| !SHARED.contains(&(table.as_str(), *folder)))
            .collect();
        if folders.len() > 1 {
            problems.push(format!("{table}: {folders:?}"));
        }
    }
    assert!(
        problems.is_empty(),
        "tables named in SQL by more than one feature folder (move the queries to the owner's store, or explain a shared read in SHARED and docs/ARCHITECTURE.md):\n{}",
        problems.join("\n")
    );
}

#[test]
fn app_features_do_not_import_each_other_in_a_circle() {
    let sources = sources();
    let features: BTreeSet<String> = sources
        .iter()
        .filter_map(|(f, _)| f.strip_prefix("app/src/").map(str::to_string))
        .filter(|f| f != "lib")
        .collect();
    let re = regex::Regex::new(r"crate::([a-z_]+)").expect("a valid pattern");
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (folder, body) in &sources {
        let Some(me) = folder.strip_prefix("app/src/") else {
            continue;
        };
        for c in re.captures_iter(body) {
            let to = &c[1];
            if to != me && features.contains(to) {
                deps.entry(me.to_string())
                    .or_default()
                    .insert(to.to_string());
            }
        }
    }
    // Depth-first search for a path back to where it started.
    fn path_back(
        deps: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        at: &str,
        seen: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> bool {
        for next in deps.get(at).into_iter().flatten() {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if path_back(deps, start, next, seen, path) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    for start in deps.keys() {
        let mut path = vec![start.clone()];
        if path_back(&deps, start, start, &mut BTreeSet::new(), &mut path) {
            panic!(
                "app features import each other in a circle: {}",
                path.join(" → ")
            );
        }
    }
}
