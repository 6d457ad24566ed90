//! Server functions for table maps. Anyone signed in reads; editors and
//! admins write. Every write is a revision and an audit entry.

use super::{MapComparison, MapForm, Revision};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub mod ssr {
    //! Helpers shared by the map server functions.
    use crate::auth::Role;
    use crate::auth::server::caller;
    use crate::db::Conn;
    use crate::environments::Environment;
    use crate::error::AppError;

    /// Whether the caller may edit maps.
    pub fn can_edit() -> bool {
        caller().is_some_and(|u| u.role.allows(Role::Editor))
    }

    /// The environment of a map.
    pub async fn environment_of(conn: &mut dyn Conn, name: &str) -> Result<Environment, AppError> {
        crate::environments::server::by_name(conn, name).await
    }

    /// Number of legal entities in scope, for the volume checks.
    pub fn entities(env: &Environment) -> usize {
        env.legal_entities.len()
    }
}

/// Creates a map in `env` (no `map_id`) or saves the next revision of one.
/// `expected_revision` is the revision the form was opened at.
#[server(prefix = "/sfn", endpoint = "save_map")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
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
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
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
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
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

/// One map as stored (the edit form's starting point).
#[server(prefix = "/sfn", endpoint = "get_table_map")]
pub async fn get_table_map(map_id: i64) -> Result<super::TableMap, AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    super::server::get(&mut conn, map_id).await
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
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
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
