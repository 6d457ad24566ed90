//! The rule book's environments and table maps over HTTP: roles, errors,
//! revisions and sanitized Markdown on the rendered page.

use crate::helpers::*;
use reqwest::StatusCode;

fn map_form<'a>(name: &'a str, notes: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("env", "UAT"),
        ("form[name]", name),
        ("form[fo_entity]", "CustCustomerV3Entity"),
        ("form[dataverse_table]", "account"),
        ("form[direction]", "bidirectional"),
        ("form[not_synced_reason]", ""),
        ("form[master_side]", "fo"),
        ("form[fo_keys]", "CustomerAccount, dataAreaId"),
        ("form[dataverse_keys]", "accountnumber"),
        ("form[initial_sync]", "dual_write"),
        ("form[expected_records]", ""),
        ("form[state]", "running"),
        ("form[tags]", ""),
        ("form[notes]", notes),
        ("comment", "created by a test"),
    ]
}

/// Adds the environment UAT (legal entity USMF) as the signed-in admin.
async fn add_uat(app: &TestApp) -> reqwest::Response {
    app.post_form(
        "/sfn/save_environment",
        &[
            ("name", "UAT"),
            ("fo_url", ""),
            ("dataverse_url", ""),
            ("legal_entities", "USMF"),
        ],
    )
    .await
}

pub async fn app_with_uat() -> TestApp {
    let app = spawn_app().await;
    app.setup_admin().await;
    assert_eq!(add_uat(&app).await.status(), StatusCode::OK);
    app
}

#[tokio::test]
async fn saving_an_environment_says_so_and_a_link_cannot_make_the_notice_up() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let res = add_uat(&app).await;
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let id = location
        .strip_prefix("/admin/environments?added=")
        .unwrap_or_else(|| panic!("{location}"));
    assert!(id.parse::<i64>().is_ok(), "{location}");
    let page = app.get(&location).await.text().await.unwrap();
    assert!(page.contains("Environment UAT added."), "{page}");
    let saved = format!("/admin/environments?saved={id}");
    let res = app.get(&saved).await;
    let status = res.status();
    let page = res.text().await.unwrap();
    assert!(page.contains("Environment UAT saved."), "{status}\n{page}");
    // Only an environment the console has is named; the address's words never.
    for forged in [
        "/admin/environments?added=Call%200100%20to%20re-enter%20your%20password",
        "/admin/environments?saved=999999",
    ] {
        let page = app.get(forged).await.text().await.unwrap();
        assert!(!page.contains("environment-saved"), "{forged}");
        assert!(!page.contains("Call 0100"), "{forged}");
    }
}

#[tokio::test]
async fn only_admins_manage_environments() {
    let app = app_with_uat().await;
    app.add_user("editor@example.com", "editor").await;
    let editor = app.sign_in("editor@example.com").await;
    let res = app
        .post_form_with(
            &editor,
            "/sfn/save_environment",
            &[
                ("name", "Prod"),
                ("fo_url", ""),
                ("dataverse_url", ""),
                ("legal_entities", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .post_form_with(&editor, "/sfn/list_environments", &[])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "editors can read environments"
    );
}

#[tokio::test]
async fn a_viewer_can_read_maps_but_every_map_write_is_refused() {
    let app = app_with_uat().await;
    assert_eq!(
        app.post_form("/sfn/apply_starter_set", &[("env", "UAT")])
            .await
            .status(),
        StatusCode::OK
    );
    app.add_user("viewer@example.com", "viewer").await;
    let viewer = app.sign_in("viewer@example.com").await;
    assert_eq!(
        app.get_with(&viewer, "/maps/1").await.status(),
        StatusCode::OK
    );

    let before = app.audit_actions().await;
    for (path, form) in [
        ("/sfn/save_map", map_form("Sneaky", "")),
        ("/sfn/delete_map", vec![("map_id", "1"), ("comment", "x")]),
        ("/sfn/restore_map", vec![("map_id", "1"), ("revision", "1")]),
        ("/sfn/apply_starter_set", vec![("env", "UAT")]),
    ] {
        let res = app.post_form_with(&viewer, path, &form).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(app.audit_actions().await, before);
}

#[tokio::test]
async fn an_unknown_environment_is_named_in_a_404() {
    let app = app_with_uat().await;
    let mut form = map_form("Customers", "");
    form[0] = ("env", "Prdouction");
    let res = app.post_form("/sfn/save_map", &form).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("Prdouction"));
}

#[tokio::test]
async fn saving_creates_revisions_and_a_stale_form_is_refused() {
    let app = app_with_uat().await;
    let res = app
        .post_form("/sfn/save_map", &map_form("Customers", "v1"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let mut edit = map_form("Customers", "v2");
    edit.extend([("map_id", "1"), ("expected_revision", "1")]);
    assert_eq!(
        app.post_form("/sfn/save_map", &edit).await.status(),
        StatusCode::OK
    );
    // The same form again still says revision 1: someone saved since.
    let res = app.post_form("/sfn/save_map", &edit).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    let res = app
        .post_form(
            "/sfn/map_diff",
            &[("map_id", "1"), ("from", "1"), ("to", "2")],
        )
        .await;
    let diff: serde_json::Value = res.json().await.unwrap();
    assert_eq!(diff["changes"][0]["field"], "Notes");
    let actions = app.audit_actions().await;
    assert!(
        actions.contains(&"map.create".to_string()) && actions.contains(&"map.update".to_string())
    );
}

#[tokio::test]
async fn hostile_markdown_in_notes_never_reaches_the_page_as_markup() {
    let app = app_with_uat().await;
    let notes = "Fine **text**.\n\n<script>alert('x')</script></script><script>alert(2)</script>\n<iframe src=\"https://evil.example\"></iframe>\n\
                 [click](javascript:alert(1))\n<img src=x onerror=\"alert(1)\">\n<a href=\"JAVASCRIPT:alert(1)\">y</a>";
    assert_eq!(
        app.post_form("/sfn/save_map", &map_form("Customers", notes))
            .await
            .status(),
        StatusCode::OK
    );
    let res = app.get("/maps/1").await;
    let status = res.status();
    let html = res.text().await.unwrap();
    // The rendered notes: Markdown applied, every hostile construct gone.
    let start = html.find("<div class=\"prose\">").unwrap_or_else(|| {
        let main: String = html
            .split("<main")
            .nth(1)
            .unwrap_or(&html)
            .chars()
            .take(1500)
            .collect();
        panic!("no rendered notes on /maps/1 ({status}): {main}")
    });
    let prose = &html[start..start + html[start..].find("</div>").unwrap()];
    assert!(
        prose.contains("<strong>text</strong>"),
        "Markdown still renders: {prose}"
    );
    let lower = prose.to_ascii_lowercase();
    for bad in [
        "<script",
        "<iframe",
        "href=\"javascript",
        "onerror",
        "onclick",
    ] {
        assert!(!lower.contains(bad), "{bad} survived in {prose}");
    }
    // The raw notes also travel in the hydration data, as an escaped JSON
    // string: no tag can close the data script early, and every script on
    // the page is ours (it carries the response's CSP nonce).
    assert!(!html.contains("</script><script>alert") && !html.contains("<script>alert"));
    for tag in html
        .match_indices("<script")
        .map(|(i, _)| &html[i..i + html[i..].find('>').unwrap()])
    {
        assert!(tag.contains("nonce="), "a script without our nonce: {tag}");
    }
}

#[tokio::test]
async fn field_and_rule_writes_need_an_editor_and_a_rationale() {
    let app = app_with_uat().await;
    assert_eq!(
        app.post_form("/sfn/apply_starter_set", &[("env", "UAT")])
            .await
            .status(),
        StatusCode::OK
    );
    let field = [
        ("map_id", "1"),
        ("field[fo_field]", "CreditLimit"),
        ("field[dataverse_column]", "creditlimit"),
        ("field[direction]", "both"),
        ("field[value_type]", "number"),
        ("field[transform]", "none"),
        ("field[default_value]", ""),
        ("field[value_map]", ""),
        ("comment", ""),
    ];
    let rule = |rationale: &'static str| {
        [
            ("map_id", "1"),
            ("field", ""),
            ("winner", "fo"),
            ("enforced_by", "team_policy"),
            ("rationale", rationale),
            ("status", "accepted"),
        ]
    };
    app.add_user("viewer@example.com", "viewer").await;
    let viewer = app.sign_in("viewer@example.com").await;
    for (path, form) in [
        ("/sfn/save_field_mapping", field.to_vec()),
        ("/sfn/save_conflict_rule", rule("why").to_vec()),
        (
            "/sfn/set_conflict_rule_status",
            vec![
                ("rule_id", "1"),
                ("status", "rejected"),
                ("superseded_by", ""),
            ],
        ),
        (
            "/sfn/delete_field_mapping",
            vec![("field_id", "1"), ("comment", "")],
        ),
    ] {
        assert_eq!(
            app.post_form_with(&viewer, path, &form).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }

    assert_eq!(
        app.post_form("/sfn/save_field_mapping", &field)
            .await
            .status(),
        StatusCode::OK
    );
    let res = app.post_form("/sfn/save_conflict_rule", &rule("   ")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["Validation"]["field"], "rationale");
    assert_eq!(
        app.post_form("/sfn/save_conflict_rule", &rule("Credit control owns it."))
            .await
            .status(),
        StatusCode::OK
    );

    let page: serde_json::Value = app
        .post_form("/sfn/get_map", &[("map_id", "1")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["fields"][0]["content"]["fo_field"], "CreditLimit");
    assert_eq!(page["rules"][0]["decided_by"], ADMIN_EMAIL);
    assert!(
        page["rules"][0]["rationale_html"]
            .as_str()
            .unwrap()
            .contains("<p>Credit control owns it.</p>")
    );
    let codes: Vec<&str> = page["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["code"].as_str())
        .collect();
    assert!(!codes.contains(&"no_accepted_rule"), "{codes:?}");
}

#[tokio::test]
async fn the_rule_book_exports_as_one_markdown_document_for_signed_in_users_only() {
    let app = app_with_uat().await;
    assert_eq!(
        app.post_form("/sfn/apply_starter_set", &[("env", "UAT")])
            .await
            .status(),
        StatusCode::OK
    );
    let res = app.get("/export/rulebook.md?env=uat").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/markdown")
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("rule-book-UAT.md")
    );
    let md = res.text().await.unwrap();
    assert!(md.starts_with("# Rule book: UAT"));
    for name in [
        "Customers V3",
        "Sales quotation headers",
        "Financial dimensions",
    ] {
        assert!(md.contains(&format!("\n## {name}\n")), "{name} missing");
    }
    assert!(
        md.contains("no accepted default conflict rule"),
        "open warnings are included"
    );

    let anon = new_client();
    assert_eq!(
        app.get_with(&anon, "/export/rulebook.md").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.get("/export/rulebook.md?env=Nowhere").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn field_history_compares_and_restores_and_viewers_only_read_it() {
    let app = app_with_uat().await;
    app.post_form("/sfn/apply_starter_set", &[("env", "UAT")])
        .await;
    let field = |value_map: &'static str| {
        vec![
            ("map_id", "1"),
            ("field[fo_field]", "Blocked"),
            ("field[dataverse_column]", "msdyn_blocked"),
            ("field[direction]", "both"),
            ("field[value_type]", "enum"),
            ("field[transform]", "value_map"),
            ("field[default_value]", ""),
            ("field[value_map]", value_map),
            ("comment", ""),
        ]
    };
    let res = app
        .post_form("/sfn/save_field_mapping", &field("No = 0"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let mut edit = field("No = 0\nAll = 1");
    edit.extend([("field_id", "1"), ("expected_revision", "1")]);
    let res = app.post_form("/sfn/save_field_mapping", &edit).await;
    assert_eq!(res.status(), StatusCode::OK);

    let res = app
        .post_form(
            "/sfn/object_diff",
            &[("kind", "fields"), ("id", "1"), ("from", "2"), ("to", "1")],
        )
        .await;
    let diff: serde_json::Value = res.json().await.unwrap();
    assert_eq!(diff["changes"][0]["field"], "Value map");
    assert_eq!(
        (diff["from"].as_i64(), diff["to"].as_i64()),
        (Some(1), Some(2))
    );

    let res = app
        .post_form("/sfn/object_history", &[("kind", "maps"), ("id", "1")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    app.add_user("viewer@example.com", "viewer").await;
    let viewer = app.sign_in("viewer@example.com").await;
    assert_eq!(
        app.get_with(&viewer, "/fields/1/history").await.status(),
        StatusCode::OK
    );
    let restore = [("kind", "fields"), ("id", "1"), ("revision", "1")];
    let res = app
        .post_form_with(&viewer, "/sfn/restore_object", &restore)
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.post_form("/sfn/restore_object", &restore).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = app.get("/fields/1/history").await.text().await.unwrap();
    assert!(page.contains("3 · restore"), "{page}");
    assert!(
        app.audit_actions()
            .await
            .contains(&"field.restore".to_string())
    );
}
