//! `POST /api/v1/throughput`: records synced and failed per map, direction
//! and minute, with latencies where known. A batch is checked whole and
//! stored in one transaction, or rejected whole with a reason per item;
//! item ids (or a content hash) make retries add nothing twice.

use super::ApiCaller;
use crate::startup::AppState;
use app::error::AppError;
use app::throughput::{Batch, MAX_ITEMS, check_sample};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

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
pub async fn post_throughput(
    State(state): State<AppState>,
    ApiCaller(_token): ApiCaller,
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
                format!("The body must be {{\"environment\": \"…\", \"items\": [ … ]}}: {e}."),
                vec![],
            );
        }
    };
    if batch.items.is_empty() {
        return reject(unprocessable, "The batch has no items.", vec![]);
    }
    if batch.items.len() > MAX_ITEMS {
        return reject(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "The batch has {} items; send at most {MAX_ITEMS} per request.",
                batch.items.len()
            ),
            vec![],
        );
    }
    let result = async {
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
        let maps = app::errors::server::map_names(&mut conn, env.id).await?;
        drop(conn);
        let now = chrono::Utc::now();
        let mut samples = Vec::with_capacity(batch.items.len());
        let mut problems = Vec::new();
        for (i, raw) in batch.items.iter().enumerate() {
            match check_sample(raw, &maps, now) {
                Ok(s) => samples.push(s),
                Err(reason) => problems.push((i, reason)),
            }
        }
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
        let mut tx = app::auth::server::begin_write(&state.pool).await?;
        let stored = app::throughput::server::ingest(&mut tx, env.id, &samples).await?;
        tx.commit().await?;
        Ok::<_, AppError>(Ok(stored))
    }
    .await;
    match result {
        Ok(Ok(stored)) => (
            StatusCode::OK,
            Json(json!({
                "accepted": stored.stored + stored.duplicates,
                "stored": stored.stored,
                "duplicates": stored.duplicates,
            })),
        )
            .into_response(),
        Ok(Err(problems)) => {
            let n = problems.len();
            reject(
                unprocessable,
                format!(
                    "{n} item{} rejected; nothing was stored. Fix {} and send the batch again.",
                    if n == 1 { " was" } else { "s were" },
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
