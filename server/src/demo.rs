//! Demo mode. With no real connection configured, `serve` starts the
//! simulator on a loopback port, keeps a "Simulated demo" environment with
//! the starter maps, and adds the simulator's connection to the scheduler
//! as one more job, so every page has live data from the production
//! collectors; the runbook's starter alert rules notify the simulator's
//! Teams-like receiver and its mailbox (an SMTP receiver on another
//! loopback port, which email uses unless a real relay is configured).

use crate::connect::{Connector, RetryPolicy};
use crate::scheduler::Job;
use crate::simulator::{FaultRates, SimConfig};
use app::audit::server::Actor;
use app::db::Pool;
use std::sync::Arc;
use std::time::Duration;

/// The simulated environment's name.
pub const DEMO_ENV: &str = "Simulated demo";
/// The demo's notification channel: the simulator's Teams-like receiver.
pub const DEMO_CHANNEL: &str = "Simulated Teams channel";
/// The demo's email channel, to the simulator's mailbox.
pub const DEMO_MAIL_CHANNEL: &str = "Simulated mailbox";
/// Who the demo's email channel writes to (`.invalid`: never a real
/// domain, RFC 2606).
pub const DEMO_MAIL_TO: &str = "integration-team@demo.invalid";

/// What demo mode started.
pub struct Demo {
    /// The simulated environment's collector job.
    pub job: Job,
    /// The simulator's tasks (HTTP and mailbox); abort them to stop it.
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
    /// The simulator's mailbox as an SMTP relay, for when no real one is
    /// configured.
    pub smtp: crate::config::SmtpSettings,
}

/// Starts the simulator and makes sure the demo environment exists with
/// the starter maps. The simulator stops with the returned tasks.
pub async fn start(pool: &Pool) -> anyhow::Result<Demo> {
    let every = Duration::from_secs(20);
    let start = crate::simulator::grid(chrono::Utc::now() - chrono::Duration::hours(6), every);
    let config = SimConfig {
        seed: 7,
        // On the grid: after a restart the simulator serves the same rows
        // for the same moments, so the demo's queue keeps filling.
        start,
        trace_every: every,
        // Failures come in waves, so the starter rule on errors per hour
        // fires on one map, notifies and resolves, then the next.
        waves: true,
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
    let loopback: std::net::SocketAddr = "127.0.0.1:0".parse().expect("valid address");
    let (sim, addr, task) = crate::simulator::serve(loopback, config).await?;
    let (mail_addr, mail_task) = crate::simulator::mailbox::serve(sim.mailbox(), loopback).await?;
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
    // The simulator's Teams-like receiver is the demo's notification
    // channel, and the runbook's starter alert rules notify it (once: an
    // environment that has rules keeps its own).
    let channel = app::alerts::outbox::ensure(
        &mut tx,
        &Actor::cli(),
        &(
            DEMO_CHANNEL.to_string(),
            app::alerts::channels::ChannelKind::Teams,
            format!("{url}/teams/webhook"),
        ),
        chrono::Utc::now().timestamp(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mail_channel = app::alerts::outbox::ensure(
        &mut tx,
        &Actor::cli(),
        &(
            DEMO_MAIL_CHANNEL.to_string(),
            app::alerts::channels::ChannelKind::Email,
            DEMO_MAIL_TO.to_string(),
        ),
        chrono::Utc::now().timestamp(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if app::alerts::server::list(&mut tx, env.id, false)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .is_empty()
    {
        // Every minute rather than five: the demo moves faster.
        let tweak = |r: &mut app::alerts::rule::RuleContent| {
            r.channels = vec![channel, mail_channel];
            r.interval_secs = 60;
            r.window_secs = r.window_secs.max(60);
        };
        app::alerts::server::apply_starter_with(&mut tx, &Actor::cli(), &env, tweak)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
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
    tracing::info!(simulator = %addr, mailbox = %mail_addr, environment = DEMO_ENV, "demo mode: the simulated environment is running");
    Ok(Demo {
        job: Job {
            env,
            connector: Arc::new(connector),
            // The simulated environment moves faster, so the demo looks
            // alive.
            every: Duration::from_secs(15),
            count_every: Duration::from_secs(300),
        },
        tasks: vec![task, mail_task],
        smtp: crate::config::SmtpSettings {
            host: mail_addr.ip().to_string(),
            port: mail_addr.port(),
            tls: crate::config::SmtpTls::None,
            credentials: None,
            from: "Dual-write Console <dwconsole@demo.invalid>".into(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Failures come in waves, so on the demo's own six hours of history
    /// the starter rule on errors per hour has fired on a map and
    /// resolved, and fires on another now: a first run shows both.
    #[tokio::test]
    async fn the_errors_rule_fires_and_resolves_in_turn_on_the_demo_history() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::connect(dir.path().join("demo.db").to_str().unwrap())
            .await
            .unwrap();
        let demo = start(&pool).await.unwrap();
        crate::notify::email::Mailer::new(&demo.smtp).expect("the mailbox is a usable relay");
        let sweeps = app::errors::server::Sweeps::default();
        crate::collect::collect_errors(&pool, &sweeps, &demo.job.env, &demo.job.connector)
            .await
            .unwrap();
        let mut conn = pool.acquire().await.unwrap();
        let rules = app::alerts::server::list(&mut conn, demo.job.env.id, false)
            .await
            .unwrap();
        let rule = rules
            .iter()
            .find(|r| r.content.name == "More than 10 errors per hour")
            .unwrap();
        assert_eq!(rule.content.channels.len(), 2, "Teams and the mailbox");
        let now = chrono::Utc::now().timestamp();
        let preview =
            app::alerts::evaluate::preview(&mut conn, demo.job.env.id, &rule.content, 1, now)
                .await
                .unwrap();
        let periods: Vec<(String, i64, Option<i64>)> = preview
            .series
            .iter()
            .flat_map(|s| s.periods.iter().map(|(a, b)| (s.name.clone(), *a, *b)))
            .collect();
        assert!(
            periods.iter().any(|(_, _, end)| end.is_some()),
            "one fired and resolved: {periods:?}"
        );
        assert!(
            periods.iter().any(|(_, _, end)| end.is_none()),
            "one fires now: {periods:?}"
        );
        for task in demo.tasks {
            task.abort();
        }
    }
}
