//! `POST /api/v1/throughput` through the real router: a batch is counted
//! into minutes, hours and days once, retries add nothing, and a bad item
//! rejects the batch with its reason.

use crate::api_tokens::create_token;
use crate::helpers::*;
use crate::maps::app_with_uat;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn push(app: &TestApp, token: Option<&str>, body: &Value) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(app.url("/api/v1/throughput"))
        .json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn throughput_is_counted_once_per_grain_and_bad_items_are_named() {
    let app = app_with_uat().await;
    app.post_form("/sfn/apply_starter_set", &[("env", "UAT")])
        .await;
    let token = create_token(&app, "collector").await;
    let body = json!({ "environment": "UAT", "items": [
        { "id": "m-1", "map": "Customers V3", "direction": "fo_to_dataverse", "minute": "2026-11-26T08:15:20Z",
          "synced": 120, "failed": 2, "latency_ms": [12, 40, 900] },
        { "map": "Customers V3", "direction": "dataverse_to_fo", "minute": "2026-11-26T08:16:00Z", "synced": 30 }
    ]});

    assert_eq!(
        push(&app, None, &body).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = push(&app, Some(&token), &body).await;
    assert_eq!(res.status(), StatusCode::OK);
    let out: Value = res.json().await.unwrap();
    assert_eq!(
        (out["stored"].as_i64(), out["duplicates"].as_i64()),
        (Some(2), Some(0))
    );
    let again: Value = push(&app, Some(&token), &body).await.json().await.unwrap();
    assert_eq!(
        (again["stored"].as_i64(), again["duplicates"].as_i64()),
        (Some(0), Some(2))
    );
    let per_grain: Vec<(String, i64, i64)> = app::db::query_as(
        "select grain, cast(sum(synced) as bigint), cast(sum(failed) as bigint) from throughput group by grain order by grain",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        per_grain,
        vec![
            ("day".to_string(), 150, 2),
            ("hour".to_string(), 150, 2),
            ("minute".to_string(), 150, 2)
        ]
    );

    // One bad item: nothing of the batch is counted, and each reason is named.
    let bad = json!({ "environment": "UAT", "items": [
        { "map": "Customers V3", "direction": "fo_to_dataverse", "minute": "2026-11-26T09:00:00Z", "synced": 5 },
        { "map": "Customers", "direction": "fo_to_dataverse", "minute": "2026-11-26T09:00:00Z", "synced": 5 },
        { "map": "Customers V3", "direction": "sideways", "minute": "2026-11-26T09:00:00Z", "synced": 5 }
    ]});
    let res = push(&app, Some(&token), &bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["items"][0]["index"], 1);
    assert!(
        out["items"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("map: 'Customers'")
    );
    assert!(
        out["items"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("sideways")
    );
    let minutes: i64 =
        app::db::query_scalar("select count(*) from throughput where grain = 'minute'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(minutes, 2, "nothing of the bad batch");

    let unknown = json!({ "environment": "UAT", "items": [
        { "map": "Customers V3", "direction": "fo_to_dataverse", "minute": "2026-11-26T09:00:00Z", "synced": 5, "speed": 3 }
    ]});
    let res = push(&app, Some(&token), &unknown).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("unknown field `speed`"));
    let res = push(
        &app,
        Some(&token),
        &json!({ "environment": "Prod", "items": [] }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
