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

/// Adds a field mapping to a map.
#[server(prefix = "/sfn", endpoint = "save_field_mapping")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err))]
pub async fn save_field_mapping(
    map_id: i64,
    field: FieldForm,
    comment: String,
) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
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
    let pool = db()?;
    let mut tx = pool.begin().await?;
    super::server::create_field(
        &mut tx,
        &Actor::user(&user, client_ip()),
        map_id,
        &content,
        &comment,
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/maps/{map_id}#fields"));
    Ok(())
}

/// Removes a field mapping (kept in the history).
#[server(prefix = "/sfn", endpoint = "delete_field_mapping")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err))]
pub async fn delete_field_mapping(field_id: i64, comment: String) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    let user = require_role(Role::Editor, "edit field mappings")?;
    let pool = db()?;
    let mut tx = pool.begin().await?;
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
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err))]
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
    let mut tx = pool.begin().await?;
    super::server::create_rule(&mut tx, &Actor::user(&user, client_ip()), map_id, &rule).await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/maps/{map_id}#rules"));
    Ok(())
}

/// Accepts, rejects or supersedes a rule (`superseded_by`: the newer rule's id).
#[server(prefix = "/sfn", endpoint = "set_conflict_rule_status")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err))]
pub async fn set_conflict_rule_status(
    rule_id: i64,
    status: String,
    superseded_by: String,
) -> Result<(), AppError> {
    use super::RuleStatus;
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
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
    let mut tx = pool.begin().await?;
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
