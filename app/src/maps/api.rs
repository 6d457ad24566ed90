//! Server functions for table maps. Anyone signed in reads; editors and
//! admins write. Every write is a revision and an audit entry.

use super::{MapComparison, MapDetail, MapForm, MapList, Revision};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    //! Helpers shared by the map server functions.
    use crate::auth::Role;
    use crate::auth::server::caller;
    use crate::environments::Environment;
    use crate::error::AppError;
    use sqlx::SqliteConnection;

    /// Whether the caller may edit maps.
    pub fn can_edit() -> bool {
        caller().is_some_and(|u| u.role.allows(Role::Editor))
    }

    /// The environment of a map.
    pub async fn environment_of(
        conn: &mut SqliteConnection,
        name: &str,
    ) -> Result<Environment, AppError> {
        crate::environments::server::by_name(conn, name).await
    }

    /// Number of legal entities in scope, for the volume checks.
    pub fn entities(env: &Environment) -> usize {
        env.legal_entities.len()
    }
}

/// The maps of one environment (`env` by name; the first when absent).
#[server(prefix = "/sfn", endpoint = "list_maps")]
pub async fn list_maps(env: Option<String>) -> Result<MapList, AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let all = crate::environments::server::list(&mut conn).await?;
    let Some(environment) = crate::environments::pick(&all, env.as_deref()).cloned() else {
        return Ok(MapList {
            environment: None,
            maps: vec![],
            deleted: vec![],
            can_edit: ssr::can_edit(),
        });
    };
    let maps = super::server::list(&mut conn, environment.id).await?;
    let ids: Vec<i64> = maps.iter().map(|m| m.id).collect();
    let fields = crate::rules::server::fields_of(&mut conn, &ids).await?;
    let rules = crate::rules::server::rules_of(&mut conn, &ids).await?;
    let maps = maps
        .into_iter()
        .map(|map| {
            let f: Vec<_> = fields
                .iter()
                .filter(|f| f.map_id == map.id)
                .cloned()
                .collect();
            let r: Vec<_> = rules
                .iter()
                .filter(|r| r.map_id == map.id)
                .cloned()
                .collect();
            let mut warnings = super::check_map(&map.content, ssr::entities(&environment));
            warnings.extend(crate::rules::check_rules(&map.content, &f, &r));
            super::MapListItem { warnings, map }
        })
        .collect();
    let deleted = super::server::list_deleted(&mut conn, environment.id).await?;
    Ok(MapList {
        environment: Some(environment),
        maps,
        deleted,
        can_edit: ssr::can_edit(),
    })
}

/// One map with its warnings, rendered notes and recent history.
#[server(prefix = "/sfn", endpoint = "get_map")]
pub async fn get_map(map_id: i64) -> Result<MapDetail, AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let map = super::server::get(&mut conn, map_id).await?;
    let env = ssr::environment_of(&mut conn, &map.environment).await?;
    let mut history = super::server::history(&mut conn, map_id).await?;
    history.truncate(5);
    let fields = crate::rules::server::fields_of(&mut conn, &[map_id]).await?;
    let mut rules = crate::rules::server::rules_of(&mut conn, &[map_id]).await?;
    for r in &mut rules {
        r.rationale_html = crate::markdown::render(&r.rationale);
    }
    let warnings = if map.deleted {
        vec![]
    } else {
        let mut w = super::check_map(&map.content, ssr::entities(&env));
        w.extend(crate::rules::check_rules(&map.content, &fields, &rules));
        w
    };
    let observed = crate::maps::server::observations(&mut conn, map_id, 10).await?;
    let observed = observed
        .into_iter()
        .filter_map(|(s, at, d)| super::MapState::parse(&s).map(|s| (s, at, d)))
        .collect();
    let counts = crate::counts::server::recent(&mut conn, map_id, 10).await?;
    let company_counts = crate::counts::server::latest_by_company(&mut conn, map_id).await?;
    let reconciled = crate::reconcile::server::latest_done(&mut conn, map_id).await?;
    Ok(MapDetail {
        reconciled,
        company_counts,
        counts,
        observed,
        warnings,
        notes_html: crate::markdown::render(&map.content.notes),
        map,
        history,
        fields,
        rules,
        can_edit: ssr::can_edit(),
    })
}

/// Creates a map in `env` (no `map_id`) or saves the next revision of one.
/// `expected_revision` is the revision the form was opened at.
#[server(prefix = "/sfn", endpoint = "save_map")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err))]
pub async fn save_map(
    map_id: Option<i64>,
    env: String,
    expected_revision: Option<i64>,
    form: MapForm,
    comment: String,
) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "edit table maps")?;
    let content = form
        .validate()
        .map_err(|(field, message)| AppError::validation(field, message))?;
    let actor = Actor::user(&user, client_ip());
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    let id = match map_id {
        None => {
            let environment = ssr::environment_of(&mut tx, &env).await?;
            super::server::create(&mut tx, &actor, &environment, &content, &comment).await?
        }
        Some(id) => {
            let expected = expected_revision.ok_or_else(|| {
                AppError::validation(
                    "expected_revision",
                    "The form is missing the revision it was opened at; reload it.",
                )
            })?;
            super::server::update(&mut tx, &actor, id, expected, &content, &comment).await?;
            id
        }
    };
    tx.commit().await?;
    leptos_axum::redirect(&format!("/maps/{id}"));
    Ok(())
}

/// Deletes a map (as a revision; it can be restored from its history).
#[server(prefix = "/sfn", endpoint = "delete_map")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err))]
pub async fn delete_map(map_id: i64, comment: String) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "delete table maps")?;
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    super::server::delete(&mut tx, &Actor::user(&user, client_ip()), map_id, &comment).await?;
    let env = super::server::get(&mut tx, map_id).await?.environment;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/maps?env={env}"));
    Ok(())
}

/// Makes an old revision current again, as a new revision.
#[server(prefix = "/sfn", endpoint = "restore_map")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err))]
pub async fn restore_map(map_id: i64, revision: i64) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "restore table maps")?;
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    super::server::restore(&mut tx, &Actor::user(&user, client_ip()), map_id, revision).await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/maps/{map_id}"));
    Ok(())
}

/// Every revision of a map, newest first, and whether the caller may
/// restore one.
#[server(prefix = "/sfn", endpoint = "map_history")]
pub async fn map_history(map_id: i64) -> Result<(super::TableMap, Vec<Revision>, bool), AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let map = super::server::get(&mut conn, map_id).await?;
    let history = super::server::history(&mut conn, map_id).await?;
    Ok((map, history, ssr::can_edit()))
}

/// The changes between two revisions of a map (in either order).
#[server(prefix = "/sfn", endpoint = "map_diff")]
pub async fn map_diff(map_id: i64, from: i64, to: i64) -> Result<MapComparison, AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let (from, to) = (from.min(to), from.max(to));
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let map = super::server::get(&mut conn, map_id).await?;
    let before = super::server::revision_content(&mut conn, map_id, from).await?;
    let after = super::server::revision_content(&mut conn, map_id, to).await?;
    Ok(MapComparison {
        map,
        from,
        to,
        changes: super::diff::map_changes(&before, &after),
    })
}

/// Adds the starter set to an environment that has no maps.
#[server(prefix = "/sfn", endpoint = "apply_starter_set")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err))]
pub async fn apply_starter_set(env: String) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "add table maps")?;
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    let environment = ssr::environment_of(&mut tx, &env).await?;
    super::server::apply_starter(&mut tx, &Actor::user(&user, client_ip()), &environment).await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/maps?env={}", environment.name));
    Ok(())
}

/// Imports a maps document (JSON, as the export writes it) into `env`: maps
/// are matched by name and created or updated with their field mappings.
/// Checked in full first; any problem means nothing is imported.
#[server(prefix = "/sfn", endpoint = "import_maps")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err))]
pub async fn import_maps(env: String, document: String, comment: String) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::components::percent_encode;
    use crate::db::*;
    let user = require_role(Role::Editor, "import table maps")?;
    if document.trim().is_empty() {
        return Err(AppError::validation(
            "document",
            "Paste a maps document (JSON) or choose its file.",
        ));
    }
    let maps = super::transfer::parse_maps_document(&document)
        .map_err(|m| AppError::validation("document", m))?;
    let comment = match comment.trim() {
        "" => "Imported from a maps document".to_string(),
        c => c.to_string(),
    };
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    let environment = ssr::environment_of(&mut tx, &env).await?;
    let count = super::server::import(
        &mut tx,
        &Actor::user(&user, client_ip()),
        &environment,
        &maps,
        &comment,
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!(
        "/maps/import?env={}&result={}",
        percent_encode(&environment.name, b""),
        percent_encode(&count.summary(), b"")
    ));
    Ok(())
}
