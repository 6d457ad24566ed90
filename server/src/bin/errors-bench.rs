//! `errors-bench`: pushes error entries through the real ingest API over
//! loopback HTTP in fixed-size batches, compares the sustained rate with
//! the `sqlite3` CLI inserting the same rows into the same schema in the
//! same run (in the same batches, and in one transaction), then times the
//! error-queue page under filters (server time: request in, whole body
//! out) and prints p50/p95 and peak memory.
//!
//! `cargo run --release -p server --bin errors-bench -- [ENTRIES] [BATCH] [GROUPS] [REQUESTS]`

use axum::body::Body;
use http::Request;
use server::bench::{ErrorGen, arg, peak_rss_mib, percentile, send_errors, timed_get};
use server::config::Settings;
use server::startup::{AppState, Application, build_router};
use std::time::{Duration, Instant};
use tower::ServiceExt as _;

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
    let generator = std::sync::Arc::new(ErrorGen::new("bench", groups, maps));

    // ---- ingest over loopback HTTP, two senders ----
    let app = Application::build(&settings).await?;
    let url = format!("http://127.0.0.1:{}/api/v1/errors", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let ingest = send_errors(&[url], &token, "Bench", generator.clone(), (entries, batch)).await?;
    let stored: i64 = app::db::query_scalar("select count(*) from error_entries")
        .fetch_one(&pool)
        .await?;
    let group_count: i64 = app::db::query_scalar("select count(*) from error_groups")
        .fetch_one(&pool)
        .await?;
    anyhow::ensure!(stored as usize == entries, "stored {stored} of {entries}");

    // ---- the same rows through the sqlite3 CLI, same run ----
    let cli = cli_peer(&generator, entries, batch, groups).await;
    // ---- the queue page under filters, through the real router ----
    let router = build_router(&settings, AppState::new(&settings, pool.clone()));
    let cookie = format!("dwc_session={secret}");
    let time = async |path: String| timed_get(&router, &cookie, &path).await;
    let week_ago = (chrono::Utc::now() - chrono::Duration::days(7)).format("%Y-%m-%d");
    let today = chrono::Utc::now().format("%Y-%m-%d");
    let map_id: i64 = app::db::query_scalar("select id from table_maps order by id limit 1")
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
    println!(
        "error queue: {entries} entries in {batches} batches of {batch} over loopback HTTP ({group_count} groups)"
    );
    println!(
        "ingest API: {:.1} s, {:.0} entries/s (check, classify, fingerprint, group, count per hour and day, idempotency)",
        ingest.as_secs_f64(),
        http_rate
    );
    match cli {
        Ok([batched, bulk]) => {
            let batched_rate = entries as f64 / batched.as_secs_f64();
            let bulk_rate = entries as f64 / bulk.as_secs_f64();
            println!(
                "sqlite3 CLI, the same rows into the same schema (every index, WAL, synchronous=NORMAL, foreign keys on; one insert per row, the script read from a file):"
            );
            println!(
                "  batched, {batch}-row transactions: {:.1} s, {batched_rate:.0} rows/s",
                batched.as_secs_f64()
            );
            println!(
                "  bulk, one transaction: {:.1} s, {bulk_rate:.0} rows/s",
                bulk.as_secs_f64()
            );
            println!(
                "ingest / CLI batched: {:.0} % (target >= 50 %); ingest / CLI bulk: {:.0} %",
                100.0 * http_rate / batched_rate,
                100.0 * http_rate / bulk_rate
            );
        }
        Err(e) => println!("sqlite3 CLI: not run ({e}); `make tools` installs it"),
    }
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

/// The peer: the same rows into the console's schema (migrated, with the
/// environment and the groups in place) by the `sqlite3` CLI, once in
/// `batch`-row transactions and once in one transaction, each on a fresh
/// database. The scripts are written first, so the timers hold only the
/// CLI's work. Gives the two times.
async fn cli_peer(
    generator: &ErrorGen,
    entries: usize,
    batch: usize,
    groups: usize,
) -> anyhow::Result<[Duration; 2]> {
    let dir = tempfile::tempdir()?;
    let received = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let mut times = [Duration::ZERO; 2];
    for (n, rows_per_tx) in [batch, entries].into_iter().enumerate() {
        let db = dir.path().join(format!("cli-{n}.db"));
        let pool = server::db::connect(&db.to_string_lossy()).await?;
        app::db::query(
            "insert into environments (id, name, created_at, updated_at) values (1, 'Bench', '', '')",
        )
        .execute(&pool)
        .await?;
        let mut tx = pool.begin().await?;
        for g in 0..groups {
            app::db::query(
                "insert into error_groups (id, environment_id, direction, category, rule, fingerprint, pattern, first_seen, last_seen, entry_count)
                 values ($1, 1, 'unknown', 'other', '', $2, '', '', '', 0)",
            )
            .bind(g as i64 + 1)
            .bind(g.to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        pool.close().await;

        let script = dir.path().join(format!("cli-{n}.sql"));
        let mut out = std::io::BufWriter::new(std::fs::File::create(&script)?);
        use std::io::Write as _;
        writeln!(
            out,
            "pragma journal_mode = wal;\npragma synchronous = normal;\npragma foreign_keys = on;"
        )?;
        let mut written = 0;
        for b in 0..entries.div_ceil(batch) {
            for i in 0..batch.min(entries - b * batch) {
                if written % rows_per_tx == 0 {
                    writeln!(out, "begin;")?;
                }
                let e = generator.entry(b, i);
                let g = (b * 50 + i % 50) % groups;
                let text = |k: &str| quote(e[k].as_str().unwrap_or_default());
                writeln!(
                    out,
                    "insert into error_entries (group_id, environment_id, client_id, occurred_at, received_at, record_key, legal_entity, category, rule, message, detail, source, source_ref) values ({}, 1, {}, {}, {}, {}, {}, 'other', '', {}, null, 'api', 'bench');",
                    g + 1,
                    text("id"),
                    text("occurred_at"),
                    quote(&received),
                    text("record_key"),
                    text("legal_entity"),
                    text("message"),
                )?;
                written += 1;
                if written % rows_per_tx == 0 || written == entries {
                    writeln!(out, "commit;")?;
                }
            }
        }
        out.flush()?;
        drop(out);

        let clock = Instant::now();
        let run = std::process::Command::new("sqlite3")
            .arg(&db)
            .stdin(std::fs::File::open(&script)?)
            .output()?;
        times[n] = clock.elapsed();
        anyhow::ensure!(
            run.status.success() && run.stderr.is_empty(),
            "sqlite3 failed: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let count = std::process::Command::new("sqlite3")
            .arg(&db)
            .arg("select count(*) from error_entries")
            .output()?;
        let stored: usize = String::from_utf8_lossy(&count.stdout).trim().parse()?;
        anyhow::ensure!(
            stored == entries,
            "sqlite3 stored {stored} of {entries} rows"
        );
        std::fs::remove_file(&script)?;
    }
    Ok(times)
}
