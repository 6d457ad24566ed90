//! `rulebook-bench`: seeds a rule book of 200 maps × 50 fields × 10
//! revisions through the real write paths, then times the map page and the
//! search page through the real router (server time: request in, whole body
//! out) and prints p50/p95, seeding throughput and peak memory.
//!
//! `cargo run --release -p server --bin rulebook-bench -- [MAPS] [FIELDS] [REVISIONS] [REQUESTS]`

use app::audit::server::Actor;
use app::auth::Role;
use axum::body::Body;
use http::Request;
use server::bench::{arg, peak_rss_mib, percentile, timed_get};
use server::config::Settings;
use server::startup::{AppState, build_router};
use std::time::{Duration, Instant};
use tower::ServiceExt as _;

/// Deterministic xorshift, so every run asks for the same pages.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const WORDS: &[&str] = &[
    "credit",
    "treasury",
    "warehouse",
    "pricing",
    "invoice",
    "customer",
    "vendor",
    "ledger",
    "region",
    "currency",
    "discount",
    "tax",
    "contact",
    "address",
    "product",
    "category",
    "payment",
    "terms",
    "quote",
    "order",
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (maps, fields, revisions, requests) = (
        arg(1, 200usize),
        arg(2, 50usize),
        arg(3, 10usize),
        arg(4, 300usize),
    );
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.db").to_string_lossy().to_string();
    let settings = Settings::for_tests(&db);
    let pool = server::db::connect(&db).await?;
    let cli = Actor::cli();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);

    // ---- seed through the real write paths ----
    let seed_start = Instant::now();
    let mut tx = pool.begin().await?;
    let admin = app::auth::server::insert_user(&mut tx, "bench@example.com", "x", Role::Admin)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let env_input = app::environments::validate_environment("Bench", "", "", "USMF, DEMF")
        .map_err(|(_, m)| anyhow::anyhow!(m))?;
    app::environments::server::save(&mut tx, &cli, None, &env_input)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let env = app::environments::server::by_name(&mut tx, "Bench")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let base = app::maps::starter::starter_set().remove(0);
    let mut map_ids = Vec::with_capacity(maps);
    for m in 0..maps {
        let mut content = base.clone();
        content.name = format!("Map {m:03}");
        content.notes = format!(
            "Owned by the {} team; see {} and {}.",
            WORDS[m % WORDS.len()],
            WORDS[(m * 7) % WORDS.len()],
            WORDS[(m * 3) % WORDS.len()]
        );
        let id = app::maps::server::create(&mut tx, &cli, &env, &content, "seed")
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        for r in 1..revisions {
            content.expected_records = Some((r * 10_000) as i64);
            content.notes.push_str(&format!(
                " Revision {r} adds {}.",
                WORDS[(m + r) % WORDS.len()]
            ));
            app::maps::server::update(&mut tx, &cli, id, r as i64, &content, "seed")
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        for f in 0..fields {
            let value_type = if f % 10 == 0 { "enum" } else { "text" };
            let transform = if f % 10 == 0 { "value_map" } else { "none" };
            let field = app::rules::validate_field(
                &format!("Field{f:02}"),
                &format!("column{f:02}"),
                "both",
                value_type,
                transform,
                "",
                "Yes = 1\nNo = 0",
            )
            .map_err(|(_, m)| anyhow::anyhow!(m))?;
            app::rules::server::create_field(&mut tx, &cli, id, &field, "")
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let rule = app::rules::server::NewRule {
            field_mapping_id: None,
            winner: app::rules::Winner::Fo,
            enforced_by: app::rules::EnforcedBy::InitialSyncMaster,
            rationale: format!(
                "The {} team decided F&O owns this map after the {} review.",
                WORDS[(m * 5) % WORDS.len()],
                WORDS[(m * 11) % WORDS.len()]
            ),
            status: app::rules::RuleStatus::Accepted,
        };
        app::rules::server::create_rule(&mut tx, &cli, id, &rule)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        map_ids.push(id);
    }
    let secret = app::auth::server::create_session(&mut tx, admin, Duration::from_secs(3600))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.commit().await?;
    let seed = seed_start.elapsed();
    let writes = maps * (revisions + fields + 1);

    // ---- time pages through the real router ----
    let router = build_router(&settings, AppState::new(&settings, pool.clone()));
    let cookie = format!("dwc_session={secret}");
    let time = async |path: String| -> anyhow::Result<Duration> {
        let (took, len) = timed_get(&router, &cookie, &path).await?;
        anyhow::ensure!(len > 0, "{path}: empty body");
        Ok(took)
    };
    // Warm up caches the way a running server would have them.
    for _ in 0..10 {
        time(format!("/maps/{}", map_ids[0])).await?;
    }
    let mut map_times = Vec::with_capacity(requests);
    for _ in 0..requests {
        let id = map_ids[rng.next(map_ids.len() as u64) as usize];
        map_times.push(time(format!("/maps/{id}")).await?);
    }
    let mut search_times = Vec::with_capacity(requests);
    for _ in 0..requests {
        let a = WORDS[rng.next(WORDS.len() as u64) as usize];
        let w = WORDS[rng.next(WORDS.len() as u64) as usize];
        // A prefix, as someone typing would leave it.
        let b = w.get(..4).unwrap_or(w);
        search_times.push(time(format!("/search?env=Bench&q={a}+{b}")).await?);
    }
    map_times.sort();
    search_times.sort();

    // The timed searches must really find something, not render "no match".
    let req = Request::get("/search?env=Bench&q=treasury+rev")
        .header("cookie", &cookie)
        .body(Body::empty())?;
    let body =
        axum::body::to_bytes(router.clone().oneshot(req).await?.into_body(), usize::MAX).await?;
    let hits = String::from_utf8_lossy(&body).matches("<mark>").count();
    anyhow::ensure!(
        hits > 0,
        "a sample search found nothing; the timings would be meaningless"
    );

    println!(
        "rule book: {maps} maps x {fields} fields x {revisions} revisions ({} field rows, {} revisions)",
        maps * fields,
        maps * (revisions + fields + 1)
    );
    println!(
        "seeding: {writes} writes in {:.1} s ({:.0} writes/s, each with revision, audit entry and reindex)",
        seed.as_secs_f64(),
        writes as f64 / seed.as_secs_f64()
    );
    println!(
        "map page   (GET /maps/N, {requests} requests): p50 {:.2} ms  p95 {:.2} ms  max {:.2} ms",
        percentile(&map_times, 0.5),
        percentile(&map_times, 0.95),
        percentile(&map_times, 1.0)
    );
    println!(
        "search page (GET /search?q=…, {requests} requests): p50 {:.2} ms  p95 {:.2} ms  max {:.2} ms",
        percentile(&search_times, 0.5),
        percentile(&search_times, 0.95),
        percentile(&search_times, 1.0)
    );
    println!(
        "target: p95 < 30 ms for both (sample search 'treasury rev' highlighted {hits} matches)"
    );
    println!("peak memory (VmHWM): {:.1} MiB", peak_rss_mib());
    Ok(())
}
