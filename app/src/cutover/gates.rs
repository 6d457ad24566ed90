//! Checking a run's gates against the console's data: the facts each
//! kind of check needs are read from their owners' stores (counts, the
//! error queue, reconciliations, map states, alerts, the collectors'
//! runs), judged by [`super::gate`], and the evidence kept with the run.
//! A gate whose check passes is passed by the console, with the evidence
//! as its comment.
//!
//! A gate is checked when its task starts, when someone asks, and every
//! minute while it runs (the server's scheduler calls [`round`]). Two
//! checks need the services themselves — a fresh count and the test
//! record — which the server lends through a [`Probe`]; without one (no
//! connection configured) those checks say so and never pass on old data.

use super::gate::{
    Check, CountFact, Evidence, Finding, GateCheck, QueueFact, ReconFact, RecordSides,
};
use super::runs;
use crate::db::{Conn, Pool};
use crate::environments::Environment;
use crate::error::AppError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A boxed future, as the server's closures give them.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Counts maps (ids) of an environment (by name) on both sides now and
/// stores the counts; `Err` says why it could not.
pub type CountFn = dyn Fn(String, Vec<i64>) -> BoxFuture<Result<(), String>> + Send + Sync;

/// Reads one record (map id, key) of an environment on both sides
/// through the map's field mappings.
pub type RecordFn =
    dyn Fn(String, i64, String) -> BoxFuture<Result<RecordSides, String>> + Send + Sync;

/// What the server lends the gates to reach F&O and Dataverse.
#[derive(Clone)]
pub struct Probe {
    /// Environments with a connection, by name.
    pub environments: Arc<Vec<String>>,
    /// Takes a count now.
    pub count: Arc<CountFn>,
    /// Reads a test record.
    pub record: Arc<RecordFn>,
}

impl Probe {
    fn reaches(&self, environment: &str) -> bool {
        self.environments.iter().any(|e| e == environment)
    }
}

fn secs(stored: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(stored)
        .ok()
        .map(|t| t.timestamp())
}

/// The maps a check is about: (id, name) of the names it gives, or every
/// synced map when it gives none; names the environment does not have
/// come back as findings that fail.
async fn chosen_maps(
    conn: &mut dyn Conn,
    env: &Environment,
    names: &[&str],
) -> Result<(Vec<(i64, String)>, Vec<Finding>), AppError> {
    let maps = crate::maps::server::list(conn, env.id).await?;
    if names.is_empty() {
        return Ok((
            maps.into_iter()
                .filter(|m| m.content.direction != crate::maps::Direction::NotSynced)
                .map(|m| (m.id, m.content.name))
                .collect(),
            vec![],
        ));
    }
    let mut found = vec![];
    let mut missing = vec![];
    for n in names {
        match maps.iter().find(|m| m.content.name.eq_ignore_ascii_case(n)) {
            Some(m) => found.push((m.id, m.content.name.clone())),
            None => missing.push(Finding {
                subject: (*n).to_string(),
                ok: false,
                detail: format!("{} has no map named {n}", env.name),
            }),
        }
    }
    Ok((found, missing))
}

async fn count_facts(
    conn: &mut dyn Conn,
    maps: &[(i64, String)],
) -> Result<Vec<CountFact>, AppError> {
    let mut out = Vec::with_capacity(maps.len());
    for (id, name) in maps {
        let last = crate::counts::server::recent(conn, *id, 1).await?.pop();
        out.push(match last {
            Some(c) => CountFact {
                map: name.clone(),
                at: secs(&c.counted_at),
                fo: c.fo,
                dataverse: c.dataverse,
                problem: c.problem,
            },
            None => CountFact {
                map: name.clone(),
                at: None,
                fo: None,
                dataverse: None,
                problem: String::new(),
            },
        });
    }
    Ok(out)
}

/// The latest success of `collector` in the environment (Unix seconds).
async fn last_success(
    conn: &mut dyn Conn,
    env: i64,
    collector: &str,
    now: i64,
) -> Result<Option<i64>, AppError> {
    Ok(crate::collectors::server::successes(conn, env, now + 1)
        .await?
        .into_iter()
        .filter(|(c, _)| c == collector)
        .map(|(_, at)| at)
        .max())
}

/// Judges `g` for environment `env` on a gate started at `started`, at
/// `now`: reads the stores, and asks the probe for a count or a record
/// where the check needs one. Never holds a connection while the probe
/// reaches a service.
pub async fn evaluate(
    pool: &Pool,
    env: &Environment,
    g: &GateCheck,
    started: i64,
    now: i64,
    probe: Option<&Probe>,
) -> Result<Evidence, AppError> {
    let fresh = g.fresh_minutes;
    let mut conn = pool.acquire().await?;
    let (maps, mut missing) = chosen_maps(&mut conn, env, &g.check.maps()).await?;
    let per_map = matches!(
        g.check,
        Check::Counts { .. } | Check::Reconciliation { .. } | Check::Running { .. }
    );
    if per_map && maps.is_empty() && missing.is_empty() {
        missing.push(Finding {
            subject: env.name.clone(),
            ok: false,
            detail: "has no synced map to check".into(),
        });
    }
    let mut evidence = match &g.check {
        Check::Counts { tolerance, .. } => {
            let mut facts = count_facts(&mut conn, &maps).await?;
            let old = |f: &CountFact| f.at.is_none_or(|at| at < started || now - at > fresh * 60);
            let mut now = now;
            if facts.iter().any(old) && !maps.is_empty() {
                match probe.filter(|p| p.reaches(&env.name)) {
                    Some(p) => {
                        drop(conn);
                        let ids: Vec<i64> = maps.iter().map(|(id, _)| *id).collect();
                        let counted = (p.count)(env.name.clone(), ids).await;
                        now = now.max(chrono::Utc::now().timestamp());
                        conn = pool.acquire().await?;
                        if let Err(why) = counted {
                            missing.push(Finding {
                                subject: "count run".into(),
                                ok: false,
                                detail: format!("the count could not be taken: {why}"),
                            });
                        }
                        facts = count_facts(&mut conn, &maps).await?;
                    }
                    None => missing.push(Finding {
                        subject: "count run".into(),
                        ok: false,
                        detail: format!(
                            "no connection is configured for {}, so the console cannot count now",
                            env.name
                        ),
                    }),
                }
            }
            super::gate::judge_counts(&facts, *tolerance, fresh, started, now)
        }
        Check::Queue {
            max_open,
            quiet_minutes,
            ..
        } => {
            let since = crate::db::db_time_secs(now - quiet_minutes * 60);
            let (open, _) = crate::errors::server::open_and_new(&mut conn, env.id, &since).await?;
            let new = crate::errors::server::new_groups(&mut conn, env.id, &since, 50).await?;
            let name_of = |id: Option<i64>| {
                id.and_then(|id| maps.iter().find(|(m, _)| *m == id))
                    .map(|(_, n)| n.clone())
            };
            let whole = g.check.maps().is_empty();
            let fact = QueueFact {
                open: if whole {
                    vec![("the environment".into(), open.values().sum())]
                } else {
                    maps.iter()
                        .map(|(id, n)| (n.clone(), open.get(&Some(*id)).copied().unwrap_or(0)))
                        .collect()
                },
                new: new
                    .into_iter()
                    .filter(|(m, _, _)| whole || name_of(*m).is_some())
                    .filter_map(|(m, at, p)| Some((name_of(m).unwrap_or_default(), secs(&at)?, p)))
                    .collect(),
                read_at: if crate::collectors::server::latest_run(&mut conn, env.id, "errors")
                    .await?
                    .is_some()
                {
                    Some(
                        last_success(&mut conn, env.id, "errors", now)
                            .await?
                            .unwrap_or(0),
                    )
                } else {
                    None
                },
            };
            super::gate::judge_queue(&fact, *max_open, *quiet_minutes, fresh, now)
        }
        Check::Reconciliation { max_drift, .. } => {
            let mut facts = vec![];
            for (id, name) in &maps {
                let last = crate::reconcile::server::latest_finished(&mut conn, *id).await?;
                facts.push(ReconFact {
                    map: name.clone(),
                    last: last.and_then(|(run, _, status, at, records, diffs)| {
                        Some((run, status, secs(&at)?, records, diffs))
                    }),
                });
            }
            super::gate::judge_reconciliation(&facts, *max_drift, fresh, now)
        }
        Check::Running { .. } => {
            let states = crate::maps::server::latest_states(&mut conn, env.id).await?;
            let read_at = last_success(&mut conn, env.id, "map_states", now).await?;
            let facts: Vec<(String, Option<String>)> = maps
                .iter()
                .map(|(id, n)| (n.clone(), states.get(id).cloned()))
                .collect();
            super::gate::judge_running(&facts, read_at, fresh, now)
        }
        Check::Alerts { severity } => {
            let evaluated = crate::alerts::server::list(&mut conn, env.id, false)
                .await?
                .iter()
                .filter_map(|r| r.evaluated_at)
                .max();
            let firing: Vec<_> = crate::alerts::server::active(&mut conn, env)
                .await?
                .into_iter()
                .filter(|a| {
                    use crate::alerts::state::State;
                    matches!(a.row.instance.state, State::Firing | State::Recovering)
                })
                .map(|a| {
                    let since = a.row.instance.fired_at.unwrap_or(a.row.instance.since);
                    (a.rule, a.severity, a.row.series, since)
                })
                .collect();
            super::gate::judge_alerts(&firing, *severity, evaluated, fresh, now)
        }
        Check::TestRecord { map, key } => match (maps.first(), key.as_str(), probe) {
            (None, ..) => Evidence::of(vec![], "Test record"),
            (Some(_), "", _) => {
                Evidence::unavailable("no key yet: give the test record's key on the run page")
            }
            (Some((id, _)), key, Some(p)) if p.reaches(&env.name) => {
                drop(conn);
                match (p.record)(env.name.clone(), *id, key.to_string()).await {
                    Ok(sides) => super::gate::judge_record(map, key, &sides),
                    Err(why) => Evidence::unavailable(format!("{map} could not be read: {why}")),
                }
            }
            (Some(_), ..) => Evidence::unavailable(format!(
                "no connection is configured for {}, so the record cannot be read",
                env.name
            )),
        },
    };
    if !missing.is_empty() {
        missing.append(&mut evidence.findings);
        let what = evidence
            .summary
            .split(':')
            .next()
            .unwrap_or("Check")
            .to_string();
        evidence = Evidence::of(missing, &what);
    }
    Ok(evidence)
}

/// Checks one running gate of a run now: keeps the evidence and, when it
/// passes, passes the gate. Gives the evidence, or none when the task is
/// not a running gate that checks itself.
#[tracing::instrument(skip_all, fields(run.id = run, task))]
pub async fn check_gate(
    pool: &Pool,
    run: i64,
    task: &str,
    probe: Option<&Probe>,
) -> Result<Option<Evidence>, AppError> {
    let (g, started, env) = {
        let mut conn = pool.acquire().await?;
        let r = runs::get(&mut conn, run).await?;
        let Some((t, s)) = r
            .content
            .tasks
            .iter()
            .zip(&r.states)
            .find(|(t, _)| t.id == task)
        else {
            return Ok(None);
        };
        let (Some(g), super::run::Status::Running, None) = (&t.check, s.status, r.outcome) else {
            return Ok(None);
        };
        let env = crate::environments::server::by_id(&mut conn, r.environment_id).await?;
        (g.clone(), s.started_at.unwrap_or(r.started_at), env)
    };
    let now = chrono::Utc::now().timestamp();
    let e = evaluate(pool, &env, &g, started, now, probe).await?;
    // The evidence is as old as the moment the judgement was made.
    let now = now.max(chrono::Utc::now().timestamp());
    let mut tx = crate::db::begin_write(pool).await?;
    runs::keep_check(&mut tx, run, task, &e, now).await?;
    if e.pass {
        runs::pass_by_check(&mut tx, run, task, &e.summary, now).await?;
    }
    tx.commit().await?;
    Ok(Some(e))
}

/// Checks every running gate of every open run; gives how many were
/// checked and how many passed. A gate that cannot be checked is logged
/// and tried again at the next round.
pub async fn round(pool: &Pool, probe: Option<&Probe>) -> Result<(usize, usize), AppError> {
    let gates = {
        let mut conn = pool.acquire().await?;
        runs::running_gates(&mut conn).await?
    };
    let (mut checked, mut passed) = (0, 0);
    for (run, task) in gates {
        match check_gate(pool, run, &task, probe).await {
            Ok(Some(e)) => {
                checked += 1;
                passed += usize::from(e.pass);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(run.id = run, task, error = %e, "could not check a cutover gate; trying again in a minute")
            }
        }
    }
    Ok((checked, passed))
}

#[cfg(test)]
mod tests {
    use super::super::gate::{Check, GateCheck, Tolerance};
    use super::*;
    use crate::alerts::Severity;
    use crate::audit::server::Actor;
    use crate::counts::RecordCount;

    fn gate(check: Check) -> GateCheck {
        GateCheck {
            fresh_minutes: 30,
            check,
        }
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    async fn count(pool: &Pool, map: i64, at: i64, fo: i64, dv: i64) {
        let mut conn = pool.acquire().await.unwrap();
        let at = crate::db::db_time_secs(at);
        let c = RecordCount {
            counted_at: at.clone(),
            company: String::new(),
            fo: Some(fo),
            dataverse: Some(dv),
            problem: String::new(),
        };
        crate::counts::server::record(&mut conn, map, &at, &c)
            .await
            .unwrap();
    }

    /// A probe that "counts" by storing the given figures, and reads a
    /// test record from a fixed answer: what the server's probe does
    /// through the connectors (its own test drives the simulator).
    fn probe(env: &str, pool: &Pool, figures: (i64, i64)) -> Probe {
        let pool = pool.clone();
        Probe {
            environments: Arc::new(vec![env.to_string()]),
            count: Arc::new(move |_, maps| {
                let pool = pool.clone();
                Box::pin(async move {
                    for m in maps {
                        count(
                            &pool,
                            m,
                            chrono::Utc::now().timestamp(),
                            figures.0,
                            figures.1,
                        )
                        .await;
                    }
                    Ok(())
                })
            }),
            record: Arc::new(|_, _, key| {
                Box::pin(async move {
                    Ok(RecordSides {
                        in_fo: vec![format!("USMF/{key}")],
                        in_dataverse: vec![format!("USMF/{key}")],
                        differences: vec![],
                        fields: 4,
                    })
                })
            }),
        }
    }

    #[tokio::test]
    async fn a_counts_gate_counts_afresh_and_passes_only_within_tolerance() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let (env, customers) = {
            let mut conn = pool.acquire().await.unwrap();
            crate::maps::server::uat_with_starter(&mut conn).await
        };
        let g = gate(Check::Counts {
            maps: vec!["Customers V3".into()],
            tolerance: Tolerance::Records(2),
        });
        let started = now() - 60;
        // A matching count from before the gate started does not count,
        // and without a connection the console cannot take a new one.
        count(&pool, customers, started - 600, 100, 100).await;
        let e = evaluate(&pool, &env, &g, started, now(), None)
            .await
            .unwrap();
        assert!(!e.pass, "{e:?}");
        assert!(
            e.summary.contains("before the gate started"),
            "{}",
            e.summary
        );
        assert!(e.summary.contains("cannot count now"), "{}", e.summary);
        // With one, it counts: 100 against 99 is within 2.
        let p = probe("UAT", &pool, (100, 99));
        let e = evaluate(&pool, &env, &g, started, now(), Some(&p))
            .await
            .unwrap();
        assert!(e.pass, "{e:?}");
        assert!(
            e.summary.starts_with("Record counts: all 1 hold"),
            "{}",
            e.summary
        );
        // Drift injected on the next count: 100 against 90.
        count(&pool, customers, now(), 100, 90).await;
        let e = evaluate(&pool, &env, &g, started, now(), Some(&p))
            .await
            .unwrap();
        assert!(!e.pass, "{e:?}");
        assert!(e.summary.contains("10 apart"), "{}", e.summary);
        // An unknown map is named, never ignored.
        let g = gate(Check::Counts {
            maps: vec!["Vendors".into()],
            tolerance: Tolerance::Records(0),
        });
        let e = evaluate(&pool, &env, &g, started, now(), Some(&p))
            .await
            .unwrap();
        assert!(
            !e.pass && e.summary.contains("UAT has no map named Vendors"),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn a_queue_gate_counts_open_and_new_groups() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let (env, _) = {
            let mut conn = pool.acquire().await.unwrap();
            crate::maps::server::uat_with_starter(&mut conn).await
        };
        let g = gate(Check::Queue {
            maps: vec![],
            max_open: 0,
            quiet_minutes: 30,
        });
        let e = evaluate(&pool, &env, &g, now(), now(), None).await.unwrap();
        assert!(e.pass, "an empty queue sent through the API: {e:?}");
        let maps = {
            let mut conn = pool.acquire().await.unwrap();
            crate::maps::server::ids_by_name(&mut conn, env.id)
                .await
                .unwrap()
        };
        let raw = crate::errors::server::RawEntry {
            id: Some("e-1".into()),
            occurred_at: Some(crate::db::db_now()),
            map: Some("Customers V3".into()),
            message: Some("Lookup to msdyn_customergroup failed".into()),
            ..Default::default()
        };
        let entry = crate::errors::server::check_entry(raw, &maps).unwrap();
        crate::errors::server::store_batch(
            &pool,
            &crate::errors::server::Sweeps::default(),
            env.id,
            vec![entry],
            crate::errors::server::Origin {
                actor: &Actor::cli(),
                source: crate::errors::Source::Api,
                source_ref: "test",
            },
            crate::errors::server::Commit::default(),
            &mut |_| {},
            async |_, _| Ok(()),
        )
        .await
        .unwrap();
        let e = evaluate(&pool, &env, &g, now(), now(), None).await.unwrap();
        assert!(!e.pass, "{e:?}");
        assert!(
            e.summary.contains("1 open group (at most 0)"),
            "{}",
            e.summary
        );
        assert!(
            e.summary.contains("newest just now on Customers V3"),
            "{}",
            e.summary
        );
        // Another map's group does not hold a gate on one map.
        let g = gate(Check::Queue {
            maps: vec!["Released products V2".into()],
            max_open: 0,
            quiet_minutes: 30,
        });
        let e = evaluate(&pool, &env, &g, now(), now(), None).await.unwrap();
        assert!(e.pass, "another map's group does not hold it: {e:?}");
    }

    #[tokio::test]
    async fn reconciliation_state_and_alert_gates_read_their_stores() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let (env, customers) = crate::maps::server::uat_with_starter(&mut conn).await;
        let one = |check| gate(check);
        // Reconciliation: never run, then clean, then drifting.
        let recon = one(Check::Reconciliation {
            maps: vec!["Customers V3".into()],
            max_drift: Tolerance::Records(0),
        });
        let e = evaluate(&pool, &env, &recon, now(), now(), None)
            .await
            .unwrap();
        assert!(!e.pass && e.summary.contains("never reconciled"), "{e:?}");
        let run = crate::reconcile::server::begin_run(
            &mut conn,
            customers,
            "sample",
            "cli",
            Some(100),
            0,
            "test",
        )
        .await
        .unwrap();
        let outcome = crate::reconcile::server::Outcome {
            records: 100,
            differing: 2,
            ..Default::default()
        };
        crate::reconcile::server::finish_run(&mut conn, run, customers, "sample", &outcome)
            .await
            .unwrap();
        let e = evaluate(&pool, &env, &recon, now(), now(), None)
            .await
            .unwrap();
        assert!(!e.pass, "{e:?}");
        assert!(
            e.summary.contains(&format!(
                "run #{run}: 2 differences in 100 records (at most 0)"
            )),
            "{e:?}"
        );
        let lenient = one(Check::Reconciliation {
            maps: vec!["Customers V3".into()],
            max_drift: Tolerance::BasisPoints(200),
        });
        let e = evaluate(&pool, &env, &lenient, now(), now(), None)
            .await
            .unwrap();
        assert!(e.pass, "2 in 100 is within 2 %: {e:?}");

        // Map states: Running, read by the collector just now.
        let running = one(Check::Running {
            maps: vec!["Customers V3".into()],
        });
        let e = evaluate(&pool, &env, &running, now(), now(), None)
            .await
            .unwrap();
        assert!(!e.pass && e.summary.contains("never read"), "{e:?}");
        crate::maps::server::record_state(&mut conn, customers, "paused", "Paused")
            .await
            .unwrap();
        crate::collectors::server::record_run(
            &mut conn,
            env.id,
            "map_states",
            &crate::db::db_now(),
            1,
            None,
        )
        .await
        .unwrap();
        let e = evaluate(&pool, &env, &running, now(), now(), None)
            .await
            .unwrap();
        assert!(!e.pass && e.summary.contains("Paused in F&O"), "{e:?}");
        crate::maps::server::record_state(&mut conn, customers, "running", "Running")
            .await
            .unwrap();
        let e = evaluate(&pool, &env, &running, now(), now(), None)
            .await
            .unwrap();
        assert!(e.pass, "{e:?}");

        // Alerts: no rule evaluated yet; then evaluated with none firing;
        // then one firing.
        let alerts = one(Check::Alerts {
            severity: Severity::Warning,
        });
        let e = evaluate(&pool, &env, &alerts, now(), now(), None)
            .await
            .unwrap();
        assert!(
            !e.pass && e.summary.contains("no evaluated alert rule"),
            "{e:?}"
        );
        crate::alerts::server::apply_starter(&mut conn, &Actor::cli(), &env)
            .await
            .unwrap();
        let rules = crate::alerts::server::list(&mut conn, env.id, false)
            .await
            .unwrap();
        let ids: Vec<i64> = rules.iter().map(|r| r.id).collect();
        crate::alerts::server::mark_evaluated(&mut conn, &ids, now())
            .await
            .unwrap();
        let e = evaluate(&pool, &env, &alerts, now(), now(), None)
            .await
            .unwrap();
        assert!(e.pass, "{e:?}");
        let rule = rules
            .iter()
            .find(|r| r.content.severity != Severity::Info)
            .expect("a starter rule that is not info");
        let mut instance = crate::alerts::state::Instance::new(now() - 600);
        instance.state = crate::alerts::state::State::Firing;
        instance.fired_at = Some(now() - 600);
        crate::alerts::server::save_instance(
            &mut conn,
            &crate::alerts::InstanceRow {
                rule_id: rule.id,
                series: "Customers V3".into(),
                map_id: Some(customers),
                instance,
                evaluated_at: now(),
                acknowledged: None,
                notified_at: None,
            },
        )
        .await
        .unwrap();
        let e = evaluate(&pool, &env, &alerts, now(), now(), None)
            .await
            .unwrap();
        assert!(!e.pass, "{e:?}");
        assert!(
            e.summary.contains("firing on Customers V3"),
            "{}",
            e.summary
        );
    }

    #[tokio::test]
    async fn a_running_gate_passes_by_its_check_and_an_override_stays_an_override() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let cli = Actor::cli();
        let (env, customers, run) = {
            let mut conn = pool.acquire().await.unwrap();
            let (env, customers) = crate::maps::server::uat_with_starter(&mut conn).await;
            let friday = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
            let mut content =
                super::super::template::weekend("Go-live", friday, chrono_tz::Tz::UTC).unwrap();
            for t in &mut content.tasks {
                if t.id == "S4" {
                    t.check = Some(GateCheck::parse("counts: Customers V3; tolerance 0").unwrap());
                }
            }
            let id = super::super::server::create(&mut conn, &cli, env.id, content, "")
                .await
                .unwrap();
            let p = super::super::server::get(&mut conn, id).await.unwrap();
            let at = now() - 86_400;
            let run = runs::start(
                &mut conn,
                &cli,
                &p,
                super::super::run::RunKind::Rehearsal,
                at,
                at,
            )
            .await
            .unwrap();
            for t in ["F1", "F2", "F3", "F4", "F5", "S1", "S2"] {
                let comment = if t == "F4" || t == "F5" { "ok" } else { "" };
                runs::act(
                    &mut conn,
                    &cli,
                    run,
                    t,
                    super::super::run::Action::Complete,
                    comment,
                    now(),
                )
                .await
                .unwrap();
            }
            runs::act(
                &mut conn,
                &cli,
                run,
                "S4",
                super::super::run::Action::Start,
                "",
                now(),
            )
            .await
            .unwrap();
            (env, customers, run)
        };
        let _ = env;
        // Failing: the counts differ.
        let p = probe("UAT", &pool, (10, 9));
        let e = check_gate(&pool, run, "S4", Some(&p))
            .await
            .unwrap()
            .unwrap();
        assert!(!e.pass, "{e:?}");
        assert_eq!(
            round(&pool, Some(&p)).await.unwrap(),
            (1, 0),
            "the minute's round checks it again"
        );
        // Still failing, kept once (the same finding grows its row).
        let mut conn = pool.acquire().await.unwrap();
        let kept = runs::checks(&mut conn, run, Some("S4"), 10).await.unwrap();
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert!(kept[0].last_at >= kept[0].first_at);
        // Fixed: the next count matches and the console passes the gate.
        count(&pool, customers, now(), 10, 10).await;
        let e = check_gate(&pool, run, "S4", Some(&p))
            .await
            .unwrap()
            .unwrap();
        assert!(e.pass, "{e:?}");
        let r = runs::get(&mut conn, run).await.unwrap();
        let i = r.content.tasks.iter().position(|t| t.id == "S4").unwrap();
        assert_eq!(r.states[i].status, super::super::run::Status::Done);
        assert_eq!(r.decided["S4"], runs::Decided::Check);
        let log = runs::events(&mut conn, run, 1).await.unwrap();
        assert_eq!(log[0].action, "check");
        assert_eq!(log[0].actor, "console (gate check)");
        assert!(
            log[0].comment.starts_with("Record counts: all 1 hold"),
            "{:?}",
            log[0]
        );
        // Nothing left to check.
        assert_eq!(round(&pool, Some(&p)).await.unwrap(), (0, 0));

        // S3 (maps Running) fails; a person overrides it with a comment.
        runs::act(
            &mut conn,
            &cli,
            run,
            "S3",
            super::super::run::Action::Start,
            "",
            now(),
        )
        .await
        .unwrap();
        drop(conn);
        let e = check_gate(&pool, run, "S3", None).await.unwrap().unwrap();
        assert!(!e.pass);
        let mut conn = pool.acquire().await.unwrap();
        runs::act(
            &mut conn,
            &cli,
            run,
            "S3",
            super::super::run::Action::Complete,
            "States read by hand in F&O: all Running",
            now(),
        )
        .await
        .unwrap();
        let r = runs::get(&mut conn, run).await.unwrap();
        assert_eq!(r.decided["S3"], runs::Decided::Override);
        assert_eq!(
            runs::events(&mut conn, run, 1).await.unwrap()[0].action,
            "override"
        );

        // A test-record gate waits for its key, then reads the record.
        runs::act(
            &mut conn,
            &cli,
            run,
            "D1",
            super::super::run::Action::Complete,
            "",
            now(),
        )
        .await
        .unwrap();
        for t in ["D2", "D3"] {
            runs::act(
                &mut conn,
                &cli,
                run,
                t,
                super::super::run::Action::Complete,
                "",
                now(),
            )
            .await
            .unwrap();
        }
        runs::act(
            &mut conn,
            &cli,
            run,
            "D4",
            super::super::run::Action::Start,
            "",
            now(),
        )
        .await
        .unwrap();
        drop(conn);
        let e = check_gate(&pool, run, "D4", Some(&p))
            .await
            .unwrap()
            .unwrap();
        assert!(!e.pass && e.summary.contains("no key yet"), "{e:?}");
        let mut conn = pool.acquire().await.unwrap();
        runs::set_record_key(&mut conn, &cli, run, "D4", "US-000042", now())
            .await
            .unwrap();
        drop(conn);
        let e = check_gate(&pool, run, "D4", Some(&p))
            .await
            .unwrap()
            .unwrap();
        assert!(e.pass, "{e:?}");
        assert!(e.findings[0].subject == "USMF/US-000042", "{e:?}");
    }
}
