//! Table maps: what syncs between F&O and Dataverse and how — direction,
//! owning side, keys, initial-sync strategy, volume, state — with guidance
//! checks, the starter set, and a wiki-like revision history.

pub mod api;
pub mod diff;
#[cfg(feature = "ssr")]
pub mod server;
pub mod starter;
pub mod view;

use serde::{Deserialize, Serialize};

/// The columns of the field-mapping CSV, in export order. `fo_field` and
/// `dataverse_column` are required on import; a missing other column takes
/// its default (both, text, none).
pub const FIELD_CSV_COLUMNS: [&str; 7] = [
    "fo_field",
    "dataverse_column",
    "direction",
    "value_type",
    "transform",
    "default_value",
    "value_map",
];

/// Which way records flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Both ways.
    Bidirectional,
    /// F&O → Dataverse only.
    FoToDataverse,
    /// Dataverse → F&O only.
    DataverseToFo,
    /// Deliberately not synced; the reason is required.
    NotSynced,
}

/// Which side owns ("masters") the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Finance & Operations.
    Fo,
    /// Dataverse.
    Dataverse,
    /// Not decided (only sensible for maps that do not sync).
    None,
}

/// How existing records get to the other side before live sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InitialSync {
    /// Dual-write's own initial sync.
    DualWrite,
    /// Data entities + DMF, then enable with "Skip initial sync".
    DmfThenDelta,
    /// Snapshot both sides, then reconcile.
    SnapshotReconcile,
    /// No initial sync (new data only, or the map does not sync).
    Skip,
}

/// The map's run state as the dual-write workspace shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MapState {
    /// Not running.
    NotRunning,
    /// Running.
    Running,
    /// Paused (changes queue).
    Paused,
    /// Stopped.
    Stopped,
}

str_enum!(Direction {
    Bidirectional => "bidirectional", "Bidirectional (F&O ⇄ Dataverse)";
    FoToDataverse => "fo_to_dataverse", "F&O → Dataverse";
    DataverseToFo => "dataverse_to_fo", "Dataverse → F&O";
    NotSynced => "not_synced", "Not synced";
});
str_enum!(Side {
    Fo => "fo", "F&O";
    Dataverse => "dataverse", "Dataverse";
    None => "none", "None";
});
str_enum!(InitialSync {
    DualWrite => "dual_write", "Dual-write initial sync";
    DmfThenDelta => "dmf_then_delta", "Data entities + DMF, then delta";
    SnapshotReconcile => "snapshot_reconcile", "Snapshot + reconcile";
    Skip => "skip", "No initial sync";
});
str_enum!(MapState {
    NotRunning => "not_running", "Not running";
    Running => "running", "Running";
    Paused => "paused", "Paused";
    Stopped => "stopped", "Stopped";
});

/// The editable content of a table map: what a revision stores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapContent {
    /// Map name, unique among live maps of the environment.
    pub name: String,
    /// F&O data entity, e.g. `CustCustomerV3Entity`.
    pub fo_entity: String,
    /// Dataverse table logical name, e.g. `account`.
    pub dataverse_table: String,
    /// Which way records flow.
    pub direction: Direction,
    /// Why the map does not sync (required for `NotSynced`).
    pub not_synced_reason: String,
    /// The owning side.
    pub master_side: Side,
    /// F&O integration key fields, comma-separated.
    pub fo_keys: String,
    /// Dataverse integration key columns, comma-separated.
    pub dataverse_keys: String,
    /// Initial-sync strategy.
    pub initial_sync: InitialSync,
    /// Expected number of records (all legal entities).
    pub expected_records: Option<i64>,
    /// Current state.
    pub state: MapState,
    /// Tags, comma-separated.
    pub tags: String,
    /// Notes in Markdown.
    pub notes: String,
}

/// A table map as pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableMap {
    /// Database id.
    pub id: i64,
    /// Environment name.
    pub environment: String,
    /// The editable content.
    pub content: MapContent,
    /// Current revision number (1 on creation).
    pub revision: i64,
    /// True once deleted (kept for history and restore).
    pub deleted: bool,
    /// Last change (UTC).
    pub updated_at: String,
}

pub use crate::revisions::Revision;

/// The map form's fields, as the browser sends them (`form[name]`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapForm {
    /// Map name.
    pub name: String,
    /// F&O data entity.
    pub fo_entity: String,
    /// Dataverse table.
    pub dataverse_table: String,
    /// Direction (stored name).
    pub direction: String,
    /// Why not synced.
    pub not_synced_reason: String,
    /// Owning side (stored name).
    pub master_side: String,
    /// F&O key fields.
    pub fo_keys: String,
    /// Dataverse key columns.
    pub dataverse_keys: String,
    /// Initial-sync strategy (stored name).
    pub initial_sync: String,
    /// Expected record count, as typed.
    pub expected_records: String,
    /// State (stored name).
    pub state: String,
    /// Tags.
    pub tags: String,
    /// Notes (Markdown).
    pub notes: String,
}

impl MapForm {
    /// Validates the form into map content.
    pub fn validate(&self) -> Result<MapContent, (&'static str, String)> {
        validate_map(
            &self.name,
            &self.fo_entity,
            &self.dataverse_table,
            &self.direction,
            &self.not_synced_reason,
            &self.master_side,
            &self.fo_keys,
            &self.dataverse_keys,
            &self.initial_sync,
            &self.expected_records,
            &self.state,
            &self.tags,
            &self.notes,
        )
    }
}

impl From<&MapContent> for MapForm {
    fn from(c: &MapContent) -> Self {
        MapForm {
            name: c.name.clone(),
            fo_entity: c.fo_entity.clone(),
            dataverse_table: c.dataverse_table.clone(),
            direction: c.direction.as_str().into(),
            not_synced_reason: c.not_synced_reason.clone(),
            master_side: c.master_side.as_str().into(),
            fo_keys: c.fo_keys.clone(),
            dataverse_keys: c.dataverse_keys.clone(),
            initial_sync: c.initial_sync.as_str().into(),
            expected_records: c
                .expected_records
                .map(|n| n.to_string())
                .unwrap_or_default(),
            state: c.state.as_str().into(),
            tags: c.tags.clone(),
            notes: c.notes.clone(),
        }
    }
}

pub use crate::counts::RecordCount;

/// What a count difference means, in words.
pub fn describe_difference(d: i64) -> String {
    match d {
        0 => "the same on both sides".into(),
        d if d > 0 => format!("{} more in F&O", crate::components::fmt_count(d)),
        d => format!("{} more in Dataverse", crate::components::fmt_count(-d)),
    }
}

/// Two revisions of a map compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapComparison {
    /// The map as it is now.
    pub map: TableMap,
    /// Older revision.
    pub from: i64,
    /// Newer revision.
    pub to: i64,
    /// Changed fields.
    pub changes: Vec<diff::FieldChange>,
}

/// One guidance finding on a map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Stable code, e.g. `initial_sync_volume`.
    pub code: String,
    /// What is wrong and what to do.
    pub message: String,
    /// Where the guidance comes from.
    pub source: String,
}

/// Checks a schema name (entity, table, field, column): letters, digits,
/// `_` and `.`, at most 128 characters. Errors name the form field.
pub fn identifier(
    field: &'static str,
    label: &str,
    value: &str,
) -> Result<String, (&'static str, String)> {
    let v = value.trim();
    if v.is_empty() {
        return Err((field, format!("Enter the {label}.")));
    }
    if v.len() > 128
        || !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return Err((
            field,
            format!("'{v}' is not a valid {label}: use letters, digits, '_' and '.'."),
        ));
    }
    Ok(v.to_string())
}

/// The error for a value that is not one of a select's choices.
pub fn not_a_choice(field: &'static str, value: &str) -> (&'static str, String) {
    (
        field,
        format!("'{value}' is not one of the choices for {field}."),
    )
}

/// Parses and checks form input for a map; errors name the field.
#[expect(clippy::too_many_arguments, reason = "one argument per form field")]
pub fn validate_map(
    name: &str,
    fo_entity: &str,
    dataverse_table: &str,
    direction: &str,
    not_synced_reason: &str,
    master_side: &str,
    fo_keys: &str,
    dataverse_keys: &str,
    initial_sync: &str,
    expected_records: &str,
    state: &str,
    tags: &str,
    notes: &str,
) -> Result<MapContent, (&'static str, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err((
            "name",
            "Give the map a name of 1 to 120 characters, e.g. Customers V3.".into(),
        ));
    }
    let fo_entity = identifier("fo_entity", "F&O data entity", fo_entity)?;
    let dataverse_table = identifier("dataverse_table", "Dataverse table", dataverse_table)?;
    let direction =
        Direction::parse(direction.trim()).ok_or_else(|| not_a_choice("direction", direction))?;
    let master_side =
        Side::parse(master_side.trim()).ok_or_else(|| not_a_choice("master_side", master_side))?;
    let initial_sync = InitialSync::parse(initial_sync.trim())
        .ok_or_else(|| not_a_choice("initial_sync", initial_sync))?;
    let state = MapState::parse(state.trim()).ok_or_else(|| not_a_choice("state", state))?;
    let not_synced_reason = not_synced_reason.trim().to_string();
    if direction == Direction::NotSynced && not_synced_reason.is_empty() {
        return Err((
            "not_synced_reason",
            "Say why this map is not synced (e.g. 'owned by HR in F&O only'); the next person will ask.".into(),
        ));
    }
    let expected_records = match expected_records.trim().replace([',', '_', ' '], "") {
        s if s.is_empty() => None,
        s => match s.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                return Err((
                    "expected_records",
                    format!(
                        "'{}' is not a record count; enter a whole number such as 250000.",
                        expected_records.trim()
                    ),
                ));
            }
        },
    };
    let list = |v: &str| {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if notes.len() > 100_000 {
        return Err(("notes", "Notes are limited to 100,000 characters.".into()));
    }
    Ok(MapContent {
        name: name.to_string(),
        fo_entity,
        dataverse_table,
        direction,
        not_synced_reason,
        master_side,
        fo_keys: list(fo_keys),
        dataverse_keys: list(dataverse_keys),
        initial_sync,
        expected_records,
        state,
        tags: list(tags),
        notes: notes.trim().to_string(),
    })
}

/// Guidance records above which dual-write's own initial sync is a poor
/// choice (runbook guidance) and the documented per-legal-entity limit.
pub const INITIAL_SYNC_COMFORT: i64 = 100_000;
/// Documented limit of one initial-sync run per legal entity.
pub const INITIAL_SYNC_LIMIT_PER_ENTITY: i64 = 500_000;

/// The guidance checks that apply to a map's own settings. `legal_entities`
/// is the number of legal entities in scope in its environment.
pub fn check_map(map: &MapContent, legal_entities: usize) -> Vec<Warning> {
    let mut out = Vec::new();
    let mut warn = |code: &str, message: String, source: &str| {
        out.push(Warning {
            code: code.into(),
            message,
            source: source.into(),
        })
    };
    if map.initial_sync == InitialSync::DualWrite
        && let Some(n) = map.expected_records
    {
        let entities = legal_entities.max(1) as i64;
        // Spread evenly, the busiest legal entity has at least the average.
        if (n + entities - 1) / entities > INITIAL_SYNC_LIMIT_PER_ENTITY {
            warn(
                "initial_sync_limit",
                format!(
                    "{} records over {entities} legal entit{} means more than {limit} in at least one; \
                     one dual-write initial-sync run is limited to {limit} rows per legal entity. \
                     Load with data entities + DMF, then enable the map with Skip initial sync.",
                    crate::components::fmt_count(n),
                    if entities == 1 { "y" } else { "ies" },
                    limit = crate::components::fmt_count(INITIAL_SYNC_LIMIT_PER_ENTITY),
                ),
                "Microsoft Learn, dual-write initial sync limits (2020-10-12)",
            );
        } else if n > INITIAL_SYNC_COMFORT {
            warn(
                "initial_sync_volume",
                format!(
                    "Dual-write initial sync for {} records: above about {} it is slow and can fail \
                     mid-run, leaving the sides inconsistent. Prefer data entities + DMF, then delta.",
                    crate::components::fmt_count(n),
                    crate::components::fmt_count(INITIAL_SYNC_COMFORT),
                ),
                "Runbook guide, step 2 (initial sync strategy)",
            );
        }
    }
    if map.direction == Direction::Bidirectional && map.master_side == Side::None {
        warn(
            "no_owner",
            "A bidirectional map needs an owning side: initial sync resolves differences in its favour \
             (Dataverse when none is chosen)."
                .into(),
            "Microsoft Learn, dual-write initial sync (master for conflicts)",
        );
    }
    if map.direction != Direction::NotSynced
        && (map.fo_keys.is_empty() || map.dataverse_keys.is_empty())
    {
        warn(
            "no_keys",
            "Document the integration key on both sides: dual-write matches records by it, and it must be \
             immutable and fully mapped."
                .into(),
            "Microsoft Learn, dual-write integration keys",
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content() -> MapContent {
        validate_map(
            "Customers V3",
            "CustCustomerV3Entity",
            "account",
            "bidirectional",
            "",
            "fo",
            "CUSTOMERACCOUNT, dataAreaId",
            "accountnumber, msdyn_company.cdm_companycode",
            "dual_write",
            "50,000",
            "running",
            "customers,  core",
            "  Owned by **finance**. ",
        )
        .unwrap()
    }

    #[test]
    fn form_input_is_normalised() {
        let c = content();
        assert_eq!(c.expected_records, Some(50_000));
        assert_eq!(c.tags, "customers, core");
        assert_eq!(c.notes, "Owned by **finance**.");
    }

    #[test]
    fn bad_input_names_the_field() {
        let bad = |f: &dyn Fn(&mut [&str; 13])| {
            let mut a = [
                "M",
                "E",
                "t",
                "bidirectional",
                "",
                "fo",
                "k",
                "k",
                "skip",
                "",
                "running",
                "",
                "",
            ];
            f(&mut a);
            validate_map(
                a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12],
            )
            .unwrap_err()
            .0
        };
        assert_eq!(bad(&|a| a[0] = " "), "name");
        assert_eq!(bad(&|a| a[1] = "Cust Entity"), "fo_entity");
        assert_eq!(bad(&|a| a[3] = "sideways"), "direction");
        assert_eq!(bad(&|a| a[3] = "not_synced"), "not_synced_reason");
        assert_eq!(bad(&|a| a[9] = "lots"), "expected_records");
        assert_eq!(bad(&|a| a[9] = "-5"), "expected_records");
    }

    #[test]
    fn modest_volumes_with_owner_and_keys_raise_nothing() {
        assert!(check_map(&content(), 1).is_empty());
    }

    #[test]
    fn dual_write_initial_sync_warns_above_100k_and_flags_the_500k_per_entity_limit() {
        let mut c = content();
        c.expected_records = Some(150_000);
        let w = check_map(&c, 1);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].code, "initial_sync_volume");

        c.expected_records = Some(900_000);
        assert_eq!(check_map(&c, 1)[0].code, "initial_sync_limit");
        // Spread over two legal entities, 900k need not exceed 500k in any one.
        assert_eq!(check_map(&c, 2)[0].code, "initial_sync_volume");

        c.initial_sync = InitialSync::DmfThenDelta;
        assert!(
            check_map(&c, 1).is_empty(),
            "DMF is the recommended route for volume"
        );
    }

    #[test]
    fn bidirectional_without_owner_or_keys_is_flagged() {
        let mut c = content();
        c.master_side = Side::None;
        c.fo_keys.clear();
        let codes: Vec<_> = check_map(&c, 1).into_iter().map(|w| w.code).collect();
        assert_eq!(codes, vec!["no_owner", "no_keys"]);
    }

    #[test]
    fn every_enum_round_trips_through_its_stored_name() {
        for d in Direction::ALL {
            assert_eq!(Direction::parse(d.as_str()), Some(*d));
        }
        for s in MapState::ALL {
            assert_eq!(MapState::parse(s.as_str()), Some(*s));
        }
        for i in InitialSync::ALL {
            assert_eq!(InitialSync::parse(i.as_str()), Some(*i));
        }
        for s in Side::ALL {
            assert_eq!(Side::parse(s.as_str()), Some(*s));
        }
    }
}
