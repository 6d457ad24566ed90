//! Error entries from CSV: the console's own columns or the column names of
//! common exports (F&O's `DualWriteErrorLog` and catch-up error grids,
//! Dataverse plug-in trace logs, Power Automate and Excel sheets), found by
//! name, or an explicit `field=Column name` mapping. Every row is checked
//! before anything is stored; problems are reported with their spreadsheet
//! row number (the header is row 1).

use super::server::{RawEntry, ValidEntry, check_entry, parse_export_time};
use std::collections::HashMap;

/// The console's fields and the column names that mean them, lower case.
/// The first name is the console's own.
const ALIASES: &[(&str, &[&str])] = &[
    ("id", &["id", "entry id", "error id", "client id"]),
    (
        "occurred_at",
        &[
            "occurred_at",
            "occurred at",
            "timestamp",
            "created on",
            "createdon",
            "logdatetime",
            "log date time",
            "date/time",
            "datetime",
            "date",
            "time",
            "error time",
        ],
    ),
    (
        "map",
        &[
            "map",
            "table map",
            "map name",
            "project name",
            "projectname",
        ],
    ),
    ("direction", &["direction", "sync direction"]),
    (
        "record_key",
        &[
            "record_key",
            "record key",
            "integration key",
            "integrationkey",
            "key",
            "record id",
            "recordid",
        ],
    ),
    (
        "legal_entity",
        &[
            "legal_entity",
            "legal entity",
            "company",
            "dataareaid",
            "data area id",
        ],
    ),
    (
        "message",
        &[
            "message",
            "error message",
            "errormessage",
            "error",
            "error description",
            "description",
            "exceptiondetails",
            "exception details",
        ],
    ),
    (
        "detail",
        &[
            "detail",
            "details",
            "verbose error",
            "verboseerror",
            "messageblock",
            "message block",
            "raw",
        ],
    ),
];

/// The console's field names, for messages.
pub fn fields() -> Vec<&'static str> {
    ALIASES.iter().map(|(f, _)| *f).collect()
}

/// Parses `field=Column name, field=Column name` (the page's and the
/// command's explicit mapping).
pub fn parse_mapping(text: &str) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for part in text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (field, column) = part
            .split_once('=')
            .ok_or_else(|| format!("'{part}' needs the form field=Column name."))?;
        let field = field.trim().to_ascii_lowercase();
        if !ALIASES.iter().any(|(f, _)| *f == field) {
            return Err(format!(
                "'{field}' is not a field of an error entry; the fields are {}.",
                fields().join(", ")
            ));
        }
        out.insert(field, column.trim().to_lowercase());
    }
    Ok(out)
}

/// Decides which column feeds which field. `Err` says what is missing.
fn columns(
    headers: &[String],
    mapping: &HashMap<String, String>,
) -> Result<HashMap<&'static str, usize>, String> {
    let mut out = HashMap::new();
    for (field, names) in ALIASES {
        let found = match mapping.get(*field) {
            Some(column) => Some(headers.iter().position(|h| h == column).ok_or_else(|| {
                format!("The mapping names the column '{column}' for {field}, but the CSV has no such column.")
            })?),
            None => names
                .iter()
                .find_map(|n| headers.iter().position(|h| h == n)),
        };
        if let Some(i) = found {
            out.insert(*field, i);
        }
    }
    for required in ["message", "occurred_at"] {
        if !out.contains_key(required) {
            return Err(format!(
                "No column gives the {required}. Name it '{required}' (or e.g. {}), or map it: {required}=Your column.",
                ALIASES
                    .iter()
                    .find(|(f, _)| *f == required)
                    .map(|(_, n)| n[1..4].join(", "))
                    .unwrap_or_default()
            ));
        }
    }
    Ok(out)
}

/// At most this many problems are listed; the rest are counted.
const MAX_LISTED: usize = 50;

/// Parses and checks a whole CSV of error entries. `maps` are the
/// environment's map names. `progress` is told how many rows are done.
/// `Err` lists every problem with its row number; nothing is kept then.
pub fn parse_errors_csv(
    text: &str,
    mapping: &HashMap<String, String>,
    maps: &HashMap<String, i64>,
    mut progress: impl FnMut(usize),
) -> Result<Vec<ValidEntry>, String> {
    let text = text.trim_start_matches('\u{feff}');
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else if first_line.contains('\t') {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::Headers)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("The CSV header row could not be read: {e}."))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err("The CSV is empty; the first row names the columns.".into());
    }
    crate::csv_cell::refuse_duplicate_headers(&headers)?;
    let cols = columns(&headers, mapping)?;
    let mut problems: Vec<String> = Vec::new();
    let mut out: Vec<ValidEntry> = Vec::new();
    // Row number of each client id seen, so a repeat inside the file is
    // reported as such, not later as "already imported".
    let mut ids: HashMap<String, usize> = HashMap::new();
    for (i, row) in reader.records().enumerate() {
        let n = i + 2;
        if i % 1000 == 0 {
            progress(i);
        }
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("Row {n}: {e}."));
                continue;
            }
        };
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if row.len() != headers.len() {
            problems.push(format!(
                "Row {n}: {} cells, but the header has {} columns.",
                row.len(),
                headers.len()
            ));
            continue;
        }
        let get = |f: &str| {
            cols.get(f)
                .and_then(|i| row.get(*i))
                .map(str::to_string)
                .filter(|v| !v.trim().is_empty())
        };
        // Exports write local-looking times; they are taken as UTC and
        // turned into RFC 3339 before the common check.
        let occurred_at = match get("occurred_at").map(|v| parse_export_time(&v)) {
            Some(Ok(t)) => Some(crate::db::db_time(t)),
            Some(Err(e)) => {
                problems.push(format!("Row {n}: occurred_at {e}"));
                continue;
            }
            None => None,
        };
        let raw = RawEntry {
            id: get("id"),
            occurred_at,
            map: get("map"),
            direction: get("direction"),
            record_key: get("record_key"),
            legal_entity: get("legal_entity"),
            message: get("message"),
            detail: get("detail").and_then(|d| serde_json::value::to_raw_value(&d).ok()),
        };
        match check_entry(raw, maps) {
            Ok(e) => match ids.get(&e.client_id) {
                Some(first) if e.client_id.starts_with("sha256:") => problems.push(format!(
                    "Row {n}: the same entry as row {first} (every cell equal); remove one."
                )),
                Some(first) => problems.push(format!(
                    "Row {n}: id '{}' is used by row {first} too; ids must be unique.",
                    e.client_id
                )),
                None => {
                    ids.insert(e.client_id.clone(), n);
                    out.push(e);
                }
            },
            Err(reason) => problems.push(format!("Row {n}: {reason}")),
        }
    }
    if !problems.is_empty() {
        let total = problems.len();
        let mut msg = format!(
            "{total} row{} with problems; nothing was imported. Fix {} and import the file again:",
            if total == 1 { "" } else { "s" },
            if total == 1 { "it" } else { "them" }
        );
        for p in problems.iter().take(MAX_LISTED) {
            msg.push_str("\n• ");
            msg.push_str(p);
        }
        if total > MAX_LISTED {
            msg.push_str(&format!("\n… and {} more.", total - MAX_LISTED));
        }
        return Err(msg);
    }
    if out.is_empty() {
        return Err("The CSV has a header but no entries.".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maps() -> HashMap<String, i64> {
        HashMap::from([("Customers V3".to_string(), 1)])
    }

    #[test]
    fn the_consoles_own_columns_import() {
        let csv = "occurred_at,map,direction,record_key,legal_entity,message,detail\n\
                   2026-11-20T08:15:00Z,Customers V3,fo_to_dataverse,US-001,usmf,Integration keys are missing,\"{\"\"a\"\":1}\"\n";
        let rows = parse_errors_csv(csv, &HashMap::new(), &maps(), |_| {}).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].map_id, Some(1));
        assert_eq!(rows[0].legal_entity, "USMF");
        assert_eq!(rows[0].detail.as_deref(), Some("{\"a\":1}"));
        assert!(rows[0].client_id.starts_with("sha256:"));
    }

    #[test]
    fn export_layouts_are_recognised_by_their_column_names() {
        let csv = "Created On;Project name;Integration key;Company;Error message\n\
                   2026-11-20 08:15:00;Customers V3;US-001;USMF;Couldn't resolve the guid for the field\n";
        let rows = parse_errors_csv(csv, &HashMap::new(), &maps(), |_| {}).unwrap();
        assert_eq!(rows[0].record_key, "US-001");
        assert_eq!(rows[0].occurred_at, "2026-11-20T08:15:00.000Z");
    }

    #[test]
    fn an_explicit_mapping_wins_and_unknown_fields_are_named() {
        let csv = "When,What\n2026-11-20,Boom\n";
        let mapping = parse_mapping("occurred_at=When, message=What").unwrap();
        assert_eq!(
            parse_errors_csv(csv, &mapping, &maps(), |_| {}).unwrap()[0].message,
            "Boom"
        );
        assert!(
            parse_mapping("colour=When")
                .unwrap_err()
                .contains("not a field")
        );
        let missing = parse_errors_csv(csv, &HashMap::new(), &maps(), |_| {}).unwrap_err();
        assert!(missing.contains("No column gives the message"), "{missing}");
    }

    #[test]
    fn a_duplicate_header_is_refused_by_name() {
        let csv = "occurred_at,message,Message\n2026-11-20T08:15:00Z,a,b\n";
        let err = parse_errors_csv(csv, &HashMap::new(), &maps(), |_| {}).unwrap_err();
        assert!(
            err.contains("'message'") && err.contains("columns 2 and 3"),
            "{err}"
        );
    }

    #[test]
    fn a_repeated_id_inside_the_file_names_both_rows() {
        let csv = "id,occurred_at,message\n\
                   a-1,2026-11-20T08:15:00Z,one\n\
                   a-1,2026-11-20T08:16:00Z,two\n";
        let err = parse_errors_csv(csv, &HashMap::new(), &maps(), |_| {}).unwrap_err();
        assert!(
            err.contains("Row 3: id 'a-1' is used by row 2 too"),
            "{err}"
        );
    }

    #[test]
    fn export_times_are_taken_as_utc_but_placeholders_are_refused() {
        let csv = "occurred_at,message\n11/20/2026 08:15:00,one\n0001-01-01,two\n";
        let err = parse_errors_csv(csv, &HashMap::new(), &maps(), |_| {}).unwrap_err();
        assert!(
            err.contains("Row 3: occurred_at '0001-01-01' is before 2000-01-01"),
            "{err}"
        );
        assert!(!err.contains("Row 2"), "{err}");
    }

    #[test]
    fn bad_rows_are_all_listed_by_row_number_and_nothing_is_kept() {
        let csv = "occurred_at,map,message\n\
                   2026-11-20T08:15:00Z,Customers V3,fine\n\
                   yesterday,Customers V3,bad time\n\
                   2026-11-20T08:15:00Z,Vendors,unknown map\n\
                   2026-11-20T08:15:00Z,Customers V3,\n";
        let err = parse_errors_csv(csv, &HashMap::new(), &maps(), |_| {}).unwrap_err();
        assert!(
            err.starts_with("3 rows with problems; nothing was imported"),
            "{err}"
        );
        assert!(
            err.contains("Row 3: occurred_at 'yesterday' is not a date-time"),
            "{err}"
        );
        assert!(
            err.contains("Row 4: map 'Vendors' is not a table map"),
            "{err}"
        );
        assert!(err.contains("Row 5: message is required"), "{err}");
    }
}
