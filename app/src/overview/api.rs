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
    let mut active_by_role = [0i64; 3];
    let rows: Vec<(String, i64)> =
        sqlx::query_as("select role, count(*) from users where active = 1 group by role")
            .fetch_all(&mut *conn)
            .await?;
    for (role, n) in rows {
        let i = match role.as_str() {
            "viewer" => 0,
            "editor" => 1,
            _ => 2,
        };
        active_by_role[i] = n;
    }
    let deactivated = sqlx::query_scalar("select count(*) from users where active = 0")
        .fetch_one(&mut *conn)
        .await?;
    let (live_tokens, tokens_used_24h): (i64, i64) = sqlx::query_as(
        "select count(*), coalesce(sum(last_used_at >= ?), 0) from api_tokens where revoked_at is null",
    )
    .bind(&day_ago)
    .fetch_one(&mut *conn)
    .await?;
    let failed_logins_24h = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'auth.login_failed' and occurred_at >= ?",
    )
    .bind(&day_ago)
    .fetch_one(&mut *conn)
    .await?;
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
