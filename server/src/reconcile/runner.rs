//! Runs reconciliations in the background for the server: on request from
//! the page, and, on the server holding the scheduler lease, on the
//! schedule (a daily sample per map, full diffs as each map's settings
//! say) and for runs whose server is gone (stopped, crashed, or another
//! server that died): full diffs resume from their checkpoint, samples are
//! marked failed.

use super::{Options, ReconError, end_run_badly, full::run_full, run_sample, target};
use crate::connect::Connector;
use app::db::Pool;
use app::error::AppError;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The background runner.
pub struct Reconciler {
    pool: Pool,
    connectors: HashMap<String, Arc<Connector>>,
    work_dir: PathBuf,
    /// This server's id (see [`crate::lease`]), recorded on its runs.
    runner: String,
    /// The pause before a re-check.
    pub recheck_after: Duration,
    /// The runs going on, so a stopping server ends them before it closes
    /// the database (a full diff resumes from its checkpoint at the next
    /// start; a sample is marked failed and runs again).
    running: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Reconciler {
    /// A runner for these environments' connectors (by environment name).
    pub fn new(
        pool: Pool,
        connectors: HashMap<String, Arc<Connector>>,
        work_dir: PathBuf,
        runner: String,
    ) -> Arc<Self> {
        Arc::new(Reconciler {
            pool,
            connectors,
            work_dir,
            runner,
            recheck_after: Duration::from_secs(10),
            running: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Keeps a run's task, forgetting those that have finished.
    fn track(&self, task: tokio::task::JoinHandle<()>) {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        running.retain(|t| !t.is_finished());
        running.push(task);
    }

    /// Stops the runs going on and waits until they have let go of the
    /// database; called by a stopping server before it closes the pool.
    pub async fn stop(&self) {
        let tasks: Vec<_> =
            std::mem::take(&mut *self.running.lock().unwrap_or_else(|p| p.into_inner()));
        for t in &tasks {
            t.abort();
        }
        for t in tasks {
            let _ = t.await;
        }
    }

    fn options(&self, requested_by: &str) -> Options {
        Options {
            recheck_after: self.recheck_after,
            work_dir: self.work_dir.clone(),
            requested_by: requested_by.to_string(),
            runner: self.runner.clone(),
        }
    }

    /// What the app needs to start runs.
    pub fn control(self: &Arc<Self>) -> app::reconcile::Control {
        let blocked = self.clone();
        let start = self.clone();
        app::reconcile::Control {
            blocked: Arc::new(move |env: &str| {
                (!blocked.connectors.contains_key(env)).then(|| {
                    format!(
                        "No connection is configured for '{env}', so its records cannot be read (see the README, “Connections”)."
                    )
                })
            }),
            start: Arc::new(move |map_id, full, who| {
                let start = start.clone();
                Box::pin(async move { start.start(map_id, full, &who).await })
            }),
        }
    }

    /// Starts a run of `map_id` in the background; gives its id. Refused
    /// while another run of the map goes on.
    pub async fn start(
        self: &Arc<Self>,
        map_id: i64,
        full: bool,
        who: &str,
    ) -> Result<i64, AppError> {
        let mut conn = self.pool.acquire().await?;
        let env = app::maps::server::get(&mut conn, map_id)
            .await
            .map_err(|e| match e {
                AppError::NotFound { .. } => AppError::not_found("That table map"),
                other => other,
            })?
            .environment;
        let connector = self.connectors.get(&env).cloned().ok_or_else(|| {
            AppError::Conflict(format!("No connection is configured for '{env}'."))
        })?;
        let running = app::reconcile::server::running(&mut conn, map_id).await?;
        if let Some(id) = running {
            return Err(AppError::Conflict(format!(
                "Run #{id} of this map is still going; wait for it or cancel it."
            )));
        }
        let size = app::reconcile::server::settings(&mut conn, map_id)
            .await?
            .sample_size;
        drop(conn);
        let opts = self.options(who);
        let kind = if full { "full" } else { "sample" };
        let run_id = super::begin_run(&self.pool, map_id, kind, (!full).then_some(size), &opts)
            .await
            .map_err(|e| match e {
                ReconError::Store(e) => e,
                other => {
                    tracing::error!(error = %other, "could not record a reconciliation run");
                    AppError::Internal
                }
            })?;
        let pool = self.pool.clone();
        let task = tokio::spawn(async move {
            let result = match target(&pool, &connector, map_id).await {
                Err(e) => {
                    end_run_badly(&pool, run_id, &e).await;
                    Err(e)
                }
                Ok(t) if full => run_full(&pool, &connector, &t, run_id, &opts).await,
                Ok(t) => run_sample(&pool, &connector, &t, run_id, size as usize, &opts).await,
            };
            match result {
                Ok(run) => tracing::info!(
                    run.id = run_id,
                    drifting = run.drifting(),
                    records = run.records,
                    "reconciliation done"
                ),
                Err(e) => {
                    tracing::warn!(run.id = run_id, error = %e, "reconciliation did not finish")
                }
            }
        });
        self.track(task);
        Ok(run_id)
    }

    /// Takes over the runs whose server is gone (not alive by its lease):
    /// full diffs resume from their checkpoint, samples are marked failed,
    /// as they are quick to run again. A run is taken by one server only;
    /// gives how many this one took.
    pub async fn adopt_orphans(self: &Arc<Self>) -> Result<usize, AppError> {
        let left = {
            let mut conn = self.pool.acquire().await?;
            let live = crate::lease::live_servers(&mut conn, chrono::Utc::now()).await?;
            let mut left = Vec::new();
            for (run_id, map_id, kind, who, runner) in
                app::reconcile::server::going(&mut conn).await?
            {
                if runner.as_ref().is_some_and(|r| live.contains(r)) {
                    continue;
                }
                if !app::reconcile::server::adopt(
                    &mut conn,
                    run_id,
                    runner.as_deref(),
                    &self.runner,
                )
                .await?
                {
                    continue;
                }
                let env = app::maps::server::get(&mut conn, map_id).await?.environment;
                left.push((run_id, map_id, kind, who, env, runner));
            }
            left
        };
        let adopted = left.len();
        for (run_id, map_id, kind, who, env, runner) in left {
            let connector = self.connectors.get(&env).cloned();
            let (Some(connector), "full") = (connector, kind.as_str()) else {
                let why = ReconError::Blocked(
                    "the server running it stopped during the run; start it again".into(),
                );
                end_run_badly(&self.pool, run_id, &why).await;
                continue;
            };
            tracing::info!(
                run.id = run_id,
                run.from = runner.as_deref().unwrap_or("an earlier version"),
                "resuming a full diff whose server is gone, from its checkpoint"
            );
            let pool = self.pool.clone();
            let opts = self.options(&who);
            let task = tokio::spawn(async move {
                match target(&pool, &connector, map_id).await {
                    Ok(t) => {
                        let _ = run_full(&pool, &connector, &t, run_id, &opts).await;
                    }
                    Err(e) => end_run_badly(&pool, run_id, &e).await,
                }
            });
            self.track(task);
        }
        Ok(adopted)
    }

    /// Starts what is due: a sample of every synced map with field
    /// mappings once a day, and full diffs as each map's settings say.
    pub async fn run_due(self: &Arc<Self>) -> Result<usize, AppError> {
        let due = {
            let mut conn = self.pool.acquire().await?;
            let live = app::maps::server::live_ids(&mut conn).await?;
            let with_fields = app::rules::server::maps_with_fields(&mut conn).await?;
            let samples: Vec<i64> = live
                .iter()
                .filter(|(id, synced)| *synced && with_fields.contains(id))
                .map(|(id, _)| *id)
                .collect();
            let all: Vec<i64> = live.iter().map(|(id, _)| *id).collect();
            app::reconcile::server::due(&mut conn, &samples, &all).await?
        };
        let mut started = 0;
        for (map_id, full) in due {
            // A map the page already says cannot be reconciled is not tried
            // every day just to fail the same way.
            let mut conn = self.pool.acquire().await?;
            let map = app::maps::server::get(&mut conn, map_id).await?;
            drop(conn);
            if app::reconcile::match_keys(&map.content).is_err() {
                continue;
            }
            match self.start(map_id, full, "schedule").await {
                Ok(_) => started += 1,
                // Not connected, or a run is going on: the next turn sees.
                Err(AppError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(started)
    }

    /// Takes over the runs of gone servers every `adopt_every` and checks
    /// what is due every `every`, until dropped (first both at once).
    pub async fn schedule(self: Arc<Self>, every: Duration, adopt_every: Duration) {
        let mut due = tokio::time::interval(every);
        due.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut adopt = tokio::time::interval(adopt_every);
        adopt.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = adopt.tick() => match self.adopt_orphans().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(runs = n, "took over reconciliations whose server is gone"),
                    Err(e) => tracing::warn!(error = %e, "could not look for reconciliations whose server is gone"),
                },
                _ = due.tick() => match self.run_due().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(runs = n, "started scheduled reconciliations"),
                    Err(e) => tracing::warn!(error = %e, "could not start scheduled reconciliations"),
                },
            }
        }
    }
}
