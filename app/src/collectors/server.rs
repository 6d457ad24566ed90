//! The collectors' store: `collector_runs` (one row per run, ok or failed),
//! `collector_cursors` (where each collector of an environment goes on
//! from) and `connection_tests` (an admin's connection tests, for a day). The collectors in the server write through these functions, in
//! the transaction of what a run stored; the pages read through them.

use super::{CollectorStatus, ConnectionCheck, ConnectionTest, Run};
use crate::db::Conn;
use crate::db::db_now;
use crate::error::AppError;
use std::collections::HashMap;

/// Where `collector` of environment `env` goes on from, if it ran before.
pub async fn cursor(
    conn: &mut dyn Conn,
    env: i64,
    collector: &str,
) -> Result<Option<String>, AppError> {
    Ok(crate::db::query_scalar(
        "select cursor from collector_cursors where environment_id = $1 and collector = $2",
    )
    .bind(env)
    .bind(collector)
    .fetch_optional(conn)
    .await?)
}

/// Moves a collector's cursor, in the transaction of what it stored.
pub async fn save_cursor(
    conn: &mut dyn Conn,
    env: i64,
    collector: &str,
    cursor: &str,
) -> Result<(), AppError> {
    put_cursor(conn, env, collector, cursor, true).await
}

/// Sets a collector's first cursor unless it already has one (demo mode
/// starts the throughput collector where the simulator's history starts).
pub async fn seed_cursor(
    conn: &mut dyn Conn,
    env: i64,
    collector: &str,
    cursor: &str,
) -> Result<(), AppError> {
    put_cursor(conn, env, collector, cursor, false).await
}

/// Writes a cursor; `replace` decides whether an existing one moves.
async fn put_cursor(
    conn: &mut dyn Conn,
    env: i64,
    collector: &str,
    cursor: &str,
    replace: bool,
) -> Result<(), AppError> {
    crate::db::query(
        "insert into collector_cursors (environment_id, collector, cursor, updated_at) values ($1, $2, $3, $4)
         on conflict (environment_id, collector) do update set cursor = excluded.cursor, updated_at = excluded.updated_at
         where $5",
    )
    .bind(env)
    .bind(collector)
    .bind(cursor)
    .bind(db_now())
    .bind(replace)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a run: `error` is `None` for a success, which stored `items`.
pub async fn record_run(
    conn: &mut dyn Conn,
    env: i64,
    collector: &str,
    started: &str,
    items: usize,
    error: Option<&str>,
) -> Result<(), AppError> {
    crate::db::query(
        "insert into collector_runs (environment_id, collector, started_at, finished_at, outcome, items, error)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(env)
    .bind(collector)
    .bind(started)
    .bind(db_now())
    .bind(if error.is_some() { "failed" } else { "ok" })
    .bind(items as i64)
    .bind(error)
    .execute(conn)
    .await?;
    Ok(())
}

/// A run as stored, before its environment is named.
type RunRow = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    i64,
    Option<String>,
);

/// Names each row's environment (rows of a deleted one keep its id).
fn named(rows: Vec<RunRow>, names: &HashMap<i64, String>) -> Vec<Run> {
    rows.into_iter()
        .map(
            |(id, env, collector, started_at, finished_at, outcome, items, error)| Run {
                id,
                environment: names.get(&env).cloned().unwrap_or_else(|| env.to_string()),
                collector,
                started_at,
                finished_at,
                outcome,
                items,
                error,
            },
        )
        .collect()
}

const RUN: &str =
    "select id, environment_id, collector, started_at, finished_at, outcome, items, error
                   from collector_runs";

/// The latest `limit` runs of every collector, newest first, and each
/// collector's status (its latest run, last success, failures since and
/// items in the 24 hours since `since`), by environment and collector.
#[tracing::instrument(skip(conn))]
pub async fn overview(
    conn: &mut dyn Conn,
    limit: i64,
    since: &str,
) -> Result<(Vec<Run>, Vec<CollectorStatus>), AppError> {
    let names: HashMap<i64, String> = crate::environments::server::list(conn)
        .await?
        .into_iter()
        .map(|e| (e.id, e.name))
        .collect();
    let recent: Vec<RunRow> = crate::db::query_as(sqlx::AssertSqlSafe(format!(
        "{RUN} order by id desc limit $1"
    )))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let latest: Vec<RunRow> = crate::db::query_as(sqlx::AssertSqlSafe(format!(
        "{RUN} where id in (select max(id) from collector_runs group by environment_id, collector)"
    )))
    .fetch_all(&mut *conn)
    .await?;
    let mut collectors = Vec::with_capacity(latest.len());
    for row in latest {
        let (env, collector) = (row.1, row.2.clone());
        let (last_success, failures, items): (Option<String>, i64, i64) = crate::db::query_as(
            "select
                (select max(finished_at) from collector_runs x where x.environment_id = $1 and x.collector = $2 and x.outcome = 'ok'),
                (select count(*) from collector_runs x where x.environment_id = $1 and x.collector = $2 and x.outcome = 'failed'
                    and x.id > coalesce((select max(id) from collector_runs y where y.environment_id = $1 and y.collector = $2 and y.outcome = 'ok'), 0)),
                (select coalesce(cast(sum(items) as bigint), 0) from collector_runs x where x.environment_id = $1 and x.collector = $2 and x.finished_at >= $3)",
        )
        .bind(env)
        .bind(&collector)
        .bind(since)
        .fetch_one(&mut *conn)
        .await?;
        let last_run = named(vec![row], &names).remove(0);
        collectors.push(CollectorStatus {
            environment: last_run.environment.clone(),
            collector,
            last_success,
            failures_since_success: failures,
            items_24h: items,
            last_run,
        });
    }
    collectors.sort_by(|a, b| (&a.environment, &a.collector).cmp(&(&b.environment, &b.collector)));
    Ok((named(recent, &names), collectors))
}

/// The latest run of `collector` in environment `env`: (outcome, finished
/// at, error).
pub async fn latest_run(
    conn: &mut dyn Conn,
    env: i64,
    collector: &str,
) -> Result<Option<(String, String, Option<String>)>, AppError> {
    Ok(crate::db::query_as(
        "select outcome, finished_at, error from collector_runs
         where environment_id = $1 and collector = $2 order by id desc limit 1",
    )
    .bind(env)
    .bind(collector)
    .fetch_optional(conn)
    .await?)
}

/// When each collector of an environment last succeeded before `from`
/// (Unix seconds), and every success since, as (collector, finished at):
/// how long a collector has been silent, at any moment after `from`.
pub async fn successes(
    conn: &mut dyn Conn,
    environment_id: i64,
    from: i64,
) -> Result<Vec<(String, i64)>, AppError> {
    let from = crate::db::db_time_secs(from);
    let rows: Vec<(String, String)> = crate::db::query_as(
        "select collector, max(finished_at) from collector_runs
         where environment_id = $1 and outcome = 'ok' and finished_at < $2 group by collector
         union all
         select collector, finished_at from collector_runs
         where environment_id = $1 and outcome = 'ok' and finished_at >= $2",
    )
    .bind(environment_id)
    .bind(&from)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(c, t)| {
            Some((
                c,
                chrono::DateTime::parse_from_rfc3339(&t).ok()?.timestamp(),
            ))
        })
        .collect())
}

/// Runs per environment, collector and outcome, with each collector's last
/// success (Unix seconds): (environment id, collector, outcome, runs, last
/// success), for `/metrics`.
pub async fn run_totals(
    conn: &mut dyn Conn,
) -> Result<Vec<(i64, String, String, i64, Option<i64>)>, AppError> {
    Ok(crate::db::query_as(
        "select environment_id, collector, outcome, count(*),
                cast(strftime('%s', max(case when outcome = 'ok' then finished_at end)) as bigint)
         from collector_runs group by 1, 2, 3 order by 1, 2, 3",
    )
    .fetch_all(conn)
    .await?)
}

/// Keeps a connection test under `token` (and forgets tests older than a
/// day).
pub async fn save_test(
    conn: &mut dyn Conn,
    token: &str,
    test: &ConnectionTest,
) -> Result<(), AppError> {
    let day_ago = crate::db::db_time(chrono::Utc::now() - chrono::Duration::days(1));
    crate::db::query("delete from connection_tests where tested_at < $1")
        .bind(day_ago)
        .execute(&mut *conn)
        .await?;
    let checks = serde_json::to_string(&test.checks).map_err(|e| {
        tracing::error!(error = %e, "could not write a connection test's checks");
        AppError::Internal
    })?;
    crate::db::query(
        "insert into connection_tests (token, environment, checks, tested_by, tested_at) values ($1, $2, $3, $4, $5)",
    )
    .bind(token)
    .bind(&test.environment)
    .bind(checks)
    .bind(&test.tested_by)
    .bind(&test.tested_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The connection test kept under `token`, if any (from the last day).
pub async fn test(conn: &mut dyn Conn, token: &str) -> Result<Option<ConnectionTest>, AppError> {
    let day_ago = crate::db::db_time(chrono::Utc::now() - chrono::Duration::days(1));
    let row: Option<(String, String, String, String)> = crate::db::query_as(
        "select environment, checks, tested_by, tested_at from connection_tests where token = $1 and tested_at >= $2",
    )
    .bind(token)
    .bind(day_ago)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(
        |(environment, checks, tested_by, tested_at)| ConnectionTest {
            environment,
            checks: serde_json::from_str::<Vec<ConnectionCheck>>(&checks).unwrap_or_default(),
            tested_by,
            tested_at,
        },
    ))
}
