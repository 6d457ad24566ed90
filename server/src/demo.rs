//! Demo mode and the collector schedule. With no real connection
//! configured, `serve` starts the simulator on a loopback port, keeps a
//! "Simulated demo" environment with the starter maps, and collects from
//! the simulator like from a real tenant, so every page has live data.

use crate::config::{ConnectionSettings, Settings};
use crate::connect::{Connection, Connector, RetryPolicy, Secret};
use crate::simulator::{FaultRates, SimConfig};
use app::audit::server::Actor;
use app::environments::Environment;
use sqlx::SqlitePool;
use std::sync::Arc;
use std::time::Duration;

/// The simulated environment's name.
pub const DEMO_ENV: &str = "Simulated demo";

/// One environment to collect from.
pub struct Job {
    /// The environment.
    pub env: Environment,
    /// Its connector.
    pub connector: Arc<Connector>,
}

/// Builds the connector of a configured connection; the secret is read from
/// its variable or file now, and errors name the setting.
pub fn connector_for(
    name: &str,
    c: &ConnectionSettings,
    env: &Environment,
) -> anyhow::Result<Connector> {
    let secret = match (&c.client_secret_env, &c.client_secret_file) {
        (Some(var), _) => std::env::var(var).map_err(|_| {
            anyhow::anyhow!(
                "setting connections.\"{name}\".client_secret_env: the variable {var} is not set"
            )
        })?,
        (None, Some(path)) => std::fs::read_to_string(path)
            .map_err(|e| {
                anyhow::anyhow!(
                    "setting connections.\"{name}\".client_secret_file: cannot read {}: {e}",
                    path.display()
                )
            })?
            .trim()
            .to_string(),
        (None, None) => anyhow::bail!(
            "setting connections.\"{name}\": give client_secret_env or client_secret_file"
        ),
    };
    let dataverse_url = c
        .dataverse_url
        .clone()
        .unwrap_or_else(|| env.dataverse_url.clone());
    if dataverse_url.is_empty() {
        anyhow::bail!(
            "environment '{name}' has no Dataverse URL; set it on the Environments page before collecting"
        );
    }
    Connector::new(
        Connection {
            tenant: c.tenant.clone(),
            client_id: c.client_id.clone(),
            secret: Secret::new(secret),
            authority: c
                .authority
                .clone()
                .unwrap_or_else(|| "https://login.microsoftonline.com".into()),
            scope: format!("{}/.default", dataverse_url.trim_end_matches('/')),
            dataverse_url,
            fo_url: c.fo_url.clone().unwrap_or_else(|| env.fo_url.clone()),
        },
        RetryPolicy::default(),
    )
}

/// The jobs of the configured connections whose environments exist.
pub async fn configured_jobs(settings: &Settings, pool: &SqlitePool) -> anyhow::Result<Vec<Job>> {
    let mut jobs = Vec::new();
    let mut conn = pool.acquire().await?;
    for (name, c) in &settings.connections {
        let env = app::environments::server::by_name(&mut conn, name)
            .await
            .map_err(|_| {
                anyhow::anyhow!(
                    "setting connections.\"{name}\": no environment is named '{name}'; add it first (dwconsole env add)"
                )
            })?;
        let connector = connector_for(name, c, &env)?;
        jobs.push(Job {
            env,
            connector: Arc::new(connector),
        });
    }
    Ok(jobs)
}

/// Starts the simulator and makes sure the demo environment exists with
/// the starter maps. The simulator stops with the returned task.
pub async fn start(pool: &SqlitePool) -> anyhow::Result<(Job, tokio::task::JoinHandle<()>)> {
    let every = Duration::from_secs(20);
    let start = crate::simulator::grid(chrono::Utc::now() - chrono::Duration::hours(6), every);
    let config = SimConfig {
        seed: 7,
        // On the grid: after a restart the simulator serves the same rows
        // for the same moments, so the demo's queue keeps filling.
        start,
        trace_every: every,
        // A little of what real tenants do, so retries are visible in logs.
        rates: FaultRates {
            throttle: 0.03,
            server_error: 0.01,
            truncated: 0.01,
        },
        // Dataverse's service protection limit per user.
        limit: Some(crate::simulator::RateLimit {
            requests: 6000,
            window: Duration::from_secs(300),
        }),
        // Records come and change over time; Customers V3 drifts.
        tables: crate::simulator::tables::with_churn(crate::simulator::tables::default_tables()),
        ..SimConfig::default()
    };
    let (_sim, addr, task) =
        crate::simulator::serve("127.0.0.1:0".parse().expect("valid address"), config).await?;
    let url = format!("http://{addr}");
    let mut tx = app::db::begin_write(pool).await?;
    let env = match app::environments::server::by_name(&mut tx, DEMO_ENV).await {
        Ok(env) => env,
        Err(_) => {
            let input = app::environments::validate_environment(DEMO_ENV, "", "", "USMF, DEMF")
                .map_err(|(_, m)| anyhow::anyhow!(m))?;
            app::environments::server::save(&mut tx, &Actor::cli(), None, &input)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            app::environments::server::by_name(&mut tx, DEMO_ENV)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
        }
    };
    if app::maps::server::list(&mut tx, env.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .is_empty()
    {
        app::maps::server::apply_starter(&mut tx, &Actor::cli(), &env)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    // The rule book documents the simulated tables' field mappings, so the
    // demo's reconciliations have something to compare through.
    for map in app::maps::server::list(&mut tx, env.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        let fields = crate::simulator::tables::field_mappings(
            &map.content.fo_entity,
            &map.content.dataverse_table,
        );
        let documented = app::rules::server::fields_of(&mut tx, &[map.id])
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if !fields.is_empty() && documented.is_empty() {
            app::rules::server::import_fields(
                &mut tx,
                &Actor::cli(),
                map.id,
                &fields,
                "The simulated demo's columns",
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    // The throughput collector would start an hour back; the simulator's
    // history starts six hours back, so the demo's charts begin there.
    app::collectors::server::seed_cursor(
        &mut tx,
        env.id,
        crate::collect::THROUGHPUT,
        &start
            .timestamp()
            .div_euclid(60)
            .saturating_mul(60)
            .to_string(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.commit().await?;
    let connector = Connector::new(
        crate::simulator::connection(&url, "demo"),
        RetryPolicy {
            base: Duration::from_millis(200),
            ..RetryPolicy::default()
        },
    )?;
    tracing::info!(simulator = %addr, environment = DEMO_ENV, "demo mode: the simulated environment is running");
    Ok((
        Job {
            env,
            connector: Arc::new(connector),
        },
        task,
    ))
}

/// The connections for the collectors page, with a test that signs in,
/// reads one trace row and one table definition from Dataverse, and one
/// project row and one entity's metadata from F&O.
pub fn connections_context(jobs: &[Job], demo: Option<&Job>) -> app::collectors::Connections {
    use app::collectors::{ConnectionCheck, ConnectionInfo};
    let all: Vec<(Environment, Arc<Connector>, bool)> = jobs
        .iter()
        .map(|j| (j.env.clone(), j.connector.clone(), false))
        .chain(demo.map(|j| (j.env.clone(), j.connector.clone(), true)))
        .collect();
    let list = all
        .iter()
        .map(|(env, c, simulated)| {
            let conn = c.connection();
            ConnectionInfo {
                environment: env.name.clone(),
                tenant: conn.tenant.clone(),
                client_id: conn.client_id.clone(),
                dataverse_url: conn.dataverse_url.clone(),
                fo_url: conn.fo_url.clone(),
                simulated: *simulated,
            }
        })
        .collect();
    let by_env: std::collections::HashMap<String, Arc<Connector>> =
        all.into_iter().map(|(env, c, _)| (env.name, c)).collect();
    let by_env = Arc::new(by_env);
    app::collectors::Connections {
        list,
        test: Arc::new(move |env: String| {
            let by_env = by_env.clone();
            Box::pin(async move {
                let Some(c) = by_env.get(&env) else {
                    return vec![];
                };
                let check =
                    |name: &str, r: Result<String, crate::connect::ConnectError>| ConnectionCheck {
                        check: name.into(),
                        ok: r.is_ok(),
                        detail: r.unwrap_or_else(|e| e.to_string()),
                    };
                let mut out = vec![check(
                    "Sign-in (token)",
                    c.token(true)
                        .await
                        .map(|_| format!("signed in as {}", c.connection().client_id)),
                )];
                if !out[0].ok {
                    return out;
                }
                out.push(check(
                    "Dataverse plug-in trace log",
                    c.get_json(
                        &format!(
                            "{}/api/data/v9.2/plugintracelogs?$select=plugintracelogid&$top=1",
                            c.connection().dataverse_url.trim_end_matches('/')
                        ),
                        None,
                    )
                    .await
                    .map(|_| "readable".to_string()),
                ));
                out.push(check(
                    "Dataverse table definitions",
                    c.dataverse_entity_set("account")
                        .await
                        .map(|found| match found {
                            Some((set, _)) => format!("readable (account → {set})"),
                            None => "readable, but there is no account table".into(),
                        }),
                ));
                out.push(check(
                    "F&O dual-write projects",
                    c.fo_json("DualWriteProjectConfigurations?cross-company=true&$select=ProjectName&$top=1")
                        .await
                        .map(|_| "readable".to_string()),
                ));
                if !c.connection().fo_url.is_empty() {
                    out.push(check(
                        "F&O entity metadata",
                        c.fo_entity_set("CustCustomerV3Entity")
                            .await
                            .map(|found| match found {
                                Some(set) => format!("readable (CustCustomerV3Entity → {set})"),
                                None => {
                                    "readable, but CustCustomerV3Entity is not published".into()
                                }
                            }),
                    ));
                }
                out
            })
        }),
    }
}

/// Runs every job's collectors now and then every `every` — the record
/// counts, which page whole tables, only every `count_every` — until
/// dropped.
pub async fn schedule(pool: SqlitePool, jobs: Vec<Job>, every: Duration, count_every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut counted: Vec<Option<tokio::time::Instant>> = vec![None; jobs.len()];
    loop {
        tick.tick().await;
        for (job, counted) in jobs.iter().zip(counted.iter_mut()) {
            if !job.connector.connection().fo_url.is_empty() {
                match crate::collect::collect_map_states(&pool, &job.env, &job.connector).await {
                    Ok(out) => tracing::info!(
                        environment = %job.env.name,
                        changes = out.stored,
                        "collected map states"
                    ),
                    Err(e) => tracing::warn!(
                        environment = %job.env.name,
                        error = %e,
                        "the map-state collector failed; the next run tries again"
                    ),
                }
            }
            match crate::collect::collect_errors(&pool, &job.env, &job.connector).await {
                Ok(out) => tracing::info!(
                    environment = %job.env.name,
                    read = out.read,
                    stored = out.stored,
                    "collected dual-write errors"
                ),
                Err(e) => tracing::warn!(
                    environment = %job.env.name,
                    error = %e,
                    "the error collector failed; the next run catches up"
                ),
            }
            // Whole minutes only, so most ticks read nothing.
            match crate::collect::collect_throughput(
                &pool,
                &job.env,
                &job.connector,
                chrono::Utc::now(),
            )
            .await
            {
                Ok(out) if out.stored > 0 => tracing::info!(
                    environment = %job.env.name,
                    samples = out.stored,
                    "collected throughput"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(
                    environment = %job.env.name,
                    error = %e,
                    "the throughput collector failed; the next run reads the same minutes"
                ),
            }
            if counted.is_none_or(|at| at.elapsed() >= count_every) {
                // A failed count waits for its next turn too: it pages
                // whole tables, and retrying at once would add to a storm.
                *counted = Some(tokio::time::Instant::now());
                match crate::collect::collect_counts(&pool, &job.env, &job.connector).await {
                    Ok(out) => tracing::info!(
                        environment = %job.env.name,
                        maps = out.stored,
                        "counted records on both sides"
                    ),
                    Err(e) => tracing::warn!(
                        environment = %job.env.name,
                        error = %e,
                        "the record-count collector failed; it runs again at its next turn"
                    ),
                }
            }
        }
    }
}
