//! Server functions answer every error with HTTP 500 and the encoded
//! [`AppError`] as the body. This layer reads that body back and sets the
//! status the error means (401, 403, 422, …), so scripts and tests see honest
//! status codes, and logs each refusal once, here at the boundary (a
//! failure was logged at error where its cause became an `AppError`).

use app::error::AppError;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

/// Errors are small; anything larger is not one of ours.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Rewrites the status of failed server-function responses, which the
/// server-function runtime marks with a `serverfnerror` header.
pub async fn map_server_fn_status(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key("serverfnerror")
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        tracing::error!(
            http.path = path,
            "server function failed with an unreadable body"
        );
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        let status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        // A failure's cause was logged at error where it became an
        // `AppError` (with the detail this encoded error no longer has);
        // a refusal is logged here, once.
        if status.is_server_error() {
            tracing::debug!(http.path = path, error = %err, "server function failed");
            parts.extensions.insert(app::error::CauseLogged);
        } else {
            tracing::info!(http.path = path, http.status = status.as_u16(), error = %err, "server function refused");
        }
        parts.status = status;
    }
    Response::from_parts(parts, Body::from(bytes))
}
