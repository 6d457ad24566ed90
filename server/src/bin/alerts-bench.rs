//! `alerts-bench`: the trends benchmark's history (90 days × 20 maps of
//! throughput, states, counts and reconciliations, 1M error entries) with
//! 500 alert rules split per map over the 20 maps — every watch, fixed and
//! baseline tests — then times whole evaluation rounds (every rule due,
//! every instance stored) and the editor's preview of one rule over 30
//! days, and prints p50/p95 and peak memory.
//!
//! `cargo run --release -p server --bin alerts-bench -- [DAYS] [MAPS] [ENTRIES] [RULES] [ROUNDS]`

use app::alerts::baseline::Baseline;
use app::alerts::rule::{Test, Watch, starter_set};
use app::audit::server::Actor;
use server::bench::{arg, peak_rss_mib, percentile, seed_history};
use server::config::Settings;
use std::time::Instant;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let (days, map_count, entries, rule_count, rounds) = (
        arg(1, 90i64),
        arg(2, 20usize),
        arg(3, 1_000_000usize),
        arg(4, 500usize),
        arg(5, 10usize),
    );
    let e = |err: app::error::AppError| anyhow::anyhow!("{err}");
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.db").to_string_lossy().to_string();
    let mut settings = Settings::for_tests(&db);
    settings.common.log = "app=error,server=error".into();
    server::telemetry::init(&settings.common)?;
    let pool = server::db::connect(&db).await?;
    let seed_start = Instant::now();
    let h = seed_history(&pool, days, map_count, entries).await?;
    app::db::query("analyze").execute(&pool).await?;
    let seeded = seed_start.elapsed();
    eprintln!(
        "seeded in {:.1} s; adding {rule_count} rules",
        seeded.as_secs_f64()
    );

    // 500 rules: each watch in turn, split per map, thresholds that some
    // maps cross; every seventh errors rule on the hour's usual level.
    let watches = Watch::ALL;
    let base = starter_set()[0].clone();
    let mut tx = app::db::begin_write(&pool).await?;
    for i in 0..rule_count {
        let mut r = base.clone();
        r.watch = watches[i % watches.len()];
        r.name = format!("Rule {i} on {}", r.watch.as_str());
        r.split_per_map = true;
        r.interval_secs = 300;
        r.window_secs = match r.watch {
            Watch::CountDifference | Watch::DriftRate => 26 * 3600,
            _ => 3600,
        };
        r.test = match (r.watch, i % 7) {
            (Watch::Errors, 0) => Test::Baseline(Baseline::Times(3.0)),
            (Watch::RecordsSynced, _) => Test::Fixed {
                comparator: app::alerts::Comparator::Below,
                threshold: 1_000.0 + (i % 5) as f64 * 500.0,
                recovery: None,
            },
            _ => Test::Fixed {
                comparator: app::alerts::Comparator::Above,
                threshold: (i % 10) as f64,
                recovery: None,
            },
        };
        app::alerts::server::create(&mut tx, &Actor::cli(), &h.env, &r, "bench")
            .await
            .map_err(e)?;
    }
    tx.commit().await?;

    // Rounds: each one five minutes after the last, so every rule is due.
    let mut times = Vec::with_capacity(rounds);
    let mut last = None;
    for k in 0..rounds {
        let now = h.now_s + k as i64 * 300;
        let s = Instant::now();
        let r = app::alerts::evaluate::round(&pool, now, "http://127.0.0.1:3000")
            .await
            .map_err(e)?;
        times.push(s.elapsed());
        eprintln!("round {k}: {:.1} ms", s.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(
            r.rules == rule_count,
            "round {k} evaluated {} rules",
            r.rules
        );
        last = Some(r);
    }
    let last = last.expect("at least one round");
    let first = times[0];
    times.sort();
    let instances: i64 = app::db::query_scalar("select count(*) from alert_instances")
        .fetch_one(&pool)
        .await?;
    let firing: i64 =
        app::db::query_scalar("select count(*) from alert_instances where state = 'firing'")
            .fetch_one(&pool)
            .await?;

    // The preview: the starter errors rule per map over 30 days, and the
    // same rule on the usual level (28 more days read).
    let mut conn = pool.acquire().await?;
    let mut previews = vec![];
    for (name, test) in [
        ("fixed threshold", base.test),
        ("baseline (3 × usual)", Test::Baseline(Baseline::Times(3.0))),
    ] {
        let mut rule = base.clone();
        rule.test = test;
        rule.keep_firing_secs = 0;
        let mut t = vec![];
        let mut result = None;
        for _ in 0..20 {
            let s = Instant::now();
            result = Some(
                app::alerts::evaluate::preview(&mut conn, h.env.id, &rule, 30, h.now_s)
                    .await
                    .map_err(e)?,
            );
            t.push(s.elapsed());
        }
        t.sort();
        previews.push((name, t, result.expect("20 previews")));
    }
    drop(conn);

    println!(
        "alerts: {days} days x {} maps, {entries} error entries, {rule_count} rules split per map (seeded in {:.1} s)",
        h.maps.len(),
        seeded.as_secs_f64()
    );
    println!(
        "evaluation round ({rounds} rounds, every rule due; {instances} instances, {firing} firing; last round {} changes, {} notices): first {:.1} ms  p50 {:.1} ms  p95 {:.1} ms",
        last.changes,
        last.notices.len(),
        first.as_secs_f64() * 1000.0,
        percentile(&times, 0.5),
        percentile(&times, 0.95),
    );
    for (name, t, p) in &previews {
        println!(
            "preview of one rule over 30 days, {name} ({} series x {} steps, fired {} times): p50 {:.1} ms  p95 {:.1} ms (target < 200 ms)",
            p.series.len(),
            p.steps,
            p.series.iter().map(|s| s.fired).sum::<usize>(),
            percentile(t, 0.5),
            percentile(t, 0.95),
        );
    }
    println!(
        "peak memory (VmHWM, whole process): {:.1} MiB",
        peak_rss_mib()
    );
    Ok(())
}
