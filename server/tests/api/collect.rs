//! Collectors against the simulator over real HTTP: paging, 429 storms,
//! 5xx, slow and truncated answers, a wrong secret. A failed run writes
//! nothing but its own record; the next run catches up exactly.

use app::audit::server::Actor;
use server::collect::{ERRORS, collect_errors};
use server::connect::{Connection, Connector, RetryPolicy, Secret};
use server::simulator::{Fault, SimConfig, serve};
use std::time::Duration;

struct Setup {
    pool: sqlx::SqlitePool,
    env: app::environments::Environment,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("collect.db");
    let pool = server::db::connect(db.to_str().unwrap()).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    let input = app::environments::validate_environment("UAT", "", "", "USMF").unwrap();
    app::environments::server::save(&mut tx, &Actor::cli(), None, &input)
        .await
        .unwrap();
    let env = app::environments::server::by_name(&mut tx, "UAT")
        .await
        .unwrap();
    app::maps::server::apply_starter(&mut tx, &Actor::cli(), &env)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    Setup {
        pool,
        env,
        _dir: dir,
    }
}

fn quick() -> RetryPolicy {
    RetryPolicy {
        attempts: 4,
        base: Duration::from_millis(10),
        max_wait: Duration::from_secs(2),
        timeout: Duration::from_millis(800),
        min_interval: Duration::ZERO,
    }
}

fn connector(addr: std::net::SocketAddr, secret: &str, policy: RetryPolicy) -> Connector {
    let url = format!("http://{addr}");
    Connector::new(
        Connection {
            tenant: "contoso.onmicrosoft.com".into(),
            client_id: "demo".into(),
            secret: Secret::new(secret),
            authority: url.clone(),
            scope: format!("{url}/.default"),
            dataverse_url: url,
        },
        policy,
    )
    .unwrap()
}

fn sim_config(hours: i64, every_secs: u64) -> SimConfig {
    SimConfig {
        start: chrono::Utc::now() - chrono::Duration::hours(hours),
        trace_every: Duration::from_secs(every_secs),
        ..SimConfig::default()
    }
}

async fn count(pool: &sqlx::SqlitePool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn trace_logs_arrive_across_pages_classified_mapped_and_never_twice() {
    let s = setup().await;
    // About 2,160 rows: three pages of 1,000.
    let (sim, addr, _task) = serve("127.0.0.1:0".parse().unwrap(), sim_config(6, 10))
        .await
        .unwrap();
    let c = connector(addr, "demo", quick());
    let first = collect_errors(&s.pool, &s.env, &c).await.unwrap();
    assert!(first.read > 2000, "{first:?}");
    assert_eq!(first.stored, first.read);
    assert!(sim.requests() >= 3, "followed @odata.nextLink");
    let categories: Vec<String> =
        sqlx::query_scalar("select distinct category from error_groups order by 1")
            .fetch_all(&s.pool)
            .await
            .unwrap();
    assert!(categories.len() >= 7, "{categories:?}");
    let mapped = count(&s.pool, "select count(*) from error_groups g join table_maps m on m.id = g.map_id where m.name = 'Customers V3'").await;
    assert!(mapped > 0, "account rows land on Customers V3");
    let keyed = count(
        &s.pool,
        "select count(*) from error_entries where record_key like 'USMF-%'",
    )
    .await;
    assert_eq!(keyed as usize, first.stored);

    let again = collect_errors(&s.pool, &s.env, &c).await.unwrap();
    assert_eq!(again.stored, 0, "{again:?}");
    assert!(
        again.read >= 1,
        "the cursor's own second is read again and skipped"
    );
    let runs = count(
        &s.pool,
        "select count(*) from collector_runs where outcome = 'ok'",
    )
    .await;
    assert_eq!(runs, 2);
}

#[tokio::test]
async fn storms_of_429_5xx_slow_and_truncated_answers_are_retried() {
    let s = setup().await;
    let (sim, addr, _task) = serve("127.0.0.1:0".parse().unwrap(), sim_config(1, 30))
        .await
        .unwrap();
    sim.plan([
        Fault::Throttle(1),
        Fault::ServerError(503),
        Fault::Truncated,
    ]);
    let c = connector(addr, "demo", quick());
    let started = std::time::Instant::now();
    let out = collect_errors(&s.pool, &s.env, &c).await.unwrap();
    assert!(out.stored > 100, "{out:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
    assert_eq!(sim.requests(), 4, "three faults, then the answer");

    // A slow answer beyond the timeout is retried too.
    sim.plan([Fault::Slow(1500)]);
    let out = collect_errors(&s.pool, &s.env, &c).await.unwrap();
    assert_eq!(out.stored, 0);
}

#[tokio::test]
async fn a_failed_run_writes_nothing_and_the_next_run_catches_up_exactly() {
    let s = setup().await;
    let (sim, addr, _task) = serve("127.0.0.1:0".parse().unwrap(), sim_config(6, 10))
        .await
        .unwrap();
    let c = connector(addr, "demo", quick());
    // The second page fails on every attempt: nothing of the first page
    // may be stored.
    sim.plan(
        [
            None,
            Some(Fault::ServerError(503)),
            Some(Fault::ServerError(503)),
            Some(Fault::Truncated),
            Some(Fault::Throttle(0)),
        ]
        .into_iter()
        .map(|f| f.unwrap_or(Fault::Slow(0))),
    );
    let err = collect_errors(&s.pool, &s.env, &c)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("GET http://127.0.0.1:"), "{err}");
    assert!(
        err.contains("/api/data/v9.2/plugintracelogs: HTTP 429"),
        "{err}"
    );
    assert!(err.contains("gave up after 4 attempts"), "{err}");
    assert_eq!(
        count(&s.pool, "select count(*) from error_entries").await,
        0
    );
    assert_eq!(
        count(&s.pool, "select count(*) from collector_cursors").await,
        0
    );
    let (outcome, recorded): (String, String) =
        sqlx::query_as("select outcome, error from collector_runs")
            .fetch_one(&s.pool)
            .await
            .unwrap();
    assert_eq!(outcome, "failed");
    assert!(recorded.contains("HTTP 429"));

    let out = collect_errors(&s.pool, &s.env, &c).await.unwrap();
    let rows = sim.rows_at(chrono::Utc::now()) as i64;
    let stored = count(&s.pool, "select count(*) from error_entries").await;
    assert_eq!(out.stored as i64, stored);
    // Every row that existed when the run read is stored, once.
    assert!((rows - stored).abs() <= 1, "rows {rows}, stored {stored}");
    assert_eq!(
        count(
            &s.pool,
            "select count(distinct client_id) from error_entries"
        )
        .await,
        stored
    );
    let _ = ERRORS;
}

#[tokio::test]
async fn a_wrong_secret_fails_the_run_with_the_services_reason() {
    let s = setup().await;
    let (_sim, addr, _task) = serve("127.0.0.1:0".parse().unwrap(), sim_config(1, 60))
        .await
        .unwrap();
    let c = connector(addr, "not the secret", quick());
    let err = collect_errors(&s.pool, &s.env, &c)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("POST http://127.0.0.1:"), "{err}");
    assert!(
        err.contains("/oauth2/v2.0/token: HTTP 401: AADSTS7000215"),
        "{err}"
    );
    assert!(
        !format!("{:?}", c.connection()).contains("not the secret"),
        "the secret never prints"
    );
    assert_eq!(
        count(&s.pool, "select count(*) from error_entries").await,
        0
    );
}
