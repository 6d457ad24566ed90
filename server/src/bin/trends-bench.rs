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

use app::audit::server::Actor;
use app::auth::Role;
use server::bench::{arg, error_message, peak_rss_mib, percentile, timed_get};
use server::config::Settings;
use server::startup::{AppState, build_router};
use std::collections::HashMap;
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
    let cli = Actor::cli();
    let now = chrono::Utc::now();
    let now_s = now.timestamp();
    let start_s = (now_s / 86_400 - days + 1) * 86_400;

    // ---- an environment with 20 maps, a signed-in admin ----
    let mut tx = pool.begin().await?;
    let admin = app::auth::server::insert_user(&mut tx, "bench@example.com", "x", Role::Admin)
        .await
        .map_err(e)?;
    let input = app::environments::validate_environment("Bench", "", "", "USMF, DEMF")
        .map_err(|(_, m)| anyhow::anyhow!(m))?;
    app::environments::server::save(&mut tx, &cli, None, &input)
        .await
        .map_err(e)?;
    let env = app::environments::server::by_name(&mut tx, "Bench")
        .await
        .map_err(e)?;
    app::maps::server::apply_starter(&mut tx, &cli, &env)
        .await
        .map_err(e)?;
    // More maps like the first, until there are `map_count`.
    let have: i64 = sqlx::query_scalar("select count(*) from table_maps")
        .fetch_one(&mut *tx)
        .await?;
    for k in have as usize..map_count {
        sqlx::query(
            "insert into table_maps (environment_id, name, fo_entity, dataverse_table, direction, master_side,
                fo_keys, dataverse_keys, initial_sync, state, revision, updated_at)
             select environment_id, 'Extra map ' || ?, fo_entity, dataverse_table, 'bidirectional', master_side,
                fo_keys, dataverse_keys, initial_sync, 'running', 1, updated_at
             from table_maps where name = 'Customers V3'",
        )
        .bind(k as i64 + 1)
        .execute(&mut *tx)
        .await?;
    }
    let secret = app::auth::server::create_session(&mut tx, admin, Duration::from_secs(3600))
        .await
        .map_err(e)?;
    tx.commit().await?;
    let maps: Vec<(i64, String)> =
        sqlx::query_as("select id, name from table_maps order by id limit ?")
            .bind(map_count as i64)
            .fetch_all(&pool)
            .await?;

    // ---- throughput: minute rows per map, then the rollups ----
    let seed_start = Instant::now();
    for (k, (map, _)) in maps.iter().enumerate() {
        // A daily wave with noise, failures about 1 %, a dip for map k.
        sqlx::query(
            "with recursive m(t) as (select ?1 union all select t + 60 from m where t + 60 < ?2)
             insert into throughput (map_id, direction, grain, bucket, synced, failed)
             select ?3, case when (t / 60) % 3 = 0 then 'dataverse_to_fo' else 'fo_to_dataverse' end, 'minute', t,
                    20 + ((t / 60) * 7 + ?4) % 23 + 15 * ((t / 3600) % 24 between 7 and 18),
                    ((t / 60) * 13 + ?4) % 100 = 0
             from m",
        )
        .bind(start_s)
        .bind(now_s - now_s % 60)
        .bind(map)
        .bind(k as i64)
        .execute(&pool)
        .await?;
    }
    for (grain, secs) in [("hour", 3_600i64), ("day", 86_400)] {
        sqlx::query(
            "insert into throughput (map_id, direction, grain, bucket, synced, failed)
             select map_id, direction, ?, bucket / ?2 * ?2, sum(synced), sum(failed)
             from throughput where grain = 'minute' group by 1, 2, 4",
        )
        .bind(grain)
        .bind(secs)
        .execute(&pool)
        .await?;
        // Latency where known: three slots per period.
        sqlx::query(
            "insert into throughput_latency (map_id, direction, grain, bucket, slot, n)
             select map_id, direction, grain, bucket, s.slot, synced / s.share
             from throughput, (select 7 as slot, 2 as share union all select 9, 3 union all select 12, 20) s
             where grain = ?",
        )
        .bind(grain)
        .execute(&pool)
        .await?;
    }
    let minute_rows: i64 =
        sqlx::query_scalar("select count(*) from throughput where grain = 'minute'")
            .fetch_one(&pool)
            .await?;

    // ---- states, counts, reconciliation runs, collector runs ----
    let at = |t: i64| app::db::db_time_secs(t);
    let mut tx = pool.begin().await?;
    for (k, (map, _)) in maps.iter().enumerate() {
        for d in 0..days {
            let day = start_s + d * 86_400;
            if (d + k as i64) % 9 == 0 {
                for (state, h) in [("paused", 2), ("running", 3)] {
                    sqlx::query("insert into map_state_observations (map_id, state, observed_at) values (?, ?, ?)")
                        .bind(map)
                        .bind(state)
                        .bind(at(day + h * 3_600))
                        .execute(&mut *tx)
                        .await?;
                }
            }
            for h in 0..24 {
                let t = day + h * 3_600;
                if t > now_s {
                    break;
                }
                let drift = (d * 24 + h + k as i64) % 17;
                sqlx::query("insert into record_counts (map_id, counted_at, company, fo_count, dataverse_count) values (?, ?, '', ?, ?)")
                    .bind(map)
                    .bind(at(t))
                    .bind(100_000 + d * 50)
                    .bind(100_000 + d * 50 - drift)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "insert into reconcile_runs (map_id, kind, status, requested_by, started_at, finished_at, recheck_secs, records, differing, missing_in_fo)
                 values (?, 'sample', 'done', 'schedule', ?, ?, 60, 500, ?, ?)",
            )
            .bind(map)
            .bind(at(day + 3_000))
            .bind(at(day + 3_060))
            .bind((d + k as i64) % 6)
            .bind((d * 3 + k as i64) % 4)
            .execute(&mut *tx)
            .await?;
        }
    }
    for c in ["errors", "map_states", "counts", "throughput"] {
        for i in 0..2_000 {
            sqlx::query("insert into collector_runs (environment_id, collector, started_at, finished_at, outcome, items) values (?, ?, ?, ?, 'ok', 3)")
                .bind(env.id)
                .bind(c)
                .bind(at(now_s - i * 20))
                .bind(at(now_s - i * 20 + 1))
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    let seed_time = seed_start.elapsed();

    // ---- 1M error entries through the ingest, 5 000 per transaction ----
    let names: HashMap<String, i64> = maps.iter().map(|(id, n)| (n.clone(), *id)).collect();
    let groups = 2_000usize;
    let span = now_s - start_s - 60;
    let errors_start = Instant::now();
    let batch = 5_000usize;
    for b in 0..entries.div_ceil(batch) {
        let mut valid = Vec::with_capacity(batch);
        for i in 0..batch.min(entries - b * batch) {
            let n = b * batch + i;
            let g = (b * 40 + i % 40) % groups;
            let raw = app::errors::server::RawEntry {
                id: Some(format!("bench-{n}")),
                occurred_at: Some(at(start_s + (n as i64 * 7_919) % span)),
                map: Some(maps[g % maps.len()].1.clone()),
                direction: Some(
                    if g.is_multiple_of(2) {
                        "fo_to_dataverse"
                    } else {
                        "dataverse_to_fo"
                    }
                    .into(),
                ),
                record_key: Some(format!("US-{n:07}")),
                legal_entity: Some("USMF".into()),
                message: Some(error_message(g, n)),
                detail: None,
            };
            valid.push(
                app::errors::server::check_entry(raw, &names).map_err(|m| anyhow::anyhow!(m))?,
            );
        }
        let origin = app::errors::server::Origin {
            actor: &cli,
            source: app::errors::Source::Api,
            source_ref: "bench",
        };
        app::errors::server::store_batch(
            &pool,
            &app::errors::server::Sweeps::default(),
            env.id,
            valid,
            origin,
            app::errors::server::Commit::default(),
            &mut |_| {},
            async |_, _| Ok(()),
        )
        .await
        .map_err(e)?;
    }
    let errors_time = errors_start.elapsed();
    // A tenth of the groups resolved, spread over the range.
    sqlx::query(
        "update error_groups set state = 'resolved', state_changed_by = 'bench',
            state_changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', ?1 + (id * 7919) % ?2, 'unixepoch')
         where id % 10 = 0",
    )
    .bind(start_s)
    .bind(span)
    .execute(&pool)
    .await?;

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
    sqlx::query("analyze").execute(&pool).await?;

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
                    size = app::trends::chart::draw(chart)
                        .map_err(|m| anyhow::anyhow!(m))?
                        .svg
                        .len();
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
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await }
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
    for (v, t) in views.iter().zip(per_view.iter_mut()) {
        t.sort();
        println!(
            "  {v}: p50 {:.2} ms  p95 {:.2} ms",
            percentile(t, 0.5),
            percentile(t, 0.95)
        );
    }
    println!("data read per chart page (queries and series, p50 of 10):");
    for (name, ms) in loads {
        println!("  {name}: {ms:.2} ms");
    }
    println!("SVG drawing per chart (plotters, p50 of 20):");
    for (name, ms, size) in draws {
        println!("  {name}: {ms:.2} ms, {} KiB", size / 1024);
    }
    println!(
        "peak memory (VmHWM, whole process): {:.1} MiB",
        peak_rss_mib()
    );
    Ok(())
}
