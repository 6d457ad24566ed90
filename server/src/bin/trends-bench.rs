//! `trends-bench`: 90 days of per-minute throughput for 20 maps (about
//! 2.6M minute rows, with their hour and day rollups) plus 1M error entries
//! through the real error ingest, then times the overview, every chart
//! page at every preset range and the weekly review through the real
//! router (server time: request in, whole body out), the SVG drawing of
//! each chart alone, and prints p50/p95 and peak memory.
//!
//! The minute rows are written with one SQL statement per map, in the
//! shape the ingest writes them (the ingest itself is timed separately on
//! a day of samples); error entries go through the same ingest as the API.
//!
//! `cargo run --release -p server --bin trends-bench -- [DAYS] [MAPS] [ENTRIES] [REQUESTS_PER_PAGE]`

use server::bench::{History, arg, peak_rss_mib, percentile, seed_history, timed_get};
use server::config::Settings;
use server::startup::{AppState, build_router};
use std::time::{Duration, Instant};

fn e(err: app::error::AppError) -> anyhow::Error {
    anyhow::anyhow!("{err}")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let (days, map_count, entries, requests) = (
        arg(1, 90i64),
        arg(2, 20usize),
        arg(3, 1_000_000usize),
        arg(4, 40usize),
    );
    let dir = tempfile::tempdir()?;
    // TRENDS_BENCH_DB keeps the database for a look at query plans.
    let db = std::env::var("TRENDS_BENCH_DB")
        .unwrap_or_else(|_| dir.path().join("bench.db").to_string_lossy().to_string());
    let mut settings = Settings::for_tests(&db);
    settings.common.log = "app=error,server=error".into();
    server::telemetry::init(&settings.common)?;
    let pool = server::db::connect(&db).await?;
    let h = seed_history(&pool, days, map_count, entries).await?;
    let History {
        env,
        maps,
        secret,
        start_s,
        now_s,
        minute_rows,
        seed_time,
        errors_time,
    } = h;

    // ---- the throughput ingest itself: the day before, every map ----
    let samples: Vec<app::throughput::Sample> = maps
        .iter()
        .flat_map(|(map, _)| {
            (0..1_440).map(move |m| {
                let mut slots = [0i64; app::throughput::SLOTS];
                slots[7] = 10;
                slots[9] = 3;
                app::throughput::Sample {
                    item_id: format!("bench-{map}-{m}"),
                    map_id: *map,
                    direction: "fo_to_dataverse",
                    minute: start_s - 86_400 + m * 60,
                    synced: 40,
                    failed: 1,
                    slots,
                }
            })
        })
        .collect();
    let ingest_start = Instant::now();
    // Batches as a client sends them: 1,000 samples, one transaction each.
    for chunk in samples.chunks(1_000) {
        let mut tx = app::db::begin_write(&pool).await?;
        app::throughput::server::ingest(&mut tx, env.id, chunk)
            .await
            .map_err(e)?;
        tx.commit().await?;
    }
    let ingest_time = ingest_start.elapsed();
    app::db::query("analyze").execute(&pool).await?;

    // ---- pages through the real router ----
    let router = build_router(&settings, AppState::new(&settings, pool.clone()));
    let cookie = format!("dwc_session={secret}");
    let one_map = maps[3].0;
    let mut views = vec!["/?env=Bench".to_string()];
    for page in ["errors", "throughput", "drift"] {
        for range in ["24h", "7d", "30d", "90d"] {
            views.push(format!("/trends/{page}?env=Bench&range={range}"));
        }
        views.push(format!("/trends/{page}?env=Bench&range=30d&map={one_map}"));
    }
    views.push("/review?env=Bench".to_string());
    let mut per_view: Vec<Vec<Duration>> = vec![Vec::new(); views.len()];
    for v in &views {
        let (_, len) = timed_get(&router, &cookie, v).await?;
        anyhow::ensure!(len > 2_000, "{v} rendered almost nothing");
    }
    for _ in 0..requests {
        for (i, v) in views.iter().enumerate() {
            per_view[i].push(timed_get(&router, &cookie, v).await?.0);
        }
    }
    let mut all: Vec<Duration> = per_view.iter().flatten().copied().collect();
    all.sort();

    // ---- the SVG drawing alone, per chart, at 7 d and 90 d ----
    let mut draws = Vec::new();
    let mut loads = Vec::new();
    let mut conn = pool.acquire().await?;
    for page in ["errors", "throughput", "drift"] {
        for range in ["7d", "90d"] {
            let q = app::trends::TrendQuery {
                env: Some("Bench".into()),
                range: Some(range.into()),
                ..Default::default()
            };
            // The data read alone (queries and series), for the breakdown.
            let mut reads = Vec::new();
            for _ in 0..10 {
                let s = Instant::now();
                app::trends::server::load(&mut conn, page, &q, now_s)
                    .await
                    .map_err(e)?;
                reads.push(s.elapsed());
            }
            reads.sort();
            loads.push((format!("{page} {range}"), percentile(&reads, 0.5)));
            let t = app::trends::server::load(&mut conn, page, &q, now_s)
                .await
                .map_err(e)?;
            for chart in &t.charts {
                let mut times = Vec::new();
                let mut size = 0;
                for _ in 0..20 {
                    let s = Instant::now();
                    // A page carries both drawings, the desk's and the phone's.
                    size = 0;
                    for at in [app::trends::chart::WIDE, app::trends::chart::PHONE] {
                        size += app::trends::chart::draw(chart, at)
                            .map_err(|m| anyhow::anyhow!(m))?
                            .svg
                            .len();
                    }
                    times.push(s.elapsed());
                }
                times.sort();
                draws.push((
                    format!("{} {range}", chart.key),
                    percentile(&times, 0.5),
                    size,
                ));
            }
        }
    }
    drop(conn);

    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move { app::db::query_scalar::<i64>(sql).fetch_one(&pool).await }
    };
    println!(
        "trends: {days} days x {} maps: {minute_rows} minute rows, {} hour and {} day rows; {} error entries in {} groups ({} group-hours, {} group-days)",
        maps.len(),
        count("select count(*) from throughput where grain = 'hour'").await?,
        count("select count(*) from throughput where grain = 'day'").await?,
        count("select count(*) from error_entries").await?,
        count("select count(*) from error_groups").await?,
        count("select count(*) from error_group_hours").await?,
        count("select count(*) from error_group_days").await?,
    );
    println!(
        "setup: throughput, counts, runs by SQL {:.1} s; error ingest {:.1} s ({:.0} entries/s); throughput ingest of {} samples in 1,000-sample batches {:.2} s ({:.0} samples/s)",
        seed_time.as_secs_f64(),
        errors_time.as_secs_f64(),
        entries as f64 / errors_time.as_secs_f64(),
        samples.len(),
        ingest_time.as_secs_f64(),
        samples.len() as f64 / ingest_time.as_secs_f64(),
    );
    println!(
        "pages ({} views x {requests} requests, server time): p50 {:.2} ms  p95 {:.2} ms  max {:.2} ms (target p95 < 50 ms)",
        views.len(),
        percentile(&all, 0.5),
        percentile(&all, 0.95),
        percentile(&all, 1.0),
    );
    // The targets: the overview and the review under 15 ms, every other
    // view under 20 ms (p95).
    let mut over = Vec::new();
    for (v, t) in views.iter().zip(per_view.iter_mut()) {
        t.sort();
        let target = if v.starts_with("/?") || v.starts_with("/review") {
            15.0
        } else {
            20.0
        };
        let p95 = percentile(t, 0.95);
        if p95 >= target {
            over.push(v.as_str());
        }
        println!(
            "  {v}: p50 {:.2} ms  p95 {p95:.2} ms (target < {target} ms{})",
            percentile(t, 0.5),
            if p95 < target { "" } else { ": OVER" }
        );
    }
    println!(
        "views over their p95 target: {}",
        if over.is_empty() {
            "none".to_string()
        } else {
            over.join(", ")
        }
    );
    println!("data read per chart page (queries and series, p50 of 10):");
    for (name, ms) in loads {
        println!("  {name}: {ms:.2} ms");
    }
    println!("SVG drawing per chart, desk and phone together (plotters, p50 of 20):");
    for (name, ms, size) in draws {
        println!("  {name}: {ms:.2} ms, {} KiB", size / 1024);
    }
    println!(
        "peak memory (VmHWM, whole process): {:.1} MiB",
        peak_rss_mib()
    );
    Ok(())
}
