//! `POST /api/v1/errors`: the error ingest call scripts, collectors and
//! Power Automate flows push to. A batch is checked whole and stored in one
//! transaction, or rejected whole with a reason per item; client ids (or a
//! content hash) make retries safe.

use super::{ApiCaller, batch_environment, check_size, parse_batch, reject_error, reject_items};
use crate::startup::AppState;
use app::audit::server::Actor;
use app::error::AppError;
use app::errors::Source;
use app::errors::server::{
    Batch, Commit, MAX_BATCH, Origin, RawEntry, check_entry, map_names, store_batch,
};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Handles one batch.
pub async fn post_errors(
    State(state): State<AppState>,
    ApiCaller(token): ApiCaller,
    body: Bytes,
) -> Response {
    let batch: Batch = match parse_batch(&body, "entries") {
        Ok(b) => b,
        Err(res) => return *res,
    };
    if let Some(res) = check_size(batch.entries.len(), MAX_BATCH, "entries") {
        return res;
    }
    let result = async {
        // Reads and CPU work first, without the write lock, so concurrent
        // batches overlap their checking with each other's writes.
        let mut conn = state.pool.acquire().await?;
        let env = batch_environment(&mut conn, &batch.environment).await?;
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
        let actor = Actor {
            user_id: None,
            label: format!("token:{}", token.name),
            ip: None,
        };
        let origin = Origin {
            actor: &actor,
            source: Source::Api,
            source_ref: &token.name,
        };
        let accepted = store_batch(
            &state.pool,
            &state.sweeps,
            env.id,
            valid,
            origin,
            Commit::default(),
            &mut |_| {},
            async |_, _| Ok(()),
        )
        .await?;
        Ok::<_, AppError>(Ok(accepted))
    }
    .await;
    match result {
        Ok(Ok(accepted)) => {
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
        Ok(Err(problems)) => reject_items(("entry", "entries"), problems),
        Err(e) => reject_error(e),
    }
}
