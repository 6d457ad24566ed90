//! The JSON API under `/api`: bearer-token endpoints for collectors and
//! scripts (`/api/v1/…`) and the OpenAPI document that describes them.

mod errors;
mod openapi;
mod throughput;

use crate::startup::AppState;
use app::error::AppError;
use app::tokens::server::{TokenIdentity, authenticate};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

/// Routes mounted at `/api`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi::document))
        .route("/v1/token", get(whoami))
        .route("/v1/errors", post(errors::post_errors))
        .route("/v1/throughput", post(throughput::post_throughput))
        .fallback(|| async { AppError::not_found("This API endpoint").into_response() })
}

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

/// Reads a batch `{"environment": "…", "<list>": [ … ]}`; a body that is
/// not JSON is a 400, one of another shape a 422 that shows the shape.
fn parse_batch<T: serde::de::DeserializeOwned>(
    body: &[u8],
    list: &str,
) -> Result<T, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(if e.is_syntax() || e.is_eof() {
            reject(
                StatusCode::BAD_REQUEST,
                format!("The body is not valid JSON: {e}."),
                vec![],
            )
        } else {
            reject(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("The body must be {{\"environment\": \"…\", \"{list}\": [ … ]}}: {e}."),
                vec![],
            )
        })
    })
}

/// Refuses an empty batch (422) or one over `max` (413).
fn check_size(n: usize, max: usize, word: &str) -> Option<Response> {
    if n == 0 {
        Some(reject(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("The batch has no {word}."),
            vec![],
        ))
    } else if n > max {
        Some(reject(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The batch has {n} {word}; send at most {max} per request."),
            vec![],
        ))
    } else {
        None
    }
}

/// A batch rejected for its items: 422, each reason with its index, and
/// a sentence saying nothing was stored. `word` is the item's name,
/// singular and plural.
fn reject_items(word: (&str, &str), problems: Vec<(usize, String)>) -> Response {
    let n = problems.len();
    let (noun, verb, them) = if n == 1 {
        (word.0, "was", "it")
    } else {
        (word.1, "were", "them")
    };
    reject(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!(
            "{n} {noun} {verb} rejected; nothing was stored. Fix {them} and send the batch again."
        ),
        problems,
    )
}

/// A batch rejected as a whole: the status the error means, with its message.
fn reject_error(e: AppError) -> Response {
    match e {
        AppError::Validation { message, .. } => {
            reject(StatusCode::UNPROCESSABLE_ENTITY, message, vec![])
        }
        e => reject(
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            e.to_string(),
            vec![],
        ),
    }
}

/// The environment a batch names, or a validation error that says how to
/// add it.
async fn batch_environment(
    conn: &mut sqlx::SqliteConnection,
    name: &str,
) -> Result<app::environments::Environment, AppError> {
    app::environments::server::by_name(conn, name.trim())
        .await
        .map_err(|_| {
            AppError::validation(
                "environment",
                format!(
                    "Environment '{}' does not exist; an admin adds it on the Environments page or with `dwconsole env add`.",
                    name.trim()
                ),
            )
        })
}

/// An authenticated API caller: the request carried a live bearer token.
pub struct ApiCaller(pub TokenIdentity);

/// Rejection for a missing or bad token: 401 with `WWW-Authenticate`.
pub struct ApiAuthError(AppError, &'static str);

impl IntoResponse for ApiAuthError {
    fn into_response(self) -> Response {
        let mut res = (
            axum::http::StatusCode::from_u16(self.0.status())
                .unwrap_or(axum::http::StatusCode::UNAUTHORIZED),
            Json(json!({ "error": self.1 })),
        )
            .into_response();
        if self.0 == AppError::Unauthorized {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiAuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiAuthError(
                AppError::Unauthorized,
                "Send an API token: Authorization: Bearer <token>. Admins create tokens on the API tokens page or with `dwconsole token add`.",
            ))?;
        let secret = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or(ApiAuthError(
                AppError::Unauthorized,
                "The Authorization header must be 'Bearer <token>'.",
            ))?;
        let mut conn = state.pool.acquire().await.map_err(|e| {
            ApiAuthError(
                AppError::from(e),
                "The console's database is unavailable right now.",
            )
        })?;
        match authenticate(&mut conn, secret).await {
            Ok(Some(id)) => Ok(ApiCaller(id)),
            Ok(None) => Err(ApiAuthError(
                AppError::Unauthorized,
                "The API token is unknown or has been revoked.",
            )),
            Err(e) => Err(ApiAuthError(e, "The console could not check the token.")),
        }
    }
}

/// `GET /api/v1/token`: which token this is — lets a script check its
/// credentials before sending data.
async fn whoami(State(_): State<AppState>, ApiCaller(token): ApiCaller) -> Json<serde_json::Value> {
    Json(json!({ "token": { "id": token.id, "name": token.name } }))
}
