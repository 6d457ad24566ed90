//! API tokens: shown once, stored hashed, revocable, and the only way into
//! `/api/v1/`.

use crate::helpers::*;
use reqwest::StatusCode;

pub async fn create_token(app: &TestApp, name: &str) -> String {
    let res = app.post_form("/sfn/create_token", &[("name", name)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<String>().await.unwrap()
}

#[tokio::test]
async fn the_api_refuses_requests_without_a_live_token() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/api/v1/token"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("Authorization: Bearer")
    );

    let res = app
        .client
        .get(app.url("/api/v1/token"))
        .bearer_auth("dwc_not-a-real-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_token_works_until_revoked_and_records_its_last_use() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let secret = create_token(&app, "collector").await;
    let api = reqwest::Client::new();
    let res = api
        .get(app.url("/api/v1/token"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["token"]["name"], "collector");

    let list: serde_json::Value = app
        .post_form("/sfn/list_tokens", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(list[0]["last_used_at"].is_string());
    assert!(
        !list.to_string().contains(&secret),
        "the secret must never be listed"
    );

    let id = list[0]["id"].as_i64().unwrap().to_string();
    assert_eq!(
        app.post_form("/sfn/revoke_token", &[("token_id", &id)])
            .await
            .status(),
        StatusCode::OK
    );
    let res = api
        .get(app.url("/api/v1/token"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"token.create".into()) && actions.contains(&"token.revoke".into()));
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let doc: serde_json::Value = res.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/token"]["get"].is_object());
}

#[tokio::test]
async fn unknown_api_paths_are_json_404s() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("not found"));
}
