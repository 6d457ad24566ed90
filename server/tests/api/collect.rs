//! Collectors against the simulator over real HTTP: paging, 429 storms,
//! 5xx, slow and truncated answers, a wrong secret. A failed run writes
//! nothing but its own record; the next run catches up exactly.

use crate::helpers::*;
use app::audit::server::Actor;
use server::collect::collect_errors;
use server::connect::{Connector, RetryPolicy};
use server::simulator::{DriftKind, Fault, SimConfig, TableConfig, serve};
use std::time::Duration;

struct Setup {
    pool: app::db::Pool,
    env: app::environments::Environment,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::helpers::new_database(dir.path(), "collect.db");
    let pool = server::db::connect(&db).await.unwrap();
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
    Connector::new(server::simulator::connection(&url, secret), policy).unwrap()
}

fn sim_config(hours: i64, every_secs: u64) -> SimConfig {
    SimConfig {
        start: chrono::Utc::now() - chrono::Duration::hours(hours),
        trace_every: Duration::from_secs(every_secs),
        ..SimConfig::default()
    }
}

async fn count(pool: &app::db::Pool, sql: &'static str) -> i64 {
    app::db::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn trace_logs_arrive_across_pages_classified_mapped_and_never_twice() {
    let s = setup().await;
    // About 2,160 rows: three pages of 1,000.
    let (sim, addr, _task) = serve("127.0.0.1:0".parse().unwrap(), sim_config(6, 10))
        .await
        .unwrap();
    let c = connector(addr, "demo", quick());
    let first = collect_errors(&s.pool, &Default::default(), &s.env, &c)
        .await
        .unwrap();
    assert!(first.read > 2000, "{first:?}");
    assert_eq!(first.stored, first.read);
    assert!(sim.requests() >= 3, "followed @odata.nextLink");
    let categories: Vec<String> =
        app::db::query_scalar("select distinct category from error_groups order by 1")
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

    let again = collect_errors(&s.pool, &Default::default(), &s.env, &c)
        .await
        .unwrap();
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
    let out = collect_errors(&s.pool, &Default::default(), &s.env, &c)
        .await
        .unwrap();
    assert!(out.stored > 100, "{out:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
    assert_eq!(sim.requests(), 4, "three faults, then the answer");

    // A slow answer beyond the timeout is retried too.
    sim.plan([Fault::Slow(1500)]);
    let out = collect_errors(&s.pool, &Default::default(), &s.env, &c)
        .await
        .unwrap();
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
    let err = collect_errors(&s.pool, &Default::default(), &s.env, &c)
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
        app::db::query_as("select outcome, error from collector_runs")
            .fetch_one(&s.pool)
            .await
            .unwrap();
    assert_eq!(outcome, "failed");
    assert!(recorded.contains("HTTP 429"));

    let out = collect_errors(&s.pool, &Default::default(), &s.env, &c)
        .await
        .unwrap();
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
}

#[tokio::test]
async fn a_wrong_secret_fails_the_run_with_the_services_reason() {
    let s = setup().await;
    let (_sim, addr, _task) = serve("127.0.0.1:0".parse().unwrap(), sim_config(1, 60))
        .await
        .unwrap();
    let c = connector(addr, "not the secret", quick());
    let err = collect_errors(&s.pool, &Default::default(), &s.env, &c)
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

#[test]
fn the_real_sample_bodies_parse_with_the_connector_code() {
    use server::connect::{error_message, page_parts};
    let read = |f: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(format!(
            "{}/tests/fixtures/samples/{f}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let p1 = read("dataverse_contacts_page1.json");
    let parts = page_parts(&p1).unwrap();
    assert!(!parts.rows.is_empty() && parts.next.is_some());
    let p2 = read("dataverse_contacts_page2.json");
    let parts = page_parts(&p2).unwrap();
    assert_eq!(parts.rows.len(), 2);
    assert!(
        parts.next.unwrap().contains("pagenumber=%223%22"),
        "the cookie is followed as given"
    );
    let counted = read("dataverse_accounts_count_page.json");
    let parts = page_parts(&counted).unwrap();
    assert_eq!((parts.count, parts.count_limit_exceeded), (Some(10), true));
    let traces = read("dataverse_plugintracelogs.json");
    assert_eq!(
        page_parts(&traces).unwrap().rows[0]["messageblock"],
        "FollowupPlugin: Creating the task activity."
    );
    let fo = read("fo_customersv3_page.composed.json");
    let parts = page_parts(&fo).unwrap();
    assert_eq!(parts.rows[0]["CustomerAccount"], "US-001");
    assert!(parts.next.unwrap().contains("$skip=10000"));
    for (f, says) in [
        ("dataverse_error_400_plugin.json", "Example Error Message."),
        (
            "dataverse_error_429.composed.json",
            "Number of requests exceeded the limit",
        ),
    ] {
        let body = read(f).to_string();
        assert!(
            error_message(&body).contains(says),
            "{f}: {}",
            error_message(&body)
        );
    }
    assert!(page_parts(&read("dataverse_error_envelope.json")).is_err());

    // The simulator's answers have the same shape.
    let config = SimConfig::default();
    let q = std::collections::HashMap::from([("$count".to_string(), "true".to_string())]);
    let sim_page = server::simulator::accounts_page_for_tests(&config, &q);
    let parts = page_parts(&sim_page).unwrap();
    assert_eq!(parts.count, Some(5000));
    assert!(parts.count_limit_exceeded);
    for key in ["@odata.etag", "accountid", "accountnumber"] {
        assert!(parts.rows[0].get(key).is_some(), "{key}");
    }
    let table = server::simulator::tables::Table::find(&config, "CustomersV3").unwrap();
    let q = std::collections::HashMap::from([("cross-company".to_string(), "true".to_string())]);
    let sim_fo = table
        .fo_page(
            &q,
            "http://127.0.0.1/data/CustomersV3",
            "cross-company=true",
            chrono::Utc::now(),
        )
        .unwrap();
    let parts = page_parts(&sim_fo).unwrap();
    assert_eq!(parts.rows.len(), 10_000, "server-driven pages of 10,000");
    assert_eq!(
        parts.next,
        Some("http://127.0.0.1/data/CustomersV3?cross-company=true&$skip=10000")
    );
    for key in fo["value"][0].as_object().unwrap().keys() {
        assert!(parts.rows[0].get(key).is_some(), "the sample's {key}");
    }
}

#[tokio::test]
async fn counts_and_keys_come_from_both_sides_through_paging_and_faults() {
    let (sim, addr, _task) = serve("127.0.0.1:0".parse().unwrap(), SimConfig::default())
        .await
        .unwrap();
    let c = connector(addr, "demo", quick());
    let fo = format!("http://{addr}");
    let config = SimConfig::default();
    let now = chrono::Utc::now();
    let (fo_n, dv_n) = server::simulator::tables::side_counts(&config, "CustomersV3", now);
    let injected = server::simulator::tables::injected(&config, "CustomersV3", now);
    let only_fo = |kind| injected.iter().filter(|(_, k)| *k == kind).count() as u64;
    assert_eq!(fo_n, 12_480 - only_fo(DriftKind::MissingFo));
    assert_eq!(dv_n, 12_480 - only_fo(DriftKind::MissingDataverse));
    // Over 5,000: Dataverse's count says "more", so the keys are paged.
    sim.plan([Fault::Slow(0), Fault::Throttle(0), Fault::Truncated]);
    assert_eq!(
        c.dataverse_count("accounts", "accountnumber")
            .await
            .unwrap(),
        dv_n
    );
    assert_eq!(c.fo_count(&fo, "CustomersV3").await.unwrap(), fo_n);
    let mut fo_keys = Vec::new();
    c.fo_keys(&fo, "CustomersV3", "CustomerAccount", |k| {
        fo_keys.push(k.to_string())
    })
    .await
    .unwrap();
    let mut dv_keys = std::collections::HashSet::new();
    c.dataverse_keys("accounts", "accountnumber", |k| {
        dv_keys.insert(k.to_string());
    })
    .await
    .unwrap();
    assert_eq!(fo_keys.len() as u64, fo_n);
    let missing: std::collections::BTreeSet<String> = fo_keys
        .iter()
        .filter(|k| !dv_keys.contains(*k))
        .cloned()
        .collect();
    let expected: std::collections::BTreeSet<String> = injected
        .iter()
        .filter(|(_, k)| *k == DriftKind::MissingDataverse)
        .map(|(key, _)| key.clone())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(missing, expected, "exactly the injected missing records");

    // Under 5,000 the count itself is the answer: one request.
    let (small, addr, _task) = serve(
        "127.0.0.1:0".parse().unwrap(),
        SimConfig {
            tables: [("CustomersV3".to_string(), TableConfig::fixed(300))].into(),
            ..SimConfig::default()
        },
    )
    .await
    .unwrap();
    let c = connector(addr, "demo", quick());
    assert_eq!(
        c.dataverse_count("accounts", "accountnumber")
            .await
            .unwrap(),
        300
    );
    assert_eq!(small.requests(), 1);
}

#[tokio::test]
async fn map_states_are_recorded_per_map_when_they_change_and_failures_write_nothing() {
    use server::collect::collect_map_states;
    let s = setup().await;
    let (sim, addr, _task) = serve("127.0.0.1:0".parse().unwrap(), SimConfig::default())
        .await
        .unwrap();
    let c = connector(addr, "demo", quick());
    sim.plan([Fault::ServerError(503); 4]);
    let err = collect_map_states(&s.pool, &s.env, &c)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/data/DualWriteProjectConfigurations: HTTP 503"),
        "{err}"
    );
    assert_eq!(
        count(&s.pool, "select count(*) from map_state_observations").await,
        0
    );

    let out = collect_map_states(&s.pool, &s.env, &c).await.unwrap();
    assert_eq!(out.read, 12, "two project rows per synced map");
    assert_eq!(out.stored, 6, "one state per synced starter map");
    let states: Vec<(String, String)> = app::db::query_as(
        "select m.name, o.state from map_state_observations o join table_maps m on m.id = o.map_id order by m.name",
    )
    .fetch_all(&s.pool)
    .await
    .unwrap();
    assert!(
        states.iter().any(|(n, _)| n == "Customers V3"),
        "{states:?}"
    );
    assert!(
        states
            .iter()
            .all(|(_, st)| st == "running" || st == "paused"),
        "{states:?}"
    );
    let again = collect_map_states(&s.pool, &s.env, &c).await.unwrap();
    assert!(again.stored <= 1, "only changes are recorded: {again:?}");
}

#[tokio::test]
async fn record_counts_come_per_map_from_both_sides_and_a_failed_run_writes_none() {
    use server::collect::collect_counts;
    use server::simulator::tables::{set_records, side_counts};
    let s = setup().await;
    let mut config = SimConfig::default();
    // Payment terms are left out: that map's names resolve to nothing.
    set_records(
        &mut config.tables,
        "CustomersV3=12480,CDSContactPersonsV2=900,ReleasedProductsV2=5200,SalesInvoiceHeadersV2=20000,CDSSalesQuotationHeaders=310",
    )
    .unwrap();
    let (sim, addr, _task) = serve("127.0.0.1:0".parse().unwrap(), config.clone())
        .await
        .unwrap();
    let c = connector(addr, "demo", quick());

    // The metadata request fails every attempt: the run fails, nothing is stored.
    sim.plan([Fault::ServerError(503); 4]);
    let err = collect_counts(&s.pool, &s.env, &c)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("/Metadata/DataEntities: HTTP 503"), "{err}");
    assert_eq!(
        count(&s.pool, "select count(*) from record_counts").await,
        0
    );
    assert_eq!(
        count(
            &s.pool,
            "select count(*) from collector_runs where collector = 'counts' and outcome = 'failed'"
        )
        .await,
        1
    );

    // A 429 storm and a truncated page are retried; the next run stores all.
    sim.plan([Fault::Throttle(0), Fault::Throttle(0), Fault::Truncated]);
    let out = collect_counts(&s.pool, &s.env, &c).await.unwrap();
    assert_eq!(out.stored, 6, "one row per synced starter map: {out:?}");
    let rows: Vec<(String, Option<i64>, Option<i64>, String)> = app::db::query_as(
        "select m.name, c.fo_count, c.dataverse_count, c.problem
         from record_counts c join table_maps m on m.id = c.map_id where c.company = '' order by m.name",
    )
    .fetch_all(&s.pool)
    .await
    .unwrap();
    let by_name = |n: &str| rows.iter().find(|r| r.0 == n).unwrap().clone();
    let now = chrono::Utc::now();
    let (fo, dv) = side_counts(&config, "CustomersV3", now);
    assert_ne!(fo, dv, "Customers V3 drifts");
    let customers = by_name("Customers V3");
    assert_eq!(
        (customers.1, customers.2),
        (Some(fo as i64), Some(dv as i64))
    );
    assert_eq!(customers.3, "");
    let invoices = by_name("Sales invoice headers V2");
    assert_eq!(
        (invoices.1, invoices.2),
        (Some(20_000), Some(20_000)),
        "paged past 5,000"
    );
    let contacts = by_name("CDS Contacts V2");
    assert_eq!(
        (contacts.1, contacts.2),
        (Some(900), Some(900)),
        "counted in one request"
    );
    let terms = by_name("Terms of payment");
    assert_eq!((terms.1, terms.2), (None, None));
    assert!(
        terms
            .3
            .contains("no OData entity set for the data entity PaymentTermEntity")
            && terms
                .3
                .contains("Dataverse has no table named msdyn_paymentterm"),
        "{}",
        terms.3
    );
    assert!(
        rows.iter().all(|r| r.0 != "Worker"),
        "maps that are not synced are not counted"
    );

    // Company-specific maps are counted per legal entity in scope (USMF).
    type PerCompany = (String, String, Option<i64>, Option<i64>, String);
    let per: Vec<PerCompany> = app::db::query_as(
        "select m.name, c.company, c.fo_count, c.dataverse_count, c.problem
         from record_counts c join table_maps m on m.id = c.map_id where c.company <> '' order by m.name",
    )
    .fetch_all(&s.pool)
    .await
    .unwrap();
    let usmf = per.iter().find(|r| r.0 == "Customers V3").unwrap();
    assert_eq!(usmf.1, "USMF");
    // Every fifth simulated record is in DEMF.
    let (fo_usmf, dv_usmf) = (usmf.2.unwrap(), usmf.3.unwrap());
    assert!(
        (fo_usmf - fo as i64 * 4 / 5).abs() < 30,
        "{fo_usmf} of {fo}"
    );
    assert!(
        (dv_usmf - dv as i64 * 4 / 5).abs() < 30,
        "{dv_usmf} of {dv}"
    );
    assert!(
        fo_usmf > 5000 && dv_usmf > 5000,
        "Dataverse paged past 5,000 per company too"
    );
    let invoices = per
        .iter()
        .find(|r| r.0 == "Sales invoice headers V2")
        .unwrap();
    assert_eq!(invoices.2, Some(16_000));
    assert_eq!(invoices.3, None);
    assert!(
        invoices.4.contains("names no company lookup"),
        "{}",
        invoices.4
    );
}

#[tokio::test]
async fn simulated_tables_answer_filters_scopes_and_metadata_like_the_services() {
    let (_sim, addr, _task) = serve("127.0.0.1:0".parse().unwrap(), SimConfig::default())
        .await
        .unwrap();
    let c = connector(addr, "demo", quick());
    let base = format!("http://{addr}");

    // Dataverse: a key lookup by an `or` chain, with $select.
    let page = c
        .get_json(
            &format!("{base}/api/data/v9.2/accounts?$select=accountnumber,name&$filter=accountnumber eq 'US-000003' or accountnumber eq 'us-000011'"),
            None,
        )
        .await
        .unwrap();
    let keys: Vec<&str> = page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["accountnumber"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["US-000003", "US-000011"]);
    assert!(
        page["value"][0].get("accountid").is_some(),
        "the id always comes"
    );
    assert!(
        page["value"][0].get("creditlimit").is_none(),
        "$select holds"
    );

    // F&O: the default company unless cross-company=true.
    let usmf = c.fo_count(&base, "CustomersV3").await.unwrap();
    let only_default = c
        .get_count(&format!("{base}/data/CustomersV3/$count"))
        .await
        .unwrap();
    let demf = c
        .get_count(&format!(
            "{base}/data/CustomersV3/$count?cross-company=true&$filter=dataAreaId eq 'DEMF'"
        ))
        .await
        .unwrap();
    assert!(demf > 0 && only_default > demf);
    assert_eq!(usmf, only_default + demf);
    let page = c
        .fo_json("CustomersV3?cross-company=true&$filter=CustomerAccount eq 'US-000005'&$select=CustomerAccount,OnHoldStatus")
        .await
        .unwrap();
    assert_eq!(
        page["value"][0]["dataAreaId"],
        serde_json::Value::Null,
        "$select holds"
    );
    assert!(
        page["value"][0]["OnHoldStatus"].is_string(),
        "enums come as labels"
    );

    // What the simulator does not understand is a 400 that says so.
    let err = c
        .get_json(
            &format!("{base}/api/data/v9.2/accounts?$filter=contains(name,'x')"),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(err.status, Some(400));
    assert!(err.message.contains("not supported"), "{err}");
    let err = c
        .get_json(
            &format!("{base}/api/data/v9.2/accounts?$select=nosuchcolumn"),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        err.message
            .contains("Could not find a property named 'nosuchcolumn'"),
        "{err}"
    );
    let err = c
        .get_json(&format!("{base}/api/data/v9.2/widgets"), None)
        .await
        .unwrap_err();
    assert_eq!(err.status, Some(404));

    // Metadata gives the entity sets.
    assert_eq!(
        c.fo_entity_set("CustCustomerV3Entity")
            .await
            .unwrap()
            .as_deref(),
        Some("CustomersV3")
    );
    assert_eq!(c.fo_entity_set("NoSuchEntity").await.unwrap(), None);
    assert_eq!(
        c.dataverse_entity_set("contact").await.unwrap(),
        Some(("contacts".into(), "contactid".into()))
    );
    assert_eq!(c.dataverse_entity_set("widget").await.unwrap(), None);
}

#[tokio::test]
async fn under_load_the_simulator_throttles_and_the_collector_waits_its_retry_after() {
    use server::collect::collect_counts;
    use server::simulator::RateLimit;
    let s = setup().await;
    let mut config = SimConfig {
        limit: Some(RateLimit {
            requests: 6,
            window: Duration::from_secs(1),
        }),
        ..SimConfig::default()
    };
    server::simulator::tables::set_records(
        &mut config.tables,
        "CustomersV3=40,CDSContactPersonsV2=30,ReleasedProductsV2=20,SalesInvoiceHeadersV2=10,PaymentTerms=5,CDSSalesQuotationHeaders=3",
    )
    .unwrap();
    let (sim, addr, _task) = serve("127.0.0.1:0".parse().unwrap(), config.clone())
        .await
        .unwrap();
    let c = connector(addr, "demo", quick());
    let out = collect_counts(&s.pool, &s.env, &c).await.unwrap();
    assert_eq!(out.stored, 6);
    assert!(sim.throttled() > 0, "about 24 requests at 6 a second");
    let total: i64 = app::db::query_scalar(
        "select cast(sum(fo_count) as bigint) from record_counts where company = ''",
    )
    .fetch_one(&s.pool)
    .await
    .unwrap();
    let expected: u64 = config
        .tables
        .keys()
        .map(|set| server::simulator::tables::side_counts(&config, set, chrono::Utc::now()).0)
        .sum();
    assert_eq!(total as u64, expected, "every count complete");
    assert_eq!(
        count(
            &s.pool,
            "select count(*) from collector_runs where outcome = 'failed'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn throughput_is_read_in_whole_minutes_once_with_failures_from_the_queue() {
    use server::collect::{THROUGHPUT, collect_throughput};
    let s = setup().await;
    let now = chrono::Utc::now();
    let minute = now.timestamp().div_euclid(60) * 60;
    // A new customer every minute since two hours ago, seen at once.
    let mut config = SimConfig {
        epoch: chrono::DateTime::from_timestamp(minute - 120 * 60, 0).unwrap(),
        lag: Duration::ZERO,
        ..sim_config(6, 60)
    };
    config.tables = [(
        "CustomersV3".to_string(),
        TableConfig {
            records: 200,
            grow_every: Some(Duration::from_secs(60)),
            update_every: None,
            drift: Default::default(),
        },
    )]
    .into();
    let (_sim, addr, _task) = serve("127.0.0.1:0".parse().unwrap(), config).await.unwrap();
    let c = connector(addr, "demo", quick());
    // Failures come from the error queue, so fill it first.
    collect_errors(&s.pool, &Default::default(), &s.env, &c)
        .await
        .unwrap();

    let out = collect_throughput(&s.pool, &s.env, &c, now).await.unwrap();
    // The hour before the last two (settling) minutes: 60 new customers.
    assert_eq!(out.read, 60, "{out:?}");
    let synced: i64 = count(
        &s.pool,
        "select cast(sum(synced) as bigint) from throughput where grain = 'minute'",
    )
    .await;
    assert_eq!(synced, 60);
    let direction: String =
        app::db::query_scalar("select distinct direction from throughput where synced > 0")
            .fetch_one(&s.pool)
            .await
            .unwrap();
    assert_eq!(direction, "fo_to_dataverse", "customers are owned by F&O");
    let to = chrono::DateTime::from_timestamp(minute - 120, 0).unwrap();
    let from = to - chrono::Duration::hours(1);
    let expected_failed: i64 = app::db::query_scalar(
        "select count(*) from error_entries e join error_groups g on g.id = e.group_id
         join table_maps m on m.id = g.map_id
         where m.direction <> 'not_synced' and e.occurred_at >= $1 and e.occurred_at < $2",
    )
    .bind(app::db::db_time(from))
    .bind(app::db::db_time(to))
    .fetch_one(&s.pool)
    .await
    .unwrap();
    let failed: i64 = count(
        &s.pool,
        "select coalesce(cast(sum(failed) as bigint), 0) from throughput where grain = 'minute'",
    )
    .await;
    assert!(expected_failed > 0);
    assert_eq!(
        failed, expected_failed,
        "every failure of a synced map, by its map"
    );

    // The same minutes again add nothing; the cursor moved past them.
    let again = collect_throughput(&s.pool, &s.env, &c, now).await.unwrap();
    assert_eq!(again.stored, 0);
    app::db::query("delete from collector_cursors where collector = $1")
        .bind(THROUGHPUT)
        .execute(&s.pool)
        .await
        .unwrap();
    let reread = collect_throughput(&s.pool, &s.env, &c, now).await.unwrap();
    assert_eq!(
        (reread.read, reread.stored),
        (60, 0),
        "read again, counted once"
    );
    assert_eq!(
        count(
            &s.pool,
            "select cast(sum(synced) as bigint) from throughput where grain = 'day'"
        )
        .await,
        60
    );
}

#[tokio::test]
async fn a_connection_test_is_shown_from_the_store_and_a_link_cannot_make_one_up() {
    let app = spawn_app_with(|s| s.demo = true).await;
    app.setup_admin().await;
    let res = app
        .post_form("/sfn/test_connection", &[("env", "Simulated demo")])
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/collectors?test="), "{location}");
    let page = app.get(&location).await.text().await.unwrap();
    assert!(
        page.contains("Connection test of Simulated demo: every check passed"),
        "{page}"
    );
    assert!(page.contains("✓ Sign-in (token): signed in as demo"));
    assert!(page.contains("✓ F&amp;O dual-write projects: readable"));
    // What the address says is not shown: the old form, and a made-up token.
    // A token the console does not keep (wrong, or older than a day) says
    // so, without a word of the address.
    for (forged, gone) in [
        (
            "/collectors?tested=UAT&result=%E2%9C%93+Call+0100+to+re-enter+your+password",
            false,
        ),
        ("/collectors?test=0123456789abcdef0123456789abcdef", true),
        ("/collectors?test=%3Cb%3Ebold%3C%2Fb%3E", true),
    ] {
        let page = app.get(forged).await.text().await.unwrap();
        assert!(
            !page.contains("data-testid=\"connection-test\""),
            "{forged}"
        );
        assert!(
            !page.contains("Call 0100")
                && !page.contains("<b>bold")
                && !page.contains("0123456789abcdef"),
            "{forged}"
        );
        assert_eq!(
            page.contains(
                "result is no longer kept (results are kept for a day), or the link is wrong."
            ) && page.contains("Run the test again below."),
            gone,
            "{forged}"
        );
    }
    // A day later the real test's link says the same.
    app::db::query("update connection_tests set tested_at = '2000-01-01T00:00:00.000000Z'")
        .execute(&app.pool)
        .await
        .unwrap();
    let page = app.get(&location).await.text().await.unwrap();
    assert!(page.contains("connection-test-gone"), "{page}");
    assert!(!page.contains("every check passed"));
}

#[tokio::test]
async fn the_collectors_page_says_which_server_runs_the_scheduled_work() {
    // A long lease: this server renews it once, at start.
    let app = spawn_app_with(|s| s.lease_ttl = Duration::from_secs(3600)).await;
    app.setup_admin().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let me: String = loop {
        let holder: Option<String> =
            app::db::query_scalar("select holder from leases where name = 'scheduler'")
                .fetch_optional(&app.pool)
                .await
                .unwrap();
        if let Some(h) = holder {
            break h;
        }
        assert!(std::time::Instant::now() < deadline, "no scheduler lease");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // One server: nothing to say.
    let page = app.get("/collectors").await.text().await.unwrap();
    assert!(!page.contains("data-testid=\"scheduling\""));
    // A second server joins.
    app::db::query("insert into leases (name, holder, term, acquired_at, expires_at) values ('server:other:1:abcd', 'other:1:abcd', 1, '2026-12-07T10:00:00.000Z', '2999-01-01T00:00:00.000Z')")
        .execute(&app.pool)
        .await
        .unwrap();
    let page = app.get("/collectors").await.text().await.unwrap();
    assert!(
        page.contains(&format!(
            "2 servers share this database; the scheduled work (these collectors among it) runs on {me}"
        )),
        "{page}"
    );
    // The holder's lease ran out and no server has taken it yet.
    app::db::query(
        "update leases set expires_at = '2000-01-01T00:00:00.000Z' where name = 'scheduler'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let page = app.get("/collectors").await.text().await.unwrap();
    assert!(
        page.contains("No server runs the scheduled work right now"),
        "{page}"
    );
}
