//! Moving the rule book in and out of the console: table maps (with their
//! field mappings) as one JSON document per environment, and the field
//! mappings of one map as CSV for spreadsheet work. Imports are checked in
//! full before anything is written; every problem is reported with its map,
//! field or row, and one problem means nothing is imported.

use super::{FieldContent, FieldDirection, Transform, ValueType, validate_field_pairs};
use crate::csv_cell::Problems;
use crate::maps::{Direction, InitialSync, MapContent, MapState, Side, validate_map};
use serde::{Deserialize, Serialize};

/// The `format` tag of a maps document.
pub const FORMAT: &str = "dwconsole.maps";
/// The document version this console writes and reads.
pub const VERSION: u32 = 1;

/// A maps document: the maps of one environment with their field mappings.
/// Conflict rules are decisions of one environment's team and stay out of
/// it; the Markdown rule book carries them.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapsDocument {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// The environment it came from (informational).
    #[serde(default)]
    pub environment: String,
    /// When it was written (informational).
    #[serde(default)]
    pub exported_at: String,
    /// The maps, each checked on its own so errors can name it.
    pub maps: Vec<serde_json::Value>,
}

/// One map in a maps document; choices use their stored names.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapRecord {
    /// Map name.
    pub name: String,
    /// F&O data entity.
    pub fo_entity: String,
    /// Dataverse table.
    pub dataverse_table: String,
    /// bidirectional, `fo_to_dataverse`, `dataverse_to_fo` or `not_synced`.
    pub direction: String,
    /// Why not synced.
    #[serde(default)]
    pub not_synced_reason: String,
    /// fo, dataverse or none.
    pub master_side: String,
    /// F&O key fields, comma-separated.
    #[serde(default)]
    pub fo_keys: String,
    /// Dataverse key columns, comma-separated.
    #[serde(default)]
    pub dataverse_keys: String,
    /// `dual_write`, `dmf_then_delta`, `snapshot_reconcile` or skip.
    pub initial_sync: String,
    /// Expected records.
    #[serde(default)]
    pub expected_records: Option<i64>,
    /// `not_running`, running, paused or stopped.
    pub state: String,
    /// Tags, comma-separated.
    #[serde(default)]
    pub tags: String,
    /// Notes (Markdown).
    #[serde(default)]
    pub notes: String,
    /// Field mappings.
    #[serde(default)]
    pub fields: Vec<serde_json::Value>,
}

/// One field mapping in a maps document.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldRecord {
    /// F&O field.
    pub fo_field: String,
    /// Dataverse column.
    pub dataverse_column: String,
    /// both, `fo_to_dataverse` or `dataverse_to_fo`.
    pub direction: String,
    /// text, number, date, boolean, enum, lookup or guid.
    pub value_type: String,
    /// none, default or `value_map`.
    #[serde(default = "none")]
    pub transform: String,
    /// Default value.
    #[serde(default)]
    pub default_value: String,
    /// `[F&O value, Dataverse value]` pairs.
    #[serde(default)]
    pub value_map: Vec<(String, String)>,
}

fn none() -> String {
    "none".into()
}

impl From<&FieldContent> for FieldRecord {
    fn from(f: &FieldContent) -> Self {
        FieldRecord {
            fo_field: f.fo_field.clone(),
            dataverse_column: f.dataverse_column.clone(),
            direction: f.direction.as_str().into(),
            value_type: f.value_type.as_str().into(),
            transform: f.transform.as_str().into(),
            default_value: f.default_value.clone(),
            value_map: f.value_map.clone(),
        }
    }
}

/// A map to import with its field mappings, checked.
pub type MapImport = (MapContent, Vec<FieldContent>);

fn stored_names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> String {
    all.iter().map(|v| name(*v)).collect::<Vec<_>>().join(", ")
}

/// What a field of a record may hold, for error messages.
fn choices_of(field: &str, of_map: bool) -> Option<String> {
    Some(match (field, of_map) {
        ("direction", true) => stored_names(Direction::ALL, Direction::as_str),
        ("master_side", _) => stored_names(Side::ALL, Side::as_str),
        ("initial_sync", _) => stored_names(InitialSync::ALL, InitialSync::as_str),
        ("state", _) => stored_names(MapState::ALL, MapState::as_str),
        ("direction", false) => stored_names(FieldDirection::ALL, FieldDirection::as_str),
        ("value_type", _) => stored_names(ValueType::ALL, ValueType::as_str),
        ("transform", _) => stored_names(Transform::ALL, Transform::as_str),
        _ => return None,
    })
}

/// `field: message`, plus the allowed values when the field is a choice.
fn explain((field, message): (&'static str, String), of_map: bool) -> String {
    match choices_of(field, of_map).filter(|_| message.contains("not one of the choices")) {
        Some(choices) => format!("{field}: {message} Use one of: {choices}."),
        None => format!("{field}: {message}"),
    }
}

/// Checks a field record; `Err` is the message without its position.
fn check_field(r: FieldRecord) -> Result<FieldContent, String> {
    validate_field_pairs(
        &r.fo_field,
        &r.dataverse_column,
        &r.direction,
        &r.value_type,
        &r.transform,
        &r.default_value,
        r.value_map,
    )
    .map_err(|e| explain(e, false))
}

/// Parses and checks a whole maps document. `Err` lists every problem,
/// each with the map (by position and name) and field it is about.
pub fn parse_maps_document(text: &str) -> Result<Vec<MapImport>, String> {
    let doc: MapsDocument = serde_json::from_str(text).map_err(|e| {
        format!("The maps document could not be read: {e}. Export one from the console to see the expected shape.")
    })?;
    if doc.format != FORMAT || doc.version != VERSION {
        return Err(format!(
            "This is not a maps document this console reads: expected format \"{FORMAT}\" version {VERSION}, found \"{}\" version {}.",
            doc.format, doc.version
        ));
    }
    if doc.maps.is_empty() {
        return Err("The document has no maps.".into());
    }
    let mut problems = Problems::default();
    let mut out: Vec<MapImport> = Vec::with_capacity(doc.maps.len());
    for (i, value) in doc.maps.into_iter().enumerate() {
        let at = format!("Map {}", i + 1);
        let record: MapRecord = match serde_json::from_value(value) {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("{at}: {e}."));
                continue;
            }
        };
        let at = format!("{at} ('{}')", record.name.trim());
        let content = validate_map(
            &record.name,
            &record.fo_entity,
            &record.dataverse_table,
            &record.direction,
            &record.not_synced_reason,
            &record.master_side,
            &record.fo_keys,
            &record.dataverse_keys,
            &record.initial_sync,
            &record
                .expected_records
                .map(|n| n.to_string())
                .unwrap_or_default(),
            &record.state,
            &record.tags,
            &record.notes,
        );
        let mut fields = Vec::with_capacity(record.fields.len());
        for (j, value) in record.fields.into_iter().enumerate() {
            let field_at = format!("{at}, field {}", j + 1);
            match serde_json::from_value::<FieldRecord>(value) {
                Err(e) => problems.push(format!("{field_at}: {e}.")),
                Ok(r) => match check_field(r) {
                    Err(m) => problems.push(format!("{field_at}: {m}")),
                    Ok(f) if fields.iter().any(|g: &FieldContent| g.label() == f.label()) => {
                        problems.push(format!("{field_at}: {} is listed twice.", f.label()))
                    }
                    Ok(f) => fields.push(f),
                },
            }
        }
        match content {
            Err(e) => problems.push(format!("{at}: {}", explain(e, true))),
            Ok(c) if out.iter().any(|(m, _)| m.name == c.name) => problems.push(format!(
                "{at}: the name is used by another map in the document."
            )),
            Ok(c) => out.push((c, fields)),
        }
    }
    problems.into_result(out, "document")
}

pub use crate::maps::FIELD_CSV_COLUMNS as CSV_COLUMNS;

/// Writes field mappings as CSV. A value map is one cell of
/// `F&O value=Dataverse value` pairs separated by `;`.
pub fn fields_csv(fields: &[FieldContent]) -> String {
    let mut out = crate::csv_cell::record(CSV_COLUMNS.iter().copied());
    for f in fields {
        let value_map = f
            .value_map
            .iter()
            .map(|(a, b)| format!("{a}={b}"))
            .collect::<Vec<_>>()
            .join("; ");
        out.push_str(&crate::csv_cell::record([
            f.fo_field.as_str(),
            &f.dataverse_column,
            f.direction.as_str(),
            f.value_type.as_str(),
            f.transform.as_str(),
            &f.default_value,
            &value_map,
        ]));
    }
    out
}

fn parse_value_map_cell(cell: &str) -> Result<Vec<(String, String)>, String> {
    cell.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.split_once('=')
                .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
                .ok_or_else(|| {
                    format!("value_map: '{p}' needs the form F&O value=Dataverse value; separate pairs with ';'.")
                })
        })
        .collect()
}

/// Parses and checks field mappings from CSV (header row first). Row
/// numbers in errors count the header as row 1, as a spreadsheet does.
pub fn parse_fields_csv(text: &str) -> Result<Vec<FieldContent>, String> {
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("The CSV header row could not be read: {e}."))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(format!(
            "The CSV is empty. The first row names the columns: {}.",
            CSV_COLUMNS.join(",")
        ));
    }
    let mut problems = Problems::default();
    for h in &headers {
        if !CSV_COLUMNS.contains(&h.as_str()) {
            problems.push(format!(
                "Row 1: unknown column '{h}'. The columns are: {}.",
                CSV_COLUMNS.join(", ")
            ));
        }
    }
    for required in ["fo_field", "dataverse_column"] {
        if !headers.iter().any(|h| h == required) {
            problems.push(format!("Row 1: the column '{required}' is missing."));
        }
    }
    if let Err(e) = crate::csv_cell::refuse_duplicate_headers(&headers) {
        problems.push(format!("Row 1: {e}"));
    }
    let problems = problems.into_result((), "CSV");
    problems?;
    let col = |row: &csv::StringRecord, name: &str, default: &str| -> String {
        headers
            .iter()
            .position(|h| h == name)
            .and_then(|i| row.get(i))
            .map(crate::csv_cell::restore)
            .unwrap_or(default)
            .to_string()
    };
    let mut problems = Problems::default();
    let mut out: Vec<FieldContent> = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let n = i + 2;
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("Row {n}: {e}."));
                continue;
            }
        };
        if row.iter().all(str::is_empty) {
            continue;
        }
        let at = format!(
            "Row {n} ({} ↔ {})",
            col(&row, "fo_field", ""),
            col(&row, "dataverse_column", "")
        );
        let value_map = match parse_value_map_cell(&col(&row, "value_map", "")) {
            Ok(v) => v,
            Err(m) => {
                problems.push(format!("{at}: {m}"));
                continue;
            }
        };
        let record = FieldRecord {
            fo_field: col(&row, "fo_field", ""),
            dataverse_column: col(&row, "dataverse_column", ""),
            direction: col(&row, "direction", "both"),
            value_type: col(&row, "value_type", "text"),
            transform: col(&row, "transform", "none"),
            default_value: col(&row, "default_value", ""),
            value_map,
        };
        match check_field(record) {
            Err(m) => problems.push(format!("{at}: {m}")),
            Ok(f) if out.iter().any(|g| g.label() == f.label()) => {
                problems.push(format!("{at}: this pair is listed twice."))
            }
            Ok(f) => out.push(f),
        }
    }
    if problems.is_empty() && out.is_empty() {
        return Err("The CSV has a header but no field mappings.".into());
    }
    problems.into_result(out, "CSV")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maps::starter::starter_set;

    fn document(maps: serde_json::Value) -> String {
        serde_json::json!({ "format": FORMAT, "version": VERSION, "maps": maps }).to_string()
    }

    fn record(m: &MapContent) -> serde_json::Value {
        serde_json::json!({
            "name": m.name, "fo_entity": m.fo_entity, "dataverse_table": m.dataverse_table,
            "direction": m.direction.as_str(), "not_synced_reason": m.not_synced_reason,
            "master_side": m.master_side.as_str(), "initial_sync": m.initial_sync.as_str(),
            "expected_records": m.expected_records, "state": m.state.as_str(),
        })
    }

    #[test]
    fn a_document_reads_back_maps_and_fields() {
        let starter = starter_set();
        let mut first = record(&starter[0]);
        first["fields"] = serde_json::json!([{
            "fo_field": "CreditLimit", "dataverse_column": "creditlimit",
            "direction": "fo_to_dataverse", "value_type": "number"
        }]);
        let maps = parse_maps_document(&document(serde_json::json!([first, record(&starter[3])])))
            .unwrap();
        assert_eq!(maps.len(), 2);
        assert_eq!(maps[0].0.name, starter[0].name);
        assert_eq!(
            maps[0].1[0].transform,
            Transform::None,
            "transform defaults to none"
        );
    }

    #[test]
    fn every_problem_is_listed_with_its_map_and_field() {
        let starter = starter_set();
        let mut bad_direction = record(&starter[0]);
        bad_direction["direction"] = "sideways".into();
        let mut unknown_key = record(&starter[1]);
        unknown_key["colour"] = "blue".into();
        let mut bad_field = record(&starter[2]);
        bad_field["fields"] = serde_json::json!([{
            "fo_field": "Credit Limit", "dataverse_column": "creditlimit",
            "direction": "both", "value_type": "number"
        }]);
        let twice = record(&starter[2]);
        let err = parse_maps_document(&document(serde_json::json!([
            bad_direction,
            unknown_key,
            bad_field,
            twice
        ])))
        .unwrap_err();
        assert!(
            err.starts_with("4 problems found; nothing was imported"),
            "{err}"
        );
        assert!(err.contains("Map 1 ('Customers"), "{err}");
        assert!(
            err.contains("Use one of: bidirectional, fo_to_dataverse"),
            "{err}"
        );
        assert!(err.contains("Map 2: unknown field `colour`"), "{err}");
        assert!(err.contains(", field 1: fo_field: 'Credit Limit'"), "{err}");
        assert!(
            err.contains("Map 4") && err.contains("used by another map"),
            "{err}"
        );
    }

    #[test]
    fn broken_or_foreign_documents_are_refused_whole() {
        assert!(
            parse_maps_document("{\"format\": ")
                .unwrap_err()
                .contains("could not be read")
        );
        let other = serde_json::json!({ "format": "x", "version": 1, "maps": [] }).to_string();
        assert!(
            parse_maps_document(&other)
                .unwrap_err()
                .contains("expected format")
        );
        let extra =
            serde_json::json!({ "format": FORMAT, "version": 1, "maps": [], "x": 1 }).to_string();
        assert!(
            parse_maps_document(&extra)
                .unwrap_err()
                .contains("unknown field `x`")
        );
    }

    #[test]
    fn csv_round_trips_including_value_maps_and_quotes() {
        let fields = vec![
            validate_field_pairs(
                "Blocked",
                "msdyn_blocked",
                "both",
                "enum",
                "value_map",
                "",
                vec![("No".into(), "0".into()), ("All".into(), "1".into())],
            )
            .unwrap(),
            validate_field_pairs(
                "PaymTermId",
                "msdyn_paymentterm",
                "fo_to_dataverse",
                "lookup",
                "default",
                "Net 30, end of month",
                vec![],
            )
            .unwrap(),
        ];
        let csv = fields_csv(&fields);
        assert!(csv.contains("\"Net 30, end of month\""), "{csv}");
        assert_eq!(parse_fields_csv(&csv).unwrap(), fields);
    }

    #[test]
    fn csv_rows_report_their_spreadsheet_row_number() {
        let csv = "fo_field,dataverse_column,direction\nCreditLimit,creditlimit,both\nName,name,sideways\nCreditLimit,creditlimit,both\n";
        let err = parse_fields_csv(csv).unwrap_err();
        assert!(err.starts_with("2 problems"), "{err}");
        assert!(err.contains("Row 3 (Name ↔ name): direction:"), "{err}");
        assert!(
            err.contains("Use one of: both, fo_to_dataverse, dataverse_to_fo"),
            "{err}"
        );
        assert!(
            err.contains("Row 4 (CreditLimit ↔ creditlimit): this pair is listed twice"),
            "{err}"
        );
    }

    #[test]
    fn csv_headers_are_checked_before_rows() {
        let err = parse_fields_csv("fo_field,colour\nA,b\n").unwrap_err();
        assert!(err.contains("unknown column 'colour'"), "{err}");
        assert!(err.contains("'dataverse_column' is missing"), "{err}");
        assert!(parse_fields_csv("").unwrap_err().contains("empty"));
        assert!(
            parse_fields_csv("fo_field,dataverse_column\n")
                .unwrap_err()
                .contains("no field mappings")
        );
        assert!(
            parse_fields_csv("fo_field,dataverse_column\nA,b,c\n")
                .unwrap_err()
                .contains("Row 2")
        );
        assert!(
            parse_fields_csv("fo_field,dataverse_column,transform,value_map\nA,b,value_map,Yes\n")
                .unwrap_err()
                .contains("needs the form")
        );
    }
}
