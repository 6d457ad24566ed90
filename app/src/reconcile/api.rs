//! Server functions of the reconciliation page: read for anyone signed
//! in; run, cancel, explain and settings for editors (audited).

use super::ReconcilePage;
use crate::error::AppError;
use leptos::prelude::*;

/// Differences listed on the page (the rest are counted).
#[cfg(feature = "ssr")]
const LISTED: i64 = 500;

/// A map's reconciliation runs, and one run's differences (`run`, else the
/// latest finished run).
#[server(prefix = "/sfn", endpoint = "get_reconcile")]
pub async fn get_reconcile(map_id: i64, run: Option<i64>) -> Result<ReconcilePage, AppError> {
    use super::{Difference, Run, Settings};
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let map = crate::maps::server::get(&mut conn, map_id).await?;
    let runs: Vec<Run> =
        sqlx::query_as("select * from reconcile_runs where map_id = ? order by id desc limit 30")
            .bind(map_id)
            .fetch_all(&mut *conn)
            .await?;
    let shown = match run {
        Some(id) => Some(
            sqlx::query_as::<_, Run>("select * from reconcile_runs where id = ? and map_id = ?")
                .bind(id)
                .bind(map_id)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or_else(|| AppError::not_found("That reconciliation run"))?,
        ),
        None => runs.iter().find(|r| r.status == "done").cloned(),
    };
    let (differences, total) = match &shown {
        Some(r) => {
            let list: Vec<Difference> = sqlx::query_as(
                "select id, record_key, kind, field, fo_value, dataverse_value, change, explained_by, explained_at, explanation
                 from reconcile_differences where run_id = ?
                 order by change = 'fixed', kind, record_key, field limit ?",
            )
            .bind(r.id)
            .bind(LISTED)
            .fetch_all(&mut *conn)
            .await?;
            let total: i64 =
                sqlx::query_scalar("select count(*) from reconcile_differences where run_id = ?")
                    .bind(r.id)
                    .fetch_one(&mut *conn)
                    .await?;
            (list, total)
        }
        None => (vec![], 0),
    };
    let settings = sqlx::query_as::<_, (i64, i64)>(
        "select sample_size, full_every_days from reconcile_settings where map_id = ?",
    )
    .bind(map_id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|(sample_size, full_every_days)| Settings {
        sample_size,
        full_every_days,
    })
    .unwrap_or_default();
    let fields: i64 =
        sqlx::query_scalar("select count(*) from field_mappings where map_id = ? and deleted = 0")
            .bind(map_id)
            .fetch_one(&mut *conn)
            .await?;
    let blocked = if map.content.direction == crate::maps::Direction::NotSynced {
        Some("This map is not synced, so there is nothing to reconcile.".to_string())
    } else if let Err(why) = super::match_keys(&map.content) {
        Some(why)
    } else if fields == 0 {
        Some("Document the map's field mappings first: reconciliation compares the records through them.".to_string())
    } else {
        match use_context::<super::Control>() {
            Some(c) => (c.blocked)(&map.environment),
            None => Some(
                "This server runs no collectors, so it cannot reach the environment.".to_string(),
            ),
        }
    };
    Ok(ReconcilePage {
        map_id,
        map_name: map.content.name,
        environment: map.environment,
        more_differences: (total - differences.len() as i64).max(0),
        runs,
        shown,
        differences,
        settings,
        blocked,
        can_edit: crate::maps::api::ssr::can_edit(),
    })
}

/// Starts a sample (or, with `full`, a full diff) of a map in the
/// background.
#[server(prefix = "/sfn", endpoint = "start_reconcile")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err))]
pub async fn start_reconcile(map_id: i64, full: bool) -> Result<i64, AppError> {
    use crate::auth::{Role, server::*};
    let user = require_role(Role::Editor, "run reconciliations")?;
    let control = use_context::<super::Control>().ok_or_else(|| {
        AppError::Conflict(
            "This server runs no collectors, so it cannot reach the environment.".into(),
        )
    })?;
    let id = (control.start)(map_id, full, user.email.clone()).await?;
    leptos_axum::redirect(&format!("/maps/{map_id}/reconcile?run={id}"));
    Ok(id)
}

/// Asks a running full diff to stop after its current page.
#[server(prefix = "/sfn", endpoint = "cancel_reconcile")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err))]
pub async fn cancel_reconcile(run_id: i64) -> Result<(), AppError> {
    use crate::audit::server::{Actor, Event, record};
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "cancel reconciliations")?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    let map_id: Option<i64> = sqlx::query_scalar(
        "update reconcile_runs set cancel_requested = 1 where id = ? and status = 'running' returning map_id",
    )
    .bind(run_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(map_id) = map_id else {
        return Err(AppError::Conflict(
            "That run is not running any more.".into(),
        ));
    };
    let environment = crate::maps::server::get(&mut tx, map_id).await?.environment;
    record(
        &mut tx,
        &Actor::user(&user, client_ip()),
        Event {
            action: "reconcile.cancel",
            object_type: "reconcile_run",
            object_id: Some(run_id.to_string()),
            summary: format!("Asked reconciliation run #{run_id} to stop"),
            detail: None,
            environment: Some(environment),
        },
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/maps/{map_id}/reconcile?run={run_id}"));
    Ok(())
}

/// Marks a difference explained, with why.
#[server(prefix = "/sfn", endpoint = "explain_difference")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err))]
pub async fn explain_difference(difference_id: i64, explanation: String) -> Result<(), AppError> {
    use crate::audit::server::{Actor, Event, record};
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "explain differences")?;
    let explanation = explanation.trim().to_string();
    if explanation.is_empty() {
        return Err(AppError::validation(
            "explanation",
            "Say why the difference is expected.",
        ));
    }
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    let row: Option<(i64, i64, String, String, String)> = sqlx::query_as(
        "update reconcile_differences set explained_by = ?, explained_at = ?, explanation = ? where id = ?
         returning run_id, (select map_id from reconcile_runs r where r.id = run_id), record_key, kind, field",
    )
    .bind(&user.email)
    .bind(db_now())
    .bind(&explanation)
    .bind(difference_id)
    .fetch_optional(&mut *tx)
    .await?;
    let (run_id, map_id, key, kind, field) =
        row.ok_or_else(|| AppError::not_found("That difference"))?;
    let environment = crate::maps::server::get(&mut tx, map_id).await?.environment;
    record(
        &mut tx,
        &Actor::user(&user, client_ip()),
        Event {
            action: "reconcile.explain",
            object_type: "reconcile_difference",
            object_id: Some(difference_id.to_string()),
            summary: format!(
                "Explained {} of {key}{}: {explanation}",
                super::kind_label(&kind).to_lowercase(),
                if field.is_empty() {
                    String::new()
                } else {
                    format!(" ({field})")
                }
            ),
            detail: None,
            environment: Some(environment),
        },
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/maps/{map_id}/reconcile?run={run_id}"));
    Ok(())
}

/// Saves a map's sample size and full-diff schedule.
#[server(prefix = "/sfn", endpoint = "save_reconcile_settings")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err))]
pub async fn save_reconcile_settings(
    map_id: i64,
    sample_size: String,
    full_every_days: String,
) -> Result<(), AppError> {
    use crate::audit::server::{Actor, Event, record};
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "change reconciliation settings")?;
    let s = super::validate_settings(&sample_size, &full_every_days)
        .map_err(|m| AppError::validation("settings", m))?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    let map = crate::maps::server::get(&mut tx, map_id).await?;
    sqlx::query(
        "insert into reconcile_settings (map_id, sample_size, full_every_days) values (?, ?, ?)
         on conflict (map_id) do update set sample_size = excluded.sample_size, full_every_days = excluded.full_every_days",
    )
    .bind(map_id)
    .bind(s.sample_size)
    .bind(s.full_every_days)
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        &Actor::user(&user, client_ip()),
        Event {
            action: "reconcile.settings",
            object_type: "table_map",
            object_id: Some(map_id.to_string()),
            summary: format!(
                "Reconciliation of '{}': sample {} per side daily, full diff {}",
                map.content.name,
                s.sample_size,
                if s.full_every_days == 0 {
                    "on demand only".to_string()
                } else {
                    format!("every {} days", s.full_every_days)
                }
            ),
            detail: None,
            environment: Some(map.environment.clone()),
        },
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/maps/{map_id}/reconcile"));
    Ok(())
}
