//! Roles are enforced on every write, and every write is audited.

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn a_viewer_can_read_but_every_write_is_refused_with_403_and_nothing_changes() {
    let app = spawn_app().await;
    app.setup_admin().await;
    app.add_user("viewer@example.com", "viewer").await;
    let viewer = app.sign_in("viewer@example.com").await;
    let before = app.audit_actions().await;

    assert_eq!(
        app.get_with(&viewer, "/audit").await.status(),
        StatusCode::OK
    );
    for (path, form) in [
        (
            "/sfn/add_user",
            vec![
                ("email", "x@example.com"),
                ("role", "admin"),
                ("password", PASSWORD),
            ],
        ),
        (
            "/sfn/change_user_role",
            vec![("user_id", "1"), ("role", "viewer")],
        ),
        (
            "/sfn/set_user_active",
            vec![("user_id", "1"), ("active", "false")],
        ),
        ("/sfn/create_token", vec![("name", "mine")]),
        ("/sfn/revoke_token", vec![("token_id", "1")]),
        (
            "/sfn/set_user_password",
            vec![("user_id", "1"), ("password", "taken over password")],
        ),
        ("/sfn/list_users", vec![]),
        ("/sfn/list_tokens", vec![]),
    ] {
        let res = app.post_form_with(&viewer, path, &form).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // Nothing was written: the audit log is as it was.
    assert_eq!(app.audit_actions().await, before);
}

#[tokio::test]
async fn an_editor_cannot_administer_users_or_tokens() {
    let app = spawn_app().await;
    app.setup_admin().await;
    app.add_user("editor@example.com", "editor").await;
    let editor = app.sign_in("editor@example.com").await;
    let res = app
        .post_form_with(
            &editor,
            "/sfn/add_user",
            &[
                ("email", "y@example.com"),
                ("role", "viewer"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .post_form_with(&editor, "/sfn/create_token", &[("name", "t")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn admin_changes_are_audited_and_take_effect_at_once() {
    let app = spawn_app().await;
    app.setup_admin().await;
    app.add_user("ana@example.com", "viewer").await;
    let ana = app.sign_in("ana@example.com").await;

    let res = app
        .post_form(
            "/sfn/change_user_role",
            &[("user_id", "2"), ("role", "editor")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // The role change ended Ana's sessions, so the new role applies at once.
    assert_eq!(
        app.get_with(&ana, "/").await.status(),
        StatusCode::SEE_OTHER
    );

    let res = app
        .post_form(
            "/sfn/set_user_active",
            &[("user_id", "2"), ("active", "false")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post_form_with(
            &new_client(),
            "/sfn/login",
            &[("email", "ana@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a deactivated user cannot sign in"
    );

    let actions = app.audit_actions().await;
    for expected in [
        "user.create",
        "user.role_change",
        "user.deactivate",
        "auth.login_failed",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} missing from {actions:?}"
        );
    }
}

#[tokio::test]
async fn an_admin_cannot_demote_or_deactivate_themselves() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let res = app
        .post_form(
            "/sfn/change_user_role",
            &[("user_id", "1"), ("role", "viewer")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post_form(
            "/sfn/set_user_active",
            &[("user_id", "1"), ("active", "false")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn duplicate_users_and_unknown_roles_get_specific_errors() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let res = app
        .post_form(
            "/sfn/add_user",
            &[
                ("email", ADMIN_EMAIL),
                ("role", "viewer"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = app
        .post_form(
            "/sfn/add_user",
            &[
                ("email", "new@example.com"),
                ("role", "owner"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["Validation"]["message"]
            .as_str()
            .unwrap()
            .contains("owner")
    );
}

#[tokio::test]
async fn an_admin_sets_a_new_password_and_the_old_one_stops_working() {
    let app = spawn_app().await;
    app.setup_admin().await;
    app.add_user("ana@example.com", "viewer").await;
    let res = app
        .post_form(
            "/sfn/set_user_password",
            &[("user_id", "2"), ("password", "a brand new passphrase")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post_form_with(
            &new_client(),
            "/sfn/login",
            &[("email", "ana@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post_form_with(
            &new_client(),
            "/sfn/login",
            &[
                ("email", "ana@example.com"),
                ("password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        app.audit_actions()
            .await
            .contains(&"user.password_reset".to_string())
    );
}

#[tokio::test]
async fn the_users_page_confirms_with_its_own_words_only() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let html = app
        .get("/admin/users?done=password")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Password set. The user"), "{html}");
    // Anything else in the address shows nothing: a link cannot make the
    // page say what it likes.
    let html = app
        .get("/admin/users?done=%3Cb%3EYou%20won%3C%2Fb%3E")
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("You won"));
    assert!(!html.contains("done-notice"));
}
