//! `backends-bench`: the same work on SQLite and on PostgreSQL in one run,
//! side by side, each on a new database:
//!
//! 1. error ingest: `days` of history for 20 maps, then `entries` error
//!    entries through the real ingest (check, classify, fingerprint, group,
//!    count; in process, 5,000-entry batches), as `trends-bench` seeds it;
//! 2. the error-queue pages (six filter sets) and the trends pages (errors
//!    and throughput at 7 and 30 days, the overview) through the real
//!    router, server time, p50/p95;
//! 3. one full reconciliation of `records` a side through the simulator
//!    over loopback HTTP, with the real connector;
//! 4. ingest over loopback HTTP (2 senders) into one server; on PostgreSQL
//!    also into two servers sharing the database (2 senders each).
//!
//! `cargo run --release -p server --bin backends-bench -- [ENTRIES] [DAYS] [REQUESTS] [RECORDS] [HTTP_ENTRIES]`
//! PostgreSQL comes from `DWCONSOLE_TEST_POSTGRES`, a URL whose user may
//! create databases (`make bench-backends` starts a throwaway cluster).

use server::bench::{
    ErrorGen, arg, full_diff_through_simulator, percentile, seed_history, send_errors, timed_get,
};
use server::config::Settings;
use server::simulator::SimConfig;
use server::simulator::tables;
use server::startup::{AppState, Application, build_router};
use std::time::Duration;

/// The figures of one backend.
struct Figures {
    /// Entries per second through the real ingest, in process.
    ingest: f64,
    /// Queue pages, p50 and p95 in ms.
    queue: (f64, f64),
    /// Trends pages, p50 and p95 in ms.
    trends: (f64, f64),
    /// The full reconciliation: seconds, and records a second (both sides).
    reconcile: (f64, f64),
    /// Entries per second over HTTP into one server.
    http_one: f64,
    /// Entries per second over HTTP into two servers (PostgreSQL only).
    http_two: Option<f64>,
}

struct Sizes {
    entries: usize,
    days: i64,
    requests: usize,
    records: u64,
    http_entries: usize,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let sizes = Sizes {
        entries: arg(1, 1_000_000usize),
        days: arg(2, 30i64),
        requests: arg(3, 60usize),
        records: arg(4, 100_000u64),
        http_entries: arg(5, 200_000usize),
    };
    let admin = std::env::var("DWCONSOLE_TEST_POSTGRES").map_err(|_| {
        anyhow::anyhow!(
            "DWCONSOLE_TEST_POSTGRES is not set: give a PostgreSQL URL whose user may create databases, or run `make bench-backends`"
        )
    })?;
    let mut quiet = Settings::for_tests("");
    quiet.common.log = "app=error,server=error".into();
    server::telemetry::init(&quiet.common)?;
    println!(
        "backends: {} error entries over {} days of history for 20 maps; {} requests per page set; a full diff of {} records a side; {} entries over HTTP",
        sizes.entries, sizes.days, sizes.requests, sizes.records, sizes.http_entries
    );
    let dir = tempfile::tempdir()?;
    let sqlite = dir.path().join("bench.db").to_string_lossy().to_string();
    let s = measure(&sqlite, &sizes, dir.path(), false).await?;
    let postgres = server::db::scratch_postgres_database(&admin).await?;
    let p = measure(&postgres, &sizes, dir.path(), true).await?;

    println!(
        "{:<58} {:>12} {:>12} {:>9}",
        "", "SQLite", "PostgreSQL", "PG/SQLite"
    );
    let row = |what: &str, a: f64, b: f64, unit: &str| {
        println!(
            "{what:<58} {:>12} {:>12} {:>9.2}",
            format!("{a:.1}{unit}"),
            format!("{b:.1}{unit}"),
            b / a
        );
    };
    row(
        "error ingest, in process (entries/s)",
        s.ingest,
        p.ingest,
        "",
    );
    row("error queue pages p50 (ms)", s.queue.0, p.queue.0, "");
    row("error queue pages p95 (ms)", s.queue.1, p.queue.1, "");
    row("trends pages p50 (ms)", s.trends.0, p.trends.0, "");
    row("trends pages p95 (ms)", s.trends.1, p.trends.1, "");
    row("full reconciliation (s)", s.reconcile.0, p.reconcile.0, "");
    row(
        "full reconciliation (records/s)",
        s.reconcile.1,
        p.reconcile.1,
        "",
    );
    row(
        "ingest over HTTP, one server (entries/s)",
        s.http_one,
        p.http_one,
        "",
    );
    if let Some(two) = p.http_two {
        println!(
            "ingest over HTTP, two servers on PostgreSQL: {two:.0} entries/s, {:.2} x one server",
            two / p.http_one
        );
    }
    Ok(())
}

/// Runs every phase on the database at `db` (new and empty).
async fn measure(
    db: &str,
    sizes: &Sizes,
    work: &std::path::Path,
    two_servers: bool,
) -> anyhow::Result<Figures> {
    let settings = {
        let mut s = Settings::for_tests(db);
        s.body_limit_bytes = 64 * 1024 * 1024;
        s
    };
    let pool = server::db::connect(db).await?;
    let kind = format!("{:?}", pool.kind());
    let h = seed_history(&pool, sizes.days, 20, sizes.entries).await?;
    let ingest = sizes.entries as f64 / h.errors_time.as_secs_f64();
    app::db::query("analyze").execute(&pool).await?;
    println!(
        "{kind}: seeded in {:.1} s ({} entries through the ingest in {:.1} s)",
        (h.seed_time + h.errors_time).as_secs_f64(),
        sizes.entries,
        h.errors_time.as_secs_f64()
    );

    // ---- pages through the real router ----
    let router = build_router(&settings, AppState::new(&settings, pool.clone()));
    let cookie = format!("dwc_session={}", h.secret);
    let week_ago = (chrono::Utc::now() - chrono::Duration::days(7)).format("%Y-%m-%d");
    let today = chrono::Utc::now().format("%Y-%m-%d");
    let queue = [
        "/errors?env=Bench".to_string(),
        "/errors?env=Bench&category=dependency_order".to_string(),
        format!(
            "/errors?env=Bench&map={}&direction=fo_to_dataverse",
            h.maps[0].0
        ),
        "/errors?env=Bench&state=all&sort=count".to_string(),
        format!("/errors?env=Bench&from={week_ago}&to={today}"),
        "/errors?env=Bench&q=plug-in+credit".to_string(),
    ];
    let trends = [
        "/?env=Bench".to_string(),
        "/trends/errors?env=Bench&range=7d".to_string(),
        "/trends/errors?env=Bench&range=30d".to_string(),
        "/trends/throughput?env=Bench&range=7d".to_string(),
        "/trends/throughput?env=Bench&range=30d".to_string(),
    ];
    let timed = async |views: &[String]| -> anyhow::Result<(f64, f64)> {
        // Warm up (and fill the sweep cache, as a running server has it).
        for v in views {
            timed_get(&router, &cookie, v).await?;
        }
        let mut times: Vec<Duration> = Vec::with_capacity(sizes.requests);
        // Each view's own times too: a p95 over the set names no culprit.
        let mut per_view: Vec<Vec<Duration>> = vec![Vec::new(); views.len()];
        for r in 0..sizes.requests {
            let v = &views[r % views.len()];
            let (t, len) = timed_get(&router, &cookie, v).await?;
            anyhow::ensure!(len > 1000, "{v} rendered almost nothing");
            times.push(t);
            per_view[r % views.len()].push(t);
        }
        // With about ten requests a view, a view's p95 is its slowest.
        for (v, mut t) in views.iter().zip(per_view).filter(|(_, t)| !t.is_empty()) {
            t.sort();
            println!(
                "{kind}:   {v:<56} p50 {:>6.1} ms  p95 {:>6.1} ms",
                percentile(&t, 0.5),
                percentile(&t, 0.95)
            );
        }
        times.sort();
        Ok((percentile(&times, 0.5), percentile(&times, 0.95)))
    };
    let queue = timed(&queue).await?;
    let trends = timed(&trends).await?;
    println!("{kind}: pages timed");

    // ---- one full reconciliation through the simulator ----
    let mut config = SimConfig {
        lag: Duration::ZERO,
        ..SimConfig::default()
    };
    tables::set_records(
        &mut config.tables,
        &format!("CustomersV3={}", sizes.records),
    )
    .map_err(anyhow::Error::msg)?;
    tables::set_drift(
        &mut config.tables,
        "CustomersV3:missing_dataverse=0.0025,missing_fo=0.0025,changed=0.0025,enum_mismatch=0.0025",
    )
    .map_err(anyhow::Error::msg)?;
    let real = tables::injected(&config, "CustomersV3", chrono::Utc::now())
        .iter()
        .filter(|(_, k)| k.is_real())
        .count();
    let map_id = h
        .maps
        .iter()
        .find(|(_, name)| name == "Customers V3")
        .map(|(id, _)| *id)
        .ok_or_else(|| anyhow::anyhow!("no map Customers V3"))?;
    let (run, _, took) =
        full_diff_through_simulator(&pool, map_id, config, work.join(format!("work-{kind}")))
            .await?;
    anyhow::ensure!(
        run.drifting() as usize == real,
        "{kind}: the full diff found {} drifting records, {real} were injected",
        run.drifting()
    );
    let reconcile = (
        took.as_secs_f64(),
        (run.fo_read + run.dataverse_read) as f64 / took.as_secs_f64(),
    );
    println!("{kind}: full diff found the {real} injected differences");

    // ---- ingest over HTTP: one server, then (PostgreSQL) two ----
    let token = {
        let mut tx = pool.begin().await?;
        let (_, token) =
            app::tokens::server::create(&mut tx, &app::audit::server::Actor::cli(), "bench")
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        tx.commit().await?;
        token
    };
    let names: Vec<String> = h.maps.iter().map(|(_, n)| n.clone()).collect();
    let mut servers = Vec::new();
    let mut urls = Vec::new();
    for _ in 0..if two_servers { 2 } else { 1 } {
        let app = Application::build(&settings).await?;
        urls.push(format!("http://127.0.0.1:{}/api/v1/errors", app.port()));
        servers.push(tokio::spawn(app.run_until_stopped()));
    }
    let one = send_errors(
        &urls[..1],
        &token,
        "Bench",
        std::sync::Arc::new(ErrorGen::new("one", 5_000, names.clone())),
        (sizes.http_entries, 1_000),
    )
    .await?;
    let http_one = sizes.http_entries as f64 / one.as_secs_f64();
    let http_two = if two_servers {
        let two = send_errors(
            &urls,
            &token,
            "Bench",
            std::sync::Arc::new(ErrorGen::new("two", 5_000, names)),
            (sizes.http_entries, 1_000),
        )
        .await?;
        Some(sizes.http_entries as f64 / two.as_secs_f64())
    } else {
        None
    };
    let stored: i64 = app::db::query_scalar("select count(*) from error_entries")
        .fetch_one(&pool)
        .await?;
    let sent = sizes.entries + sizes.http_entries * if two_servers { 2 } else { 1 };
    anyhow::ensure!(stored as usize == sent, "{kind}: stored {stored} of {sent}");
    for s in servers {
        s.abort();
    }
    pool.close().await;
    Ok(Figures {
        ingest,
        queue,
        trends,
        reconcile,
        http_one,
        http_two,
    })
}
