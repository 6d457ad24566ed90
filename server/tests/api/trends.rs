//! The chart pages, the overview and the weekly review through the real
//! router: rendered on the server with their SVG, the data downloadable as
//! CSV, bad filters named, and review notes saved by editors only.

use crate::api_tokens::create_token;
use crate::helpers::*;
use crate::maps::app_with_uat;
use reqwest::StatusCode;
use serde_json::json;

/// UAT with the starter maps, an hour of throughput and two errors, all
/// two hours ago.
async fn app_with_data() -> TestApp {
    let app = app_with_uat().await;
    app.post_form("/sfn/apply_starter_set", &[("env", "UAT")])
        .await;
    let token = create_token(&app, "feeder").await;
    let at = chrono::Utc::now() - chrono::Duration::hours(2);
    let minute = at.format("%Y-%m-%dT%H:%M:00Z").to_string();
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/throughput"))
        .bearer_auth(&token)
        .json(&json!({ "environment": "UAT", "items": [
            { "map": "Customers V3", "direction": "fo_to_dataverse", "minute": minute, "synced": 480, "failed": 20 }
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/errors"))
        .bearer_auth(&token)
        .json(&json!({ "environment": "UAT", "entries": [
            { "occurred_at": minute, "map": "Customers V3", "record_key": "US-001", "message": "Integration keys are missing" },
            { "occurred_at": minute, "map": "Customers V3", "record_key": "US-002", "message": "Integration keys are missing" }
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    app
}

#[tokio::test]
async fn chart_pages_render_svg_on_the_server_and_download_as_csv() {
    let app = app_with_data().await;
    let page = app.get("/trends/throughput?env=UAT&range=24h").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("<svg"), "the chart is in the page");
    assert!(html.contains("records per hour"), "with its unit");
    assert!(html.contains("data-testid=\"chart-failure-rate\""));
    assert!(html.contains("Customers V3"));
    let errors = app
        .get("/trends/errors?range=7d")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        errors.contains("Missing field mapping"),
        "the category in the legend"
    );
    assert_eq!(
        errors.matches("data-points=\"1\"").count(),
        2,
        "one bar of one category, one new group"
    );

    let csv = app
        .get("/export/trends/throughput/failure-rate.csv?env=UAT&range=24h")
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"failure-rate-UAT-")
    );
    let body = csv.text().await.unwrap();
    let mut lines = body.lines();
    assert_eq!(lines.next(), Some("bucket_start_utc,Customers V3"));
    assert_eq!(lines.clone().count(), 24, "a row per hour");
    assert!(lines.any(|l| l.ends_with(",4")), "20 of 500 failed: 4 %");

    // Bad filters say what is wrong, on the page and in the download.
    let bad = app
        .get("/trends/errors?range=1y")
        .await
        .text()
        .await
        .unwrap();
    assert!(bad.contains("&#x27;1y&#x27; is not a range") || bad.contains("'1y' is not a range"));
    let res = app.get("/export/trends/errors/pies.csv?range=7d").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("The chart 'pies'"));
    let res = app
        .get("/export/trends/errors/errors-by-category.csv?map=99999")
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = new_client()
        .get(app.url("/export/trends/errors/errors-by-category.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "anonymous: to the sign-in page"
    );
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
}

#[tokio::test]
async fn the_overview_shows_the_environment_at_a_glance() {
    let app = app_with_data().await;
    let html = app.get("/?env=UAT").await.text().await.unwrap();
    assert!(html.contains("data-testid=\"overview-maps\""));
    assert!(html.contains("Open error groups"));
    assert!(html.contains("class=\"sparkline\""));
    assert!(html.contains(">480<"), "Customers V3 synced 480 in 24 h");
    assert!(html.contains("not observed"), "no map state collected yet");
}

#[tokio::test]
async fn the_weekly_review_prints_downloads_and_keeps_audited_notes() {
    let app = app_with_data().await;
    let html = app.get("/review?env=UAT").await.text().await.unwrap();
    assert!(html.contains("data-testid=\"review-categories\""));
    assert!(
        html.contains("Integration keys are missing"),
        "the top group"
    );
    assert!(html.contains("data-testid=\"review-throughput\""));
    assert!(
        html.contains("Starter set"),
        "today's rule-book changes with their comment"
    );

    let week = (chrono::Utc::now() - chrono::Duration::days(6))
        .format("%Y-%m-%d")
        .to_string();
    let note = [
        ("env", "UAT"),
        ("week", week.as_str()),
        ("body", "Keys fixed on Tuesday; Anna owns the re-sync."),
    ];
    app.add_user("viewer@example.com", "viewer").await;
    let viewer = app.sign_in("viewer@example.com").await;
    let res = app
        .post_form_with(&viewer, "/sfn/save_review_note", &note)
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.post_form("/sfn/save_review_note", &note).await;
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    let html = app.get("/review?env=UAT").await.text().await.unwrap();
    assert!(html.contains("Keys fixed on Tuesday; Anna owns the re-sync."));
    assert!(
        app.audit_actions()
            .await
            .contains(&"review.note".to_string())
    );
    let res = app
        .post_form(
            "/sfn/save_review_note",
            &[("env", "UAT"), ("week", "2999-01-01"), ("body", "x")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let csv = app
        .get(&format!("/export/review.csv?env=UAT&week={week}"))
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    let body = csv.text().await.unwrap();
    assert!(body.starts_with("section,item,measure,value\n"));
    assert!(body.contains("errors_by_category,Missing field mapping,this_week,2\n"));
    assert!(body.contains("throughput,Customers V3,synced,480\n"));
    let res = app.get("/export/review.csv?week=yesterday").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
