//! The JSON API under `/api`: bearer-token endpoints for collectors and
//! scripts (`/api/v1/…`) and the OpenAPI document that describes them.

mod errors;
pub mod metrics;
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
    let error = error.into();
    // Refusals are logged once, here; a failure's cause was logged at
    // error where it became an `AppError`.
    if status.is_client_error() {
        tracing::info!(
            http.status = status.as_u16(),
            error,
            items = items.len(),
            "API request refused"
        );
    }
    let items: Vec<_> = items
        .into_iter()
        .map(|(index, reason)| json!({ "index": index, "reason": reason }))
        .collect();
    (status, Json(json!({ "error": error, "items": items }))).into_response()
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
    conn: &mut dyn app::db::Conn,
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
        if self.0 == AppError::Unauthorized {
            tracing::info!(http.status = 401, error = self.1, "API request refused");
        }
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
        if res.status().is_server_error() {
            res.extensions_mut().insert(app::error::CauseLogged);
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

#[cfg(test)]
mod tests {
    //! The logging rule of `docs/LOGGING.md`, checked on the real router:
    //! a refused request is logged once at info, a failure once at error.
    use crate::config::Settings;
    use crate::startup::{AppState, build_router};
    use axum::body::Body;
    use axum::http::Request;
    use std::sync::{Arc, Mutex};
    use tower::ServiceExt as _;
    use tracing_subscriber::layer::SubscriberExt as _;

    /// Every event: its level and message.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<(tracing::Level, String)>>>);

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Captured {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            struct Message(String);
            impl tracing::field::Visit for Message {
                fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                    if f.name() == "message" {
                        self.0 = format!("{v:?}");
                    }
                }
            }
            let mut m = Message(String::new());
            event.record(&mut m);
            if let Ok(mut all) = self.0.lock() {
                all.push((*event.metadata().level(), m.0));
            }
        }
    }

    impl Captured {
        /// Asserts that one line said the request was refused, all at info.
        fn one_refusal(&self) {
            let logged = self.take(tracing::Level::INFO);
            let refusals = logged.iter().filter(|(_, m)| m.contains("refused")).count();
            assert_eq!(refusals, 1, "one refusal line: {logged:?}");
            assert!(
                logged.iter().all(|(l, _)| *l == tracing::Level::INFO),
                "a refusal is not a warning or an error: {logged:?}"
            );
        }

        /// Takes the events logged so far at `level` or above (more severe).
        fn take(&self, level: tracing::Level) -> Vec<(tracing::Level, String)> {
            let mut all = self.0.lock().unwrap();
            let out = all.iter().filter(|(l, _)| *l <= level).cloned().collect();
            all.clear();
            out
        }
    }

    // One thread, so the test's subscriber sees everything the router does.
    #[tokio::test(flavor = "current_thread")]
    async fn a_refusal_logs_once_at_info_and_a_failure_once_at_error() {
        let captured = Captured::default();
        let _guard =
            tracing::subscriber::set_default(tracing_subscriber::registry().with(captured.clone()));
        let dir = std::env::temp_dir().join(format!("dwc-logging-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("log.db");
        let _ = std::fs::remove_file(&db);
        let pool = crate::db::connect(db.to_str().unwrap()).await.unwrap();
        let mut conn = pool.acquire().await.unwrap();
        let actor = app::audit::server::Actor::cli();
        let (_, secret) = app::tokens::server::create(&mut conn, &actor, "logs")
            .await
            .unwrap();
        drop(conn);
        let settings = Settings::for_tests(db.to_str().unwrap());
        let router = build_router(&settings, AppState::new(&settings, pool.clone()));
        let post = |body: &str| {
            Request::post("/api/v1/errors")
                .header("authorization", format!("Bearer {secret}"))
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap()
        };
        captured.take(tracing::Level::TRACE);

        // A batch naming an environment that does not exist: 422.
        let res = router
            .clone()
            .oneshot(post(
                r#"{"environment": "Nope", "entries": [{"message": "x"}]}"#,
            ))
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        captured.one_refusal();

        // A refused server function (a wrong password): 401 or 422.
        let res = router
            .clone()
            .oneshot(
                Request::post("/sfn/login")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("sec-fetch-site", "same-origin")
                    .body(Body::from(
                        "email=nobody%40example.com&password=wrong-password",
                    ))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert!(res.status().is_client_error(), "{}", res.status());
        captured.one_refusal();

        // The database gone: 503, its cause logged once at error.
        pool.close().await;
        let res = router
            .clone()
            .oneshot(post(r#"{"environment": "Nope", "entries": []}"#))
            .await
            .unwrap();
        assert_eq!(res.status(), 503);
        let logged = captured.take(tracing::Level::WARN);
        assert_eq!(
            logged
                .iter()
                .filter(|(l, _)| *l == tracing::Level::ERROR)
                .count(),
            1,
            "one error line: {logged:?}"
        );
        assert_eq!(logged.len(), 1, "nothing else at warn or above: {logged:?}");

        // A 5xx that is no `AppError` (the readiness probe) is logged by the
        // request log, once.
        let res = router
            .clone()
            .oneshot(Request::get("/readyz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), 503);
        let logged = captured.take(tracing::Level::WARN);
        assert_eq!(logged.len(), 1, "one line for the failed probe: {logged:?}");
        assert_eq!(logged[0].0, tracing::Level::ERROR);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
