//! Liveness and readiness probes for load balancers and monitoring.

use crate::startup::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

/// `GET /healthz`: the process is alive and serving.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers; 503 otherwise. It also says which
/// server answered and whether it runs the scheduled work (holds the
/// scheduler lease), for people running several servers.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let mut body = if crate::db::ping(&state.pool).await {
        json!({ "status": "ready" })
    } else {
        json!({ "status": "unavailable", "reason": "the database does not answer" })
    };
    if let Some(lease) = &state.lease {
        body["server"] = json!(lease.id());
        body["scheduled_work"] = json!(lease.held().is_some());
    }
    let status = if body["status"] == "ready" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}
