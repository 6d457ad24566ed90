//! Reconciliation against the simulator with known injected drift: the
//! sample and the full diff report exactly the real differences and none
//! of the representation-only ones; the lag guard clears records caught
//! mid-sync; a full diff can be cancelled and resumes from its checkpoint.

use app::audit::server::Actor;
use server::connect::{Connector, RetryPolicy};
use server::reconcile::full::run_full;
use server::reconcile::{Options, begin_run, run_sample, target};
use server::simulator::tables::{self, DriftKind, TableConfig};
use server::simulator::{Fault, SimConfig, serve};
use std::collections::BTreeSet;
use std::time::Duration;

struct Setup {
    pool: app::db::Pool,
    map_id: i64,
    db: String,
    dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::helpers::new_database(dir.path(), "reconcile.db");
    let pool = server::db::connect(&db).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    let input = app::environments::validate_environment("UAT", "", "", "USMF, DEMF").unwrap();
    app::environments::server::save(&mut tx, &Actor::cli(), None, &input)
        .await
        .unwrap();
    let env = app::environments::server::by_name(&mut tx, "UAT")
        .await
        .unwrap();
    app::maps::server::apply_starter(&mut tx, &Actor::cli(), &env)
        .await
        .unwrap();
    let map_id: i64 =
        app::db::query_scalar("select id from table_maps where name = 'Customers V3'")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    app::rules::server::import_fields(
        &mut tx,
        &Actor::cli(),
        map_id,
        &tables::field_mappings("CustCustomerV3Entity", "account"),
        "test",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    Setup {
        pool,
        map_id,
        db,
        dir,
    }
}

fn connector(addr: std::net::SocketAddr, timeout: Duration) -> Connector {
    let url = format!("http://{addr}");
    Connector::new(
        server::simulator::connection(&url, "demo"),
        RetryPolicy {
            attempts: 4,
            base: Duration::from_millis(10),
            max_wait: Duration::from_secs(2),
            timeout,
            min_interval: Duration::ZERO,
        },
    )
    .unwrap()
}

fn options(s: &Setup, recheck_ms: u64) -> Options {
    Options {
        recheck_after: Duration::from_millis(recheck_ms),
        work_dir: s.dir.path().join("work"),
        requested_by: "test".into(),
        runner: "test".into(),
    }
}

/// A drifting customers table of `n` records and nothing else.
fn drifting(n: u64) -> SimConfig {
    let mut config = SimConfig {
        lag: Duration::ZERO,
        ..SimConfig::default()
    };
    tables::set_records(&mut config.tables, &format!("CustomersV3={n}")).unwrap();
    tables::set_drift(
        &mut config.tables,
        "CustomersV3:missing_dataverse=0.01,missing_fo=0.01,changed=0.01,enum_mismatch=0.01,precision=0.02,time_zone=0.02",
    )
    .unwrap();
    config
}

/// The real injected differences as (key, kind, field).
fn expected(config: &SimConfig) -> BTreeSet<(String, String, String)> {
    let all = tables::injected(config, "CustomersV3", chrono::Utc::now());
    assert!(
        all.iter().any(|(_, k)| *k == DriftKind::Precision)
            && all.iter().any(|(_, k)| *k == DriftKind::TimeZone),
        "representation-only differences are there to be ignored"
    );
    all.into_iter()
        .filter(|(_, k)| k.is_real())
        .map(|(key, kind)| {
            let (kind, field) = match kind {
                DriftKind::MissingDataverse => ("missing_in_dataverse", ""),
                DriftKind::MissingFo => ("missing_in_fo", ""),
                DriftKind::Changed => ("field", "OrganizationName ↔ name"),
                _ => ("field", "OnHoldStatus ↔ msdyn_onholdstatus"),
            };
            (company_key(&key), kind.to_string(), field.to_string())
        })
        .collect()
}

/// The simulator's key with its legal entity, as a company-specific map
/// names records: every fifth record is in DEMF.
fn company_key(key: &str) -> String {
    let i: u64 = key[3..].parse::<u64>().unwrap() - 1;
    format!("{}/{key}", if i % 5 == 4 { "DEMF" } else { "USMF" })
}

async fn reported(pool: &app::db::Pool, run_id: i64) -> BTreeSet<(String, String, String)> {
    let rows: Vec<(String, String, String)> = app::db::query_as(
        "select record_key, kind, field from reconcile_differences where run_id = $1 and change <> 'fixed'",
    )
    .bind(run_id)
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter().collect()
}

#[tokio::test]
async fn the_sample_and_the_full_diff_report_exactly_the_injected_drift() {
    let s = setup().await;
    let config = drifting(3000);
    let want = expected(&config);
    assert!(want.len() > 60, "{}", want.len());
    let (_sim, addr, _task) = serve("127.0.0.1:0".parse().unwrap(), config.clone())
        .await
        .unwrap();
    let c = connector(addr, Duration::from_secs(5));
    let t = target(&s.pool, &c, s.map_id).await.unwrap();
    assert_eq!(
        (t.fo_set.as_str(), t.dv_set.as_str()),
        ("CustomersV3", "accounts")
    );
    let opts = options(&s, 0);

    // A full diff: every record, exact.
    let run = begin_run(&s.pool, s.map_id, "full", None, &opts)
        .await
        .unwrap();
    let full = run_full(&s.pool, &c, &t, run, &opts).await.unwrap();
    assert_eq!(reported(&s.pool, run).await, want);
    assert_eq!(full.records, 3000);
    assert_eq!(full.new_differences as usize, want.len());
    assert_eq!(full.status, "done");
    assert!(
        !opts.work_dir.join(format!("run-{run}")).exists(),
        "the partition files are removed"
    );

    // A sample as large as the table sees the same.
    let run = begin_run(&s.pool, s.map_id, "sample", Some(5000), &opts)
        .await
        .unwrap();
    let sample = run_sample(&s.pool, &c, &t, run, 5000, &opts).await.unwrap();
    assert_eq!(reported(&s.pool, run).await, want);
    assert_eq!(sample.records, 3000);

    // A small sample reports only real drift, among at most 200 records.
    let run = begin_run(&s.pool, s.map_id, "sample", Some(100), &opts)
        .await
        .unwrap();
    let small = run_sample(&s.pool, &c, &t, run, 100, &opts).await.unwrap();
    assert!(
        small.records <= 200 && small.records >= 100,
        "{}",
        small.records
    );
    assert!(reported(&s.pool, run).await.is_subset(&want));

    // The next full diff: everything persists, and explanations follow.
    let explained: i64 = app::db::query_scalar(
        "update reconcile_differences set explained_by = 'a@example.com', explained_at = '2026-11-27T00:00:00.000Z',
            explanation = 'Renamed in Dataverse on purpose'
         where id = (select min(id) from reconcile_differences where kind = 'field' and run_id =
            (select min(id) from reconcile_runs where kind = 'full')) returning id",
    )
    .fetch_one(&s.pool)
    .await
    .unwrap();
    assert!(explained > 0);
    let run = begin_run(&s.pool, s.map_id, "full", None, &opts)
        .await
        .unwrap();
    let again = run_full(&s.pool, &c, &t, run, &opts).await.unwrap();
    assert_eq!(
        (
            again.new_differences,
            again.persisting as usize,
            again.fixed
        ),
        (0, want.len(), 0)
    );
    let carried: i64 = app::db::query_scalar(
        "select count(*) from reconcile_differences where run_id = $1 and explanation = 'Renamed in Dataverse on purpose'",
    )
    .bind(run)
    .fetch_one(&s.pool)
    .await
    .unwrap();
    assert_eq!(carried, 1);
}

#[tokio::test]
async fn records_caught_mid_sync_are_rechecked_and_cleared_not_reported() {
    let s = setup().await;
    let mut config = SimConfig {
        lag: Duration::from_millis(1500),
        epoch: chrono::Utc::now() - chrono::Duration::seconds(20),
        ..SimConfig::default()
    };
    config.tables = [(
        "CustomersV3".to_string(),
        TableConfig {
            records: 50,
            grow_every: Some(Duration::from_millis(300)),
            update_every: None,
            drift: Default::default(),
        },
    )]
    .into();
    let (_sim, addr, _task) = serve("127.0.0.1:0".parse().unwrap(), config).await.unwrap();
    let c = connector(addr, Duration::from_secs(5));
    let t = target(&s.pool, &c, s.map_id).await.unwrap();
    let opts = options(&s, 2000);
    let run = begin_run(&s.pool, s.map_id, "sample", Some(1000), &opts)
        .await
        .unwrap();
    let out = run_sample(&s.pool, &c, &t, run, 1000, &opts).await.unwrap();
    assert!(out.cleared_by_recheck >= 1, "{out:?}");
    assert_eq!(out.drifting(), 0, "lag is not drift: {out:?}");
    assert!(reported(&s.pool, run).await.is_empty());
}

#[tokio::test]
async fn a_full_diff_is_cancelled_between_pages_and_resumes_from_its_checkpoint() {
    let s = setup().await;
    let config = drifting(30_000);
    let want = expected(&config);
    let (sim, addr, _task) = serve("127.0.0.1:0".parse().unwrap(), config).await.unwrap();
    let c = connector(addr, Duration::from_secs(30));
    let t = target(&s.pool, &c, s.map_id).await.unwrap();
    let opts = options(&s, 0);

    // Cancelled: it stops after the page it is on and keeps no files.
    let run = begin_run(&s.pool, s.map_id, "full", None, &opts)
        .await
        .unwrap();
    app::db::query("update reconcile_runs set cancel_requested = true where id = $1")
        .bind(run)
        .execute(&s.pool)
        .await
        .unwrap();
    let err = run_full(&s.pool, &c, &t, run, &opts).await.unwrap_err();
    assert!(
        matches!(err, server::reconcile::ReconError::Cancelled),
        "{err}"
    );
    let status: String = app::db::query_scalar("select status from reconcile_runs where id = $1")
        .bind(run)
        .fetch_one(&s.pool)
        .await
        .unwrap();
    assert_eq!(status, "cancelled");
    assert!(!opts.work_dir.join(format!("run-{run}")).exists());

    // Stopped mid-way (as a server stop would): the fourth request hangs.
    let run = begin_run(&s.pool, s.map_id, "full", None, &opts)
        .await
        .unwrap();
    sim.plan([
        Fault::Slow(0),
        Fault::Slow(0),
        Fault::Slow(0),
        Fault::Slow(20_000),
    ]);
    let stopped = tokio::time::timeout(
        Duration::from_secs(3),
        run_full(&s.pool, &c, &t, run, &opts),
    )
    .await;
    assert!(stopped.is_err(), "the run was still going");
    let (fo_read, checkpoint): (i64, Option<String>) =
        app::db::query_as("select fo_read, checkpoint from reconcile_runs where id = $1")
            .bind(run)
            .fetch_one(&s.pool)
            .await
            .unwrap();
    assert!((10_000..30_000).contains(&fo_read), "{fo_read}");
    assert!(checkpoint.unwrap().contains("$skip="));

    // Resumed: it reads on from the checkpoint and the result is exact.
    let done = run_full(&s.pool, &c, &t, run, &opts).await.unwrap();
    assert_eq!(reported(&s.pool, run).await, want);
    // Each F&O record read once: resumed, not read again from the start.
    let only_dv = want.iter().filter(|w| w.1 == "missing_in_fo").count() as u64;
    assert_eq!(done.fo_read as u64, 30_000 - only_dv);
}

#[tokio::test]
async fn a_run_whose_server_is_gone_is_taken_over_once_and_resumes_from_its_checkpoint() {
    let s = setup().await;
    let config = drifting(30_000);
    let want = expected(&config);
    let (sim, addr, _task) = serve("127.0.0.1:0".parse().unwrap(), config).await.unwrap();
    let c = std::sync::Arc::new(connector(addr, Duration::from_secs(30)));
    let t = target(&s.pool, &c, s.map_id).await.unwrap();
    let mut opts = options(&s, 0);

    // A run of a server that is still alive (its lease renewed) ...
    let alive = server::lease::Lease::alive_only("alive".into(), Duration::from_secs(30));
    alive.renew(&s.pool).await;
    opts.runner = "alive".into();
    let other_map: i64 =
        app::db::query_scalar("select id from table_maps where name <> 'Customers V3' limit 1")
            .fetch_one(&s.pool)
            .await
            .unwrap();
    let kept = begin_run(&s.pool, other_map, "sample", Some(10), &opts)
        .await
        .unwrap();
    // ... and a full diff of a server that died mid-way (no lease).
    opts.runner = "gone".into();
    let run = begin_run(&s.pool, s.map_id, "full", None, &opts)
        .await
        .unwrap();
    sim.plan([
        Fault::Slow(0),
        Fault::Slow(0),
        Fault::Slow(0),
        Fault::Slow(20_000),
    ]);
    let died = tokio::time::timeout(
        Duration::from_secs(3),
        run_full(&s.pool, &c, &t, run, &opts),
    )
    .await;
    assert!(died.is_err(), "the run was still going");

    // Two live servers look for runs to take over at the same time: one
    // takes it.
    for id in ["b", "c"] {
        server::lease::Lease::alive_only(id.into(), Duration::from_secs(30))
            .renew(&s.pool)
            .await;
    }
    let connectors = std::collections::HashMap::from([("UAT".to_string(), c.clone())]);
    let b = server::reconcile::runner::Reconciler::new(
        s.pool.clone(),
        connectors.clone(),
        opts.work_dir.clone(),
        "b".into(),
    );
    let c2 = server::reconcile::runner::Reconciler::new(
        s.pool.clone(),
        connectors,
        opts.work_dir.clone(),
        "c".into(),
    );
    let (took_b, took_c) = tokio::join!(b.adopt_orphans(), c2.adopt_orphans());
    assert_eq!(took_b.unwrap() + took_c.unwrap(), 1);
    let runner: String = app::db::query_scalar("select runner from reconcile_runs where id = $1")
        .bind(run)
        .fetch_one(&s.pool)
        .await
        .unwrap();
    assert!(runner == "b" || runner == "c", "{runner}");
    let (status, runner): (String, String) =
        app::db::query_as("select status, runner from reconcile_runs where id = $1")
            .bind(kept)
            .fetch_one(&s.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), runner.as_str()), ("running", "alive"));

    // The new server finishes it from the checkpoint, with the exact result.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (status, fo_read): (String, i64) =
            app::db::query_as("select status, fo_read from reconcile_runs where id = $1")
                .bind(run)
                .fetch_one(&s.pool)
                .await
                .unwrap();
        if status != "running" {
            assert_eq!(status, "done");
            let only_dv = want.iter().filter(|w| w.1 == "missing_in_fo").count() as i64;
            assert_eq!(fo_read, 30_000 - only_dv, "each record read once");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the run did not end");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(reported(&s.pool, run).await, want);
    // Nothing more to take over.
    assert_eq!(b.adopt_orphans().await.unwrap(), 0);
}

#[tokio::test]
async fn a_server_whose_run_was_taken_over_writes_nothing_more_to_it() {
    let s = setup().await;
    let (_sim, addr, _task) = serve("127.0.0.1:0".parse().unwrap(), drifting(3000))
        .await
        .unwrap();
    let c = connector(addr, Duration::from_secs(30));
    let t = target(&s.pool, &c, s.map_id).await.unwrap();
    let mut opts = options(&s, 0);
    opts.runner = "stalled".into();
    for kind in ["full", "sample"] {
        let run = begin_run(&s.pool, s.map_id, kind, Some(100), &opts)
            .await
            .unwrap();
        // While this server stalled, another took the run over.
        app::db::query("update reconcile_runs set runner = 'other' where id = $1")
            .bind(run)
            .execute(&s.pool)
            .await
            .unwrap();
        let err = if kind == "full" {
            run_full(&s.pool, &c, &t, run, &opts).await.unwrap_err()
        } else {
            run_sample(&s.pool, &c, &t, run, 100, &opts)
                .await
                .unwrap_err()
        };
        assert!(
            matches!(err, server::reconcile::ReconError::TakenOver),
            "{kind}: {err}"
        );
        let (status, runner, records): (String, String, i64) =
            app::db::query_as("select status, runner, records from reconcile_runs where id = $1")
                .bind(run)
                .fetch_one(&s.pool)
                .await
                .unwrap();
        assert_eq!(
            (status.as_str(), runner.as_str(), records),
            ("running", "other", 0),
            "{kind}"
        );
        // The other server ends it; the map may run again.
        app::db::query("update reconcile_runs set status = 'done' where id = $1")
            .bind(run)
            .execute(&s.pool)
            .await
            .unwrap();
    }
}

// The child process blocks this thread; the simulator needs another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_prints_json_and_gates_a_pipeline_on_drift() {
    let s = setup().await;
    let config = drifting(2000);
    let want = expected(&config);
    let (_sim, addr, _task) = serve("127.0.0.1:0".parse().unwrap(), config).await.unwrap();
    let db = &s.db;
    let settings = s.dir.path().join("dwconsole.toml");
    std::fs::write(
        &settings,
        format!(
            "[connections.\"UAT\"]\ntenant = \"contoso\"\nclient_id = \"demo\"\nclient_secret_env = \"DW_TEST_SECRET\"\nauthority = \"http://{addr}\"\ndataverse_url = \"http://{addr}\"\nfo_url = \"http://{addr}\"\n"
        ),
    )
    .unwrap();
    let run = |extra: &[&str]| {
        crate::cli::dwconsole()
            .args(["reconcile", "--env", "UAT", "--recheck-secs", "0"])
            .args(extra)
            .arg("--config")
            .arg(&settings)
            .arg("--database")
            .arg(db)
            .env("DW_TEST_SECRET", "demo")
            .output()
            .unwrap()
    };
    let out = run(&["--map", "Customers V3", "--full", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("is above --max-drift 0"));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["records"], 2000);
    assert_eq!(json["differences"].as_array().unwrap().len(), want.len());
    let drifting = want.iter().map(|w| &w.0).collect::<BTreeSet<_>>().len() as f64;
    assert!((json["drift_rate"].as_f64().unwrap() - drifting / 2000.0).abs() < 1e-9);

    let out = run(&[
        "--map",
        "Customers V3",
        "--sample",
        "50",
        "--max-drift",
        "0.9",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Sample of 'Customers V3' in UAT"));

    let out = run(&["--map", "Customers"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no table map named 'Customers'") && err.contains("Customers V3"),
        "{err}"
    );
    let stored: i64 = app::db::query_scalar(
        "select count(*) from reconcile_runs where requested_by = 'cli' and status = 'done'",
    )
    .fetch_one(&s.pool)
    .await
    .unwrap();
    assert_eq!(stored, 2);
}

#[tokio::test]
async fn the_page_shows_results_and_editors_explain_differences_with_an_audit_entry() {
    use reqwest::StatusCode;
    let app = crate::maps::app_with_uat().await;
    let res = app
        .post_form("/sfn/apply_starter_set", &[("env", "UAT")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let map_id: i64 =
        app::db::query_scalar("select id from table_maps where name = 'Customers V3'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let page = app
        .get(&format!("/maps/{map_id}/reconcile"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Document the map&#x27;s field mappings first")
            || page.contains("Document the map's field mappings first"),
        "{page}"
    );

    // A composite key cannot be matched yet, and the page says so.
    let invoices: i64 =
        app::db::query_scalar("select id from table_maps where name = 'Sales invoice headers V2'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let page = app
        .get(&format!("/maps/{invoices}/reconcile"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("has a composite integration key (LedgerVoucher, InvoiceDate, InvoiceNumber")
    );

    // No connection: a run cannot start, and says why.
    let res = app
        .post_form(
            "/sfn/start_reconcile",
            &[("map_id", &map_id.to_string()), ("full", "false")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("No connection is configured for 'UAT'")
    );

    // A stored result, as a run leaves it.
    let run: i64 = app::db::query_scalar(
        "insert into reconcile_runs (map_id, kind, status, requested_by, started_at, finished_at, sample_size, recheck_secs,
            records, missing_in_dataverse, differing, new_differences)
         values ($1, 'sample', 'done', 'schedule', '2026-11-27T01:00:00.000Z', '2026-11-27T01:00:05.000Z', 100, 5, 200, 1, 1, 2)
         returning id",
    )
    .bind(map_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let diff: i64 = app::db::query_scalar(
        "insert into reconcile_differences (run_id, record_key, kind, field, fo_value, dataverse_value, change)
         values ($1, 'US-000042', 'field', 'OrganizationName ↔ name', 'Contoso', 'Contoso (old)', 'new') returning id",
    )
    .bind(run)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let page = app
        .get(&format!("/maps/{map_id}/reconcile"))
        .await
        .text()
        .await
        .unwrap();
    for text in [
        "US-000042",
        "Contoso (old)",
        "1.00 %",
        "Sample of 100 per side",
    ] {
        assert!(page.contains(text), "{text}");
    }

    app.add_user("viewer@example.com", "viewer").await;
    let viewer = app.sign_in("viewer@example.com").await;
    let explain = [
        ("difference_id", diff.to_string()),
        ("explanation", "Renamed on purpose in Dataverse".to_string()),
    ];
    let explain: Vec<(&str, &str)> = explain.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = app
        .post_form_with(&viewer, "/sfn/explain_difference", &explain)
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .post_form(
            "/sfn/explain_difference",
            &[("difference_id", &diff.to_string()), ("explanation", "  ")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app.post_form("/sfn/explain_difference", &explain).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (by, why): (String, String) = app::db::query_as(
        "select explained_by, explanation from reconcile_differences where id = $1",
    )
    .bind(diff)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (by.as_str(), why.as_str()),
        ("admin@example.com", "Renamed on purpose in Dataverse")
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"reconcile.explain".to_string())
    );

    // Settings are checked, stored and audited; cancelling a finished run is refused.
    let res = app
        .post_form(
            "/sfn/save_reconcile_settings",
            &[
                ("map_id", &map_id.to_string()),
                ("sample_size", "0"),
                ("full_every_days", "7"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Sample size"));
    let res = app
        .post_form(
            "/sfn/save_reconcile_settings",
            &[
                ("map_id", &map_id.to_string()),
                ("sample_size", "250"),
                ("full_every_days", "7"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let saved: (i64, i64) = app::db::query_as(
        "select sample_size, full_every_days from reconcile_settings where map_id = $1",
    )
    .bind(map_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(saved, (250, 7));
    let res = app
        .post_form("/sfn/cancel_reconcile", &[("run_id", &run.to_string())])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_test_record_gate_reads_one_record_on_both_sides_through_the_field_mappings() {
    use app::cutover::gate::judge_record;
    let s = setup().await;
    let config = drifting(500);
    let drift = tables::injected(&config, "CustomersV3", chrono::Utc::now());
    let of = |kind: DriftKind| {
        drift
            .iter()
            .find(|(_, k)| *k == kind)
            .map(|(key, _)| key.clone())
            .unwrap()
    };
    let clean = (1..=500)
        .map(|i| format!("US-{i:06}"))
        .find(|k| !drift.iter().any(|(d, _)| d == k))
        .unwrap();
    let (_sim, addr, _task) = serve("127.0.0.1:0".parse().unwrap(), config.clone())
        .await
        .unwrap();
    let c = connector(addr, Duration::from_secs(5));
    let read = |key: String| {
        let (pool, c, map) = (s.pool.clone(), &c, s.map_id);
        async move {
            let sides = server::gates::read_record(&pool, c, map, &key)
                .await
                .unwrap();
            judge_record("Customers V3", &key, &sides)
        }
    };
    // A record synced as it should be: on both sides, the same.
    let e = read(clean.clone()).await;
    assert!(e.pass, "{e:?}");
    assert!(e.findings[0].detail.contains("the same in all"), "{e:?}");
    // Its legal entity may be named; another one finds nothing.
    assert!(read(company_key(&clean)).await.pass);
    let other = if company_key(&clean).starts_with("USMF") {
        "DEMF"
    } else {
        "USMF"
    };
    let e = read(format!("{other}/{clean}")).await;
    assert!(e.summary.contains("not found on either side"), "{e:?}");
    // A record changed in Dataverse shows the field and both values.
    let e = read(of(DriftKind::Changed)).await;
    assert!(!e.pass, "{e:?}");
    assert!(e.summary.contains("OrganizationName ↔ name: F&O"), "{e:?}");
    // A record not (yet) in Dataverse.
    let e = read(of(DriftKind::MissingDataverse)).await;
    assert!(!e.pass && e.summary.contains("in F&O only"), "{e:?}");
    // A representation-only difference is no difference.
    assert!(read(of(DriftKind::Precision)).await.pass);
    // A key no side has.
    let e = read("US-999999".into()).await;
    assert!(
        !e.pass && e.summary.contains("not found on either side"),
        "{e:?}"
    );
}
