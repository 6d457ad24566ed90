//! The error queue over HTTP: the ingest API (whole batches, per-item
//! reasons, idempotent retries), triage, category overrides and CSV import.

use crate::api_tokens::create_token;
use crate::helpers::*;
use crate::maps::app_with_uat;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    app::db::query_scalar(sql)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn push(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/api/v1/errors"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

fn batch(entries: Value) -> Value {
    json!({ "environment": "UAT", "entries": entries })
}

/// UAT with the starter maps and a collector token.
pub async fn ready() -> (TestApp, String) {
    let app = app_with_uat().await;
    app.post_form("/sfn/apply_starter_set", &[("env", "UAT")])
        .await;
    let token = create_token(&app, "collector").await;
    (app, token)
}

#[tokio::test]
async fn a_batch_is_classified_grouped_and_a_retry_stores_nothing_twice() {
    let (app, token) = ready().await;
    let body = batch(json!([
        { "id": "a-1", "occurred_at": "2026-11-20T08:15:00Z", "map": "Customers V3", "direction": "fo_to_dataverse",
          "record_key": "US-001", "legal_entity": "usmf",
          "message": "Couldn't resolve the guid for the field: primarycontactid.msdyn_contactpersonid. The lookup was not found: 000056." },
        { "id": "a-2", "occurred_at": "2026-11-20T08:16:00Z", "map": "Customers V3", "direction": "fo_to_dataverse",
          "record_key": "US-002", "message": "Couldn't resolve the guid for the field: primarycontactid.msdyn_contactpersonid. The lookup was not found: 000123." },
        { "occurred_at": "2026-11-20T08:17:00Z", "message": "Response status code does not indicate success: 403 (tokenexchange)." }
    ]));
    // The detail goes in as text with its own spacing and key order.
    let text = body.to_string().replacen(
        "(tokenexchange).\"",
        "(tokenexchange).\", \"detail\": { \"status\": 403,  \"source\": \"tokenexchange\" }",
        1,
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/errors"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(text.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["accepted"], 3);
    assert_eq!(out["stored"], 3);
    let items = out["items"].as_array().unwrap();
    assert_eq!(items[0]["category"], "dependency_order");
    assert_eq!(
        items[0]["group_id"], items[1]["group_id"],
        "repeats group together"
    );
    assert_eq!(items[2]["category"], "authentication_permission");
    assert!(items[2]["id"].as_str().unwrap().starts_with("sha256:"));
    let detail: String =
        app::db::query_scalar("select detail from error_entries where client_id like 'sha256:%'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        detail, r#"{ "status": 403,  "source": "tokenexchange" }"#,
        "detail is kept as sent"
    );

    let res = push(&app, &token, &body).await;
    assert_eq!(res.status(), StatusCode::OK, "the same entries re-sent");
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["stored"], 0);
    assert!(
        again["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["duplicate"] == true)
    );
    assert_eq!(count(&app, "select count(*) from error_entries").await, 3);
    assert_eq!(
        count(
            &app,
            "select cast(sum(entry_count) as bigint) from error_groups"
        )
        .await,
        3
    );
    assert_eq!(count(&app, "select count(*) from error_groups").await, 2);
}

#[tokio::test]
async fn a_batch_with_one_bad_entry_is_rejected_whole_with_reasons() {
    let (app, token) = ready().await;
    let res = push(
        &app,
        &token,
        &batch(json!([
            { "occurred_at": "2026-11-20T08:15:00Z", "message": "fine" },
            { "occurred_at": "2026-11-20T08:15:00Z", "map": "Customers v3", "message": "wrong case" },
            { "occurred_at": "last tuesday", "message": "bad time" },
            { "occurred_at": "2026-11-20T08:15:00Z", "message": "", "colour": "red" }
        ])),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let out: Value = res.json().await.unwrap();
    assert!(
        out["error"]
            .as_str()
            .unwrap()
            .contains("3 entries were rejected; nothing was stored")
    );
    let items = out["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["index"], 1);
    assert!(
        items[0]["reason"]
            .as_str()
            .unwrap()
            .contains("did you mean 'Customers V3'")
    );
    assert!(
        items[1]["reason"]
            .as_str()
            .unwrap()
            .contains("'last tuesday' is not a date-time")
    );
    assert!(
        items[2]["reason"]
            .as_str()
            .unwrap()
            .contains("unknown field `colour`")
    );
    assert_eq!(count(&app, "select count(*) from error_entries").await, 0);

    let unknown_env = push(&app, &token, &json!({ "environment": "Prod", "entries": [{ "occurred_at": "2026-11-20T08:15:00Z", "message": "x" }] })).await;
    assert_eq!(unknown_env.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown_env
            .text()
            .await
            .unwrap()
            .contains("Environment 'Prod' does not exist")
    );

    let not_json = reqwest::Client::new()
        .post(app.url("/api/v1/errors"))
        .bearer_auth(&token)
        .body("{\"environment\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
    assert!(not_json.text().await.unwrap().contains("not valid JSON"));

    let many: Vec<Value> = (0..10_001)
        .map(|i| json!({ "occurred_at": "2026-11-20T08:15:00Z", "message": format!("m{i}") }))
        .collect();
    let res = push(&app, &token, &batch(Value::Array(many))).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let res = reqwest::Client::new()
        .post(app.url("/api/v1/errors"))
        .json(&batch(json!([])))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn triage_is_audited_a_resolved_group_reopens_and_viewers_only_read() {
    let (app, token) = ready().await;
    let entry = |id: &str| json!({ "id": id, "occurred_at": "2026-11-20T08:15:00Z", "message": "Integration keys are missing" });
    push(&app, &token, &batch(json!([entry("1")]))).await;

    let list = app
        .client
        .post(app.url("/sfn/list_error_groups"))
        .header("origin", &app.address)
        .json(&json!({ "filter": { "category": "missing_field_mapping" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::OK);
    let page: Value = list.json().await.unwrap();
    assert_eq!(page["total"], 1);
    let group = page["groups"][0]["id"].as_i64().unwrap().to_string();
    assert_eq!(
        page["groups"][0]["last_7_days"].as_array().unwrap().len(),
        7
    );

    let triage = [
        ("filter[env]", "UAT"),
        ("scope", "selected"),
        ("ids[0]", group.as_str()),
        ("state", "resolved"),
        ("comment", "keys added to the map"),
    ];
    app.add_user("viewer@example.com", "viewer").await;
    let viewer = app.sign_in("viewer@example.com").await;
    let res = app
        .post_form_with(&viewer, "/sfn/triage_error_groups", &triage)
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.post_form("/sfn/triage_error_groups", &triage).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app::db::query_scalar::<String>("select state from error_groups")
            .fetch_one(&app.pool)
            .await
            .unwrap(),
        "resolved"
    );

    push(&app, &token, &batch(json!([entry("2")]))).await;
    let (state, by): (String, String) =
        app::db::query_as("select state, state_changed_by from error_groups")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((state.as_str(), by.as_str()), ("open", "token:collector"));
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"error_group.state".to_string()));
    assert!(actions.contains(&"error_group.reopen".to_string()));

    let res = app
        .post_form(
            "/sfn/set_error_group_category",
            &[
                ("group_id", group.as_str()),
                ("category", "other"),
                ("comment", "not a mapping issue"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = app
        .get(&format!("/errors/groups/{group}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Classifier: Missing field mapping"), "{page}");
    assert!(
        app.audit_actions()
            .await
            .contains(&"error_group.category".to_string())
    );
}

#[tokio::test]
async fn a_csv_with_one_bad_row_imports_nothing_and_a_good_one_imports_all() {
    let (app, _) = ready().await;
    let bad = "occurred_at,map,message\n2026-11-20T08:15:00Z,Customers V3,Integration keys are missing\n2026-11-20T08:16:00Z,Nope,Missing source schema\n";
    let res = app
        .post_form(
            "/sfn/import_errors",
            &[("env", "UAT"), ("csv", bad), ("mapping", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Row 3: map 'Nope'"));
    assert_eq!(count(&app, "select count(*) from error_entries").await, 0);

    let good = "When,Error text\n2026-11-20 08:15:00,Integration keys are missing\n2026-11-20 08:16:00,Missing source schema\n";
    let res = app
        .post_form(
            "/sfn/import_errors",
            &[
                ("env", "UAT"),
                ("csv", good),
                ("mapping", "occurred_at=When, message=Error text"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // Only counts travel in the address; the page words them.
    let back = res.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(back, "/errors/import?env=UAT&entries=2,0");
    let page = app.get(&back).await.text().await.unwrap();
    assert!(page.contains("Imported 2 entries (0 were already there)."));
    assert_eq!(
        count(
            &app,
            "select count(*) from error_entries where source = 'csv'"
        )
        .await,
        2
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"errors.import".to_string())
    );
    // A link cannot make the console's notice say something else.
    let page = app
        .get("/errors/import?env=UAT&result=Your+session+expired%2C+call+0100&entries=1,call")
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("session expired"));
    assert!(!page.contains("import-result"));
}

const BATCHES: usize = 30;
const SIZE: usize = 400;

fn crash_batch(b: usize) -> Value {
    let entries: Vec<Value> = (0..SIZE)
        .map(|i| {
            json!({
                "id": format!("b{b}-{i}"),
                "occurred_at": "2026-11-20T08:15:00Z",
                "record_key": format!("US-{b:03}-{i:04}"),
                "message": format!("Couldn't resolve the guid for the field: primarycontactid. The lookup was not found: {i}."),
            })
        })
        .collect();
    json!({ "environment": "UAT", "entries": entries })
}

/// Sends batch `b`; true when the server acknowledged it (200).
async fn send(url: String, token: String, b: usize) -> bool {
    let res = reqwest::Client::new()
        .post(format!("{url}/api/v1/errors"))
        .bearer_auth(token)
        .json(&crash_batch(b))
        .send()
        .await;
    matches!(res, Ok(r) if r.status() == StatusCode::OK)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_ingest_loses_no_acknowledged_entry_and_retries_duplicate_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::helpers::new_database(dir.path(), "crash.db");
    let out = crate::cli::dwconsole()
        .args(["--database", &db, "env", "add", "UAT"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = crate::cli::dwconsole()
        .args(["--database", &db, "token", "add", "--name", "crash test"])
        .output()
        .unwrap();
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    // Two senders in parallel; the server is killed (SIGKILL) once a third
    // of the batches are acknowledged, with others in flight.
    let (mut child, url) = crate::cli::serve(&db, &["--no-demo"]);
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut senders = Vec::new();
    for lane in 0..2 {
        let (url, token, acked) = (url.clone(), token.clone(), acknowledged.clone());
        senders.push(tokio::spawn(async move {
            for b in (lane..BATCHES).step_by(2) {
                if send(url.clone(), token.clone(), b).await {
                    acked.lock().unwrap().push(b);
                } else {
                    break;
                }
            }
        }));
    }
    while acknowledged.lock().unwrap().len() < BATCHES / 3 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    for s in senders {
        s.await.unwrap();
    }
    let acked: Vec<usize> = acknowledged.lock().unwrap().clone();
    assert!(acked.len() < BATCHES, "the kill came before the end");

    // After a restart every acknowledged entry is there.
    let (mut child, url) = crate::cli::serve(&db, &["--no-demo"]);
    let pool = server::db::connect(&db).await.unwrap();
    for b in &acked {
        let n: i64 =
            app::db::query_scalar("select count(*) from error_entries where client_id like $1")
                .bind(format!("b{b}-%"))
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(n, SIZE as i64, "acknowledged batch {b} is complete");
    }
    // The client retries everything (it cannot know which in-flight batch
    // landed): nothing is stored twice, nothing is missing.
    for b in 0..BATCHES {
        assert!(
            send(url.clone(), token.clone(), b).await,
            "retry of batch {b}"
        );
    }
    let (rows, distinct, counted): (i64, i64, i64) = app::db::query_as(
        "select count(*), count(distinct client_id), (select cast(sum(entry_count) as bigint) from error_groups) from error_entries",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(rows, (BATCHES * SIZE) as i64);
    assert_eq!(distinct, rows);
    assert_eq!(counted, rows, "group counts agree with the entries");
    // SQLite's own check of the file the kill interrupted (PostgreSQL
    // recovers from its write-ahead log; it has no such check).
    if let app::db::Pool::Sqlite(sqlite) = &pool {
        let check: String = sqlx::query_scalar("pragma integrity_check")
            .fetch_one(sqlite)
            .await
            .unwrap();
        assert_eq!(check, "ok");
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn an_override_is_learned_listed_and_removable_and_only_admins_reclassify() {
    let (app, token) = ready().await;
    let entry = |id: &str, n: &str| {
        json!({ "id": id, "occurred_at": "2026-11-20T08:15:00Z",
        "direction": "fo_to_dataverse", "message": format!("Customer {n} was refused by the CreditGate hook") })
    };
    push(&app, &token, &batch(json!([entry("1", "US-1")]))).await;
    let group: i64 = app::db::query_scalar("select id from error_groups")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let res = app
        .post_form(
            "/sfn/set_error_group_category",
            &[
                ("group_id", group.to_string().as_str()),
                ("category", "plugin_throw"),
                ("comment", "our credit hook"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // Another map's entries with the same message take the taught category.
    push(&app, &token, &batch(json!([{ "id": "2", "occurred_at": "2026-11-20T09:15:00Z",
        "direction": "dataverse_to_fo", "message": "Customer US-9 was refused by the CreditGate hook" }]))).await;
    let taught: Vec<(String,)> = app::db::query_as(
        "select coalesce(category_override, category) from error_groups order by id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        taught,
        vec![("plugin_throw".into(),), ("plugin_throw".into(),)]
    );

    let page = app
        .get("/errors/classifier?env=UAT")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("was refused by the CreditGate hook"),
        "{page}"
    );
    assert!(page.contains("Forget") && page.contains("Re-classify every group in UAT"));

    app.add_user("viewer@example.com", "viewer").await;
    app.add_user("editor@example.com", "editor").await;
    let viewer = app.sign_in("viewer@example.com").await;
    let editor = app.sign_in("editor@example.com").await;
    let page = app
        .get_with(&viewer, "/errors/classifier?env=UAT")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("CreditGate") && !page.contains(">Forget<"),
        "{page}"
    );
    assert!(page.contains("Only admins re-classify."));
    for who in [&viewer, &editor] {
        let res = app
            .post_form_with(who, "/sfn/reclassify_errors", &[("env", "UAT")])
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    let res = app
        .post_form("/sfn/reclassify_errors", &[("env", "UAT")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = app
        .get("/errors/classifier?env=UAT")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Re-classified 2 error groups: 0 moved"),
        "{page}"
    );

    let lesson: i64 = app::db::query_scalar("select id from error_lessons")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let id = lesson.to_string();
    let forget = [("env", "UAT"), ("id", id.as_str())];
    let res = app
        .post_form_with(&viewer, "/sfn/forget_error_lesson", &forget)
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .post_form_with(&editor, "/sfn/forget_error_lesson", &forget)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(count(&app, "select count(*) from error_lessons").await, 0);
    let res = app
        .post_form_with(&editor, "/sfn/forget_error_lesson", &forget)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .post_form_with(
            &editor,
            "/sfn/forget_error_lesson",
            &[("env", "Nowhere"), ("id", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let actions = app.audit_actions().await;
    for action in ["error_groups.reclassify", "error_lesson.forget"] {
        assert!(actions.contains(&action.to_string()), "{action}");
    }
}
