//! Field mappings and conflict rules of a table map: per-map default rule
//! plus per-field overrides, each with a required rationale, who decided,
//! when, a status, and what (if anything) enforces it.

pub mod api;
pub mod export;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod transfer;
pub mod view;

use crate::maps::diff::FieldChange;
use crate::maps::{Direction, InitialSync, MapContent, Warning, identifier, not_a_choice};
use serde::{Deserialize, Serialize};

/// Which way one field flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldDirection {
    /// Both ways.
    Both,
    /// F&O → Dataverse.
    FoToDataverse,
    /// Dataverse → F&O.
    DataverseToFo,
}

/// The kind of value a field holds (drives the value-map and lookup checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    /// Free text.
    Text,
    /// Number.
    Number,
    /// Date or date-time.
    Date,
    /// Yes/no.
    Boolean,
    /// Enum / option set.
    Enum,
    /// Lookup to another table.
    Lookup,
    /// GUID.
    Guid,
}

/// How a value is transformed on the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    /// Copied as is.
    None,
    /// A default when the source is empty.
    Default,
    /// Translated through a value map.
    ValueMap,
}

/// Who wins when both sides hold different values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Winner {
    /// F&O's value wins.
    Fo,
    /// Dataverse's value wins.
    Dataverse,
    /// Whichever write lands last (flagged as dangerous).
    LastWrite,
}

/// What enforces a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnforcedBy {
    /// The master chosen for dual-write initial sync.
    InitialSyncMaster,
    /// The "primary for conflict detection" side in async (preview) mode.
    AsyncPrimary,
    /// Only the team's own policy (who may edit where).
    TeamPolicy,
}

/// Where a decision stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleStatus {
    /// Suggested, not yet agreed.
    Proposed,
    /// Agreed and in force.
    Accepted,
    /// Replaced by a later rule.
    Superseded,
    /// Considered and turned down.
    Rejected,
}

str_enum!(FieldDirection {
    Both => "both", "Both ways";
    FoToDataverse => "fo_to_dataverse", "F&O → Dataverse";
    DataverseToFo => "dataverse_to_fo", "Dataverse → F&O";
});
str_enum!(ValueType {
    Text => "text", "Text";
    Number => "number", "Number";
    Date => "date", "Date";
    Boolean => "boolean", "Yes/no";
    Enum => "enum", "Enum / option set";
    Lookup => "lookup", "Lookup";
    Guid => "guid", "GUID";
});
str_enum!(Transform {
    None => "none", "None";
    Default => "default", "Default value";
    ValueMap => "value_map", "Value map";
});
str_enum!(Winner {
    Fo => "fo", "F&O wins";
    Dataverse => "dataverse", "Dataverse wins";
    LastWrite => "last_write", "Last write wins";
});
str_enum!(EnforcedBy {
    InitialSyncMaster => "initial_sync_master", "Initial-sync master";
    AsyncPrimary => "async_primary", "Async-mode primary";
    TeamPolicy => "team_policy", "Team policy";
});
str_enum!(RuleStatus {
    Proposed => "proposed", "Proposed";
    Accepted => "accepted", "Accepted";
    Superseded => "superseded", "Superseded";
    Rejected => "rejected", "Rejected";
});

impl EnforcedBy {
    /// A plain sentence on what enforces the rule, so nobody mistakes team
    /// policy for something dual-write does.
    pub fn explanation(self) -> &'static str {
        match self {
            EnforcedBy::InitialSyncMaster => {
                "Enforced by dual-write only during initial sync: where records differ, the master side's value is kept."
            }
            EnforcedBy::AsyncPrimary => {
                "Enforced by dual-write in async (preview) mode: the primary side wins simultaneous edits."
            }
            EnforcedBy::TeamPolicy => {
                "Team policy, not enforced by dual-write: live sync has no conflict resolution (both writes apply in \
                 order). Enforce it with security roles and process — who may edit where."
            }
        }
    }
}

/// A field mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMapping {
    /// Database id.
    pub id: i64,
    /// The map it belongs to.
    pub map_id: i64,
    /// The field's editable content.
    pub content: FieldContent,
    /// Current revision.
    pub revision: i64,
}

/// The editable content of a field mapping (what a revision stores).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldContent {
    /// F&O data-entity field.
    pub fo_field: String,
    /// Dataverse column.
    pub dataverse_column: String,
    /// Which way it flows.
    pub direction: FieldDirection,
    /// Kind of value.
    pub value_type: ValueType,
    /// Transform on the way.
    pub transform: Transform,
    /// Default value (for `Transform::Default`).
    pub default_value: String,
    /// F&O value → Dataverse value pairs (for `Transform::ValueMap`).
    pub value_map: Vec<(String, String)>,
}

impl FieldContent {
    /// `FOField ↔ dataversecolumn`, for labels.
    pub fn label(&self) -> String {
        format!("{} ↔ {}", self.fo_field, self.dataverse_column)
    }
}

/// A conflict rule as pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictRule {
    /// Database id.
    pub id: i64,
    /// The map.
    pub map_id: i64,
    /// The field it overrides, or `None` for the map's default rule.
    pub field_mapping_id: Option<i64>,
    /// The field's label, when it is an override.
    pub field_label: Option<String>,
    /// Who wins.
    pub winner: Winner,
    /// What enforces it.
    pub enforced_by: EnforcedBy,
    /// Why, in Markdown.
    pub rationale: String,
    /// Rationale rendered to sanitized HTML (filled by the server).
    pub rationale_html: String,
    /// Email of the user who recorded the decision.
    pub decided_by: String,
    /// Day of the decision (YYYY-MM-DD).
    pub decided_on: String,
    /// Where it stands.
    pub status: RuleStatus,
    /// The rule that replaced this one.
    pub superseded_by: Option<i64>,
    /// Rules this one replaced.
    pub supersedes: Vec<i64>,
    /// Current revision.
    pub revision: i64,
}

/// The documented objects below a map that have their own history pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Documented {
    /// A field mapping (`/fields/N/…`).
    Field,
    /// A conflict rule (`/rules/N/…`).
    Rule,
}

str_enum!(Documented {
    Field => "fields", "Field mapping";
    Rule => "rules", "Conflict rule";
});

impl Documented {
    /// The `object_type` of its revisions.
    pub fn object_type(self) -> &'static str {
        match self {
            Documented::Field => "field_mapping",
            Documented::Rule => "conflict_rule",
        }
    }
}

/// The history page of a field mapping or a conflict rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectHistory {
    /// What it is.
    pub kind: Documented,
    /// Its id.
    pub id: i64,
    /// Its map.
    pub map_id: i64,
    /// The map's name.
    pub map_name: String,
    /// A readable title, e.g. `CreditLimit ↔ creditlimit` or "Rule #4".
    pub title: String,
    /// Current revision.
    pub revision: i64,
    /// True once the field mapping was removed.
    pub removed: bool,
    /// Every revision, newest first.
    pub revisions: Vec<crate::maps::Revision>,
    /// Whether the caller may restore.
    pub can_edit: bool,
}

/// Two revisions of a field mapping or rule compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectComparison {
    /// The object, as its history page shows it.
    pub object: ObjectHistory,
    /// Older revision.
    pub from: i64,
    /// Newer revision.
    pub to: i64,
    /// Changed fields.
    pub changes: Vec<FieldChange>,
}

/// A field mapping and its map, for the edit page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldEdit {
    /// The field mapping.
    pub field: FieldMapping,
    /// The map's name.
    pub map_name: String,
}

impl From<&FieldContent> for api::FieldForm {
    fn from(c: &FieldContent) -> Self {
        api::FieldForm {
            fo_field: c.fo_field.clone(),
            dataverse_column: c.dataverse_column.clone(),
            direction: c.direction.as_str().into(),
            value_type: c.value_type.as_str().into(),
            transform: c.transform.as_str().into(),
            default_value: c.default_value.clone(),
            value_map: value_map_text(&c.value_map),
        }
    }
}

/// The decision part of a conflict rule: what every revision of it stores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleContent {
    /// The field it overrides, or `None` for the map default.
    pub field_mapping_id: Option<i64>,
    /// Who wins.
    pub winner: Winner,
    /// What enforces it.
    pub enforced_by: EnforcedBy,
    /// Why, in Markdown.
    pub rationale: String,
    /// Email of the user who recorded the decision.
    pub decided_by: String,
    /// Day of the decision (YYYY-MM-DD).
    pub decided_on: String,
    /// Where it stands.
    pub status: RuleStatus,
    /// The rule that replaced this one.
    #[serde(default)]
    pub superseded_by: Option<i64>,
}

impl From<&ConflictRule> for RuleContent {
    fn from(r: &ConflictRule) -> Self {
        RuleContent {
            field_mapping_id: r.field_mapping_id,
            winner: r.winner,
            enforced_by: r.enforced_by,
            rationale: r.rationale.clone(),
            decided_by: r.decided_by.clone(),
            decided_on: r.decided_on.clone(),
            status: r.status,
            superseded_by: r.superseded_by,
        }
    }
}

fn value_map_text(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(a, b)| format!("{a} = {b}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Field-level changes between two revisions of a field mapping.
pub fn field_changes(before: &FieldContent, after: &FieldContent) -> Vec<FieldChange> {
    crate::maps::diff::changed([
        (
            "F&O field",
            before.fo_field.clone(),
            after.fo_field.clone(),
            false,
        ),
        (
            "Dataverse column",
            before.dataverse_column.clone(),
            after.dataverse_column.clone(),
            false,
        ),
        (
            "Direction",
            before.direction.label().into(),
            after.direction.label().into(),
            false,
        ),
        (
            "Value type",
            before.value_type.label().into(),
            after.value_type.label().into(),
            false,
        ),
        (
            "Transform",
            before.transform.label().into(),
            after.transform.label().into(),
            false,
        ),
        (
            "Default value",
            before.default_value.clone(),
            after.default_value.clone(),
            false,
        ),
        (
            "Value map",
            value_map_text(&before.value_map),
            value_map_text(&after.value_map),
            true,
        ),
    ])
}

/// Field-level changes between two revisions of a conflict rule (word by
/// word in the rationale).
pub fn rule_changes(before: &RuleContent, after: &RuleContent) -> Vec<FieldChange> {
    let rule = |r: Option<i64>| r.map(|r| format!("#{r}")).unwrap_or_default();
    crate::maps::diff::changed([
        (
            "Winner",
            before.winner.label().into(),
            after.winner.label().into(),
            false,
        ),
        (
            "Enforced by",
            before.enforced_by.label().into(),
            after.enforced_by.label().into(),
            false,
        ),
        (
            "Status",
            before.status.label().into(),
            after.status.label().into(),
            false,
        ),
        (
            "Superseded by",
            rule(before.superseded_by),
            rule(after.superseded_by),
            false,
        ),
        (
            "Rationale",
            before.rationale.clone(),
            after.rationale.clone(),
            true,
        ),
    ])
}

/// Parses the value-map textarea: one `F&O value = Dataverse value` per line.
pub fn parse_value_map(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
        if line.is_empty() {
            continue;
        }
        let Some((fo, dv)) = line.split_once('=') else {
            return Err(format!(
                "Line {n} ('{line}') needs the form F&O value = Dataverse value."
            ));
        };
        let (fo, dv) = (fo.trim(), dv.trim());
        if fo.is_empty() || dv.is_empty() {
            return Err(format!("Line {n} ('{line}') has an empty side."));
        }
        if pairs.iter().any(|(f, _)| f == fo) {
            return Err(format!("Line {n}: the F&O value '{fo}' is mapped twice."));
        }
        pairs.push((fo.to_string(), dv.to_string()));
    }
    Ok(pairs)
}

/// Checks field-mapping form input; errors name the field.
pub fn validate_field(
    fo_field: &str,
    dataverse_column: &str,
    direction: &str,
    value_type: &str,
    transform: &str,
    default_value: &str,
    value_map: &str,
) -> Result<FieldContent, (&'static str, String)> {
    let value_map = parse_value_map(value_map).map_err(|m| ("value_map", m))?;
    validate_field_pairs(
        fo_field,
        dataverse_column,
        direction,
        value_type,
        transform,
        default_value,
        value_map,
    )
}

/// Checks a field mapping whose value map is already split into pairs
/// (imports); `validate_field` is the form's way in.
pub fn validate_field_pairs(
    fo_field: &str,
    dataverse_column: &str,
    direction: &str,
    value_type: &str,
    transform: &str,
    default_value: &str,
    value_map: Vec<(String, String)>,
) -> Result<FieldContent, (&'static str, String)> {
    let fo_field = identifier("fo_field", "F&O field name", fo_field)?;
    let dataverse_column = identifier(
        "dataverse_column",
        "Dataverse column name",
        dataverse_column,
    )?;
    let direction = FieldDirection::parse(direction.trim())
        .ok_or_else(|| not_a_choice("direction", direction))?;
    let value_type = ValueType::parse(value_type.trim())
        .ok_or_else(|| not_a_choice("value_type", value_type))?;
    let transform =
        Transform::parse(transform.trim()).ok_or_else(|| not_a_choice("transform", transform))?;
    let default_value = default_value.trim().to_string();
    if transform == Transform::Default && default_value.is_empty() {
        return Err((
            "default_value",
            "A default-value transform needs the default value.".into(),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    let mut pairs = Vec::with_capacity(value_map.len());
    for (fo, dv) in value_map {
        let (fo, dv) = (fo.trim().to_string(), dv.trim().to_string());
        if fo.is_empty() || dv.is_empty() {
            return Err((
                "value_map",
                format!("The pair '{fo}' = '{dv}' has an empty side."),
            ));
        }
        if !seen.insert(fo.clone()) {
            return Err((
                "value_map",
                format!("The F&O value '{fo}' is mapped twice."),
            ));
        }
        pairs.push((fo, dv));
    }
    let value_map = pairs;
    if transform == Transform::ValueMap && value_map.is_empty() {
        return Err((
            "value_map",
            "A value-map transform needs at least one pair, e.g. Yes = 1.".into(),
        ));
    }
    Ok(FieldContent {
        fo_field,
        dataverse_column,
        direction,
        value_type,
        transform,
        default_value,
        value_map: if transform == Transform::ValueMap {
            value_map
        } else {
            vec![]
        },
    })
}

/// Initial sync from Dataverse fails for maps with more than this many lookups.
pub const MAX_LOOKUPS: usize = 10;

/// The guidance checks that need the map's fields and rules.
pub fn check_rules(
    map: &MapContent,
    fields: &[FieldMapping],
    rules: &[ConflictRule],
) -> Vec<Warning> {
    let mut out = Vec::new();
    let mut warn = |code: &str, message: String, source: &str| {
        out.push(Warning {
            code: code.into(),
            message,
            source: source.into(),
        })
    };
    let live = |r: &&ConflictRule| matches!(r.status, RuleStatus::Proposed | RuleStatus::Accepted);
    if map.direction == Direction::Bidirectional
        && !rules
            .iter()
            .any(|r| r.field_mapping_id.is_none() && r.status == RuleStatus::Accepted)
    {
        warn(
            "no_accepted_rule",
            "This bidirectional map has no accepted default conflict rule: record which side wins, why, and what \
             enforces it, so the next person to touch the map knows."
                .into(),
            "Runbook guide, conflict rules; the team's decision record",
        );
    }
    for r in rules
        .iter()
        .filter(live)
        .filter(|r| r.winner == Winner::LastWrite)
    {
        warn(
            "last_write_wins",
            format!(
                "{} uses last write wins: the outcome depends on timing, and a Dataverse save sends every mapped \
                 column, overwriting fields nobody changed. Prefer an explicit owner.",
                r.field_label
                    .as_deref()
                    .map(|f| format!("The rule for {f}"))
                    .unwrap_or_else(|| "The map's default rule".into())
            ),
            "Domain reference §5: Microsoft documents no conflict resolution for live sync",
        );
    }
    for f in fields.iter().filter(|f| {
        f.content.value_type == ValueType::Enum && f.content.transform != Transform::ValueMap
    }) {
        warn(
            "enum_without_value_map",
            format!(
                "{} is an enum but has no value map: enum values differ between F&O and Dataverse and fail \
                 conversion without one.",
                f.content.label()
            ),
            "Microsoft Learn, dual-write value-map transforms",
        );
    }
    let lookups = fields
        .iter()
        .filter(|f| f.content.value_type == ValueType::Lookup)
        .count();
    let from_dataverse = matches!(
        map.direction,
        Direction::Bidirectional | Direction::DataverseToFo
    );
    if lookups > MAX_LOOKUPS && from_dataverse && map.initial_sync == InitialSync::DualWrite {
        warn(
            "too_many_lookups",
            format!(
                "{lookups} lookups: initial sync from Dataverse fails for maps with more than {MAX_LOOKUPS}. Sync in \
                 batches of at most {MAX_LOOKUPS} lookups, then run with Skip initial sync."
            ),
            "Microsoft Learn, dual-write initial sync limits",
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maps::starter::starter_set;

    fn field(id: i64, value_type: ValueType, transform: Transform) -> FieldMapping {
        FieldMapping {
            id,
            map_id: 1,
            content: FieldContent {
                fo_field: format!("F{id}"),
                dataverse_column: format!("c{id}"),
                direction: FieldDirection::Both,
                value_type,
                transform,
                default_value: String::new(),
                value_map: vec![],
            },
            revision: 1,
        }
    }

    fn rule(field: Option<i64>, winner: Winner, status: RuleStatus) -> ConflictRule {
        ConflictRule {
            id: 1,
            map_id: 1,
            field_mapping_id: field,
            field_label: field.map(|f| format!("F{f} ↔ c{f}")),
            winner,
            enforced_by: EnforcedBy::TeamPolicy,
            rationale: "because".into(),
            rationale_html: String::new(),
            decided_by: "ana@example.com".into(),
            decided_on: "2026-11-26".into(),
            status,
            superseded_by: None,
            supersedes: vec![],
            revision: 1,
        }
    }

    fn codes(w: Vec<Warning>) -> Vec<String> {
        w.into_iter().map(|w| w.code).collect()
    }

    #[test]
    fn value_maps_parse_line_by_line_with_specific_errors() {
        assert_eq!(
            parse_value_map("Yes = 1\n\n No=0 "),
            Ok(vec![("Yes".into(), "1".into()), ("No".into(), "0".into())])
        );
        assert!(parse_value_map("Yes 1").unwrap_err().contains("Line 1"));
        assert!(
            parse_value_map("Yes = 1\nYes = 2")
                .unwrap_err()
                .contains("mapped twice")
        );
        assert!(parse_value_map(" = 2").unwrap_err().contains("empty side"));
    }

    #[test]
    fn field_input_names_the_field_at_fault() {
        let ok = validate_field(
            "CreditLimit",
            "creditlimit",
            "both",
            "number",
            "none",
            "",
            "",
        )
        .unwrap();
        assert_eq!(ok.label(), "CreditLimit ↔ creditlimit");
        assert_eq!(
            validate_field("Credit Limit", "c", "both", "number", "none", "", "")
                .unwrap_err()
                .0,
            "fo_field"
        );
        assert_eq!(
            validate_field("F", "c", "both", "enum", "value_map", "", "")
                .unwrap_err()
                .0,
            "value_map"
        );
        assert_eq!(
            validate_field("F", "c", "both", "text", "default", "", "")
                .unwrap_err()
                .0,
            "default_value"
        );
    }

    #[test]
    fn a_bidirectional_map_needs_an_accepted_default_rule() {
        let map = &starter_set()[0];
        assert_eq!(codes(check_rules(map, &[], &[])), vec!["no_accepted_rule"]);
        let proposed = rule(None, Winner::Fo, RuleStatus::Proposed);
        assert_eq!(
            codes(check_rules(map, &[], &[proposed])),
            vec!["no_accepted_rule"]
        );
        let accepted = rule(None, Winner::Fo, RuleStatus::Accepted);
        assert!(check_rules(map, &[], &[accepted]).is_empty());
        // One-way maps need no conflict rule.
        assert!(check_rules(&starter_set()[3], &[], &[]).is_empty());
    }

    #[test]
    fn last_write_wins_is_flagged_unless_rejected_or_superseded() {
        let map = &starter_set()[0];
        let base = rule(None, Winner::Fo, RuleStatus::Accepted);
        let lww = rule(Some(7), Winner::LastWrite, RuleStatus::Accepted);
        let w = check_rules(map, &[], &[base.clone(), lww]);
        assert_eq!(codes(w.clone()), vec!["last_write_wins"]);
        assert!(w[0].message.contains("F7 ↔ c7"));
        let rejected = rule(Some(7), Winner::LastWrite, RuleStatus::Rejected);
        assert!(check_rules(map, &[], &[base, rejected]).is_empty());
    }

    #[test]
    fn enums_need_value_maps_and_eleven_lookups_break_initial_sync_from_dataverse() {
        let mut map = starter_set()[0].clone();
        map.direction = Direction::FoToDataverse;
        let enum_field = field(1, ValueType::Enum, Transform::None);
        assert_eq!(
            codes(check_rules(&map, &[enum_field], &[])),
            vec!["enum_without_value_map"]
        );

        let lookups: Vec<_> = (0..11)
            .map(|i| field(i, ValueType::Lookup, Transform::None))
            .collect();
        assert!(
            check_rules(&map, &lookups, &[]).is_empty(),
            "F&O → Dataverse is not affected"
        );
        map.direction = Direction::DataverseToFo;
        assert_eq!(
            codes(check_rules(&map, &lookups, &[])),
            vec!["too_many_lookups"]
        );
        assert!(
            check_rules(&map, &lookups[..10], &[]).is_empty(),
            "ten is still fine"
        );
    }
}
