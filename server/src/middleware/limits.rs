//! Plain answers from the HTTP limits (a body over `--body-limit-bytes`,
//! a request over `--request-timeout-secs`) come from tower-http and axum
//! as bare text or an empty body. This layer gives them the console's
//! error shape, `{"error": "…"}`, with a message that names the setting,
//! so an API client reads every refusal the same way.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::time::Duration;

/// The limits the messages name.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest request body, bytes.
    pub body_bytes: usize,
    /// Longest request.
    pub request_timeout: Duration,
}

/// Replaces the body of a bare 413 or 408 with a JSON error.
pub async fn limit_errors(State(limits): State<Limits>, req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return res;
    }
    let message = match res.status() {
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "The request body is larger than {} bytes, the console's limit (--body-limit-bytes); send smaller batches.",
            limits.body_bytes
        ),
        StatusCode::REQUEST_TIMEOUT => format!(
            "The request took longer than {} s (--request-timeout-secs) and was stopped; nothing of it was stored. Send it again, or in smaller batches.",
            limits.request_timeout.as_secs()
        ),
        _ => return res,
    };
    tracing::info!(
        http.status = res.status().as_u16(),
        "request refused by a limit"
    );
    (res.status(), Json(json!({ "error": message }))).into_response()
}
