//! Server function of the collectors page (anyone signed in).

use super::CollectorsPage;
use crate::error::AppError;
use leptos::prelude::*;

/// Every collector's status and the latest 50 runs.
#[server(prefix = "/sfn", endpoint = "list_collectors")]
pub async fn list_collectors() -> Result<CollectorsPage, AppError> {
    use super::{CollectorStatus, Run};
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    const RUN: &str =
        "select r.id, e.name as environment, r.collector, r.started_at, r.finished_at, r.outcome,
                r.items, r.error
         from collector_runs r join environments e on e.id = r.environment_id";
    let runs: Vec<Run> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{RUN} order by r.id desc limit 50"
    )))
    .fetch_all(&mut *conn)
    .await?;
    let latest: Vec<Run> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{RUN} where r.id in (select max(id) from collector_runs group by environment_id, collector)
         order by e.name, r.collector"
    )))
    .fetch_all(&mut *conn)
    .await?;
    let since = db_time(chrono::Utc::now() - chrono::Duration::hours(24));
    let mut collectors = Vec::with_capacity(latest.len());
    for last_run in latest {
        let (last_success, failures, items): (Option<String>, i64, i64) = sqlx::query_as(
            "select
                (select max(finished_at) from collector_runs x where x.environment_id = e.id and x.collector = ? and x.outcome = 'ok'),
                (select count(*) from collector_runs x where x.environment_id = e.id and x.collector = ? and x.outcome = 'failed'
                    and x.id > coalesce((select max(id) from collector_runs y where y.environment_id = e.id and y.collector = ? and y.outcome = 'ok'), 0)),
                (select coalesce(sum(items), 0) from collector_runs x where x.environment_id = e.id and x.collector = ? and x.finished_at >= ?)
             from environments e where e.name = ?",
        )
        .bind(&last_run.collector)
        .bind(&last_run.collector)
        .bind(&last_run.collector)
        .bind(&last_run.collector)
        .bind(&since)
        .bind(&last_run.environment)
        .fetch_one(&mut *conn)
        .await?;
        collectors.push(CollectorStatus {
            environment: last_run.environment.clone(),
            collector: last_run.collector.clone(),
            last_success,
            failures_since_success: failures,
            items_24h: items,
            last_run,
        });
    }
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
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err))]
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
