//! Who may reach what. Two layers:
//! - [`same_origin_guard`]: every state-changing request made with the
//!   browser's cookies must come from this site (CSRF protection, by the
//!   Fetch Metadata and Origin headers that every current browser sends);
//! - [`resolve_caller`]: finds the signed-in user from the session cookie
//!   and lets anonymous visitors reach only the sign-in and first-run pages,
//!   the health endpoints and the static bundle.
//!
//! Role checks for individual actions live in the server functions and API
//! handlers themselves (`require_role`); this layer is the outer fence.

use crate::startup::AppState;
use app::auth::server::{Caller, any_users, session_secret_from_cookie_header, session_user};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::sync::atomic::Ordering;

/// Records the client's address (see [`app::auth::TrustedProxies`]) in
/// the request, for the audit log and the sign-in throttle.
pub async fn client_addr(
    State(trusted): State<app::auth::TrustedProxies>,
    mut req: Request,
    next: Next,
) -> Response {
    if let Some(peer) = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
    {
        let client = trusted.client(peer, req.headers());
        req.extensions_mut().insert(app::auth::ClientAddr(client));
    }
    next.run(req).await
}

/// Paths an anonymous visitor may reach (exact match).
const PUBLIC_EXACT: &[&str] = &[
    "/login",
    "/setup",
    "/healthz",
    "/readyz",
    "/favicon.ico",
    "/sfn/login",
    "/sfn/setup_admin",
    "/sfn/get_visitor",
    "/api/openapi.json",
    // Authenticates with a bearer token in its handler, like `/api/`.
    "/metrics",
];

/// Path prefixes an anonymous visitor may reach. `/api/` authenticates with
/// bearer tokens in its own handlers, not with the session.
const PUBLIC_PREFIX: &[&str] = &["/pkg/", "/api/"];

fn is_public(path: &str) -> bool {
    PUBLIC_EXACT.contains(&path) || PUBLIC_PREFIX.iter().any(|p| path.starts_with(p))
}

fn is_safe_method(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Why a state-changing request looks cross-site, or `None` if it is fine.
pub fn cross_site_reason(method: &Method, headers: &HeaderMap) -> Option<String> {
    if is_safe_method(method) {
        return None;
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "));
    // A bearer token is not sent automatically by a browser, so a request
    // carrying one cannot be forged by another site.
    if bearer && !headers.contains_key(header::COOKIE) {
        return None;
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return match site {
            "same-origin" | "none" => None,
            other => Some(format!(
                "the request came from another site (Sec-Fetch-Site: {other})"
            )),
        };
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        host,
    ) {
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
            if origin_host.eq_ignore_ascii_case(host) {
                None
            } else {
                Some(format!(
                    "the request came from {origin}, not from this site"
                ))
            }
        }
        _ => Some("the request carries neither an Origin nor a Sec-Fetch-Site header".into()),
    }
}

/// Refuses cross-site state-changing requests with 403.
pub async fn same_origin_guard(req: Request, next: Next) -> Response {
    // The API authenticates only by bearer token, never by cookie: a request
    // there without cookies carries no ambient credentials to forge, and its
    // handler answers a missing token with 401 and what to send.
    let api_without_cookies =
        req.uri().path().starts_with("/api/") && !req.headers().contains_key(header::COOKIE);
    if api_without_cookies {
        return next.run(req).await;
    }
    if let Some(reason) = cross_site_reason(req.method(), req.headers()) {
        tracing::warn!(
            http.path = req.uri().path(),
            reason,
            "refused a cross-site request"
        );
        let body = serde_json::json!({
            "error": format!("Refused: {reason}. Changes can only be made from the console's own pages.")
        });
        return (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
    }
    next.run(req).await
}

fn wants_html(req: &Request) -> bool {
    req.method() == Method::GET
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| v.contains("text/html") || v.contains("*/*"))
}

/// Resolves the session into a [`Caller`] extension and gates anonymous access.
pub async fn resolve_caller(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    // The bundle, the probes and the token-authenticated API never use the
    // session; first-run setup does not apply to them either.
    if path.starts_with("/pkg/")
        || path.starts_with("/api/")
        || path == "/healthz"
        || path == "/readyz"
        || path == "/metrics"
    {
        return next.run(req).await;
    }
    let secret = req
        .headers()
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(session_secret_from_cookie_header)
        .map(str::to_string);
    let user = match secret {
        None => None,
        Some(secret) => match lookup(&state, &secret).await {
            Ok(u) => u,
            Err(e) => return failure(&req, e),
        },
    };

    let signed_in = user.is_some();
    req.extensions_mut().insert(Caller(user));
    if signed_in {
        if req.method() == Method::GET && (path == "/login" || path == "/setup") {
            return Redirect::to("/").into_response();
        }
        return next.run(req).await;
    }

    let has_users = match has_users(&state).await {
        Ok(b) => b,
        Err(e) => return failure(&req, e),
    };
    if wants_html(&req) {
        if !has_users && path != "/setup" {
            return Redirect::to("/setup").into_response();
        }
        if has_users && path == "/setup" {
            return Redirect::to("/login").into_response();
        }
    }
    if is_public(&path) {
        return next.run(req).await;
    }
    if wants_html(&req) {
        let query = req
            .uri()
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        let target = format!("{path}{query}");
        // Slashes stay readable: the value is a path on this site.
        let next_param = app::components::percent_encode(&target, b"/");
        return Redirect::to(&format!("/login?next={next_param}")).into_response();
    }
    app::error::AppError::Unauthorized.into_response()
}

/// A failure before any page could render: a small HTML page for browsers
/// (it cannot use the app's layout, which needs the same database), JSON
/// for everything else.
fn failure(req: &Request, err: app::error::AppError) -> Response {
    if !wants_html(req) {
        return err.into_response();
    }
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Unavailable · Dual-write Console</title><link rel=\"stylesheet\" href=\"/pkg/main.css\"></head>\
         <body><main class=\"content narrow\"><h1>The console cannot answer right now</h1>\
         <div class=\"error-box\" role=\"alert\">{err}</div>\
         <p>Reload the page in a moment. If this persists, an administrator should check \
         <code>/readyz</code> and the server log.</p></main></body></html>"
    );
    (status, axum::response::Html(html)).into_response()
}

async fn lookup(
    state: &AppState,
    secret: &str,
) -> Result<Option<app::auth::CurrentUser>, app::error::AppError> {
    let mut conn = state.pool.acquire().await?;
    session_user(&mut conn, secret).await
}

/// Whether any account exists. Cached once true: accounts are never deleted,
/// only deactivated, so the answer cannot go back to false.
async fn has_users(state: &AppState) -> Result<bool, app::error::AppError> {
    if state.has_users.load(Ordering::Relaxed) {
        return Ok(true);
    }
    let mut conn = state.pool.acquire().await?;
    let any = any_users(&mut conn).await?;
    if any {
        state.has_users.store(true, Ordering::Relaxed);
    }
    Ok(any)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn reads_are_never_refused() {
        assert_eq!(cross_site_reason(&Method::GET, &HeaderMap::new()), None);
    }

    #[test]
    fn same_origin_posts_pass_by_fetch_metadata_or_origin() {
        let fm = headers(&[("sec-fetch-site", "same-origin")]);
        assert_eq!(cross_site_reason(&Method::POST, &fm), None);
        let origin = headers(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000"),
        ]);
        assert_eq!(cross_site_reason(&Method::POST, &origin), None);
    }

    #[test]
    fn cross_site_and_unlabelled_posts_are_refused() {
        let fm = headers(&[("sec-fetch-site", "cross-site")]);
        assert!(
            cross_site_reason(&Method::POST, &fm)
                .unwrap()
                .contains("cross-site")
        );
        let origin = headers(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:3000"),
        ]);
        assert!(
            cross_site_reason(&Method::POST, &origin)
                .unwrap()
                .contains("evil.example")
        );
        assert!(cross_site_reason(&Method::POST, &HeaderMap::new()).is_some());
    }

    #[test]
    fn bearer_requests_without_cookies_are_not_csrf_checked() {
        let h = headers(&[("authorization", "Bearer dwc_x")]);
        assert_eq!(cross_site_reason(&Method::POST, &h), None);
        let with_cookie = headers(&[
            ("authorization", "Bearer dwc_x"),
            ("cookie", "dwc_session=1"),
        ]);
        assert!(cross_site_reason(&Method::POST, &with_cookie).is_some());
    }

    #[test]
    fn only_sign_in_health_and_bundle_paths_are_public() {
        for p in [
            "/login",
            "/setup",
            "/healthz",
            "/readyz",
            "/pkg/frontend.js",
            "/sfn/login",
        ] {
            assert!(is_public(p), "{p}");
        }
        for p in [
            "/",
            "/audit",
            "/admin/users",
            "/sfn/list_users",
            "/sfn/add_user",
        ] {
            assert!(!is_public(p), "{p}");
        }
    }
}
