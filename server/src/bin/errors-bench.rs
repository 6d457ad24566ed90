//! `errors-bench`: pushes error entries through the real ingest API over
//! loopback HTTP in fixed-size batches, compares the sustained rate with a
//! raw SQLite bulk insert of the same rows in the same run, then times the
//! error-queue page under filters (server time: request in, whole body
//! out) and prints p50/p95 and peak memory.
//!
//! `cargo run --release -p server --bin errors-bench -- [ENTRIES] [BATCH] [GROUPS] [REQUESTS]`

use axum::body::Body;
use http::Request;
use serde_json::json;
use server::bench::{arg, error_message, peak_rss_mib, percentile, timed_get};
use server::config::Settings;
use server::startup::{AppState, Application, build_router};
use std::time::{Duration, Instant};
use tower::ServiceExt as _;

struct Gen {
    groups: usize,
    maps: Vec<String>,
    start: chrono::DateTime<chrono::Utc>,
    span_secs: i64,
}

impl Gen {
    /// Entry `i` of batch `b`: a batch touches 50 neighbouring groups, as
    /// one collector run repeats a few errors many times.
    fn entry(&self, b: usize, i: usize) -> serde_json::Value {
        let g = (b * 50 + i % 50) % self.groups;
        let n = b * 100_000 + i;
        let message = error_message(g, n);
        let at = self.start
            + chrono::Duration::seconds((n as i64 * 7919) % self.span_secs.max(1))
            + chrono::Duration::milliseconds((b * 1000 + i) as i64 % 1000);
        json!({
            "id": format!("bench-{b}-{i}"),
            "occurred_at": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "map": self.maps[g % self.maps.len()],
            "direction": if g.is_multiple_of(2) { "fo_to_dataverse" } else { "dataverse_to_fo" },
            "record_key": format!("US-{n:07}"),
            "legal_entity": if g.is_multiple_of(3) { "DEMF" } else { "USMF" },
            "message": message,
        })
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let (entries, batch, groups, requests) = (
        arg(1, 1_000_000usize),
        arg(2, 1_000usize),
        arg(3, 5_000usize),
        arg(4, 300usize),
    );
    let batches = entries.div_ceil(batch);
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.db").to_string_lossy().to_string();
    let mut settings = Settings::for_tests(&db);
    settings.body_limit_bytes = 64 * 1024 * 1024;
    // Only problems reach the terminal; the figures are the output.
    settings.common.log = "app=error,server=error".into();
    server::telemetry::init(&settings.common)?;
    let pool = server::db::connect(&db).await?;

    // ---- an environment with the starter maps, a user, a token ----
    let server::bench::Seeded {
        token,
        session: secret,
    } = server::bench::seed(&pool, "Bench", "USMF, DEMF").await?;
    let maps: Vec<String> = app::maps::starter::starter_set()
        .into_iter()
        .map(|m| m.name)
        .collect();
    let generator = std::sync::Arc::new(Gen {
        groups,
        maps,
        start: chrono::Utc::now() - chrono::Duration::days(30),
        span_secs: 30 * 86_400 - 60,
    });

    // ---- ingest over loopback HTTP, two senders ----
    let app = Application::build(&settings).await?;
    let url = format!("http://127.0.0.1:{}/api/v1/errors", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let ingest_start = Instant::now();
    let mut senders = Vec::new();
    for _ in 0..2 {
        let (client, url, token, next, generator) = (
            client.clone(),
            url.clone(),
            token.clone(),
            next.clone(),
            generator.clone(),
        );
        senders.push(tokio::spawn(async move {
            loop {
                let b = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if b >= batches {
                    return Ok::<_, anyhow::Error>(());
                }
                let size = batch.min(entries - b * batch);
                let body = json!({
                    "environment": "Bench",
                    "entries": (0..size).map(|i| generator.entry(b, i)).collect::<Vec<_>>(),
                });
                let res = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await?;
                anyhow::ensure!(
                    res.status().is_success(),
                    "batch {b}: {}",
                    res.text().await?
                );
            }
        }));
    }
    for s in senders {
        s.await??;
    }
    let ingest = ingest_start.elapsed();
    let stored: i64 = sqlx::query_scalar("select count(*) from error_entries")
        .fetch_one(&pool)
        .await?;
    let group_count: i64 = sqlx::query_scalar("select count(*) from error_groups")
        .fetch_one(&pool)
        .await?;
    anyhow::ensure!(stored as usize == entries, "stored {stored} of {entries}");

    // ---- the same rows as a raw SQLite bulk insert, same run ----
    let raw_dir = tempfile::tempdir()?;
    let raw_db = raw_dir.path().join("raw.db").to_string_lossy().to_string();
    let raw = server::db::connect(&raw_db).await?;
    sqlx::query(
        "insert into environments (id, name, created_at, updated_at) values (1, 'Bench', '', '')",
    )
    .execute(&raw)
    .await?;
    let mut tx = raw.begin().await?;
    for g in 0..groups {
        sqlx::query(
            "insert into error_groups (id, environment_id, direction, category, rule, fingerprint, pattern, first_seen, last_seen, entry_count)
             values (?, 1, 'unknown', 'other', '', ?, '', '', '', 0)",
        )
        .bind(g as i64 + 1)
        .bind(g.to_string())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    let raw_start = Instant::now();
    for b in 0..batches {
        let size = batch.min(entries - b * batch);
        let mut tx = raw.begin().await?;
        for i in 0..size {
            let e = generator.entry(b, i);
            let g = (b * 50 + i % 50) % groups;
            sqlx::query(
                "insert into error_entries (group_id, environment_id, client_id, occurred_at, received_at, record_key,
                    legal_entity, category, rule, message, detail, source, source_ref)
                 values (?, 1, ?, ?, ?, ?, ?, 'other', '', ?, null, 'api', 'bench')",
            )
            .bind(g as i64 + 1)
            .bind(e["id"].as_str())
            .bind(e["occurred_at"].as_str())
            .bind(e["occurred_at"].as_str())
            .bind(e["record_key"].as_str())
            .bind(e["legal_entity"].as_str())
            .bind(e["message"].as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
    }
    let raw_time = raw_start.elapsed();
    raw.close().await;

    // ---- the queue page under filters, through the real router ----
    let router = build_router(&settings, AppState::new(&settings, pool.clone()));
    let cookie = format!("dwc_session={secret}");
    let time = async |path: String| timed_get(&router, &cookie, &path).await;
    let week_ago = (chrono::Utc::now() - chrono::Duration::days(7)).format("%Y-%m-%d");
    let today = chrono::Utc::now().format("%Y-%m-%d");
    let map_id: i64 = sqlx::query_scalar("select id from table_maps order by id limit 1")
        .fetch_one(&pool)
        .await?;
    let views = [
        "/errors?env=Bench".to_string(),
        "/errors?env=Bench&category=dependency_order".to_string(),
        format!("/errors?env=Bench&map={map_id}&direction=fo_to_dataverse"),
        "/errors?env=Bench&state=all&sort=count".to_string(),
        format!("/errors?env=Bench&from={week_ago}&to={today}"),
        "/errors?env=Bench&q=plug-in+credit".to_string(),
    ];
    // Warm up (and fill the sweep cache, as a running server would have it).
    for v in &views {
        time(v.clone()).await?;
    }
    let mut times = Vec::with_capacity(requests);
    let mut per_view: Vec<Vec<Duration>> = vec![Vec::new(); views.len()];
    for r in 0..requests {
        let (t, len) = time(views[r % views.len()].clone()).await?;
        anyhow::ensure!(
            len > 1000,
            "{} rendered almost nothing",
            views[r % views.len()]
        );
        times.push(t);
        per_view[r % views.len()].push(t);
    }
    times.sort();
    // The timed pages must show groups, not "no groups match".
    let req = Request::get("/errors?env=Bench&category=dependency_order")
        .header("cookie", &cookie)
        .body(Body::empty())?;
    let body =
        axum::body::to_bytes(router.clone().oneshot(req).await?.into_body(), usize::MAX).await?;
    let rows = String::from_utf8_lossy(&body)
        .matches("/errors/groups/")
        .count();
    anyhow::ensure!(rows >= 10, "the filtered page shows {rows} groups");

    let http_rate = entries as f64 / ingest.as_secs_f64();
    let raw_rate = entries as f64 / raw_time.as_secs_f64();
    println!(
        "error queue: {entries} entries in {batches} batches of {batch} over loopback HTTP ({group_count} groups)"
    );
    println!(
        "ingest API: {:.1} s, {:.0} entries/s (check, classify, fingerprint, group, count per day, idempotency)",
        ingest.as_secs_f64(),
        http_rate
    );
    println!(
        "raw SQLite bulk insert of the same rows (prepared insert per row, {batch}-row transactions): {:.1} s, {:.0} rows/s",
        raw_time.as_secs_f64(),
        raw_rate
    );
    println!(
        "ingest / raw: {:.0} % (target >= 25 %)",
        100.0 * http_rate / raw_rate
    );
    println!(
        "queue page (GET /errors under {} filter sets, {requests} requests): p50 {:.2} ms  p95 {:.2} ms  max {:.2} ms (target p95 < 50 ms)",
        views.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        percentile(&times, 1.0)
    );
    for (v, t) in views.iter().zip(per_view.iter_mut()) {
        t.sort();
        println!(
            "  {v}: p50 {:.2} ms  p95 {:.2} ms",
            percentile(t, 0.5),
            percentile(t, 0.95)
        );
    }
    println!(
        "peak memory (VmHWM, server and client in one process): {:.1} MiB",
        peak_rss_mib()
    );
    server.abort();
    Ok(())
}
