//! The browser bundle on disk and how `/pkg` serves it: the bundle's
//! content-hashed name (written by `tools/bundle.sh`), files sent
//! pre-compressed when a `.br` or `.gz` sits beside them, and cache headers
//! that let a browser keep the hashed files for a year.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use std::path::Path;
use tower_http::services::ServeDir;

/// For a content-hashed file: a year, never revalidated (a new build is a
/// new name).
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For the rest of `/pkg` (the stylesheet): kept, but revalidated on every
/// use, which costs a 304 when it has not changed.
const REVALIDATE: &str = "no-cache";

/// The bundle's file stem in `pkg`: `frontend-<hash>` as `tools/bundle.sh`
/// names it (the newest, should several be there), or plain `frontend`
/// for a bundle Trunk wrote and nothing renamed.
pub fn bundle_stem(pkg: &Path) -> String {
    let newest = std::fs::read_dir(pkg)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".js")?.strip_prefix("frontend-")?;
            let modified = e.metadata().and_then(|m| m.modified()).ok()?;
            Some((modified, format!("frontend-{stem}")))
        })
        .max();
    newest.map_or_else(|| "frontend".to_string(), |(_, stem)| stem)
}

/// Whether `pkg` holds the JS glue of the bundle named `stem`.
pub fn bundle_present(pkg: &Path, stem: &str) -> bool {
    pkg.join(format!("{stem}.js")).exists()
}

/// Serves the files under `pkg` at `/pkg`: the `.br` or `.gz` beside a file
/// when the browser accepts it, and cache headers by name.
pub fn pkg_router<S: Clone + Send + Sync + 'static>(pkg: &Path) -> Router<S> {
    Router::new()
        .fallback_service(ServeDir::new(pkg).precompressed_br().precompressed_gzip())
        .layer(axum::middleware::from_fn(cache_headers))
}

async fn cache_headers(req: Request, next: Next) -> Response {
    let policy = cache_policy(req.uri().path());
    let mut res = next.run(req).await;
    if res.status().is_success() || res.status() == axum::http::StatusCode::NOT_MODIFIED {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    res
}

/// The cache policy for a path under `/pkg`.
fn cache_policy(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or_default();
    if is_hashed(name) {
        IMMUTABLE
    } else {
        REVALIDATE
    }
}

/// `frontend-<16 hex>.js` or `frontend-<16 hex>_bg.wasm`.
fn is_hashed(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("frontend-") else {
        return false;
    };
    let hash = rest
        .strip_suffix("_bg.wasm")
        .or_else(|| rest.strip_suffix(".js"))
        .unwrap_or_default();
    hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_content_hashed_bundle_files_are_immutable() {
        assert_eq!(cache_policy("/frontend-58b4e7fd3836cbdb.js"), IMMUTABLE);
        assert_eq!(
            cache_policy("/frontend-58b4e7fd3836cbdb_bg.wasm"),
            IMMUTABLE
        );
        assert_eq!(cache_policy("/frontend.js"), REVALIDATE);
        assert_eq!(cache_policy("/main.css"), REVALIDATE);
        assert_eq!(cache_policy("/frontend-xyz.js"), REVALIDATE);
    }

    #[test]
    fn the_newest_hashed_bundle_is_found_and_plain_trunk_output_still_works() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(bundle_stem(dir.path()), "frontend");
        std::fs::write(dir.path().join("frontend-0123456789abcdef.js"), "").unwrap();
        std::fs::write(dir.path().join("frontend-0123456789abcdef.js.gz"), "").unwrap();
        assert_eq!(bundle_stem(dir.path()), "frontend-0123456789abcdef");
        assert!(bundle_present(dir.path(), "frontend-0123456789abcdef"));
        assert!(!bundle_present(dir.path(), "frontend"));
    }
}
