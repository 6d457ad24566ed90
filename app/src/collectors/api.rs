//! Server function of the collectors page (anyone signed in).

use super::CollectorsPage;
use crate::error::AppError;
use leptos::prelude::*;

/// Every collector's status and the latest 50 runs.
#[server(prefix = "/sfn", endpoint = "list_collectors")]
pub async fn list_collectors() -> Result<CollectorsPage, AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let since = db_time(chrono::Utc::now() - chrono::Duration::hours(24));
    let (runs, collectors) = super::server::overview(&mut conn, 50, &since).await?;
    let connections = use_context::<super::Connections>()
        .map(|c| c.list)
        .unwrap_or_default();
    let can_test = caller().is_some_and(|u| u.role.allows(crate::auth::Role::Admin));
    Ok(CollectorsPage {
        collectors,
        runs,
        connections,
        can_test,
    })
}

/// Tests an environment's connection: sign-in, Dataverse, F&O. Admins only;
/// nothing is stored. Goes back to the page with the checks in the address
/// (so it works without JavaScript too).
#[server(prefix = "/sfn", endpoint = "test_connection")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn test_connection(env: String) -> Result<(), AppError> {
    use crate::auth::{Role, server::*};
    use crate::components::percent_encode;
    require_role(Role::Admin, "test connections")?;
    let connections = use_context::<super::Connections>()
        .ok_or_else(|| AppError::not_found("A configured connection"))?;
    if !connections.list.iter().any(|c| c.environment == env) {
        return Err(AppError::not_found(format!("A connection for '{env}'")));
    }
    let checks = (connections.test)(env.clone()).await;
    let text = checks
        .iter()
        .map(|c| format!("{} {}: {}", if c.ok { "✓" } else { "✗" }, c.check, c.detail))
        .collect::<Vec<_>>()
        .join("\n");
    leptos_axum::redirect(&format!(
        "/collectors?tested={}&result={}",
        percent_encode(&env, b""),
        percent_encode(&text, b"")
    ));
    Ok(())
}
