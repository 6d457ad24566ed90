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
use axum::http::{HeaderValue, header};
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
