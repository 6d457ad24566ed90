//! Server function of the collectors page (anyone signed in).

use super::CollectorsPage;
use crate::error::AppError;
use leptos::prelude::*;

/// Every collector's status, the latest 50 runs, and the connection test
/// `test` names (a token from [`test_connection`]'s redirect).
#[server(prefix = "/sfn", endpoint = "list_collectors")]
pub async fn list_collectors(test: Option<String>) -> Result<CollectorsPage, AppError> {
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
    // Only a token of hex digits is looked up; what the address says is
    // never shown, only whether it named a test this console keeps.
    let asked = test.is_some();
    let test = match test.filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())) {
        Some(token) => super::server::test(&mut conn, &token).await?,
        None => None,
    };
    let test_gone = asked && test.is_none();
    let now = chrono::Utc::now();
    let scheduling = crate::servers::Scheduling {
        holder: crate::servers::server::holder(&mut conn, crate::servers::server::SCHEDULER, now)
            .await?
            .map(|(who, _, since)| (who, since)),
        servers: crate::servers::server::live_servers(&mut conn, now).await?,
    };
    Ok(CollectorsPage {
        collectors,
        runs,
        connections,
        can_test,
        test,
        test_gone,
        scheduling,
    })
}

/// Tests an environment's connection: sign-in, Dataverse, F&O. Admins only.
/// The checks are kept for a day under a random token, and the page comes
/// back with that token in its address (so it works without JavaScript
/// too, and on whichever server the next request reaches).
#[server(prefix = "/sfn", endpoint = "test_connection")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn test_connection(env: String) -> Result<(), AppError> {
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Admin, "test connections")?;
    let connections = use_context::<super::Connections>()
        .ok_or_else(|| AppError::not_found("A configured connection"))?;
    if !connections.list.iter().any(|c| c.environment == env) {
        return Err(AppError::not_found(format!("A connection for '{env}'")));
    }
    let checks = (connections.test)(env.clone()).await;
    let token = format!("{:032x}", rand::random::<u128>());
    let test = super::ConnectionTest {
        environment: env,
        checks,
        tested_by: user.email.clone(),
        tested_at: db_now(),
    };
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    super::server::save_test(&mut tx, &token, &test).await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/collectors?test={token}"));
    Ok(())
}
