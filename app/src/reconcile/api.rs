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
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let map = crate::maps::server::get(&mut conn, map_id).await?;
    let runs = super::server::runs_of(&mut conn, map_id, 30).await?;
    let shown = match run {
        Some(id) => Some(
            super::server::run_of(&mut conn, map_id, id)
                .await?
                .ok_or_else(|| AppError::not_found("That reconciliation run"))?,
        ),
        None => runs.iter().find(|r| r.status == "done").cloned(),
    };
    let (differences, total) = match &shown {
        Some(r) => super::server::differences(&mut conn, r.id, Some(LISTED)).await?,
        None => (vec![], 0),
    };
    let settings = super::server::settings(&mut conn, map_id).await?;
    let fields = crate::rules::server::field_count(&mut conn, map_id).await?;
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
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
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
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn cancel_reconcile(run_id: i64) -> Result<(), AppError> {
    use crate::audit::server::{Actor, Event, record};
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "cancel reconciliations")?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    let map_id = super::server::request_cancel(&mut tx, run_id).await?;
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
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
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
    let row = super::server::explain(&mut tx, difference_id, &user.email, &explanation).await?;
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
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
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
    super::server::save_settings(&mut tx, map_id, &s).await?;
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
