//! Storage of field mappings and conflict rules. Every write appends a
//! revision (full JSON snapshot) and an audit entry in the caller's
//! transaction, like table maps.

use super::{
    ConflictRule, EnforcedBy, FieldContent, FieldDirection, FieldMapping, RuleContent, RuleStatus,
    Transform, ValueType, Winner,
};
use crate::audit::server::{Actor, Event, record};
use crate::db::Conn;
use crate::db::db_now;
use crate::error::{AppError, OnConstraint as _};

fn corrupt(what: &str, v: &str) -> AppError {
    tracing::error!(what, value = v, "unknown value in the rule book tables");
    AppError::Internal
}

#[derive(sqlx::FromRow)]
struct FieldRow {
    id: i64,
    map_id: i64,
    fo_field: String,
    dataverse_column: String,
    direction: String,
    value_type: String,
    transform: String,
    default_value: String,
    value_map: String,
    revision: i64,
}

impl TryFrom<FieldRow> for FieldMapping {
    type Error = AppError;

    fn try_from(r: FieldRow) -> Result<Self, AppError> {
        Ok(FieldMapping {
            id: r.id,
            map_id: r.map_id,
            content: FieldContent {
                fo_field: r.fo_field,
                dataverse_column: r.dataverse_column,
                direction: FieldDirection::parse(&r.direction)
                    .ok_or_else(|| corrupt("direction", &r.direction))?,
                value_type: ValueType::parse(&r.value_type)
                    .ok_or_else(|| corrupt("value_type", &r.value_type))?,
                transform: Transform::parse(&r.transform)
                    .ok_or_else(|| corrupt("transform", &r.transform))?,
                default_value: r.default_value,
                value_map: serde_json::from_str(&r.value_map)
                    .map_err(|_| corrupt("value_map", &r.value_map))?,
            },
            revision: r.revision,
        })
    }
}

#[derive(sqlx::FromRow)]
struct RuleRow {
    id: i64,
    map_id: i64,
    field_mapping_id: Option<i64>,
    field_label: Option<String>,
    winner: String,
    enforced_by: String,
    rationale: String,
    decided_by: String,
    decided_on: String,
    status: String,
    superseded_by: Option<i64>,
    supersedes: Option<String>,
    revision: i64,
}

impl TryFrom<RuleRow> for ConflictRule {
    type Error = AppError;

    fn try_from(r: RuleRow) -> Result<Self, AppError> {
        Ok(ConflictRule {
            id: r.id,
            map_id: r.map_id,
            field_mapping_id: r.field_mapping_id,
            field_label: r.field_label,
            winner: Winner::parse(&r.winner).ok_or_else(|| corrupt("winner", &r.winner))?,
            enforced_by: EnforcedBy::parse(&r.enforced_by)
                .ok_or_else(|| corrupt("enforced_by", &r.enforced_by))?,
            rationale_html: String::new(),
            rationale: r.rationale,
            decided_by: r.decided_by,
            decided_on: r.decided_on,
            status: RuleStatus::parse(&r.status).ok_or_else(|| corrupt("status", &r.status))?,
            superseded_by: r.superseded_by,
            supersedes: r
                .supersedes
                .map(|s| s.split(',').filter_map(|v| v.parse().ok()).collect())
                .unwrap_or_default(),
            revision: r.revision,
        })
    }
}

/// Live field mappings of the given maps, by F&O field.
#[tracing::instrument(skip_all)]
pub async fn fields_of(
    conn: &mut dyn Conn,
    map_ids: &[i64],
) -> Result<Vec<FieldMapping>, AppError> {
    let ids = serde_json::to_string(map_ids).unwrap_or_else(|_| "[]".into());
    let rows: Vec<FieldRow> = crate::db::query_as(
        "select id, map_id, fo_field, dataverse_column, direction, value_type, transform, default_value, value_map, revision
         from field_mappings where deleted = false and map_id in (select cast(value as bigint) from json_each($1))
         order by map_id, fo_field",
    )
    .bind(ids)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(FieldMapping::try_from).collect()
}

/// The rule columns pages need; `{where}` takes the condition (and order).
const RULE_SELECT: &str = "select r.id, r.map_id, r.field_mapping_id,
        case when f.id is null then null else f.fo_field || ' ↔ ' || f.dataverse_column end as field_label,
        r.winner, r.enforced_by, r.rationale, r.decided_by, r.decided_on, r.status, r.superseded_by,
        (select string_agg(cast(o.id as text), ',') from conflict_rules o where o.superseded_by = r.id) as supersedes,
        r.revision
    from conflict_rules r left join field_mappings f on f.id = r.field_mapping_id
    where {where}";

/// Live conflict rules of the given maps: the default first, then overrides.
#[tracing::instrument(skip_all)]
pub async fn rules_of(conn: &mut dyn Conn, map_ids: &[i64]) -> Result<Vec<ConflictRule>, AppError> {
    let ids = serde_json::to_string(map_ids).unwrap_or_else(|_| "[]".into());
    let sql = RULE_SELECT.replace(
        "{where}",
        "r.deleted = false and r.map_id in (select cast(value as bigint) from json_each($1))
         order by r.map_id, r.field_mapping_id is not null, field_label, r.id",
    );
    let rows: Vec<RuleRow> = crate::db::query_as(sqlx::AssertSqlSafe(sql))
        .bind(ids)
        .fetch_all(conn)
        .await?;
    rows.into_iter().map(ConflictRule::try_from).collect()
}

/// Hands the search index one map's live fields (both names and the
/// default value) and rules (the field they override, or the map default,
/// and the rationale), in the transaction of the write that changed them.
/// Every such write is refused on a deleted map, so the map is live and
/// `environment_id` is its environment.
async fn index(conn: &mut dyn Conn, map_id: i64, environment_id: i64) -> Result<(), AppError> {
    use crate::search::server::Document;
    let fields: Vec<(i64, String, String)> = crate::db::query_as(
        "select id, fo_field || ' ↔ ' || dataverse_column, fo_field || ' ' || dataverse_column || ' ' || default_value
         from field_mappings where map_id = $1 and deleted = false order by id",
    )
    .bind(map_id)
    .fetch_all(&mut *conn)
    .await?;
    let rules: Vec<(i64, String, String)> = crate::db::query_as(
        "select r.id, coalesce(f.fo_field || ' ↔ ' || f.dataverse_column, 'Map default rule'), r.rationale
         from conflict_rules r left join field_mappings f on f.id = r.field_mapping_id
         where r.map_id = $1 and r.deleted = false order by r.id",
    )
    .bind(map_id)
    .fetch_all(&mut *conn)
    .await?;
    let document = |kind| {
        move |(object_id, title, body)| Document {
            kind,
            object_id,
            title,
            body,
        }
    };
    let documents = fields
        .into_iter()
        .map(document("field"))
        .chain(rules.into_iter().map(document("rule")))
        .collect();
    crate::search::server::replace(
        conn,
        map_id,
        Some(environment_id),
        &["field", "rule"],
        documents,
    )
    .await
}

/// The environment of a map (revisions are filed per environment).
async fn map_environment(conn: &mut dyn Conn, map_id: i64) -> Result<(i64, String), AppError> {
    crate::maps::server::live_environment(conn, map_id).await
}

#[expect(
    clippy::too_many_arguments,
    reason = "one argument per column of the revision row; a struct would only rename them"
)]
async fn append_revision(
    conn: &mut dyn Conn,
    actor: &Actor,
    object_type: &'static str,
    environment_id: i64,
    id: i64,
    revision: i64,
    action: &'static str,
    comment: &str,
    snapshot: serde_json::Value,
    summary: String,
) -> Result<(), AppError> {
    let of = crate::revisions::RevisionOf {
        object_type,
        object_id: id,
        revision,
        environment_id,
        action,
    };
    crate::revisions::append(conn, actor, of, comment, &snapshot).await?;
    let prefix = if object_type == "field_mapping" {
        "field"
    } else {
        "rule"
    };
    let environment = crate::environments::server::name_of(conn, environment_id).await?;
    record(
        conn,
        actor,
        Event {
            action: match (prefix, action) {
                ("field", "create") => "field.create",
                ("field", "delete") => "field.delete",
                ("field", "restore") => "field.restore",
                ("field", _) => "field.update",
                (_, "create") => "rule.create",
                (_, "restore") => "rule.restore",
                (_, _) => "rule.update",
            },
            object_type,
            object_id: Some(id.to_string()),
            summary,
            detail: (!comment.trim().is_empty())
                .then(|| serde_json::json!({ "comment": comment.trim() })),
            environment,
        },
    )
    .await
}

/// Adds a field mapping to a map (revision 1).
#[tracing::instrument(skip_all, fields(map.id = map_id))]
pub async fn create_field(
    conn: &mut dyn Conn,
    actor: &Actor,
    map_id: i64,
    content: &FieldContent,
    comment: &str,
) -> Result<i64, AppError> {
    let (env, map_name) = map_environment(conn, map_id).await?;
    let id: i64 = crate::db::query_scalar(
        "insert into field_mappings (map_id, fo_field, dataverse_column, direction, value_type, transform,
            default_value, value_map, revision, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9) returning id",
    )
    .bind(map_id)
    .bind(&content.fo_field)
    .bind(&content.dataverse_column)
    .bind(content.direction.as_str())
    .bind(content.value_type.as_str())
    .bind(content.transform.as_str())
    .bind(&content.default_value)
    .bind(serde_json::to_string(&content.value_map).unwrap_or_else(|_| "[]".into()))
    .bind(db_now())
    .fetch_one(&mut *conn)
    .await
    .on_unique(|| AppError::Conflict(format!("'{map_name}' already maps {}.", content.label())))?;
    let summary = format!("Mapped {} in '{map_name}'", content.label());
    append_revision(
        conn,
        actor,
        "field_mapping",
        env,
        id,
        1,
        "create",
        comment,
        serde_json::json!(content),
        summary,
    )
    .await?;
    index(conn, map_id, env).await?;
    Ok(id)
}

/// Removes a field mapping (a revision; the row stays for history). A field
/// with live (proposed or accepted) override rules cannot be removed until
/// those rules are rejected or superseded, so no rule outlives its field
/// without a recorded reason.
#[tracing::instrument(skip_all, fields(field.id = id))]
pub async fn delete_field(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    comment: &str,
) -> Result<i64, AppError> {
    let (field, deleted) = get_field(conn, id).await?;
    if deleted {
        return Err(AppError::not_found(format!("Field mapping {id}")));
    }
    let (env, map_name) = map_environment(conn, field.map_id).await?;
    let live: Vec<i64> = crate::db::query_scalar(
        "select id from conflict_rules where field_mapping_id = $1 and deleted = false
           and status in ('proposed', 'accepted') order by id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    if !live.is_empty() {
        let list = live
            .iter()
            .map(|r| format!("#{r}"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(AppError::Conflict(format!(
            "{} still has live override rules ({list}). Reject or supersede them first, so the rule book \
             says why the override ended.",
            field.content.label()
        )));
    }
    let revision = field.revision + 1;
    crate::db::query(
        "update field_mappings set deleted = true, revision = $1, updated_at = $2 where id = $3",
    )
    .bind(revision)
    .bind(db_now())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    let summary = format!("Removed {} from '{map_name}'", field.content.label());
    append_revision(
        conn,
        actor,
        "field_mapping",
        env,
        id,
        revision,
        "delete",
        comment,
        serde_json::json!(field.content),
        summary,
    )
    .await?;
    index(conn, field.map_id, env).await?;
    Ok(field.map_id)
}

/// One field mapping, live or removed (the flag says which).
#[tracing::instrument(skip_all, fields(field.id = id))]
pub async fn get_field(conn: &mut dyn Conn, id: i64) -> Result<(FieldMapping, bool), AppError> {
    let row: Option<(bool,)> =
        crate::db::query_as("select deleted from field_mappings where id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let (deleted,) = row.ok_or_else(|| AppError::not_found(format!("Field mapping {id}")))?;
    let row: FieldRow = crate::db::query_as(
        "select id, map_id, fo_field, dataverse_column, direction, value_type, transform, default_value, value_map, revision
         from field_mappings where id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok((FieldMapping::try_from(row)?, deleted))
}

async fn store_field(
    conn: &mut dyn Conn,
    id: i64,
    content: &FieldContent,
    revision: i64,
    map_name: &str,
) -> Result<(), AppError> {
    crate::db::query(
        "update field_mappings set fo_field = $1, dataverse_column = $2, direction = $3, value_type = $4, transform = $5,
            default_value = $6, value_map = $7, revision = $8, deleted = false, updated_at = $9
         where id = $10",
    )
    .bind(&content.fo_field)
    .bind(&content.dataverse_column)
    .bind(content.direction.as_str())
    .bind(content.value_type.as_str())
    .bind(content.transform.as_str())
    .bind(&content.default_value)
    .bind(serde_json::to_string(&content.value_map).unwrap_or_else(|_| "[]".into()))
    .bind(revision)
    .bind(db_now())
    .bind(id)
    .execute(conn)
    .await
    .on_unique(|| AppError::Conflict(format!("'{map_name}' already maps {}.", content.label())))?;
    Ok(())
}

/// Saves new content of a live field mapping as its next revision.
/// `expected_revision` is the revision the editor opened; a save in between
/// is refused rather than overwritten. Unchanged content writes nothing.
#[tracing::instrument(skip_all, fields(field.id = id))]
pub async fn update_field(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    expected_revision: i64,
    content: &FieldContent,
    comment: &str,
) -> Result<i64, AppError> {
    let (field, deleted) = get_field(conn, id).await?;
    if deleted {
        return Err(AppError::Conflict(format!(
            "{} was removed; restore a revision from its history first.",
            field.content.label()
        )));
    }
    if field.revision != expected_revision {
        return Err(AppError::Conflict(format!(
            "Someone saved revision {} of {} after you opened it. Reload, then make your change again.",
            field.revision,
            field.content.label()
        )));
    }
    if &field.content == content {
        return Ok(field.revision);
    }
    let (env, map_name) = map_environment(conn, field.map_id).await?;
    let revision = field.revision + 1;
    store_field(conn, id, content, revision, &map_name).await?;
    let summary = format!("Changed {} in '{map_name}'", content.label());
    append_revision(
        conn,
        actor,
        "field_mapping",
        env,
        id,
        revision,
        "update",
        comment,
        serde_json::json!(content),
        summary,
    )
    .await?;
    index(conn, field.map_id, env).await?;
    Ok(revision)
}

/// Makes an old revision of a field mapping current again (also brings a
/// removed field back), as a new revision.
#[tracing::instrument(skip_all, fields(field.id = id, revision))]
pub async fn restore_field(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    revision: i64,
) -> Result<i64, AppError> {
    let (field, _) = get_field(conn, id).await?;
    let old: FieldContent = crate::revisions::state_at(
        conn,
        "field_mapping",
        id,
        revision,
        &format!("field mapping {id}"),
    )
    .await?;
    let (env, map_name) = map_environment(conn, field.map_id).await?;
    let next = field.revision + 1;
    store_field(conn, id, &old, next, &map_name).await?;
    let summary = format!(
        "Restored revision {revision} of {} in '{map_name}'",
        old.label()
    );
    append_revision(
        conn,
        actor,
        "field_mapping",
        env,
        id,
        next,
        "restore",
        &format!("Restored revision {revision}"),
        serde_json::json!(old),
        summary,
    )
    .await?;
    index(conn, field.map_id, env).await?;
    Ok(next)
}

/// One conflict rule (rationale not rendered).
#[tracing::instrument(skip_all, fields(rule.id = id))]
pub async fn get_rule(conn: &mut dyn Conn, id: i64) -> Result<ConflictRule, AppError> {
    let row: Option<RuleRow> = crate::db::query_as(sqlx::AssertSqlSafe(
        RULE_SELECT.replace("{where}", "r.id = $1"),
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    ConflictRule::try_from(row.ok_or_else(|| AppError::not_found(format!("Conflict rule {id}")))?)
}

/// Makes an old revision of a rule current again (winner, enforcement,
/// rationale, status and successor), as a new revision.
#[tracing::instrument(skip_all, fields(rule.id = id, revision))]
pub async fn restore_rule(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    revision: i64,
) -> Result<i64, AppError> {
    let rule = get_rule(conn, id).await?;
    let old: RuleContent = crate::revisions::state_at(
        conn,
        "conflict_rule",
        id,
        revision,
        &format!("conflict rule {id}"),
    )
    .await?;
    let (env, map_name) = map_environment(conn, rule.map_id).await?;
    let next = rule.revision + 1;
    crate::db::query(
        "update conflict_rules set winner = $1, enforced_by = $2, rationale = $3, status = $4, superseded_by = $5,
            revision = $6, updated_at = $7 where id = $8",
    )
    .bind(old.winner.as_str())
    .bind(old.enforced_by.as_str())
    .bind(&old.rationale)
    .bind(old.status.as_str())
    .bind(old.superseded_by)
    .bind(next)
    .bind(db_now())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    let summary = format!("Restored revision {revision} of rule {id} of '{map_name}'");
    append_revision(
        conn,
        actor,
        "conflict_rule",
        env,
        id,
        next,
        "restore",
        &format!("Restored revision {revision}"),
        serde_json::json!(old),
        summary,
    )
    .await?;
    index(conn, rule.map_id, env).await?;
    Ok(rule.map_id)
}

/// What an import changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FieldImportCount {
    /// New field mappings.
    pub created: usize,
    /// Existing ones saved as a new revision.
    pub updated: usize,
    /// Existing ones already as imported.
    pub unchanged: usize,
}

/// Adds or updates field mappings of a map, matched on the F&O field and
/// Dataverse column. Mappings not in `fields` stay as they are: an import
/// never removes anything. Call it in the transaction of the whole import.
#[tracing::instrument(skip_all, fields(map.id = map_id, fields = fields.len()))]
pub async fn import_fields(
    conn: &mut dyn Conn,
    actor: &Actor,
    map_id: i64,
    fields: &[FieldContent],
    comment: &str,
) -> Result<FieldImportCount, AppError> {
    let existing = fields_of(conn, &[map_id]).await?;
    let mut count = FieldImportCount::default();
    for f in fields {
        match existing.iter().find(|e| {
            e.content.fo_field == f.fo_field && e.content.dataverse_column == f.dataverse_column
        }) {
            None => {
                create_field(conn, actor, map_id, f, comment).await?;
                count.created += 1;
            }
            Some(e) if &e.content == f => count.unchanged += 1,
            Some(e) => {
                update_field(conn, actor, e.id, e.revision, f, comment).await?;
                count.updated += 1;
            }
        }
    }
    Ok(count)
}

/// What a new rule says.
#[derive(Debug, Clone)]
pub struct NewRule {
    /// The field it overrides, or `None` for the map default.
    pub field_mapping_id: Option<i64>,
    /// Who wins.
    pub winner: Winner,
    /// What enforces it.
    pub enforced_by: EnforcedBy,
    /// Why (Markdown, required).
    pub rationale: String,
    /// Initial status (proposed or accepted).
    pub status: RuleStatus,
}

/// Records a conflict rule, decided by the acting user today.
#[tracing::instrument(skip_all, fields(map.id = map_id))]
pub async fn create_rule(
    conn: &mut dyn Conn,
    actor: &Actor,
    map_id: i64,
    rule: &NewRule,
) -> Result<i64, AppError> {
    let (env, map_name) = map_environment(conn, map_id).await?;
    if rule.rationale.trim().is_empty() {
        return Err(AppError::validation(
            "rationale",
            "Write down why: the rationale is what the next person needs.",
        ));
    }
    if let Some(f) = rule.field_mapping_id {
        let belongs: Option<i64> = crate::db::query_scalar(
            "select id from field_mappings where id = $1 and map_id = $2 and deleted = false",
        )
        .bind(f)
        .bind(map_id)
        .fetch_optional(&mut *conn)
        .await?;
        if belongs.is_none() {
            return Err(AppError::validation(
                "field",
                format!("Field mapping {f} is not part of '{map_name}'."),
            ));
        }
    }
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let id: i64 = crate::db::query_scalar(
        "insert into conflict_rules (map_id, field_mapping_id, winner, enforced_by, rationale, decided_by, decided_on,
            status, revision, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9) returning id",
    )
    .bind(map_id)
    .bind(rule.field_mapping_id)
    .bind(rule.winner.as_str())
    .bind(rule.enforced_by.as_str())
    .bind(rule.rationale.trim())
    .bind(&actor.label)
    .bind(&today)
    .bind(rule.status.as_str())
    .bind(db_now())
    .fetch_one(&mut *conn)
    .await?;
    let snapshot = serde_json::json!(RuleContent {
        field_mapping_id: rule.field_mapping_id,
        winner: rule.winner,
        enforced_by: rule.enforced_by,
        rationale: rule.rationale.trim().to_string(),
        decided_by: actor.label.clone(),
        decided_on: today,
        status: rule.status,
        superseded_by: None,
    });
    let summary = format!(
        "Recorded '{}' ({}) for '{map_name}'",
        rule.winner.label(),
        rule.status.label().to_lowercase()
    );
    append_revision(
        conn,
        actor,
        "conflict_rule",
        env,
        id,
        1,
        "create",
        "",
        snapshot,
        summary,
    )
    .await?;
    index(conn, map_id, env).await?;
    Ok(id)
}

/// Moves a rule to a new status. Superseding needs the newer rule of the
/// same map, and links the two both ways.
#[tracing::instrument(skip_all, fields(rule.id = id))]
pub async fn set_rule_status(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    status: RuleStatus,
    superseded_by: Option<i64>,
) -> Result<i64, AppError> {
    let rule = get_rule(conn, id).await?;
    let (map_id, revision, old) = (rule.map_id, rule.revision, rule.status.as_str());
    let (env, map_name) = map_environment(conn, map_id).await?;
    let successor = match (status, superseded_by) {
        (RuleStatus::Superseded, None) => {
            return Err(AppError::validation(
                "superseded_by",
                "Name the rule that replaces this one.",
            ));
        }
        (RuleStatus::Superseded, Some(s)) if s == id => {
            return Err(AppError::validation(
                "superseded_by",
                "A rule cannot supersede itself.",
            ));
        }
        (RuleStatus::Superseded, Some(s)) => {
            let same_map: Option<i64> = crate::db::query_scalar(
                "select id from conflict_rules where id = $1 and map_id = $2 and deleted = false",
            )
            .bind(s)
            .bind(map_id)
            .fetch_optional(&mut *conn)
            .await?;
            if same_map.is_none() {
                return Err(AppError::validation(
                    "superseded_by",
                    format!("Rule {s} is not a rule of '{map_name}'."),
                ));
            }
            Some(s)
        }
        _ => None,
    };
    let revision = revision + 1;
    crate::db::query("update conflict_rules set status = $1, superseded_by = $2, revision = $3, updated_at = $4 where id = $5")
        .bind(status.as_str())
        .bind(successor)
        .bind(revision)
        .bind(db_now())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let summary = format!("Rule {id} of '{map_name}': {old} → {}", status.as_str());
    let snapshot = serde_json::json!(RuleContent {
        status,
        superseded_by: successor,
        ..RuleContent::from(&rule)
    });
    append_revision(
        conn,
        actor,
        "conflict_rule",
        env,
        id,
        revision,
        "update",
        "",
        snapshot,
        summary,
    )
    .await?;
    index(conn, map_id, env).await?;
    Ok(map_id)
}

/// The maps that have at least one live field mapping.
pub async fn maps_with_fields(
    conn: &mut dyn Conn,
) -> Result<std::collections::HashSet<i64>, AppError> {
    let ids: Vec<i64> =
        crate::db::query_scalar("select distinct map_id from field_mappings where deleted = false")
            .fetch_all(conn)
            .await?;
    Ok(ids.into_iter().collect())
}

/// How many live field mappings a map has.
pub async fn field_count(conn: &mut dyn Conn, map_id: i64) -> Result<i64, AppError> {
    Ok(crate::db::query_scalar(
        "select count(*) from field_mappings where map_id = $1 and deleted = false",
    )
    .bind(map_id)
    .fetch_one(conn)
    .await?)
}

/// What a maps import changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapImportCount {
    /// New maps.
    pub created: usize,
    /// Existing maps saved as a new revision.
    pub updated: usize,
    /// Existing maps already as imported.
    pub unchanged: usize,
    /// Their field mappings.
    pub fields: FieldImportCount,
}

/// Imports maps into an environment: a map whose name is live there is
/// updated (a new revision when its content differs), any other is
/// created; their field mappings are added or updated the same way.
/// Nothing is removed. Call it in one transaction, so a failure anywhere
/// leaves the environment as it was.
#[tracing::instrument(skip_all, fields(environment = %environment.name, maps = maps.len()))]
pub async fn import_maps(
    conn: &mut dyn Conn,
    actor: &Actor,
    environment: &crate::environments::Environment,
    maps: &[super::transfer::MapImport],
    comment: &str,
) -> Result<MapImportCount, AppError> {
    use crate::maps::server::{create, list, update};
    let live = list(conn, environment.id).await?;
    let mut count = MapImportCount::default();
    for (content, fields) in maps {
        let id = match live.iter().find(|m| m.content.name == content.name) {
            None => {
                count.created += 1;
                create(conn, actor, environment, content, comment).await?
            }
            Some(m) if &m.content == content => {
                count.unchanged += 1;
                m.id
            }
            Some(m) => {
                count.updated += 1;
                update(conn, actor, m.id, m.revision, content, comment).await?;
                m.id
            }
        };
        let f = import_fields(conn, actor, id, fields, comment).await?;
        count.fields.created += f.created;
        count.fields.updated += f.updated;
        count.fields.unchanged += f.unchanged;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environments::{server as envs, validate_environment};

    async fn map(conn: &mut dyn Conn) -> i64 {
        let input = validate_environment("UAT", "", "", "").unwrap();
        envs::save(conn, &Actor::cli(), None, &input).await.unwrap();
        let env = envs::by_name(conn, "UAT").await.unwrap();
        let content = crate::maps::starter::starter_set().remove(0);
        crate::maps::server::create(conn, &Actor::cli(), &env, &content, "")
            .await
            .unwrap()
    }

    fn rule(field: Option<i64>, winner: Winner, status: RuleStatus) -> NewRule {
        NewRule {
            field_mapping_id: field,
            winner,
            enforced_by: EnforcedBy::TeamPolicy,
            rationale: "Credit control owns limits.".into(),
            status,
        }
    }

    #[tokio::test]
    async fn fields_and_rules_are_stored_with_revisions_and_audit() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let cli = Actor::cli();
        let map_id = map(&mut conn).await;
        let content = super::super::validate_field(
            "CreditLimit",
            "creditlimit",
            "both",
            "number",
            "none",
            "",
            "",
        )
        .unwrap();
        let field = create_field(&mut conn, &cli, map_id, &content, "limits")
            .await
            .unwrap();
        assert!(matches!(
            create_field(&mut conn, &cli, map_id, &content, "").await,
            Err(AppError::Conflict(_))
        ));

        let default = create_rule(
            &mut conn,
            &cli,
            map_id,
            &rule(None, Winner::Fo, RuleStatus::Accepted),
        )
        .await
        .unwrap();
        let over = create_rule(
            &mut conn,
            &cli,
            map_id,
            &rule(Some(field), Winner::LastWrite, RuleStatus::Proposed),
        )
        .await
        .unwrap();
        let rules = rules_of(&mut conn, &[map_id]).await.unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].id, default, "the map default comes first");
        assert_eq!(
            rules[1].field_label.as_deref(),
            Some("CreditLimit ↔ creditlimit")
        );

        set_rule_status(&mut conn, &cli, default, RuleStatus::Superseded, Some(over))
            .await
            .unwrap();
        let rules = rules_of(&mut conn, &[map_id]).await.unwrap();
        let newer = rules.iter().find(|r| r.id == over).unwrap();
        assert_eq!(newer.supersedes, vec![default], "linked both ways");

        let refused = delete_field(&mut conn, &cli, field, "").await.unwrap_err();
        assert!(
            matches!(&refused, AppError::Conflict(m) if m.contains(&format!("#{over}"))),
            "a field with a live override cannot go: {refused:?}"
        );
        set_rule_status(&mut conn, &cli, over, RuleStatus::Rejected, None)
            .await
            .unwrap();
        delete_field(&mut conn, &cli, field, "not mapped after all")
            .await
            .unwrap();
        assert!(fields_of(&mut conn, &[map_id]).await.unwrap().is_empty());
        let revisions: i64 = crate::db::query_scalar(
            "select count(*) from revisions where object_type <> 'table_map'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(revisions, 6);
        let audited: i64 = crate::db::query_scalar(
            "select count(*) from audit_log where action like 'field.%' or action like 'rule.%'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(audited, 6);
    }

    #[tokio::test]
    async fn fields_edit_in_place_and_restore_any_revision() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let cli = Actor::cli();
        let map_id = map(&mut conn).await;
        let v1 = super::super::validate_field("Blocked", "blocked", "both", "enum", "none", "", "")
            .unwrap();
        let id = create_field(&mut conn, &cli, map_id, &v1, "")
            .await
            .unwrap();
        let v2 = super::super::validate_field(
            "Blocked",
            "blocked",
            "both",
            "enum",
            "value_map",
            "",
            "No = 0\nAll = 1",
        )
        .unwrap();
        assert_eq!(
            update_field(&mut conn, &cli, id, 1, &v2, "value map")
                .await
                .unwrap(),
            2
        );
        assert!(
            matches!(
                update_field(&mut conn, &cli, id, 1, &v1, "stale").await,
                Err(AppError::Conflict(_))
            ),
            "a save from an old form is refused"
        );
        assert_eq!(
            update_field(&mut conn, &cli, id, 2, &v2, "no change")
                .await
                .unwrap(),
            2,
            "unchanged content writes no revision"
        );
        delete_field(&mut conn, &cli, id, "").await.unwrap();
        assert!(matches!(
            update_field(&mut conn, &cli, id, 3, &v1, "").await,
            Err(AppError::Conflict(_))
        ));
        assert_eq!(restore_field(&mut conn, &cli, id, 2).await.unwrap(), 4);
        let (back, removed) = get_field(&mut conn, id).await.unwrap();
        assert!(!removed, "restoring brings a removed field back");
        assert_eq!(back.content, v2);
        let history = crate::revisions::history(&mut conn, "field_mapping", id)
            .await
            .unwrap();
        let actions: Vec<_> = history.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(actions, vec!["restore", "delete", "update", "create"]);
    }

    #[tokio::test]
    async fn rule_revisions_read_back_whole_and_restore() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let cli = Actor::cli();
        let map_id = map(&mut conn).await;
        let id = create_rule(
            &mut conn,
            &cli,
            map_id,
            &rule(None, Winner::Fo, RuleStatus::Proposed),
        )
        .await
        .unwrap();
        // Early status changes stored only what changed; they still read
        // back as the whole rule.
        crate::db::query(
            "insert into revisions (object_type, object_id, revision, environment_id, action, author, created_at, snapshot)
             select 'conflict_rule', $1, 2, environment_id, 'update', 'cli', created_at, '{\"status\":\"accepted\",\"superseded_by\":null}'
             from revisions where object_type = 'conflict_rule' and object_id = $2",
        )
        .bind(id)
        .bind(id)
        .execute(&mut *conn)
        .await
        .unwrap();
        crate::db::query(
            "update conflict_rules set status = 'accepted', revision = 2 where id = $1",
        )
        .bind(id)
        .execute(&mut *conn)
        .await
        .unwrap();
        let two: RuleContent =
            crate::revisions::state_at(&mut conn, "conflict_rule", id, 2, "rule")
                .await
                .unwrap();
        assert_eq!(two.status, RuleStatus::Accepted);
        assert_eq!(two.rationale, "Credit control owns limits.");
        assert!(matches!(
            crate::revisions::state_at::<RuleContent>(&mut conn, "conflict_rule", id, 3, "rule")
                .await,
            Err(AppError::NotFound { .. })
        ));

        set_rule_status(&mut conn, &cli, id, RuleStatus::Rejected, None)
            .await
            .unwrap();
        restore_rule(&mut conn, &cli, id, 2).await.unwrap();
        let now = get_rule(&mut conn, id).await.unwrap();
        assert_eq!((now.status, now.revision), (RuleStatus::Accepted, 4));
        let one: RuleContent =
            crate::revisions::state_at(&mut conn, "conflict_rule", id, 1, "rule")
                .await
                .unwrap();
        let changes = super::super::rule_changes(&one, &RuleContent::from(&now));
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "Status");
    }

    #[tokio::test]
    async fn rules_need_a_rationale_and_a_successor_of_the_same_map() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let cli = Actor::cli();
        let map_id = map(&mut conn).await;
        let mut blank = rule(None, Winner::Fo, RuleStatus::Accepted);
        blank.rationale = "  ".into();
        assert!(matches!(
            create_rule(&mut conn, &cli, map_id, &blank).await,
            Err(AppError::Validation { .. })
        ));
        let id = create_rule(
            &mut conn,
            &cli,
            map_id,
            &rule(None, Winner::Fo, RuleStatus::Accepted),
        )
        .await
        .unwrap();
        for successor in [None, Some(id), Some(999)] {
            let err = set_rule_status(&mut conn, &cli, id, RuleStatus::Superseded, successor)
                .await
                .unwrap_err();
            assert!(
                matches!(err, AppError::Validation { ref field, .. } if field == "superseded_by"),
                "{successor:?}"
            );
        }
        let foreign = create_rule(
            &mut conn,
            &cli,
            map_id,
            &rule(Some(12345), Winner::Fo, RuleStatus::Accepted),
        )
        .await;
        assert!(matches!(foreign, Err(AppError::Validation { ref field, .. }) if field == "field"));
    }
}
