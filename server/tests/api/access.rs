//! Anonymous visitors reach nothing but sign-in, first-run setup and health.

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn health_endpoints_answer_without_a_session() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["status"],
        "ready"
    );
}

#[tokio::test]
async fn an_empty_console_sends_every_page_to_first_run_setup() {
    let app = spawn_app().await;
    for path in ["/", "/audit", "/login", "/admin/users"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(res.headers()["location"], "/setup", "{path}");
    }
    let res = app.get("/setup").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Create the first admin"));
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in_once_an_admin_exists() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let anon = new_client();
    for (path, next) in [
        ("/", "/"),
        ("/audit?action=user.create", "/audit%3Faction%3Duser.create"),
        ("/admin/tokens", "/admin/tokens"),
        ("/setup", ""),
    ] {
        let res = app.get_with(&anon, path).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        let location = res.headers()["location"].to_str().unwrap().to_string();
        if next.is_empty() {
            assert_eq!(location, "/login");
        } else {
            assert_eq!(location, format!("/login?next={next}"));
        }
    }
    assert_eq!(app.get_with(&anon, "/login").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn anonymous_server_function_calls_are_refused_with_401() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let anon = new_client();
    for path in [
        "/sfn/list_users",
        "/sfn/add_user",
        "/sfn/create_token",
        "/sfn/get_overview",
        "/sfn/list_audit",
    ] {
        let res = app.post_form_with(&anon, path, &[]).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[tokio::test]
async fn a_signed_in_user_gets_a_real_404_for_unknown_pages() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let res = app.get("/no/such/page").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("Page not found"));
}
