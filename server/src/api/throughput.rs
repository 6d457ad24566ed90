//! `POST /api/v1/throughput`: records synced and failed per map, direction
//! and minute, with latencies where known. A batch is checked whole and
//! stored in one transaction, or rejected whole with a reason per item;
//! item ids (or a content hash) make retries add nothing twice.

use super::{ApiCaller, batch_environment, check_size, parse_batch, reject_error, reject_items};
use crate::startup::AppState;
use app::error::AppError;
use app::throughput::{Batch, MAX_ITEMS, check_sample};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Handles one batch.
pub async fn post_throughput(
    State(state): State<AppState>,
    ApiCaller(_token): ApiCaller,
    body: Bytes,
) -> Response {
    let batch: Batch = match parse_batch(&body, "items") {
        Ok(b) => b,
        Err(res) => return *res,
    };
    if let Some(res) = check_size(batch.items.len(), MAX_ITEMS, "items") {
        return res;
    }
    let result = async {
        let mut conn = state.pool.acquire().await?;
        let env = batch_environment(&mut conn, &batch.environment).await?;
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
        let mut tx = app::db::begin_write(&state.pool).await?;
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
        Ok(Err(problems)) => reject_items(("item", "items"), problems),
        Err(e) => reject_error(e),
    }
}
