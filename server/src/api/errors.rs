//! `POST /api/v1/errors`: the error ingest call scripts, collectors and
//! Power Automate flows push to. A batch is checked whole and stored in one
//! transaction, or rejected whole with a reason per item; client ids (or a
//! content hash) make retries safe.

use super::ApiCaller;
use crate::startup::AppState;
use app::audit::server::Actor;
use app::error::AppError;
use app::errors::Source;
use app::errors::server::{Batch, MAX_BATCH, RawEntry, check_entry, ingest, map_names, prepare};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A rejected batch: 4xx with the reason and, where items were at fault,
/// one reason per item. Nothing of the batch is stored.
fn reject(status: StatusCode, error: impl Into<String>, items: Vec<(usize, String)>) -> Response {
    let items: Vec<_> = items
        .into_iter()
        .map(|(index, reason)| json!({ "index": index, "reason": reason }))
        .collect();
    (
        status,
        Json(json!({ "error": error.into(), "items": items })),
    )
        .into_response()
}

/// Handles one batch.
pub async fn post_errors(
    State(state): State<AppState>,
    ApiCaller(token): ApiCaller,
    body: Bytes,
) -> Response {
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let batch: Batch = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) if e.is_syntax() || e.is_eof() => {
            return reject(
                StatusCode::BAD_REQUEST,
                format!("The body is not valid JSON: {e}."),
                vec![],
            );
        }
        Err(e) => {
            return reject(
                unprocessable,
                format!("The body must be {{\"environment\": \"…\", \"entries\": [ … ]}}: {e}."),
                vec![],
            );
        }
    };
    if batch.entries.is_empty() {
        return reject(unprocessable, "The batch has no entries.", vec![]);
    }
    if batch.entries.len() > MAX_BATCH {
        return reject(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "The batch has {} entries; send at most {MAX_BATCH} per request.",
                batch.entries.len()
            ),
            vec![],
        );
    }
    let result = async {
        // Reads and CPU work first, without the write lock, so concurrent
        // batches overlap their checking with each other's writes.
        let mut conn = state.pool.acquire().await?;
        let env = app::environments::server::by_name(&mut conn, batch.environment.trim())
            .await
            .map_err(|_| {
                AppError::validation(
                    "environment",
                    format!(
                        "Environment '{}' does not exist; an admin adds it on the Environments page or with `dwconsole env add`.",
                        batch.environment.trim()
                    ),
                )
            })?;
        let maps = map_names(&mut conn, env.id).await?;
        drop(conn);
        let mut valid = Vec::with_capacity(batch.entries.len());
        let mut problems = Vec::new();
        for (i, value) in batch.entries.into_iter().enumerate() {
            match serde_json::from_str::<RawEntry>(value.get())
                .map_err(|e| e.to_string())
                .and_then(|raw| check_entry(raw, &maps))
            {
                Ok(e) => valid.push(e),
                Err(reason) => problems.push((i, reason)),
            }
        }
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
        let prepared = prepare(env.id, valid);
        let actor = Actor {
            user_id: None,
            label: format!("token:{}", token.name),
            ip: None,
        };
        let mut tx = app::auth::server::begin_write(&state.pool).await?;
        let accepted = ingest(&mut tx, &actor, env.id, prepared, Source::Api, &token.name).await?;
        tx.commit().await?;
        Ok::<_, AppError>(Ok(accepted))
    }
    .await;
    match result {
        Ok(Ok(accepted)) => {
            app::errors::api::invalidate_sweeps();
            let stored = accepted.iter().filter(|a| !a.duplicate).count();
            let items: Vec<_> = accepted
                .iter()
                .map(|a| {
                    json!({
                        "id": a.id,
                        "group_id": a.group_id.to_string(),
                        "category": a.category.as_str(),
                        "duplicate": a.duplicate,
                    })
                })
                .collect();
            (
                StatusCode::OK,
                Json(json!({ "accepted": items.len(), "stored": stored, "items": items })),
            )
                .into_response()
        }
        Ok(Err(problems)) => {
            let n = problems.len();
            reject(
                unprocessable,
                format!(
                    "{n} entr{} rejected; nothing was stored. Fix {} and send the batch again.",
                    if n == 1 { "y was" } else { "ies were" },
                    if n == 1 { "it" } else { "them" }
                ),
                problems,
            )
        }
        Err(AppError::Validation { message, .. }) => reject(unprocessable, message, vec![]),
        Err(e) => {
            let status =
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            reject(status, e.to_string(), vec![])
        }
    }
}
