//! Server functions of the weekly review: read it (anyone signed in) and
//! save its note (editors and admins).

use super::Review;
use crate::error::AppError;
use leptos::prelude::*;

/// The review of `env` (or the first environment) for the week starting
/// `week` (`YYYY-MM-DD`; the last 7 days when absent).
#[server(prefix = "/sfn", endpoint = "get_review")]
pub async fn get_review(env: Option<String>, week: Option<String>) -> Result<Review, AppError> {
    use crate::auth::server::require_user;
    use crate::db::db;
    let user = require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let can_edit = user.role.allows(crate::auth::Role::Editor);
    super::server::load(
        &mut conn,
        env.as_deref(),
        week.as_deref(),
        chrono::Utc::now(),
        can_edit,
    )
    .await
}

/// Saves the week's review note (an empty text clears it), audited; goes
/// back to the review (so it works without JavaScript too).
#[server(prefix = "/sfn", endpoint = "save_review_note")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn save_review_note(env: String, week: String, body: String) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "write review notes")?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    let (env, week) = super::server::save_note(
        &mut tx,
        &Actor::user(&user, client_ip()),
        &env,
        &week,
        &body,
        chrono::Utc::now().date_naive(),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!(
        "/review?env={}&week={week}&saved=1",
        crate::components::percent_encode(&env, b"")
    ));
    Ok(())
}
