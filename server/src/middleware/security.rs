//! Security headers on every response, including a strict
//! Content-Security-Policy whose script nonce is minted per request and handed
//! to Leptos (see `app::CspNonce`) so only our own hydration script runs.

use app::CspNonce;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// Whether responses carry `Strict-Transport-Security`: only when the
/// public URL is `https://`, because a browser that saw the header refuses
/// plain HTTP to the host for the whole period, which would lock users out
/// of a console served over HTTP.
#[derive(Clone, Copy, Debug)]
pub struct Hsts(pub bool);

/// One year, the period browsers' preload lists ask for.
const HSTS_VALUE: &str = "max-age=31536000";

/// Mints the nonce, runs the request, then sets the headers.
pub async fn security_headers(State(hsts): State<Hsts>, mut req: Request, next: Next) -> Response {
    let nonce = app::auth::server::random_secret();
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    let csp = content_security_policy(&nonce);
    let pairs: [(HeaderName, String); 5] = [
        (header::CONTENT_SECURITY_POLICY, csp),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
        (header::X_FRAME_OPTIONS, "DENY".into()),
        (header::REFERRER_POLICY, "same-origin".into()),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin".into(),
        ),
    ];
    for (name, value) in pairs {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    if hsts.0 {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS_VALUE),
        );
    }
    res
}

/// The policy: only our own origin, our nonce'd inline script, and
/// `wasm-unsafe-eval`, which browsers require to compile the WebAssembly
/// bundle (it does not allow JavaScript `eval`).
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_the_nonce_and_wasm_but_no_framing() {
        let p = content_security_policy("abc");
        assert!(p.contains("'nonce-abc'"));
        assert!(p.contains("'wasm-unsafe-eval'"));
        assert!(p.contains("frame-ancestors 'none'"));
        assert!(!p.contains("unsafe-inline"));
    }
}
