//! The holes a hostile probe found, each closed and kept closed: slow
//! clients, limits that answer in the API's shape, HSTS, the sign-in
//! throttle behind a proxy, and the ingest calls' input checks.

use crate::api_tokens::create_token;
use crate::errors::ready;
use crate::helpers::*;
use crate::maps::app_with_uat;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

fn port(app: &TestApp) -> u16 {
    app.address.rsplit(':').next().unwrap().parse().unwrap()
}

/// Reads until the server closes the connection or `limit` passes;
/// returns what was read and how long it took.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Duration) {
    let start = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(Ok(n)) =
        tokio::time::timeout(limit.saturating_sub(start.elapsed()), stream.read(&mut buf)).await
    {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    (String::from_utf8_lossy(&out).to_string(), start.elapsed())
}

#[tokio::test]
async fn slow_headers_are_cut_off_and_do_not_hold_up_other_requests() {
    let app = spawn_app_with(|s| s.header_read_timeout = Duration::from_secs(1)).await;
    // Fifty clients that start a request and then send a byte a second.
    let mut slow = Vec::new();
    for _ in 0..50 {
        let mut s = TcpStream::connect(("127.0.0.1", port(&app))).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow.push(s);
    }
    let start = Instant::now();
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "a normal request waited {:?}",
        start.elapsed()
    );
    let mut first = slow.remove(0);
    let trickle = async {
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if first.write_all(b"X").await.is_err() {
                break;
            }
        }
    };
    trickle.await;
    let (_, waited) = read_until_closed(&mut first, Duration::from_secs(10)).await;
    // Connected at about 0 s, so closed by the 1 s header timeout; the
    // trickle above already took 3 s, so the close is (nearly) immediate.
    assert!(
        waited < Duration::from_secs(2),
        "closed after {waited:?} more"
    );
    for mut s in slow {
        let (_, waited) = read_until_closed(&mut s, Duration::from_secs(10)).await;
        assert!(
            waited < Duration::from_secs(2),
            "still open after {waited:?} more"
        );
    }
}

#[tokio::test]
async fn a_slow_body_gets_a_json_408_once_the_request_timeout_passes() {
    let app = spawn_app_with(|s| s.request_timeout = Duration::from_secs(2)).await;
    app.setup_admin().await;
    let token = create_token(&app, "slow").await;
    let stream = TcpStream::connect(("127.0.0.1", port(&app))).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let head = format!(
        "POST /api/v1/errors HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"environment\":"
    );
    write.write_all(head.as_bytes()).await.unwrap();
    let start = Instant::now();
    // A byte every half second: 1,000 bytes would take over 8 minutes.
    let writer = tokio::spawn(async move {
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if write.write_all(b" ").await.is_err() {
                break;
            }
        }
    });
    let mut buf = vec![0u8; 8192];
    let n = tokio::time::timeout(Duration::from_secs(10), read.read(&mut buf))
        .await
        .expect("an answer within 10 s")
        .unwrap();
    let waited = start.elapsed();
    writer.abort();
    let answer = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/json"), "{answer}");
    assert!(answer.contains("--request-timeout-secs"), "{answer}");
    assert!(
        waited < Duration::from_secs(4),
        "the 408 came after {waited:?}"
    );
}

#[tokio::test]
async fn an_oversized_api_body_gets_the_json_error_shape() {
    let app = spawn_app_with(|s| s.body_limit_bytes = 4096).await;
    app.setup_admin().await;
    let token = create_token(&app, "big").await;
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/errors"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(format!("{{\"environment\":\"{}\"}}", "x".repeat(8000)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("larger than 4096 bytes"),
        "{body}"
    );
}

#[tokio::test]
async fn hsts_is_sent_only_when_the_public_url_is_https() {
    let plain = spawn_app().await;
    assert!(
        !plain
            .get("/healthz")
            .await
            .headers()
            .contains_key("strict-transport-security")
    );
    let tls = spawn_app_with(|s| s.public_url = Some("https://console.example.com".into())).await;
    assert_eq!(
        tls.get("/healthz").await.headers()["strict-transport-security"],
        "max-age=31536000"
    );
}

async fn login_from(app: &TestApp, forwarded_for: &str, email: &str, password: &str) -> StatusCode {
    new_client()
        .post(app.url("/sfn/login"))
        .header("origin", &app.address)
        .header("x-forwarded-for", forwarded_for)
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn behind_a_trusted_proxy_one_sprayer_does_not_lock_out_everyone() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = app::auth::TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    app.setup_admin().await;
    // 50 failures across made-up emails from one client: that client is
    // paused (the per-address limit is 10 × 5)...
    for i in 0..50 {
        let email = format!("nobody{i}@example.com");
        login_from(&app, "203.0.113.7", &email, "wrong").await;
    }
    assert_eq!(
        login_from(&app, "203.0.113.7", ADMIN_EMAIL, PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // ...but the admin, at another address behind the same proxy, is not.
    assert_eq!(
        login_from(&app, "198.51.100.1", ADMIN_EMAIL, PASSWORD).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn without_trusted_proxies_a_forged_forwarding_header_changes_nothing() {
    let app = spawn_app().await;
    app.setup_admin().await;
    for i in 0..5 {
        // Each attempt claims another address; all come from 127.0.0.1.
        login_from(&app, &format!("203.0.113.{i}"), ADMIN_EMAIL, "wrong").await;
    }
    assert_eq!(
        login_from(&app, "198.51.100.1", ADMIN_EMAIL, PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    let stored: i64 =
        app::db::query_scalar("select count(*) from login_failures where key like '127.0.0.1|%'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        stored, 10,
        "5 per email and 5 per address, kept in the database"
    );
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let res = reqwest::Client::new()
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn only_rfc_3339_times_from_2000_on_are_taken_and_a_leap_second_is_folded() {
    let (app, token) = ready().await;
    for bad in [
        "2026-11-20T08:15:00",
        "2026-11-20",
        "11/20/2026 08:15:00",
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
    ] {
        let (status, body) = post(
            &app,
            &token,
            "/api/v1/errors",
            json!({ "environment": "UAT", "entries": [{ "occurred_at": bad, "message": "m" }] }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert!(
            body["items"][0]["reason"]
                .as_str()
                .unwrap()
                .starts_with("occurred_at"),
            "{body}"
        );
    }
    let (status, body) = post(
        &app,
        &token,
        "/api/v1/errors",
        json!({ "environment": "UAT", "entries": [{ "id": "leap", "occurred_at": "2016-12-31T23:59:60Z", "message": "m" }] }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stored: String =
        app::db::query_scalar("select occurred_at from error_entries where client_id = 'leap'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(stored, "2016-12-31T23:59:59.999Z");
}

#[tokio::test]
async fn lengths_count_characters_and_control_characters_in_keys_are_refused() {
    let (app, token) = ready().await;
    let euro = "€".repeat(200);
    let (status, body) = post(
        &app,
        &token,
        "/api/v1/errors",
        json!({ "environment": "UAT", "entries": [{ "occurred_at": "2026-11-20T08:15:00Z", "record_key": euro, "message": "m" }] }),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "200 characters of 3 bytes each: {body}"
    );
    let (status, body) = post(
        &app,
        &token,
        "/api/v1/errors",
        json!({ "environment": "UAT", "entries": [{ "id": "a\u{0}b", "occurred_at": "2026-11-20T08:15:00Z", "message": "m" }] }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["items"][0]["reason"],
        "id contains the control character U+0000; send printable text."
    );
}

#[tokio::test]
async fn throughput_counts_past_the_bound_are_refused_per_item_and_sums_stay_exact() {
    let (app, token) = ready().await;
    let item = |synced: u64, id: &str| json!({ "id": id, "map": "Customers V3", "direction": "fo_to_dataverse", "minute": "2026-11-20T08:15:00Z", "synced": synced });
    let (status, body) = post(
        &app,
        &token,
        "/api/v1/throughput",
        json!({ "environment": "UAT", "items": [item(5, "ok"), item(9_223_372_036_854_775_807, "huge")] }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["items"][0]["index"], 1);
    assert!(
        body["items"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("synced:"),
        "{body}"
    );
    let (status, _) = post(
        &app,
        &token,
        "/api/v1/throughput",
        json!({ "environment": "UAT", "items": [item(1_000_000_000, "a"), item(1_000_000_000, "b")] }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let res = app.get("/export/review.csv?env=UAT&week=2026-11-20").await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_field_csv_export_neutralises_formulas() {
    let app = app_with_uat().await;
    app.post_form("/sfn/apply_starter_set", &[("env", "UAT")])
        .await;
    let map_id: i64 =
        app::db::query_scalar("select id from table_maps where name = 'Customers V3'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    app::db::query(
        "insert into field_mappings (map_id, fo_field, dataverse_column, direction, value_type, transform, default_value, revision, updated_at)
         values ($1, 'CreditLimit', 'creditlimit', 'both', 'number', 'default', $2, 1, '2026-11-20T08:15:00.000Z')",
    )
    .bind(map_id)
    .bind("=HYPERLINK(\"http://evil.test\",\"x\")")
        .execute(&app.pool)
        .await
        .unwrap();
    let csv = app
        .get(&format!("/export/maps/{map_id}/fields.csv"))
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains("\"'=HYPERLINK("), "{csv}");
    assert!(
        !csv.contains(",=HYPERLINK") && !csv.contains(",\"=HYPERLINK"),
        "{csv}"
    );
}

#[tokio::test]
async fn the_api_keeps_storing_while_the_command_line_imports_a_large_file() {
    let (app, token) = ready().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("big.csv");
    let mut text = String::from("id,occurred_at,map,message\n");
    for i in 0..30_000 {
        text.push_str(&format!(
            "csv-{i},2026-11-20T08:{:02}:{:02}Z,Customers V3,Integration keys are missing for record {i}\n",
            (i / 60) % 60,
            i % 60
        ));
    }
    std::fs::write(&csv, text).unwrap();
    let mut import = std::process::Command::new(env!("CARGO_BIN_EXE_dwconsole"))
        .args([
            "--database",
            &app.db_path,
            "import",
            "errors",
            csv.to_str().unwrap(),
            "--env",
            "UAT",
        ])
        .env_remove("APP_DATABASE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut sent = 0;
    let mut slowest = Duration::ZERO;
    loop {
        let start = Instant::now();
        let (status, body) = post(
            &app,
            &token,
            "/api/v1/errors",
            json!({ "environment": "UAT", "entries": [{ "id": format!("api-{sent}"), "occurred_at": "2026-11-21T08:15:00Z", "message": "Plug-in threw" }] }),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "API batch {sent} during the import: {body}"
        );
        slowest = slowest.max(start.elapsed());
        sent += 1;
        if import.try_wait().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let out = import.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        sent >= 3,
        "the import ended before the API was tried ({sent} batches)"
    );
    let stored: i64 = app::db::query_scalar("select count(*) from error_entries")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 30_000 + sent);
    assert!(
        slowest < Duration::from_secs(3),
        "an API batch waited {slowest:?}"
    );
}
