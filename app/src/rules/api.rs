//! Server functions for field mappings and conflict rules. Editors and
//! admins write; every write is a revision and an audit entry. Each
//! redirects back to the map page, so the forms work without JavaScript.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The field-mapping form (`field[fo_field]`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldForm {
    /// F&O field.
    pub fo_field: String,
    /// Dataverse column.
    pub dataverse_column: String,
    /// Direction (stored name).
    pub direction: String,
    /// Value type (stored name).
    pub value_type: String,
    /// Transform (stored name).
    pub transform: String,
    /// Default value.
    pub default_value: String,
    /// Value map, one `F&O = Dataverse` per line.
    pub value_map: String,
}

/// Adds a field mapping to a map (no `field_id`), or saves the next
/// revision of one (`field_id` plus the `expected_revision` it was opened at).
#[server(prefix = "/sfn", endpoint = "save_field_mapping")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn save_field_mapping(
    map_id: i64,
    field_id: Option<i64>,
    expected_revision: Option<i64>,
    field: FieldForm,
    comment: String,
) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "edit field mappings")?;
    let content = super::validate_field(
        &field.fo_field,
        &field.dataverse_column,
        &field.direction,
        &field.value_type,
        &field.transform,
        &field.default_value,
        &field.value_map,
    )
    .map_err(|(f, m)| AppError::validation(f, m))?;
    let actor = Actor::user(&user, client_ip());
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    let id = match field_id {
        None => super::server::create_field(&mut tx, &actor, map_id, &content, &comment).await?,
        Some(id) => {
            let expected = expected_revision.ok_or_else(|| {
                AppError::validation(
                    "expected_revision",
                    "The form is missing the revision it was opened at; reload it.",
                )
            })?;
            let (current, _) = super::server::get_field(&mut tx, id).await?;
            if current.map_id != map_id {
                return Err(AppError::not_found(format!(
                    "Field mapping {id} of table map {map_id}"
                )));
            }
            super::server::update_field(&mut tx, &actor, id, expected, &content, &comment).await?;
            id
        }
    };
    tx.commit().await?;
    leptos_axum::redirect(&format!("/maps/{map_id}#field-{id}"));
    Ok(())
}

/// A field mapping with its map's name, for the edit page.
#[server(prefix = "/sfn", endpoint = "get_field_mapping")]
pub async fn get_field_mapping(field_id: i64) -> Result<super::FieldEdit, AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let (field, _) = super::server::get_field(&mut conn, field_id).await?;
    let map = crate::maps::server::get(&mut conn, field.map_id).await?;
    Ok(super::FieldEdit {
        field,
        map_name: map.content.name,
    })
}

#[cfg(feature = "ssr")]
async fn describe(
    conn: &mut dyn crate::db::Conn,
    kind: super::Documented,
    id: i64,
) -> Result<super::ObjectHistory, AppError> {
    use super::Documented;
    use crate::auth::{Role, server::caller};
    let (map_id, title, revision, removed) = match kind {
        Documented::Field => {
            let (f, removed) = super::server::get_field(conn, id).await?;
            (f.map_id, f.content.label(), f.revision, removed)
        }
        Documented::Rule => {
            let r = super::server::get_rule(conn, id).await?;
            let scope = r
                .field_label
                .map(|f| format!("override for {f}"))
                .unwrap_or_else(|| "map default".into());
            (r.map_id, format!("Rule #{id} ({scope})"), r.revision, false)
        }
    };
    let map = crate::maps::server::get(conn, map_id).await?;
    Ok(super::ObjectHistory {
        kind,
        id,
        map_id,
        map_name: map.content.name,
        title,
        revision,
        removed,
        revisions: crate::revisions::history(conn, kind.object_type(), id).await?,
        can_edit: caller().is_some_and(|u| u.role.allows(Role::Editor)),
    })
}

#[cfg(feature = "ssr")]
fn documented(kind: &str) -> Result<super::Documented, AppError> {
    super::Documented::parse(kind).ok_or_else(|| {
        AppError::validation("kind", format!("'{kind}' is neither fields nor rules."))
    })
}

/// Every revision of a field mapping or conflict rule (`kind`: fields, rules).
#[server(prefix = "/sfn", endpoint = "object_history")]
pub async fn object_history(kind: String, id: i64) -> Result<super::ObjectHistory, AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let kind = documented(&kind)?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    describe(&mut conn, kind, id).await
}

/// The changes between two revisions of a field mapping or rule.
#[server(prefix = "/sfn", endpoint = "object_diff")]
pub async fn object_diff(
    kind: String,
    id: i64,
    from: i64,
    to: i64,
) -> Result<super::ObjectComparison, AppError> {
    use super::{Documented, FieldContent, RuleContent};
    use crate::auth::server::*;
    use crate::db::*;
    use crate::revisions::state_at;
    require_user()?;
    let kind = documented(&kind)?;
    let (from, to) = (from.min(to), from.max(to));
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let object = describe(&mut conn, kind, id).await?;
    let what = format!("{} {id}", kind.label().to_lowercase());
    let t = kind.object_type();
    let changes = match kind {
        Documented::Field => super::field_changes(
            &state_at::<FieldContent>(&mut conn, t, id, from, &what).await?,
            &state_at::<FieldContent>(&mut conn, t, id, to, &what).await?,
        ),
        Documented::Rule => super::rule_changes(
            &state_at::<RuleContent>(&mut conn, t, id, from, &what).await?,
            &state_at::<RuleContent>(&mut conn, t, id, to, &what).await?,
        ),
    };
    Ok(super::ObjectComparison {
        object,
        from,
        to,
        changes,
    })
}

/// Makes an old revision of a field mapping or rule current again, as a new
/// revision (a removed field comes back).
#[server(prefix = "/sfn", endpoint = "restore_object")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn restore_object(kind: String, id: i64, revision: i64) -> Result<(), AppError> {
    use super::Documented;
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let kind = documented(&kind)?;
    let user = require_role(Role::Editor, "restore rule-book revisions")?;
    let actor = Actor::user(&user, client_ip());
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    match kind {
        Documented::Field => {
            super::server::restore_field(&mut tx, &actor, id, revision).await?;
        }
        Documented::Rule => {
            super::server::restore_rule(&mut tx, &actor, id, revision).await?;
        }
    }
    tx.commit().await?;
    leptos_axum::redirect(&format!("/{}/{id}/history", kind.as_str()));
    Ok(())
}

/// Removes a field mapping (kept in the history).
#[server(prefix = "/sfn", endpoint = "delete_field_mapping")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn delete_field_mapping(field_id: i64, comment: String) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "edit field mappings")?;
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    let map_id = super::server::delete_field(
        &mut tx,
        &Actor::user(&user, client_ip()),
        field_id,
        &comment,
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/maps/{map_id}#fields"));
    Ok(())
}

/// Records a conflict rule: for the whole map (`field` empty) or one field.
#[server(prefix = "/sfn", endpoint = "save_conflict_rule")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn save_conflict_rule(
    map_id: i64,
    field: String,
    winner: String,
    enforced_by: String,
    rationale: String,
    status: String,
) -> Result<(), AppError> {
    use super::{EnforcedBy, RuleStatus, Winner};
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "record conflict rules")?;
    let bad = |f: &'static str, v: &str| {
        let (field, message) = crate::maps::not_a_choice(f, v);
        AppError::validation(field, message)
    };
    let rule = super::server::NewRule {
        field_mapping_id: match field.trim() {
            "" => None,
            v => Some(v.parse().map_err(|_| bad("field", v))?),
        },
        winner: Winner::parse(winner.trim()).ok_or_else(|| bad("winner", &winner))?,
        enforced_by: EnforcedBy::parse(enforced_by.trim())
            .ok_or_else(|| bad("enforced_by", &enforced_by))?,
        rationale,
        status: match RuleStatus::parse(status.trim()) {
            Some(s @ (RuleStatus::Proposed | RuleStatus::Accepted)) => s,
            _ => {
                return Err(AppError::validation(
                    "status",
                    "A new rule is either proposed or accepted.",
                ));
            }
        },
    };
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    super::server::create_rule(&mut tx, &Actor::user(&user, client_ip()), map_id, &rule).await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/maps/{map_id}#rules"));
    Ok(())
}

/// Accepts, rejects or supersedes a rule (`superseded_by`: the newer rule's id).
#[server(prefix = "/sfn", endpoint = "set_conflict_rule_status")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn set_conflict_rule_status(
    rule_id: i64,
    status: String,
    superseded_by: String,
) -> Result<(), AppError> {
    use super::RuleStatus;
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "change conflict rules")?;
    let status = RuleStatus::parse(status.trim()).ok_or_else(|| {
        AppError::validation("status", format!("'{status}' is not a rule status."))
    })?;
    let successor = match superseded_by.trim().trim_start_matches('#') {
        "" => None,
        v => Some(v.parse::<i64>().map_err(|_| {
            AppError::validation(
                "superseded_by",
                format!("'{v}' is not a rule number; use the number shown as #N."),
            )
        })?),
    };
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    let map_id = super::server::set_rule_status(
        &mut tx,
        &Actor::user(&user, client_ip()),
        rule_id,
        status,
        successor,
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/maps/{map_id}#rules"));
    Ok(())
}

/// Imports field mappings of one map from CSV (header row first): matched
/// on F&O field and Dataverse column, created or updated, never removed.
/// Checked in full first; any problem means nothing is imported.
#[server(prefix = "/sfn", endpoint = "import_field_mappings")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn import_field_mappings(
    map_id: i64,
    csv: String,
    comment: String,
) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "import field mappings")?;
    let fields =
        super::transfer::parse_fields_csv(&csv).map_err(|m| AppError::validation("csv", m))?;
    let comment = match comment.trim() {
        "" => "Imported from CSV".to_string(),
        c => c.to_string(),
    };
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    let map = crate::maps::server::get(&mut tx, map_id).await?;
    if map.deleted {
        return Err(AppError::Conflict(format!(
            "The map '{}' is deleted; restore it before importing fields.",
            map.content.name
        )));
    }
    let n = super::server::import_fields(
        &mut tx,
        &Actor::user(&user, client_ip()),
        map_id,
        &fields,
        &comment,
    )
    .await?;
    tx.commit().await?;
    // Counts only: the page words them (`components::import_summary`).
    leptos_axum::redirect(&format!(
        "/maps/{map_id}/import?fields={},{},{}",
        n.created, n.updated, n.unchanged
    ));
    Ok(())
}
