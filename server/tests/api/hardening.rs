//! Security headers, CSRF protection and request limits.

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn pages_carry_a_strict_csp_whose_nonce_is_on_the_hydration_script() {
    let app = spawn_app().await;
    let res = app.get("/setup").await;
    let h = res.headers().clone();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h.contains_key("x-request-id"));
    let csp = h["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'"));
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the CSP")
        .to_string();
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the inline script must carry the nonce"
    );
    // A second response gets a different nonce.
    let again = app.get("/setup").await;
    assert!(
        !again.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains(&nonce)
    );
}

#[tokio::test]
async fn cross_site_and_unlabelled_posts_are_refused_before_anything_runs() {
    let app = spawn_app().await;
    let form = [
        ("email", ADMIN_EMAIL),
        ("password", PASSWORD),
        ("confirm", PASSWORD),
    ];
    let res = app
        .client
        .post(app.url("/sfn/setup_admin"))
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .client
        .post(app.url("/sfn/setup_admin"))
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .client
        .post(app.url("/sfn/setup_admin"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // None of them created the admin: the console still asks for setup.
    assert_eq!(app.get("/").await.headers()["location"], "/setup");
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413() {
    let app = spawn_app().await;
    let big = "x".repeat(17 * 1024 * 1024);
    let res = app
        .client
        .post(app.url("/sfn/login"))
        .header("origin", &app.address)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("email={big}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_database_is_created_migrated_and_a_sqlite_file_in_wal_mode() {
    let app = spawn_app().await;
    let migrator = match &app.pool {
        app::db::Pool::Sqlite(_) => {
            assert!(std::path::Path::new(&app.db_path).exists());
            assert!(std::path::Path::new(&format!("{}-wal", app.db_path)).exists());
            server::db::sqlite_migrator()
        }
        app::db::Pool::Postgres(_) => server::db::postgres_migrator(),
    };
    let applied: i64 =
        app::db::query_scalar("select count(*) from _sqlx_migrations where success = true")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(applied, migrator.iter().count() as i64);
}

#[tokio::test]
async fn when_the_database_is_gone_pages_say_so_and_readyz_fails() {
    let app = spawn_app().await;
    app.setup_admin().await;
    app.pool.close().await;

    let res = app.get("/readyz").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        app.get("/healthz").await.status(),
        StatusCode::OK,
        "the process itself is alive"
    );

    let res = app.get("/audit").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("database is unavailable"), "{html}");
}

#[tokio::test]
async fn the_bundle_is_named_by_its_content_sent_precompressed_and_kept_for_a_year() {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let stem = "frontend-0123456789abcdef";
    std::fs::write(
        pkg.join(format!("{stem}.js")),
        "export function hydrate() {}",
    )
    .unwrap();
    std::fs::write(pkg.join(format!("{stem}.js.gz")), b"gzipped bytes").unwrap();
    std::fs::write(pkg.join(format!("{stem}_bg.wasm")), b"\0asm").unwrap();
    std::fs::write(pkg.join("main.css"), "body {}").unwrap();
    let root = site.path().to_path_buf();
    let app = spawn_app_with(move |s| s.site_root = root).await;

    // Pages load the hashed names.
    let html = app.get("/setup").await.text().await.unwrap();
    assert!(html.contains(&format!("/pkg/{stem}.js")), "{html}");
    assert!(html.contains(&format!("/pkg/{stem}_bg.wasm")));

    // The pre-compressed file, for a browser that takes gzip, kept a year.
    let res = app
        .client
        .get(app.url(&format!("/pkg/{stem}.js")))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-encoding"], "gzip");
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"gzipped bytes");
    // Without gzip: the file itself.
    let res = app
        .client
        .get(app.url(&format!("/pkg/{stem}.js")))
        .header("accept-encoding", "identity")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("content-encoding").is_none());
    assert_eq!(res.text().await.unwrap(), "export function hydrate() {}");
    // The stylesheet keeps its name, so it is revalidated on each use.
    let res = app.get("/pkg/main.css").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-cache");
    // A missing file is a plain 404, not cached.
    let res = app.get("/pkg/frontend-ffffffffffffffff.js").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.headers().get("cache-control").is_none());
}
