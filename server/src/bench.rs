//! Small helpers the benchmark binaries share: positional arguments,
//! percentiles and peak memory. Benchmarks print figures; they are not
//! timed tests.

use std::time::Duration;

/// The `n`th command-line argument as a number (`_` separators allowed),
/// or `default`.
pub fn arg<T: std::str::FromStr>(n: usize, default: T) -> T {
    std::env::args()
        .nth(n)
        .and_then(|a| a.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// The `p` quantile (0.0–1.0) of sorted durations, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// The process's peak resident memory (`VmHWM`) in MiB, or NaN off Linux.
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map(|kib| kib / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Server time of one page: the request in through the real router, the
/// whole body out. Returns the time and the body's length; a non-2xx
/// answer is an error naming the path.
pub async fn timed_get(
    router: &axum::Router,
    cookie: &str,
    path: &str,
) -> anyhow::Result<(Duration, usize)> {
    use tower::ServiceExt as _;
    let req = http::Request::get(path)
        .header("cookie", cookie)
        .header("accept", "text/html")
        .body(axum::body::Body::empty())?;
    let start = std::time::Instant::now();
    let res = router.clone().oneshot(req).await?;
    anyhow::ensure!(res.status().is_success(), "{path}: {}", res.status());
    let body = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
    Ok((start.elapsed(), body.len()))
}

/// What [`seed`] made: an API token and an admin's session secret.
pub struct Seeded {
    /// The API token's secret, for `Authorization: Bearer`.
    pub token: String,
    /// The admin's session secret, for the session cookie.
    pub session: String,
}

/// A benchmark's starting point in one transaction: the environment
/// `name` with the starter maps, an admin with a two-hour session, and an
/// API token.
pub async fn seed(
    pool: &app::db::Pool,
    name: &str,
    legal_entities: &str,
) -> anyhow::Result<Seeded> {
    use app::audit::server::Actor;
    let cli = Actor::cli();
    let e = |e: app::error::AppError| anyhow::anyhow!("{e}");
    let mut tx = pool.begin().await?;
    let admin =
        app::auth::server::insert_user(&mut tx, "bench@example.com", "x", app::auth::Role::Admin)
            .await
            .map_err(e)?;
    let input = app::environments::validate_environment(name, "", "", legal_entities)
        .map_err(|(_, m)| anyhow::anyhow!(m))?;
    app::environments::server::save(&mut tx, &cli, None, &input)
        .await
        .map_err(e)?;
    let env = app::environments::server::by_name(&mut tx, name)
        .await
        .map_err(e)?;
    app::maps::server::apply_starter(&mut tx, &cli, &env)
        .await
        .map_err(e)?;
    let (_, token) = app::tokens::server::create(&mut tx, &cli, "bench")
        .await
        .map_err(e)?;
    let session = app::auth::server::create_session(&mut tx, admin, Duration::from_secs(7200))
        .await
        .map_err(e)?;
    tx.commit().await?;
    Ok(Seeded { token, session })
}

/// What [`seed_history`] made.
pub struct History {
    /// The environment, "Bench".
    pub env: app::environments::Environment,
    /// Its maps, (id, name), in id order.
    pub maps: Vec<(i64, String)>,
    /// An admin's session secret, for the session cookie.
    pub secret: String,
    /// The first day seeded (Unix seconds, midnight UTC).
    pub start_s: i64,
    /// Now, when seeding began (Unix seconds).
    pub now_s: i64,
    /// Throughput minute rows written.
    pub minute_rows: i64,
    /// Time spent seeding throughput, counts and runs by SQL.
    pub seed_time: std::time::Duration,
    /// Time spent storing the error entries through the real ingest.
    pub errors_time: std::time::Duration,
}

/// `days` of history for `map_count` maps of environment "Bench": per
/// minute throughput (with its hour and day rollups), map states, hourly
/// record counts, a reconciliation a day, collector runs — all written
/// with SQL in the shape the collectors write them — and `entries` error
/// entries through the real error ingest, a tenth of their groups
/// resolved. The trends and alerts benchmarks read the same history.
pub async fn seed_history(
    pool: &app::db::Pool,
    days: i64,
    map_count: usize,
    entries: usize,
) -> anyhow::Result<History> {
    use app::audit::server::Actor;
    use app::auth::Role;
    use std::collections::HashMap;
    use std::time::Instant;
    let e = |err: app::error::AppError| anyhow::anyhow!("{err}");
    let pool = pool.clone();
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
    let have: i64 = app::db::query_scalar("select count(*) from table_maps")
        .fetch_one(&mut *tx)
        .await?;
    for k in have as usize..map_count {
        app::db::query(
            "insert into table_maps (environment_id, name, fo_entity, dataverse_table, direction, master_side,
                fo_keys, dataverse_keys, initial_sync, state, revision, updated_at)
             select environment_id, 'Extra map ' || $1, fo_entity, dataverse_table, 'bidirectional', master_side,
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
        app::db::query_as("select id, name from table_maps order by id limit $1")
            .bind(map_count as i64)
            .fetch_all(&pool)
            .await?;

    // ---- throughput: minute rows per map, then the rollups ----
    let seed_start = Instant::now();
    for (k, (map, _)) in maps.iter().enumerate() {
        // A daily wave with noise, failures about 1 %, a dip for map k.
        app::db::query(
            "with recursive m(t) as (select cast($1 as bigint) union all select t + 60 from m where t + 60 < $2)
             insert into throughput (map_id, direction, grain, bucket, synced, failed)
             select $3, case when (t / 60) % 3 = 0 then 'dataverse_to_fo' else 'fo_to_dataverse' end, 'minute', t,
                    20 + ((t / 60) * 7 + $4) % 23 + case when (t / 3600) % 24 between 7 and 18 then 15 else 0 end,
                    case when ((t / 60) * 13 + $4) % 100 = 0 then 1 else 0 end
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
        app::db::query(
            "insert into throughput (map_id, direction, grain, bucket, synced, failed)
             select map_id, direction, $1, bucket / $2 * $2, sum(synced), sum(failed)
             from throughput where grain = 'minute' group by 1, 2, 4",
        )
        .bind(grain)
        .bind(secs)
        .execute(&pool)
        .await?;
        // Latency where known: three slots per period.
        app::db::query(
            "insert into throughput_latency (map_id, direction, grain, bucket, slot, n)
             select map_id, direction, grain, bucket, s.slot, synced / s.share
             from throughput, (select 7 as slot, 2 as share union all select 9, 3 union all select 12, 20) s
             where grain = $1",
        )
        .bind(grain)
        .execute(&pool)
        .await?;
    }
    let minute_rows: i64 =
        app::db::query_scalar("select count(*) from throughput where grain = 'minute'")
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
                    app::db::query("insert into map_state_observations (map_id, state, observed_at) values ($1, $2, $3)")
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
                app::db::query("insert into record_counts (map_id, counted_at, company, fo_count, dataverse_count) values ($1, $2, '', $3, $4)")
                    .bind(map)
                    .bind(at(t))
                    .bind(100_000 + d * 50)
                    .bind(100_000 + d * 50 - drift)
                    .execute(&mut *tx)
                    .await?;
            }
            app::db::query(
                "insert into reconcile_runs (map_id, kind, status, requested_by, started_at, finished_at, recheck_secs, records, differing, missing_in_fo)
                 values ($1, 'sample', 'done', 'schedule', $2, $3, 60, 500, $4, $5)",
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
            app::db::query("insert into collector_runs (environment_id, collector, started_at, finished_at, outcome, items) values ($1, $2, $3, $4, 'ok', 3)")
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
    app::db::query(match pool.kind() {
        app::db::Kind::Sqlite => RESOLVE_A_TENTH_SQLITE,
        app::db::Kind::Postgres => RESOLVE_A_TENTH_POSTGRES,
    })
    .bind(start_s)
    .bind(span)
    .execute(&pool)
    .await?;

    Ok(History {
        env,
        maps,
        secret,
        start_s,
        now_s,
        minute_rows,
        seed_time,
        errors_time,
    })
}

/// Real dual-write message shapes for generated error entries.
const TEMPLATES: &[&str] = &[
    "Couldn't resolve the guid for the field: primarycontactid.msdyn_contactpersonid. The lookup was not found: {n}.",
    "An error occurred while validating input parameters: Microsoft.OData.ODataException: Can't convert the literal '{n}' to the expected type 'Edm.Decimal'.",
    "Integration keys are missing",
    "A record with matching key values already exists. 0x80060892 Key {n}",
    "Response status code does not indicate success: 403 (tokenexchange).",
    "Combined execution time of incoming requests exceeded limit of 1,200,000 milliseconds over time window of 300 seconds. Request {n}",
    "Unexpected exception from plug-in (Execute): CreditCheckPlugin: record {n} failed",
    "Unable to write data to entity msdyn_actuals. Record {n}",
];

/// Letters for a number (0 → a, 26 → ba): a group tag without digits, so
/// the classifier's normalisation keeps groups apart.
fn tag(mut g: usize) -> String {
    let mut s = String::new();
    loop {
        s.push((b'a' + (g % 26) as u8) as char);
        g /= 26;
        if g == 0 {
            return s;
        }
    }
}

/// The message of entry `n` of group `g`: the group's template with `n`
/// in it (normalised away) and the group's tag.
pub fn error_message(g: usize, n: usize) -> String {
    format!(
        "{} [{}]",
        TEMPLATES[g % TEMPLATES.len()].replace("{n}", &n.to_string()),
        tag(g)
    )
}

/// A tenth of the groups resolved at times spread over `[$1, $1 + $2)`
/// (Unix seconds), in the stored time format.
const RESOLVE_A_TENTH_SQLITE: &str = "
    update error_groups set state = 'resolved', state_changed_by = 'bench',
        state_changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', $1 + (id * 7919) % $2, 'unixepoch')
    where id % 10 = 0";
const RESOLVE_A_TENTH_POSTGRES: &str = "
    update error_groups set state = 'resolved', state_changed_by = 'bench',
        state_changed_at = to_char(to_timestamp($1 + (id * 7919) % $2) at time zone 'UTC',
                                   'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')
    where id % 10 = 0";

/// Error entries for the ingest API, as `errors-bench` and
/// `backends-bench` send them: entry `i` of batch `b` of `groups` groups
/// over `maps`, at times spread over the last 30 days.
pub struct ErrorGen {
    /// What the entries' ids start with, so that runs into one database
    /// do not repeat each other's (a repeat is stored once, and cheaper).
    pub tag: &'static str,
    /// Groups the entries fall into.
    pub groups: usize,
    /// Map names the entries name, by group.
    pub maps: Vec<String>,
    /// The earliest time an entry occurs.
    pub start: chrono::DateTime<chrono::Utc>,
    /// Seconds after `start` the entries are spread over.
    pub span_secs: i64,
}

impl ErrorGen {
    /// Entries over the last 30 days for `groups` groups of `maps`.
    pub fn new(tag: &'static str, groups: usize, maps: Vec<String>) -> ErrorGen {
        ErrorGen {
            tag,
            groups,
            maps,
            start: chrono::Utc::now() - chrono::Duration::days(30),
            span_secs: 30 * 86_400 - 60,
        }
    }

    /// Entry `i` of batch `b`: a batch touches 50 neighbouring groups, as
    /// one collector run repeats a few errors many times.
    pub fn entry(&self, b: usize, i: usize) -> serde_json::Value {
        let g = (b * 50 + i % 50) % self.groups;
        let n = b * 100_000 + i;
        let at = self.start
            + chrono::Duration::seconds((n as i64 * 7919) % self.span_secs.max(1))
            + chrono::Duration::milliseconds((b * 1000 + i) as i64 % 1000);
        serde_json::json!({
            "id": format!("{}-{b}-{i}", self.tag),
            "occurred_at": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "map": self.maps[g % self.maps.len()],
            "direction": if g.is_multiple_of(2) { "fo_to_dataverse" } else { "dataverse_to_fo" },
            "record_key": format!("US-{n:07}"),
            "legal_entity": if g.is_multiple_of(3) { "DEMF" } else { "USMF" },
            "message": error_message(g, n),
        })
    }
}

/// Sends `entries` in batches of `batch` (the last may be short) to the
/// ingest API of environment `env`, with two
/// senders per URL in `urls` taking the next batch as they finish; every
/// batch must be accepted. Gives the wall time.
pub async fn send_errors(
    urls: &[String],
    token: &str,
    env: &str,
    generator: std::sync::Arc<ErrorGen>,
    (entries, batch): (usize, usize),
) -> anyhow::Result<Duration> {
    let batches = entries.div_ceil(batch);
    let client = reqwest::Client::new();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = std::time::Instant::now();
    let mut senders = Vec::new();
    for url in urls.iter().flat_map(|u| [u.clone(), u.clone()]) {
        let (client, token, env, next, generator) = (
            client.clone(),
            token.to_string(),
            env.to_string(),
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
                let body = serde_json::json!({
                    "environment": env,
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
    Ok(started.elapsed())
}

/// One full diff of map `map_id` (Customers V3, its fields imported here)
/// through the simulator `config` over loopback HTTP, with the real
/// connector, its partition files under `work_dir`. Gives the run, where
/// its time went and the wall time.
pub async fn full_diff_through_simulator(
    pool: &app::db::Pool,
    map_id: i64,
    config: crate::simulator::SimConfig,
    work_dir: std::path::PathBuf,
) -> anyhow::Result<(
    app::reconcile::Run,
    crate::reconcile::full::Phases,
    Duration,
)> {
    use crate::connect::{Connector, RetryPolicy};
    let fields = crate::simulator::tables::field_mappings("CustCustomerV3Entity", "account");
    let mut tx = pool.begin().await?;
    app::rules::server::import_fields(
        &mut tx,
        &app::audit::server::Actor::cli(),
        map_id,
        &fields,
        "bench",
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.commit().await?;
    let (_sim, addr, task) = crate::simulator::serve("127.0.0.1:0".parse()?, config).await?;
    let connector = Connector::new(
        crate::simulator::connection(&format!("http://{addr}"), "demo"),
        RetryPolicy::default(),
    )?;
    let opts = crate::reconcile::Options {
        recheck_after: Duration::ZERO,
        work_dir,
        requested_by: "bench".into(),
        runner: "bench".into(),
    };
    let t = crate::reconcile::target(pool, &connector, map_id).await?;
    let started = std::time::Instant::now();
    let run_id = crate::reconcile::begin_run(pool, map_id, "full", None, &opts).await?;
    let (run, phases) =
        crate::reconcile::full::run_full_timed(pool, &connector, &t, run_id, &opts).await?;
    let took = started.elapsed();
    task.abort();
    Ok((run, phases, took))
}
