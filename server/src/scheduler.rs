//! The server's scheduled work: each environment's collectors (one task per
//! connection, demo mode adds the simulator's), the alert rules' evaluation
//! and the cutover gates' checks every minute, the notifications' delivery,
//! every hour the pruning of old error entries, throughput minutes, alert
//! history, expired sessions and failed sign-ins, and the reconciliations'
//! schedule (`reconcile::runner`, which also takes over the runs of servers
//! that are gone).
//!
//! Several servers may share one database: only the one holding the
//! scheduler lease ([`crate::lease`]) runs that work; the others serve
//! pages and the API. Every server keeps its own leases and, for its
//! SQLite connections, checkpoints the WAL every minute.

use crate::config::{ConnectionSettings, Settings};
use crate::connect::{Connection, Connector, RetryPolicy, Secret};
use crate::lease::Lease;
use crate::reconcile::runner::Reconciler;
use app::db::Pool;
use app::environments::Environment;
use app::errors::server::Sweeps;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// One environment to collect from.
#[derive(Clone)]
pub struct Job {
    /// The environment.
    pub env: Environment,
    /// Its connector.
    pub connector: Arc<Connector>,
    /// How often its collectors run.
    pub every: Duration,
    /// How often its record counts run (they page whole tables).
    pub count_every: Duration,
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
pub async fn configured_jobs(settings: &Settings, pool: &Pool) -> anyhow::Result<Vec<Job>> {
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
            every: settings.collect_every,
            count_every: settings.count_every,
        });
    }
    Ok(jobs)
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

/// What the scheduler keeps settings for.
#[derive(Clone)]
pub struct Housekeeping {
    /// Days raw error entries are kept.
    pub error_retention_days: u32,
    /// Days throughput minutes are kept.
    pub throughput_minute_days: u32,
    /// The window failed sign-ins are counted over.
    pub login_window: Duration,
    /// The console's public address, for the links in notifications.
    pub base_url: String,
    /// Sends email notifications, when a relay is configured.
    pub mailer: Option<crate::notify::email::Mailer>,
    /// What cutover gates reach the services through (the checks that
    /// need no service run without it).
    pub gates: Option<app::cutover::gates::Probe>,
}

/// The scheduled work as a server runs it: started with [`start`],
/// ended with [`Scheduled::stop`].
pub struct Scheduled {
    stop: tokio::sync::watch::Sender<bool>,
    /// Runs the scheduled work while the lease is held; stops its own
    /// tasks when told to.
    supervisor: JoinHandle<()>,
    /// What every server does: keeping its leases, WAL checkpoints.
    every_server: Vec<JoinHandle<()>>,
}

impl Scheduled {
    /// Stops the scheduled work and the lease keeping, and waits until
    /// every job has let go of the database (an abort only asks: a job in
    /// the middle of a poll finishes that poll, and would write to a
    /// closed pool). The leases stay until [`Lease::let_go`]: a stopping
    /// server lets go only once its reconciliations have stopped, or
    /// another server could take them over while they still run here.
    pub async fn stop(self) {
        self.stop.send_replace(true);
        for task in &self.every_server {
            task.abort();
        }
        let _ = self.supervisor.await;
        for task in self.every_server {
            let _ = task.await;
        }
    }
}

/// Starts what every server does — keeping its leases, WAL checkpoints —
/// and the scheduled work, which runs while this server holds the
/// scheduler lease: started when it takes the lease, stopped when it loses
/// it.
pub fn start(
    pool: &Pool,
    sweeps: &Sweeps,
    jobs: Vec<Job>,
    housekeeping: Housekeeping,
    reconciler: Arc<Reconciler>,
    lease: Lease,
) -> Scheduled {
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let work = {
        let pool = pool.clone();
        let sweeps = sweeps.clone();
        let adopt_every = lease.ttl();
        move || {
            held_work(
                &pool,
                &sweeps,
                &jobs,
                &housekeeping,
                &reconciler,
                adopt_every,
            )
        }
    };
    Scheduled {
        stop,
        supervisor: tokio::spawn(supervise(lease.clone(), stopping, work)),
        every_server: vec![
            tokio::spawn(lease.keep(pool.clone())),
            tokio::spawn(checkpoints(pool.clone())),
        ],
    }
}

/// The work only the scheduler lease's holder does.
fn held_work(
    pool: &Pool,
    sweeps: &Sweeps,
    jobs: &[Job],
    housekeeping: &Housekeeping,
    reconciler: &Arc<Reconciler>,
    adopt_every: Duration,
) -> Vec<JoinHandle<()>> {
    let mut tasks = vec![
        tokio::spawn(maintenance(
            pool.clone(),
            housekeeping.error_retention_days,
            housekeeping.throughput_minute_days,
            housekeeping.login_window,
        )),
        tokio::spawn(alerts(pool.clone(), housekeeping.base_url.clone())),
        tokio::spawn(gates(pool.clone(), housekeeping.gates.clone())),
        tokio::spawn(crate::notify::deliver::run(
            pool.clone(),
            housekeeping.mailer.clone(),
        )),
        tokio::spawn(
            reconciler
                .clone()
                .schedule(Duration::from_secs(300), adopt_every),
        ),
    ];
    for job in jobs {
        tasks.push(tokio::spawn(collect(
            pool.clone(),
            sweeps.clone(),
            job.clone(),
        )));
    }
    tasks
}

/// Runs `work` while this server holds the scheduler lease, until told to
/// stop; the work's tasks are stopped, and waited for, whenever the lease
/// is lost and before this returns.
async fn supervise(
    lease: Lease,
    mut stopping: tokio::sync::watch::Receiver<bool>,
    work: impl Fn() -> Vec<JoinHandle<()>>,
) {
    loop {
        let held = tokio::select! {
            h = lease.until_held() => h,
            _ = stopping.wait_for(|s| *s) => return,
        };
        let tasks = work();
        tracing::info!(
            server = %lease.id(),
            lease.term = held.term,
            jobs = tasks.len(),
            "started the scheduled work"
        );
        let stop = tokio::select! {
            () = lease.until_lost() => false,
            _ = stopping.wait_for(|s| *s) => true,
        };
        for task in &tasks {
            task.abort();
        }
        for task in tasks {
            let _ = task.await;
        }
        if stop {
            return;
        }
        tracing::warn!(
            server = %lease.id(),
            "stopped the scheduled work: this server no longer holds the scheduler lease"
        );
    }
}

/// Evaluates the alert rules that are due, every minute (a rule's own
/// interval is a whole number of minutes), and queues the daily sweeps
/// whose time has come.
async fn alerts(pool: Pool, base_url: String) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = chrono::Utc::now().timestamp();
        match app::alerts::evaluate::round(&pool, now, &base_url).await {
            Ok(r) if r.rules > 0 => tracing::debug!(
                alerts.rules = r.rules,
                alerts.instances = r.instances,
                alerts.changes = r.changes,
                alerts.notices = r.notices.len(),
                alerts.silenced = r.silenced,
                alerts.queued = r.queued,
                "evaluated alert rules"
            ),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not evaluate the alert rules; will try again in a minute")
            }
        }
    }
}

/// Checks the running gates of open cutover runs every minute, until
/// each passes or its task is closed.
async fn gates(pool: Pool, probe: Option<app::cutover::gates::Probe>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match app::cutover::gates::round(&pool, probe.as_ref()).await {
            Ok((checked, passed)) if checked > 0 => tracing::info!(
                cutover.gates.checked = checked,
                cutover.gates.passed = passed,
                "checked cutover gates"
            ),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not check the cutover gates; will try again in a minute")
            }
        }
    }
}

/// Runs a job's collectors now and then every `job.every` — the record
/// counts only every `job.count_every` — until dropped.
async fn collect(pool: Pool, sweeps: Sweeps, job: Job) {
    let mut tick = tokio::time::interval(job.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut counted: Option<tokio::time::Instant> = None;
    let count_every = job.count_every;
    let counted = &mut counted;
    loop {
        tick.tick().await;
        {
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
            match crate::collect::collect_errors(&pool, &sweeps, &job.env, &job.connector).await {
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

/// Every minute, a WAL checkpoint that truncates the file when nothing is
/// in the way (see [`crate::db::checkpoint`]): after a burst of writes the
/// WAL shrinks back to nothing as soon as the console is idle.
async fn checkpoints(pool: Pool) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // PostgreSQL keeps its own write-ahead log.
        if let Some(sqlite) = pool.as_sqlite()
            && let Err(e) = crate::db::checkpoint(sqlite).await
        {
            tracing::warn!(error = %e, "WAL checkpoint failed; will try again in a minute");
        }
        release_free_memory();
    }
}

/// Returns memory the allocator keeps after a burst of large request
/// bodies to the system. glibc holds freed memory in its per-thread arenas
/// (the resident size stayed at its peak long after a load), and
/// `malloc_trim` releases it; elsewhere this does nothing.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own free lists; it takes no
    // pointers from us and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Periodic housekeeping, every hour (and once at start): drops expired
/// sessions, and prunes raw error entries older than the retention period
/// and alert history older than 400 days.
async fn maintenance(
    pool: Pool,
    error_retention_days: u32,
    throughput_minute_days: u32,
    login_window: Duration,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let cutoff = chrono::Utc::now() - chrono::Duration::days(i64::from(error_retention_days));
        if let Err(e) = app::errors::server::prune(&pool, cutoff).await {
            tracing::warn!(error = %e, "could not prune old error entries; will try again in an hour");
        }
        let cutoff = chrono::Utc::now() - chrono::Duration::days(i64::from(throughput_minute_days));
        if let Err(e) = app::throughput::server::prune(&pool, cutoff.timestamp()).await {
            tracing::warn!(error = %e, "could not prune old throughput minutes; will try again in an hour");
        }
        let cutoff = chrono::Utc::now().timestamp() - app::alerts::HISTORY_DAYS * 86_400;
        if let Err(e) = app::alerts::server::prune_history(&pool, cutoff).await {
            tracing::warn!(error = %e, "could not prune old alert history; will try again in an hour");
        }
        if let Ok(mut conn) = pool.acquire().await
            && let Ok(n) = app::auth::server::purge_expired_sessions(&mut conn).await
            && n > 0
        {
            tracing::info!(sessions.purged = n, "purged expired sessions");
        }
        if let Ok(mut conn) = pool.acquire().await
            && let Err(e) = app::auth::server::throttle::prune(&mut conn, login_window).await
        {
            tracing::warn!(error = %e, "could not prune old failed sign-ins; will try again in an hour");
        }
    }
}
