//! Server functions for environments: anyone signed in lists them; admins
//! create and change them.

use super::Environment;
use crate::error::AppError;
use leptos::prelude::*;

/// Every environment, by name.
#[server(prefix = "/sfn", endpoint = "list_environments")]
pub async fn list_environments() -> Result<Vec<Environment>, AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    super::server::list(&mut conn).await
}

/// Creates an environment (no `environment_id`) or changes one; a
/// `time_zone` (an IANA name) sets where its people work.
#[server(prefix = "/sfn", endpoint = "save_environment")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn save_environment(
    environment_id: Option<i64>,
    name: String,
    fo_url: String,
    dataverse_url: String,
    legal_entities: String,
    time_zone: Option<String>,
) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let admin = require_role(Role::Admin, "manage environments")?;
    let input = super::validate_environment(&name, &fo_url, &dataverse_url, &legal_entities)
        .map_err(|(field, message)| AppError::validation(field, message))?;
    let time_zone = time_zone.filter(|t| !t.trim().is_empty());
    if let Some(t) = &time_zone {
        crate::zone::parse(t).map_err(|m| AppError::validation("time_zone", m))?;
    }
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    let actor = Actor::user(&admin, client_ip());
    let id = super::server::save(&mut tx, &actor, environment_id, &input).await?;
    if let Some(t) = time_zone {
        let current = super::server::by_name(&mut tx, &input.name).await?;
        if current.time_zone != t.trim() {
            super::server::set_time_zone(&mut tx, &actor, id, &t).await?;
        }
    }
    tx.commit().await?;
    // Back to the page with what happened in the address, so it says so
    // with and without JavaScript. The address carries the id, never the
    // name: the page names only an environment it has, so a link cannot
    // make it say something made up.
    let what = if environment_id.is_some() {
        "saved"
    } else {
        "added"
    };
    leptos_axum::redirect(&format!("/admin/environments?{what}={id}"));
    Ok(())
}
