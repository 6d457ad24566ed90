//! Server functions for the overview (any signed-in role).

use super::Overview;
use crate::error::AppError;
use leptos::prelude::*;

/// Counts and recent activity for the overview page.
#[server(prefix = "/sfn", endpoint = "get_overview")]
pub async fn get_overview() -> Result<Overview, AppError> {
    use crate::auth::server::require_user;
    use crate::db::{db, db_time};
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let day_ago = db_time(chrono::Utc::now() - chrono::Duration::hours(24));
    let (active_by_role, deactivated) = crate::auth::server::user_counts(&mut conn).await?;
    let (live_tokens, tokens_used_24h) = crate::tokens::server::usage(&mut conn, &day_ago).await?;
    let failed_logins_24h =
        crate::audit::server::count_since(&mut conn, "auth.login_failed", &day_ago).await?;
    let recent = crate::audit::server::recent_changes(&mut conn, 10).await?;
    Ok(Overview {
        active_by_role,
        deactivated,
        live_tokens,
        tokens_used_24h,
        failed_logins_24h,
        recent,
    })
}

/// One environment at a glance (`env` by name, or the first).
#[server(prefix = "/sfn", endpoint = "get_env_overview")]
pub async fn get_env_overview(env: Option<String>) -> Result<Option<super::EnvOverview>, AppError> {
    use crate::auth::server::require_user;
    use crate::db::db;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    super::server::load(&mut conn, env.as_deref(), chrono::Utc::now().timestamp()).await
}
