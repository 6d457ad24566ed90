//! Sign-in, sign-out, sessions, first-run setup and the login throttle.

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn first_run_setup_creates_an_admin_once_and_signs_them_in() {
    let app = spawn_app().await;
    let res = app
        .post_form(
            "/sfn/setup_admin",
            &[
                ("email", ADMIN_EMAIL),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("dwc_session="));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "plain http must not set Secure");

    let again = new_client();
    let res = app
        .post_form_with(
            &again,
            "/sfn/setup_admin",
            &[
                ("email", "other@example.com"),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(app.audit_actions().await, vec!["user.create"]);
}

#[tokio::test]
async fn setup_rejects_weak_passwords_naming_the_rule() {
    let app = spawn_app().await;
    let res = app
        .post_form(
            "/sfn/setup_admin",
            &[
                ("email", ADMIN_EMAIL),
                ("password", "short"),
                ("confirm", "short"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["Validation"]["field"], "password");
    assert!(
        body["Validation"]["message"]
            .as_str()
            .unwrap()
            .contains("12 characters")
    );
}

#[tokio::test]
async fn wrong_passwords_are_refused_and_audited_without_saying_which_part_was_wrong() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let anon = new_client();
    for email in [ADMIN_EMAIL, "nobody@example.com"] {
        let res = app
            .post_form_with(
                &anon,
                "/sfn/login",
                &[("email", email), ("password", "wrong password!")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(
            body["Validation"]["message"],
            "The email address or password is incorrect."
        );
    }
    let actions = app.audit_actions().await;
    assert_eq!(
        actions.iter().filter(|a| *a == "auth.login_failed").count(),
        2
    );
}

#[tokio::test]
async fn repeated_failures_pause_sign_in_for_that_address_and_email() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let anon = new_client();
    for _ in 0..5 {
        app.post_form_with(
            &anon,
            "/sfn/login",
            &[("email", ADMIN_EMAIL), ("password", "wrong password!")],
        )
        .await;
    }
    // Even the right password is refused while the pause lasts.
    let res = app
        .post_form_with(
            &anon,
            "/sfn/login",
            &[("email", ADMIN_EMAIL), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["RateLimited"]
            .as_str()
            .unwrap()
            .contains("Try again in")
    );
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let user = app.sign_in(ADMIN_EMAIL).await;
    assert_eq!(app.get_with(&user, "/audit").await.status(), StatusCode::OK);
    let res = app.post_form_with(&user, "/sfn/logout", &[]).await;
    assert!(
        res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        app.get_with(&user, "/audit").await.status(),
        StatusCode::SEE_OTHER
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"auth.logout".to_string())
    );
}

#[tokio::test]
async fn a_stolen_cookie_value_from_another_session_store_does_not_work() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let forged = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = forged
        .get(app.url("/"))
        .header(
            "cookie",
            "dwc_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        )
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn one_address_spraying_many_emails_is_paused_too() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let anon = new_client();
    for i in 0..50 {
        let email = format!("guess{i}@example.com");
        app.post_form_with(
            &anon,
            "/sfn/login",
            &[("email", email.as_str()), ("password", "wrong password!")],
        )
        .await;
    }
    let res = app
        .post_form_with(
            &anon,
            "/sfn/login",
            &[("email", ADMIN_EMAIL), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["RateLimited"]
            .as_str()
            .unwrap()
            .contains("from this address")
    );
}
